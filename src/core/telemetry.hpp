// Telemetry (PRODUCT.md §3): the metric catalogue, readings, roll-ups and the time-series
// storage port. Plain data and pure functions; the port is implemented by storage adapters
// (src/storage/sqlite/telemetry_store.*, later PostgreSQL) and must be thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"
#include "core/device.hpp"

namespace sw::core {

// ---- metric catalogue ----------------------------------------------------------------

struct MetricSpec {
  std::string_view name;
  std::string_view unit;
  std::optional<double> min;  // plausible range; a value outside is stored flagged invalid
  std::optional<double> max;
};

// The catalogue of PRODUCT.md §3, in a stable order.
std::span<const MetricSpec> MetricCatalogue();
// nullptr for a custom (not catalogued) metric name.
const MetricSpec* FindMetric(std::string_view name);
// Metric names (catalogued or custom): [a-z0-9_]{1,48}, starting with a letter.
bool ValidMetricName(std::string_view name);

// ---- readings ------------------------------------------------------------------------

// Flags carried by a stored reading.
enum ReadingFlag : std::uint8_t {
  kReadingOutOfRange = 1,  // outside the catalogue's plausible range: not charted, not alerted
  kReadingServerTime = 2,  // the device sent no plausible time; the server's time was used
};

struct Reading {
  DeviceId device;
  WorkshopId workshop;
  std::string metric;
  std::int64_t ts_ms = 0;  // unix milliseconds
  double value = 0;
  std::uint8_t flags = 0;
  bool valid() const { return (flags & kReadingOutOfRange) == 0; }
};

// ---- roll-ups and queries ------------------------------------------------------------

enum class Resolution { kRaw, kMinute, kHour };
std::string_view ResolutionName(Resolution r);
std::optional<Resolution> ParseResolution(std::string_view name);  // raw, minute, hour
// Bucket width in milliseconds (raw: 0).
std::int64_t ResolutionMillis(Resolution r);

// One point of a history series: a raw reading (count 1, min = max = avg = value) or an
// aggregate of the readings in [ts_ms, ts_ms + bucket).
struct SeriesPoint {
  std::int64_t ts_ms = 0;
  double avg = 0;
  double min = 0;
  double max = 0;
  double last = 0;
  std::int64_t count = 0;
};

struct HistoryQuery {
  DeviceId device;
  std::string metric;
  std::int64_t from_ms = 0;  // inclusive
  std::int64_t to_ms = 0;    // exclusive
  Resolution resolution = Resolution::kRaw;
  // Down-sampling bound: the result has at most this many points; when the stored rows are
  // more, they are merged into equal buckets of (to - from) / max_points (rounded up to the
  // resolution). 0 = no bound.
  std::size_t max_points = 0;
};

struct SeriesStats {
  std::int64_t count = 0;
  double min = 0;
  double max = 0;
  double sum = 0;
  double avg() const { return count ? sum / static_cast<double>(count) : 0; }
};

struct LatestValue {
  DeviceId device;
  std::string metric;
  std::int64_t ts_ms = 0;
  double value = 0;
  std::uint8_t flags = 0;
};

// Something a device reported or that happened to it (PRODUCT.md §4 "event", plus the
// platform's own: ingest_stopped, ingest_resumed, online, offline).
struct DeviceEvent {
  std::int64_t id = 0;  // assigned by the store
  DeviceId device;
  WorkshopId workshop;
  std::int64_t ts_ms = 0;
  std::string type;
  std::string detail_json = "{}";  // the event's fields as a JSON object text
};

struct RetentionPolicy {
  std::optional<std::int64_t> raw_before_ms;     // delete raw readings older than this
  std::optional<std::int64_t> minute_before_ms;  // delete minute roll-ups older than this
  std::optional<std::int64_t> hour_before_ms;    // delete hour roll-ups older than this
};

struct RetentionResult {
  std::int64_t raw_deleted = 0;
  std::int64_t minute_deleted = 0;
  std::int64_t hour_deleted = 0;
};

// Time-series storage. Only valid readings (no kReadingOutOfRange) enter the roll-ups; all
// readings are kept raw. Tenancy is the caller's: methods take device ids the caller has
// already resolved within the user's scope.
class TelemetryStore {
 public:
  virtual ~TelemetryStore() = default;

  // Appends raw readings and folds them into the minute and hour roll-ups (count, min, max,
  // sum, last-by-time), in one transaction: when it returns OK the readings are durable.
  // Readings may be late (any timestamp); the roll-ups stay exact. A reading with the same
  // (device, metric, ts) as a stored one replaces nothing and is not counted twice.
  virtual Status WriteReadings(std::span<const Reading> readings) = 0;

  virtual Result<std::vector<SeriesPoint>> History(const HistoryQuery& q) = 0;
  // Over valid readings in [from, to): from the hour roll-ups for whole hours and the minute
  // roll-ups / raw rows at the edges, so it is exact and fast over long windows.
  virtual Result<SeriesStats> Stats(DeviceId device, std::string_view metric, std::int64_t from_ms,
                                    std::int64_t to_ms) = 0;
  // Raw readings of `device` in [from, to), oldest first, at most `limit`; all metrics when
  // `metrics` is empty.
  virtual Result<std::vector<Reading>> Raw(DeviceId device, std::span<const std::string> metrics,
                                           std::int64_t from_ms, std::int64_t to_ms,
                                           std::size_t limit) = 0;
  // The newest valid stored reading per metric of each device (to warm the latest-value
  // cache); metrics with only flagged readings are absent.
  virtual Result<std::vector<LatestValue>> Latest(std::span<const DeviceId> devices) = 0;
  // Metric names stored for a device.
  virtual Result<std::vector<std::string>> Metrics(DeviceId device) = 0;
  // Every (device, metric name) pair stored, ordered by device (to warm per-device state at
  // start-up in one pass instead of one query per device on the hot path).
  virtual Result<std::vector<std::pair<DeviceId, std::string>>> MetricsOfAllDevices() = 0;

  virtual Result<std::int64_t> AppendEvent(const DeviceEvent& e) = 0;
  // Newest first; events with id < before_id when given.
  virtual Result<std::vector<DeviceEvent>> Events(DeviceId device, std::size_t limit,
                                                  std::optional<std::int64_t> before_id) = 0;

  virtual Result<RetentionResult> ApplyRetention(const RetentionPolicy& policy) = 0;
  // Removes every reading, roll-up and event of a purged device.
  virtual Status PurgeDevice(DeviceId device) = 0;
};

}  // namespace sw::core
