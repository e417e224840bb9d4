// Checksums: see fw/checksum.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/checksum.h"

namespace sw::fw {

uint8_t Xor8(ByteSpan data) {
  uint8_t x = 0;
  for (uint8_t b : data) x = static_cast<uint8_t>(x ^ b);
  return x;
}

uint16_t Crc16Ccitt(ByteSpan data, uint16_t crc) {
  for (uint8_t b : data) {
    crc = static_cast<uint16_t>(crc ^ (static_cast<uint16_t>(b) << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

uint32_t Crc32(ByteSpan data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : data) {
    crc ^= b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return ~crc;
}

}  // namespace sw::fw
