// SqliteTelemetryStore: the core's time-series port (core::TelemetryStore) on SQLite, in the
// tables of migration 4 (metric_names, readings, rollup_minute, rollup_hour, device_events).
//
// Raw readings are keyed (device, metric, ts) in a WITHOUT ROWID table; WriteReadings folds
// each newly inserted valid reading into per-minute and per-hour roll-ups (count, min, max,
// sum, last-by-time) in the same transaction, so roll-ups are exact whatever the arrival
// order, and a duplicate (device, metric, ts) is neither stored nor counted twice.
//
// Thread-safe. The store opens its own two connections to the database file: a writer
// (WriteReadings, AppendEvent, ApplyRetention, PurgeDevice; one writer mutex) and a reader
// (every query; one reader mutex), so in WAL mode queries never wait for a write
// transaction. The file must already be migrated (SqliteStore::Open does it); ":memory:" is
// refused because two connections cannot share it.
//
// Raw() returns readings with `workshop` unset: the workshop is not stored per reading
// (tenancy is the caller's, see core::TelemetryStore).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/metrics.hpp"
#include "core/telemetry.hpp"
#include "storage/sqlite/database.hpp"

namespace sw::storage::sqlite {

class SqliteTelemetryStore final : public core::TelemetryStore {
 public:
  struct Options {
    int busy_timeout_ms = 5000;
    // PRAGMA synchronous=FULL on the writer: a committed batch survives a power loss. false
    // uses NORMAL (durable against a process crash, may lose the last commits on power loss).
    bool durable_sync = true;
    // Page cache of the writer connection: the B-tree pages the inserts and roll-up upserts
    // touch stay in memory instead of being re-read from the OS for every batch.
    int writer_cache_kib = 65536;
    // WAL pages after which the writer checkpoints (SQLite's default is 1000). Each batch
    // re-dirties the same leaf pages (one per series); checkpointing less often writes each
    // page to the database file once per many batches. The WAL grows to ~40 MB between.
    int writer_wal_autocheckpoint_pages = 10000;
    // Bytes of the database file both connections read through a memory map instead of
    // read() calls (PRAGMA mmap_size). The series' B-tree pages are scattered over the file
    // and a long-lived database is far larger than the page cache: without the map, every
    // insert that misses the cache costs a system call and a copy. 0 turns it off.
    std::int64_t mmap_bytes = std::int64_t{1} << 30;
    // Rows deleted per transaction by ApplyRetention (the writer lock is released between).
    int retention_chunk_rows = 5000;
  };

  // Opens the writer and reader connections to `path`. Fails (SCHEMA_TOO_OLD) when the
  // database lacks migration 4. `metrics` may be null.
  static Result<std::unique_ptr<SqliteTelemetryStore>> Open(const std::string& path,
                                                            const Options& options,
                                                            metrics::Registry* metrics = nullptr);

  Status WriteReadings(std::span<const core::Reading> readings) override;
  Result<std::vector<core::SeriesPoint>> History(const core::HistoryQuery& q) override;
  Result<core::SeriesStats> Stats(core::DeviceId device, std::string_view metric,
                                  std::int64_t from_ms, std::int64_t to_ms) override;
  Result<std::vector<core::Reading>> Raw(core::DeviceId device,
                                         std::span<const std::string> metrics, std::int64_t from_ms,
                                         std::int64_t to_ms, std::size_t limit) override;
  Result<std::vector<core::LatestValue>> Latest(std::span<const core::DeviceId> devices) override;
  Result<std::vector<std::string>> Metrics(core::DeviceId device) override;
  Result<std::vector<std::pair<core::DeviceId, std::string>>> MetricsOfAllDevices() override;

  Result<std::int64_t> AppendEvent(const core::DeviceEvent& e) override;
  Result<std::vector<core::DeviceEvent>> Events(core::DeviceId device, std::size_t limit,
                                                std::optional<std::int64_t> before_id) override;

  Result<core::RetentionResult> ApplyRetention(const core::RetentionPolicy& policy) override;
  Status PurgeDevice(core::DeviceId device) override;

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NameToId = std::unordered_map<std::string, std::int64_t, NameHash, std::equal_to<>>;

  // One (device, metric, bucket) aggregate of a batch, ready to be upserted.
  struct Fold {
    std::int64_t device = 0;
    std::int64_t metric = 0;
    std::int64_t bucket = 0;
    std::int64_t count = 0;
    double min = 0;
    double max = 0;
    double sum = 0;
    double last = 0;
    std::int64_t last_ts = 0;
  };

  SqliteTelemetryStore(std::unique_ptr<Database> writer, std::unique_ptr<Database> reader,
                       const Options& options, metrics::Registry* metrics);

  // Writer side (writer_mutex_ held).
  Status WriteLocked(std::span<const core::Reading> readings);
  Result<std::int64_t> MetricIdForWrite(std::string_view name);
  Result<std::int64_t> DeleteOlder(std::unique_lock<std::mutex>& lock, std::string_view table,
                                   std::string_view ts_column, std::int64_t before_ms);

  // Reader side (reader_mutex_ held).
  Result<std::optional<std::int64_t>> MetricIdForRead(std::string_view name);
  Result<std::string> MetricNameForRead(std::int64_t id);
  Status LoadReaderNames();

  Options options_;
  metrics::Counter* rows_written_ = nullptr;
  metrics::Counter* rows_duplicate_ = nullptr;
  metrics::Histogram* commit_seconds_ = nullptr;

  std::mutex writer_mutex_;
  std::unique_ptr<Database> writer_;
  NameToId writer_names_;
  // Scratch reused by every WriteReadings call, so a batch allocates nothing once warm.
  std::vector<std::int64_t> batch_metric_ids_;
  std::vector<std::uint32_t> batch_order_;
  std::vector<Fold> minute_folds_;
  std::vector<Fold> hour_folds_;
  std::vector<std::string> pending_names_;  // metric names inserted by the open transaction

  std::mutex reader_mutex_;
  std::unique_ptr<Database> reader_;
  NameToId reader_names_;
  std::unordered_map<std::int64_t, std::string> reader_ids_;
};

}  // namespace sw::storage::sqlite
