// Tests for the two-slot config store, including torn writes and bit rot.
#include "fw/config_store.h"

#include <gtest/gtest.h>

#include "fw/checksum.h"

namespace sw::fw {
namespace {

using Flash = MemoryNvm<ConfigStore::kFootprint + 16>;

std::array<uint8_t, 4> Blob(uint8_t v) {
  return {v, static_cast<uint8_t>(v + 1), 0xAA, 0x55};
}

// Loads from a fresh store object (as after a reboot) and returns the first payload byte,
// or -1 for defaults.
int Reload(Flash& flash, size_t base = 0) {
  ConfigStore store(flash, base);
  uint8_t out[ConfigStore::kMaxPayload];
  size_t size = 0;
  if (store.Load(MutableByteSpan(out), &size) != ConfigStore::LoadResult::kLoaded) return -1;
  EXPECT_EQ(size, 4u);
  return out[0];
}

TEST(ConfigStoreTest, EmptyFlashGivesDefaults) {
  Flash flash;
  EXPECT_EQ(Reload(flash), -1);
}

TEST(ConfigStoreTest, SavesAlternateSlotsAndLoadsTheNewest) {
  Flash flash;
  ConfigStore store(flash);
  uint8_t out[8];
  size_t size = 0;
  ASSERT_EQ(store.Load(MutableByteSpan(out), &size), ConfigStore::LoadResult::kDefaults);
  for (uint8_t v = 1; v <= 5; ++v) {
    ASSERT_TRUE(store.Save(ByteSpan(Blob(v))));
    EXPECT_EQ(store.active_slot(), (v - 1) % 2);
    EXPECT_EQ(Reload(flash), v);
  }
  EXPECT_EQ(store.sequence(), 5u);
}

TEST(ConfigStoreTest, TornWriteOfNewerSlotFallsBackToOlder) {
  // The record for a 4-byte payload is 12 + 4 + 4 = 20 bytes; tear at every point inside it.
  for (int tear_at = 0; tear_at < 20; ++tear_at) {
    Flash flash;
    ConfigStore store(flash);
    uint8_t out[8];
    size_t size = 0;
    store.Load(MutableByteSpan(out), &size);
    ASSERT_TRUE(store.Save(ByteSpan(Blob(10))));
    ASSERT_TRUE(store.Save(ByteSpan(Blob(20))));
    flash.TearNextWriteAfter(tear_at);
    EXPECT_FALSE(store.Save(ByteSpan(Blob(30)))) << tear_at;
    EXPECT_EQ(Reload(flash), 20) << "tear after " << tear_at;
    // The store keeps working: the next save goes to the torn slot, not over the good one.
    ASSERT_TRUE(store.Save(ByteSpan(Blob(40))));
    EXPECT_EQ(Reload(flash), 40);
  }
}

TEST(ConfigStoreTest, CorruptNewerSlotFallsBackToOlder) {
  Flash flash;
  ConfigStore store(flash);
  ASSERT_TRUE(store.Save(ByteSpan(Blob(1))));  // slot 0
  ASSERT_TRUE(store.Save(ByteSpan(Blob(2))));  // slot 1
  flash.FlipBit(ConfigStore::kSlotSize + ConfigStore::kHeaderSize + 1, 3);
  EXPECT_EQ(Reload(flash), 1);
}

TEST(ConfigStoreTest, BothSlotsBadGivesDefaults) {
  Flash flash;
  ConfigStore store(flash);
  ASSERT_TRUE(store.Save(ByteSpan(Blob(1))));
  ASSERT_TRUE(store.Save(ByteSpan(Blob(2))));
  flash.FlipBit(2, 0);                           // slot 0 magic
  flash.FlipBit(ConfigStore::kSlotSize + 5, 7);  // slot 1 sequence (CRC mismatch)
  EXPECT_EQ(Reload(flash), -1);
}

// Writes a valid slot by hand (layout from config_store.h) with a chosen sequence.
void WriteSlot(Flash& flash, int slot, uint32_t sequence, uint8_t v) {
  uint8_t* p = flash.raw() + slot * ConfigStore::kSlotSize;
  WriteLe32(p, ConfigStore::kMagic);
  WriteLe32(p + 4, sequence);
  p[8] = 4;
  p[9] = p[10] = p[11] = 0;
  const auto blob = Blob(v);
  for (int i = 0; i < 4; ++i) p[12 + i] = blob[i];
  WriteLe32(p + 16, Crc32(ByteSpan(p, 16)));
}

TEST(ConfigStoreTest, SequenceWrapAroundPicksTheLogicallyNewer) {
  Flash flash;
  WriteSlot(flash, 0, 0xFFFFFFFFu, 1);
  WriteSlot(flash, 1, 0, 2);
  EXPECT_EQ(Reload(flash), 2);
  ConfigStore store(flash);
  uint8_t out[8];
  size_t size = 0;
  ASSERT_EQ(store.Load(MutableByteSpan(out), &size), ConfigStore::LoadResult::kLoaded);
  ASSERT_TRUE(store.Save(ByteSpan(Blob(3))));  // sequence 1, into slot 0
  EXPECT_EQ(store.active_slot(), 0);
  EXPECT_EQ(Reload(flash), 3);
}

TEST(ConfigStoreTest, RejectsOversizedPayloadAndHonoursBaseOffset) {
  Flash flash;
  ConfigStore store(flash, 16);
  uint8_t big[ConfigStore::kMaxPayload + 1] = {};
  EXPECT_FALSE(store.Save(ByteSpan(big)));
  ASSERT_TRUE(store.Save(ByteSpan(Blob(7))));
  EXPECT_EQ(Reload(flash, 16), 7);
  EXPECT_EQ(Reload(flash, 0), -1);
}

}  // namespace
}  // namespace sw::fw
