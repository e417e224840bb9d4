// DHT22 decoder: see fw/dht22.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/dht22.h"

namespace sw::fw {

Dht22Error DecodeDht22(ByteSpan bytes, Dht22Reading* out) {
  if (bytes.size() != kDht22FrameBytes) return Dht22Error::kBadLength;
  const uint8_t sum = static_cast<uint8_t>(bytes[0] + bytes[1] + bytes[2] + bytes[3]);
  if (sum != bytes[4]) return Dht22Error::kBadChecksum;
  const uint16_t humidity = ReadBe16(bytes.data());
  const uint16_t raw_t = ReadBe16(bytes.data() + 2);
  const int16_t magnitude = static_cast<int16_t>(raw_t & 0x7FFF);
  const int16_t temperature = (raw_t & 0x8000) ? static_cast<int16_t>(-magnitude) : magnitude;
  if (humidity > 1000 || temperature < -400 || temperature > 800) return Dht22Error::kOutOfRange;
  out->humidity_dpct = humidity;
  out->temperature_dc = temperature;
  return Dht22Error::kOk;
}

Dht22Error Dht22BitsFromPulses(Span<const uint16_t> high_pulse_us, uint8_t out[kDht22FrameBytes]) {
  if (high_pulse_us.size() != kDht22FrameBits) return Dht22Error::kBadLength;
  for (size_t i = 0; i < kDht22FrameBytes; ++i) out[i] = 0;
  for (size_t bit = 0; bit < kDht22FrameBits; ++bit) {
    if (high_pulse_us[bit] > kDht22OneThresholdUs) {
      out[bit / 8] = static_cast<uint8_t>(out[bit / 8] | (0x80 >> (bit % 8)));
    }
  }
  return Dht22Error::kOk;
}

}  // namespace sw::fw
