// RMS current from ADC sample windows, for the outlet's ACS712 Hall sensors and the CCU's
// SCT013 current transformer on the main breaker.
//
// A window is a run of raw ADC samples covering a whole number of mains periods (the shell
// samples; e.g. 10 periods). Calibrate() takes a no-load window: its mean is the zero point
// (quiescent output, ~Vcc/2) and its RMS around that mean is the noise, which later
// measurements remove in quadrature. MeasureMilliamps() returns
//   sqrt(max(0, rms_counts² - noise²)) × mA-per-count, then 0 below the noise floor,
// and lets the zero point follow slow drift (temperature, supply) with a small gain.
// Thread-safety: none; one meter per sensor, used from one task.
#pragma once

#include <cstdint>

#include "fw/span.h"

namespace sw::fw {

struct CurrentSensorSpec {
  float ma_per_count = 0.0f;        // primary current per ADC count of sensor output (RMS = RMS)
  uint32_t noise_floor_ma = 0;      // results below this are reported as 0
  float zero_tracking_gain = 0.0f;  // 0 = fixed zero point; 0.05 = follow drift slowly
};

// ACS712: output = Vcc/2 + sensitivity × I. 20 A part: 100 mV/A (5 A: 185, 30 A: 66).
CurrentSensorSpec Acs712Spec(float sensitivity_mv_per_a, float vref_mv, uint32_t adc_full_scale,
                             uint32_t noise_floor_ma);
// SCT013 current transformer into a burden resistor: I_primary = V / burden × turns.
CurrentSensorSpec Sct013Spec(float turns, float burden_ohm, float vref_mv, uint32_t adc_full_scale,
                             uint32_t noise_floor_ma);

class RmsCurrentMeter {
 public:
  explicit RmsCurrentMeter(const CurrentSensorSpec& spec) : spec_(spec) {}

  // Returns false (and keeps the previous calibration) for an empty window.
  bool Calibrate(Span<const uint16_t> no_load_window);
  // Requires a calibrated meter; an uncalibrated one uses the window's own mean as zero.
  uint32_t MeasureMilliamps(Span<const uint16_t> window);

  bool calibrated() const { return calibrated_; }
  float zero_counts() const { return zero_; }
  float noise_counts() const { return noise_; }
  const CurrentSensorSpec& spec() const { return spec_; }

 private:
  CurrentSensorSpec spec_;
  float zero_ = 0.0f;
  float noise_ = 0.0f;
  bool calibrated_ = false;
};

// Window statistics (exposed for tests and the simulator).
float WindowMean(Span<const uint16_t> window);
float WindowRmsAround(Span<const uint16_t> window, float zero);

}  // namespace sw::fw
