// RadioStreamParser: turns the radio UART byte stream into legacy and v2 frames.
//
// Bytes are pushed one at a time; Poll() then yields every complete, valid frame. A start
// byte (0xAA legacy, 0xA5 v2) opens a candidate; when enough bytes have arrived the
// candidate is verified, and on failure only that start byte is discarded and the scan
// resumes at the next byte, so a valid frame hidden behind garbage, debug text or a
// truncated frame is still found (the old CCU dropped the whole 8-byte window).
// Memory is bounded: kBufferSize bytes; pushing into a full buffer drops the oldest byte.
//
// Thread-safety: none. Feed it from one task (e.g. the radio task draining the UART ISR's
// ring buffer), never from the ISR and another task at once.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fw/radio_frame.h"

namespace sw::fw {

struct RadioFrame {
  enum class Kind : uint8_t { kLegacy, kV2 };
  Kind kind = Kind::kLegacy;
  LegacyFrame legacy;  // valid when kind == kLegacy
  V2Frame v2;          // valid when kind == kV2
};

class RadioStreamParser {
 public:
  static constexpr size_t kBufferSize = 2 * kMaxRadioFrameSize;

  void Push(uint8_t byte);
  // Yields the next complete frame, if any. Call until it returns false after each Push.
  bool Poll(RadioFrame* out);
  void Reset() { size_ = 0; }

  // Bytes discarded while hunting for a start byte or after a failed candidate.
  uint32_t dropped_bytes() const { return dropped_bytes_; }
  // Candidates that had a start byte and a full length but failed verification.
  uint32_t bad_frames() const { return bad_frames_; }

 private:
  void Drop(size_t n);

  uint8_t buffer_[kBufferSize] = {};
  size_t size_ = 0;
  uint32_t dropped_bytes_ = 0;
  uint32_t bad_frames_ = 0;
};

}  // namespace sw::fw
