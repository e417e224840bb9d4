// RateLimiter: a token bucket per key (client IP, user id), with a bounded number of keys.
// Time is an argument. Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"

namespace sw::core {

class RateLimiter {
 public:
  // `per_minute` tokens refill evenly over a minute; a full bucket holds `per_minute`.
  explicit RateLimiter(int per_minute, std::size_t max_keys = 100000);

  // Takes one token for `key`; false when the bucket is empty.
  bool Allow(const std::string& key, SysTime now);
  // Seconds until one token is available again (for Retry-After), at least 1.
  int RetryAfterSeconds() const;

 private:
  struct Bucket {
    double tokens;
    SysTime updated;
  };
  void EvictIfFull(SysTime now);

  const double capacity_;
  const double per_second_;
  const std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace sw::core
