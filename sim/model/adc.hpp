// The analogue front ends: how a current turns into ADC samples, and the matching sensor
// specs the firmware cores are configured with.
//
// * Outlet sockets: ACS712-20A (100 mV/A) on a 10-bit 5 V ADC, zero at mid-scale.
// * CCU main breaker: SCT013 current transformer (2000 turns) into a 33 Ω burden on a
//   12-bit 3.3 V ADC, biased at mid-scale.
// A window is kWindowPeriods mains periods (50 Hz) at kSamplesPerPeriod samples each,
// ending at `end`; the current at each sample time comes from a callback (RMS amps), the
// waveform is a sine in phase with the voltage, plus Gaussian noise, quantised and clipped.
// Pure functions over a caller's Rng. Thread-safety: none.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "fw/rms_current.h"
#include "model/device.hpp"
#include "model/rng.hpp"

namespace sw::sim {

inline constexpr double kMainsHz = 50.0;
inline constexpr int kWindowPeriods = 10;
inline constexpr int kSamplesPerPeriod = 40;
inline constexpr SimTime kWindowLength{200};  // kWindowPeriods / kMainsHz

struct AdcFrontEnd {
  double zero_counts = 0;
  double counts_per_amp = 0;  // ADC counts per ampere (instantaneous)
  int full_scale = 0;
  double noise_counts = 0;  // standard deviation
};

AdcFrontEnd Acs712FrontEnd();
AdcFrontEnd Sct013FrontEnd();
fw::CurrentSensorSpec Acs712SensorSpec();
fw::CurrentSensorSpec Sct013SensorSpec();

// Fills *out with one window ending at `end`; amps_at(t) gives the RMS current at time t.
void SynthesizeWindow(const AdcFrontEnd& fe, SimTime end,
                      const std::function<double(SimTime)>& amps_at, Rng& rng,
                      std::vector<std::uint16_t>* out);

}  // namespace sw::sim
