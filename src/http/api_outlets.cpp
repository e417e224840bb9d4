// Outlet routes (issue 7): the socket view — reported relay state with its time, current,
// trip flag, threshold, and the commanded state while a command is open — of one outlet or of
// a gateway's outlets; and bulk cut of an outlet, a gateway's outlets or a workshop's.
#include <boost/json.hpp>

#include "common/time_format.hpp"
#include "http/api.hpp"
#include "http/command_json.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

#define SW_HTTP_TRY(lhs, expr)                                                        \
  auto SW_CONCAT(r_, __LINE__) = (expr);                                              \
  if (!SW_CONCAT(r_, __LINE__).ok()) return Failure(SW_CONCAT(r_, __LINE__).error()); \
  lhs = std::move(SW_CONCAT(r_, __LINE__)).value()

template <typename T>
json::value ReportedJson(const std::optional<core::Reported<T>>& r) {
  if (!r) return nullptr;
  return json::object{{"value", r->value}, {"at", FormatTime(r->at)}};
}

json::object SocketJson(const core::SocketState& s) {
  json::object relay{
      {"state", s.relay ? (s.relay->value ? "on" : "off") : "unknown"},
      {"at", s.relay ? json::value(FormatTime(s.relay->at)) : json::value(nullptr)},
      {"source",
       s.relay ? json::value(core::RelaySourceName(s.relay_source)) : json::value(nullptr)},
      {"verified", s.relay_verified ? json::value(*s.relay_verified) : json::value(nullptr)}};
  json::value commanded = nullptr;
  if (s.commanded) {
    commanded = json::object{{"on", s.commanded->on},
                             {"command_id", s.commanded->command_id},
                             {"name", s.commanded->command_name},
                             {"state", core::CommandStateName(s.commanded->state)},
                             {"since", FormatTime(s.commanded->since)}};
  }
  return json::object{{"socket", s.socket},
                      {"relay", std::move(relay)},
                      {"current_ma", ReportedJson(s.current_ma)},
                      {"tripped", ReportedJson(s.tripped)},
                      {"threshold_ma", ReportedJson(s.threshold_ma)},
                      {"commanded", std::move(commanded)}};
}

json::object OutletJson(const core::OutletState& o) {
  const core::Device& d = o.device;
  json::array sockets;
  for (const auto& s : o.sockets) sockets.push_back(SocketJson(s));
  return json::object{
      {"device_uid", d.uid},
      {"name", d.name},
      {"workshop_id", d.workshop_id.value},
      {"pit_id", d.pit_id ? json::value(d.pit_id->value) : json::value(nullptr)},
      {"gateway_uid", d.parent_uid.empty() ? json::value(nullptr) : json::value(d.parent_uid)},
      {"radio_address", d.radio_address ? json::value(*d.radio_address) : json::value(nullptr)},
      {"radio_protocol", d.radio_protocol},
      {"status", core::DeviceStatusName(d.status)},
      {"online", o.online},
      {"last_seen", TimeJson(o.last_seen)},
      {"sockets", std::move(sockets)}};
}

json::object CutJson(const core::CutResult& r) {
  json::array results;
  int refused = 0;
  for (const core::CutItem& item : r.items) {
    json::object o{{"device_uid", item.device.uid}};
    if (item.issued) {
      o["command_id"] = item.issued->command.id;
      o["state"] = core::CommandStateName(item.issued->command.state);
      o["created"] = item.issued->created;
      o["error"] = nullptr;
    } else {
      ++refused;
      o["command_id"] = nullptr;
      o["state"] = nullptr;
      o["created"] = false;
      o["error"] = json::object{{"code", item.refused->Code()}, {"message", item.refused->message}};
    }
    results.push_back(std::move(o));
  }
  return json::object{
      {"workshop_id", r.workshop_id.value},
      {"target", r.target},
      {"target_uid", r.target_uid.empty() ? json::value(nullptr) : json::value(r.target_uid)},
      {"created", r.Created()},
      {"refused", refused},
      {"results", std::move(results)}};
}

// {"idempotency_key"?, "expires_in_s"?}; an empty body is an empty object.
Result<core::CutRequest> ReadCutRequest(std::string_view text) {
  core::CutRequest r;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return r;
  SW_ASSIGN_OR_RETURN(auto body, Body::Parse(text, {"idempotency_key", "expires_in_s"}));
  SW_ASSIGN_OR_RETURN(r.idempotency_key, body.String("idempotency_key"));
  SW_ASSIGN_OR_RETURN(r.expires_in_s, body.Int("expires_in_s"));
  return r;
}

// Audits each new command like a single send, then the request itself; 202 when it created
// anything, 200 for a replay (or nothing to cut).
Response CutResponse(Call& call, const core::CutResult& r, const std::string& resource_type,
                     const std::string& resource_id) {
  for (const core::CutItem& item : r.items) {
    if (!item.issued || !item.issued->created) continue;
    call.Audit("command.send", "command", item.issued->command.id, r.workshop_id, {},
               json::serialize(CommandToJson(item.issued->command)));
  }
  const json::object data = CutJson(r);
  call.Audit("command.cut", resource_type, resource_id, r.workshop_id, {}, json::serialize(data));
  return Success(data, r.Created() > 0 ? 202 : 200);
}

}  // namespace

void RegisterOutletRoutes(Router& router, const ApiDeps& deps) {
  core::OutletService& svc = *deps.outlets;

  router.Add("GET", "/api/v1/devices/{uid}/sockets", "outlet.sockets", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto state, svc.Sockets(*call.principal, call.Param("uid")));
               return Success(OutletJson(state));
             });

  router.Add("GET", "/api/v1/devices/{uid}/outlets", "outlet.list", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto states, svc.GatewayOutlets(*call.principal, call.Param("uid")));
               json::array items;
               for (const auto& s : states) items.push_back(OutletJson(s));
               return Success(items);
             });

  router.Add("POST", "/api/v1/devices/{uid}/cut", "outlet.cut", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto request, ReadCutRequest(call.req.body));
    SW_HTTP_TRY(auto result, svc.CutDevice(*call.principal, call.Param("uid"), request));
    return CutResponse(call, result, "device", result.target_uid);
  });

  router.Add("POST", "/api/v1/workshops/{id}/cut", "outlet.cut_workshop", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto request, ReadCutRequest(call.req.body));
               SW_HTTP_TRY(auto result, svc.CutWorkshop(*call.principal, WorkshopId{id}, request));
               return CutResponse(call, result, "workshop", std::to_string(id));
             });
}

}  // namespace sw::http
