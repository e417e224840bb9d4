#include "storage/sqlite/telemetry_store.hpp"

#include <algorithm>
#include <chrono>
#include <limits>

namespace sw::storage::sqlite {
namespace {

using core::Reading;
using core::Resolution;
using core::SeriesPoint;
using core::SeriesStats;

constexpr int kTelemetrySchemaVersion = 4;
constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kHourMs = 3'600'000;

// Floor/ceil to a multiple of `w`, correct for negative times too.
std::int64_t FloorTo(std::int64_t t, std::int64_t w) {
  std::int64_t q = t / w;
  if (t % w != 0 && t < 0) --q;
  return q * w;
}
std::int64_t CeilTo(std::int64_t t, std::int64_t w) {
  const std::int64_t f = FloorTo(t, w);
  return f == t ? t : f + w;
}

std::string UpsertSql(std::string_view table) {
  std::string t(table);
  return "INSERT INTO " + t +
         " (device_id, metric_id, bucket_ts, n, min_value, max_value, sum_value, last_value, "
         "last_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
         "ON CONFLICT (device_id, metric_id, bucket_ts) DO UPDATE SET "
         "n = n + excluded.n, "
         "min_value = min(min_value, excluded.min_value), "
         "max_value = max(max_value, excluded.max_value), "
         "sum_value = sum_value + excluded.sum_value, "
         "last_value = CASE WHEN excluded.last_ts > last_ts THEN excluded.last_value "
         "ELSE last_value END, "
         "last_ts = max(last_ts, excluded.last_ts)";
}

const std::string& UpsertMinuteSql() {
  static const std::string kSql = UpsertSql("rollup_minute");
  return kSql;
}
const std::string& UpsertHourSql() {
  static const std::string kSql = UpsertSql("rollup_hour");
  return kSql;
}

// The statements reading one series at one resolution. Parameters: ?1 device, ?2 metric,
// ?3 from (inclusive), ?4 to (exclusive), ?5 limit / bucket width. Columns of `plain` and
// `merged`: ts, avg, min, max, last, count; of `stats`: count, min, max, sum.
struct SeriesSql {
  std::string plain;
  std::string count;   // rows in the window, at most ?5
  std::string merged;  // GROUP BY buckets of width ?5 starting at ?3
  std::string stats;
};

SeriesSql MakeRawSql() {
  const std::string where =
      " FROM readings WHERE device_id = ?1 AND metric_id = ?2 AND ts >= ?3 AND ts < ?4 "
      "AND (flags & 1) = 0";
  SeriesSql s;
  s.plain = "SELECT ts, value, value, value, value, 1" + where + " ORDER BY ts";
  s.count = "SELECT count(*) FROM (SELECT 1" + where + " LIMIT ?5)";
  s.merged =
      "SELECT ?3 + b.k * ?5, b.s / b.n, b.mn, b.mx, (SELECT value FROM readings WHERE "
      "device_id = ?1 AND metric_id = ?2 AND ts = b.lt), b.n FROM (SELECT (ts - ?3) / ?5 AS k, "
      "count(*) AS n, min(value) AS mn, max(value) AS mx, sum(value) AS s, max(ts) AS lt" +
      where + " GROUP BY k) AS b ORDER BY b.k";
  s.stats = "SELECT count(*), min(value), max(value), total(value)" + where;
  return s;
}

SeriesSql MakeRollupSql(std::string_view table) {
  const std::string t(table);
  const std::string where = " FROM " + t +
                            " WHERE device_id = ?1 AND metric_id = ?2 AND bucket_ts >= ?3 AND "
                            "bucket_ts < ?4";
  SeriesSql s;
  s.plain = "SELECT bucket_ts, sum_value / n, min_value, max_value, last_value, n" + where +
            " ORDER BY bucket_ts";
  s.count = "SELECT count(*) FROM (SELECT 1" + where + " LIMIT ?5)";
  // The last value of a merged bucket is the last of its latest roll-up row.
  s.merged = "SELECT ?3 + b.k * ?5, b.s / b.n, b.mn, b.mx, (SELECT last_value FROM " + t +
             " WHERE device_id = ?1 AND metric_id = ?2 AND bucket_ts = b.lb), b.n FROM (SELECT "
             "(bucket_ts - ?3) / ?5 AS k, sum(n) AS n, min(min_value) AS mn, max(max_value) AS "
             "mx, sum(sum_value) AS s, max(bucket_ts) AS lb" +
             where + " GROUP BY k) AS b ORDER BY b.k";
  s.stats = "SELECT coalesce(sum(n), 0), min(min_value), max(max_value), total(sum_value)" + where;
  return s;
}

const SeriesSql& SqlFor(Resolution r) {
  static const SeriesSql kRaw = MakeRawSql();
  static const SeriesSql kMinute = MakeRollupSql("rollup_minute");
  static const SeriesSql kHour = MakeRollupSql("rollup_hour");
  switch (r) {
    case Resolution::kRaw: return kRaw;
    case Resolution::kMinute: return kMinute;
    case Resolution::kHour: return kHour;
  }
  return kRaw;
}

// Adds a fold of one reading to the batch's aggregates; readings arrive sorted by (device,
// metric, ts), so the readings of one bucket are consecutive.
template <typename Fold>
void Accumulate(std::vector<Fold>& folds, std::int64_t device, std::int64_t metric,
                std::int64_t bucket, const Reading& r) {
  if (!folds.empty()) {
    Fold& f = folds.back();
    if (f.device == device && f.metric == metric && f.bucket == bucket) {
      ++f.count;
      f.min = std::min(f.min, r.value);
      f.max = std::max(f.max, r.value);
      f.sum += r.value;
      if (r.ts_ms > f.last_ts) {
        f.last = r.value;
        f.last_ts = r.ts_ms;
      }
      return;
    }
  }
  folds.push_back(Fold{device, metric, bucket, 1, r.value, r.value, r.value, r.value, r.ts_ms});
}

// Metric ids stored for `device` in `table` (keyed by device_id, metric_id, ...): a skip-scan
// over the primary key, one index seek per metric.
Result<std::vector<std::int64_t>> MetricIdsOf(Database& db, std::int64_t device,
                                              std::string_view table) {
  SW_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT metric_id FROM " + std::string(table) +
                                          " WHERE device_id = ?1 AND metric_id > ?2 "
                                          "ORDER BY metric_id LIMIT 1"));
  std::vector<std::int64_t> out;
  std::int64_t after = std::numeric_limits<std::int64_t>::min();
  for (;;) {
    st.Reset();
    st.Bind(1, device).Bind(2, after);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    after = st.Int(0);
    out.push_back(after);
  }
  return out;
}

void MergeStats(SeriesStats& acc, std::int64_t count, double min, double max, double sum) {
  if (count == 0) return;
  if (acc.count == 0) {
    acc.min = min;
    acc.max = max;
  } else {
    acc.min = std::min(acc.min, min);
    acc.max = std::max(acc.max, max);
  }
  acc.count += count;
  acc.sum += sum;
}

// Folds a batch's aggregates into a roll-up table, one upsert per (device, metric, bucket).
template <typename Fold>
Status FoldInto(Database& db, const std::string& upsert_sql, const std::vector<Fold>& folds) {
  SW_ASSIGN_OR_RETURN(Stmt st, db.Prepare(upsert_sql));
  for (const Fold& f : folds) {
    st.Reset();
    st.Bind(1, f.device).Bind(2, f.metric).Bind(3, f.bucket).Bind(4, f.count).Bind(5, f.min);
    st.Bind(6, f.max).Bind(7, f.sum).Bind(8, f.last).Bind(9, f.last_ts);
    SW_TRY(st.Run());
  }
  return Ok{};
}

}  // namespace

SqliteTelemetryStore::SqliteTelemetryStore(std::unique_ptr<Database> writer,
                                           std::unique_ptr<Database> reader, const Options& options,
                                           metrics::Registry* metrics)
    : options_(options), writer_(std::move(writer)), reader_(std::move(reader)) {
  if (metrics) {
    const metrics::Labels labels = {{"backend", "sqlite"}};
    rows_written_ = &metrics->GetCounter("sitewatch_telemetry_rows_written_total",
                                         "Raw readings stored", labels);
    rows_duplicate_ = &metrics->GetCounter(
        "sitewatch_telemetry_rows_duplicate_total",
        "Readings ignored because their (device, metric, ts) was already stored", labels);
    commit_seconds_ = &metrics->GetHistogram(
        "sitewatch_telemetry_write_seconds",
        "Duration of one WriteReadings batch, from BEGIN to a durable COMMIT", labels);
  }
}

Result<std::unique_ptr<SqliteTelemetryStore>> SqliteTelemetryStore::Open(
    const std::string& path, const Options& options, metrics::Registry* metrics) {
  if (path.empty() || path == ":memory:") {
    return MakeError(Errc::kInvalidArgument,
                     "the telemetry store needs a database file (its reader and writer "
                     "connections cannot share an in-memory database)");
  }
  SW_ASSIGN_OR_RETURN(auto writer, Database::Open(path, options.busy_timeout_ms));
  SW_ASSIGN_OR_RETURN(int version, writer->SchemaVersion());
  if (version < kTelemetrySchemaVersion) {
    return MakeError(Errc::kUnavailable,
                     "database schema version " + std::to_string(version) +
                         " has no telemetry tables (needs " +
                         std::to_string(kTelemetrySchemaVersion) + "; run `sitewatch migrate`)",
                     "SCHEMA_TOO_OLD");
  }
  SW_TRY(
      writer->Exec(options.durable_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  SW_TRY(writer->Exec("PRAGMA cache_size=-" + std::to_string(options.writer_cache_kib)));
  SW_TRY(writer->Exec("PRAGMA wal_autocheckpoint=" +
                      std::to_string(options.writer_wal_autocheckpoint_pages)));
  const std::string mmap = "PRAGMA mmap_size=" + std::to_string(options.mmap_bytes);
  SW_TRY(writer->Exec(mmap));
  SW_ASSIGN_OR_RETURN(auto reader, Database::Open(path, options.busy_timeout_ms));
  SW_TRY(reader->Exec("PRAGMA query_only=ON"));
  SW_TRY(reader->Exec(mmap));
  return std::unique_ptr<SqliteTelemetryStore>(
      new SqliteTelemetryStore(std::move(writer), std::move(reader), options, metrics));
}

// ---- writes ----

Status SqliteTelemetryStore::WriteReadings(std::span<const Reading> readings) {
  if (readings.empty()) return Ok{};
  std::lock_guard lock(writer_mutex_);
  const auto start = std::chrono::steady_clock::now();
  pending_names_.clear();
  Status s = WriteLocked(readings);
  if (!s.ok()) {
    // The transaction rolled back: forget the metric ids it had assigned.
    for (const std::string& name : pending_names_) writer_names_.erase(name);
    return s;
  }
  if (commit_seconds_) {
    commit_seconds_->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return s;
}

Result<std::int64_t> SqliteTelemetryStore::MetricIdForWrite(std::string_view name) {
  if (auto it = writer_names_.find(name); it != writer_names_.end()) return it->second;
  if (!core::ValidMetricName(name)) {
    return InvalidField("metric", "invalid metric name '" + std::string(name) + "'");
  }
  std::int64_t id = 0;
  {
    SW_ASSIGN_OR_RETURN(Stmt st, writer_->Prepare("SELECT id FROM metric_names WHERE name = ?1"));
    st.Bind(1, name);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) id = st.Int(0);
  }
  if (id == 0) {
    SW_ASSIGN_OR_RETURN(Stmt st, writer_->Prepare("INSERT INTO metric_names (name) VALUES (?1)"));
    st.Bind(1, name);
    SW_TRY(st.Run());
    id = writer_->LastInsertId();
    pending_names_.emplace_back(name);
  }
  writer_names_.emplace(std::string(name), id);
  return id;
}

Status SqliteTelemetryStore::WriteLocked(std::span<const Reading> readings) {
  Transaction tx(*writer_);
  SW_TRY(tx.Begin());

  const std::size_t n = readings.size();
  batch_metric_ids_.resize(n);
  batch_order_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    SW_ASSIGN_OR_RETURN(batch_metric_ids_[i], MetricIdForWrite(readings[i].metric));
    batch_order_[i] = static_cast<std::uint32_t>(i);
  }
  // Key order: B-tree locality for the inserts, and the readings of one roll-up bucket become
  // consecutive. Stable, so of two equal keys in a batch the first one is kept.
  std::stable_sort(batch_order_.begin(), batch_order_.end(), [&](std::uint32_t a, std::uint32_t b) {
    const Reading& ra = readings[a];
    const Reading& rb = readings[b];
    if (ra.device.value != rb.device.value) return ra.device.value < rb.device.value;
    if (batch_metric_ids_[a] != batch_metric_ids_[b]) {
      return batch_metric_ids_[a] < batch_metric_ids_[b];
    }
    return ra.ts_ms < rb.ts_ms;
  });

  minute_folds_.clear();
  hour_folds_.clear();
  std::uint64_t inserted = 0;
  {
    SW_ASSIGN_OR_RETURN(Stmt insert,
                        writer_->Prepare("INSERT OR IGNORE INTO readings (device_id, metric_id, "
                                         "ts, value, flags) VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (std::uint32_t i : batch_order_) {
      const Reading& r = readings[i];
      const std::int64_t metric = batch_metric_ids_[i];
      insert.Reset();
      insert.Bind(1, r.device.value).Bind(2, metric).Bind(3, r.ts_ms).Bind(4, r.value);
      insert.Bind(5, static_cast<int>(r.flags));
      SW_TRY(insert.Run());
      if (writer_->Changes() == 0) continue;  // duplicate: stored already, folded already
      ++inserted;
      if (!r.valid()) continue;
      Accumulate(minute_folds_, r.device.value, metric, FloorTo(r.ts_ms, kMinuteMs), r);
      Accumulate(hour_folds_, r.device.value, metric, FloorTo(r.ts_ms, kHourMs), r);
    }
  }
  SW_TRY(FoldInto(*writer_, UpsertMinuteSql(), minute_folds_));
  SW_TRY(FoldInto(*writer_, UpsertHourSql(), hour_folds_));
  SW_TRY(tx.Commit());

  if (rows_written_) rows_written_->Inc(inserted);
  if (rows_duplicate_ && inserted < n) rows_duplicate_->Inc(n - inserted);
  return Ok{};
}

Result<std::int64_t> SqliteTelemetryStore::AppendEvent(const core::DeviceEvent& e) {
  std::lock_guard lock(writer_mutex_);
  SW_ASSIGN_OR_RETURN(Stmt st, writer_->Prepare("INSERT INTO device_events (device_id, "
                                                "workshop_id, ts, type, detail) VALUES "
                                                "(?1, ?2, ?3, ?4, ?5)"));
  st.Bind(1, e.device.value).Bind(2, e.workshop.value).Bind(3, e.ts_ms).Bind(4, e.type);
  st.Bind(5, e.detail_json);
  SW_TRY(st.Run());
  return writer_->LastInsertId();
}

Result<core::RetentionResult> SqliteTelemetryStore::ApplyRetention(
    const core::RetentionPolicy& policy) {
  std::unique_lock lock(writer_mutex_);
  core::RetentionResult out;
  if (policy.raw_before_ms) {
    SW_ASSIGN_OR_RETURN(out.raw_deleted,
                        DeleteOlder(lock, "readings", "ts", *policy.raw_before_ms));
  }
  if (policy.minute_before_ms) {
    SW_ASSIGN_OR_RETURN(out.minute_deleted,
                        DeleteOlder(lock, "rollup_minute", "bucket_ts", *policy.minute_before_ms));
  }
  if (policy.hour_before_ms) {
    SW_ASSIGN_OR_RETURN(out.hour_deleted,
                        DeleteOlder(lock, "rollup_hour", "bucket_ts", *policy.hour_before_ms));
  }
  return out;
}

// Walks the series of `table` in key order (one index seek each) and deletes their rows older
// than `before_ms`, at most options_.retention_chunk_rows per transaction; between two
// transactions the writer lock is released so ingest goes on.
Result<std::int64_t> SqliteTelemetryStore::DeleteOlder(std::unique_lock<std::mutex>& lock,
                                                       std::string_view table,
                                                       std::string_view ts_column,
                                                       std::int64_t before_ms) {
  const std::string t(table);
  const std::string ts(ts_column);
  const std::string next_series_sql = "SELECT device_id, metric_id FROM " + t +
                                      " WHERE (device_id, metric_id) > (?1, ?2) ORDER BY "
                                      "device_id, metric_id LIMIT 1";
  const std::string cutoff_sql = "SELECT " + ts + " FROM " + t +
                                 " WHERE device_id = ?1 AND metric_id = ?2 AND " + ts +
                                 " < ?3 ORDER BY " + ts + " LIMIT 1 OFFSET ?4";
  const std::string delete_sql =
      "DELETE FROM " + t + " WHERE device_id = ?1 AND metric_id = ?2 AND " + ts + " < ?3";
  const std::int64_t chunk = std::max(1, options_.retention_chunk_rows);

  std::int64_t total = 0;
  std::int64_t budget = chunk;
  std::int64_t device = std::numeric_limits<std::int64_t>::min();
  std::int64_t metric = std::numeric_limits<std::int64_t>::min();
  std::optional<Transaction> tx;
  tx.emplace(*writer_);
  SW_TRY(tx->Begin());
  for (;;) {
    {
      SW_ASSIGN_OR_RETURN(Stmt next, writer_->Prepare(next_series_sql));
      next.Bind(1, device).Bind(2, metric);
      SW_ASSIGN_OR_RETURN(bool row, next.Step());
      if (!row) break;
      device = next.Int(0);
      metric = next.Int(1);
    }
    for (;;) {
      // Delete up to `budget` rows of this series: everything before the budget-th old row.
      std::int64_t end = before_ms;
      bool more = false;
      {
        SW_ASSIGN_OR_RETURN(Stmt cutoff, writer_->Prepare(cutoff_sql));
        cutoff.Bind(1, device).Bind(2, metric).Bind(3, before_ms).Bind(4, budget);
        SW_ASSIGN_OR_RETURN(bool row, cutoff.Step());
        if (row) {
          end = cutoff.Int(0);
          more = true;
        }
      }
      {
        SW_ASSIGN_OR_RETURN(Stmt del, writer_->Prepare(delete_sql));
        del.Bind(1, device).Bind(2, metric).Bind(3, end);
        SW_TRY(del.Run());
      }
      const std::int64_t deleted = writer_->Changes();
      total += deleted;
      budget -= deleted;
      if (budget <= 0) {
        SW_TRY(tx->Commit());
        tx.reset();
        lock.unlock();  // let a waiting WriteReadings in
        lock.lock();
        tx.emplace(*writer_);
        SW_TRY(tx->Begin());
        budget = chunk;
      }
      if (!more) break;
    }
  }
  SW_TRY(tx->Commit());
  return total;
}

Status SqliteTelemetryStore::PurgeDevice(core::DeviceId device) {
  std::lock_guard lock(writer_mutex_);
  Transaction tx(*writer_);
  SW_TRY(tx.Begin());
  for (std::string_view sql : {"DELETE FROM readings WHERE device_id = ?1",
                               "DELETE FROM rollup_minute WHERE device_id = ?1",
                               "DELETE FROM rollup_hour WHERE device_id = ?1",
                               "DELETE FROM device_events WHERE device_id = ?1"}) {
    SW_ASSIGN_OR_RETURN(Stmt st, writer_->Prepare(sql));
    st.Bind(1, device.value);
    SW_TRY(st.Run());
  }
  return tx.Commit();
}

// ---- reads ----

Status SqliteTelemetryStore::LoadReaderNames() {
  SW_ASSIGN_OR_RETURN(Stmt st, reader_->Prepare("SELECT id, name FROM metric_names"));
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Ok{};
    const std::int64_t id = st.Int(0);
    std::string name = st.Text(1);
    reader_names_[name] = id;
    reader_ids_[id] = std::move(name);
  }
}

Result<std::optional<std::int64_t>> SqliteTelemetryStore::MetricIdForRead(std::string_view name) {
  if (auto it = reader_names_.find(name); it != reader_names_.end()) {
    return std::optional<std::int64_t>(it->second);
  }
  SW_ASSIGN_OR_RETURN(Stmt st, reader_->Prepare("SELECT id FROM metric_names WHERE name = ?1"));
  st.Bind(1, name);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::int64_t>();  // never written: an empty series
  const std::int64_t id = st.Int(0);
  reader_names_.emplace(std::string(name), id);
  reader_ids_.emplace(id, std::string(name));
  return std::optional<std::int64_t>(id);
}

Result<std::string> SqliteTelemetryStore::MetricNameForRead(std::int64_t id) {
  if (auto it = reader_ids_.find(id); it != reader_ids_.end()) return it->second;
  SW_TRY(LoadReaderNames());
  if (auto it = reader_ids_.find(id); it != reader_ids_.end()) return it->second;
  return MakeError(Errc::kDataLoss, "metric id " + std::to_string(id) + " has no name",
                   "STORAGE_CORRUPT");
}

Result<std::vector<SeriesPoint>> SqliteTelemetryStore::History(const core::HistoryQuery& q) {
  std::lock_guard lock(reader_mutex_);
  std::vector<SeriesPoint> out;
  if (q.to_ms <= q.from_ms) return out;
  SW_ASSIGN_OR_RETURN(auto metric, MetricIdForRead(q.metric));
  if (!metric) return out;
  const SeriesSql& sql = SqlFor(q.resolution);

  bool merge = false;
  if (q.max_points > 0) {
    SW_ASSIGN_OR_RETURN(Stmt st, reader_->Prepare(sql.count));
    st.Bind(1, q.device.value).Bind(2, *metric).Bind(3, q.from_ms).Bind(4, q.to_ms);
    st.Bind(5, static_cast<std::int64_t>(q.max_points) + 1);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    merge = row && st.Int(0) > static_cast<std::int64_t>(q.max_points);
  }
  const std::int64_t span = q.to_ms - q.from_ms;
  const auto points = static_cast<std::int64_t>(q.max_points);
  std::int64_t width = 0;
  if (merge) {
    // Equal buckets from `from`, at most max_points of them, a whole number of roll-up rows.
    width = (span + points - 1) / points;
    const std::int64_t unit = std::max<std::int64_t>(1, core::ResolutionMillis(q.resolution));
    width = CeilTo(std::max<std::int64_t>(width, 1), unit);
  }
  SW_ASSIGN_OR_RETURN(Stmt st, reader_->Prepare(merge ? sql.merged : sql.plain));
  st.Bind(1, q.device.value).Bind(2, *metric).Bind(3, q.from_ms).Bind(4, q.to_ms);
  if (merge) st.Bind(5, width);
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    SeriesPoint p;
    p.ts_ms = st.Int(0);
    p.avg = st.Real(1);
    p.min = st.Real(2);
    p.max = st.Real(3);
    p.last = st.Real(4);
    p.count = st.Int(5);
    out.push_back(p);
  }
  return out;
}

Result<SeriesStats> SqliteTelemetryStore::Stats(core::DeviceId device, std::string_view metric_name,
                                                std::int64_t from_ms, std::int64_t to_ms) {
  std::lock_guard lock(reader_mutex_);
  SeriesStats acc;
  if (to_ms <= from_ms) return acc;
  SW_ASSIGN_OR_RETURN(auto metric, MetricIdForRead(metric_name));
  if (!metric) return acc;

  auto add = [&](Resolution r, std::int64_t from, std::int64_t to) -> Status {
    if (from >= to) return Ok{};
    SW_ASSIGN_OR_RETURN(Stmt st, reader_->Prepare(SqlFor(r).stats));
    st.Bind(1, device.value).Bind(2, *metric).Bind(3, from).Bind(4, to);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) MergeStats(acc, st.Int(0), st.Real(1), st.Real(2), st.Real(3));
    return Ok{};
  };
  // [a, b) without whole hours: whole minutes from the minute roll-ups, the rest raw.
  auto edge = [&](std::int64_t a, std::int64_t b) -> Status {
    if (a >= b) return Ok{};
    const std::int64_t m0 = CeilTo(a, kMinuteMs);
    const std::int64_t m1 = FloorTo(b, kMinuteMs);
    if (m0 >= m1) return add(Resolution::kRaw, a, b);
    SW_TRY(add(Resolution::kRaw, a, m0));
    SW_TRY(add(Resolution::kMinute, m0, m1));
    return add(Resolution::kRaw, m1, b);
  };
  const std::int64_t h0 = CeilTo(from_ms, kHourMs);
  const std::int64_t h1 = FloorTo(to_ms, kHourMs);
  if (h0 >= h1) {
    SW_TRY(edge(from_ms, to_ms));
  } else {
    SW_TRY(edge(from_ms, h0));
    SW_TRY(add(Resolution::kHour, h0, h1));
    SW_TRY(edge(h1, to_ms));
  }
  return acc;
}

Result<std::vector<Reading>> SqliteTelemetryStore::Raw(core::DeviceId device,
                                                       std::span<const std::string> metrics,
                                                       std::int64_t from_ms, std::int64_t to_ms,
                                                       std::size_t limit) {
  std::lock_guard lock(reader_mutex_);
  std::vector<Reading> out;
  if (to_ms <= from_ms || limit == 0) return out;
  std::vector<std::int64_t> ids;
  if (metrics.empty()) {
    SW_ASSIGN_OR_RETURN(ids, MetricIdsOf(*reader_, device.value, "readings"));
  } else {
    for (const std::string& name : metrics) {
      SW_ASSIGN_OR_RETURN(auto id, MetricIdForRead(name));
      if (id && std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
    }
  }
  // One index range per metric, then merged by time and cut to `limit`.
  SW_ASSIGN_OR_RETURN(Stmt st, reader_->Prepare("SELECT ts, value, flags FROM readings WHERE "
                                                "device_id = ?1 AND metric_id = ?2 AND ts >= ?3 "
                                                "AND ts < ?4 ORDER BY ts LIMIT ?5"));
  for (std::int64_t id : ids) {
    SW_ASSIGN_OR_RETURN(std::string name, MetricNameForRead(id));
    st.Reset();
    st.Bind(1, device.value).Bind(2, id).Bind(3, from_ms).Bind(4, to_ms);
    st.Bind(5, static_cast<std::int64_t>(limit));
    for (;;) {
      SW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      Reading r;
      r.device = device;
      r.metric = name;
      r.ts_ms = st.Int(0);
      r.value = st.Real(1);
      r.flags = static_cast<std::uint8_t>(st.Int(2));
      out.push_back(std::move(r));
    }
  }
  std::sort(out.begin(), out.end(), [](const Reading& a, const Reading& b) {
    return a.ts_ms != b.ts_ms ? a.ts_ms < b.ts_ms : a.metric < b.metric;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<std::vector<core::LatestValue>> SqliteTelemetryStore::Latest(
    std::span<const core::DeviceId> devices) {
  std::lock_guard lock(reader_mutex_);
  std::vector<core::LatestValue> out;
  for (core::DeviceId device : devices) {
    SW_ASSIGN_OR_RETURN(auto ids, MetricIdsOf(*reader_, device.value, "readings"));
    const std::size_t first = out.size();
    SW_ASSIGN_OR_RETURN(Stmt st, reader_->Prepare("SELECT ts, value, flags FROM readings WHERE "
                                                  "device_id = ?1 AND metric_id = ?2 AND "
                                                  "(flags & 1) = 0 ORDER BY ts DESC LIMIT 1"));
    for (std::int64_t id : ids) {
      st.Reset();
      st.Bind(1, device.value).Bind(2, id);
      SW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) continue;
      core::LatestValue v;
      v.device = device;
      v.ts_ms = st.Int(0);
      v.value = st.Real(1);
      v.flags = static_cast<std::uint8_t>(st.Int(2));
      SW_ASSIGN_OR_RETURN(v.metric, MetricNameForRead(id));
      out.push_back(std::move(v));
    }
    std::sort(
        out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
        [](const core::LatestValue& a, const core::LatestValue& b) { return a.metric < b.metric; });
  }
  return out;
}

Result<std::vector<std::string>> SqliteTelemetryStore::Metrics(core::DeviceId device) {
  std::lock_guard lock(reader_mutex_);
  std::vector<std::int64_t> ids;
  for (std::string_view table : {"readings", "rollup_minute", "rollup_hour"}) {
    SW_ASSIGN_OR_RETURN(auto some, MetricIdsOf(*reader_, device.value, table));
    ids.insert(ids.end(), some.begin(), some.end());
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::string> out;
  for (std::int64_t id : ids) {
    SW_ASSIGN_OR_RETURN(std::string name, MetricNameForRead(id));
    out.push_back(std::move(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::pair<core::DeviceId, std::string>>>
SqliteTelemetryStore::MetricsOfAllDevices() {
  std::lock_guard lock(reader_mutex_);
  // A skip scan over each table's (device_id, metric_id, ts) primary key: one index seek per
  // distinct pair, however many rows each pair has.
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  for (std::string_view table : {"readings", "rollup_minute", "rollup_hour"}) {
    SW_ASSIGN_OR_RETURN(Stmt st,
                        reader_->Prepare("SELECT device_id, metric_id FROM " + std::string(table) +
                                         " WHERE (device_id, metric_id) > (?1, ?2) "
                                         "ORDER BY device_id, metric_id LIMIT 1"));
    std::int64_t device = std::numeric_limits<std::int64_t>::min();
    std::int64_t metric = std::numeric_limits<std::int64_t>::min();
    for (;;) {
      st.Reset();
      st.Bind(1, device).Bind(2, metric);
      SW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      device = st.Int(0);
      metric = st.Int(1);
      pairs.emplace_back(device, metric);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  std::vector<std::pair<core::DeviceId, std::string>> out;
  out.reserve(pairs.size());
  for (const auto& [device, metric] : pairs) {
    SW_ASSIGN_OR_RETURN(std::string name, MetricNameForRead(metric));
    out.emplace_back(core::DeviceId{device}, std::move(name));
  }
  return out;
}

Result<std::vector<core::DeviceEvent>> SqliteTelemetryStore::Events(
    core::DeviceId device, std::size_t limit, std::optional<std::int64_t> before_id) {
  std::lock_guard lock(reader_mutex_);
  SW_ASSIGN_OR_RETURN(Stmt st,
                      reader_->Prepare("SELECT id, device_id, workshop_id, ts, type, detail FROM "
                                       "device_events WHERE device_id = ?1 AND id < ?2 "
                                       "ORDER BY id DESC LIMIT ?3"));
  st.Bind(1, device.value);
  st.Bind(2, before_id.value_or(std::numeric_limits<std::int64_t>::max()));
  st.Bind(3, static_cast<std::int64_t>(std::min<std::size_t>(
                 limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
  std::vector<core::DeviceEvent> out;
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    core::DeviceEvent e;
    e.id = st.Int(0);
    e.device = core::DeviceId{st.Int(1)};
    e.workshop = WorkshopId{st.Int(2)};
    e.ts_ms = st.Int(3);
    e.type = st.Text(4);
    e.detail_json = st.Text(5);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace sw::storage::sqlite
