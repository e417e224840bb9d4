#include "core/ingest.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>

namespace sw::core {
namespace {

using namespace std::chrono_literals;

// An in-memory TelemetryStore: enough to watch what the pipeline writes and when.
class MemoryStore final : public TelemetryStore {
 public:
  Status WriteReadings(std::span<const Reading> readings) override {
    std::unique_lock lock(mutex_);
    gate_cv_.wait(lock, [&] { return open_; });
    if (fail_) return MakeError(Errc::kUnavailable, "disk full");
    written_.insert(written_.end(), readings.begin(), readings.end());
    ++batches_;
    return Ok{};
  }
  Result<std::vector<SeriesPoint>> History(const HistoryQuery&) override {
    return std::vector<SeriesPoint>{};
  }
  Result<SeriesStats> Stats(DeviceId, std::string_view, std::int64_t, std::int64_t) override {
    return SeriesStats{};
  }
  Result<std::vector<Reading>> Raw(DeviceId, std::span<const std::string>, std::int64_t,
                                   std::int64_t, std::size_t) override {
    return std::vector<Reading>{};
  }
  Result<std::vector<LatestValue>> Latest(std::span<const DeviceId>) override {
    std::lock_guard lock(mutex_);
    return stored_latest_;
  }
  Result<std::vector<std::string>> Metrics(DeviceId device) override {
    std::lock_guard lock(mutex_);
    ++metrics_reads_;
    std::vector<std::string> out;
    for (const auto& [d, name] : stored_metrics_) {
      if (d == device) out.push_back(name);
    }
    return out;
  }
  Result<std::vector<std::pair<DeviceId, std::string>>> MetricsOfAllDevices() override {
    std::lock_guard lock(mutex_);
    ++all_metrics_reads_;
    if (fail_all_metrics_) return MakeError(Errc::kUnavailable, "disk on fire");
    return stored_metrics_;
  }
  Result<std::int64_t> AppendEvent(const DeviceEvent& e) override {
    std::lock_guard lock(mutex_);
    events_.push_back(e);
    return static_cast<std::int64_t>(events_.size());
  }
  Result<std::vector<DeviceEvent>> Events(DeviceId, std::size_t,
                                          std::optional<std::int64_t>) override {
    return std::vector<DeviceEvent>{};
  }
  Result<RetentionResult> ApplyRetention(const RetentionPolicy&) override {
    return RetentionResult{};
  }
  Status PurgeDevice(DeviceId) override { return Ok{}; }

  void Hold() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    gate_cv_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable gate_cv_;
  bool open_ = true;
  bool fail_ = false;
  int batches_ = 0;
  std::vector<Reading> written_;
  std::vector<DeviceEvent> events_;
  std::vector<LatestValue> stored_latest_;
  std::vector<std::pair<DeviceId, std::string>> stored_metrics_;
  bool fail_all_metrics_ = false;
  int metrics_reads_ = 0;
  int all_metrics_reads_ = 0;
};

class IngestTest : public ::testing::Test {
 protected:
  IngestTest() : ingest_(store_, clock_, metrics_, Options()) {
    device_ = MakeDevice();
    ingest_.AddListener([this](const Device& d, std::span<const Reading> r) {
      std::lock_guard lock(store_.mutex_);
      heard_.emplace_back(d.uid, r.size());
    });
    ingest_.Start();
  }
  // The writer may still be telling the listener about the last batch when a test ends.
  ~IngestTest() override { ingest_.Stop(); }

  static IngestOptions Options() {
    IngestOptions o;
    o.custom_metric_cap = 2;
    return o;
  }

  std::shared_ptr<Device> MakeDevice() {
    auto d = std::make_shared<Device>();
    d->id = DeviceId{7};
    d->uid = "ESP32-A";
    d->workshop_id = WorkshopId{1};
    d->licence.status = LicenceStatus::kTrial;
    d->licence.expires_at = clock_.Now() + 24h * 30;
    return d;
  }

  // Submits and waits for `done`.
  std::pair<Result<IngestReceipt>, Status> SubmitAndWait(std::vector<TelemetrySample> samples) {
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    auto r = ingest_.Submit(device_, std::move(samples),
                            [promise](const Status& s) { promise->set_value(s); });
    return {std::move(r), future.get()};
  }

  ManualClock clock_;
  metrics::Registry metrics_;
  MemoryStore store_;
  IngestService ingest_;
  std::shared_ptr<Device> device_;
  std::vector<std::pair<std::string, std::size_t>> heard_;
};

TEST_F(IngestTest, ValuesAreStampedFlaggedAndWrittenBeforeDone) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  auto [r, done] = SubmitAndWait({
      {now - 60'000, {{"temperature", 23.5}, {"humidity", 140.0}}},  // humidity out of range
      {std::nullopt, {{"pm25", 12.0}}},                              // no time: server time
      {now + 3'600'000, {{"pm10", 20.0}}},                           // implausible: server time
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(r->accepted, 4u);
  EXPECT_EQ(r->out_of_range, 1u);
  EXPECT_EQ(r->server_time, 2u);
  std::lock_guard lock(store_.mutex_);
  ASSERT_EQ(store_.written_.size(), 4u);
  EXPECT_EQ(store_.written_[0].ts_ms, now - 60'000);
  EXPECT_TRUE(store_.written_[0].valid());
  EXPECT_FALSE(store_.written_[1].valid());
  EXPECT_EQ(store_.written_[2].ts_ms, now);
  EXPECT_EQ(store_.written_[2].flags, kReadingServerTime);
  EXPECT_EQ(store_.written_[3].ts_ms, now);
}

TEST_F(IngestTest, DoneWaitsForTheCommit) {
  store_.Hold();
  std::atomic<bool> finished{false};
  auto r = ingest_.Submit(device_, {{std::nullopt, {{"temperature", 20.0}}}},
                          [&](const Status&) { finished = true; });
  ASSERT_TRUE(r.ok());
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(finished) << "done before the readings were written";
  store_.Release();
  for (int i = 0; i < 200 && !finished; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(finished);
}

TEST_F(IngestTest, FailedCommitIsReportedToDone) {
  store_.fail_ = true;
  auto [r, done] = SubmitAndWait({{std::nullopt, {{"temperature", 20.0}}}});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(done.ok());
}

TEST_F(IngestTest, BadNamesAndTheCustomMetricCapAreRejectedAndCounted) {
  auto [r, done] = SubmitAndWait({{std::nullopt,
                                   {{"Bad-Name", 1.0},
                                    {"custom_a", 1.0},
                                    {"custom_b", 2.0},
                                    {"custom_c", 3.0},
                                    {"temperature", 21.0}}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 3u);  // custom_a, custom_b, temperature
  EXPECT_EQ(r->rejected, 2u);
  EXPECT_FALSE(r->problems.empty());
}

// Submits to `ingest` and waits for `done`.
Result<IngestReceipt> SubmitTo(IngestService& ingest, const std::shared_ptr<Device>& device,
                               std::vector<std::pair<std::string, double>> values) {
  std::promise<Status> promise;
  auto future = promise.get_future();
  auto r = ingest.Submit(device, {{std::nullopt, std::move(values)}},
                         [&promise](const Status& s) { promise.set_value(s); });
  future.wait();
  return r;
}

// A device's stored custom metrics count towards its cap, and they are loaded in one pass at
// start: the broker's threads never wait on a per-device store read (it used to run under
// the service's lock, serialising every new device behind the writer's commits).
TEST_F(IngestTest, StoredCustomMetricsAreLoadedOnceAtStartNotPerDevice) {
  store_.stored_metrics_ = {
      {DeviceId{7}, "custom_old"}, {DeviceId{7}, "temperature"}, {DeviceId{8}, "custom_x"}};
  metrics::Registry registry;
  IngestService fresh(store_, clock_, registry, Options());
  fresh.Start();
  auto r = SubmitTo(fresh, device_, {{"custom_new", 1.0}, {"custom_more", 2.0}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->accepted, 1u) << "custom_old and custom_new fill the cap of 2";
  EXPECT_EQ(r->rejected, 1u);
  r = SubmitTo(fresh, device_, {{"custom_old", 3.0}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 1u);
  auto other = MakeDevice();
  other->id = DeviceId{9};
  r = SubmitTo(fresh, other, {{"custom_a", 1.0}, {"custom_b", 1.0}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 2u) << "a device with nothing stored starts empty";
  fresh.Stop();
  std::lock_guard lock(store_.mutex_);
  EXPECT_EQ(store_.metrics_reads_, 0) << "no per-device store read on the hot path";
  EXPECT_GE(store_.all_metrics_reads_, 1);
}

TEST_F(IngestTest, WhenLoadingAllMetricsFailsEachDeviceIsReadOnce) {
  store_.stored_metrics_ = {{DeviceId{7}, "custom_old"}};
  store_.fail_all_metrics_ = true;
  metrics::Registry registry;
  IngestService fresh(store_, clock_, registry, Options());
  fresh.Start();
  auto r = SubmitTo(fresh, device_, {{"custom_new", 1.0}, {"custom_more", 2.0}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 1u) << "the stored custom_old still counts";
  r = SubmitTo(fresh, device_, {{"custom_new", 1.0}});
  ASSERT_TRUE(r.ok());
  fresh.Stop();
  std::lock_guard lock(store_.mutex_);
  EXPECT_EQ(store_.metrics_reads_, 1);
}

TEST_F(IngestTest, NothingUsableIsAnErrorAndDoneStillRuns) {
  auto [r, done] = SubmitAndWait({{std::nullopt, {{"Bad Name", 1.0}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_FALSE(done.ok());
}

TEST_F(IngestTest, ExpiredLicenceStopsIngestionAndIsRecordedOnce) {
  device_->licence.expires_at = clock_.Now() - 24h * 30;
  for (int i = 0; i < 3; ++i) {
    auto [r, done] = SubmitAndWait({{std::nullopt, {{"temperature", 20.0}}}});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().machine_code, "INGEST_BLOCKED");
  }
  {
    std::lock_guard lock(store_.mutex_);
    ASSERT_EQ(store_.events_.size(), 1u) << "the refusal must be recorded once";
    EXPECT_EQ(store_.events_[0].type, "ingest_stopped");
    EXPECT_NE(store_.events_[0].detail_json.find("licence_expired"), std::string::npos);
    EXPECT_TRUE(store_.written_.empty());
  }
  device_->licence.expires_at = clock_.Now() + 24h;  // paid
  auto [r, done] = SubmitAndWait({{std::nullopt, {{"temperature", 20.0}}}});
  ASSERT_TRUE(r.ok());
  std::lock_guard lock(store_.mutex_);
  ASSERT_EQ(store_.events_.size(), 2u);
  EXPECT_EQ(store_.events_[1].type, "ingest_resumed");
}

TEST_F(IngestTest, GracePeriodStillIngests) {
  device_->licence.expires_at = clock_.Now() - 24h * 2;  // 7 grace days by default
  auto [r, done] = SubmitAndWait({{std::nullopt, {{"temperature", 20.0}}}});
  EXPECT_TRUE(r.ok());
}

TEST_F(IngestTest, DisabledDeviceIsBlocked) {
  device_->status = DeviceStatus::kDisabled;
  auto [r, done] = SubmitAndWait({{std::nullopt, {{"temperature", 20.0}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kForbidden);
}

TEST_F(IngestTest, LatestComesFromTheStoreThenFromCommits) {
  const std::int64_t now = ToUnixMillis(clock_.Now());
  store_.stored_latest_ = {LatestValue{device_->id, "temperature", now - 10'000, 19.0, 0}};
  auto latest = ingest_.Latest(*device_);
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].value, 19.0);
  (void)SubmitAndWait({{now - 20'000, {{"temperature", 5.0}}}});  // older: does not win
  (void)SubmitAndWait({{now, {{"temperature", 21.0}, {"humidity", 400.0}}}});
  latest = ingest_.Latest(*device_);
  ASSERT_EQ(latest.size(), 1u) << "an out-of-range value is not a latest value";
  EXPECT_EQ(latest[0].value, 21.0);
}

TEST_F(IngestTest, ListenersHearCommittedBatches) {
  (void)SubmitAndWait({{std::nullopt, {{"temperature", 20.0}, {"pm25", 3.0}}}});
  ingest_.Stop();
  std::lock_guard lock(store_.mutex_);
  ASSERT_EQ(heard_.size(), 1u);
  EXPECT_EQ(heard_[0].second, 2u);
}

TEST_F(IngestTest, StopDrainsTheQueueAndLaterSubmissionsFail) {
  for (int i = 0; i < 100; ++i) {
    (void)ingest_.Submit(device_, {{ToUnixMillis(clock_.Now()) - i, {{"temperature", 20.0}}}},
                         nullptr);
  }
  ingest_.Stop();
  {
    std::lock_guard lock(store_.mutex_);
    EXPECT_EQ(store_.written_.size(), 100u);
  }
  auto r = ingest_.Submit(device_, {{std::nullopt, {{"temperature", 20.0}}}}, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
}

}  // namespace
}  // namespace sw::core
