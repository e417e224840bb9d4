// PitModel: the air of one work bay, as the pit node's sensors would see it.
//
// * Temperature follows a daily cycle (warmest mid-afternoon) with a 20-minute thermal lag;
//   a heater lifts it by a few degrees.
// * Humidity comes from the absolute moisture content (g/m³), which wanders slowly and is
//   pulled towards the outside air by the fan; relative humidity therefore falls when the
//   pit warms up, as it does in a real room.
// * Dust: sanding releases coarse particles in bursts (the intensity changes every few
//   seconds); the concentration decays through natural air exchange, and much faster with
//   the extraction fan on. PM1/PM2.5/PM10 and the particle counts are derived from a
//   background share and the sanding share.
// * VOCs rise while sanding (primer, filler) and are cleared the same way as dust; the gas
//   resistance a BME680 would measure falls with them (and slightly with humidity).
// * Pressure wanders within the weather's range.
// Sans-I/O: Step() takes the elapsed time and the local hour. Thread-safety: none.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "model/rng.hpp"

namespace sw::sim {

struct PitParams {
  double mean_temperature_c = 21.0;
  double daily_swing_c = 2.5;         // ± around the mean
  double heater_gain_c = 4.0;         // added while the heater runs
  double moisture_gm3 = 8.5;          // absolute humidity the pit drifts around
  double outside_moisture_gm3 = 6.5;  // what the fan pulls in
  double pressure_hpa = 1012.0;
  double background_pm10 = 9.0;       // µg/m³
  double sanding_source = 4.0;        // µg/m³ per second at full intensity
  double natural_exchange_s = 300.0;  // decay time constant without the fan
  double fan_exchange_s = 40.0;       // ... with the fan
  double clean_gas_ohm = 180000.0;
};

struct PitConditions {
  double temperature_c = 0;
  double humidity_pct = 0;
  double pressure_hpa = 0;
  double pm1 = 0, pm25 = 0, pm10 = 0;  // µg/m³
  // Counts per 0.1 L above 0.3, 0.5, 1.0, 2.5, 5.0, 10 µm (non-increasing).
  std::array<double, 6> particles = {};
  double voc = 0;  // 0 clean .. ~1 heavy
  double gas_ohm = 0;
};

// Saturation vapour density of air (g/m³) at `t` °C (a cubic fit, good for 0..50 °C).
double SaturationMoisture(double temperature_c);

class PitModel {
 public:
  PitModel(const PitParams& params, std::uint64_t seed);

  void SetSanding(bool on) { sanding_ = on; }
  void SetFan(bool on) { fan_ = on; }
  void SetHeater(bool on) { heater_ = on; }
  bool sanding() const { return sanding_; }
  bool fan() const { return fan_; }
  bool heater() const { return heater_; }

  // Advances by `dt` (bounded internally to 1 s sub-steps); `local_hour` in [0, 24).
  void Step(std::chrono::milliseconds dt, double local_hour);
  const PitConditions& conditions() const { return now_; }
  double sanding_dust() const { return sanding_dust_; }

 private:
  void SubStep(double seconds, double local_hour);
  void Derive();

  PitParams params_;
  Rng rng_;
  bool sanding_ = false;
  bool fan_ = false;
  bool heater_ = false;
  bool started_ = false;
  double temperature_c_ = 0;
  double moisture_gm3_ = 0;
  double pressure_hpa_ = 0;
  double sanding_dust_ = 0;  // µg/m³ PM10 from sanding
  double intensity_ = 1.0;   // current burst intensity
  double intensity_left_s_ = 0;
  double voc_ = 0;
  double background_wobble_ = 0;
  PitConditions now_;
};

}  // namespace sw::sim
