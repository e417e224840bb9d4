// Low-level MQTT wire primitives: big-endian integers, Variable Byte Integers, length-prefixed
// UTF-8 strings and binary data, and the MQTT rules for UTF-8 text.
//
// Used by the codec and the framer; exposed for tests. Reader and Writer are small
// single-owner cursors (not thread-safe); the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace sw::mqtt {

inline constexpr std::uint32_t kMaxVarint = 268'435'455;  // 0xFF 0xFF 0xFF 0x7F
inline constexpr std::size_t kMaxStringBytes = 65'535;

// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF. U+0000 is allowed; used for payloads with payload format indicator 1.
bool IsWellFormedUtf8(std::string_view text);

// True when `text` is a valid MQTT UTF-8 string body: well-formed UTF-8 (no overlong forms,
// no surrogates, nothing above U+10FFFF), no U+0000, at most 65535 bytes.
bool IsValidMqttUtf8(std::string_view text);

enum class VarintParse { kOk, kNeedMore, kMalformed };

// Parses a Variable Byte Integer at the start of `in`. kMalformed for more than 4 bytes or a
// non-minimal encoding (MQTT-1.5.5-1). On kOk sets `value` and `used` (1..4).
VarintParse ParseVarint(std::string_view in, std::uint32_t& value, std::size_t& used);

// Number of bytes the Variable Byte Integer encoding of `value` takes (value <= kMaxVarint).
std::size_t VarintSize(std::uint32_t value);

// Appends big-endian fields to a string.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(std::uint16_t v);
  void U32(std::uint32_t v);
  void Varint(std::uint32_t v);  // v <= kMaxVarint
  void Bytes(std::string_view v) { out_.append(v); }
  // A two-byte length then the bytes; the caller has checked v.size() <= kMaxStringBytes.
  void LengthPrefixed(std::string_view v);

 private:
  std::string& out_;
};

// Reads big-endian fields from a bounded view. Failures are Malformed Packet errors that
// name the field (`what`); on failure the output argument is unspecified.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  std::size_t Remaining() const { return in_.size() - pos_; }
  bool AtEnd() const { return pos_ == in_.size(); }

  Status U8(std::uint8_t& v, const char* what);
  Status U16(std::uint16_t& v, const char* what);
  Status U32(std::uint32_t& v, const char* what);
  Status Varint(std::uint32_t& v, const char* what);
  // A two-byte length then that many bytes, validated as MQTT UTF-8.
  Status Utf8(std::string& v, const char* what);
  // A two-byte length then that many bytes.
  Status Binary(std::string& v, const char* what);
  // The next n bytes.
  Status Bytes(std::size_t n, std::string& v, const char* what);
  // Everything left.
  std::string_view Rest();

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

}  // namespace sw::mqtt
