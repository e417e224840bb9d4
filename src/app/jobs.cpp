#include "app/jobs.hpp"

#include <algorithm>
#include <exception>

#include "common/log.hpp"
#include "common/threads.hpp"

namespace sw::app {

void PeriodicJobs::Add(std::string name, std::chrono::milliseconds interval,
                       std::function<void()> job, std::chrono::milliseconds first_delay) {
  jobs_.push_back(Job{std::move(name), interval, std::move(job),
                      std::chrono::steady_clock::now() + first_delay});
}

void PeriodicJobs::Start() {
  if (thread_.joinable() || jobs_.empty()) return;
  thread_ = std::thread([this] {
    SetThreadName("sw-jobs");
    Loop();
  });
}

void PeriodicJobs::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicJobs::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto next = std::min_element(jobs_.begin(), jobs_.end(), [](const Job& a, const Job& b) {
                  return a.next < b.next;
                })->next;
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) break;
    const auto now = std::chrono::steady_clock::now();
    for (Job& job : jobs_) {
      if (job.next > now) continue;
      job.next = now + job.interval;
      lock.unlock();
      try {
        job.run();
      } catch (const std::exception& e) {
        log::Error("periodic job failed", {{"job", job.name}, {"error", e.what()}});
      }
      lock.lock();
      if (stopping_) break;
    }
  }
}

}  // namespace sw::app
