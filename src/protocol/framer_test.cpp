#include "protocol/framer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/reason_code.hpp"
#include "protocol/test_util.hpp"

namespace sw::mqtt {
namespace {

using testing::Hex;

// PINGREQ, a 200-byte PUBLISH (two-byte remaining length), PUBACK.
std::string ThreePackets() {
  return Hex("C0 00") + Hex("30 C8 01 00 01 74") + std::string(197, 'p') + Hex("40 02 00 01");
}

TEST(Framer, WholeStreamAtOnce) {
  Framer framer(1024);
  std::vector<std::string> packets;
  ASSERT_TRUE(framer.Feed(ThreePackets(), packets).ok());
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_EQ(packets[0], Hex("C0 00"));
  EXPECT_EQ(packets[1].size(), 203u);
  EXPECT_EQ(packets[2], Hex("40 02 00 01"));
  EXPECT_EQ(framer.Buffered(), 0u);
}

TEST(Framer, EverySplitPointGivesTheSamePackets) {
  const std::string stream = ThreePackets();
  std::vector<std::string> expected;
  ASSERT_TRUE(Framer(1024).Feed(stream, expected).ok());
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    Framer framer(1024);
    std::vector<std::string> packets;
    ASSERT_TRUE(framer.Feed(std::string_view(stream).substr(0, split), packets).ok());
    ASSERT_TRUE(framer.Feed(std::string_view(stream).substr(split), packets).ok());
    EXPECT_EQ(packets, expected) << "split at " << split;
  }
}

TEST(Framer, OneByteAtATime) {
  const std::string stream = ThreePackets();
  Framer framer(1024);
  std::vector<std::string> packets;
  for (char c : stream) ASSERT_TRUE(framer.Feed(std::string_view(&c, 1), packets).ok());
  ASSERT_EQ(packets.size(), 3u);
  // Mid-varint: only the header bytes are held.
  Framer partial(1024);
  std::vector<std::string> none;
  ASSERT_TRUE(partial.Feed(Hex("30 C8"), none).ok());
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(partial.Buffered(), 2u);
}

TEST(Framer, RejectsOversizedPacketBeforeBufferingTheBody) {
  Framer framer(100);
  std::vector<std::string> packets;
  // Announces 268435455 bytes; only the 5 header bytes are fed.
  const Status status = framer.Feed(Hex("30 FF FF FF 7F"), packets);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(ReasonCodeOf(status.error()), ReasonCode::kPacketTooLarge);
  EXPECT_LE(framer.Buffered(), 5u);
  // The failure is sticky.
  const Status again = framer.Feed(Hex("C0 00"), packets);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(ReasonCodeOf(again.error()), ReasonCode::kPacketTooLarge);
  EXPECT_TRUE(packets.empty());
}

TEST(Framer, LimitCountsTheWholePacket) {
  // 1 type byte + 1 length byte + 98 body bytes = 100.
  const std::string exactly = Hex("30 62 00 01 74") + std::string(95, 'x');
  ASSERT_EQ(exactly.size(), 100u);
  {
    Framer framer(100);
    std::vector<std::string> packets;
    ASSERT_TRUE(framer.Feed(exactly, packets).ok());
    EXPECT_EQ(packets.size(), 1u);
  }
  {
    Framer framer(99);
    std::vector<std::string> packets;
    const Status status = framer.Feed(exactly, packets);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(ReasonCodeOf(status.error()), ReasonCode::kPacketTooLarge);
  }
}

TEST(Framer, MalformedRemainingLength) {
  for (const char* hex : {"30 FF FF FF FF 01", "30 80 00", "C0 80 80 00"}) {
    Framer framer(1 << 20);
    std::vector<std::string> packets;
    const Status status = framer.Feed(Hex(hex), packets);
    ASSERT_FALSE(status.ok()) << hex;
    EXPECT_EQ(ReasonCodeOf(status.error()), ReasonCode::kMalformedPacket) << hex;
  }
}

TEST(Framer, WholePacketsAreViewsOfTheInputSplitOnesAreAssembled) {
  const std::string stream = ThreePackets();
  Framer framer(1024);
  // The first packet whole, the second cut after 100 bytes.
  std::string_view first_chunk = std::string_view(stream).substr(0, 2 + 100);
  auto a = framer.Next(first_chunk);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, Hex("C0 00"));
  EXPECT_EQ(a->data(), stream.data());  // no copy
  auto none = framer.Next(first_chunk);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(first_chunk.empty());
  EXPECT_EQ(framer.Buffered(), 100u);
  std::string_view rest = std::string_view(stream).substr(2 + 100);
  auto b = framer.Next(rest);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, std::string_view(stream).substr(2, 203));
  EXPECT_NE(b->data(), stream.data() + 2);  // assembled in the framer
  auto c = framer.Next(rest);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, Hex("40 02 00 01"));
  EXPECT_EQ(c->data(), stream.data() + 205);
  EXPECT_EQ(framer.Buffered(), 0u);
}

TEST(Framer, PacketsBeforeAnErrorAreStillReturned) {
  Framer framer(1024);
  std::vector<std::string> packets;
  const Status status = framer.Feed(Hex("C0 00 D0 00 30 80 00"), packets);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(packets.size(), 2u);
}

}  // namespace
}  // namespace sw::mqtt
