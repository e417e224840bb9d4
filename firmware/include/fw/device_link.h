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

// What the network shell knows about the link, for the status message.
struct NodeLinkInfo {
  std::string_view ip;
  bool has_rssi = false;
  int16_t rssi = 0;  // dBm
};

}  // namespace sw::fw
