// IaqEstimator: an indoor-air-quality index (0 best .. 500 worst) from BME680 gas
// resistance and relative humidity, for nodes without Bosch BSEC.
//
// Same scoring as the PPF node (gas 75 %, humidity 25 %, humidity optimum 40 %RH) but the
// gas baseline moves smoothly: it rises towards higher readings with a small gain and
// decays slowly, instead of jumping to every new maximum. The index is therefore a
// continuous function of its inputs and changes by a bounded amount per sample.
// Thread-safety: none; one estimator per sensor, used from one task.
#pragma once

#include <cstdint>

namespace sw::fw {

struct IaqOutput {
  float iaq = 0.0f;      // 0..500
  uint8_t accuracy = 0;  // 0 while warming up, 1 afterwards
  float gas_baseline_ohm = 0.0f;
};

class IaqEstimator {
 public:
  static constexpr float kRiseGain = 0.02f;    // per sample, towards higher gas readings
  static constexpr float kDecayGain = 0.001f;  // per sample, towards lower gas readings
  static constexpr float kMinBaselineOhm = 5000.0f;
  static constexpr float kHumidityOptimum = 40.0f;
  static constexpr uint32_t kWarmUpSamples = 30;

  IaqOutput Update(float gas_ohm, float humidity_pct);
  void Reset() { samples_ = 0; }

 private:
  float baseline_ = 0.0f;
  uint32_t samples_ = 0;
};

}  // namespace sw::fw
