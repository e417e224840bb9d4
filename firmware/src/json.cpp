// Fixed-buffer JSON writer and object parser: see fw/json.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/json.h"

namespace sw::fw {

namespace {

constexpr uint64_t kPow10[] = {1,      10,      100,      1000,      10000,
                               100000, 1000000, 10000000, 100000000, 1000000000};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ReadHex4(std::string_view raw, size_t at, uint32_t* out) {
  if (at + 4 > raw.size()) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    const int h = HexValue(raw[at + i]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(h);
  }
  *out = v;
  return true;
}

// Decodes the character of a raw string body at *i into UTF-8 bytes (1..4) and advances.
bool DecodeNext(std::string_view raw, size_t* i, char out[4], size_t* n) {
  const char c = raw[*i];
  if (c != '\\') {
    out[0] = c;
    *n = 1;
    *i += 1;
    return true;
  }
  if (*i + 1 >= raw.size()) return false;
  const char e = raw[*i + 1];
  char simple = 0;
  switch (e) {
    case '"': simple = '"'; break;
    case '\\': simple = '\\'; break;
    case '/': simple = '/'; break;
    case 'b': simple = '\b'; break;
    case 'f': simple = '\f'; break;
    case 'n': simple = '\n'; break;
    case 'r': simple = '\r'; break;
    case 't': simple = '\t'; break;
    case 'u': break;
    default: return false;
  }
  if (simple != 0) {
    out[0] = simple;
    *n = 1;
    *i += 2;
    return true;
  }
  uint32_t cp = 0;
  if (!ReadHex4(raw, *i + 2, &cp)) return false;
  size_t used = 6;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    uint32_t low = 0;
    if (*i + 12 > raw.size() || raw[*i + 6] != '\\' || raw[*i + 7] != 'u' ||
        !ReadHex4(raw, *i + 8, &low) || low < 0xDC00 || low > 0xDFFF) {
      return false;
    }
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    used = 12;
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    return false;  // a lone low surrogate
  }
  if (cp == 0) return false;  // NUL would truncate C strings downstream
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    *n = 1;
  } else if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    *n = 2;
  } else if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    *n = 3;
  } else {
    out[0] = static_cast<char>(0xF0 | (cp >> 18));
    out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[3] = static_cast<char>(0x80 | (cp & 0x3F));
    *n = 4;
  }
  *i += used;
  return true;
}

// Compares two raw bodies by their decoded bytes.
bool RawEquals(std::string_view a, std::string_view b) {
  size_t ia = 0, ib = 0, na = 0, nb = 0, pa = 0, pb = 0;
  char ba[4], bb[4];
  for (;;) {
    if (pa == na) {
      if (ia == a.size()) {
        na = 0;
      } else if (!DecodeNext(a, &ia, ba, &na)) {
        return false;
      }
      pa = 0;
    }
    if (pb == nb) {
      if (ib == b.size()) {
        nb = 0;
      } else if (!DecodeNext(b, &ib, bb, &nb)) {
        return false;
      }
      pb = 0;
    }
    if (na == 0 || nb == 0) return na == 0 && nb == 0;
    if (ba[pa++] != bb[pb++]) return false;
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : t_(text) {}

  JsonError Object(Span<JsonMember> members, size_t* count) {
    *count = 0;
    SkipWs();
    if (!Peek('{')) return pos_ < t_.size() ? JsonError::kNotObject : JsonError::kSyntax;
    ++pos_;
    SkipWs();
    if (Peek('}')) {
      ++pos_;
      return End();
    }
    for (;;) {
      SkipWs();
      std::string_view key;
      if (!String(&key)) return JsonError::kSyntax;
      SkipWs();
      if (!Peek(':')) return JsonError::kSyntax;
      ++pos_;
      SkipWs();
      JsonMember m;
      m.key = key;
      const JsonError e = Value(1, &m.type, &m.value);
      if (e != JsonError::kOk) return e;
      for (size_t i = 0; i < *count; ++i) {
        if (RawEquals(members[i].key, key)) return JsonError::kDuplicateKey;
      }
      if (*count == members.size()) return JsonError::kTooManyMembers;
      members[(*count)++] = m;
      SkipWs();
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      if (Peek('}')) {
        ++pos_;
        return End();
      }
      return JsonError::kSyntax;
    }
  }

  JsonError Array(Span<JsonMember> elements, size_t* count) {
    *count = 0;
    SkipWs();
    if (!Peek('[')) return pos_ < t_.size() ? JsonError::kNotArray : JsonError::kSyntax;
    ++pos_;
    SkipWs();
    if (Peek(']')) {
      ++pos_;
      return End();
    }
    for (;;) {
      SkipWs();
      JsonMember m;
      const JsonError e = Value(1, &m.type, &m.value);
      if (e != JsonError::kOk) return e;
      if (*count == elements.size()) return JsonError::kTooManyMembers;
      elements[(*count)++] = m;
      SkipWs();
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      if (Peek(']')) {
        ++pos_;
        return End();
      }
      return JsonError::kSyntax;
    }
  }

 private:
  JsonError End() {
    SkipWs();
    return pos_ == t_.size() ? JsonError::kOk : JsonError::kSyntax;
  }

  bool Peek(char c) const { return pos_ < t_.size() && t_[pos_] == c; }

  void SkipWs() {
    while (pos_ < t_.size() &&
           (t_[pos_] == ' ' || t_[pos_] == '\t' || t_[pos_] == '\n' || t_[pos_] == '\r')) {
      ++pos_;
    }
  }

  JsonError Value(int depth, JsonType* type, std::string_view* text) {
    if (pos_ >= t_.size()) return JsonError::kSyntax;
    const size_t start = pos_;
    const char c = t_[pos_];
    if (c == '"') {
      *type = JsonType::kString;
      return String(text) ? JsonError::kOk : JsonError::kSyntax;
    }
    if (c == '{' || c == '[') {
      if (depth >= kJsonMaxDepth) return JsonError::kTooDeep;
      *type = c == '{' ? JsonType::kObject : JsonType::kArray;
      const JsonError e = c == '{' ? NestedObject(depth + 1) : NestedArray(depth + 1);
      if (e != JsonError::kOk) return e;
    } else if (c == '-' || IsDigit(c)) {
      *type = JsonType::kNumber;
      if (!Number()) return JsonError::kSyntax;
    } else if (Literal("true")) {
      *type = JsonType::kTrue;
    } else if (Literal("false")) {
      *type = JsonType::kFalse;
    } else if (Literal("null")) {
      *type = JsonType::kNull;
    } else {
      return JsonError::kSyntax;
    }
    *text = t_.substr(start, pos_ - start);
    return JsonError::kOk;
  }

  JsonError NestedObject(int depth) {
    ++pos_;  // '{'
    SkipWs();
    if (Peek('}')) {
      ++pos_;
      return JsonError::kOk;
    }
    for (;;) {
      SkipWs();
      std::string_view key;
      if (!String(&key)) return JsonError::kSyntax;
      SkipWs();
      if (!Peek(':')) return JsonError::kSyntax;
      ++pos_;
      SkipWs();
      JsonType type;
      std::string_view value;
      const JsonError e = Value(depth, &type, &value);
      if (e != JsonError::kOk) return e;
      SkipWs();
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      if (Peek('}')) {
        ++pos_;
        return JsonError::kOk;
      }
      return JsonError::kSyntax;
    }
  }

  JsonError NestedArray(int depth) {
    ++pos_;  // '['
    SkipWs();
    if (Peek(']')) {
      ++pos_;
      return JsonError::kOk;
    }
    for (;;) {
      SkipWs();
      JsonType type;
      std::string_view value;
      const JsonError e = Value(depth, &type, &value);
      if (e != JsonError::kOk) return e;
      SkipWs();
      if (Peek(',')) {
        ++pos_;
        continue;
      }
      if (Peek(']')) {
        ++pos_;
        return JsonError::kOk;
      }
      return JsonError::kSyntax;
    }
  }

  bool String(std::string_view* body) {
    if (!Peek('"')) return false;
    const size_t start = ++pos_;
    while (pos_ < t_.size()) {
      const unsigned char c = static_cast<unsigned char>(t_[pos_]);
      if (c == '"') {
        *body = t_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (pos_ + 1 >= t_.size()) return false;
        const char e = t_[pos_ + 1];
        if (e == 'u') {
          uint32_t ignored = 0;
          if (!ReadHex4(t_, pos_ + 2, &ignored)) return false;
          pos_ += 6;
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
            e != 't') {
          return false;
        }
        pos_ += 2;
        continue;
      }
      ++pos_;
    }
    return false;
  }

  bool Digits() {
    const size_t start = pos_;
    while (pos_ < t_.size() && IsDigit(t_[pos_])) ++pos_;
    return pos_ > start;
  }

  bool Number() {
    if (Peek('-')) ++pos_;
    if (Peek('0')) {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    if (Peek('.')) {
      ++pos_;
      if (!Digits()) return false;
    }
    if (Peek('e') || Peek('E')) {
      ++pos_;
      if (Peek('+') || Peek('-')) ++pos_;
      if (!Digits()) return false;
    }
    return true;
  }

  bool Literal(std::string_view word) {
    if (t_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  std::string_view t_;
  size_t pos_ = 0;
};

}  // namespace

// ---- writer ----

void JsonWriter::Put(char c) {
  if (size_ >= capacity_) {
    ok_ = false;
    return;
  }
  buffer_[size_++] = c;
}

void JsonWriter::Put(std::string_view s) {
  for (char c : s) Put(c);
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ > 0) {
    const uint32_t bit = 1u << depth_;
    if (has_items_ & bit) Put(',');
    has_items_ |= bit;
  }
}

void JsonWriter::Open(char c) {
  BeforeValue();
  Put(c);
  if (depth_ >= 31) {
    ok_ = false;
    return;
  }
  ++depth_;
  has_items_ &= ~(1u << depth_);
}

void JsonWriter::Close(char c) {
  if (depth_ == 0 || after_key_) {
    ok_ = false;
    return;
  }
  Put(c);
  --depth_;
}

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  after_key_ = false;
  Put('"');
  for (char c : key) {
    if (c == '"' || c == '\\') Put('\\');
    Put(c);
  }
  Put('"');
  Put(':');
  after_key_ = true;
}

void JsonWriter::String(std::string_view text) {
  BeforeValue();
  Put('"');
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      Put('\\');
      Put(ch);
    } else if (c == '\n') {
      Put("\\n");
    } else if (c < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      Put("\\u00");
      Put(kHex[c >> 4]);
      Put(kHex[c & 0xF]);
    } else {
      Put(ch);
    }
  }
  Put('"');
}

void JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) Put(digits[--n]);
}

void JsonWriter::Int(int64_t value) {
  if (value < 0) {
    BeforeValue();
    Put('-');
    after_key_ = true;  // the digits continue this value: no separator
    Uint(static_cast<uint64_t>(-(value + 1)) + 1);
    return;
  }
  Uint(static_cast<uint64_t>(value));
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  Put(value ? "true" : "false");
}

void JsonWriter::Decimal(int64_t scaled, int decimals) {
  if (decimals <= 0 || decimals > 9) {
    Int(scaled);
    return;
  }
  BeforeValue();
  uint64_t magnitude = scaled < 0 ? static_cast<uint64_t>(-(scaled + 1)) + 1 : scaled;
  if (scaled < 0) Put('-');
  uint64_t fraction = magnitude % kPow10[decimals];
  after_key_ = true;
  Uint(magnitude / kPow10[decimals]);
  int width = decimals;
  while (fraction != 0 && fraction % 10 == 0) {
    fraction /= 10;
    --width;
  }
  if (fraction == 0) return;
  Put('.');
  for (int i = width - 1; i >= 0; --i) {
    Put(static_cast<char>('0' + (fraction / kPow10[i]) % 10));
  }
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  Put(json);
}

void JsonWriter::Rewind(const Mark& mark) {
  size_ = mark.size;
  depth_ = mark.depth;
  has_items_ = mark.has_items;
  after_key_ = false;
  ok_ = true;
}

// ---- reader ----

JsonError ParseJsonObject(std::string_view text, Span<JsonMember> members, size_t* count) {
  Parser parser(text);
  return parser.Object(members, count);
}

JsonError ParseJsonArray(std::string_view text, Span<JsonMember> elements, size_t* count) {
  Parser parser(text);
  return parser.Array(elements, count);
}

bool JsonStringEquals(std::string_view raw, std::string_view plain) {
  size_t i = 0;
  size_t at = 0;
  char bytes[4];
  size_t n = 0;
  while (i < raw.size()) {
    if (!DecodeNext(raw, &i, bytes, &n)) return false;
    for (size_t k = 0; k < n; ++k) {
      if (at >= plain.size() || plain[at++] != bytes[k]) return false;
    }
  }
  return at == plain.size();
}

const JsonMember* FindJsonMember(Span<const JsonMember> members, std::string_view key) {
  for (const JsonMember& m : members) {
    if (JsonStringEquals(m.key, key)) return &m;
  }
  return nullptr;
}

bool JsonUnescape(std::string_view raw, char* out, size_t capacity, size_t* size) {
  size_t i = 0;
  size_t at = 0;
  char bytes[4];
  size_t n = 0;
  while (i < raw.size()) {
    if (!DecodeNext(raw, &i, bytes, &n)) return false;
    if (n == 1 && bytes[0] == '\0') return false;
    if (at + n > capacity) return false;
    for (size_t k = 0; k < n; ++k) out[at++] = bytes[k];
  }
  *size = at;
  return true;
}

bool JsonToInt64(std::string_view number, int64_t* out) {
  size_t i = 0;
  const bool negative = !number.empty() && number[0] == '-';
  if (negative) i = 1;
  if (i >= number.size()) return false;
  if (number[i] == '0' && number.size() > i + 1) return false;  // leading zero
  // Accumulate as a negative value so that INT64_MIN is representable.
  int64_t value = 0;
  constexpr int64_t kMin = static_cast<int64_t>(-9223372036854775807LL - 1);
  for (; i < number.size(); ++i) {
    if (!IsDigit(number[i])) return false;
    const int digit = number[i] - '0';
    if (value < kMin / 10 || (value == kMin / 10 && -digit < kMin % 10)) return false;
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == kMin) return false;
    value = -value;
  }
  *out = value;
  return true;
}

}  // namespace sw::fw
