#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace sw::core {

RateLimiter::RateLimiter(int per_minute, std::size_t max_keys)
    : capacity_(std::max(1, per_minute)),
      per_second_(std::max(1, per_minute) / 60.0),
      max_keys_(max_keys) {}

bool RateLimiter::Allow(const std::string& key, SysTime now) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    EvictIfFull(now);
    it = buckets_.emplace(key, Bucket{capacity_, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  if (elapsed > 0) {
    b.tokens = std::min(capacity_, b.tokens + elapsed * per_second_);
    b.updated = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

int RateLimiter::RetryAfterSeconds() const {
  return std::max(1, static_cast<int>(std::ceil(1.0 / per_second_)));
}

void RateLimiter::EvictIfFull(SysTime now) {
  if (buckets_.size() < max_keys_) return;
  // Drop buckets that have refilled completely: they hold no information.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + elapsed * per_second_ >= capacity_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  // Still full under attack: forget the oldest half rather than grow without bound.
  if (buckets_.size() >= max_keys_) {
    std::vector<std::pair<SysTime, std::string>> ages;
    ages.reserve(buckets_.size());
    for (const auto& [k, b] : buckets_) ages.emplace_back(b.updated, k);
    std::nth_element(ages.begin(), ages.begin() + static_cast<std::ptrdiff_t>(ages.size() / 2),
                     ages.end());
    for (std::size_t i = 0; i < ages.size() / 2; ++i) buckets_.erase(ages[i].second);
  }
}

}  // namespace sw::core
