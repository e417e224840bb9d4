// The seam between the simulated devices and the network: a device asks its MQTT session for
// things (LinkAction) and is told what happened (the Device callbacks). The simulation model
// never touches a socket; net/mqtt_transport.* carries the actions over libmosquitto, and the
// tests use a fake that records them.
//
// Time: SimTime is the simulation clock (milliseconds since the simulation started); the
// wall clock is a fixed offset from it (WallClock), so a run is reproducible under a fake
// clock. The firmware cores take the low 32 bits of SimTime as their millisecond tick.
// Thread-safety: none; the whole model is driven from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sw::sim {

using SimTime = std::chrono::milliseconds;

inline std::uint32_t Tick32(SimTime t) {
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(t.count()));
}

// unix ms = offset + simulation time.
struct WallClock {
  std::int64_t unix_ms_at_start = 0;
  std::int64_t UnixMs(SimTime t) const { return unix_ms_at_start + t.count(); }
};

struct LinkAction {
  enum class Kind : std::uint8_t {
    kConnect,     // open the session (username = the device's uid); will in topic/payload
    kSubscribe,   // topic, qos
    kPublish,     // topic, payload, qos, retain; token != 0: OnPublishAcked(token) later
    kDisconnect,  // a clean MQTT DISCONNECT (no will)
    kAbort,       // the link dies without DISCONNECT (power cut, cable): the broker sends the will
  };
  Kind kind = Kind::kPublish;
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  std::uint32_t token = 0;
};
using Actions = std::vector<LinkAction>;

// Carries LinkActions for a device's session. Events come back through the Device methods,
// never from inside Execute (no re-entrancy).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Execute(std::size_t client, const LinkAction& action) = 0;
};

// One scenario command addressed to a device: `words` after the target uid, e.g.
// {"a", "switch", "on"} for "CCU-1.01 a switch on".
struct Command {
  std::string target;
  std::vector<std::string> words;
};

// A simulated device with its own MQTT session (a pit node, or a CCU that also speaks for
// its outlets).
class Device {
 public:
  virtual ~Device() = default;
  virtual const std::string& uid() const = 0;
  virtual void Boot(SimTime now, Actions& out) = 0;
  // Advances the physical model and the firmware to `now` (called every simulation step).
  virtual void Advance(SimTime now, Actions& out) = 0;
  virtual void OnConnected(SimTime now, Actions& out) = 0;
  // The session ended, or a connect attempt failed.
  virtual void OnDisconnected(SimTime now, Actions& out) = 0;
  virtual void OnPublishAcked(SimTime now, std::uint32_t token, Actions& out) = 0;
  virtual void OnMessage(SimTime now, std::string_view topic, std::string_view payload,
                         Actions& out) = 0;
  // Whether `uid` is this device or one it speaks for (a CCU's outlets).
  virtual bool Owns(std::string_view uid) const = 0;
  // Applies a scenario command to this device; false with *error when it is not understood.
  virtual bool Apply(SimTime now, const Command& command, std::string* error) = 0;
};

}  // namespace sw::sim
