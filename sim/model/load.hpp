// Load: an appliance plugged into an outlet socket, as the current it draws over time.
//
// Kinds (currents are RMS at 230 V):
//   heat_gun    2000 W resistive, 8.7 A with a slow thermostat wobble
//   compressor  a motor behind a pressure switch: runs from 6 to 8 bar while air is used,
//               5.2 A running, an inrush of 2× decaying in ~50 ms at every start
//   extractor   a dust extractor motor, 4.5 A, the same inrush at every start
//   lights      LED panels, 0.52 A
//   charger     battery chargers and a radio, 0.3 A
//   faulty      a dehumidifier with a failing motor: 2.2 A; while its fault is active it
//               draws 12.8 A (above the outlet's threshold, so the socket trips)
// An appliance draws current only while its socket is powered (the relay) *and* its own
// switch is on. All loads are taken as in phase with the voltage (power factor 1), so the
// currents of a circuit add up arithmetically.
// Sans-I/O: Advance() moves the appliance's state to a time; CurrentA() evaluates the
// current at any time since the previous Advance. Thread-safety: none.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "model/device.hpp"
#include "model/rng.hpp"

namespace sw::sim {

enum class LoadKind : std::uint8_t {
  kNone,
  kHeatGun,
  kCompressor,
  kExtractor,
  kLights,
  kCharger,
  kFaulty,
};

std::string_view LoadKindName(LoadKind kind);
std::optional<LoadKind> ParseLoadKind(std::string_view name);

class Load {
 public:
  static constexpr double kInrushFactor = 2.0;
  static constexpr double kInrushTauS = 0.05;

  Load() = default;
  Load(LoadKind kind, std::uint64_t seed);

  LoadKind kind() const { return kind_; }
  void SetSwitch(bool on) { switch_on_ = on; }
  bool switched_on() const { return switch_on_; }
  void SetFault(bool on) { fault_ = on; }
  bool fault() const { return fault_; }
  // The compressor's air use (bar per second drawn from the tank while a tool runs).
  void SetAirUse(double bar_per_s) { air_use_ = bar_per_s; }
  double tank_bar() const { return tank_bar_; }
  bool motor_running() const { return running_; }

  // Moves the appliance to `now`, with its socket powered or not.
  void Advance(SimTime now, bool powered);
  // RMS current (A) at time t, with the state of the last Advance; 0 before a motor's start.
  double CurrentA(SimTime t) const;
  // The steady current when running (A), 0 for kNone.
  double RatedA() const;

 private:
  LoadKind kind_ = LoadKind::kNone;
  Rng rng_{1};
  bool switch_on_ = false;
  bool fault_ = false;
  bool powered_ = false;
  bool running_ = false;  // drawing current (motors: spinning)
  SimTime started_{0};
  SimTime last_{0};
  bool advanced_ = false;
  double tank_bar_ = 6.5;
  double air_use_ = 0.0;
  double phase_ = 0.0;
};

}  // namespace sw::sim
