// ConfigStore: one small settings blob kept in two slots of an Nvm so that a power cut
// during a save never loses the settings.
//
// Slot layout (kSlotSize bytes, little-endian):
//   magic u32 "SWC1" | sequence u32 | payload length u16 | reserved u16 | payload | crc32 u32
// The CRC covers everything before it. Load() takes the valid slot with the newest sequence
// (serial-number arithmetic, so wrap-around is fine). Save() always writes the *other* slot
// with sequence + 1, so the newest good copy is never overwritten: a torn write leaves the
// previous settings loadable. With both slots invalid Load() reports kDefaults.
// Thread-safety: none; one owner.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fw/nvm.h"
#include "fw/span.h"

namespace sw::fw {

class ConfigStore {
 public:
  static constexpr uint32_t kMagic = 0x31435753;  // "SWC1"
  static constexpr size_t kHeaderSize = 12;
  static constexpr size_t kMaxPayload = 112;
  static constexpr size_t kSlotSize = kHeaderSize + kMaxPayload + 4;
  static constexpr size_t kFootprint = 2 * kSlotSize;

  enum class LoadResult : uint8_t { kLoaded, kDefaults };

  // Uses bytes [base_offset, base_offset + kFootprint) of nvm.
  explicit ConfigStore(Nvm& nvm, size_t base_offset = 0) : nvm_(nvm), base_(base_offset) {}

  // On kLoaded copies the payload into out (truncated to out.size()) and sets *size.
  LoadResult Load(MutableByteSpan out, size_t* size);
  // Returns false if the payload is too large or the write/verify failed.
  bool Save(ByteSpan payload);

  uint32_t sequence() const { return sequence_; }
  int active_slot() const { return active_slot_; }

 private:
  bool ReadSlot(int slot, uint8_t* buffer, uint32_t* sequence, size_t* length);

  Nvm& nvm_;
  size_t base_;
  uint32_t sequence_ = 0;
  int active_slot_ = -1;  // slot holding the newest valid copy, -1 if none
};

}  // namespace sw::fw
