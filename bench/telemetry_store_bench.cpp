// telemetry_store_bench: write throughput and history latency of SqliteTelemetryStore, for
// bench/telemetry_store_bench.sh.
//
//   telemetry_store_bench OUT.json [--dir D] [--devices 1000] [--metrics 5] [--rounds 60]
//                                  [--batch 5000] [--durable 1]
//
// (a) store: devices x metrics readings per round (one reading per series, 10 s apart),
//     written through WriteReadings in batches of --batch readings: raw rows + minute and
//     hour roll-ups, one durable transaction per batch. Readings/s.
// (b) ceiling (reference, same run): the same raw rows inserted with plain SQLite into a
//     table shaped like `readings` only (prepared statement, one transaction per batch,
//     same journal and synchronous settings). Readings/s. ratio = (a) / (b).
// (c) History of one 30-day series at 10 s (259,200 readings, written first) with
//     max_points = 1000 at hour, minute and raw resolution: median of 7 runs, ms.
// Prints a table and writes one JSON object to OUT.json.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "storage/sqlite/database.hpp"
#include "storage/sqlite/telemetry_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sw::core::Reading;
using sw::storage::sqlite::Database;
using sw::storage::sqlite::SqliteTelemetryStore;

constexpr std::int64_t kT0 = 1'700'000'000'000 / 3'600'000 * 3'600'000;  // a whole hour

std::map<std::string, std::string> ParseArgs(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 2; i + 1 < argc; i += 2) out[argv[i]] = argv[i + 1];
  return out;
}

long Arg(const std::map<std::string, std::string>& args, const std::string& name, long def) {
  auto it = args.find(name);
  return it == args.end() ? def : std::atol(it->second.c_str());
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "telemetry_store_bench: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

const char* const kMetricNames[] = {"temperature", "humidity",     "pressure", "pm25",
                                    "power_w",     "current_a_ma", "rssi",     "voltage_v"};

std::string Path(const std::filesystem::path& dir, const char* name) {
  return (dir / name).string();
}

std::unique_ptr<SqliteTelemetryStore> OpenStore(const std::string& path, bool durable) {
  auto db = Database::Open(path, 5000);
  if (!db.ok()) Die(db.error().message);
  if (auto m = (*db)->Migrate(); !m.ok()) Die(m.error().message);
  SqliteTelemetryStore::Options options;
  options.durable_sync = durable;
  auto store = SqliteTelemetryStore::Open(path, options);
  if (!store.ok()) Die(store.error().message);
  return std::move(store).value();
}

// (b): raw rows only, plain SQLite.
double Ceiling(const std::string& path, const std::vector<std::vector<Reading>>& batches,
               bool durable) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("open ceiling database");
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      Die(std::string("ceiling: ") + (err ? err : "?"));
    }
  };
  exec("PRAGMA journal_mode=WAL");
  exec(durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  // The same page cache and checkpoint interval as the store's writer.
  const SqliteTelemetryStore::Options defaults;
  exec(("PRAGMA cache_size=-" + std::to_string(defaults.writer_cache_kib)).c_str());
  exec(("PRAGMA wal_autocheckpoint=" + std::to_string(defaults.writer_wal_autocheckpoint_pages))
           .c_str());
  exec(
      "CREATE TABLE readings (device_id INTEGER NOT NULL, metric_id INTEGER NOT NULL, "
      "ts INTEGER NOT NULL, value REAL NOT NULL, flags INTEGER NOT NULL DEFAULT 0, "
      "PRIMARY KEY (device_id, metric_id, ts)) WITHOUT ROWID");
  // Metric ids resolved up front: the ceiling does no name lookups.
  std::map<std::string, std::int64_t> ids;
  for (std::size_t i = 0; i < std::size(kMetricNames); ++i) {
    ids[kMetricNames[i]] = static_cast<std::int64_t>(i + 1);
  }
  std::vector<std::vector<std::int64_t>> metric_ids;
  for (const auto& batch : batches) {
    auto& v = metric_ids.emplace_back();
    for (const Reading& r : batch) v.push_back(ids[r.metric]);
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db,
                         "INSERT OR IGNORE INTO readings (device_id, metric_id, ts, value, "
                         "flags) VALUES (?1, ?2, ?3, ?4, ?5)",
                         -1, &st, nullptr) != SQLITE_OK) {
    Die("prepare ceiling insert");
  }
  std::size_t total = 0;
  const auto start = Clock::now();
  for (std::size_t b = 0; b < batches.size(); ++b) {
    exec("BEGIN IMMEDIATE");
    for (std::size_t i = 0; i < batches[b].size(); ++i) {
      const Reading& r = batches[b][i];
      sqlite3_bind_int64(st, 1, r.device.value);
      sqlite3_bind_int64(st, 2, metric_ids[b][i]);
      sqlite3_bind_int64(st, 3, r.ts_ms);
      sqlite3_bind_double(st, 4, r.value);
      sqlite3_bind_int(st, 5, r.flags);
      if (sqlite3_step(st) != SQLITE_DONE) Die("ceiling insert");
      sqlite3_reset(st);
    }
    exec("COMMIT");
    total += batches[b].size();
  }
  const double secs = Seconds(start);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return static_cast<double>(total) / secs;
}

double Store(const std::string& path, const std::vector<std::vector<Reading>>& batches,
             bool durable) {
  auto store = OpenStore(path, durable);
  std::size_t total = 0;
  const auto start = Clock::now();
  for (const auto& batch : batches) {
    if (auto s = store->WriteReadings(batch); !s.ok()) Die(s.error().message);
    total += batch.size();
  }
  return static_cast<double>(total) / Seconds(start);
}

double MedianMs(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct HistoryTimes {
  double hour_ms = 0, minute_ms = 0, raw_ms = 0;
  std::size_t hour_points = 0, minute_points = 0, raw_points = 0;
  double write_readings_per_s = 0;
};

HistoryTimes History(const std::string& path, bool durable) {
  auto store = OpenStore(path, durable);
  constexpr std::int64_t kStep = 10'000;
  constexpr std::int64_t kSpan = 30LL * 24 * 3'600'000;
  const sw::core::DeviceId device{42};
  std::vector<Reading> batch;
  std::size_t written = 0;
  const auto start = Clock::now();
  for (std::int64_t ts = kT0; ts < kT0 + kSpan; ts += kStep) {
    Reading r;
    r.device = device;
    r.metric = "temperature";
    r.ts_ms = ts;
    r.value = 20.0 + static_cast<double>((ts / kStep) % 1000) / 100.0;
    batch.push_back(std::move(r));
    if (batch.size() == 5000) {
      if (auto s = store->WriteReadings(batch); !s.ok()) Die(s.error().message);
      written += batch.size();
      batch.clear();
    }
  }
  if (!batch.empty()) {
    if (auto s = store->WriteReadings(batch); !s.ok()) Die(s.error().message);
    written += batch.size();
  }
  HistoryTimes out;
  out.write_readings_per_s = static_cast<double>(written) / Seconds(start);
  auto time = [&](sw::core::Resolution res, std::size_t& points) {
    sw::core::HistoryQuery q;
    q.device = device;
    q.metric = "temperature";
    q.from_ms = kT0;
    q.to_ms = kT0 + kSpan;
    q.resolution = res;
    q.max_points = 1000;
    std::vector<double> ms;
    for (int i = 0; i < 7; ++i) {
      const auto t = Clock::now();
      auto h = store->History(q);
      ms.push_back(Seconds(t) * 1000.0);
      if (!h.ok()) Die(h.error().message);
      points = h->size();
    }
    return MedianMs(ms);
  };
  out.hour_ms = time(sw::core::Resolution::kHour, out.hour_points);
  out.minute_ms = time(sw::core::Resolution::kMinute, out.minute_points);
  out.raw_ms = time(sw::core::Resolution::kRaw, out.raw_points);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: telemetry_store_bench OUT.json [--devices N] [--metrics N] ...");
  const auto args = ParseArgs(argc, argv);
  const long devices = Arg(args, "--devices", 1000);
  const long metrics = std::clamp<long>(Arg(args, "--metrics", 5), 1, std::size(kMetricNames));
  const long rounds = Arg(args, "--rounds", 60);
  const long batch_size = Arg(args, "--batch", 5000);
  const bool durable = Arg(args, "--durable", 1) != 0;

  std::filesystem::path dir;
  if (auto it = args.find("--dir"); it != args.end()) {
    dir = it->second;
  } else {
    dir = std::filesystem::temp_directory_path() /
          ("sw-telemetry-bench-" + std::to_string(::getpid()));
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  // Arrival order: round by round, every device reports all its metrics (10 s apart).
  std::vector<std::vector<Reading>> batches(1);
  for (long round = 0; round < rounds; ++round) {
    for (long d = 1; d <= devices; ++d) {
      for (long m = 0; m < metrics; ++m) {
        if (static_cast<long>(batches.back().size()) == batch_size) batches.emplace_back();
        Reading r;
        r.device = sw::core::DeviceId{d};
        r.workshop = sw::WorkshopId{1};
        r.metric = kMetricNames[m];
        r.ts_ms = kT0 + round * 10'000 + d % 997;
        r.value = static_cast<double>((d * 31 + m * 7 + round) % 1000) / 10.0;
        batches.back().push_back(std::move(r));
      }
    }
  }
  const std::size_t total = static_cast<std::size_t>(devices * metrics * rounds);

  std::fprintf(stderr, "telemetry_store_bench: %zu readings, %zu batches, sync %s, in %s\n", total,
               batches.size(), durable ? "FULL" : "NORMAL", dir.c_str());
  const double ceiling = Ceiling(Path(dir, "ceiling.db"), batches, durable);
  const double store = Store(Path(dir, "store.db"), batches, durable);
  const HistoryTimes history = History(Path(dir, "history.db"), durable);
  std::filesystem::remove_all(dir);

  const double ratio = ceiling > 0 ? store / ceiling : 0;
  std::printf("%-52s %12.0f\n", "store WriteReadings, readings/s", store);
  std::printf("%-52s %12.0f\n", "ceiling (plain SQLite, raw rows only), readings/s", ceiling);
  std::printf("%-52s %12.2f\n", "ratio store / ceiling", ratio);
  std::printf("%-52s %12.0f\n", "30-day series (1 metric, 10 s) write, readings/s",
              history.write_readings_per_s);
  std::printf("%-52s %9.2f ms (%zu points)\n", "History 30 d, max 1000 points, hour",
              history.hour_ms, history.hour_points);
  std::printf("%-52s %9.2f ms (%zu points)\n", "History 30 d, max 1000 points, minute",
              history.minute_ms, history.minute_points);
  std::printf("%-52s %9.2f ms (%zu points)\n", "History 30 d, max 1000 points, raw", history.raw_ms,
              history.raw_points);

  std::ofstream out(argv[1]);
  if (!out) Die(std::string("cannot write ") + argv[1]);
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "{\"name\":\"telemetry_store\",\"machine\":{\"nproc\":%ld},"
                "\"params\":{\"devices\":%ld,\"metrics\":%ld,\"rounds\":%ld,\"batch\":%ld,"
                "\"readings\":%zu,\"synchronous\":\"%s\"},"
                "\"readings_per_s\":%.0f,\"ceiling_readings_per_s\":%.0f,\"ratio\":%.3f,"
                "\"history_30d_1000pts_ms\":%.3f,\"history_30d_1000pts_hour_ms\":%.3f,"
                "\"history_30d_1000pts_minute_ms\":%.3f,\"history_30d_1000pts_raw_ms\":%.3f,"
                "\"history_series_write_readings_per_s\":%.0f}\n",
                sysconf(_SC_NPROCESSORS_ONLN), devices, metrics, rounds, batch_size, total,
                durable ? "FULL" : "NORMAL", store, ceiling, ratio, history.minute_ms,
                history.hour_ms, history.minute_ms, history.raw_ms, history.write_readings_per_s);
  out << buf;
  return 0;
}
