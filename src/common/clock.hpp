// Clock: the only source of "now" for code that must be testable without sleeping.
//
// Core code takes the time as an argument or through a Clock&; SystemClock reads the real
// clock, ManualClock is set and advanced by tests. Both are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace sw {

using SysTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysTime Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  SysTime Now() const override { return std::chrono::system_clock::now(); }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(SysTime start = SysTime{std::chrono::seconds{1'700'000'000}})
      : now_ns_(start.time_since_epoch().count()) {}
  SysTime Now() const override { return SysTime{SysTime::duration{now_ns_.load()}}; }
  void Advance(SysTime::duration d) { now_ns_ += d.count(); }
  void Set(SysTime t) { now_ns_ = t.time_since_epoch().count(); }

 private:
  std::atomic<SysTime::rep> now_ns_;
};

inline std::int64_t ToUnixMillis(SysTime t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}
inline std::int64_t ToUnixSeconds(SysTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline SysTime FromUnixMillis(std::int64_t ms) {
  return SysTime{Millis{ms}};
}
inline SysTime FromUnixSeconds(std::int64_t s) {
  return SysTime{std::chrono::seconds{s}};
}

}  // namespace sw
