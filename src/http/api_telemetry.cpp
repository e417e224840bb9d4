// Telemetry routes: the HTTP device API (PRODUCT.md §4: HTTP Basic uid:secret) and the read
// API for users (latest, history, statistics, CSV export, events).
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <future>

#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "http/api.hpp"
#include "http/device_payload.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

#define SW_HTTP_TRY(lhs, expr)                                                        \
  auto SW_CONCAT(r_, __LINE__) = (expr);                                              \
  if (!SW_CONCAT(r_, __LINE__).ok()) return Failure(SW_CONCAT(r_, __LINE__).error()); \
  lhs = std::move(SW_CONCAT(r_, __LINE__)).value()

constexpr auto kCommitWait = std::chrono::seconds(10);

Error DeviceAuthFailed() {
  return MakeError(Errc::kUnauthenticated, "device credentials required (HTTP Basic uid:secret)",
                   "DEVICE_AUTH_FAILED");
}

// HTTP Basic uid:secret -> the device.
Result<core::Device> AuthenticateDevice(const Request& req, core::DeviceService& devices) {
  const std::string_view header = req.Header("authorization");
  constexpr std::string_view kBasic = "Basic ";
  if (header.size() <= kBasic.size() || !IEquals(header.substr(0, kBasic.size()), kBasic)) {
    return DeviceAuthFailed();
  }
  auto decoded = DecodeBase64(Trim(header.substr(kBasic.size())));
  if (!decoded) return DeviceAuthFailed();
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return DeviceAuthFailed();
  auto device = devices.Authenticate(decoded->substr(0, colon), decoded->substr(colon + 1));
  if (!device.ok()) {
    if (device.error().code == Errc::kForbidden) return device.take_error();
    return DeviceAuthFailed();
  }
  return device;
}

json::object ValuesJson(const std::vector<core::LatestValue>& values) {
  json::object out;
  for (const core::LatestValue& v : values) {
    out[v.metric] = json::object{{"value", v.value}, {"ts", FormatTime(FromUnixMillis(v.ts_ms))}};
  }
  return out;
}

json::object SnapshotJson(const core::DeviceSnapshot& s) {
  json::object o;
  o["uid"] = s.device.uid;
  o["kind"] = core::DeviceKindName(s.device.kind);
  o["name"] = s.device.name;
  o["workshop_id"] = s.device.workshop_id.value;
  o["pit_id"] = s.device.pit_id ? json::value(s.device.pit_id->value) : json::value(nullptr);
  o["status"] = core::DeviceStatusName(s.device.status);
  o["online"] = s.online;
  o["last_seen"] = TimeJson(s.last_seen);
  o["firmware_version"] = s.device.firmware_version;
  o["rssi"] = s.rssi ? json::value(*s.rssi) : json::value(nullptr);
  o["values"] = ValuesJson(s.values);
  return o;
}

json::array SnapshotsJson(const std::vector<core::DeviceSnapshot>& list) {
  json::array a;
  for (const auto& s : list) a.push_back(SnapshotJson(s));
  return a;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// from/to: RFC 3339 or unix ms; defaults: the last 24 hours up to now.
Result<std::pair<std::int64_t, std::int64_t>> ReadRange(const Request& req, SysTime now) {
  SW_ASSIGN_OR_RETURN(auto from, QueryTime(req, "from"));
  SW_ASSIGN_OR_RETURN(auto to, QueryTime(req, "to"));
  const SysTime end = to.value_or(now);
  const SysTime start = from.value_or(end - std::chrono::hours(24));
  return std::pair{ToUnixMillis(start), ToUnixMillis(end)};
}

std::string CsvNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

void RegisterTelemetryRoutes(Router& router, const ApiDeps& deps) {
  core::DeviceService& devices = deps.devices;
  core::IngestService& ingest = *deps.ingest;
  core::TelemetryService& telemetry = *deps.telemetry;
  core::PresenceTracker& presence = *deps.presence;
  const Clock& clock = *deps.clock;

  // ---- the HTTP device API ------------------------------------------------------------

  router.Add("POST", "/api/v1/device/telemetry", "device_api.telemetry", Access::kPublic,
             [&devices, &ingest, &presence, &clock](Call& call) {
               SW_HTTP_TRY(auto device, AuthenticateDevice(call.req, devices));
               presence.Seen(device, clock.Now());
               SW_HTTP_TRY(auto decoded, DecodeTelemetry(call.req.body));
               if (decoded.rejected) ingest.CountRejected(decoded.rejected);
               auto committed = std::make_shared<std::promise<Status>>();
               auto future = committed->get_future();
               SW_HTTP_TRY(auto receipt,
                           ingest.Submit(std::make_shared<const core::Device>(device),
                                         std::move(decoded.samples), [committed](const Status& s) {
                                           committed->set_value(s);
                                         }));
               // Answer only when the readings are durable (or say that they are not).
               if (future.wait_for(kCommitWait) != std::future_status::ready) {
                 return Failure(MakeError(Errc::kUnavailable, "storage is slow; send again",
                                          "INGEST_TIMEOUT"));
               }
               Status stored = future.get();
               if (!stored.ok()) return Failure(stored.error());
               json::array problems;
               for (auto& p : decoded.problems) problems.push_back(json::string(p));
               for (auto& p : receipt.problems) problems.push_back(json::string(p));
               return Success(json::object{{"accepted", receipt.accepted},
                                           {"out_of_range", receipt.out_of_range},
                                           {"server_time", receipt.server_time},
                                           {"rejected", receipt.rejected + decoded.rejected},
                                           {"problems", problems}});
             });

  router.Add("POST", "/api/v1/device/events", "device_api.events", Access::kPublic,
             [&devices, &ingest, &presence, &clock](Call& call) {
               SW_HTTP_TRY(auto device, AuthenticateDevice(call.req, devices));
               const SysTime now = clock.Now();
               presence.Seen(device, now);
               SW_HTTP_TRY(auto event, DecodeEvent(call.req.body));
               core::DeviceEvent e;
               e.device = device.id;
               e.workshop = device.workshop_id;
               e.ts_ms = event.ts_ms.value_or(ToUnixMillis(now));
               e.type = event.type;
               e.detail_json = event.detail_json;
               if (Status s = ingest.RecordEvent(e); !s.ok()) return Failure(s.error());
               return Success(json::object{{"recorded", true}}, 201);
             });

  // ---- reading ------------------------------------------------------------------------

  router.Add("GET", "/api/v1/devices/{uid}/latest", "telemetry.device_latest", Access::kUser,
             [&telemetry](Call& call) {
               SW_HTTP_TRY(auto s, telemetry.DeviceLatest(*call.principal, call.Param("uid")));
               return Success(SnapshotJson(s));
             });

  router.Add("GET", "/api/v1/pits/{id}/latest", "telemetry.pit_latest", Access::kUser,
             [&telemetry](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto list, telemetry.PitLatest(*call.principal, PitId{id}));
               return Success(SnapshotsJson(list));
             });

  router.Add("GET", "/api/v1/workshops/{id}/latest", "telemetry.workshop_latest", Access::kUser,
             [&telemetry](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto list, telemetry.WorkshopLatest(*call.principal, WorkshopId{id}));
               return Success(SnapshotsJson(list));
             });

  router.Add(
      "GET", "/api/v1/devices/{uid}/history", "telemetry.history", Access::kUser,
      [&telemetry, &clock](Call& call) {
        core::HistoryRequest r;
        SW_HTTP_TRY(auto range, ReadRange(call.req, clock.Now()));
        r.from_ms = range.first;
        r.to_ms = range.second;
        if (auto it = call.req.query.find("metrics"); it != call.req.query.end()) {
          r.metrics = SplitList(it->second);
        }
        if (auto it = call.req.query.find("resolution");
            it != call.req.query.end() && it->second != "auto") {
          r.resolution = core::ParseResolution(it->second);
          if (!r.resolution) {
            return Failure(InvalidField("resolution", "must be auto, raw, minute or hour"));
          }
        }
        SW_HTTP_TRY(auto max_points, QueryInt(call.req, "max_points"));
        if (max_points) {
          if (*max_points < 1 || *max_points > static_cast<std::int64_t>(core::kMaxHistoryPoints)) {
            return Failure(InvalidField("max_points", "must be 1 to 10000"));
          }
          r.max_points = static_cast<std::size_t>(*max_points);
        }
        SW_HTTP_TRY(auto result, telemetry.History(*call.principal, call.Param("uid"), r));
        json::array series;
        for (const auto& s : result.series) {
          json::array points;
          for (const auto& p : s.points) {
            points.push_back(json::array{p.ts_ms, p.avg, p.min, p.max, p.count});
          }
          series.push_back(json::object{{"metric", s.metric}, {"points", std::move(points)}});
        }
        return Success(json::object{{"device", call.Param("uid")},
                                    {"from", r.from_ms},
                                    {"to", r.to_ms},
                                    {"resolution", core::ResolutionName(result.resolution)},
                                    {"columns", json::array{"ts", "avg", "min", "max", "count"}},
                                    {"series", std::move(series)}});
      });

  router.Add("GET", "/api/v1/devices/{uid}/stats", "telemetry.stats", Access::kUser,
             [&telemetry, &clock](Call& call) {
               SW_HTTP_TRY(auto range, ReadRange(call.req, clock.Now()));
               auto it = call.req.query.find("metric");
               if (it == call.req.query.end()) {
                 return Failure(InvalidField("metric", "is required"));
               }
               SW_HTTP_TRY(auto st, telemetry.Stats(*call.principal, call.Param("uid"), it->second,
                                                    range.first, range.second));
               json::object o{{"metric", it->second},
                              {"from", range.first},
                              {"to", range.second},
                              {"count", st.count}};
               o["min"] = st.count ? json::value(st.min) : json::value(nullptr);
               o["max"] = st.count ? json::value(st.max) : json::value(nullptr);
               o["avg"] = st.count ? json::value(st.avg()) : json::value(nullptr);
               return Success(o);
             });

  router.Add("GET", "/api/v1/devices/{uid}/export.csv", "telemetry.export", Access::kUser,
             [&telemetry, &clock](Call& call) {
               SW_HTTP_TRY(auto range, ReadRange(call.req, clock.Now()));
               std::vector<std::string> metrics;
               if (auto it = call.req.query.find("metrics"); it != call.req.query.end()) {
                 metrics = SplitList(it->second);
               }
               const std::string uid = call.Param("uid");
               SW_HTTP_TRY(auto rows, telemetry.Export(*call.principal, uid, metrics, range.first,
                                                       range.second));
               Response r;
               r.content_type = "text/csv; charset=utf-8";
               r.headers.emplace_back("Content-Disposition",
                                      "attachment; filename=\"" + uid + "-readings.csv\"");
               r.body.reserve(rows.size() * 48 + 64);
               r.body = "time,metric,value,valid,server_time\n";
               for (const core::Reading& x : rows) {
                 r.body += FormatTime(FromUnixMillis(x.ts_ms));
                 r.body += ',';
                 r.body += x.metric;
                 r.body += ',';
                 r.body += CsvNumber(x.value);
                 r.body += x.valid() ? ",true" : ",false";
                 r.body += (x.flags & core::kReadingServerTime) ? ",true\n" : ",false\n";
               }
               return r;
             });

  router.Add("GET", "/api/v1/devices/{uid}/events", "telemetry.events", Access::kUser,
             [&telemetry](Call& call) {
               SW_HTTP_TRY(auto limit, QueryInt(call.req, "limit"));
               SW_HTTP_TRY(auto before, QueryInt(call.req, "before"));
               SW_HTTP_TRY(auto events,
                           telemetry.Events(*call.principal, call.Param("uid"),
                                            static_cast<std::size_t>(limit.value_or(50)), before));
               json::array items;
               for (const core::DeviceEvent& e : events) {
                 json::object o{
                     {"id", e.id}, {"ts", FormatTime(FromUnixMillis(e.ts_ms))}, {"type", e.type}};
                 std::error_code ec;
                 json::value detail = json::parse(e.detail_json, ec);
                 o["detail"] = ec ? json::value(json::object{}) : detail;
                 items.push_back(std::move(o));
               }
               return Success(items);
             });
}

}  // namespace sw::http
