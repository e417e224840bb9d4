// DHT22 (AM2302) decoder: the 40-bit frame (humidity, temperature, checksum) and the
// pulse-width demodulation that produces it. Values are in tenths to stay integer.
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fw/span.h"

namespace sw::fw {

struct Dht22Reading {
  int16_t temperature_dc = 0;  // 0.1 °C
  uint16_t humidity_dpct = 0;  // 0.1 %RH
};

enum class Dht22Error : uint8_t { kOk = 0, kBadLength, kBadChecksum, kOutOfRange };

inline constexpr size_t kDht22FrameBytes = 5;
inline constexpr size_t kDht22FrameBits = 40;
// A data bit's high pulse is ~26-28 µs for 0 and ~70 µs for 1.
inline constexpr uint16_t kDht22OneThresholdUs = 50;

// bytes = {RH high, RH low, T high, T low, checksum}; checksum = low byte of the sum of the
// first four. Temperature bit 15 is a sign bit (sign-magnitude, not two's complement).
// Plausibility: -40.0..80.0 °C, 0..100.0 %RH.
Dht22Error DecodeDht22(ByteSpan bytes, Dht22Reading* out);

// Packs 40 measured high-pulse widths (µs, MSB first) into the 5 frame bytes.
Dht22Error Dht22BitsFromPulses(Span<const uint16_t> high_pulse_us, uint8_t out[kDht22FrameBytes]);

}  // namespace sw::fw
