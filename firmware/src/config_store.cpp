// Two-slot config store: see fw/config_store.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/config_store.h"

#include "fw/checksum.h"

namespace sw::fw {

bool ConfigStore::ReadSlot(int slot, uint8_t* buffer, uint32_t* sequence, size_t* length) {
  if (!nvm_.Read(base_ + static_cast<size_t>(slot) * kSlotSize,
                 MutableByteSpan(buffer, kSlotSize))) {
    return false;
  }
  if (ReadLe32(buffer) != kMagic) return false;
  const size_t len = static_cast<size_t>(buffer[8]) | (static_cast<size_t>(buffer[9]) << 8);
  if (len > kMaxPayload) return false;
  const size_t crc_at = kHeaderSize + len;
  if (Crc32(ByteSpan(buffer, crc_at)) != ReadLe32(buffer + crc_at)) return false;
  *sequence = ReadLe32(buffer + 4);
  *length = len;
  return true;
}

ConfigStore::LoadResult ConfigStore::Load(MutableByteSpan out, size_t* size) {
  uint8_t slots[2][kSlotSize];
  uint32_t seq[2] = {0, 0};
  size_t len[2] = {0, 0};
  const bool ok[2] = {ReadSlot(0, slots[0], &seq[0], &len[0]),
                      ReadSlot(1, slots[1], &seq[1], &len[1])};
  int best = -1;
  if (ok[0] && ok[1]) {
    best = static_cast<int32_t>(seq[1] - seq[0]) > 0 ? 1 : 0;
  } else if (ok[0]) {
    best = 0;
  } else if (ok[1]) {
    best = 1;
  }
  active_slot_ = best;
  if (best < 0) {
    sequence_ = 0;
    return LoadResult::kDefaults;
  }
  sequence_ = seq[best];
  const size_t n = len[best] < out.size() ? len[best] : out.size();
  for (size_t i = 0; i < n; ++i) out[i] = slots[best][kHeaderSize + i];
  *size = n;
  return LoadResult::kLoaded;
}

bool ConfigStore::Save(ByteSpan payload) {
  if (payload.size() > kMaxPayload) return false;
  uint8_t slot[kSlotSize];
  const uint32_t next_sequence = sequence_ + 1;
  WriteLe32(slot, kMagic);
  WriteLe32(slot + 4, next_sequence);
  slot[8] = static_cast<uint8_t>(payload.size() & 0xFF);
  slot[9] = static_cast<uint8_t>(payload.size() >> 8);
  slot[10] = 0;
  slot[11] = 0;
  for (size_t i = 0; i < payload.size(); ++i) slot[kHeaderSize + i] = payload[i];
  const size_t crc_at = kHeaderSize + payload.size();
  WriteLe32(slot + crc_at, Crc32(ByteSpan(slot, crc_at)));

  const int target = active_slot_ == 0 ? 1 : 0;
  const size_t offset = base_ + static_cast<size_t>(target) * kSlotSize;
  // Only the record is written (not the slot's unused tail): less wear, shorter window.
  if (!nvm_.Write(offset, ByteSpan(slot, crc_at + 4))) return false;
  uint8_t check[kSlotSize];
  uint32_t seq = 0;
  size_t len = 0;
  if (!ReadSlot(target, check, &seq, &len) || seq != next_sequence) return false;
  sequence_ = next_sequence;
  active_slot_ = target;
  return true;
}

}  // namespace sw::fw
