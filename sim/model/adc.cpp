#include "model/adc.hpp"

#include <algorithm>
#include <cmath>

namespace sw::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

AdcFrontEnd Acs712FrontEnd() {
  // 100 mV/A into a 5 V / 1023-count ADC.
  return AdcFrontEnd{511.5, 100.0 / (5000.0 / 1023.0), 1023, 0.7};
}

AdcFrontEnd Sct013FrontEnd() {
  // 1 A primary -> 0.5 mA secondary -> 16.5 mV across 33 Ω, on a 3.3 V / 4095-count ADC.
  return AdcFrontEnd{2047.5, (1000.0 / 2000.0 * 33.0) / (3300.0 / 4095.0), 4095, 1.2};
}

fw::CurrentSensorSpec Acs712SensorSpec() {
  return fw::Acs712Spec(100.0f, 5000.0f, 1023, 80);
}

fw::CurrentSensorSpec Sct013SensorSpec() {
  return fw::Sct013Spec(2000.0f, 33.0f, 3300.0f, 4095, 100);
}

void SynthesizeWindow(const AdcFrontEnd& fe, SimTime end,
                      const std::function<double(SimTime)>& amps_at, Rng& rng,
                      std::vector<std::uint16_t>* out) {
  const int n = kWindowPeriods * kSamplesPerPeriod;
  const double sample_s = 1.0 / (kMainsHz * kSamplesPerPeriod);
  const SimTime start = end - kWindowLength;
  out->resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double offset_s = i * sample_s;
    const SimTime t = start + SimTime(static_cast<std::int64_t>(offset_s * 1000.0));
    const double amps = amps_at(t);
    double v = fe.zero_counts +
               fe.counts_per_amp * std::sqrt(2.0) * amps * std::sin(2 * kPi * kMainsHz * offset_s);
    v += fe.noise_counts * rng.Normal();
    v = std::clamp(std::round(v), 0.0, static_cast<double>(fe.full_scale));
    (*out)[static_cast<std::size_t>(i)] = static_cast<std::uint16_t>(v);
  }
}

}  // namespace sw::sim
