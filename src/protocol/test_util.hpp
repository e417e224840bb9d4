// Helpers shared by the protocol tests: hex byte strings and decode shortcuts. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>

#include "protocol/codec.hpp"
#include "protocol/reason_code.hpp"

namespace sw::mqtt::testing {

// "10 0F 00 04" -> bytes. Whitespace separates nothing in particular; digits come in pairs.
// The token "LL" stands for the remaining length: the Variable Byte Integer of the number of
// bytes after it, so hand-written packets cannot fail for a miscounted length by accident.
inline std::string Hex(std::string_view hex) {
  std::string out;
  std::size_t length_at = std::string::npos;
  int high = -1;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    const char c = hex[i];
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (c == 'L' && i + 1 < hex.size() && hex[i + 1] == 'L') {
      length_at = out.size();
      ++i;
      continue;
    }
    const int digit = std::isdigit(static_cast<unsigned char>(c))
                          ? c - '0'
                          : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<char>(high * 16 + digit));
      high = -1;
    }
  }
  if (length_at != std::string::npos) {
    std::size_t n = out.size() - length_at;
    std::string varint;
    do {
      auto b = static_cast<unsigned char>(n & 0x7F);
      n >>= 7;
      if (n != 0) b |= 0x80;
      varint.push_back(static_cast<char>(b));
    } while (n != 0);
    out.insert(length_at, varint);
  }
  return out;
}

// The reason code Decode fails with, or kSuccess when it does not fail.
inline ReasonCode DecodeReason(std::string_view hex, ProtocolVersion version) {
  auto result = Decode(Hex(hex), version);
  return result.ok() ? ReasonCode::kSuccess : ReasonCodeOf(result.error());
}

inline std::string EncodeOrDie(const Packet& packet, ProtocolVersion version) {
  std::string out;
  const Status status = Encode(packet, version, out);
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
  return out;
}

}  // namespace sw::mqtt::testing
