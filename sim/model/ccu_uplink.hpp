// CcuUplink: the CCU's network side (PRODUCT.md §4 for a gateway and its outlets), on top of
// the fw::CcuGateway radio core. The firmware cores have no gateway uplink yet, so the
// simulator carries it; it keeps to the same rules as the cores (bounded state, no
// exceptions) so that it can move into firmware/ as a core.
//
// * Session: one MQTT session as the CCU (username = its uid), a retained last will
//   {"online": false} on sw/d/{uid}/status, reconnect with exponential back-off and jitter.
//   On connect: subscribe to its own and every outlet's sw/d/.../cmd, publish its retained
//   status, the outlets' retained statuses as it knows them, a `boot` event once per boot,
//   then flush buffered telemetry.
// * Telemetry: every interval one reading of the breaker current for the CCU and one of
//   currents and relay states per outlet whose status is known (from the gateway's polls);
//   an extra outlet reading right after a relay command or a trip. Readings go through a
//   bounded ring (kMaxBuffered; when full the oldest is dropped and counted) and leave it
//   only when their publish is acknowledged: batches of up to kMaxBatch readings of one
//   device as a JSON array with their original timestamps, one batch in flight.
// * Events: outlet online/offline -> the outlet's retained status; a socket newly tripped ->
//   `overload_trip` on the outlet (with the last current seen); a tripped socket back on ->
//   `overload_retry`; local shedding -> `breaker_cutoff` on the CCU (action shed / cut_all).
// * Commands (JSON on sw/d/{uid}/cmd and sw/d/{outlet}/cmd), answered on .../cmd/result:
//     outlet:  relay {socket, on}, set_threshold {ma}, cut {sockets: "all"}
//     gateway: cut {sockets: "all"} (every socket of every outlet), restart
//   A relay command is sent on the radio; after its ACK the uplink waits verify_delay for
//   the outlet's next current measurement, asks for its STATUS and answers with the
//   socket's measured current (`current_ma`), which the server checks against the command.
//   NACKs, radio time-outs and a socket that tripped on switching are answered ok=false with
//   the reason. Expired commands are refused; a repeated id is answered again with the first
//   answer (or ignored while still in progress), never executed twice.
//
// Thread-safety: none; driven from the CCU's one task.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "fw/ccu_gateway.h"
#include "model/device.hpp"
#include "model/rng.hpp"

namespace sw::sim {

struct UplinkConfig {
  std::string uid;
  std::string firmware = "ccu-sim-1.0.0";
  std::string outlet_firmware = "outlet-sim-2.0.0";
  SimTime interval{30000};
  SimTime status_interval{30000};
  SimTime reconnect_min{1000};
  SimTime reconnect_max{60000};
  SimTime ack_timeout{30000};
  SimTime connect_timeout{30000};  // no OnConnected/OnDisconnected by then: failed
  SimTime verify_delay{600};       // > one outlet measurement window after the relay switched
  std::uint32_t breaker_limit_ma = 0;
  std::uint64_t seed = 1;
};

struct UplinkStats {
  std::uint64_t commands = 0;  // command messages received
  std::uint64_t answered = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t readings = 0;
  std::uint64_t dropped_readings = 0;
  std::uint64_t dropped_events = 0;  // produced while offline
  std::uint64_t published = 0;
  std::uint64_t acked = 0;
};

class CcuUplink {
 public:
  static constexpr std::size_t kMaxBuffered = 1024;
  static constexpr std::size_t kMaxBatch = 20;
  static constexpr std::size_t kMaxJobs = 16;
  static constexpr std::size_t kRemembered = 32;
  static constexpr std::size_t kMaxOpsInFlight = 8;  // of the gateway's queue of 16

  CcuUplink(const UplinkConfig& config, fw::CcuGateway& gateway);

  void AddOutlet(std::uint8_t address);
  // A reboot: RAM state is gone (buffer, jobs, session); the boot event is sent again.
  void Boot(SimTime now);

  void Tick(SimTime now, const WallClock& wall, std::uint32_t breaker_ma, Actions& out);
  void OnConnected(SimTime now, const WallClock& wall, Actions& out);
  void OnDisconnected(SimTime now);
  void OnPublishAcked(SimTime now, std::uint32_t token, Actions& out);
  void OnMessage(SimTime now, const WallClock& wall, std::string_view topic,
                 std::string_view payload, Actions& out);
  // What the gateway core reported (command results, events).
  void OnGatewayEffects(SimTime now, const WallClock& wall, const fw::GatewayEffects& fx,
                        Actions& out);

  // True once a `restart` was answered and acknowledged (the CCU then reboots).
  bool restart_due(SimTime now) const;
  bool connected() const { return connected_; }
  std::size_t buffered() const { return ring_.size(); }
  const UplinkStats& stats() const { return stats_; }
  std::string OutletUid(std::uint8_t address) const;

 private:
  struct Reading {
    std::uint64_t seq = 0;
    std::size_t device = 0;  // 0: the CCU, k: outlets_[k - 1]
    std::string sample;      // {"ts":...,"values":{...}}
  };
  struct Op {
    std::uint32_t radio_id = 0;
    std::uint8_t address = 0;
    fw::RadioCommand command = fw::RadioCommand::kStatus;
    std::uint8_t socket = 0;
    std::uint8_t payload[2] = {0, 0};
    std::uint8_t payload_size = 0;
    bool submitted = false;
    bool done = false;
    fw::CommandOutcome outcome = fw::CommandOutcome::kRejected;
    fw::NackReason reason = fw::NackReason::kUnknownCommand;
    fw::OutletStatus status;
  };
  enum class JobKind : std::uint8_t { kRelay, kThreshold, kCut, kRestart };
  struct Job {
    std::string id;
    std::string target;  // uid the command was addressed to (answer topic)
    JobKind kind = JobKind::kRelay;
    std::vector<Op> ops;
    int socket_index = 0;  // relay
    bool relay_on = false;
    bool verifying = false;  // relay: ACKed, waiting for verify_at, then a STATUS op
    SimTime verify_at{0};
  };
  struct Remembered {
    std::string id;
    std::string target;
    std::string payload;
  };
  struct OutletState {
    std::uint8_t address = 0;
    std::string uid;
    bool online = false;
    bool reported_online = false;  // what the retained status says
    bool tripped[2] = {false, false};
    std::uint16_t last_current[2] = {0, 0};  // last non-zero current seen
    bool reading_due = false;
  };

  void StartConnect(SimTime now, Actions& out);
  void ScheduleReconnect(SimTime now);
  void PublishStatus(SimTime now, Actions& out);
  void PublishOutletStatus(OutletState& o, Actions& out);
  void PublishEvent(std::size_t device, const WallClock& wall, SimTime now, std::string_view type,
                    std::string_view extra_json, Actions& out);
  void Publish(std::string topic, std::string payload, bool retain, std::uint32_t token,
               Actions& out);
  void Buffer(std::size_t device, std::string sample);
  void TakeReadings(SimTime now, const WallClock& wall, std::uint32_t breaker_ma, bool ccu);
  std::string OutletSample(const WallClock& wall, SimTime now, const fw::OutletRecord& r) const;
  void Flush(SimTime now, Actions& out);

  void HandleCommand(SimTime now, const WallClock& wall, std::string_view target,
                     std::string_view payload, Actions& out);
  void StartJob(Job job, Actions& out);
  void Pump(SimTime now, Actions& out);
  void OnResult(SimTime now, const fw::CommandResult& r, Actions& out);
  void FinishJob(std::size_t index, SimTime now, Actions& out);
  void Answer(const std::string& target, const std::string& id, bool ok, std::string_view detail,
              const std::uint16_t* current_ma, Actions& out);
  OutletState* FindOutlet(std::uint8_t address);
  std::size_t DeviceIndex(std::uint8_t address) const;
  const std::string& DeviceUid(std::size_t device) const;

  UplinkConfig config_;
  fw::CcuGateway& gateway_;
  Rng rng_;
  std::vector<OutletState> outlets_;

  SimTime boot_at_{0};
  bool connected_ = false;
  bool connecting_ = false;
  SimTime connect_started_{0};
  SimTime next_connect_{0};
  SimTime backoff_{0};
  bool boot_event_sent_ = false;
  SimTime next_status_{0};
  SimTime next_reading_{0};
  std::uint32_t last_breaker_ma_ = 0;

  std::deque<Reading> ring_;
  std::uint64_t next_seq_ = 1;
  std::vector<std::uint64_t> batch_;  // seqs of the batch in flight
  std::uint32_t batch_token_ = 0;
  SimTime batch_sent_{0};
  std::uint32_t next_token_ = 1;

  std::vector<Job> jobs_;
  std::deque<Remembered> remembered_;
  std::uint32_t next_radio_id_ = 1;
  std::uint32_t restart_token_ = 0;
  bool restart_answered_ = false;
  SimTime restart_at_{0};

  UplinkStats stats_;
};

// "a"/"b" for socket 1/2.
std::string_view SocketName(std::uint8_t socket);
std::string_view NackReasonText(fw::NackReason reason);

}  // namespace sw::sim
