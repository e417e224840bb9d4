// PMS5003 decoder: see fw/pms5003.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/pms5003.h"

namespace sw::fw {

Pms5003Error DecodePms5003(ByteSpan frame, Pms5003Reading* out) {
  if (frame.size() != kPms5003FrameSize) return Pms5003Error::kBadLength;
  if (frame[0] != kPms5003Start1 || frame[1] != kPms5003Start2) return Pms5003Error::kBadStart;
  if (ReadBe16(frame.data() + 2) != kPms5003Length) return Pms5003Error::kBadFrameLength;
  uint16_t sum = 0;
  for (size_t i = 0; i < 30; ++i) sum = static_cast<uint16_t>(sum + frame[i]);
  if (sum != ReadBe16(frame.data() + 30)) return Pms5003Error::kBadChecksum;
  auto word = [&](size_t index) { return ReadBe16(frame.data() + 4 + 2 * index); };
  Pms5003Reading r;
  r.pm1_standard = word(0);
  r.pm25_standard = word(1);
  r.pm10_standard = word(2);
  r.pm1 = word(3);
  r.pm25 = word(4);
  r.pm10 = word(5);
  r.particles_03um = word(6);
  r.particles_05um = word(7);
  r.particles_10um = word(8);
  r.particles_25um = word(9);
  r.particles_50um = word(10);
  r.particles_100um = word(11);
  *out = r;
  return Pms5003Error::kOk;
}

void Pms5003Parser::Resync() {
  // Drop the first byte, then everything up to the next 0x42 (a possible frame start).
  size_t skip = 1;
  while (skip < size_ && buffer_[skip] != kPms5003Start1) ++skip;
  dropped_bytes_ += static_cast<uint32_t>(skip);
  for (size_t i = skip; i < size_; ++i) buffer_[i - skip] = buffer_[i];
  size_ -= skip;
}

bool Pms5003Parser::Push(uint8_t byte, Pms5003Reading* out) {
  buffer_[size_++] = byte;
  for (;;) {
    if (size_ == 0) return false;
    if (buffer_[0] != kPms5003Start1) {
      Resync();
      continue;
    }
    if (size_ >= 2 && buffer_[1] != kPms5003Start2) {
      Resync();
      continue;
    }
    if (size_ >= 4 && ReadBe16(buffer_ + 2) != kPms5003Length) {
      ++bad_frames_;
      Resync();
      continue;
    }
    if (size_ < kPms5003FrameSize) return false;
    if (DecodePms5003(ByteSpan(buffer_, kPms5003FrameSize), out) == Pms5003Error::kOk) {
      size_ = 0;
      return true;
    }
    ++bad_frames_;
    Resync();
  }
}

}  // namespace sw::fw
