// CcuGateway: the radio-master core of the CCU (gateway) for Sitewatch v2 outlets and legacy
// (v1, PIC16F88) outlets on the same channel, sans I/O.
//
// Inputs: Tick() with the time, received v2 and legacy frames, breaker current readings (mA, from
// an RmsCurrentMeter on the SCT013 windows), commands submitted by the uplink shell (MQTT/HTTP),
// and registry changes. Outputs (GatewayEffects): the frame to transmit, command results
// and events for the uplink.
//
// * One request on the half-duplex channel at a time. Every request gets a new sequence
//   number; retries of the same request reuse it. A reply is credited only when it is
//   addressed to this gateway, comes from the outlet the request went to, echoes the
//   in-flight sequence number and answers the same command — a late reply to an earlier
//   request or a frame from another outlet is counted as stray and dropped, never
//   credited to whichever outlet happens to be "active".
// * No reply within reply_timeout_ms: resend after a back-off of backoff_base_ms doubled
//   per attempt, up to max_attempts; then the command fails with kTimedOut and the outlet
//   goes offline after offline_after_failures consecutive failures.
// * Priority on the channel: breaker shedding, then uplink commands (FIFO, bounded), then
//   status polls (each registered outlet every poll_interval_ms, round-robin).
// * Commands carry an uplink id; resubmitting an id that is queued, in flight or among the
//   last kRecentResults completed ones does not execute it again (at-least-once delivery
//   from the server becomes exactly-once on the radio).
// * Breaker protection runs locally with no dependency on the uplink: while the breaker
//   current exceeds breaker_threshold_ma, switch off the ON socket with the lowest shed
//   priority (ties: the higher current, then the lower address), wait shed_settle_ms for
//   the next readings, repeat; when no known-ON socket is left, cut every socket of every
//   registered outlet as the last resort. Shed sockets are not switched back on
//   automatically: that is a decision for a person or the server.
// * The registry (address + shed priorities + protocol, up to kMaxOutlets), its revision and
//   the breaker limit (SetBreakerLimit, kMinBreakerLimitMa..kMaxBreakerLimitMa; the configured
//   breaker_threshold_ma until one is set) persist in a ConfigStore.
// * ApplyRegistry replaces the whole registry with the server's list (`sync_outlets`):
//   validated first (at most kMaxOutlets, addresses 1..254 and not the gateway's own, no
//   duplicates, a revision not older than the applied one), then saved, then applied in RAM —
//   all or nothing: a refused list or a failed save changes nothing. Outlets that stay keep
//   their state (online, last status, failures, shed flags); removed ones are dropped from the
//   poll rotation and their queued commands are rejected.
//
// Legacy outlets (`"protocol": 1` in sync_outlets, or SetLegacy; the flag persists with the
// registry) get the same schedule,
// queue, retries, back-off, offline rule, shedding and cut-all, spoken in legacy 8-byte
// frames (ccu_gateway_legacy.cpp):
// * STATUS/READ_CURRENT polls become READ_CURRENT, answered by two REPORT_DATA frames (one
//   per socket); the read completes when both arrived. One missing at the reply timeout:
//   the request is retried like a lost reply, the socket that did arrive is kept; after the
//   last attempt the read completes with what arrived (the outlet did answer). 0xFFFF =
//   socket tripped (current 0). Readings up to kLegacyNoiseFloorMa are 0 (the PIC reports
//   1-2 ADC counts of noise, 49/98 mA, at no load).
// * RELAY_ON/OFF (socket A or B), SET_THRESHOLD, PING, SET_DEVICE_ID, SET_ID_MASTER are
//   credited on an ACK with LegacyAckMatches (addressed to us, from the target — for
//   SET_DEVICE_ID the new ID —, echoing the command and the socket). Other commands are
//   answered kNacked/kUnknownCommand by the gateway without using the radio.
// * The legacy frames carry no sequence number and a REPORT_DATA carries a socket number
//   instead of the sender, so identity rests on timing: a legacy reply counts only while
//   its request is in flight, from kLegacyMinReplyMs after the latest transmission (two
//   frames' airtime: nothing earlier can be an answer to it) until reply_timeout_ms;
//   anything else is stray. What cannot be told apart: a REPORT_DATA from another outlet
//   (or a late one from an earlier request) arriving inside that window; an ACK of an
//   earlier identical command (same outlet, command, socket; for SET_THRESHOLD any value,
//   the ACK does not echo it) arriving inside the window of a later one.
// * There is no relay-state query: relay_on is the state last confirmed by an ACK (see
//   OutletRecord::relay_known), or ON when the socket's current is above the noise floor.
//   A PIC that rebooted (relays OFF) or auto-retried after a user OFF is not seen until its
//   current shows it. threshold_ma is the last ACKed SET_THRESHOLD (0 = unknown). The PIC
//   ACKs RELAY_ON on a tripped socket and stays off until its own 5 s retry; the trip flag
//   of the next read tells.
//
// Thread-safety: none; one instance driven from one task (the CCU's radio task).
#pragma once

#include <cstddef>
#include <cstdint>

#include "fw/config_store.h"
#include "fw/radio_frame.h"
#include "fw/span.h"

namespace sw::fw {

struct GatewayConfig {
  uint8_t own_address = 0x02;
  uint32_t poll_interval_ms = 2000;
  uint32_t reply_timeout_ms = 120;
  uint8_t max_attempts = 4;
  uint32_t backoff_base_ms = 50;
  uint8_t offline_after_failures = 3;
  uint32_t breaker_threshold_ma = 15000;
  uint32_t shed_settle_ms = 2000;
};

struct OutletRecord {
  uint8_t address = 0;
  uint8_t shed_priority[2] = {128, 128};  // lower is shed first
  bool online = false;
  bool status_known = false;
  OutletStatus status;
  uint32_t last_seen_ms = 0;
  uint32_t last_poll_ms = 0;
  bool polled = false;
  uint8_t failures = 0;
  bool shed[2] = {false, false};
  // Legacy (v1, PIC) outlet: no status query; relay_known[i] tells whether status.relay_on[i]
  // was confirmed (ACK or measured current) rather than never learned.
  bool legacy = false;
  bool relay_known[2] = {false, false};
};

enum class SetLimitResult : uint8_t { kOk, kOutOfRange, kStorageFailed };

// One outlet of the registry the server wants (ApplyRegistry).
struct OutletSpec {
  uint8_t address = 0;
  bool legacy = false;
  // Not given: an outlet that stays keeps its priority, a new one gets 128.
  bool priority_given[2] = {false, false};
  uint8_t shed_priority[2] = {128, 128};
};

enum class RegistryResult : uint8_t {
  kOk,
  kTooMany,           // more than kMaxOutlets
  kBadAddress,        // 0, 255 or the gateway's own address (see bad_address)
  kDuplicateAddress,  // (see bad_address)
  kStale,             // revision older than the applied one
  kStorageFailed,     // the store refused the write: the previous registry stays
};

enum class CommandOutcome : uint8_t { kAcked, kNacked, kTimedOut, kRejected };

struct CommandResult {
  uint32_t id = 0;
  uint8_t address = 0;
  CommandOutcome outcome = CommandOutcome::kRejected;
  NackReason reason = NackReason::kUnknownCommand;  // for kNacked
  OutletStatus status;  // flags (and for STATUS the full report) after the command
};

enum class GatewayEventKind : uint8_t {
  kOutletOnline,
  kOutletOffline,
  kOverloadTrip,     // an outlet reported a socket newly tripped
  kBreakerOverload,  // breaker current went above the threshold
  kBreakerNormal,    // ... and back below it
  kSocketShed,       // a socket was switched off to protect the breaker
  kBreakerCutAll,    // last resort: every socket is being switched off
  kRegistryStorageError,
};

struct GatewayEvent {
  GatewayEventKind kind = GatewayEventKind::kOutletOnline;
  uint8_t address = 0;
  uint8_t socket = kSocketNone;
  uint32_t value = 0;  // breaker mA for breaker events
};

struct GatewayEffects {
  FixedVector<FrameBuffer, 1> transmit;
  FixedVector<CommandResult, 4> results;
  FixedVector<GatewayEvent, 8> events;
  void Clear() {
    transmit.Clear();
    results.Clear();
    events.Clear();
  }
};

class CcuGateway {
 public:
  static constexpr size_t kMaxOutlets = 32;
  static constexpr size_t kCommandQueue = 16;
  static constexpr size_t kRecentResults = 16;
  // The SCT013-100A clamp measures up to 100 A; below 1 A no workshop circuit is usable.
  static constexpr uint32_t kMinBreakerLimitMa = 1000;
  static constexpr uint32_t kMaxBreakerLimitMa = 100000;
  // Legacy outlets: the earliest reply after a transmission (two 8-byte frames at 9600 baud)
  // and the PIC's idle noise (2 ADC counts = 98 mA) reported as 0.
  static constexpr uint32_t kLegacyMinReplyMs = 16;
  static constexpr uint16_t kLegacyNoiseFloorMa = 100;

  // store may be null (registry kept in RAM only, e.g. in tests of other behaviour).
  CcuGateway(const GatewayConfig& config, ConfigStore* store);

  // Loads the registry and the breaker limit; call once at boot.
  void Boot(uint32_t now_ms, GatewayEffects* fx);

  bool AddOutlet(uint8_t address, uint8_t priority_a, uint8_t priority_b, GatewayEffects* fx);
  bool RemoveOutlet(uint8_t address, GatewayEffects* fx);
  // Replaces the registry with `outlets` at `revision` (see above). *bad_address names the
  // offending address for kBadAddress and kDuplicateAddress.
  RegistryResult ApplyRegistry(uint32_t revision, Span<const OutletSpec> outlets,
                               GatewayEffects* fx, uint8_t* bad_address = nullptr);
  // The revision of the registry last applied from the server (0: never synced).
  uint32_t registry_revision() const { return registry_revision_; }
  const OutletRecord& outlet_at(size_t i) const { return outlets_[i]; }
  // Marks a registered outlet as a legacy (v1, PIC) outlet or not; persisted. False if the
  // outlet is not registered.
  bool SetLegacy(uint8_t address, bool legacy, GatewayEffects* fx);

  // Sets and persists the breaker limit (mA). Out of range: nothing changes. The store
  // refused the write: the previous limit stays in force.
  SetLimitResult SetBreakerLimit(uint32_t limit_ma, GatewayEffects* fx);
  uint32_t breaker_limit_ma() const { return config_.breaker_threshold_ma; }

  // Returns false (and reports kRejected) if the outlet is unknown, the payload too large or
  // the queue full. A duplicate id is accepted without queueing it twice.
  bool SubmitCommand(uint32_t id, uint8_t address, RadioCommand command, uint8_t socket,
                     ByteSpan payload, GatewayEffects* fx);

  void OnFrame(uint32_t now_ms, const V2Frame& frame, GatewayEffects* fx);
  void OnLegacyFrame(uint32_t now_ms, const LegacyFrame& frame, GatewayEffects* fx);
  void OnBreakerCurrent(uint32_t now_ms, uint32_t breaker_ma, GatewayEffects* fx);
  void Tick(uint32_t now_ms, GatewayEffects* fx);

  size_t outlet_count() const { return outlet_count_; }
  const OutletRecord* FindOutlet(uint8_t address) const;
  uint32_t stray_frames() const { return stray_frames_; }
  bool busy() const { return in_flight_.active; }

 private:
  enum class RequestKind : uint8_t { kPoll, kCommand, kShed };
  struct Request {
    RequestKind kind = RequestKind::kPoll;
    uint32_t id = 0;
    uint8_t address = 0;
    RadioCommand command = RadioCommand::kStatus;
    uint8_t socket = kSocketNone;
    uint8_t payload_size = 0;
    uint8_t payload[kV2MaxPayload] = {};
  };
  struct InFlight {
    bool active = false;
    Request request;
    uint8_t seq = 0;
    uint8_t attempts = 0;
    uint32_t sent_ms = 0;
    bool backing_off = false;
    uint32_t backoff_since_ms = 0;
    uint32_t backoff_ms = 0;
    FrameBuffer frame;
    bool legacy = false;
    LegacyFrame legacy_frame;    // what was sent, for LegacyAckMatches
    uint8_t legacy_reports = 0;  // READ_CURRENT: bit i = socket i's REPORT_DATA arrived
  };

  OutletRecord* Find(uint8_t address);
  void Transmit(uint32_t now_ms, GatewayEffects* fx);
  bool StartNext(uint32_t now_ms, GatewayEffects* fx);
  void Complete(uint32_t now_ms, const V2Frame& reply, GatewayEffects* fx);
  void Fail(GatewayEffects* fx);
  void Report(const CommandResult& result, GatewayEffects* fx);
  bool IsKnownCommandId(uint32_t id, GatewayEffects* fx);
  void PlanShedding(uint32_t now_ms, GatewayEffects* fx);
  bool SaveRegistry(GatewayEffects* fx);
  // The persisted form of a registry: one entry per outlet.
  struct StoredOutlet {
    uint8_t address = 0;
    uint8_t shed_priority[2] = {128, 128};
    bool legacy = false;
  };
  bool Save(const StoredOutlet* list, size_t count, uint32_t breaker_ma, uint32_t revision,
            GatewayEffects* fx);
  // Legacy outlets (ccu_gateway_legacy.cpp).
  bool StartLegacy(uint32_t now_ms, GatewayEffects* fx);
  bool InLegacyReplyWindow(uint32_t now_ms) const;
  void ApplyLegacyReport(OutletRecord* o, int index, uint16_t value, GatewayEffects* fx);
  void MarkAnswered(OutletRecord* o, uint32_t now_ms, GatewayEffects* fx);
  void CompleteLegacy(uint32_t now_ms, GatewayEffects* fx);
  static void Emit(GatewayEffects* fx, GatewayEventKind kind, uint8_t address = 0,
                   uint8_t socket = kSocketNone, uint32_t value = 0);

  GatewayConfig config_;
  ConfigStore* store_;
  OutletRecord outlets_[kMaxOutlets];
  size_t outlet_count_ = 0;
  size_t poll_cursor_ = 0;
  uint32_t registry_revision_ = 0;

  FixedQueue<Request, kCommandQueue> commands_;
  FixedQueue<Request, 2 * kMaxOutlets> sheds_;
  InFlight in_flight_;
  uint8_t next_seq_ = 1;
  uint32_t stray_frames_ = 0;

  CommandResult recent_[kRecentResults];
  size_t recent_count_ = 0;
  size_t recent_next_ = 0;

  uint32_t breaker_ma_ = 0;
  bool breaker_over_ = false;
  bool cut_all_done_ = false;
  bool shed_started_ = false;
  uint32_t last_shed_ms_ = 0;
};

}  // namespace sw::fw
