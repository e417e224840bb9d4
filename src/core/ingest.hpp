// IngestService: the telemetry pipeline from an authenticated device to durable rows.
//
// Submit() runs on the caller's thread (a broker connection or an HTTP worker): it checks
// that the device may send (status, licence — PRODUCT.md §6), validates every value against
// the metric catalogue (out of range: kept, flagged invalid; unknown names: accepted up to a
// per-device cap), stamps the time (the device's when plausible, else the server's, flagged)
// and queues the readings. One writer thread takes whole queued submissions in batches,
// writes each batch in one transaction, and only then calls each submission's `done`, updates
// the latest-value cache and tells the listeners (live events). So a caller that waits for
// `done` (the MQTT PUBACK, the HTTP response) knows its readings are durable.
//
// When a device's licence stops ingestion, the refusal is recorded once (a device event
// `ingest_stopped` with the reason) and again once when it resumes (`ingest_resumed`).
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "common/result.hpp"
#include "core/device.hpp"
#include "core/telemetry.hpp"

namespace sw::core {

// One timestamped set of values as a device sent it (one element of a batch).
struct TelemetrySample {
  std::optional<std::int64_t> ts_ms;  // unix ms from the device; absent: server time
  std::vector<std::pair<std::string, double>> values;
};

struct IngestOptions {
  std::size_t max_batch_readings = 20'000;      // per transaction
  int writer_nice = 10;                         // the writer thread's nice value (see threads.hpp)
  std::size_t max_queued_readings = 1'000'000;  // beyond: Submit fails (Unavailable)
  std::chrono::milliseconds max_past{
      std::chrono::hours(24 * 30)};                               // older device time: server time
  std::chrono::milliseconds max_future{std::chrono::minutes(5)};  // newer device time: server time
  std::size_t custom_metric_cap = 32;  // distinct non-catalogue metric names per device
  std::size_t max_values_per_sample = 64;
  std::size_t max_samples_per_message = 2'000;
};

struct IngestReceipt {
  std::size_t accepted = 0;           // readings queued (valid and flagged)
  std::size_t out_of_range = 0;       // of those, flagged invalid
  std::size_t server_time = 0;        // of those, stamped with the server's time
  std::size_t rejected = 0;           // values dropped: bad name, over the custom-metric cap
  std::vector<std::string> problems;  // a few human-readable reasons for the rejections
};

// Why a device may not send telemetry now, or nullopt when it may.
std::optional<std::string> IngestBlockedReason(const Device& device, SysTime now);

class IngestService {
 public:
  using Done = std::function<void(const Status&)>;
  // Called on the writer thread after a batch is committed, once per submission.
  using Listener = std::function<void(const Device& device, std::span<const Reading> readings)>;

  IngestService(TelemetryStore& store, const Clock& clock, metrics::Registry& metrics,
                IngestOptions options = {});
  ~IngestService();
  IngestService(const IngestService&) = delete;
  IngestService& operator=(const IngestService&) = delete;

  // Add listeners before Start(). Committed listeners hear a submission on the writer thread
  // after its batch is durable; accepted listeners hear it on the submitting thread as soon as
  // it is queued (the live view: a browser need not wait for the disk; a commit that then
  // fails is logged and the device sends the data again).
  void AddListener(Listener listener);
  void AddAcceptedListener(Listener listener);
  void Start();
  // Writes what is queued, then stops the writer. Submissions after Stop fail.
  void Stop();

  // Validates and queues. `done` runs exactly once: on the writer thread after the commit
  // (or its failure), or before Submit returns when nothing was queued. Errors: Forbidden
  // (INGEST_BLOCKED: device status or licence), InvalidArgument (nothing usable in the
  // message), Unavailable (queue full or stopped).
  Result<IngestReceipt> Submit(const std::shared_ptr<const Device>& device,
                               std::vector<TelemetrySample> samples, Done done);

  // The newest value per metric of `device`, from memory (loaded from the store on first use).
  std::vector<LatestValue> Latest(const Device& device);

  // Counts values a decoder refused before Submit (not numbers), in the same metric.
  void CountRejected(std::size_t n) { values_rejected_.Inc(n); }

  // Records a device event (status changes, reported events) through the writer's store.
  Status RecordEvent(const DeviceEvent& event);

  std::size_t QueuedReadings() const;

 private:
  struct Item {
    std::shared_ptr<const Device> device;
    std::vector<Reading> readings;
    Done done;
  };
  struct LatestEntry {
    std::unordered_map<std::string, LatestValue> by_metric;
  };

  void Run();
  void Commit(std::vector<Item>& batch);
  // Records ingest_stopped / ingest_resumed transitions; true when the device is blocked.
  bool CheckBlocked(const Device& device, SysTime now, std::string& reason);
  // Loads every device's stored custom metric names in one pass (Start), so the hot path never
  // reads the store for them.
  void WarmCustomMetrics();
  std::size_t CustomMetricCount(const Device& device, const std::string& name, bool& known);

  TelemetryStore& store_;
  const Clock& clock_;
  const IngestOptions options_;

  metrics::Counter& readings_in_;
  metrics::Counter& readings_flagged_;
  metrics::Counter& values_rejected_;
  metrics::Counter& messages_blocked_;
  metrics::Counter& batches_;
  metrics::Counter& commit_failures_;
  metrics::Gauge& queued_gauge_;
  metrics::Histogram& commit_seconds_;

  std::vector<Listener> listeners_;
  std::vector<Listener> accepted_listeners_;

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Item> queue_;
  std::size_t queued_readings_ = 0;
  bool stopping_ = false;
  bool running_ = false;
  std::thread writer_;

  std::mutex state_mutex_;  // blocked devices and custom metric names
  std::unordered_map<std::int64_t, std::string> blocked_;  // device id -> reason
  std::unordered_map<std::int64_t, std::unordered_set<std::string>> custom_;
  bool custom_warm_ = false;  // custom_ holds every device's stored names (see Start)

  std::shared_mutex latest_mutex_;
  std::unordered_map<std::int64_t, LatestEntry> latest_;
};

}  // namespace sw::core
