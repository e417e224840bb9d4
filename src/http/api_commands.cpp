// Command routes (issue 7): users issue, list, read and cancel commands; devices that poll
// (PRODUCT.md §4, HTTP Basic uid:secret) fetch theirs with a long poll and post the result.
//
// The long poll holds an HTTP worker thread while it waits (the server has no deferred
// responses yet), so at most CommandOptions::max_long_polls wait at a time; a poll beyond
// that answers at once with what is due (the device simply polls again).
#include <boost/json.hpp>
#include <chrono>

#include "common/strings.hpp"
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

constexpr std::int64_t kMaxWaitSeconds = 30;
constexpr int kMaxPerPoll = 32;

// HTTP Basic uid:secret -> the device (as the telemetry device API does).
Result<core::Device> AuthenticateDevice(const Request& req, core::DeviceService& devices) {
  const Error failed =
      MakeError(Errc::kUnauthenticated, "device credentials required (HTTP Basic uid:secret)",
                "DEVICE_AUTH_FAILED");
  const std::string_view header = req.Header("authorization");
  constexpr std::string_view kBasic = "Basic ";
  if (header.size() <= kBasic.size() || !IEquals(header.substr(0, kBasic.size()), kBasic)) {
    return failed;
  }
  auto decoded = DecodeBase64(Trim(header.substr(kBasic.size())));
  if (!decoded) return failed;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return failed;
  auto device = devices.Authenticate(decoded->substr(0, colon), decoded->substr(colon + 1));
  if (!device.ok()) {
    if (device.error().code == Errc::kForbidden) return device.take_error();
    return failed;
  }
  return device;
}

json::value OptTime(const std::optional<SysTime>& t) {
  return t ? json::value(FormatTime(*t)) : json::value(nullptr);
}

json::value ParamsValue(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec || !v.is_object() ? json::value(json::object{}) : v;
}

// params (a JSON object of scalars) -> the core's parameter map.
Result<core::CommandParams> ReadParams(const json::value* v) {
  core::CommandParams out;
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return InvalidField("params", "must be an object");
  for (const auto& kv : v->as_object()) {
    const std::string key(kv.key());
    const json::value& x = kv.value();
    if (x.is_bool()) {
      out[key] = x.as_bool();
    } else if (x.is_int64()) {
      out[key] = x.as_int64();
    } else if (x.is_uint64()) {
      return InvalidField("params." + key, "out of range");
    } else if (x.is_double()) {
      out[key] = x.as_double();
    } else if (x.is_string()) {
      out[key] = std::string(x.as_string());
    } else {
      return InvalidField("params." + key, "must be a string, a number or a boolean");
    }
  }
  return out;
}

Result<core::CommandRequest> ReadCommandRequest(std::string_view text) {
  SW_ASSIGN_OR_RETURN(auto body,
                      Body::Parse(text, {"name", "params", "idempotency_key", "expires_in_s"}));
  core::CommandRequest r;
  SW_ASSIGN_OR_RETURN(r.name, body.RequiredString("name"));
  SW_ASSIGN_OR_RETURN(r.idempotency_key, body.String("idempotency_key"));
  SW_ASSIGN_OR_RETURN(r.expires_in_s, body.Int("expires_in_s"));
  // Body::Parse accepted it as an object; read params from the same text.
  const json::value v = json::parse(text);
  SW_ASSIGN_OR_RETURN(r.params, ReadParams(v.as_object().if_contains("params")));
  return r;
}

// Leaves the long-poll slot on every way out.
struct LongPollSlot {
  core::CommandService& svc;
  bool held;
  ~LongPollSlot() {
    if (held) svc.LeaveLongPoll();
  }
};

}  // namespace

json::object CommandToJson(const core::Command& c) {
  json::object o;
  o["id"] = c.id;
  o["device_uid"] = c.device_uid;
  o["workshop_id"] = c.workshop_id.value;
  o["name"] = c.name;
  o["params"] = ParamsValue(c.params_json);
  o["state"] = core::CommandStateName(c.state);
  o["attempts"] = c.attempts;
  o["issued_by"] = c.issued_by ? json::value(c.issued_by->value) : json::value(nullptr);
  o["issued_by_integration"] =
      c.issued_by_integration ? json::value(c.issued_by_integration->value) : json::value(nullptr);
  o["idempotency_key"] = c.idempotency_key ? json::value(*c.idempotency_key) : json::value(nullptr);
  o["created_at"] = FormatTime(c.created_at);
  o["expires_at"] = FormatTime(c.expires_at);
  o["sent_at"] = OptTime(c.sent_at);
  o["finished_at"] = OptTime(c.finished_at);
  o["result_detail"] = c.result_detail;
  o["verified"] = c.verified ? json::value(*c.verified) : json::value(nullptr);
  o["measured_ma"] = c.measured_ma ? json::value(*c.measured_ma) : json::value(nullptr);
  json::array transitions;
  for (const auto& t : c.transitions) {
    transitions.push_back(json::object{{"state", core::CommandStateName(t.state)},
                                       {"at", FormatTime(t.at)},
                                       {"detail", t.detail}});
  }
  o["transitions"] = std::move(transitions);
  return o;
}

json::object CommandEventJson(const core::Command& c, const core::CommandTransition& t) {
  json::object o = CommandToJson(c);
  o.erase("transitions");
  o["transition"] = json::object{
      {"state", core::CommandStateName(t.state)}, {"at", FormatTime(t.at)}, {"detail", t.detail}};
  return o;
}

json::object CommandMessage(const core::Command& c) {
  return json::object{{"id", c.id},
                      {"name", c.name},
                      {"params", ParamsValue(c.params_json)},
                      {"expires_at", ToUnixMillis(c.expires_at)}};
}

std::string EncodeCommandMessage(const core::Command& c) {
  return json::serialize(CommandMessage(c));
}

namespace {

// ok, detail and current_ma: the part of a result both transports share.
Result<core::CommandResult> ReadResultFields(const Body& body) {
  core::CommandResult r;
  SW_ASSIGN_OR_RETURN(auto ok, body.Bool("ok"));
  if (!ok) return InvalidField("ok", "required");
  r.ok = *ok;
  SW_ASSIGN_OR_RETURN(auto detail, body.String("detail"));
  r.detail = detail.value_or("");
  SW_ASSIGN_OR_RETURN(r.current_ma, body.Int("current_ma"));
  if (r.current_ma && (*r.current_ma < 0 || *r.current_ma > kMaxResultCurrentMa)) {
    return InvalidField("current_ma", "must be between 0 and 1000000");
  }
  return r;
}

}  // namespace

Result<core::CommandResult> DecodeCommandResult(std::string_view payload) {
  SW_ASSIGN_OR_RETURN(auto body, Body::Parse(payload, {"id", "ok", "detail", "current_ma", "ts"}));
  SW_ASSIGN_OR_RETURN(auto id, body.RequiredString("id"));
  if (id.empty() || id.size() > kMaxCommandIdLength) {
    return InvalidField("id", "must be 1 to 64 characters");
  }
  SW_ASSIGN_OR_RETURN(core::CommandResult r, ReadResultFields(body));
  r.id = std::move(id);
  return r;
}

Result<core::CommandRequest> DecodeCommandRequestMessage(std::string_view payload) {
  SW_ASSIGN_OR_RETURN(auto body, Body::Parse(payload, {"id", "name", "params", "expires_in_s"}));
  core::CommandRequest r;
  SW_ASSIGN_OR_RETURN(r.name, body.RequiredString("name"));
  SW_ASSIGN_OR_RETURN(r.idempotency_key, body.String("id"));
  SW_ASSIGN_OR_RETURN(r.expires_in_s, body.Int("expires_in_s"));
  const json::value v = json::parse(payload);
  SW_ASSIGN_OR_RETURN(r.params, ReadParams(v.as_object().if_contains("params")));
  return r;
}

Result<core::CommandResult> DecodeCommandResultBody(std::string_view id, std::string_view body) {
  SW_ASSIGN_OR_RETURN(auto parsed, Body::Parse(body, {"ok", "detail", "current_ma"}));
  SW_ASSIGN_OR_RETURN(core::CommandResult r, ReadResultFields(parsed));
  r.id = std::string(id);
  return r;
}

void RegisterCommandRoutes(Router& router, const ApiDeps& deps) {
  core::CommandService& svc = *deps.commands;
  core::DeviceService& devices = deps.devices;
  core::PresenceTracker* presence = deps.presence;
  const Clock* clock = deps.clock;

  router.Add("POST", "/api/v1/devices/{uid}/commands", "command.create", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto request, ReadCommandRequest(call.req.body));
               SW_HTTP_TRY(auto issued, svc.Issue(*call.principal, call.Param("uid"), request));
               const json::object data = CommandToJson(issued.command);
               if (issued.created) {
                 call.Audit("command.send", "command", issued.command.id,
                            issued.command.workshop_id, {}, json::serialize(data));
               }
               // 202: accepted for delivery; an idempotent replay answers 200.
               return Success(data, issued.created ? 202 : 200);
             });

  router.Add("GET", "/api/v1/devices/{uid}/commands", "command.list", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto page, ReadPage(call.req, 20, 100));
               SW_HTTP_TRY(auto result, svc.List(*call.principal, call.Param("uid"), page));
               json::array items;
               for (const auto& c : result.items) items.push_back(CommandToJson(c));
               return SuccessPage(items, page, result.total);
             });

  router.Add("GET", "/api/v1/commands/{id}", "command.get", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto c, svc.Get(*call.principal, call.Param("id")));
    return Success(CommandToJson(c));
  });

  router.Add(
      "POST", "/api/v1/commands/{id}/cancel", "command.cancel", Access::kUser, [&svc](Call& call) {
        SW_HTTP_TRY(auto c, svc.Cancel(*call.principal, call.Param("id")));
        const json::object data = CommandToJson(c);
        call.Audit("command.cancel", "command", c.id, c.workshop_id, {}, json::serialize(data));
        return Success(data);
      });

  // ---- the HTTP device API ------------------------------------------------------------

  router.Add("GET", "/api/v1/device/commands", "device_api.commands", Access::kPublic,
             [&svc, &devices, presence, clock](Call& call) {
               SW_HTTP_TRY(auto device, AuthenticateDevice(call.req, devices));
               SW_HTTP_TRY(auto wait, QueryInt(call.req, "wait"));
               if (wait && (*wait < 0 || *wait > kMaxWaitSeconds)) {
                 return Failure(InvalidField("wait", "must be between 0 and 30 seconds"));
               }
               if (presence && clock) presence->Seen(device, clock->Now());
               std::uint64_t generation = svc.Generation();
               SW_HTTP_TRY(auto claimed, svc.ClaimFor(device, kMaxPerPoll));
               if (claimed.empty() && wait.value_or(0) > 0) {
                 LongPollSlot slot{svc, svc.TryEnterLongPoll()};
                 const auto deadline =
                     std::chrono::steady_clock::now() + std::chrono::seconds(*wait);
                 while (slot.held && claimed.empty()) {
                   const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                       deadline - std::chrono::steady_clock::now());
                   if (left.count() <= 0) break;
                   // Woken by a new command; at least once a second for re-sends that fall due.
                   if (!svc.WaitForNew(generation, std::min(left, std::chrono::milliseconds(1000))))
                     break;
                   generation = svc.Generation();
                   SW_HTTP_TRY(claimed, svc.ClaimFor(device, kMaxPerPoll));
                 }
               }
               json::array items;
               for (const auto& c : claimed) {
                 json::object m = CommandMessage(c);
                 m["device_uid"] = c.device_uid;  // a gateway polls for its outlets too
                 items.push_back(std::move(m));
               }
               return Success(items);
             });

  router.Add("POST", "/api/v1/device/commands/{id}/result", "device_api.command_result",
             Access::kPublic, [&svc, &devices, presence, clock](Call& call) {
               SW_HTTP_TRY(auto device, AuthenticateDevice(call.req, devices));
               if (presence && clock) presence->Seen(device, clock->Now());
               SW_HTTP_TRY(auto r, DecodeCommandResultBody(call.Param("id"), call.req.body));
               SW_HTTP_TRY(auto c, svc.ApplyResult(device, r));
               const json::object data = CommandToJson(c);
               call.Audit("command.result", "command", c.id, c.workshop_id, {},
                          json::serialize(data));
               call.audit_entries().back().actor_name = "device:" + device.uid;
               return Success(data);
             });
}

}  // namespace sw::http
