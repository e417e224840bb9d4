// Plantower PMS5003 decoder: the 32-byte active-mode frame and a stream parser that finds
// frames in the UART byte stream and resynchronises after garbage.
//
// Frame: 42 4D len(=28, BE) then 13 BE u16 data words then a BE u16 checksum equal to the
// sum of bytes 0..29. Words: PM1.0/2.5/10 "standard particle" (CF=1), PM1.0/2.5/10
// atmospheric environment, particle counts per 0.1 L above 0.3/0.5/1.0/2.5/5.0/10 µm,
// reserved.
//
// Thread-safety: DecodePms5003 is pure; a Pms5003Parser belongs to one task.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fw/span.h"

namespace sw::fw {

inline constexpr size_t kPms5003FrameSize = 32;
inline constexpr uint8_t kPms5003Start1 = 0x42;
inline constexpr uint8_t kPms5003Start2 = 0x4D;
inline constexpr uint16_t kPms5003Length = 28;

struct Pms5003Reading {
  uint16_t pm1_standard = 0;  // µg/m³, CF=1
  uint16_t pm25_standard = 0;
  uint16_t pm10_standard = 0;
  uint16_t pm1 = 0;  // µg/m³, atmospheric environment (what we report)
  uint16_t pm25 = 0;
  uint16_t pm10 = 0;
  uint16_t particles_03um = 0;  // count per 0.1 L
  uint16_t particles_05um = 0;
  uint16_t particles_10um = 0;
  uint16_t particles_25um = 0;
  uint16_t particles_50um = 0;
  uint16_t particles_100um = 0;
};

enum class Pms5003Error : uint8_t { kOk = 0, kBadLength, kBadStart, kBadFrameLength, kBadChecksum };

Pms5003Error DecodePms5003(ByteSpan frame, Pms5003Reading* out);

// Pushes bytes; returns true when a complete valid frame has been decoded into *out.
class Pms5003Parser {
 public:
  bool Push(uint8_t byte, Pms5003Reading* out);
  uint32_t bad_frames() const { return bad_frames_; }
  uint32_t dropped_bytes() const { return dropped_bytes_; }

 private:
  // Discards the first byte and shifts to the next possible start.
  void Resync();

  uint8_t buffer_[kPms5003FrameSize] = {};
  size_t size_ = 0;
  uint32_t bad_frames_ = 0;
  uint32_t dropped_bytes_ = 0;
};

}  // namespace sw::fw
