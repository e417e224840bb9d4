// JSON for the device protocol (PRODUCT.md §4) without a heap: JsonWriter appends to a
// caller's fixed buffer; ParseJsonObject checks one object against the JSON grammar and
// lists its members as views into the input (nested values are checked and returned as
// text, to be parsed again when needed). Numbers are written from fixed-point integers, so
// no printf/float formatting is pulled into the image.
//
// Limits: nesting depth kJsonMaxDepth; a document deeper than that, with a duplicate key,
// or with more members (or array elements) than the caller's array is refused. Strings are
// returned raw (still escaped); JsonUnescape decodes them (\uXXXX to UTF-8, surrogate pairs
// included). ParseJsonArray lists an array's elements like ParseJsonObject its members.
// Thread-safety: JsonWriter belongs to one task; the parse functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fw/span.h"

namespace sw::fw {

inline constexpr int kJsonMaxDepth = 8;

class JsonWriter {
 public:
  // A point to return to with Rewind (e.g. when an element did not fit).
  struct Mark {
    size_t size = 0;
    int depth = 0;
    uint32_t has_items = 0;
  };

  JsonWriter(char* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // The member name; the next call writes its value.
  void Key(std::string_view key);
  void String(std::string_view text);
  void Int(int64_t value);
  void Uint(uint64_t value);
  void Bool(bool value);
  // scaled / 10^decimals, without trailing zeros: Decimal(2340, 2) writes 23.4.
  void Decimal(int64_t scaled, int decimals);
  // Already-encoded JSON (a value or a raw string body); written as is.
  void Raw(std::string_view json);

  Mark GetMark() const { return Mark{size_, depth_, has_items_}; }
  void Rewind(const Mark& mark);

  // False once anything did not fit (or the nesting was unbalanced); the text is then
  // incomplete and must not be sent.
  bool ok() const { return ok_; }
  size_t size() const { return size_; }
  std::string_view view() const { return std::string_view(buffer_, size_); }

 private:
  void Open(char c);
  void Close(char c);
  void BeforeValue();
  void Put(char c);
  void Put(std::string_view s);

  char* buffer_;
  size_t capacity_;
  size_t size_ = 0;
  bool ok_ = true;
  bool after_key_ = false;
  int depth_ = 0;
  uint32_t has_items_ = 0;  // bit d: the container at depth d already has an element
};

enum class JsonType : uint8_t { kString, kNumber, kObject, kArray, kTrue, kFalse, kNull };

struct JsonMember {
  std::string_view key;  // raw (escaped), without the quotes
  JsonType type = JsonType::kNull;
  std::string_view value;  // string: raw body without quotes; otherwise the value's text
};

enum class JsonError : uint8_t {
  kOk = 0,
  kSyntax,          // not JSON, or trailing bytes after the object
  kNotObject,       // valid start but the top level is not an object
  kTooDeep,         // nesting deeper than kJsonMaxDepth
  kTooManyMembers,  // more members than the output array holds
  kDuplicateKey,
  kNotArray,  // ParseJsonArray: valid start but the top level is not an array
};

// Parses `text` as one JSON object (surrounding whitespace allowed). On any result,
// *count members (those before the point of failure) are valid in `members`.
JsonError ParseJsonObject(std::string_view text, Span<JsonMember> members, size_t* count);

// Parses `text` as one JSON array (surrounding whitespace allowed), listing its elements
// (key empty) like ParseJsonObject lists members; kTooManyMembers when there are more
// elements than `elements` holds.
JsonError ParseJsonArray(std::string_view text, Span<JsonMember> elements, size_t* count);

// The member whose (unescaped) key equals `key`, or nullptr.
const JsonMember* FindJsonMember(Span<const JsonMember> members, std::string_view key);

// Whether a raw string body decodes to exactly `plain`.
bool JsonStringEquals(std::string_view raw, std::string_view plain);

// Decodes a raw string body into out (no terminator). False if it does not fit or holds
// an invalid escape or a NUL.
bool JsonUnescape(std::string_view raw, char* out, size_t capacity, size_t* size);

// An integer number token ("-12", "30"); fractions, exponents and overflow are refused.
bool JsonToInt64(std::string_view number, int64_t* out);

}  // namespace sw::fw
