// See fw/text.h.
#include "fw/text.h"

namespace sw::fw {

bool ValidUidChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool ValidVersionText(std::string_view v, size_t capacity) {
  bool ok = !v.empty() && v.size() <= capacity;
  for (char c : v) ok = ok && c > ' ' && c < 0x7F && c != '"' && c != '\\';
  return ok;
}

size_t CopyText(std::string_view from, char* to, size_t capacity) {
  const size_t n = from.size() < capacity ? from.size() : capacity;
  for (size_t i = 0; i < n; ++i) to[i] = from[i];
  return n;
}

TextBuilder& TextBuilder::Add(std::string_view text) {
  for (char c : text) {
    if (size_ == max_) break;
    out_[size_++] = c;
  }
  out_[size_] = '\0';
  return *this;
}

TextBuilder& TextBuilder::Add(uint64_t value) {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) {
    const char c[1] = {digits[--n]};
    Add(std::string_view(c, 1));
  }
  return *this;
}

}  // namespace sw::fw
