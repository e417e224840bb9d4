// DemoDirector: the people of the demo workshop, as scenario commands generated on the
// fly (so `--demo` runs forever with values that keep changing, through the same commands
// a scenario file uses):
//   * pits: sanding sessions with the extraction fan (often in the prep bay, rarely and
//     sometimes without the fan elsewhere); the heater in the application bays;
//   * per CCU: the heat guns and the dust extractor used in bursts, the compressor's air
//     use changing, the base load wandering, and the faulty dehumidifier's motor stalling
//     now and then (its socket trips, retries, trips again, then recovers) — coordinated so
//     the breaker nears its limit at times without crossing it.
// Deterministic for a seed. Thread-safety: none.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/device.hpp"
#include "model/load.hpp"
#include "model/rng.hpp"

namespace sw::sim {

struct DemoSocket {
  std::string outlet_uid;
  std::string socket;  // "a" / "b"
  LoadKind kind = LoadKind::kNone;
};

struct DemoCcu {
  std::string uid;
  std::vector<DemoSocket> sockets;
  double base_min_a = 1.5;
  double base_max_a = 3.0;
};

class DemoDirector {
 public:
  explicit DemoDirector(std::uint64_t seed) : rng_(seed) {}

  // The last pit added with prep_bay = true gets the most sanding.
  void AddPit(const std::string& node_uid, bool prep_bay);
  void AddCcu(const DemoCcu& ccu);

  // Appends the commands due at or before `now`.
  void Poll(SimTime now, std::vector<Command>* out);

 private:
  enum class Role : std::uint8_t { kPit, kHeater, kBurst, kFault, kAir, kBase };
  struct Actor {
    Role role = Role::kBurst;
    std::string target;
    std::string socket;
    int ccu = -1;
    bool prep_bay = false;
    LoadKind kind = LoadKind::kNone;
    bool on = false;  // the appliance is switched on / the fault is active
    int phase = 0;
    SimTime next{0};
  };
  SimTime Between(double lo_s, double hi_s);
  void Act(SimTime now, Actor& a, std::vector<Command>* out);
  bool Busy(int ccu, Role role, LoadKind kind) const;

  Rng rng_;
  std::vector<Actor> actors_;
  std::vector<DemoCcu> ccus_;
  // Per CCU: the heat gun running, a fault episode in progress.
  std::vector<bool> heat_on_;
  std::vector<bool> fault_on_;
};

}  // namespace sw::sim
