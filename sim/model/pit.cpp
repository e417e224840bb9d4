#include "model/pit.hpp"

#include <algorithm>
#include <cmath>

namespace sw::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

double Clamp(double v, double lo, double hi) {
  return std::min(std::max(v, lo), hi);
}

}  // namespace

double SaturationMoisture(double t) {
  return 5.018 + 0.32321 * t + 8.1847e-3 * t * t + 3.1243e-4 * t * t * t;
}

PitModel::PitModel(const PitParams& params, std::uint64_t seed) : params_(params), rng_(seed) {
  moisture_gm3_ = params_.moisture_gm3;
  pressure_hpa_ = params_.pressure_hpa;
  Derive();
}

void PitModel::Step(std::chrono::milliseconds dt, double local_hour) {
  double left = static_cast<double>(std::max<std::int64_t>(dt.count(), 0)) / 1000.0;
  if (!started_) {
    // Start in equilibrium with the time of day rather than from zero.
    started_ = true;
    temperature_c_ = params_.mean_temperature_c +
                     params_.daily_swing_c * std::sin(2 * kPi * (local_hour - 9.0) / 24.0);
  }
  left = std::min(left, 3600.0);  // a long pause is not replayed second by second
  while (left > 0) {
    const double s = std::min(left, 1.0);
    SubStep(s, local_hour);
    left -= s;
  }
  Derive();
}

void PitModel::SubStep(double s, double local_hour) {
  // Temperature: first-order lag towards the daily cycle (+ heater).
  const double target = params_.mean_temperature_c +
                        params_.daily_swing_c * std::sin(2 * kPi * (local_hour - 9.0) / 24.0) +
                        (heater_ ? params_.heater_gain_c : 0.0);
  temperature_c_ += (target - temperature_c_) * (s / 1200.0);
  temperature_c_ += 0.01 * std::sqrt(s) * rng_.Normal();

  // Moisture: a bounded random walk around the pit's level; the fan mixes in outside air.
  moisture_gm3_ += 0.004 * std::sqrt(s) * rng_.Normal();
  moisture_gm3_ += (params_.moisture_gm3 - moisture_gm3_) * (s / 3600.0);
  if (fan_) moisture_gm3_ += (params_.outside_moisture_gm3 - moisture_gm3_) * (s / 600.0);
  moisture_gm3_ = Clamp(moisture_gm3_, 1.0, SaturationMoisture(temperature_c_));

  pressure_hpa_ += 0.002 * std::sqrt(s) * rng_.Normal();
  pressure_hpa_ += (params_.pressure_hpa - pressure_hpa_) * (s / 86400.0);
  pressure_hpa_ = Clamp(pressure_hpa_, 980.0, 1040.0);

  // Sanding bursts: a new intensity every 2..8 s.
  intensity_left_s_ -= s;
  if (intensity_left_s_ <= 0) {
    intensity_ = rng_.Uniform(0.3, 1.7);
    intensity_left_s_ = rng_.Uniform(2.0, 8.0);
  }
  const double exchange = fan_ ? params_.fan_exchange_s : params_.natural_exchange_s;
  const double source = sanding_ ? params_.sanding_source * intensity_ : 0.0;
  sanding_dust_ += source * s - sanding_dust_ * (s / exchange);
  sanding_dust_ = Clamp(sanding_dust_, 0.0, 5000.0);

  voc_ += (sanding_ ? 0.0015 * intensity_ : 0.0) * s - voc_ * (s / exchange);
  voc_ = Clamp(voc_, 0.0, 3.0);

  background_wobble_ += 0.05 * std::sqrt(s) * rng_.Normal() - background_wobble_ * (s / 600.0);
  background_wobble_ = Clamp(background_wobble_, -0.5, 0.5);
}

void PitModel::Derive() {
  PitConditions c;
  c.temperature_c = temperature_c_;
  c.humidity_pct = Clamp(100.0 * moisture_gm3_ / SaturationMoisture(temperature_c_), 0.0, 100.0);
  c.pressure_hpa = pressure_hpa_;
  const double bg10 = params_.background_pm10 * (1.0 + background_wobble_);
  const double bg25 = 0.6 * bg10;
  const double bg1 = 0.4 * bg10;
  // Sanding dust is coarse: most of its mass is above 2.5 µm.
  c.pm10 = Clamp(bg10 + sanding_dust_, 0.0, 999.0);
  c.pm25 = Clamp(bg25 + 0.35 * sanding_dust_, 0.0, c.pm10);
  c.pm1 = Clamp(bg1 + 0.15 * sanding_dust_, 0.0, c.pm25);
  // Counts per 0.1 L, shaped like a PMS5003's: many small particles, few large ones.
  const double fine = c.pm1;
  const double mid = c.pm25 - c.pm1;
  const double coarse = c.pm10 - c.pm25;
  c.particles[0] = 55.0 * fine + 20.0 * mid + 4.0 * coarse;
  c.particles[1] = 16.0 * fine + 12.0 * mid + 3.0 * coarse;
  c.particles[2] = 2.5 * fine + 6.0 * mid + 2.2 * coarse;
  c.particles[3] = 0.2 * fine + 1.0 * mid + 1.2 * coarse;
  c.particles[4] = 0.05 * mid + 0.4 * coarse;
  c.particles[5] = 0.1 * coarse;
  for (double& p : c.particles) p = Clamp(p, 0.0, 65535.0);
  c.voc = voc_;
  const double humidity_factor = 1.0 - 0.004 * (c.humidity_pct - 40.0);
  c.gas_ohm = Clamp(params_.clean_gas_ohm / (1.0 + 6.0 * voc_) * humidity_factor, 2000.0, 2.0e6);
  now_ = c;
}

}  // namespace sw::sim
