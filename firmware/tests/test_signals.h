// Test helper: synthesised ADC windows of a current sensor's output.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "fw/span.h"

namespace sw::fw::testing {

// ADC samples of `zero_counts + amplitude_counts × sin(...)`, sampled at `rate_hz` for
// `periods` mains periods, quantised and clipped to [0, full_scale], plus a deterministic
// pseudo-noise of ±noise counts.
inline std::vector<uint16_t> Sine(double zero_counts, double amplitude_counts, double mains_hz,
                                  double rate_hz, int periods, int full_scale, int noise = 0,
                                  double phase = 0.3) {
  constexpr double kPi = 3.14159265358979323846;
  const int n = static_cast<int>(std::lround(rate_hz / mains_hz * periods));
  std::vector<uint16_t> out;
  uint32_t lcg = 12345;
  for (int i = 0; i < n; ++i) {
    double v = zero_counts + amplitude_counts * std::sin(2 * kPi * mains_hz * i / rate_hz + phase);
    if (noise > 0) {
      lcg = lcg * 1103515245u + 12345u;
      v += static_cast<int>((lcg >> 16) % (2 * noise + 1)) - noise;
    }
    v = std::fmin(std::fmax(std::round(v), 0.0), full_scale);
    out.push_back(static_cast<uint16_t>(v));
  }
  return out;
}

// An ACS712-20A (100 mV/A) on a 10-bit 5 V ADC carrying `amps` RMS at 60 Hz.
inline std::vector<uint16_t> Acs712Window(double amps) {
  const double peak_counts = amps * std::sqrt(2.0) * 100.0 / (5000.0 / 1023.0);
  return Sine(511.5, peak_counts, 60, 3000, 10, 1023, 1);
}

inline Span<const uint16_t> View(const std::vector<uint16_t>& v) {
  return Span<const uint16_t>(v.data(), v.size());
}

}  // namespace sw::fw::testing
