// IAQ estimator: see fw/iaq.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/iaq.h"

namespace sw::fw {

namespace {

float Clamp01(float v) {
  return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

}  // namespace

IaqOutput IaqEstimator::Update(float gas_ohm, float humidity_pct) {
  if (!(gas_ohm >= 0.0f)) gas_ohm = 0.0f;  // also maps NaN to 0
  if (!(humidity_pct >= 0.0f)) humidity_pct = 0.0f;
  if (samples_ == 0) {
    baseline_ = gas_ohm;
  } else {
    const float gain = gas_ohm > baseline_ ? kRiseGain : kDecayGain;
    baseline_ += (gas_ohm - baseline_) * gain;
  }
  if (samples_ < 0xFFFFFFFFu) ++samples_;

  const float reference = baseline_ > kMinBaselineOhm ? baseline_ : kMinBaselineOhm;
  const float gas_score = 0.75f * Clamp01(gas_ohm / reference);
  const float deviation = humidity_pct > kHumidityOptimum ? humidity_pct - kHumidityOptimum
                                                          : kHumidityOptimum - humidity_pct;
  const float humidity_score = 0.25f * (1.0f - Clamp01(deviation / kHumidityOptimum));
  IaqOutput out;
  out.iaq = 500.0f * (1.0f - Clamp01(gas_score + humidity_score));
  out.accuracy = samples_ > kWarmUpSamples ? 1 : 0;
  out.gas_baseline_ohm = baseline_;
  return out;
}

}  // namespace sw::fw
