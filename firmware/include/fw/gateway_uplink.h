// GatewayUplink: the CCU's network side (PRODUCT.md §4 for a gateway and its outlets as
// children), on top of the CcuGateway radio core, sans I/O.
//
// Inputs: Boot(), Tick() with the time and the breaker reading, the wall clock once SNTP has
// it, MQTT connection up/down and publish acknowledgements, command payloads received on
// sw/d/{uid}/cmd and sw/d/{outlet}/cmd, and what the gateway core reported (GatewayEffects).
// Outputs: UplinkActions (connect with a last will, subscribe, publish, reboot) written into
// a caller-provided buffer; radio commands submitted to the gateway core.
//
// * Outlets: up to kMaxOutlets, each spoken for as the child `{uid}.{XX}` (XX = its radio
//   address in upper-case hex), the uid the server gives the gateway's outlets.
// * Session: a connect action with the retained will {"online": false} on sw/d/{uid}/status,
//   retried with exponential back-off and jitter. On connect: subscribe to its own and every
//   outlet's command topic, publish its retained status and the statuses of the outlets that
//   are online, a `boot` event once per boot, then flush. Work that does not fit one call's
//   UplinkActions stays pending and goes out on the next Tick.
// * Telemetry: every interval one reading of the breaker current for the gateway
//   (breaker_current_ma) and one of the currents and relay states per outlet whose status is
//   known (current_a_ma, current_b_ma, relay_a, relay_b); an extra outlet reading after a
//   command, a trip or an online change, and a gateway reading when the breaker crosses its
//   limit. Readings go through a bounded ring (kMaxBufferedReadings; when full the oldest is
//   dropped and counted) and leave it only when their publish is acknowledged: batches of up
//   to max_batch_readings readings of one device (a JSON array, one batch in flight) carrying
//   the time each was taken (uptime mapped to the wall clock when sent).
// * Events (dropped and counted while offline): outlet online/offline -> the outlet's
//   retained status; a socket newly tripped -> `overload_trip` on the outlet (with the last
//   current seen); a tripped socket back on -> `overload_retry`; local shedding ->
//   `breaker_cutoff` on the gateway (action shed / cut_all, breaker_ma, limit_ma).
// * Commands (JSON), answered on .../cmd/result with {"id", "ok", "detail"?, "current_ma"?}:
//     outlet:  relay {socket, on}, set_threshold {ma}, cut {sockets: "all"}
//     gateway: cut {sockets: "all"} (every socket of every outlet), restart,
//              set_breaker_limit {ma} (CcuGateway::SetBreakerLimit: bounded and persisted),
//              sync_outlets {rev, outlets: [{uid?, address, protocol?, priority_a?,
//              priority_b?}]} (CcuGateway::ApplyRegistry: the whole registry, all or nothing;
//              answered "outlets rev N applied: K outlets" or the reason; docs/DEVICE_PROTOCOL.md)
// * Outlets spoken for follow the gateway core's registry: at Boot and after a sync, outlets
//   that left it are dropped (their commands in progress answered ok=false, their buffered
//   readings discarded) and new ones are subscribed to. The retained status of the gateway
//   carries "outlets_rev" (CcuGateway::registry_revision) and is sent again after a sync.
//   Radio work goes through CcuGateway::SubmitCommand (at most kMaxOpsInFlight at a time). A
//   relay command is answered after its ACK, verify_delay_ms (the outlet's next measurement)
//   and a STATUS read, with the socket's measured current, which the server checks against
//   the command; a socket that tripped on switching on is answered ok=false. NACKs and radio
//   time-outs are answered ok=false with the reason; expired commands are refused. Delivery
//   is at-least-once: the last kRememberedCommands answers are kept, a repeated id is answered
//   again with the first answer (ignored while still in progress), never executed twice.
//   `restart`: answered, then a kReboot action once the answer is acknowledged (or after
//   restart_delay_ms).
//
// Memory: everything is in the object (no heap); sizeof is reported by size_report.sh.
// Thread-safety: none. One instance driven from one task (the CCU's network task), with the
// CcuGateway it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fw/ccu_gateway.h"
#include "fw/device_link.h"
#include "fw/json.h"
#include "fw/span.h"

namespace sw::fw {

struct GatewayUplinkConfig {
  std::string_view uid;                      // [A-Za-z0-9._-]{1,61}; copied
  std::string_view firmware_version;         // the gateway's; copied (at most 23 characters)
  std::string_view outlet_firmware_version;  // reported in the outlets' status; copied
  uint32_t interval_ms = 30000;
  uint32_t status_interval_ms = 30000;
  uint32_t reconnect_min_ms = 1000;     // doubled per failed attempt ...
  uint32_t reconnect_max_ms = 60000;    // ... up to this, plus up to 25 % jitter
  uint32_t jitter_seed = 1;             // e.g. from the MAC
  uint32_t connect_timeout_ms = 30000;  // no OnConnected/OnDisconnected by then: failed
  uint32_t ack_timeout_ms = 30000;      // an unacknowledged batch is sent again
  uint32_t verify_delay_ms = 600;       // > one outlet measurement window after a relay switched
  uint32_t restart_delay_ms = 3000;     // longest wait for the restart answer's acknowledgement
  uint16_t max_batch_readings = 20;
  uint16_t max_payload_bytes = 1024;  // clamped to [256, UplinkActions::kMaxPayloadBytes]
};

// What one call produced. Owned by the caller; Clear() before each call (or use a fresh
// one). The views in the actions point into `text`: do not copy this object.
class UplinkActions {
 public:
  static constexpr size_t kMaxActions = 24;
  static constexpr size_t kTextBytes = 6144;
  static constexpr size_t kMaxPayloadBytes = 2048;

  UplinkActions() = default;
  UplinkActions(const UplinkActions&) = delete;
  UplinkActions& operator=(const UplinkActions&) = delete;

  void Clear() {
    list_.Clear();
    used_ = 0;
  }
  size_t size() const { return list_.size(); }
  const NodeAction& operator[](size_t i) const { return list_[i]; }
  const NodeAction* begin() const { return list_.begin(); }
  const NodeAction* end() const { return list_.end(); }
  // Publishes that did not fit and were not kept pending (events, answers).
  uint32_t dropped() const { return dropped_; }

 private:
  friend class GatewayUplink;
  FixedVector<NodeAction, kMaxActions> list_;
  char text_[kTextBytes];
  size_t used_ = 0;
  uint32_t dropped_ = 0;
};

struct UplinkCounters {
  uint32_t commands = 0;  // command messages received
  uint32_t answered = 0;
  uint32_t duplicates = 0;
  uint32_t unanswerable = 0;  // no usable id, or not for this gateway
  uint32_t readings = 0;
  uint32_t dropped_readings = 0;
  uint32_t dropped_events = 0;
};

class GatewayUplink {
 public:
  static constexpr size_t kMaxOutlets = CcuGateway::kMaxOutlets;
  static constexpr size_t kMaxBufferedReadings = 512;
  static constexpr size_t kMaxJobs = 16;
  static constexpr size_t kRememberedCommands = 16;
  static constexpr size_t kMaxOpsInFlight = 8;  // of the gateway's queue of kCommandQueue
  static constexpr size_t kMaxDetailLength = 95;

  GatewayUplink(const GatewayUplinkConfig& config, CcuGateway& gateway);

  // False if the uid or a version is unusable; such a gateway never connects.
  bool valid() const { return valid_; }

  // Speaks for the outlet at this radio address (registered in the gateway core too).
  bool AddOutlet(uint8_t address);

  // A (re)boot: RAM state is gone (buffer, jobs, session); the boot event is sent again.
  void Boot(uint32_t now_ms, UplinkActions* out);
  void SetWallClock(uint32_t now_ms, int64_t unix_ms) { clock_.SetWall(now_ms, unix_ms); }
  void Tick(uint32_t now_ms, uint32_t breaker_ma, UplinkActions* out);
  void OnConnected(uint32_t now_ms, const NodeLinkInfo& link, UplinkActions* out);
  void OnDisconnected(uint32_t now_ms);
  void OnPublishAcked(uint32_t now_ms, uint32_t token, UplinkActions* out);
  void OnMessage(uint32_t now_ms, std::string_view topic, std::string_view payload,
                 UplinkActions* out);
  void OnGatewayEffects(uint32_t now_ms, const GatewayEffects& fx, UplinkActions* out);

  bool connected() const { return connected_; }
  size_t buffered() const { return ring_.size(); }
  size_t jobs_in_progress() const;
  const UplinkCounters& counters() const { return counters_; }
  // sw/d/... uid of a device: 0 the gateway, k the k-th outlet added.
  std::string_view DeviceUid(size_t device) const;

 private:
  static constexpr size_t kMaxChildUid = kMaxUidLength;
  static constexpr size_t kDevices = kMaxOutlets + 1;

  struct Reading {
    uint64_t taken_ms = 0;  // uptime
    uint32_t breaker_ma = 0;
    uint16_t current_ma[2] = {0, 0};
    uint16_t threshold_ma = 0;  // an outlet's overload threshold; 0: not known (legacy)
    uint8_t device = 0;
    bool relay_on[2] = {false, false};
    bool tripped[2] = {false, false};
    bool in_batch = false;
  };
  struct Outlet {
    uint8_t address = 0;
    bool online = false;
    bool reported_online = false;  // what the retained status says
    bool tripped[2] = {false, false};
    uint16_t last_current[2] = {0, 0};  // last non-zero current seen
    bool reading_due = false;
  };
  enum class JobKind : uint8_t { kRelay, kThreshold, kCut };
  struct Job {
    bool active = false;
    char id[kMaxCommandIdLength] = {};
    uint8_t id_size = 0;
    uint8_t device = 0;  // where the answer goes
    JobKind kind = JobKind::kRelay;
    uint8_t address = 0;  // relay, threshold, cut of one outlet
    uint8_t socket_index = 0;
    bool relay_on = false;
    uint16_t threshold_ma = 0;
    bool all_outlets = false;  // the gateway's cut
    uint8_t ops_total = 0;
    uint8_t ops_submitted = 0;
    uint8_t ops_done = 0;
    uint8_t ops_failed = 0;
    uint64_t done_mask = 0;
    uint32_t radio_base = 0;
    bool verifying = false;
    uint64_t verify_at_ms = 0;
    CommandOutcome first_outcome = CommandOutcome::kRejected;
    NackReason first_reason = NackReason::kUnknownCommand;
    CommandOutcome fail_outcome = CommandOutcome::kRejected;
    NackReason fail_reason = NackReason::kUnknownCommand;
    uint8_t fail_address = 0;
    bool status_read = false;
    OutletStatus status;
  };
  struct Remembered {
    char id[kMaxCommandIdLength] = {};
    uint8_t id_size = 0;
    uint8_t device = 0;
    bool ok = false;
    bool has_current = false;
    uint16_t current_ma = 0;
    char detail[kMaxDetailLength + 1] = {};
  };
  struct Op {
    uint8_t address = 0;
    RadioCommand command = RadioCommand::kStatus;
    uint8_t socket = kSocketNone;
    uint8_t payload[2] = {0, 0};
    uint8_t payload_size = 0;
  };

  void Advance(uint32_t now_ms) { clock_.Advance(now_ms); }
  void Service(UplinkActions* out);
  void ScheduleReconnect();
  uint32_t NextToken();

  NodeAction* Add(UplinkActions* out, NodeActionKind kind);
  std::string_view AppendTopic(UplinkActions* out, size_t device, std::string_view suffix);
  template <typename Build>
  bool Publish(UplinkActions* out, size_t device, std::string_view suffix, bool retain,
               uint32_t token, Build&& build);
  bool PublishStatus(size_t device, UplinkActions* out);
  template <typename Extra>
  void PublishEvent(size_t device, std::string_view type, UplinkActions* out, Extra&& extra);

  void Buffer(const Reading& reading);
  void TakeReadings(uint32_t breaker_ma, bool periodic);
  void WriteReading(JsonWriter& w, const Reading& r) const;
  void Flush(UplinkActions* out);
  void EndBatch(bool acknowledged);
  bool WallTime(uint64_t uptime_ms, int64_t* unix_ms) const {
    return clock_.WallTime(uptime_ms, unix_ms);
  }

  void HandleCommand(size_t device, std::string_view payload, UplinkActions* out);
  void SyncOutlets(std::string_view id, Span<const JsonMember> params, UplinkActions* out);
  // Makes the outlets spoken for equal to the gateway core's registry.
  void FollowRegistry(UplinkActions* out);
  void RemoveOutletAt(size_t index, UplinkActions* out);
  bool StartJob(const Job& job, UplinkActions* out);
  Op OpOf(const Job& job, size_t k) const;
  void Pump(UplinkActions* out);
  void OnResult(const CommandResult& r);
  void Finish(Job& job, UplinkActions* out);
  void Answer(std::string_view id, size_t device, bool ok, std::string_view detail,
              const uint16_t* current_ma, UplinkActions* out, uint32_t token = 0);
  bool PublishAnswer(const Remembered& r, UplinkActions* out, uint32_t token);
  int FindDevice(std::string_view uid) const;
  int OutletIndex(uint8_t address) const;

  GatewayUplinkConfig config_;
  CcuGateway& gateway_;
  bool valid_ = false;
  char uid_[kMaxUidLength];
  size_t uid_size_ = 0;
  char version_[kMaxFirmwareVersionLength];
  size_t version_size_ = 0;
  char outlet_version_[kMaxFirmwareVersionLength];
  size_t outlet_version_size_ = 0;

  Outlet outlets_[kMaxOutlets];
  size_t outlet_count_ = 0;

  // Time.
  DeviceClock clock_;

  // Connection and pending publications (bit d: device d).
  bool connected_ = false;
  bool connecting_ = false;
  uint64_t next_connect_ms_ = 0;
  uint64_t connect_started_ms_ = 0;
  uint32_t backoff_ms_ = 0;
  uint32_t jitter_state_ = 1;
  uint64_t subscribe_pending_ = 0;
  uint64_t status_pending_ = 0;
  bool boot_event_sent_ = false;
  uint64_t next_status_ms_ = 0;
  char ip_[40];
  size_t ip_size_ = 0;
  bool has_rssi_ = false;
  int16_t rssi_ = 0;

  // Telemetry.
  uint64_t next_reading_ms_ = 0;
  uint32_t breaker_ma_ = 0;
  FixedQueue<Reading, kMaxBufferedReadings> ring_;
  bool batch_in_flight_ = false;
  uint32_t batch_token_ = 0;
  uint64_t batch_sent_ms_ = 0;
  uint32_t next_token_ = 1;

  // Commands.
  Job jobs_[kMaxJobs];
  Remembered remembered_[kRememberedCommands];
  size_t remembered_count_ = 0;
  size_t remembered_next_ = 0;
  uint32_t next_radio_id_ = 1;
  bool restart_pending_ = false;
  uint32_t restart_token_ = 0;
  uint64_t restart_at_ms_ = 0;

  UplinkCounters counters_;
};

// "a"/"b" for socket 1/2, "none" otherwise.
std::string_view SocketName(uint8_t socket);
std::string_view NackReasonText(NackReason reason);

}  // namespace sw::fw
