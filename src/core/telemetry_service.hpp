// TelemetryService: the read side of telemetry for users — latest values per device, pit or
// workshop, history with automatic resolution and a point bound, statistics, raw export and
// device events. Applies the permission table (telemetry.read) and tenancy: a device, pit or
// workshop outside the caller's scope does not exist for them. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "core/ingest.hpp"
#include "core/ports.hpp"
#include "core/presence.hpp"
#include "core/telemetry.hpp"

namespace sw::core {

struct DeviceSnapshot {
  Device device;
  bool online = false;
  std::optional<SysTime> last_seen;
  std::optional<std::int64_t> rssi;
  std::vector<LatestValue> values;  // newest valid value per metric
};

struct HistoryRequest {
  std::vector<std::string> metrics;  // 1..8
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::optional<Resolution> resolution;  // nullopt: chosen from the range and max_points
  std::size_t max_points = 1000;         // 1..10,000
};

struct HistorySeries {
  std::string metric;
  std::vector<SeriesPoint> points;
};

struct HistoryResult {
  Resolution resolution = Resolution::kRaw;
  std::vector<HistorySeries> series;
};

inline constexpr std::size_t kMaxHistoryPoints = 10'000;
inline constexpr std::size_t kMaxExportRows = 200'000;

// The resolution History picks when none is asked for: the coarsest whose bucket is at most
// twice the width of one requested point, so a month at 1,000 points reads hour roll-ups and
// an hour reads raw rows.
Resolution AutoResolution(std::int64_t from_ms, std::int64_t to_ms, std::size_t max_points);

class TelemetryService {
 public:
  TelemetryService(Stores stores, TelemetryStore& telemetry, IngestService& ingest,
                   PresenceTracker& presence);

  Result<DeviceSnapshot> DeviceLatest(const Principal& p, std::string_view uid);
  Result<std::vector<DeviceSnapshot>> PitLatest(const Principal& p, PitId pit);
  Result<std::vector<DeviceSnapshot>> WorkshopLatest(const Principal& p, WorkshopId workshop);

  Result<HistoryResult> History(const Principal& p, std::string_view uid,
                                const HistoryRequest& request);
  Result<SeriesStats> Stats(const Principal& p, std::string_view uid, std::string_view metric,
                            std::int64_t from_ms, std::int64_t to_ms);
  // Raw readings (valid and flagged), oldest first, at most kMaxExportRows.
  Result<std::vector<Reading>> Export(const Principal& p, std::string_view uid,
                                      const std::vector<std::string>& metrics, std::int64_t from_ms,
                                      std::int64_t to_ms);
  Result<std::vector<DeviceEvent>> Events(const Principal& p, std::string_view uid,
                                          std::size_t limit, std::optional<std::int64_t> before);

  // Removes every reading, roll-up and event of a device being purged (the caller has
  // authorised the purge: DeviceService::Delete).
  Status PurgeHistory(DeviceId device) { return telemetry_.PurgeDevice(device); }

  // The device as the caller may see it (telemetry.read), for callers that need its facts.
  Result<Device> VisibleDevice(const Principal& p, std::string_view uid);

 private:
  DeviceSnapshot Snapshot(const Device& d);
  Result<std::vector<DeviceSnapshot>> Snapshots(const Scope& scope, WorkshopId workshop,
                                                const DeviceFilter& filter);

  Stores stores_;
  TelemetryStore& telemetry_;
  IngestService& ingest_;
  PresenceTracker& presence_;
};

}  // namespace sw::core
