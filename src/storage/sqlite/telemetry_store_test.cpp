#include "storage/sqlite/telemetry_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <tuple>

namespace sw::storage::sqlite {
namespace {

using core::DeviceId;
using core::HistoryQuery;
using core::Reading;
using core::Resolution;
using core::SeriesPoint;

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kT0 = 1'700'000'000'000;  // a whole hour (2023-11-14T22:13:20Z is not)

std::int64_t Floor(std::int64_t t, std::int64_t w) {
  return (t / w) * w;  // the tests use positive times only
}
const std::int64_t kBase = Floor(kT0, kHour);

Reading R(std::int64_t device, std::string metric, std::int64_t ts, double value,
          std::uint8_t flags = 0) {
  Reading r;
  r.device = DeviceId{device};
  r.workshop = WorkshopId{1};
  r.metric = std::move(metric);
  r.ts_ms = ts;
  r.value = value;
  r.flags = flags;
  return r;
}

// Aggregate of valid readings, computed the slow way.
struct Agg {
  std::int64_t count = 0;
  double min = 0;
  double max = 0;
  double sum = 0;
  double last = 0;
  std::int64_t last_ts = std::numeric_limits<std::int64_t>::min();
  void Add(std::int64_t ts, double v) {
    min = count ? std::min(min, v) : v;
    max = count ? std::max(max, v) : v;
    ++count;
    sum += v;
    if (ts > last_ts) {
      last_ts = ts;
      last = v;
    }
  }
};

// What the store should hold: the first reading of each (device, metric, ts) wins.
class Model {
 public:
  void Write(const std::vector<Reading>& batch) {
    for (const Reading& r : batch) rows_.try_emplace({r.device.value, r.metric, r.ts_ms}, r);
  }
  // Valid readings of one series in [from, to), grouped into buckets of `width` from `origin`.
  std::map<std::int64_t, Agg> Buckets(std::int64_t device, const std::string& metric,
                                      std::int64_t from, std::int64_t to, std::int64_t origin,
                                      std::int64_t width) const {
    std::map<std::int64_t, Agg> out;
    for (const auto& [key, r] : rows_) {
      const auto& [d, m, ts] = key;
      if (d != device || m != metric || ts < from || ts >= to || !r.valid()) continue;
      out[origin + (ts - origin) / width * width].Add(ts, r.value);
    }
    return out;
  }
  Agg Total(std::int64_t device, const std::string& metric, std::int64_t from,
            std::int64_t to) const {
    Agg a;
    for (const auto& [key, r] : rows_) {
      const auto& [d, m, ts] = key;
      if (d == device && m == metric && ts >= from && ts < to && r.valid()) a.Add(ts, r.value);
    }
    return a;
  }
  std::size_t size() const { return rows_.size(); }

 private:
  std::map<std::tuple<std::int64_t, std::string, std::int64_t>, Reading> rows_;
};

// Values are multiples of 1/4 within ±1000, so every sum is exact in a double and the store
// must match the brute force bit for bit, whatever the order of addition.
double QuarterValue(std::mt19937_64& rng) {
  return static_cast<double>(static_cast<int>(rng() % 8001) - 4000) / 4.0;
}

class TelemetryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("sw-telemetry-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "sitewatch.db").string();
    auto db = Database::Open(path_, 1000);
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto migrated = (*db)->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(int retention_chunk_rows = 5000) {
    store_.reset();
    SqliteTelemetryStore::Options options;
    options.busy_timeout_ms = 1000;
    options.durable_sync = false;  // the tests do not test power loss
    options.retention_chunk_rows = retention_chunk_rows;
    auto s = SqliteTelemetryStore::Open(path_, options, &metrics_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  void Write(const std::vector<Reading>& batch) {
    auto s = store_->WriteReadings(batch);
    ASSERT_TRUE(s.ok()) << s.error().message;
    model_.Write(batch);
  }
  std::vector<SeriesPoint> History(std::int64_t device, const std::string& metric,
                                   std::int64_t from, std::int64_t to, Resolution res,
                                   std::size_t max_points = 0) {
    HistoryQuery q;
    q.device = DeviceId{device};
    q.metric = metric;
    q.from_ms = from;
    q.to_ms = to;
    q.resolution = res;
    q.max_points = max_points;
    auto h = store_->History(q);
    EXPECT_TRUE(h.ok()) << h.error().message;
    return h.ok() ? *h : std::vector<SeriesPoint>{};
  }
  // Compares a series with the brute-force buckets (avg compared through the sum).
  void ExpectSeries(const std::vector<SeriesPoint>& got, const std::map<std::int64_t, Agg>& want) {
    ASSERT_EQ(got.size(), want.size());
    auto it = want.begin();
    for (const SeriesPoint& p : got) {
      const auto& [ts, a] = *it++;
      SCOPED_TRACE("bucket " + std::to_string(ts));
      EXPECT_EQ(p.ts_ms, ts);
      EXPECT_EQ(p.count, a.count);
      EXPECT_EQ(p.min, a.min);
      EXPECT_EQ(p.max, a.max);
      EXPECT_EQ(p.avg, a.sum / static_cast<double>(a.count));
      EXPECT_EQ(p.last, a.last);
    }
  }
  std::int64_t CountRows(const char* table) {
    auto db = Database::Open(path_, 1000);
    EXPECT_TRUE(db.ok());
    auto st = (*db)->Prepare(std::string("SELECT count(*) FROM ") + table);
    EXPECT_TRUE(st.ok());
    EXPECT_TRUE(*st->Step());
    return st->Int(0);
  }

  std::filesystem::path dir_;
  std::string path_;
  metrics::Registry metrics_;
  std::unique_ptr<SqliteTelemetryStore> store_;
  Model model_;
};

TEST_F(TelemetryStoreTest, WriteThenRawHistoryOldestFirstWithExclusiveEnd) {
  Write({R(1, "temperature", kBase + 3000, 21.5), R(1, "temperature", kBase + 1000, 20.0),
         R(1, "temperature", kBase + 2000, 20.5), R(1, "humidity", kBase + 1000, 40),
         R(2, "temperature", kBase + 1000, 99)});
  auto h = History(1, "temperature", kBase + 1000, kBase + 3000, Resolution::kRaw);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].ts_ms, kBase + 1000);
  EXPECT_EQ(h[0].avg, 20.0);
  EXPECT_EQ(h[0].min, 20.0);
  EXPECT_EQ(h[0].max, 20.0);
  EXPECT_EQ(h[0].last, 20.0);
  EXPECT_EQ(h[0].count, 1);
  EXPECT_EQ(h[1].ts_ms, kBase + 2000);
  EXPECT_EQ(h[1].avg, 20.5);
  EXPECT_TRUE(History(1, "no_such_metric", kBase, kBase + kHour, Resolution::kRaw).empty());
  EXPECT_TRUE(History(1, "temperature", kBase + 5000, kBase, Resolution::kRaw).empty());

  auto raw = store_->Raw(DeviceId{1}, {}, kBase, kBase + kHour, 100);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 4u);  // both metrics, merged by time
  EXPECT_EQ((*raw)[0].metric, "humidity");
  EXPECT_EQ((*raw)[1].metric, "temperature");
  EXPECT_EQ((*raw)[3].ts_ms, kBase + 3000);
  EXPECT_EQ((*raw)[3].value, 21.5);
  const std::vector<std::string> only = {"temperature"};
  auto limited = store_->Raw(DeviceId{1}, only, kBase, kBase + kHour, 2);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].ts_ms, kBase + 2000);
}

TEST_F(TelemetryStoreTest, RollupsAreExactWithLateDataDuplicatesAndInvalidReadings) {
  std::mt19937_64 rng(42);
  const std::vector<std::string> metrics = {"temperature", "power_w"};
  std::vector<Reading> all;
  for (int i = 0; i < 6000; ++i) {
    const std::int64_t device = 1 + static_cast<std::int64_t>(rng() % 2);
    const std::string& metric = metrics[rng() % metrics.size()];
    const std::int64_t ts = kBase + static_cast<std::int64_t>(rng() % (3 * kHour));
    const std::uint8_t flags = rng() % 10 == 0 ? core::kReadingOutOfRange : 0;
    all.push_back(R(device, metric, ts, QuarterValue(rng), flags));
  }
  // Duplicates of earlier keys with other values, within and across batches.
  for (int i = 0; i < 800; ++i) {
    Reading dup = all[rng() % all.size()];
    dup.value = QuarterValue(rng);
    dup.flags = 0;
    all.push_back(dup);
  }
  // Random batch sizes, in arrival order (timestamps random: plenty of late data).
  std::size_t at = 0;
  while (at < all.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 700, all.size() - at);
    Write({all.begin() + static_cast<std::ptrdiff_t>(at),
           all.begin() + static_cast<std::ptrdiff_t>(at + n)});
    at += n;
  }
  EXPECT_EQ(CountRows("readings"), static_cast<std::int64_t>(model_.size()));
  for (std::int64_t device : {1, 2}) {
    for (const std::string& metric : metrics) {
      SCOPED_TRACE(metric + " of device " + std::to_string(device));
      const std::int64_t from = kBase;
      const std::int64_t to = kBase + 3 * kHour;
      ExpectSeries(History(device, metric, from, to, Resolution::kMinute),
                   model_.Buckets(device, metric, from, to, 0, kMinute));
      ExpectSeries(History(device, metric, from, to, Resolution::kHour),
                   model_.Buckets(device, metric, from, to, 0, kHour));
      ExpectSeries(History(device, metric, from, to, Resolution::kRaw),
                   model_.Buckets(device, metric, from, to, 0, 1));
    }
  }
  EXPECT_EQ(
      metrics_.GetCounter("sitewatch_telemetry_rows_written_total", "", {{"backend", "sqlite"}})
          .Value(),
      model_.size());
  EXPECT_EQ(
      metrics_.GetCounter("sitewatch_telemetry_rows_duplicate_total", "", {{"backend", "sqlite"}})
          .Value(),
      all.size() - model_.size());
}

TEST_F(TelemetryStoreTest, LateReadingDoesNotOverwriteLast) {
  Write({R(1, "temperature", kBase + 50'000, 30)});
  Write({R(1, "temperature", kBase + 10'000, 10)});  // older, arrives later
  auto m = History(1, "temperature", kBase, kBase + kHour, Resolution::kMinute);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].last, 30);
  EXPECT_EQ(m[0].count, 2);
  EXPECT_EQ(m[0].avg, 20);
  // A duplicate with another value changes nothing.
  Write({R(1, "temperature", kBase + 50'000, 1000)});
  auto h = History(1, "temperature", kBase, kBase + kHour, Resolution::kHour);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].count, 2);
  EXPECT_EQ(h[0].max, 30);
  EXPECT_EQ(h[0].last, 30);
}

TEST_F(TelemetryStoreTest, InvalidReadingsAreKeptRawButNotAggregated) {
  Write({R(1, "humidity", kBase + 1000, 50), R(1, "humidity", kBase + 2000, 250, 1),
         R(1, "humidity", kBase + 3000, 60, core::kReadingServerTime)});
  auto raw = store_->Raw(DeviceId{1}, {}, kBase, kBase + kHour, 10);
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw->size(), 3u);
  EXPECT_EQ((*raw)[1].value, 250);
  EXPECT_EQ((*raw)[1].flags, core::kReadingOutOfRange);
  EXPECT_FALSE((*raw)[1].valid());
  EXPECT_EQ((*raw)[2].flags, core::kReadingServerTime);

  auto h = History(1, "humidity", kBase, kBase + kHour, Resolution::kRaw);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1].avg, 60);
  for (Resolution r : {Resolution::kMinute, Resolution::kHour}) {
    auto agg = History(1, "humidity", kBase, kBase + kHour, r);
    ASSERT_EQ(agg.size(), 1u);
    EXPECT_EQ(agg[0].count, 2);
    EXPECT_EQ(agg[0].max, 60);
  }
  auto stats = store_->Stats(DeviceId{1}, "humidity", kBase, kBase + kHour);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->count, 2);
  EXPECT_EQ(stats->max, 60);
  EXPECT_EQ(stats->avg(), 55);
  auto only_invalid = store_->Stats(DeviceId{1}, "humidity", kBase + 2000, kBase + 2001);
  ASSERT_TRUE(only_invalid.ok());
  EXPECT_EQ(only_invalid->count, 0);
}

TEST_F(TelemetryStoreTest, MaxPointsMergesIntoEqualBuckets) {
  std::mt19937_64 rng(7);
  std::vector<Reading> batch;
  // 3 hours at 1 s (10,800 readings), some invalid.
  for (std::int64_t i = 0; i < std::int64_t{3 * 3600}; ++i) {
    batch.push_back(R(5, "pm25", kBase + i * 1000, QuarterValue(rng), i % 97 == 0 ? 1 : 0));
  }
  Write(batch);
  struct Case {
    Resolution res;
    std::int64_t from, to;
    std::size_t max_points;
  };
  const std::vector<Case> cases = {
      {Resolution::kRaw, kBase, kBase + 3 * kHour, 7},
      {Resolution::kRaw, kBase + 123, kBase + 2 * kHour + 4567, 1000},
      {Resolution::kRaw, kBase, kBase + 3 * kHour, 1},
      {Resolution::kMinute, kBase, kBase + 3 * kHour, 50},
      {Resolution::kMinute, kBase + 7 * kMinute, kBase + 150 * kMinute, 13},
      {Resolution::kHour, kBase, kBase + 3 * kHour, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(core::ResolutionName(c.res)) + " max_points " +
                 std::to_string(c.max_points));
    auto got = History(5, "pm25", c.from, c.to, c.res, c.max_points);
    EXPECT_LE(got.size(), c.max_points);
    const std::int64_t unit = std::max<std::int64_t>(1, core::ResolutionMillis(c.res));
    std::int64_t width = (c.to - c.from + static_cast<std::int64_t>(c.max_points) - 1) /
                         static_cast<std::int64_t>(c.max_points);
    width = (width + unit - 1) / unit * unit;
    // Brute force: the readings of the roll-up rows whose bucket starts in [from, to), merged
    // into buckets from `from`. Raw: the readings themselves.
    std::map<std::int64_t, Agg> want;
    for (const auto& [row_ts, a] :
         model_.Buckets(5, "pm25", Floor(c.from, unit), Floor(c.to - 1, unit) + unit, 0, unit)) {
      if (row_ts < c.from || row_ts >= c.to) continue;
      Agg& m = want[c.from + (row_ts - c.from) / width * width];
      // Merge the row aggregate into the bucket.
      if (m.count == 0) {
        m = a;
      } else {
        m.min = std::min(m.min, a.min);
        m.max = std::max(m.max, a.max);
        m.sum += a.sum;
        m.count += a.count;
        if (a.last_ts > m.last_ts) {
          m.last_ts = a.last_ts;
          m.last = a.last;
        }
      }
    }
    ExpectSeries(got, want);
  }
  // Fewer rows than max_points: returned as they are.
  auto few = History(5, "pm25", kBase, kBase + 3 * kHour, Resolution::kHour, 1000);
  ASSERT_EQ(few.size(), 3u);
  EXPECT_EQ(few[1].ts_ms, kBase + kHour);
  EXPECT_EQ(few[1].count, 3600 - 37);  // i % 97 == 0 for 37 of 3600..7199
}

TEST_F(TelemetryStoreTest, StatsMatchBruteForceOverRandomWindows) {
  std::mt19937_64 rng(1234);
  const std::int64_t span = 5 * kHour;
  std::vector<Reading> all;
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t ts = kBase + static_cast<std::int64_t>(rng() % span);
    all.push_back(R(3, "voltage_v", ts, QuarterValue(rng), rng() % 20 == 0 ? 1 : 0));
  }
  for (std::size_t at = 0; at < all.size(); at += 2500) {
    Write({all.begin() + static_cast<std::ptrdiff_t>(at),
           all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), at + 2500))});
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> windows = {
      {kBase, kBase + span},                           // aligned to hours
      {kBase + kHour, kBase + 3 * kHour},              // whole hours only
      {kBase + 5 * kMinute, kBase + 17 * kMinute},     // whole minutes only
      {kBase + 1234, kBase + 5678},                    // within one minute
      {kBase - kHour, kBase + span + kHour},           // wider than the data
      {kBase + kHour - 1, kBase + kHour + 1},          // across an hour edge
      {kBase + 30 * kMinute + 17, kBase + 4 * kHour},  // ragged start
  };
  for (int i = 0; i < 300; ++i) {
    std::int64_t a = kBase - kMinute + static_cast<std::int64_t>(rng() % (span + 2 * kMinute));
    std::int64_t b = kBase - kMinute + static_cast<std::int64_t>(rng() % (span + 2 * kMinute));
    if (a > b) std::swap(a, b);
    windows.emplace_back(a, b);
  }
  for (const auto& [from, to] : windows) {
    SCOPED_TRACE("[" + std::to_string(from - kBase) + ", " + std::to_string(to - kBase) + ")");
    auto got = store_->Stats(DeviceId{3}, "voltage_v", from, to);
    ASSERT_TRUE(got.ok()) << got.error().message;
    const Agg want = model_.Total(3, "voltage_v", from, to);
    ASSERT_EQ(got->count, want.count);
    if (want.count == 0) continue;
    EXPECT_EQ(got->min, want.min);
    EXPECT_EQ(got->max, want.max);
    EXPECT_EQ(got->sum, want.sum);
  }
}

TEST_F(TelemetryStoreTest, LatestIsTheNewestValidReadingPerMetric) {
  Write({R(1, "temperature", kBase + 2000, 22), R(1, "temperature", kBase + 1000, 21),
         R(1, "rssi", kBase + 500, -70), R(2, "temperature", kBase + 9000, 5)});
  Write({R(1, "temperature", kBase + 1500, 99)});  // late: not the latest
  Write({R(1, "rssi", kBase + 600, 5, 1)});        // newest, but flagged: not the latest
  const std::vector<DeviceId> devices = {DeviceId{1}, DeviceId{2}, DeviceId{3}};
  auto latest = store_->Latest(devices);
  ASSERT_TRUE(latest.ok()) << latest.error().message;
  ASSERT_EQ(latest->size(), 3u);
  EXPECT_EQ((*latest)[0].device, DeviceId{1});
  EXPECT_EQ((*latest)[0].metric, "rssi");
  EXPECT_EQ((*latest)[0].ts_ms, kBase + 500);
  EXPECT_EQ((*latest)[0].value, -70);
  EXPECT_EQ((*latest)[1].metric, "temperature");
  EXPECT_EQ((*latest)[1].value, 22);
  EXPECT_EQ((*latest)[2].device, DeviceId{2});
  EXPECT_EQ((*latest)[2].value, 5);

  auto names = store_->Metrics(DeviceId{1});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"rssi", "temperature"}));
  EXPECT_TRUE(store_->Metrics(DeviceId{3})->empty());
}

TEST_F(TelemetryStoreTest, EventsAreNewestFirstAndPageByBeforeId) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    core::DeviceEvent e;
    e.device = DeviceId{1};
    e.workshop = WorkshopId{7};
    e.ts_ms = kBase + i;
    e.type = "door_open";
    e.detail_json = "{\"n\":" + std::to_string(i) + "}";
    auto id = store_->AppendEvent(e);
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
    core::DeviceEvent other = e;
    other.device = DeviceId{2};
    ASSERT_TRUE(store_->AppendEvent(other).ok());
  }
  auto page = store_->Events(DeviceId{1}, 2, std::nullopt);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, ids[4]);
  EXPECT_EQ((*page)[0].detail_json, "{\"n\":4}");
  EXPECT_EQ((*page)[0].workshop, WorkshopId{7});
  EXPECT_EQ((*page)[0].type, "door_open");
  EXPECT_EQ((*page)[0].ts_ms, kBase + 4);
  EXPECT_EQ((*page)[1].id, ids[3]);
  auto next = store_->Events(DeviceId{1}, 2, (*page)[1].id);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 2u);
  EXPECT_EQ((*next)[0].id, ids[2]);
  EXPECT_EQ((*next)[1].id, ids[1]);
  auto last = store_->Events(DeviceId{1}, 10, (*next)[1].id);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].id, ids[0]);
  auto others = store_->Events(DeviceId{2}, 10, std::nullopt);
  ASSERT_TRUE(others.ok());
  EXPECT_EQ(others->size(), 5u);
  for (const auto& e : *others) EXPECT_EQ(e.device, DeviceId{2});
}

TEST_F(TelemetryStoreTest, RetentionDeletesOnlyOlderRowsInChunks) {
  Reopen(/*retention_chunk_rows=*/7);  // many small transactions
  std::vector<Reading> batch;
  for (std::int64_t device = 1; device <= 3; ++device) {
    for (std::int64_t i = 0; i < 120; ++i) {  // 2 hours, one reading a minute
      batch.push_back(R(device, "temperature", kBase + i * kMinute, 20));
      batch.push_back(R(device, "humidity", kBase + i * kMinute + 1, 40));
    }
  }
  Write(batch);
  core::RetentionPolicy policy;
  policy.raw_before_ms = kBase + 30 * kMinute;     // 30 per series, 6 series
  policy.minute_before_ms = kBase + 90 * kMinute;  // 90 per series
  auto r = store_->ApplyRetention(policy);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->raw_deleted, 180);
  EXPECT_EQ(r->minute_deleted, 540);
  EXPECT_EQ(r->hour_deleted, 0);
  EXPECT_EQ(CountRows("readings"), 6 * 90);
  EXPECT_EQ(CountRows("rollup_minute"), 6 * 30);
  EXPECT_EQ(CountRows("rollup_hour"), 6 * 2);
  auto raw = History(2, "humidity", kBase, kBase + 2 * kHour, Resolution::kRaw);
  ASSERT_EQ(raw.size(), 90u);
  EXPECT_EQ(raw.front().ts_ms, kBase + 30 * kMinute + 1);  // the oldest kept row

  policy = {};
  policy.hour_before_ms = kBase + kHour;
  r = store_->ApplyRetention(policy);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->hour_deleted, 6);
  EXPECT_EQ(r->raw_deleted, 0);
  EXPECT_EQ(CountRows("rollup_hour"), 6);
  // Stats still exact over what is left.
  auto stats = store_->Stats(DeviceId{1}, "temperature", kBase + kHour, kBase + 2 * kHour);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->count, 60);
}

TEST_F(TelemetryStoreTest, PurgeRemovesOneDeviceOnly) {
  Write({R(1, "temperature", kBase, 1), R(2, "temperature", kBase, 2)});
  core::DeviceEvent e;
  e.device = DeviceId{1};
  e.type = "online";
  ASSERT_TRUE(store_->AppendEvent(e).ok());
  e.device = DeviceId{2};
  ASSERT_TRUE(store_->AppendEvent(e).ok());
  ASSERT_TRUE(store_->PurgeDevice(DeviceId{1}).ok());
  EXPECT_TRUE(History(1, "temperature", kBase, kBase + kHour, Resolution::kRaw).empty());
  EXPECT_TRUE(History(1, "temperature", kBase, kBase + kHour, Resolution::kMinute).empty());
  EXPECT_TRUE(History(1, "temperature", kBase, kBase + kHour, Resolution::kHour).empty());
  EXPECT_TRUE(store_->Events(DeviceId{1}, 10, std::nullopt)->empty());
  EXPECT_TRUE(store_->Metrics(DeviceId{1})->empty());
  EXPECT_EQ(History(2, "temperature", kBase, kBase + kHour, Resolution::kHour).size(), 1u);
  EXPECT_EQ(store_->Events(DeviceId{2}, 10, std::nullopt)->size(), 1u);
}

TEST_F(TelemetryStoreTest, MetricsOfAllDevicesMatchesEachDevicesMetrics) {
  Write({R(1, "temperature", kBase, 1), R(1, "temperature", kBase + 1000, 2),
         R(1, "custom_probe", kBase, 2), R(3, "pm25", kBase, 4), R(3, "humidity", kBase, 50),
         R(2, "only_flagged", kBase, 5, 1)});
  auto all = store_->MetricsOfAllDevices();
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::vector<std::pair<DeviceId, std::string>> want;
  for (std::int64_t d : {1, 2, 3}) {
    auto names = store_->Metrics(DeviceId{d});
    ASSERT_TRUE(names.ok());
    for (const std::string& n : *names) want.emplace_back(DeviceId{d}, n);
  }
  std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.value, a.second) < std::pair(b.first.value, b.second);
  });
  auto got = *all;
  std::sort(got.begin(), got.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.value, a.second) < std::pair(b.first.value, b.second);
  });
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got[2].second, "only_flagged") << "a metric with only flagged readings is stored";
}

TEST_F(TelemetryStoreTest, MetricIdsPersistAcrossReopen) {
  Write({R(1, "temperature", kBase, 1), R(1, "custom_probe", kBase, 2)});
  Reopen();
  Write({R(1, "temperature", kBase + 1000, 3), R(1, "energy_wh", kBase, 4)});
  EXPECT_EQ(CountRows("metric_names"), 3);
  auto h = History(1, "temperature", kBase, kBase + kHour, Resolution::kMinute);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].count, 2);
  auto names = store_->Metrics(DeviceId{1});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"custom_probe", "energy_wh", "temperature"}));
}

TEST_F(TelemetryStoreTest, AFailedBatchWritesNothingAndForgetsItsMetricIds) {
  auto s = store_->WriteReadings(
      std::vector<Reading>{R(1, "fresh_metric", kBase, 1), R(1, "Bad Name", kBase, 2)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(CountRows("readings"), 0);
  EXPECT_EQ(CountRows("metric_names"), 0);
  // The rolled-back id is not reused from the cache.
  Write({R(1, "fresh_metric", kBase, 1)});
  EXPECT_EQ(History(1, "fresh_metric", kBase, kBase + 1, Resolution::kRaw).size(), 1u);
  EXPECT_EQ(CountRows("metric_names"), 1);
}

TEST_F(TelemetryStoreTest, ReadsDoNotWaitForAWriteTransaction) {
  Write({R(1, "temperature", kBase, 1)});
  auto other = Database::Open(path_, 50);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE").ok());
  ASSERT_TRUE(
      (*other)
          ->Exec("INSERT INTO readings VALUES (1, 1, " + std::to_string(kBase + 5) + ", 2, 0)")
          .ok());
  // The writer lock is held elsewhere; the reader sees the last committed state at once.
  EXPECT_EQ(History(1, "temperature", kBase, kBase + kHour, Resolution::kRaw).size(), 1u);
  ASSERT_TRUE((*other)->Exec("COMMIT").ok());
  EXPECT_EQ(History(1, "temperature", kBase, kBase + kHour, Resolution::kRaw).size(), 2u);
}

TEST(TelemetryStoreOpen, RefusesAnUnmigratedOrInMemoryDatabase) {
  SqliteTelemetryStore::Options options;
  auto mem = SqliteTelemetryStore::Open(":memory:", options);
  ASSERT_FALSE(mem.ok());
  EXPECT_EQ(mem.error().code, Errc::kInvalidArgument);

  const auto path = std::filesystem::temp_directory_path() /
                    ("sw-telemetry-" + std::to_string(::getpid()) + "-unmigrated.db");
  std::filesystem::remove(path);
  auto s = SqliteTelemetryStore::Open(path.string(), options);
  ASSERT_FALSE(s.ok());
  EXPECT_STREQ(s.error().Code(), "SCHEMA_TOO_OLD");
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

}  // namespace
}  // namespace sw::storage::sqlite
