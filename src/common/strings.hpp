// Small string helpers shared by every layer. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sw {

std::string_view Trim(std::string_view s);
std::string ToLower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);

// "Demo PPF Studio!" -> "demo-ppf-studio"; ASCII letters and digits kept, runs of anything
// else become one '-', cut at max_len on a word boundary when possible. Never empty: an
// input with no letters or digits gives "workshop".
std::string Slugify(std::string_view name, std::size_t max_len = 50);

// Escapes a string for inclusion inside a JSON string literal (without the quotes).
std::string JsonEscape(std::string_view s);

// True when s is well-formed UTF-8 with no C0 control characters other than tab/newline.
bool IsCleanUtf8(std::string_view s);

std::optional<std::int64_t> ParseInt64(std::string_view s);

// Standard base64 (RFC 4648 §4, with padding) to bytes; nullopt when malformed.
std::optional<std::string> DecodeBase64(std::string_view s);

}  // namespace sw
