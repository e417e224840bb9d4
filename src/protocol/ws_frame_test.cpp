#include "protocol/ws_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/test_util.hpp"

namespace sw::mqtt {
namespace {

using testing::Hex;

// A client frame: masked with `mask`, FIN unless `fin` is false; `first_extra` ORs RSV bits.
std::string ClientFrame(std::uint8_t opcode, const std::string& payload, bool fin = true,
                        std::string mask = "\x11\x22\x33\x44", std::uint8_t first_extra = 0) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | first_extra | opcode));
  const bool masked = !mask.empty();
  const auto m = static_cast<std::uint8_t>(masked ? 0x80 : 0x00);
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(m | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    out.push_back(static_cast<char>(m | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
    }
  }
  out += mask;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out.push_back(masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i]);
  }
  return out;
}

struct Seen {
  std::string data;  // every kData piece, concatenated
  std::vector<WsEvent::Kind> kinds;
  std::vector<std::string> texts;  // data of each non-data event
  std::uint16_t code = 0;          // of the last close or error
};

// Feeds `bytes` in chunks of `chunk` bytes (0: all at once) and records the events.
Seen Feed(WsFrameReader& reader, std::string bytes, std::size_t chunk = 0) {
  Seen seen;
  if (chunk == 0) chunk = bytes.size() + 1;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    std::span<char> in(bytes.data() + at, std::min(chunk, bytes.size() - at));
    for (;;) {
      const WsEvent e = reader.Next(in);
      if (e.kind == WsEvent::Kind::kNeedMore) break;
      if (e.kind == WsEvent::Kind::kData) {
        seen.data.append(e.data);
        if (seen.kinds.empty() || seen.kinds.back() != WsEvent::Kind::kData) {
          seen.kinds.push_back(e.kind);
        }
        continue;
      }
      seen.kinds.push_back(e.kind);
      seen.texts.emplace_back(e.data);
      seen.code = e.code;
    }
  }
  return seen;
}

Seen Feed(std::string bytes, std::size_t chunk = 0) {
  WsFrameReader reader;
  return Feed(reader, std::move(bytes), chunk);
}

using K = WsEvent::Kind;

TEST(WsFrameReader, BinaryFrameIsUnmasked) {
  const Seen s = Feed(ClientFrame(0x2, Hex("10 0C 00 04 4D 51 54 54 05 02 00 3C 00 00")));
  EXPECT_EQ(s.data, Hex("10 0C 00 04 4D 51 54 54 05 02 00 3C 00 00"));
  EXPECT_EQ(s.kinds, std::vector<K>{K::kData});
}

TEST(WsFrameReader, EveryChunkSizeGivesTheSameBytes) {
  // Several frames, 7-bit, 16-bit and 64-bit lengths, an empty frame, a fragmented message
  // with a ping between its fragments.
  const std::string a(100, 'a');
  const std::string b(300, 'b');
  const std::string c(70'000, 'c');
  const std::string stream = ClientFrame(0x2, a) + ClientFrame(0x2, "") + ClientFrame(0x2, b) +
                             ClientFrame(0x2, "x", false) + ClientFrame(0x9, "hi") +
                             ClientFrame(0x0, "y", false) + ClientFrame(0x0, c);
  for (std::size_t chunk : {0, 1, 2, 3, 5, 13, 4096}) {
    const Seen s = Feed(stream, chunk);
    EXPECT_EQ(s.data, a + b + "xy" + c) << chunk;
    ASSERT_EQ(s.texts.size(), 1u) << chunk;
    EXPECT_EQ(s.texts[0], "hi");
  }
}

TEST(WsFrameReader, ControlFrames) {
  const Seen s = Feed(ClientFrame(0x9, "") + ClientFrame(0xA, "p") + ClientFrame(0x9, "ping!"));
  EXPECT_EQ(s.kinds, (std::vector<K>{K::kPing, K::kPong, K::kPing}));
  EXPECT_EQ(s.texts, (std::vector<std::string>{"", "p", "ping!"}));
}

TEST(WsFrameReader, CloseCarriesCodeAndReasonAndEndsTheStream) {
  WsFrameReader reader;
  const Seen s = Feed(reader, ClientFrame(0x8, Hex("03 E8") + "bye") + ClientFrame(0x2, "late"));
  EXPECT_EQ(s.kinds, std::vector<K>{K::kClose});
  EXPECT_EQ(s.code, 1000);
  EXPECT_EQ(s.texts[0], "bye");
  EXPECT_TRUE(s.data.empty());
  EXPECT_TRUE(Feed(reader, ClientFrame(0x2, "more")).kinds.empty());

  const Seen empty = Feed(ClientFrame(0x8, ""));
  EXPECT_EQ(empty.kinds, std::vector<K>{K::kClose});
  EXPECT_EQ(empty.code, kWsCloseNoStatus);
}

struct BadCase {
  const char* name;
  std::string bytes;
  std::uint16_t code;
};

TEST(WsFrameReader, FramingErrorsCloseWithTheRightCode) {
  std::string non_minimal16 = ClientFrame(0x2, std::string(200, 'x'));
  non_minimal16[2] = 0;
  non_minimal16[3] = 10;  // 126 form for a length of 10
  std::string top_bit = ClientFrame(0x2, std::string(70'000, 'x'));
  top_bit[2] = static_cast<char>(0x80);
  std::string non_minimal64 = ClientFrame(0x2, std::string(70'000, 'x'));
  for (int i = 2; i < 10; ++i) non_minimal64[static_cast<std::size_t>(i)] = 0;
  non_minimal64[9] = 100;
  const std::vector<BadCase> cases = {
      {"text frame", ClientFrame(0x1, "{}"), kWsCloseUnsupportedData},
      {"unmasked", ClientFrame(0x2, "abc", true, ""), kWsCloseProtocolError},
      {"rsv1 (no permessage-deflate)", ClientFrame(0x2, "abc", true, "\1\2\3\4", 0x40),
       kWsCloseProtocolError},
      {"unknown opcode", ClientFrame(0x3, "abc"), kWsCloseProtocolError},
      {"big control frame", ClientFrame(0x9, std::string(126, 'p')), kWsCloseProtocolError},
      {"fragmented control frame", ClientFrame(0x9, "p", false), kWsCloseProtocolError},
      {"lone continuation", ClientFrame(0x0, "abc"), kWsCloseProtocolError},
      {"binary inside a message", ClientFrame(0x2, "a", false) + ClientFrame(0x2, "b"),
       kWsCloseProtocolError},
      {"text inside a message", ClientFrame(0x2, "a", false) + ClientFrame(0x1, "b"),
       kWsCloseUnsupportedData},
      {"non-minimal 16-bit length", non_minimal16, kWsCloseProtocolError},
      {"64-bit length top bit", top_bit, kWsCloseProtocolError},
      {"non-minimal 64-bit length", non_minimal64, kWsCloseProtocolError},
      {"one-byte close", ClientFrame(0x8, "\x03"), kWsCloseProtocolError},
      {"close code 1005 sent", ClientFrame(0x8, Hex("03 ED")), kWsCloseProtocolError},
      {"close code 999", ClientFrame(0x8, Hex("03 E7")), kWsCloseProtocolError},
  };
  for (const BadCase& c : cases) {
    for (std::size_t chunk : {0, 1}) {
      WsFrameReader reader;
      const Seen s = Feed(reader, c.bytes + ClientFrame(0x2, "after"), chunk);
      ASSERT_FALSE(s.kinds.empty()) << c.name;
      EXPECT_EQ(s.kinds.back(), K::kError) << c.name;
      EXPECT_EQ(s.code, c.code) << c.name;
      EXPECT_FALSE(s.texts.back().empty()) << c.name;
      EXPECT_EQ(s.data.find("after"), std::string::npos) << c.name;
    }
  }
}

TEST(WsFrameWriter, HeadersUseTheShortestLength) {
  const auto header = [](std::size_t n) {
    std::string out;
    AppendWsFrameHeader(WsOpcode::kBinary, n, out);
    return out;
  };
  EXPECT_EQ(header(0), Hex("82 00"));
  EXPECT_EQ(header(125), Hex("82 7D"));
  EXPECT_EQ(header(126), Hex("82 7E 00 7E"));
  EXPECT_EQ(header(65535), Hex("82 7E FF FF"));
  EXPECT_EQ(header(65536), Hex("82 7F 00 00 00 00 00 01 00 00"));
}

TEST(WsFrameWriter, CloseAndPong) {
  std::string out;
  AppendWsClose(kWsCloseUnsupportedData, "text", out);
  EXPECT_EQ(out, Hex("88 06 03 EB") + "text");
  out.clear();
  AppendWsClose(kWsCloseNormal, std::string(200, 'r'), out);
  EXPECT_EQ(out.size(), 2u + 125u);  // the reason is cut to fit a control frame
  out.clear();
  AppendWsPong("hi", out);
  EXPECT_EQ(out, Hex("8A 02") + "hi");
}

}  // namespace
}  // namespace sw::mqtt
