// World: the simulated fleet on one clock. It owns the devices (client index = position),
// applies scenario steps when they are due, advances every device each step, and passes
// the devices' LinkActions to the Transport; the transport's events come back through the
// On* methods. A device can also be cut off the network for a while (scenario:
// `<uid> offline <duration>`): its session is aborted and its connect attempts fail.
// Thread-safety: none; one thread drives the world and the transport.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/device.hpp"
#include "model/scenario.hpp"

namespace sw::sim {

struct WorldStats {
  std::uint64_t connects = 0;
  std::uint64_t connected = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t published = 0;
  std::uint64_t acked = 0;
  std::uint64_t received = 0;
  std::uint64_t steps_applied = 0;
};

class World {
 public:
  explicit World(Transport& transport) : transport_(transport) {}

  // Returns the device's client index.
  std::size_t Add(std::unique_ptr<Device> device);
  std::size_t size() const { return devices_.size(); }
  Device& device(std::size_t i) { return *devices_[i].device; }
  Device* Find(std::string_view uid);

  void SetScenario(Scenario scenario) { scenario_ = std::move(scenario); }
  // Applies one command now (the scenario and the demo director use this). False with
  // *error when no device takes it.
  bool Apply(SimTime now, const Command& command, std::string* error);

  void Boot(SimTime now);
  void Advance(SimTime now);
  bool finished() const { return finished_; }
  // Errors of scenario steps that did not apply (the run goes on).
  const std::vector<std::string>& errors() const { return errors_; }

  void OnConnected(SimTime now, std::size_t client);
  void OnDisconnected(SimTime now, std::size_t client);
  void OnPublishAcked(SimTime now, std::size_t client, std::uint32_t token);
  void OnMessage(SimTime now, std::size_t client, std::string_view topic, std::string_view payload);

  const WorldStats& stats() const { return stats_; }

 private:
  struct Slot {
    std::unique_ptr<Device> device;
    SimTime offline_until{0};
    bool refuse_pending = false;  // a connect attempt refused while offline
    bool session = false;         // a connect was executed and not yet reported ended
  };
  void Run(SimTime now, std::size_t client, Actions& actions);

  Transport& transport_;
  std::vector<Slot> devices_;
  Scenario scenario_;
  std::size_t next_step_ = 0;
  bool finished_ = false;
  std::vector<std::string> errors_;
  WorldStats stats_;
  Actions scratch_;
};

}  // namespace sw::sim
