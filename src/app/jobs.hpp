// PeriodicJobs: a few named jobs run on one background thread at fixed intervals (presence
// sweep and flush, telemetry retention). A job that fails logs and runs again next time;
// jobs never overlap. Stop() runs nothing further and joins. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sw::app {

class PeriodicJobs {
 public:
  PeriodicJobs() = default;
  ~PeriodicJobs() { Stop(); }
  PeriodicJobs(const PeriodicJobs&) = delete;
  PeriodicJobs& operator=(const PeriodicJobs&) = delete;

  // `first_delay`: time before the first run. Add jobs before Start().
  void Add(std::string name, std::chrono::milliseconds interval, std::function<void()> job,
           std::chrono::milliseconds first_delay = std::chrono::milliseconds(0));
  void Start();
  void Stop();

 private:
  struct Job {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<void()> run;
    std::chrono::steady_clock::time_point next;
  };
  void Loop();

  std::vector<Job> jobs_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sw::app
