// Small text helpers shared by the device cores (no heap, no printf): the protocol v1 topic
// suffixes, uid and version checks, bounded copies, and a builder for the short reasons in
// command results.
// Thread-safety: none needed; no state outside the caller's buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sw::fw {

// Topics are sw/d/{uid} followed by one of these (PRODUCT.md §4).
inline constexpr std::string_view kTopicTelemetry = "/telemetry";
inline constexpr std::string_view kTopicStatus = "/status";
inline constexpr std::string_view kTopicEvent = "/event";
inline constexpr std::string_view kTopicCommand = "/cmd";
inline constexpr std::string_view kTopicResult = "/cmd/result";

// [A-Za-z0-9._-]
bool ValidUidChar(char c);
// Non-empty, at most `capacity` printable characters, none of which needs JSON escaping.
bool ValidVersionText(std::string_view v, size_t capacity);
// Copies at most `capacity` characters (no terminator); returns how many.
size_t CopyText(std::string_view from, char* to, size_t capacity);

// Appends text and numbers to `out` (which holds max + 1 characters), always NUL-terminated;
// what does not fit is cut.
class TextBuilder {
 public:
  TextBuilder(char* out, size_t max) : out_(out), max_(max) { out_[0] = '\0'; }
  TextBuilder& Add(std::string_view text);
  TextBuilder& Add(uint64_t value);
  std::string_view view() const { return std::string_view(out_, size_); }

 private:
  char* out_;
  size_t max_;
  size_t size_ = 0;
};

}  // namespace sw::fw
