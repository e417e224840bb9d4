#include "core/telemetry_service.hpp"

#include <algorithm>

#include "core/permissions.hpp"

namespace sw::core {
namespace {

Status ValidateRange(std::int64_t from_ms, std::int64_t to_ms) {
  if (from_ms < 0) return InvalidField("from", "must be a time after 1970");
  if (to_ms <= from_ms) return InvalidField("to", "must be after from");
  return Ok{};
}

}  // namespace

Resolution AutoResolution(std::int64_t from_ms, std::int64_t to_ms, std::size_t max_points) {
  if (max_points == 0) return Resolution::kRaw;
  const std::int64_t step = (to_ms - from_ms) / static_cast<std::int64_t>(max_points);
  if (ResolutionMillis(Resolution::kHour) <= 2 * step) return Resolution::kHour;
  if (ResolutionMillis(Resolution::kMinute) <= 2 * step) return Resolution::kMinute;
  return Resolution::kRaw;
}

TelemetryService::TelemetryService(Stores stores, TelemetryStore& telemetry, IngestService& ingest,
                                   PresenceTracker& presence)
    : stores_(stores), telemetry_(telemetry), ingest_(ingest), presence_(presence) {}

Result<Device> TelemetryService::VisibleDevice(const Principal& p, std::string_view uid) {
  if (!ValidateDeviceUid(uid).ok()) return MakeError(Errc::kNotFound, "device not found");
  SW_ASSIGN_OR_RETURN(Device d, stores_.devices.GetDevice(Scope::For(p), uid));
  SW_TRY(Authorize(p, Action::kTelemetryRead, d.workshop_id));
  return d;
}

DeviceSnapshot TelemetryService::Snapshot(const Device& d) {
  DeviceSnapshot s;
  s.device = d;
  s.online = d.online;
  s.last_seen = d.last_seen;
  if (auto live = presence_.Get(d.id)) {
    s.online = live->online;
    s.last_seen = live->last_seen;
    s.rssi = live->rssi;
    if (!live->firmware.empty()) s.device.firmware_version = live->firmware;
  }
  s.device.online = s.online;
  s.device.last_seen = s.last_seen;
  s.values = ingest_.Latest(d);
  return s;
}

Result<DeviceSnapshot> TelemetryService::DeviceLatest(const Principal& p, std::string_view uid) {
  SW_ASSIGN_OR_RETURN(Device d, VisibleDevice(p, uid));
  return Snapshot(d);
}

Result<std::vector<DeviceSnapshot>> TelemetryService::Snapshots(const Scope& scope,
                                                                WorkshopId workshop,
                                                                const DeviceFilter& filter) {
  std::vector<DeviceSnapshot> out;
  PageRequest page{1, 500};
  for (;;) {
    SW_ASSIGN_OR_RETURN(auto devices, stores_.devices.ListDevices(scope, workshop, filter, page));
    for (const Device& d : devices.items) out.push_back(Snapshot(d));
    if (devices.items.size() < static_cast<std::size_t>(page.page_size) ||
        static_cast<std::int64_t>(out.size()) >= devices.total) {
      break;
    }
    ++page.page;
  }
  return out;
}

Result<std::vector<DeviceSnapshot>> TelemetryService::PitLatest(const Principal& p, PitId pit_id) {
  const Scope scope = Scope::For(p);
  SW_ASSIGN_OR_RETURN(Pit pit, stores_.pits.GetPit(scope, pit_id));
  SW_TRY(Authorize(p, Action::kTelemetryRead, pit.workshop_id));
  DeviceFilter filter;
  filter.pit_id = pit.id;
  return Snapshots(scope, pit.workshop_id, filter);
}

Result<std::vector<DeviceSnapshot>> TelemetryService::WorkshopLatest(const Principal& p,
                                                                     WorkshopId workshop) {
  const Scope scope = Scope::For(p);
  SW_ASSIGN_OR_RETURN(Workshop w, stores_.workshops.GetWorkshop(scope, workshop));
  SW_TRY(Authorize(p, Action::kTelemetryRead, w.id));
  return Snapshots(scope, w.id, DeviceFilter{});
}

Result<HistoryResult> TelemetryService::History(const Principal& p, std::string_view uid,
                                                const HistoryRequest& r) {
  SW_ASSIGN_OR_RETURN(Device d, VisibleDevice(p, uid));
  SW_TRY(ValidateRange(r.from_ms, r.to_ms));
  if (r.metrics.empty() || r.metrics.size() > 8) {
    return InvalidField("metrics", "name 1 to 8 metrics");
  }
  for (const std::string& m : r.metrics) {
    if (!ValidMetricName(m)) return InvalidField("metrics", "\"" + m + "\" is not a metric name");
  }
  if (r.max_points == 0 || r.max_points > kMaxHistoryPoints) {
    return InvalidField("max_points", "must be 1 to " + std::to_string(kMaxHistoryPoints));
  }
  HistoryResult result;
  result.resolution = r.resolution.value_or(AutoResolution(r.from_ms, r.to_ms, r.max_points));
  // Roll-up rows cover whole buckets: widen the range to the buckets it touches.
  std::int64_t from = r.from_ms;
  std::int64_t to = r.to_ms;
  if (const std::int64_t w = ResolutionMillis(result.resolution); w > 0) {
    from -= from % w;
    if (to % w != 0) to += w - to % w;
  }
  for (const std::string& m : r.metrics) {
    HistoryQuery q;
    q.device = d.id;
    q.metric = m;
    q.from_ms = from;
    q.to_ms = to;
    q.resolution = result.resolution;
    q.max_points = r.max_points;
    SW_ASSIGN_OR_RETURN(auto points, telemetry_.History(q));
    result.series.push_back(HistorySeries{m, std::move(points)});
  }
  return result;
}

Result<SeriesStats> TelemetryService::Stats(const Principal& p, std::string_view uid,
                                            std::string_view metric, std::int64_t from_ms,
                                            std::int64_t to_ms) {
  SW_ASSIGN_OR_RETURN(Device d, VisibleDevice(p, uid));
  SW_TRY(ValidateRange(from_ms, to_ms));
  if (!ValidMetricName(metric)) return InvalidField("metric", "not a metric name");
  return telemetry_.Stats(d.id, metric, from_ms, to_ms);
}

Result<std::vector<Reading>> TelemetryService::Export(const Principal& p, std::string_view uid,
                                                      const std::vector<std::string>& metrics,
                                                      std::int64_t from_ms, std::int64_t to_ms) {
  SW_ASSIGN_OR_RETURN(Device d, VisibleDevice(p, uid));
  SW_TRY(ValidateRange(from_ms, to_ms));
  for (const std::string& m : metrics) {
    if (!ValidMetricName(m)) return InvalidField("metrics", "\"" + m + "\" is not a metric name");
  }
  return telemetry_.Raw(d.id, metrics, from_ms, to_ms, kMaxExportRows);
}

Result<std::vector<DeviceEvent>> TelemetryService::Events(const Principal& p, std::string_view uid,
                                                          std::size_t limit,
                                                          std::optional<std::int64_t> before) {
  SW_ASSIGN_OR_RETURN(Device d, VisibleDevice(p, uid));
  if (limit == 0 || limit > 500) return InvalidField("limit", "must be 1 to 500");
  return telemetry_.Events(d.id, limit, before);
}

}  // namespace sw::core
