// Nvm: the seam between the cores and non-volatile memory (internal EEPROM, a flash
// sector, ESP32 NVS blob). MemoryNvm is the in-memory implementation for tests and the
// simulator, with fault injection: a torn write (power cut after N bytes) and bit rot.
// Thread-safety: none; the owner serialises access.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fw/span.h"

namespace sw::fw {

class Nvm {
 public:
  virtual size_t Size() const = 0;
  // Both return false when the range is outside the device or the hardware reports an error.
  virtual bool Read(size_t offset, MutableByteSpan out) = 0;
  // Byte-granular, EEPROM-like: no erase step. A failed write may have written a prefix.
  virtual bool Write(size_t offset, ByteSpan data) = 0;

 protected:
  ~Nvm() = default;  // not owned through this interface
};

template <size_t N>
class MemoryNvm final : public Nvm {
 public:
  MemoryNvm() {
    for (uint8_t& b : bytes_) b = 0xFF;  // erased EEPROM/flash reads 0xFF
  }

  size_t Size() const override { return N; }

  bool Read(size_t offset, MutableByteSpan out) override {
    if (offset > N || out.size() > N - offset) return false;
    for (size_t i = 0; i < out.size(); ++i) out[i] = bytes_[offset + i];
    return true;
  }

  bool Write(size_t offset, ByteSpan data) override {
    if (offset > N || data.size() > N - offset) return false;
    ++writes_;
    size_t n = data.size();
    const bool torn = tear_after_ >= 0 && static_cast<size_t>(tear_after_) < n;
    if (torn) n = static_cast<size_t>(tear_after_);
    for (size_t i = 0; i < n; ++i) bytes_[offset + i] = data[i];
    if (torn) {
      tear_after_ = -1;
      return false;
    }
    return true;
  }

  // The next write stops after `bytes` bytes, as if power failed, and reports failure.
  void TearNextWriteAfter(int bytes) { tear_after_ = bytes; }
  void FlipBit(size_t offset, int bit) {
    bytes_[offset] = static_cast<uint8_t>(bytes_[offset] ^ (1u << bit));
  }
  uint8_t* raw() { return bytes_; }
  uint32_t writes() const { return writes_; }

 private:
  uint8_t bytes_[N];
  int tear_after_ = -1;
  uint32_t writes_ = 0;
};

}  // namespace sw::fw
