#include "model/http_mapping.hpp"

#include <cstdint>

namespace sw::sim {
namespace {

constexpr std::size_t kMaxMembers = 64;
constexpr int kMaxDepth = 32;

void SkipSpace(std::string_view s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
}

// s[i] == '"': moves i past the closing quote.
bool SkipString(std::string_view s, std::size_t& i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      ++i;
      return true;
    }
  }
  return false;
}

// Moves i past one JSON value (not validated in detail: numbers and literals are a run of
// their characters; strings, objects and arrays are matched).
bool SkipValue(std::string_view s, std::size_t& i, int depth) {
  if (depth > kMaxDepth) return false;
  SkipSpace(s, i);
  if (i >= s.size()) return false;
  const char c = s[i];
  if (c == '"') return SkipString(s, i);
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    ++i;
    SkipSpace(s, i);
    if (i < s.size() && s[i] == close) {
      ++i;
      return true;
    }
    for (;;) {
      if (c == '{') {
        SkipSpace(s, i);
        if (i >= s.size() || s[i] != '"' || !SkipString(s, i)) return false;
        SkipSpace(s, i);
        if (i >= s.size() || s[i] != ':') return false;
        ++i;
      }
      if (!SkipValue(s, i, depth + 1)) return false;
      SkipSpace(s, i);
      if (i >= s.size()) return false;
      if (s[i] == close) {
        ++i;
        return true;
      }
      if (s[i] != ',') return false;
      ++i;
    }
  }
  const std::size_t start = i;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
                          s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'E')) {
    ++i;
  }
  return i > start;
}

// The elements of a JSON array, as raw text.
std::optional<std::vector<std::string_view>> JsonElements(std::string_view s) {
  std::size_t i = 0;
  SkipSpace(s, i);
  if (i >= s.size() || s[i] != '[') return std::nullopt;
  std::vector<std::string_view> out;
  ++i;
  SkipSpace(s, i);
  if (i < s.size() && s[i] == ']') return out;
  for (;;) {
    SkipSpace(s, i);
    const std::size_t start = i;
    if (!SkipValue(s, i, 1)) return std::nullopt;
    out.push_back(s.substr(start, i - start));
    SkipSpace(s, i);
    if (i >= s.size()) return std::nullopt;
    if (s[i] == ']') return out;
    if (s[i] != ',') return std::nullopt;
    ++i;
  }
}

// A plain JSON string's contents (no escapes); nullopt otherwise.
std::optional<std::string_view> PlainString(std::string_view raw) {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return std::nullopt;
  raw = raw.substr(1, raw.size() - 2);
  if (raw.find('\\') != std::string_view::npos) return std::nullopt;
  return raw;
}

std::string PercentEncode(std::string_view s) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string JoinMembers(const std::vector<std::pair<std::string_view, std::string_view>>& members,
                        std::string_view drop1, std::string_view drop2) {
  std::string out = "{";
  for (const auto& [key, value] : members) {
    if (key == drop1 || key == drop2) continue;
    if (out.size() > 1) out += ',';
    out += '"';
    out += key;
    out += "\":";
    out += value;
  }
  out += '}';
  return out;
}

}  // namespace

std::optional<std::vector<std::pair<std::string_view, std::string_view>>> JsonMembers(
    std::string_view s) {
  std::size_t i = 0;
  SkipSpace(s, i);
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  std::vector<std::pair<std::string_view, std::string_view>> out;
  ++i;
  SkipSpace(s, i);
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    for (;;) {
      SkipSpace(s, i);
      if (i >= s.size() || s[i] != '"') return std::nullopt;
      const std::size_t key_start = i + 1;
      if (!SkipString(s, i)) return std::nullopt;
      const std::string_view key = s.substr(key_start, i - 1 - key_start);
      SkipSpace(s, i);
      if (i >= s.size() || s[i] != ':') return std::nullopt;
      ++i;
      SkipSpace(s, i);
      const std::size_t value_start = i;
      if (!SkipValue(s, i, 1)) return std::nullopt;
      if (out.size() >= kMaxMembers) return std::nullopt;
      out.emplace_back(key, s.substr(value_start, i - value_start));
      SkipSpace(s, i);
      if (i >= s.size()) return std::nullopt;
      if (s[i] == '}') {
        ++i;
        break;
      }
      if (s[i] != ',') return std::nullopt;
      ++i;
    }
  }
  SkipSpace(s, i);
  if (i != s.size()) return std::nullopt;
  return out;
}

HttpPost MapPublish(std::string_view uid, std::string_view topic, std::string_view payload) {
  HttpPost post;
  const std::string prefix = "sw/d/" + std::string(uid) + "/";
  if (topic.substr(0, prefix.size()) != prefix) return post;  // another device's topic
  const std::string_view leaf = topic.substr(prefix.size());
  if (leaf == "telemetry") {
    post.kind = HttpPost::Kind::kTelemetry;
    post.target = "/api/v1/device/telemetry";
    post.body = std::string(payload);
  } else if (leaf == "event") {
    post.kind = HttpPost::Kind::kEvent;
    post.target = "/api/v1/device/events";
    post.body = std::string(payload);
  } else if (leaf == "status") {
    post.kind = HttpPost::Kind::kSkip;
  } else if (leaf == "cmd/result") {
    const auto members = JsonMembers(payload);
    if (!members) return post;
    std::optional<std::string_view> id;
    for (const auto& [key, value] : *members) {
      if (key == "id") id = PlainString(value);
    }
    if (!id || id->empty()) return post;
    post.kind = HttpPost::Kind::kResult;
    post.target = "/api/v1/device/commands/" + PercentEncode(*id) + "/result";
    post.body = JoinMembers(*members, "id", "ts");
  }
  return post;
}

std::optional<std::vector<TopicMessage>> CommandsFromPoll(std::string_view uid,
                                                          std::string_view body) {
  const auto envelope = JsonMembers(body);
  if (!envelope) return std::nullopt;
  std::optional<std::vector<std::string_view>> items;
  for (const auto& [key, value] : *envelope) {
    if (key == "data") items = JsonElements(value);
  }
  if (!items) return std::nullopt;
  std::vector<TopicMessage> out;
  for (std::string_view item : *items) {
    const auto members = JsonMembers(item);
    if (!members) return std::nullopt;
    std::string target(uid);
    for (const auto& [key, value] : *members) {
      if (key != "device_uid") continue;
      const auto device = PlainString(value);
      if (!device || device->empty() || device->find('/') != std::string_view::npos) {
        return std::nullopt;
      }
      target = std::string(*device);
    }
    out.push_back(TopicMessage{"sw/d/" + target + "/cmd", JoinMembers(*members, "device_uid", "")});
  }
  return out;
}

std::string BasicAuthorization(std::string_view uid, std::string_view secret) {
  constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in(uid);
  in += ':';
  in += secret;
  std::string out = "Basic ";
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t n = (static_cast<std::uint8_t>(in[i]) << 16) |
                            (static_cast<std::uint8_t>(in[i + 1]) << 8) |
                            static_cast<std::uint8_t>(in[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  if (i + 1 == in.size()) {
    const std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16;
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const std::uint32_t n =
        (static_cast<std::uint8_t>(in[i]) << 16) | (static_cast<std::uint8_t>(in[i + 1]) << 8);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace sw::sim
