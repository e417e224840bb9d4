// RMS current math: see fw/rms_current.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/rms_current.h"

#include <cmath>

namespace sw::fw {

CurrentSensorSpec Acs712Spec(float sensitivity_mv_per_a, float vref_mv, uint32_t adc_full_scale,
                             uint32_t noise_floor_ma) {
  CurrentSensorSpec spec;
  const float mv_per_count = vref_mv / static_cast<float>(adc_full_scale);
  spec.ma_per_count = mv_per_count / sensitivity_mv_per_a * 1000.0f;
  spec.noise_floor_ma = noise_floor_ma;
  return spec;
}

CurrentSensorSpec Sct013Spec(float turns, float burden_ohm, float vref_mv, uint32_t adc_full_scale,
                             uint32_t noise_floor_ma) {
  CurrentSensorSpec spec;
  const float mv_per_count = vref_mv / static_cast<float>(adc_full_scale);
  // mV across the burden / Ω = mA in the secondary; × turns = mA in the primary.
  spec.ma_per_count = mv_per_count / burden_ohm * turns;
  spec.noise_floor_ma = noise_floor_ma;
  spec.zero_tracking_gain = 0.05f;
  return spec;
}

float WindowMean(Span<const uint16_t> window) {
  if (window.empty()) return 0.0f;
  uint64_t sum = 0;
  for (uint16_t s : window) sum += s;
  return static_cast<float>(sum) / static_cast<float>(window.size());
}

float WindowRmsAround(Span<const uint16_t> window, float zero) {
  if (window.empty()) return 0.0f;
  // Integer sums around the nearest whole count, corrected for the fraction afterwards:
  // exact accumulation without double-precision (soft-float) arithmetic on Cortex-M4.
  const int32_t whole = static_cast<int32_t>(std::lround(zero));
  const float frac = zero - static_cast<float>(whole);
  int64_t sum = 0;
  uint64_t sum_sq = 0;
  for (uint16_t s : window) {
    const int64_t d = static_cast<int64_t>(s) - whole;
    sum += d;
    sum_sq += static_cast<uint64_t>(d * d);
  }
  const float n = static_cast<float>(window.size());
  const float total =
      static_cast<float>(sum_sq) - 2.0f * frac * static_cast<float>(sum) + n * frac * frac;
  return total > 0.0f ? std::sqrt(total / n) : 0.0f;
}

bool RmsCurrentMeter::Calibrate(Span<const uint16_t> no_load_window) {
  if (no_load_window.empty()) return false;
  zero_ = WindowMean(no_load_window);
  noise_ = WindowRmsAround(no_load_window, zero_);
  calibrated_ = true;
  return true;
}

uint32_t RmsCurrentMeter::MeasureMilliamps(Span<const uint16_t> window) {
  if (window.empty()) return 0;
  const float mean = WindowMean(window);
  const float zero = calibrated_ ? zero_ : mean;
  const float rms = WindowRmsAround(window, zero);
  const float signal_sq = rms * rms - noise_ * noise_;
  const float ma = signal_sq > 0.0f ? std::sqrt(signal_sq) * spec_.ma_per_count : 0.0f;
  if (calibrated_ && spec_.zero_tracking_gain > 0.0f) {
    zero_ += (mean - zero_) * spec_.zero_tracking_gain;
  }
  if (ma < static_cast<float>(spec_.noise_floor_ma)) return 0;
  if (ma >= 4.0e9f) return 0xFFFFFFFFu;
  return static_cast<uint32_t>(ma + 0.5f);
}

}  // namespace sw::fw
