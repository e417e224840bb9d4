// SensorNode: the pit sensor node's firmware core (PRODUCT.md §4, ppf-workshop-system.md §10
// with its gaps fixed), sans I/O.
//
// Inputs: Boot(), Tick() with the time, decoded sensor samples or raw sensor bytes (DHT22
// frame, PMS5003 UART bytes, BME680/688 compensated values), the wall clock once SNTP has
// it, MQTT connection up/down and publish acknowledgements, and command payloads received
// on sw/d/{uid}/cmd. Outputs: NodeActions (connect with a last will, subscribe, publish,
// LED, reboot), written into a caller-provided buffer.
//
// * Reporting: every interval (default 30 s, the server's default report_interval_s) one
//   reading with the values that arrived since the previous one (BME680 temperature and
//   humidity preferred over the DHT22's; IAQ estimated from the BME680 gas resistance).
//   Telemetry is {"ts": unix ms, "values": {...}} with the catalogue's metric names
//   (temperature, humidity, pressure, gas_resistance, iaq, iaq_accuracy, pm1, pm25, pm10,
//   particles_03um ... particles_100um); `ts` is left out only while the clock is unknown.
// * Offline-first: every reading goes through a bounded ring (kMaxBufferedReadings; when
//   full the oldest is dropped and counted). While connected the ring is sent from the
//   oldest reading, several per message (a JSON array) up to max_batch_readings and
//   max_payload_bytes, one message in flight; readings leave the ring only when their
//   publish is acknowledged (OnPublishAcked), so a connection lost mid-flush loses nothing.
//   Timestamps are taken from the node's uptime and converted with the wall clock when sent,
//   so readings taken before SNTP answered still carry their real time.
// * Commands (JSON, PRODUCT.md §4): disable (stop reporting; commands are still answered),
//   enable, restart (answered, then a reboot action once the answer is acknowledged or after
//   restart_delay_ms), identify {seconds?} (LED blinks), set_interval {seconds} within
//   [min_interval_s, max_interval_s]. Every command is answered on sw/d/{uid}/cmd/result with
//   {"id", "ok", "detail"?}; unknown, malformed or expired commands get ok=false and a reason.
//   Delivery is at-least-once: the last kRememberedCommands ids are remembered and a repeated
//   id is answered again with the first answer, never executed twice. A payload without a
//   usable id cannot be answered and is only counted.
// * Settings (interval, disabled, the id of the last restart so that a re-sent restart does
//   not reboot the node again) persist through a ConfigStore; a setting that cannot be saved
//   is answered ok=false and not applied.
// * Connection: a connect action carrying the last will {"online": false} (retained, QoS 1)
//   on sw/d/{uid}/status; retried with exponential back-off and per-node jitter. On connect:
//   subscribe to the command topic, publish the retained status {"online": true, ...} (and
//   every status_interval_ms, so a disabled node still shows as present), a `boot` event
//   once per boot, then flush.
//
// Thread-safety: none. One instance driven from one task (the node's main loop).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fw/bme680.h"
#include "fw/config_store.h"
#include "fw/device_link.h"
#include "fw/dht22.h"
#include "fw/iaq.h"
#include "fw/json.h"
#include "fw/pms5003.h"
#include "fw/span.h"

namespace sw::fw {

struct SensorNodeConfig {
  std::string_view uid;               // [A-Za-z0-9._-]{1,64}; copied
  std::string_view firmware_version;  // e.g. "1.4.0"; copied (at most 23 characters)
  uint32_t default_interval_s = 30;
  uint32_t min_interval_s = 5;  // the DHT22 cannot be read faster than every 2 s
  uint32_t max_interval_s = 86400;
  uint32_t status_interval_ms = 30000;
  uint32_t reconnect_min_ms = 1000;     // doubled per failed attempt ...
  uint32_t reconnect_max_ms = 60000;    // ... up to this, plus up to 25 % jitter
  uint32_t jitter_seed = 1;             // e.g. from the MAC, so a fleet does not reconnect in step
  uint32_t connect_timeout_ms = 30000;  // no OnConnected/OnDisconnected by then: failed
  uint32_t ack_timeout_ms = 30000;      // an unacknowledged batch is sent again
  uint32_t restart_delay_ms = 3000;     // longest wait for the restart answer's acknowledgement
  uint32_t identify_default_s = 10;
  uint32_t identify_max_s = 300;
  uint16_t max_batch_readings = 20;
  uint16_t max_payload_bytes = 1024;  // clamped to [512, NodeActions::kMaxPayloadBytes]
};

// What one call produced. Owned by the caller; Clear() before each call (or use a fresh
// one). The views in the actions point into `text`: do not copy this object.
class NodeActions {
 public:
  static constexpr size_t kMaxActions = 8;
  static constexpr size_t kTextBytes = 2048;
  static constexpr size_t kMaxPayloadBytes = 1536;

  NodeActions() = default;
  NodeActions(const NodeActions&) = delete;
  NodeActions& operator=(const NodeActions&) = delete;

  void Clear() {
    list_.Clear();
    used_ = 0;
  }
  size_t size() const { return list_.size(); }
  const NodeAction& operator[](size_t i) const { return list_[i]; }
  const NodeAction* begin() const { return list_.begin(); }
  const NodeAction* end() const { return list_.end(); }
  uint32_t dropped() const { return dropped_; }  // actions that did not fit (a bug if != 0)

 private:
  friend class SensorNode;
  FixedVector<NodeAction, kMaxActions> list_;
  char text_[kTextBytes];
  size_t used_ = 0;
  uint32_t dropped_ = 0;
};

// One reading as buffered: fixed-point values and a bit per metric group present.
struct NodeReading {
  enum : uint16_t {
    kTemperature = 1u << 0,
    kHumidity = 1u << 1,
    kPressure = 1u << 2,
    kGas = 1u << 3,
    kIaq = 1u << 4,
    kPm = 1u << 5,
    kParticles = 1u << 6,
  };
  uint64_t taken_ms = 0;  // node uptime when taken
  uint16_t present = 0;
  int16_t temperature_cdeg = 0;  // 0.01 °C
  uint16_t humidity_cpct = 0;    // 0.01 %RH
  uint32_t pressure_pa = 0;
  uint32_t gas_ohm = 0;
  uint16_t iaq_d = 0;  // 0.1 index points
  uint8_t iaq_accuracy = 0;
  uint16_t pm[3] = {0, 0, 0};  // pm1, pm25, pm10 µg/m³ (atmospheric)
  uint16_t particles[6] = {0, 0, 0, 0, 0, 0};
};

class SensorNode {
 public:
  static constexpr size_t kMaxBufferedReadings = 256;
  static constexpr size_t kRememberedCommands = 16;
  static constexpr size_t kMaxDetailLength = 63;

  // store may be null (settings kept in RAM only).
  SensorNode(const SensorNodeConfig& config, ConfigStore* store);

  // False if the uid or the version is unusable; such a node never connects.
  bool valid() const { return valid_; }

  void Boot(uint32_t now_ms, NodeActions* out);
  void Tick(uint32_t now_ms, NodeActions* out);

  // The wall clock (from SNTP): `unix_ms` is the time at `now_ms`. May be called again.
  void SetWallClock(uint32_t now_ms, int64_t unix_ms) { clock_.SetWall(now_ms, unix_ms); }

  void OnConnected(uint32_t now_ms, const NodeLinkInfo& link, NodeActions* out);
  // The session ended or a connect attempt failed.
  void OnDisconnected(uint32_t now_ms, NodeActions* out);
  void OnPublishAcked(uint32_t now_ms, uint32_t token, NodeActions* out);
  // A message received on sw/d/{uid}/cmd.
  void OnCommand(uint32_t now_ms, std::string_view payload, NodeActions* out);

  void OnDht22(uint32_t now_ms, const Dht22Reading& reading);
  bool OnDht22Frame(uint32_t now_ms, ByteSpan frame);  // false (and counted) if invalid
  void OnPms5003(uint32_t now_ms, const Pms5003Reading& reading);
  void OnPms5003Bytes(uint32_t now_ms, ByteSpan uart_bytes);
  // False (and counted) if implausible: outside -40..85 °C, 0..100 %RH or 300..1100 hPa.
  bool OnBme680(uint32_t now_ms, const Bme680Reading& reading);

  bool connected() const { return connected_; }
  bool enabled() const { return !disabled_; }
  uint32_t interval_s() const { return interval_s_; }
  bool identifying() const { return identify_active_; }
  bool wall_clock_known() const { return clock_.wall_known(); }
  size_t buffered() const { return ring_.size(); }
  const NodeReading& BufferedAt(size_t i) const { return ring_.At(i); }
  uint32_t dropped_readings() const { return dropped_readings_; }
  uint32_t sensor_errors() const { return sensor_errors_; }
  uint32_t unanswerable_commands() const { return unanswerable_commands_; }
  uint32_t duplicate_commands() const { return duplicate_commands_; }
  uint64_t uptime_ms() const { return clock_.uptime_ms(); }

 private:
  struct Remembered {
    char id[kMaxCommandIdLength];
    uint8_t id_size = 0;
    bool ok = false;
    char detail[kMaxDetailLength + 1];
  };
  struct Outcome {
    bool ok = true;
    char detail[kMaxDetailLength + 1] = {};
    uint32_t token = 0;  // for the answer's publish
  };
  struct Latest {
    bool fresh = false;
    uint64_t at_ms = 0;
  };

  void Advance(uint32_t now_ms) { clock_.Advance(now_ms); }
  void Service(NodeActions* out);
  void TakeReading();
  void Buffer(const NodeReading& reading);
  void Flush(NodeActions* out);
  void PublishStatus(NodeActions* out);
  void PublishBootEvent(NodeActions* out);
  void ScheduleReconnect();
  bool SaveSettings(uint32_t interval_s, bool disabled, std::string_view restart_id);
  void LoadSettings();

  void Execute(std::string_view id, std::string_view name, std::string_view params,
               bool params_present, NodeActions* out, Outcome* outcome);
  void Answer(std::string_view id, const Outcome& outcome, NodeActions* out, uint32_t token);
  const Remembered* FindRemembered(std::string_view id) const;
  void Remember(std::string_view id, const Outcome& outcome);
  bool SetLed(NodeLed led, uint16_t period_ms, NodeActions* out);

  // Appends a publish of sw/d/{uid}{suffix} whose payload `build(JsonWriter&)` writes; all or
  // nothing.
  template <typename Build>
  bool Publish(NodeActions* out, std::string_view suffix, uint8_t qos, bool retain, uint32_t token,
               Build&& build);
  // Writes sw/d/{uid}{suffix} into the text buffer; empty if it does not fit.
  std::string_view AppendTopic(NodeActions* out, std::string_view suffix);
  NodeAction* Add(NodeActions* out, NodeActionKind kind);
  bool WallTime(uint64_t uptime_ms, int64_t* unix_ms) const {
    return clock_.WallTime(uptime_ms, unix_ms);
  }
  void WriteReading(JsonWriter& w, const NodeReading& r) const;
  uint32_t NextToken();

  SensorNodeConfig config_;
  ConfigStore* store_;
  bool valid_ = false;
  char uid_[kMaxUidLength];
  size_t uid_size_ = 0;
  char version_[kMaxFirmwareVersionLength];
  size_t version_size_ = 0;

  // Time: 64-bit uptime accumulated from the wrapping 32-bit inputs.
  DeviceClock clock_;

  // Settings.
  uint32_t interval_s_ = 30;
  bool disabled_ = false;
  char restart_id_[kMaxCommandIdLength];
  size_t restart_id_size_ = 0;

  // Sensors.
  Pms5003Parser pms_parser_;
  IaqEstimator iaq_;
  Latest dht_;
  Dht22Reading dht_value_;
  Latest pms_;
  Pms5003Reading pms_value_;
  Latest bme_;
  Bme680Reading bme_value_;
  IaqOutput iaq_value_;
  uint64_t next_report_ms_ = 0;
  uint64_t last_report_ms_ = 0;

  // Buffer and flush.
  FixedQueue<NodeReading, kMaxBufferedReadings> ring_;
  bool batch_in_flight_ = false;
  uint32_t batch_token_ = 0;
  size_t batch_count_ = 0;
  uint64_t batch_sent_ms_ = 0;
  uint32_t next_token_ = 1;

  // Connection.
  bool connected_ = false;
  bool connecting_ = false;
  uint64_t next_connect_ms_ = 0;
  uint64_t connect_started_ms_ = 0;
  uint32_t backoff_ms_ = 0;
  uint32_t jitter_state_ = 1;
  bool boot_event_sent_ = false;
  uint64_t next_status_ms_ = 0;
  bool status_dirty_ = false;
  char ip_[40];
  size_t ip_size_ = 0;
  bool has_rssi_ = false;
  int16_t rssi_ = 0;

  // Commands.
  Remembered remembered_[kRememberedCommands];
  size_t remembered_count_ = 0;
  size_t remembered_next_ = 0;
  bool identify_active_ = false;
  uint64_t identify_until_ms_ = 0;
  bool restart_pending_ = false;
  uint32_t restart_token_ = 0;
  uint64_t restart_at_ms_ = 0;

  uint32_t dropped_readings_ = 0;
  uint32_t sensor_errors_ = 0;
  uint32_t unanswerable_commands_ = 0;
  uint32_t duplicate_commands_ = 0;
};

}  // namespace sw::fw
