// SimOutlet: one smart outlet — the real fw::OutletController with its settings in a
// simulated EEPROM, two ACS712 front ends fed by the appliances plugged into its sockets,
// and a radio station on its CCU's channel (bytes through fw::RadioStreamParser).
//
// The relay states of the core decide which loads are powered; every kWindowLength the
// outlet synthesises one ADC window per socket from the loads' currents and hands them to
// the core, which calibrates on the first (relays off at boot), then measures, trips and
// retries by itself. Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "fw/nvm.h"
#include "fw/outlet_controller.h"
#include "fw/radio_stream.h"
#include "model/adc.hpp"
#include "model/load.hpp"
#include "model/radio.hpp"

namespace sw::sim {

struct OutletOptions {
  std::uint8_t address = 0x01;
  std::uint8_t master = 0x02;  // the CCU's radio address
  std::uint16_t threshold_ma = 12000;
  // Sockets come back on after boot (power-cut policy `restore`, last state on).
  bool relays_on_at_boot = false;
  std::uint64_t seed = 1;
};

struct OutletStats {
  std::uint32_t trips = 0;
  std::uint32_t retries = 0;
  std::uint32_t frames_received = 0;
  std::uint32_t frames_sent = 0;
};

class SimOutlet {
 public:
  SimOutlet(const OutletOptions& options, RadioChannel& radio);
  SimOutlet(const SimOutlet&) = delete;
  SimOutlet& operator=(const SimOutlet&) = delete;

  void Boot(SimTime now);
  void Advance(SimTime now);
  void OnRadio(SimTime now, const std::vector<std::uint8_t>& bytes);

  std::uint8_t address() const { return options_.address; }
  int station() const { return station_; }
  Load& load(int index) { return loads_[index]; }
  const Load& load(int index) const { return loads_[index]; }
  void Plug(int index, LoadKind kind);
  // The physical current (A) through socket `index` at time t.
  double SocketAmps(int index, SimTime t) const;
  const fw::OutletController& controller() const { return controller_; }
  const OutletStats& stats() const { return stats_; }

 private:
  void Handle(SimTime now, const fw::OutletEffects& fx);

  OutletOptions options_;
  RadioChannel& radio_;
  int station_;
  fw::MemoryNvm<fw::ConfigStore::kFootprint> nvm_;
  fw::ConfigStore store_;
  fw::OutletController controller_;
  fw::RadioStreamParser parser_;
  Load loads_[2];
  Rng rng_;
  SimTime next_window_{0};
  std::vector<std::uint16_t> window_a_;
  std::vector<std::uint16_t> window_b_;
  OutletStats stats_;
};

}  // namespace sw::sim
