// Radio stream parser: see fw/radio_stream.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/radio_stream.h"

namespace sw::fw {

void RadioStreamParser::Push(uint8_t byte) {
  if (size_ == kBufferSize) {
    Drop(1);
    ++dropped_bytes_;
  }
  buffer_[size_++] = byte;
}

void RadioStreamParser::Drop(size_t n) {
  if (n >= size_) {
    size_ = 0;
    return;
  }
  for (size_t i = n; i < size_; ++i) buffer_[i - n] = buffer_[i];
  size_ -= n;
}

bool RadioStreamParser::Poll(RadioFrame* out) {
  while (size_ > 0) {
    const uint8_t start = buffer_[0];
    if (start == kLegacySof) {
      if (size_ < kLegacyFrameSize) return false;
      LegacyFrame frame;
      if (DecodeLegacy(ByteSpan(buffer_, kLegacyFrameSize), &frame) == FrameError::kOk) {
        Drop(kLegacyFrameSize);
        out->kind = RadioFrame::Kind::kLegacy;
        out->legacy = frame;
        return true;
      }
      ++bad_frames_;
    } else if (start == kV2Sof) {
      if (size_ < 2) return false;
      const size_t payload_size = buffer_[1];
      if (payload_size <= kV2MaxPayload) {
        const size_t frame_size = kV2Overhead + payload_size;
        if (size_ < frame_size) return false;
        V2Frame frame;
        if (DecodeV2(ByteSpan(buffer_, frame_size), &frame) == FrameError::kOk) {
          Drop(frame_size);
          out->kind = RadioFrame::Kind::kV2;
          out->v2 = frame;
          return true;
        }
      }
      ++bad_frames_;
    }
    // Not a start byte, or a candidate that failed: discard one byte and rescan.
    Drop(1);
    ++dropped_bytes_;
  }
  return false;
}

}  // namespace sw::fw
