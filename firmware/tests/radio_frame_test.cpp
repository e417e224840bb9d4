// Tests for the legacy and v2 radio codecs and the stream parser.
#include "fw/radio_frame.h"

#include <gtest/gtest.h>

#include "fw/checksum.h"
#include "fw/radio_stream.h"

namespace sw::fw {
namespace {

struct Vector {
  const char* purpose;
  LegacyFrame frame;
  LegacyFrameBytes bytes;
};

LegacyFrame F(uint8_t target, uint8_t sender, uint8_t cmd, uint16_t data) {
  LegacyFrame f;
  f.target = target;
  f.sender = sender;
  f.command = static_cast<RadioCommand>(cmd);
  f.data = data;
  return f;
}

// Every vector of smart-outlet-system.md §3.9, with the builder that must produce it.
const Vector kVectors[] = {
    {"relay A on",
     LegacyRelay(0xFE, 0x02, kSocketA, true),
     {0xAA, 0xFE, 0x02, 0x02, 0x00, 0x01, 0xFF, 0xBB}},
    {"relay B off",
     LegacyRelay(0xFE, 0x02, kSocketB, false),
     {0xAA, 0xFE, 0x02, 0x03, 0x00, 0x02, 0xFD, 0xBB}},
    {"read current",
     LegacyReadCurrent(0xFE, 0x02),
     {0xAA, 0xFE, 0x02, 0x04, 0x00, 0x00, 0xF8, 0xBB}},
    {"threshold 5000",
     LegacySetThreshold(0xFE, 0x02, 5000),
     {0xAA, 0xFE, 0x02, 0x07, 0x13, 0x88, 0x60, 0xBB}},
    {"ping", LegacyPing(0xFE, 0x02), {0xAA, 0xFE, 0x02, 0x01, 0x00, 0x00, 0xFD, 0xBB}},
    {"set device id FE",
     LegacySetDeviceId(0x01, 0x01, 0xFE),
     {0xAA, 0x01, 0x01, 0x08, 0x00, 0xFE, 0xF6, 0xBB}},
    {"set master 02",
     LegacySetIdMaster(0xFE, 0x01, 0x02),
     {0xAA, 0xFE, 0x01, 0x09, 0x00, 0x02, 0xF4, 0xBB}},
    {"ack relay A on",
     LegacyAck(0x02, 0xFE, kSocketA, RadioCommand::kRelayOn),
     {0xAA, 0x02, 0xFE, 0x06, 0x01, 0x02, 0xF9, 0xBB}},
    {"ack threshold",
     LegacyAck(0x02, 0xFE, 0, RadioCommand::kSetThreshold),
     {0xAA, 0x02, 0xFE, 0x06, 0x00, 0x07, 0xFD, 0xBB}},
    {"ack set id from new id",
     LegacyAck(0x01, 0xFE, 0, RadioCommand::kSetDeviceId),
     {0xAA, 0x01, 0xFE, 0x06, 0x00, 0x08, 0xF1, 0xBB}},
    {"report A 49 mA",
     LegacyReport(0x02, kSocketA, 49),
     {0xAA, 0x02, 0x01, 0x05, 0x00, 0x31, 0x37, 0xBB}},
    {"report B 2744 mA",
     LegacyReport(0x02, kSocketB, 2744),
     {0xAA, 0x02, 0x02, 0x05, 0x0A, 0xB8, 0xB7, 0xBB}},
    {"report A overload",
     LegacyReport(0x02, kSocketA, kLegacyOverloadSentinel),
     {0xAA, 0x02, 0x01, 0x05, 0xFF, 0xFF, 0x06, 0xBB}},
    {"doc relay B on sender 0",
     F(0xFE, 0x00, 0x02, 0x0002),
     {0xAA, 0xFE, 0x00, 0x02, 0x00, 0x02, 0xFE, 0xBB}},
    {"doc threshold 3233 sender 0",
     F(0xFE, 0x00, 0x07, 3233),
     {0xAA, 0xFE, 0x00, 0x07, 0x0C, 0xA1, 0x54, 0xBB}},
};

TEST(LegacyFrameTest, EncodesEveryReferenceVector) {
  for (const Vector& v : kVectors) {
    EXPECT_EQ(EncodeLegacy(v.frame), v.bytes) << v.purpose;
  }
}

TEST(LegacyFrameTest, DecodesEveryReferenceVector) {
  for (const Vector& v : kVectors) {
    LegacyFrame decoded;
    ASSERT_EQ(DecodeLegacy(ByteSpan(v.bytes), &decoded), FrameError::kOk) << v.purpose;
    EXPECT_EQ(decoded, v.frame) << v.purpose;
  }
}

TEST(LegacyFrameTest, RejectsTheTestingGuidesWrongChecksum) {
  // The PIC testing guide prints this ACK with CRC 0xFA; the correct value is 0xF8.
  const LegacyFrameBytes wrong = {0xAA, 0x00, 0xFE, 0x06, 0x02, 0x02, 0xFA, 0xBB};
  LegacyFrame f;
  EXPECT_EQ(DecodeLegacy(ByteSpan(wrong), &f), FrameError::kBadChecksum);
  LegacyFrameBytes right = wrong;
  right[6] = 0xF8;
  ASSERT_EQ(DecodeLegacy(ByteSpan(right), &f), FrameError::kOk);
  EXPECT_EQ(f, LegacyAck(0x00, 0xFE, kSocketB, RadioCommand::kRelayOn));
}

TEST(LegacyFrameTest, RejectsBadFraming) {
  LegacyFrameBytes b = EncodeLegacy(LegacyPing(0xFE, 0x02));
  LegacyFrame f;
  EXPECT_EQ(DecodeLegacy(ByteSpan(b.data(), 7), &f), FrameError::kTooShort);
  b[7] = 0xBC;
  EXPECT_EQ(DecodeLegacy(ByteSpan(b), &f), FrameError::kBadEnd);
  b[7] = 0xBB;
  b[0] = 0xAB;
  EXPECT_EQ(DecodeLegacy(ByteSpan(b), &f), FrameError::kBadStart);
}

TEST(LegacyFrameTest, OverloadSentinelIsRecognisable) {
  LegacyFrame f;
  const LegacyFrameBytes b = {0xAA, 0x02, 0x01, 0x05, 0xFF, 0xFF, 0x06, 0xBB};
  ASSERT_EQ(DecodeLegacy(ByteSpan(b), &f), FrameError::kOk);
  EXPECT_EQ(f.command, RadioCommand::kReportData);
  EXPECT_EQ(f.sender, kSocketA);
  EXPECT_EQ(f.data, kLegacyOverloadSentinel);
}

TEST(LegacyFrameTest, AckMatchingUsesTheNewIdAfterDeviceIdChange) {
  const LegacyFrame set_id = LegacySetDeviceId(0x01, 0x01, 0xFE);
  EXPECT_TRUE(LegacyAckMatches(set_id, LegacyAck(0x01, 0xFE, 0, RadioCommand::kSetDeviceId)));
  EXPECT_FALSE(LegacyAckMatches(set_id, LegacyAck(0x01, 0x01, 0, RadioCommand::kSetDeviceId)));
  const LegacyFrame relay = LegacyRelay(0xFE, 0x02, kSocketA, true);
  EXPECT_TRUE(LegacyAckMatches(relay, LegacyAck(0x02, 0xFE, kSocketA, RadioCommand::kRelayOn)));
  EXPECT_FALSE(LegacyAckMatches(relay, LegacyAck(0x02, 0xFE, kSocketB, RadioCommand::kRelayOn)));
  EXPECT_FALSE(LegacyAckMatches(relay, LegacyAck(0x02, 0xFD, kSocketA, RadioCommand::kRelayOn)));
  EXPECT_FALSE(LegacyAckMatches(relay, LegacyAck(0x03, 0xFE, kSocketA, RadioCommand::kRelayOn)));
}

TEST(ChecksumTest, StandardCheckValues) {
  const uint8_t text[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(Crc16Ccitt(ByteSpan(text)), 0x29B1);
  EXPECT_EQ(Crc32(ByteSpan(text)), 0xCBF43926u);
}

V2Frame SampleV2() {
  V2Frame f;
  f.target = 0x21;
  f.sender = 0x02;
  f.seq = 77;
  f.command = RadioCommand::kSetPowerPolicy;
  f.socket = kSocketB;
  f.payload_size = 1;
  f.payload[0] = 1;
  return f;
}

TEST(V2FrameTest, RoundTripsAndHasAFixedLayout) {
  const FrameBuffer buf = EncodeV2(SampleV2());
  ASSERT_EQ(buf.size, kV2Overhead + 1);
  EXPECT_EQ(buf.bytes[0], kV2Sof);
  EXPECT_EQ(buf.bytes[1], 1);
  EXPECT_EQ(buf.bytes[2], 0x21);
  EXPECT_EQ(buf.bytes[3], 0x02);
  EXPECT_EQ(buf.bytes[4], 77);
  EXPECT_EQ(buf.bytes[5], 0x0C);
  EXPECT_EQ(buf.bytes[6], kSocketB);
  EXPECT_EQ(buf.bytes[7], 1);
  EXPECT_EQ(ReadBe16(&buf.bytes[8]), Crc16Ccitt(ByteSpan(&buf.bytes[1], 7)));
  EXPECT_EQ(buf.bytes[10], kV2Eof);
  V2Frame back;
  ASSERT_EQ(DecodeV2(buf.View(), &back), FrameError::kOk);
  EXPECT_EQ(back, SampleV2());
}

TEST(V2FrameTest, DetectsEverySingleBitError) {
  const FrameBuffer good = EncodeV2(SampleV2());
  for (size_t byte = 0; byte < good.size; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      FrameBuffer bad = good;
      bad.bytes[byte] = static_cast<uint8_t>(bad.bytes[byte] ^ (1 << bit));
      V2Frame out;
      EXPECT_NE(DecodeV2(bad.View(), &out), FrameError::kOk) << byte << ":" << bit;
    }
  }
}

TEST(V2FrameTest, RejectsOversizedPayload) {
  V2Frame f = SampleV2();
  f.payload_size = kV2MaxPayload + 1;
  uint8_t out[kV2MaxFrameSize + 4];
  EXPECT_EQ(EncodeV2(f, MutableByteSpan(out)), 0u);
  FrameBuffer buf = EncodeV2(SampleV2());
  buf.bytes[1] = 9;
  V2Frame back;
  EXPECT_EQ(DecodeV2(buf.View(), &back), FrameError::kBadLength);
}

TEST(V2FrameTest, RepliesCarryOwnAddressSeqAndReason) {
  V2Frame request = SampleV2();
  const V2Frame nack = V2Nack(request, 0x21, NackReason::kConfigRequired);
  EXPECT_EQ(nack.target, 0x02);
  EXPECT_EQ(nack.sender, 0x21);
  EXPECT_EQ(nack.seq, 77);
  EXPECT_EQ(nack.command, RadioCommand::kNack);
  EXPECT_EQ(nack.payload[0], 0x0C);
  EXPECT_EQ(nack.payload[1], static_cast<uint8_t>(NackReason::kConfigRequired));

  OutletStatus s;
  s.relay_on[1] = true;
  s.tripped[0] = true;
  s.restore_after_power_cut[1] = true;
  s.threshold_ma = 3000;
  s.current_ma[0] = 0;
  s.current_ma[1] = 1234;
  const V2Frame report = V2StatusReport(request, 0x21, s);
  OutletStatus back;
  ASSERT_TRUE(DecodeStatusPayload(report, &back));
  EXPECT_FALSE(back.relay_on[0]);
  EXPECT_TRUE(back.relay_on[1]);
  EXPECT_TRUE(back.tripped[0]);
  EXPECT_FALSE(back.tripped[1]);
  EXPECT_FALSE(back.restore_after_power_cut[0]);
  EXPECT_TRUE(back.restore_after_power_cut[1]);
  EXPECT_EQ(back.threshold_ma, 3000);
  EXPECT_EQ(back.current_ma[1], 1234);
}

// ---- stream parser ----

template <typename Bytes>
void PushAll(RadioStreamParser* p, const Bytes& bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) p->Push(bytes[i]);
}

int DrainCount(RadioStreamParser* p, RadioFrame* last) {
  int n = 0;
  while (p->Poll(last)) ++n;
  return n;
}

TEST(RadioStreamTest, FindsFramesBehindGarbageAndDebugText) {
  RadioStreamParser p;
  const char text[] = "Rdy\r\nCRC!\r\n";
  const uint8_t garbage[] = {0x00, 0xAA, 0x13, 0xBB, 0xA5, 0x7F, 0xAA, 0x01};
  const LegacyFrameBytes ping = EncodeLegacy(LegacyPing(0xFE, 0x02));
  const FrameBuffer v2 = EncodeV2(SampleV2());
  int frames = 0;
  RadioFrame f;
  auto feed = [&](const auto& bytes, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      p.Push(bytes[i]);
      frames += DrainCount(&p, &f);
    }
  };
  feed(text, sizeof(text) - 1);
  feed(garbage, sizeof(garbage));
  feed(ping, ping.size());
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(f.kind, RadioFrame::Kind::kLegacy);
  EXPECT_EQ(f.legacy, LegacyPing(0xFE, 0x02));
  feed(garbage, sizeof(garbage));
  feed(v2.bytes, v2.size);
  EXPECT_EQ(frames, 2);
  EXPECT_EQ(f.kind, RadioFrame::Kind::kV2);
  EXPECT_EQ(f.v2, SampleV2());
  EXPECT_GT(p.dropped_bytes(), 0u);
}

TEST(RadioStreamTest, ResynchronisesInsideATruncatedFrame) {
  // A frame cut short by a collision, immediately followed by a good one: the old CCU lost
  // both (fixed 8-byte window); the parser must recover the second.
  RadioStreamParser p;
  const LegacyFrameBytes a = EncodeLegacy(LegacyReport(0x02, kSocketA, 49));
  const LegacyFrameBytes b = EncodeLegacy(LegacyReport(0x02, kSocketB, 2744));
  PushAll(&p, a, 4);
  RadioFrame f;
  EXPECT_FALSE(p.Poll(&f));
  int frames = 0;
  for (uint8_t byte : b) {
    p.Push(byte);
    frames += DrainCount(&p, &f);
  }
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(f.legacy, LegacyReport(0x02, kSocketB, 2744));
  EXPECT_EQ(p.bad_frames(), 1u);
}

TEST(RadioStreamTest, ResynchronisesInsideATruncatedV2Frame) {
  // The same collision with v2 frames: the truncated frame's length byte makes the parser
  // wait for bytes that belong to the next frame; the CRC fails and the good frame inside
  // that window is still found.
  RadioStreamParser p;
  const FrameBuffer cut = EncodeV2(SampleV2());
  V2Frame second = SampleV2();
  second.seq = static_cast<uint8_t>(second.seq + 1);
  const FrameBuffer good = EncodeV2(second);
  PushAll(&p, cut.bytes, 5);
  RadioFrame f;
  int frames = 0;
  for (size_t i = 0; i < good.size; ++i) {
    p.Push(good.bytes[i]);
    frames += DrainCount(&p, &f);
  }
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(f.kind, RadioFrame::Kind::kV2);
  EXPECT_EQ(f.v2, second);
  EXPECT_GE(p.bad_frames(), 1u);
}

TEST(RadioStreamTest, BackToBackFramesOfBothVersions) {
  RadioStreamParser p;
  const LegacyFrameBytes a = EncodeLegacy(LegacyRelay(0xFE, 0x02, kSocketB, false));
  const FrameBuffer v2 = EncodeV2(SampleV2());
  RadioFrame f;
  int frames = 0;
  for (int round = 0; round < 3; ++round) {
    for (uint8_t byte : a) {
      p.Push(byte);
      frames += DrainCount(&p, &f);
    }
    for (size_t i = 0; i < v2.size; ++i) {
      p.Push(v2.bytes[i]);
      frames += DrainCount(&p, &f);
    }
  }
  EXPECT_EQ(frames, 6);
  EXPECT_EQ(p.dropped_bytes(), 0u);
}

TEST(RadioStreamTest, BufferStaysBoundedWithoutPolling) {
  RadioStreamParser p;
  for (int i = 0; i < 1000; ++i) p.Push(0xAA);
  RadioFrame f;
  EXPECT_FALSE(p.Poll(&f));
  const LegacyFrameBytes ping = EncodeLegacy(LegacyPing(0x01, 0x01));
  int frames = 0;
  for (uint8_t byte : ping) {
    p.Push(byte);
    frames += DrainCount(&p, &f);
  }
  EXPECT_EQ(frames, 1);
}

}  // namespace
}  // namespace sw::fw
