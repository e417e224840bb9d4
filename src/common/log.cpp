#include "common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

#include "common/strings.hpp"

namespace sw::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kText)};
std::mutex g_write_mutex;

constexpr const char* kLevelNames[] = {"trace", "debug", "info", "warn", "error"};

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms));
  return buf;
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

void Configure(Level level, Format format) {
  g_level = static_cast<int>(level);
  g_format = static_cast<int>(format);
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_level.load();
}

bool ParseLevel(std::string_view name, Level& out) {
  for (int i = 0; i < 5; ++i) {
    if (name == kLevelNames[i]) {
      out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(128);
  const char* level_name = kLevelNames[static_cast<int>(level)];
  if (static_cast<Format>(g_format.load()) == Format::kJson) {
    line += "{\"ts\":\"" + Timestamp() + "\",\"level\":\"" + level_name + "\",\"msg\":\"" +
            JsonEscape(msg) + "\"";
    for (const auto& f : fields) {
      line += ",\"" + JsonEscape(f.key) + "\":";
      line += f.quoted ? "\"" + JsonEscape(f.value) + "\"" : f.value;
    }
    line += "}\n";
  } else {
    line += Timestamp() + " " + level_name + " " + std::string(msg);
    for (const auto& f : fields) {
      line += " ";
      line += f.key;
      line += "=";
      line += NeedsQuotes(f.value) ? "\"" + JsonEscape(f.value) + "\"" : f.value;
    }
    line += "\n";
  }
  std::lock_guard lock(g_write_mutex);
  std::size_t off = 0;
  while (off < line.size()) {
    const auto n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace sw::log
