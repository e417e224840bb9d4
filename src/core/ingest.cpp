#include "core/ingest.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/log.hpp"
#include "common/threads.hpp"

namespace sw::core {
namespace {

constexpr std::size_t kMaxProblems = 5;

void Problem(IngestReceipt& r, std::string text) {
  ++r.rejected;
  if (r.problems.size() < kMaxProblems) r.problems.push_back(std::move(text));
}

}  // namespace

std::optional<std::string> IngestBlockedReason(const Device& device, SysTime now) {
  switch (device.status) {
    case DeviceStatus::kPending: return "device_pending";
    case DeviceStatus::kDisabled: return "device_disabled";
    case DeviceStatus::kSuspended: return "device_suspended";
    case DeviceStatus::kActive:
    case DeviceStatus::kMaintenance: break;
  }
  const Licence& l = device.licence;
  switch (l.status) {
    case LicenceStatus::kSuspended:
    case LicenceStatus::kExpired:
    case LicenceStatus::kCancelled: return "licence_" + std::string(LicenceStatusName(l.status));
    case LicenceStatus::kTrial:
    case LicenceStatus::kActive:
    case LicenceStatus::kGrace: break;
  }
  if (now >= l.expires_at + std::chrono::hours(24) * l.grace_days) return "licence_expired";
  return std::nullopt;
}

IngestService::IngestService(TelemetryStore& store, const Clock& clock, metrics::Registry& metrics,
                             IngestOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      readings_in_(
          metrics.GetCounter("sitewatch_ingest_readings_total", "Readings accepted for storage")),
      readings_flagged_(metrics.GetCounter("sitewatch_ingest_readings_out_of_range_total",
                                           "Readings outside the metric's plausible range")),
      values_rejected_(metrics.GetCounter("sitewatch_ingest_values_rejected_total",
                                          "Values refused (bad name, custom-metric cap)")),
      messages_blocked_(metrics.GetCounter("sitewatch_ingest_blocked_total",
                                           "Telemetry messages refused: device or licence")),
      batches_(metrics.GetCounter("sitewatch_ingest_batches_total", "Committed ingest batches")),
      commit_failures_(metrics.GetCounter("sitewatch_ingest_commit_failures_total",
                                          "Ingest batches that failed to commit")),
      queued_gauge_(
          metrics.GetGauge("sitewatch_ingest_queued_readings", "Readings waiting for the writer")),
      commit_seconds_(metrics.GetHistogram("sitewatch_ingest_commit_seconds",
                                           "Time to write and commit one batch")) {}

IngestService::~IngestService() {
  Stop();
}

void IngestService::AddListener(Listener listener) {
  listeners_.push_back(std::move(listener));
}

void IngestService::AddAcceptedListener(Listener listener) {
  accepted_listeners_.push_back(std::move(listener));
}

void IngestService::Start() {
  WarmCustomMetrics();
  std::lock_guard lock(queue_mutex_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  writer_ = std::thread([this] {
    SetThreadName("sw-ingest");
    // Batch commits are throughput work: the broker and HTTP threads (acks, live events)
    // go first when the CPUs are busy. The writer still gets every idle cycle.
    LowerThreadPriority(options_.writer_nice);
    Run();
  });
}

void IngestService::Stop() {
  {
    std::lock_guard lock(queue_mutex_);
    if (!running_) return;
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::lock_guard lock(queue_mutex_);
  running_ = false;
}

std::size_t IngestService::QueuedReadings() const {
  std::lock_guard lock(queue_mutex_);
  return queued_readings_;
}

bool IngestService::CheckBlocked(const Device& device, SysTime now, std::string& reason) {
  std::optional<std::string> why = IngestBlockedReason(device, now);
  std::optional<DeviceEvent> event;
  {
    std::lock_guard lock(state_mutex_);
    auto it = blocked_.find(device.id.value);
    if (why) {
      if (it == blocked_.end() || it->second != *why) {
        blocked_[device.id.value] = *why;
        event = DeviceEvent{0,
                            device.id,
                            device.workshop_id,
                            ToUnixMillis(now),
                            "ingest_stopped",
                            "{\"reason\":\"" + *why + "\"}"};
      }
    } else if (it != blocked_.end()) {
      blocked_.erase(it);
      event =
          DeviceEvent{0, device.id, device.workshop_id, ToUnixMillis(now), "ingest_resumed", "{}"};
    }
  }
  if (event) {
    log::Info("telemetry ingestion " + std::string(why ? "stopped" : "resumed"),
              {{"device", device.uid}, {"reason", why.value_or("")}});
    if (auto s = store_.AppendEvent(*event); !s.ok()) {
      log::Warn("could not record ingest event",
                {{"device", device.uid}, {"error", s.error().message}});
    }
  }
  if (why) reason = *why;
  return why.has_value();
}

void IngestService::WarmCustomMetrics() {
  auto stored = store_.MetricsOfAllDevices();
  std::lock_guard lock(state_mutex_);
  if (!stored.ok()) {
    // Not fatal: each device's names are then read on its first custom metric instead.
    log::Warn("could not load the stored metric names; reading them per device",
              {{"error", stored.error().message}});
    return;
  }
  for (auto& [device, name] : *stored) {
    auto& names = custom_[device.value];
    if (!FindMetric(name)) names.insert(std::move(name));
  }
  custom_warm_ = true;
}

std::size_t IngestService::CustomMetricCount(const Device& device, const std::string& name,
                                             bool& known) {
  std::unique_lock lock(state_mutex_);
  auto it = custom_.find(device.id.value);
  if (it == custom_.end()) {
    // Warmed at Start: a device without an entry has no stored metric, so its set starts
    // empty with no store read on the broker's thread. Only when warming failed is the store
    // asked, and never with the lock held (it may wait behind the writer's commit).
    std::unordered_set<std::string> names;
    if (!custom_warm_) {
      lock.unlock();
      if (auto stored = store_.Metrics(device.id); stored.ok()) {
        for (const std::string& m : *stored) {
          if (!FindMetric(m)) names.insert(m);
        }
      }
      lock.lock();
    }
    it = custom_.try_emplace(device.id.value, std::move(names)).first;
  }
  known = it->second.contains(name);
  if (!known && it->second.size() < options_.custom_metric_cap) {
    it->second.insert(name);
    known = true;
  }
  return it->second.size();
}

Result<IngestReceipt> IngestService::Submit(const std::shared_ptr<const Device>& device,
                                            std::vector<TelemetrySample> samples, Done done) {
  const SysTime now = clock_.Now();
  const std::int64_t now_ms = ToUnixMillis(now);
  auto fail = [&](Error e) -> Result<IngestReceipt> {
    if (done) done(Status(e));
    return e;
  };
  std::string reason;
  if (CheckBlocked(*device, now, reason)) {
    messages_blocked_.Inc();
    return fail(MakeError(Errc::kForbidden, "telemetry refused: " + reason, "INGEST_BLOCKED"));
  }
  if (samples.size() > options_.max_samples_per_message) {
    return fail(MakeError(Errc::kInvalidArgument,
                          "a message may carry at most " +
                              std::to_string(options_.max_samples_per_message) + " samples",
                          "TOO_MANY_SAMPLES"));
  }
  IngestReceipt receipt;
  Item item;
  item.device = device;
  const std::int64_t min_ts = now_ms - options_.max_past.count();
  const std::int64_t max_ts = now_ms + options_.max_future.count();
  for (TelemetrySample& sample : samples) {
    std::uint8_t time_flag = 0;
    std::int64_t ts = now_ms;
    if (sample.ts_ms && *sample.ts_ms >= min_ts && *sample.ts_ms <= max_ts) {
      ts = *sample.ts_ms;
    } else {
      time_flag = kReadingServerTime;
    }
    if (sample.values.size() > options_.max_values_per_sample) {
      Problem(receipt, "too many values in one sample");
      values_rejected_.Inc(sample.values.size());
      continue;
    }
    for (auto& [name, value] : sample.values) {
      if (!ValidMetricName(name)) {
        Problem(receipt, "bad metric name");
        values_rejected_.Inc();
        continue;
      }
      if (!std::isfinite(value)) {
        Problem(receipt, name + ": not a finite number");
        values_rejected_.Inc();
        continue;
      }
      std::uint8_t flags = time_flag;
      const MetricSpec* spec = FindMetric(name);
      if (spec) {
        if ((spec->min && value < *spec->min) || (spec->max && value > *spec->max)) {
          flags |= kReadingOutOfRange;
        }
      } else {
        bool known = false;
        CustomMetricCount(*device, name, known);
        if (!known) {
          Problem(receipt, name + ": over the device's limit of " +
                               std::to_string(options_.custom_metric_cap) + " custom metrics");
          values_rejected_.Inc();
          continue;
        }
      }
      if (flags & kReadingOutOfRange) ++receipt.out_of_range;
      if (flags & kReadingServerTime) ++receipt.server_time;
      item.readings.push_back(
          Reading{device->id, device->workshop_id, std::move(name), ts, value, flags});
    }
  }
  receipt.accepted = item.readings.size();
  if (item.readings.empty()) {
    if (receipt.rejected == 0) {
      return fail(MakeError(Errc::kInvalidArgument, "the message carries no values", "NO_VALUES"));
    }
    return fail(MakeError(Errc::kInvalidArgument,
                          "no usable value: " + (receipt.problems.empty() ? std::string("rejected")
                                                                          : receipt.problems[0]),
                          "NO_VALID_VALUES"));
  }
  item.done = std::move(done);
  std::vector<Reading> accepted;
  if (!accepted_listeners_.empty()) accepted = item.readings;
  {
    std::lock_guard lock(queue_mutex_);
    if (!running_ || stopping_) {
      Error e = MakeError(Errc::kUnavailable, "the ingest pipeline is stopped", "SHUTTING_DOWN");
      if (item.done) item.done(Status(e));
      return e;
    }
    if (queued_readings_ + item.readings.size() > options_.max_queued_readings) {
      Error e = MakeError(Errc::kUnavailable, "telemetry queue full; retry", "INGEST_BUSY");
      if (item.done) item.done(Status(e));
      return e;
    }
    queued_readings_ += item.readings.size();
    queued_gauge_.Set(static_cast<std::int64_t>(queued_readings_));
    queue_.push_back(std::move(item));
  }
  queue_cv_.notify_one();
  readings_in_.Inc(receipt.accepted);
  if (receipt.out_of_range) readings_flagged_.Inc(receipt.out_of_range);
  for (const Listener& l : accepted_listeners_) l(*device, accepted);
  return receipt;
}

void IngestService::Run() {
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      std::size_t n = 0;
      while (!queue_.empty() &&
             (batch.empty() || n + queue_.front().readings.size() <= options_.max_batch_readings)) {
        n += queue_.front().readings.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_readings_ -= n;
      queued_gauge_.Set(static_cast<std::int64_t>(queued_readings_));
    }
    Commit(batch);
    batch.clear();
  }
}

void IngestService::Commit(std::vector<Item>& batch) {
  std::vector<Reading> all;
  std::size_t total = 0;
  for (const Item& item : batch) total += item.readings.size();
  all.reserve(total);
  for (const Item& item : batch) all.insert(all.end(), item.readings.begin(), item.readings.end());
  const auto started = std::chrono::steady_clock::now();
  Status status = store_.WriteReadings(all);
  commit_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!status.ok()) {
    commit_failures_.Inc();
    log::Error("telemetry batch not stored",
               {{"readings", std::to_string(all.size())}, {"error", status.error().message}});
  } else {
    batches_.Inc();
  }
  if (!status.ok()) {
    for (Item& item : batch) {
      if (item.done) item.done(status);
      item.done = nullptr;
    }
    return;
  }
  // The cache first: whoever is told "stored" (done) must read the new latest values.
  {
    std::unique_lock lock(latest_mutex_);
    for (const Item& item : batch) {
      auto it = latest_.find(item.device->id.value);
      if (it == latest_.end()) continue;  // loaded from the store on first read
      for (const Reading& r : item.readings) {
        if (!r.valid()) continue;
        LatestValue& v = it->second.by_metric[r.metric];
        if (r.ts_ms >= v.ts_ms) v = LatestValue{r.device, r.metric, r.ts_ms, r.value, r.flags};
      }
    }
  }
  for (Item& item : batch) {
    if (item.done) item.done(status);
    item.done = nullptr;  // releases what it holds (an MQTT acknowledgement) now
  }
  for (const Item& item : batch) {
    for (const Listener& l : listeners_) l(*item.device, item.readings);
  }
}

std::vector<LatestValue> IngestService::Latest(const Device& device) {
  {
    std::shared_lock lock(latest_mutex_);
    auto it = latest_.find(device.id.value);
    if (it != latest_.end()) {
      std::vector<LatestValue> out;
      out.reserve(it->second.by_metric.size());
      for (const auto& [name, v] : it->second.by_metric) out.push_back(v);
      std::sort(out.begin(), out.end(),
                [](const LatestValue& a, const LatestValue& b) { return a.metric < b.metric; });
      return out;
    }
  }
  // First read: from the store, under the lock so that no commit slips in between. Valid
  // readings only, like the live updates.
  {
    std::unique_lock lock(latest_mutex_);
    if (!latest_.contains(device.id.value)) {
      const DeviceId ids[] = {device.id};
      LatestEntry entry;
      auto stored = store_.Latest(ids);
      if (!stored.ok()) return {};  // not cached: the next read tries again
      for (LatestValue& v : *stored) {
        if ((v.flags & kReadingOutOfRange) == 0) entry.by_metric[v.metric] = std::move(v);
      }
      latest_.emplace(device.id.value, std::move(entry));
    }
  }
  return Latest(device);
}

Status IngestService::RecordEvent(const DeviceEvent& event) {
  auto id = store_.AppendEvent(event);
  if (!id.ok()) return id.take_error();
  return Ok{};
}

}  // namespace sw::core
