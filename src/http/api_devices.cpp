#include <boost/json.hpp>

#include "http/api.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

#define SW_HTTP_TRY(lhs, expr)                                                        \
  auto SW_CONCAT(r_, __LINE__) = (expr);                                              \
  if (!SW_CONCAT(r_, __LINE__).ok()) return Failure(SW_CONCAT(r_, __LINE__).error()); \
  lhs = std::move(SW_CONCAT(r_, __LINE__)).value()

std::string Text(const json::value& v) {
  return json::serialize(v);
}

json::object WithSecret(const core::DeviceWithSecret& d) {
  return json::object{{"device", ToJson(d.device)}, {"secret", d.secret}};
}

Result<std::optional<int>> IntField(const Body& b, std::string_view field) {
  SW_ASSIGN_OR_RETURN(auto v, b.Int(field));
  if (!v) return std::optional<int>{};
  if (*v < -1'000'000'000 || *v > 1'000'000'000) {
    return InvalidField(std::string(field), "out of range");
  }
  return std::optional<int>{static_cast<int>(*v)};
}

}  // namespace

void RegisterDeviceRoutes(Router& router, const ApiDeps& deps) {
  core::DeviceService& svc = deps.devices;

  router.Add("GET", "/api/v1/workshops/{id}/devices", "device.list", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto page, ReadPage(call.req, 50, 500));
               core::DeviceFilter f;
               const auto& q = call.req.query;
               if (auto it = q.find("kind"); it != q.end()) {
                 f.kind = core::ParseDeviceKind(it->second);
                 if (!f.kind) return Failure(InvalidField("kind", "unknown device kind"));
               }
               if (auto it = q.find("status"); it != q.end()) {
                 f.status = core::ParseDeviceStatus(it->second);
                 if (!f.status) return Failure(InvalidField("status", "unknown device status"));
               }
               SW_HTTP_TRY(auto pit, QueryInt(call.req, "pit_id"));
               if (pit) f.pit_id = PitId{*pit};
               SW_HTTP_TRY(auto result, svc.List(*call.principal, WorkshopId{id}, f, page));
               json::array items;
               for (const auto& d : result.items) items.push_back(ToJson(d));
               return SuccessPage(items, page, result.total);
             });

  router.Add(
      "POST", "/api/v1/workshops/{id}/devices", "device.create", Access::kUser, [&svc](Call& call) {
        SW_HTTP_TRY(auto id, call.Id("id"));
        SW_HTTP_TRY(auto body, Body::Parse(call.req.body,
                                           {"uid", "kind", "pit_id", "parent_uid", "radio_address",
                                            "radio_protocol", "name", "report_interval_s"}));
        core::DeviceDraft d;
        SW_HTTP_TRY(auto kind, body.RequiredString("kind"));
        auto parsed = core::ParseDeviceKind(kind);
        if (!parsed) {
          return Failure(InvalidField("kind", "must be sensor_node, gateway, outlet or camera"));
        }
        d.kind = *parsed;
        SW_HTTP_TRY(auto uid, body.String("uid"));
        SW_HTTP_TRY(auto parent, body.String("parent_uid"));
        SW_HTTP_TRY(auto name, body.String("name"));
        SW_HTTP_TRY(auto pit, body.Int("pit_id"));
        SW_HTTP_TRY(d.radio_address, IntField(body, "radio_address"));
        SW_HTTP_TRY(d.radio_protocol, IntField(body, "radio_protocol"));
        SW_HTTP_TRY(auto interval, IntField(body, "report_interval_s"));
        d.uid = uid.value_or("");
        d.parent_uid = parent.value_or("");
        d.name = name.value_or("");
        if (pit) d.pit_id = PitId{*pit};
        if (interval) d.report_interval_s = *interval;
        if (d.uid.empty() && d.kind != core::DeviceKind::kOutlet) {
          return Failure(InvalidField("uid", "is required"));
        }
        SW_HTTP_TRY(auto created, svc.Register(*call.principal, WorkshopId{id}, d));
        call.Audit("device.create", "device", created.device.uid, created.device.workshop_id, {},
                   Text(ToJson(created.device)));
        return Success(WithSecret(created), 201);
      });

  router.Add("GET", "/api/v1/devices/{uid}", "device.get", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto d, svc.Get(*call.principal, call.Param("uid")));
    return Success(ToJson(d));
  });

  router.Add("PATCH", "/api/v1/devices/{uid}", "device.update", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto body, Body::Parse(call.req.body, {"name", "pit_id", "status",
                                                       "report_interval_s", "radio_protocol"}));
    core::DevicePatch patch;
    SW_HTTP_TRY(patch.name, body.String("name"));
    SW_HTTP_TRY(patch.report_interval_s, IntField(body, "report_interval_s"));
    SW_HTTP_TRY(patch.radio_protocol, IntField(body, "radio_protocol"));
    if (body.Has("pit_id")) {
      SW_HTTP_TRY(auto pit, body.Int("pit_id"));  // null: out of its pit
      patch.pit_id = pit ? std::optional<PitId>(PitId{*pit}) : std::optional<PitId>();
    }
    SW_HTTP_TRY(auto status, body.String("status"));
    if (status) {
      patch.status = core::ParseDeviceStatus(*status);
      if (!patch.status) return Failure(InvalidField("status", "unknown device status"));
    }
    SW_HTTP_TRY(auto change, svc.Update(*call.principal, call.Param("uid"), patch));
    call.Audit("device.update", "device", change.after.uid, change.after.workshop_id,
               Text(ToJson(change.before)), Text(ToJson(change.after)));
    return Success(ToJson(change.after));
  });

  router.Add("POST", "/api/v1/devices/{uid}/rotate-secret", "device.rotate_secret", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto rotated, svc.RotateSecret(*call.principal, call.Param("uid")));
               call.Audit("device.rotate_secret", "device", rotated.device.uid,
                          rotated.device.workshop_id);
               return Success(WithSecret(rotated));
             });

  core::TelemetryService* telemetry = deps.telemetry;
  router.Add(
      "DELETE", "/api/v1/devices/{uid}", "device.delete", Access::kUser,
      [&svc, telemetry](Call& call) {
        SW_HTTP_TRY(auto purge, QueryBool(call.req, "purge"));
        SW_HTTP_TRY(auto d, svc.Delete(*call.principal, call.Param("uid"), purge.value_or(false)));
        if (purge.value_or(false) && telemetry) {
          // The registry row is gone; its history goes with it (a retired device keeps it).
          if (Status s = telemetry->PurgeHistory(d.id); !s.ok()) return Failure(s.error());
        }
        call.Audit(purge.value_or(false) ? "device.purge" : "device.delete", "device", d.uid,
                   d.workshop_id, Text(ToJson(d)), {});
        return Success(
            json::object{{"deleted", true}, {"uid", d.uid}, {"purged", purge.value_or(false)}});
      });
}

}  // namespace sw::http
