// What a device core asks of its network shell: the MQTT actions (connect with a will,
// subscribe, publish with an acknowledgement token, LED, reboot) shared by the sensor node
// (SensorNode/NodeActions) and the CCU's uplink (GatewayUplink/UplinkActions), and what the
// shell tells the core about the link. Plain value types; views point into the owning
// action container's text buffer.
// Thread-safety: none; values belong to one task.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sw::fw {

inline constexpr size_t kMaxUidLength = 64;
inline constexpr size_t kMaxCommandIdLength = 64;
inline constexpr size_t kMaxFirmwareVersionLength = 23;

enum class NodeActionKind : uint8_t {
  kConnect,    // open the MQTT session (username = uid) with the will in topic/payload
  kSubscribe,  // topic, qos
  kPublish,    // topic, payload, qos, retain; token != 0: report OnPublishAcked(token)
  kSetLed,     // led, led_period_ms
  kReboot,
};

enum class NodeLed : uint8_t { kOff, kOn, kBlink };

struct NodeAction {
  NodeActionKind kind = NodeActionKind::kPublish;
  std::string_view topic;    // views into the owning container's text buffer
  std::string_view payload;  // kConnect: the will's payload
  uint8_t qos = 0;
  bool retain = false;
  uint32_t token = 0;
  NodeLed led = NodeLed::kOff;
  uint16_t led_period_ms = 0;  // kBlink: one on+off cycle
};

// A device core's sense of time: uptime from the shell's wrapping 32-bit millisecond tick
// (a tick earlier than the last one counts as no time passed) and the wall clock the shell
// sets (SNTP or the server's time), to stamp readings with the time they were taken.
class DeviceClock {
 public:
  // Counting from `now_ms` at uptime 0 (boot). The wall clock is forgotten: it was mapped to
  // the old uptime; the shell sets it again (a stale mapping would misdate every reading).
  void Restart(uint32_t now_ms) {
    started_ = true;
    last_now_ms_ = now_ms;
    uptime_ms_ = 0;
    wall_known_ = false;
  }
  // Before the first Restart only remembers `now_ms`.
  void Advance(uint32_t now_ms) {
    if (!started_) {
      last_now_ms_ = now_ms;
      return;
    }
    const uint32_t delta = now_ms - last_now_ms_;
    if (delta < 0x80000000u) {
      uptime_ms_ += delta;
      last_now_ms_ = now_ms;
    }
  }
  void SetWall(uint32_t now_ms, int64_t unix_ms) {
    Advance(now_ms);
    wall_known_ = true;
    wall_unix_at_sync_ = unix_ms;
    wall_uptime_at_sync_ = uptime_ms_;
  }
  // The unix time at `uptime_ms`; false while no wall clock was set.
  bool WallTime(uint64_t uptime_ms, int64_t* unix_ms) const {
    if (!wall_known_) return false;
    *unix_ms = wall_unix_at_sync_ +
               (static_cast<int64_t>(uptime_ms) - static_cast<int64_t>(wall_uptime_at_sync_));
    return true;
  }
  bool started() const { return started_; }
  uint64_t uptime_ms() const { return uptime_ms_; }
  bool wall_known() const { return wall_known_; }

 private:
  bool started_ = false;
  bool wall_known_ = false;
  uint32_t last_now_ms_ = 0;
  uint64_t uptime_ms_ = 0;
  int64_t wall_unix_at_sync_ = 0;
  uint64_t wall_uptime_at_sync_ = 0;
};

// What the network shell knows about the link, for the status message.
struct NodeLinkInfo {
  std::string_view ip;
  bool has_rssi = false;
  int16_t rssi = 0;  // dBm
};

}  // namespace sw::fw
