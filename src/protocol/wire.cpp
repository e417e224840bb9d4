#include "protocol/wire.hpp"

#include "protocol/reason_code.hpp"

namespace sw::mqtt {
namespace {

Error Truncated(const char* what) {
  return MqttError(ReasonCode::kMalformedPacket, std::string("truncated ") + what);
}

}  // namespace

bool IsValidMqttUtf8(std::string_view text) {
  return text.size() <= kMaxStringBytes && text.find('\0') == std::string_view::npos &&
         IsWellFormedUtf8(text);
}

bool IsWellFormedUtf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
      min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
      min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
      min = 0x10000;
    } else {
      return false;  // continuation byte or 0xF8..0xFF as a lead byte
    }
    if (n - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min) return false;                      // overlong
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // surrogate
    if (cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

VarintParse ParseVarint(std::string_view in, std::uint32_t& value, std::size_t& used) {
  std::uint32_t result = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i >= in.size()) return VarintParse::kNeedMore;
    const auto b = static_cast<unsigned char>(in[i]);
    result |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      // A trailing zero byte after the first means a longer encoding than needed.
      if (i > 0 && b == 0) return VarintParse::kMalformed;
      value = result;
      used = i + 1;
      return VarintParse::kOk;
    }
  }
  return VarintParse::kMalformed;
}

std::size_t VarintSize(std::uint32_t value) {
  if (value < 128) return 1;
  if (value < 16'384) return 2;
  if (value < 2'097'152) return 3;
  return 4;
}

void Writer::U16(std::uint16_t v) {
  U8(static_cast<std::uint8_t>(v >> 8));
  U8(static_cast<std::uint8_t>(v));
}

void Writer::U32(std::uint32_t v) {
  U16(static_cast<std::uint16_t>(v >> 16));
  U16(static_cast<std::uint16_t>(v));
}

void Writer::Varint(std::uint32_t v) {
  do {
    auto b = static_cast<std::uint8_t>(v & 0x7F);
    v >>= 7;
    if (v != 0) b |= 0x80;
    U8(b);
  } while (v != 0);
}

void Writer::LengthPrefixed(std::string_view v) {
  U16(static_cast<std::uint16_t>(v.size()));
  Bytes(v);
}

Status Reader::U8(std::uint8_t& v, const char* what) {
  if (Remaining() < 1) return Truncated(what);
  v = static_cast<std::uint8_t>(in_[pos_++]);
  return Ok{};
}

Status Reader::U16(std::uint16_t& v, const char* what) {
  if (Remaining() < 2) return Truncated(what);
  v = static_cast<std::uint16_t>((static_cast<unsigned char>(in_[pos_]) << 8) |
                                 static_cast<unsigned char>(in_[pos_ + 1]));
  pos_ += 2;
  return Ok{};
}

Status Reader::U32(std::uint32_t& v, const char* what) {
  if (Remaining() < 4) return Truncated(what);
  v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in_[pos_++]);
  return Ok{};
}

Status Reader::Varint(std::uint32_t& v, const char* what) {
  std::size_t used = 0;
  switch (ParseVarint(in_.substr(pos_), v, used)) {
    case VarintParse::kOk: pos_ += used; return Ok{};
    case VarintParse::kNeedMore: return Truncated(what);
    case VarintParse::kMalformed: break;
  }
  return MqttError(ReasonCode::kMalformedPacket,
                   std::string("invalid variable byte integer in ") + what);
}

Status Reader::Utf8(std::string& v, const char* what) {
  SW_TRY(Binary(v, what));
  if (!IsValidMqttUtf8(v)) {
    return MqttError(ReasonCode::kMalformedPacket, std::string("invalid UTF-8 in ") + what);
  }
  return Ok{};
}

Status Reader::Binary(std::string& v, const char* what) {
  std::uint16_t len = 0;
  SW_TRY(U16(len, what));
  return Bytes(len, v, what);
}

Status Reader::Bytes(std::size_t n, std::string& v, const char* what) {
  if (Remaining() < n) return Truncated(what);
  v.assign(in_.substr(pos_, n));
  pos_ += n;
  return Ok{};
}

std::string_view Reader::Rest() {
  std::string_view rest = in_.substr(pos_);
  pos_ = in_.size();
  return rest;
}

}  // namespace sw::mqtt
