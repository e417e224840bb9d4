#include "protocol/wire.hpp"

#include <gtest/gtest.h>

#include <string>

#include "protocol/reason_code.hpp"
#include "protocol/test_util.hpp"

namespace sw::mqtt {
namespace {

using testing::Hex;

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidMqttUtf8(""));
  EXPECT_TRUE(IsValidMqttUtf8("plain ascii"));
  EXPECT_TRUE(IsValidMqttUtf8(Hex("C3 A9")));        // é
  EXPECT_TRUE(IsValidMqttUtf8(Hex("E2 82 AC")));     // €
  EXPECT_TRUE(IsValidMqttUtf8(Hex("F0 9F 98 80")));  // U+1F600
  EXPECT_TRUE(IsValidMqttUtf8(Hex("EF BB BF")));     // BOM is allowed (1.5.4)
  EXPECT_TRUE(IsValidMqttUtf8(Hex("F4 8F BF BF")));  // U+10FFFF
  EXPECT_TRUE(IsValidMqttUtf8(std::string(65'535, 'a')));
}

TEST(Utf8, RejectsWhatMqttForbids) {
  EXPECT_FALSE(IsValidMqttUtf8(Hex("00")));           // U+0000
  EXPECT_FALSE(IsValidMqttUtf8(Hex("61 00 62")));     // U+0000 inside
  EXPECT_FALSE(IsValidMqttUtf8(Hex("C0 80")));        // overlong U+0000
  EXPECT_FALSE(IsValidMqttUtf8(Hex("C1 BF")));        // overlong
  EXPECT_FALSE(IsValidMqttUtf8(Hex("E0 80 AF")));     // overlong '/'
  EXPECT_FALSE(IsValidMqttUtf8(Hex("F0 80 80 AF")));  // overlong '/'
  EXPECT_FALSE(IsValidMqttUtf8(Hex("ED A0 80")));     // U+D800 surrogate
  EXPECT_FALSE(IsValidMqttUtf8(Hex("ED BF BF")));     // U+DFFF surrogate
  EXPECT_FALSE(IsValidMqttUtf8(Hex("F4 90 80 80")));  // U+110000
  EXPECT_FALSE(IsValidMqttUtf8(Hex("80")));           // lone continuation
  EXPECT_FALSE(IsValidMqttUtf8(Hex("C3")));           // truncated
  EXPECT_FALSE(IsValidMqttUtf8(Hex("E2 82")));        // truncated
  EXPECT_FALSE(IsValidMqttUtf8(Hex("C3 28")));        // bad continuation
  EXPECT_FALSE(IsValidMqttUtf8(Hex("F8 88 80 80 80")));
  EXPECT_FALSE(IsValidMqttUtf8(Hex("FF")));
  EXPECT_FALSE(IsValidMqttUtf8(std::string(65'536, 'a')));  // too long
}

TEST(Utf8, PayloadCheckAllowsNulAndAnyLength) {
  EXPECT_TRUE(IsWellFormedUtf8(Hex("61 00 62")));
  EXPECT_TRUE(IsWellFormedUtf8(std::string(70'000, 'a')));
  EXPECT_FALSE(IsWellFormedUtf8(Hex("ED A0 80")));
}

TEST(Varint, SpecBoundaries) {
  struct Case {
    std::uint32_t value;
    const char* hex;
  };
  for (const Case& c : {Case{0, "00"}, Case{127, "7F"}, Case{128, "80 01"}, Case{16'383, "FF 7F"},
                        Case{16'384, "80 80 01"}, Case{2'097'151, "FF FF 7F"},
                        Case{2'097'152, "80 80 80 01"}, Case{268'435'455, "FF FF FF 7F"}}) {
    std::string out;
    Writer(out).Varint(c.value);
    EXPECT_EQ(out, Hex(c.hex)) << c.value;
    EXPECT_EQ(VarintSize(c.value), out.size());
    std::uint32_t value = 0;
    std::size_t used = 0;
    ASSERT_EQ(ParseVarint(out, value, used), VarintParse::kOk);
    EXPECT_EQ(value, c.value);
    EXPECT_EQ(used, out.size());
  }
}

TEST(Varint, IncompleteAndMalformed) {
  std::uint32_t value = 0;
  std::size_t used = 0;
  EXPECT_EQ(ParseVarint("", value, used), VarintParse::kNeedMore);
  EXPECT_EQ(ParseVarint(Hex("80"), value, used), VarintParse::kNeedMore);
  EXPECT_EQ(ParseVarint(Hex("FF FF FF"), value, used), VarintParse::kNeedMore);
  EXPECT_EQ(ParseVarint(Hex("FF FF FF FF"), value, used), VarintParse::kMalformed);
  EXPECT_EQ(ParseVarint(Hex("FF FF FF FF 01"), value, used), VarintParse::kMalformed);
  EXPECT_EQ(ParseVarint(Hex("80 00"), value, used), VarintParse::kMalformed);
  EXPECT_EQ(ParseVarint(Hex("FF 80 00"), value, used), VarintParse::kMalformed);
  // Bytes after a complete varint are not consumed.
  ASSERT_EQ(ParseVarint(Hex("05 FF"), value, used), VarintParse::kOk);
  EXPECT_EQ(value, 5u);
  EXPECT_EQ(used, 1u);
}

TEST(Reader, ReportsTruncationAsMalformed) {
  const std::string bytes = Hex("00 03 61 62");
  Reader reader(bytes);
  std::string s;
  const Status status = reader.Utf8(s, "topic");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(ReasonCodeOf(status.error()), ReasonCode::kMalformedPacket);
  EXPECT_NE(status.error().message.find("topic"), std::string::npos);
}

TEST(Writer, BigEndian) {
  std::string out;
  Writer writer(out);
  writer.U16(0x1234);
  writer.U32(0xA1B2C3D4);
  writer.LengthPrefixed("hi");
  EXPECT_EQ(out, Hex("12 34 A1 B2 C3 D4 00 02 68 69"));
}

}  // namespace
}  // namespace sw::mqtt
