// PitNode: a simulated pit sensor node — the real fw::SensorNode with its settings in a
// simulated flash page, fed by a PitModel through the wire formats of its sensors (DHT22
// frames every 2.5 s, the PMS5003's UART stream every second, BME680 readings every 3 s).
// The wall clock is set at boot, as SNTP would. A `restart` command reboots the node (the
// session dies, settings survive).
//
// Scenario commands (Apply):  <node> sanding|fan|heater on|off
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fw/nvm.h"
#include "fw/sensor_node.h"
#include "model/device.hpp"
#include "model/pit.hpp"

namespace sw::sim {

struct PitNodeOptions {
  std::string uid;
  std::string firmware = "node-sim-1.4.0";
  std::uint32_t interval_s = 30;
  PitParams pit;
  std::uint64_t seed = 1;
  // Local time zone offset for the daily cycle.
  std::int64_t utc_offset_s = 3600;
};

class PitNode final : public Device {
 public:
  static constexpr SimTime kRebootTime{1500};

  PitNode(const PitNodeOptions& options, const WallClock& wall);

  const std::string& uid() const override { return options_.uid; }
  void Boot(SimTime now, Actions& out) override;
  void Advance(SimTime now, Actions& out) override;
  void OnConnected(SimTime now, Actions& out) override;
  void OnDisconnected(SimTime now, Actions& out) override;
  void OnPublishAcked(SimTime now, std::uint32_t token, Actions& out) override;
  void OnMessage(SimTime now, std::string_view topic, std::string_view payload,
                 Actions& out) override;
  bool Owns(std::string_view uid) const override { return uid == options_.uid; }
  bool Apply(SimTime now, const Command& command, std::string* error) override;

  PitModel& pit() { return pit_; }
  const fw::SensorNode& node() const { return *node_; }
  std::uint32_t reboots() const { return reboots_; }

 private:
  void Start(SimTime now, Actions& out);
  void Convert(SimTime now, Actions& out);
  double LocalHour(SimTime now) const;

  PitNodeOptions options_;
  WallClock wall_;
  fw::MemoryNvm<fw::ConfigStore::kFootprint> nvm_;
  fw::ConfigStore store_;
  std::unique_ptr<fw::SensorNode> node_;
  fw::NodeActions actions_;
  PitModel pit_;
  SimTime last_pit_{0};
  SimTime next_dht_{0};
  SimTime next_pms_{0};
  SimTime next_bme_{0};
  bool down_ = false;
  SimTime up_at_{0};
  std::uint32_t reboots_ = 0;
};

}  // namespace sw::sim
