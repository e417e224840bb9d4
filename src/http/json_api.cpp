#include "http/json_api.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "common/strings.hpp"
#include "common/time_format.hpp"

namespace sw::http {

int HttpStatusFor(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument: return 400;
    case Errc::kUnauthenticated: return 401;
    case Errc::kForbidden: return 403;
    case Errc::kNotFound: return 404;
    case Errc::kConflict: return 409;
    case Errc::kPayloadTooLarge: return 413;
    case Errc::kRateLimited: return 429;
    case Errc::kUnavailable: return 503;
    case Errc::kDataLoss:
    case Errc::kInternal: return 500;
  }
  return 500;
}

Response JsonResponse(int status, const json::value& body) {
  Response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

Response Success(const json::value& data, int status) {
  return JsonResponse(status, json::object{{"success", true}, {"data", data}});
}

Response SuccessPage(const json::array& items, const core::PageRequest& page, std::int64_t total) {
  return JsonResponse(
      200, json::object{
               {"success", true},
               {"data", items},
               {"meta", {{"page", page.page}, {"page_size", page.page_size}, {"total", total}}}});
}

Response Failure(const Error& error) {
  json::object details;
  if (!error.field.empty()) details["field"] = error.field;
  const bool internal = error.code == Errc::kInternal || error.code == Errc::kDataLoss;
  // Internal errors are logged in full by the router; the client gets no internals.
  json::object err{{"code", error.Code()},
                   {"message", internal ? "internal error" : error.message},
                   {"details", details}};
  Response r = JsonResponse(HttpStatusFor(error.code),
                            json::object{{"success", false}, {"error", std::move(err)}});
  if (error.code == Errc::kUnauthenticated) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Result<std::optional<std::int64_t>> QueryInt(const Request& req, const std::string& name) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::optional<std::int64_t>{};
  auto v = ParseInt64(it->second);
  if (!v) return InvalidField(name, "must be an integer");
  return std::optional<std::int64_t>{*v};
}

Result<std::optional<SysTime>> QueryTime(const Request& req, const std::string& name) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::optional<SysTime>{};
  auto t = ParseTime(it->second);
  if (!t) return InvalidField(name, "must be an RFC 3339 UTC time or unix milliseconds");
  return std::optional<SysTime>{*t};
}

Result<std::optional<bool>> QueryBool(const Request& req, const std::string& name) {
  auto it = req.query.find(name);
  if (it == req.query.end()) return std::optional<bool>{};
  if (it->second == "true" || it->second == "1") return std::optional<bool>{true};
  if (it->second == "false" || it->second == "0") return std::optional<bool>{false};
  return InvalidField(name, "must be true or false");
}

Result<core::PageRequest> ReadPage(const Request& req, int def, int max) {
  core::PageRequest page{1, def};
  SW_ASSIGN_OR_RETURN(auto p, QueryInt(req, "page"));
  SW_ASSIGN_OR_RETURN(auto s, QueryInt(req, "page_size"));
  if (p) {
    if (*p < 1 || *p > 1'000'000) return InvalidField("page", "must be between 1 and 1000000");
    page.page = static_cast<int>(*p);
  }
  if (s) {
    if (*s < 1 || *s > max) {
      return InvalidField("page_size", "must be between 1 and " + std::to_string(max));
    }
    page.page_size = static_cast<int>(*s);
  }
  return page;
}

Result<Body> Body::Parse(std::string_view text, std::initializer_list<std::string_view> allowed) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  json::value v = json::parse(text, ec, json::storage_ptr(), opts);
  if (ec) {
    return MakeError(Errc::kInvalidArgument, "request body is not valid JSON: " + ec.message(),
                     "INVALID_JSON");
  }
  if (!v.is_object()) {
    return MakeError(Errc::kInvalidArgument, "request body must be a JSON object", "INVALID_JSON");
  }
  for (const auto& kv : v.as_object()) {
    bool known = false;
    for (auto a : allowed) known = known || kv.key() == a;
    if (!known) {
      return MakeError(Errc::kInvalidArgument, "unknown field", "UNKNOWN_FIELD",
                       std::string(kv.key()));
    }
  }
  return Body(std::move(v.as_object()));
}

Result<std::optional<std::string>> Body::String(std::string_view field) const {
  const auto* v = object_.if_contains(field);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return InvalidField(std::string(field), "must be a string");
  return std::optional<std::string>{std::string(v->as_string())};
}

Result<std::string> Body::RequiredString(std::string_view field) const {
  SW_ASSIGN_OR_RETURN(auto s, String(field));
  if (!s) return InvalidField(std::string(field), "is required");
  return std::move(*s);
}

Result<std::optional<std::int64_t>> Body::Int(std::string_view field) const {
  const auto* v = object_.if_contains(field);
  if (!v || v->is_null()) return std::optional<std::int64_t>{};
  if (v->is_int64()) return std::optional<std::int64_t>{v->as_int64()};
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return std::optional<std::int64_t>{static_cast<std::int64_t>(v->as_uint64())};
  }
  return InvalidField(std::string(field), "must be an integer");
}

Result<std::optional<double>> Body::Number(std::string_view field) const {
  const auto* v = object_.if_contains(field);
  if (!v || v->is_null()) return std::optional<double>{};
  if (!v->is_number()) return InvalidField(std::string(field), "must be a number");
  const double d = v->to_number<double>();
  if (!std::isfinite(d)) return InvalidField(std::string(field), "must be finite");
  return std::optional<double>{d};
}

Result<std::optional<bool>> Body::Bool(std::string_view field) const {
  const auto* v = object_.if_contains(field);
  if (!v || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool()) return InvalidField(std::string(field), "must be true or false");
  return std::optional<bool>{v->as_bool()};
}

json::value TimeJson(const std::optional<SysTime>& t) {
  if (!t) return nullptr;
  return json::value(FormatTime(*t));
}

json::value ToJson(const core::Workshop& w) {
  return json::object{{"id", w.id.value},
                      {"name", w.name},
                      {"slug", w.slug},
                      {"timezone", w.timezone},
                      {"address", w.address},
                      {"phone", w.phone},
                      {"email", w.email},
                      {"active", w.active},
                      {"nominal_voltage_v", w.nominal_voltage_v},
                      {"power_factor", w.power_factor},
                      {"tariff_per_kwh", w.tariff_per_kwh},
                      {"created_at", TimeJson(w.created_at)},
                      {"updated_at", TimeJson(w.updated_at)}};
}

json::value ToJson(const core::Pit& p) {
  return json::object{{"id", p.id.value},
                      {"workshop_id", p.workshop_id.value},
                      {"number", p.number},
                      {"name", p.name},
                      {"description", p.description},
                      {"status", core::PitStatusName(p.status)},
                      {"created_at", TimeJson(p.created_at)},
                      {"updated_at", TimeJson(p.updated_at)}};
}

json::value ToJson(const core::User& u) {
  json::object o{{"id", u.id.value},
                 {"username", u.username},
                 {"email", u.email},
                 {"full_name", u.full_name},
                 {"role", core::RoleName(u.role)},
                 {"active", u.active},
                 {"temporary_password", u.temporary_password},
                 {"locked", u.locked_until.has_value()},
                 {"last_login", TimeJson(u.last_login)},
                 {"created_at", TimeJson(u.created_at)},
                 {"updated_at", TimeJson(u.updated_at)}};
  if (u.workshop_id) {
    o["workshop_id"] = u.workshop_id->value;
  } else {
    o["workshop_id"] = nullptr;
  }
  return o;
}

json::value ToJson(const core::AuditEntry& e) {
  const auto parse_or_null = [](const std::string& s) -> json::value {
    if (s.empty()) return nullptr;
    boost::system::error_code ec;
    json::value v = json::parse(s, ec);
    return ec ? json::value(s) : v;
  };
  json::object o{{"id", e.id},
                 {"at", TimeJson(e.at)},
                 {"actor_name", e.actor_name},
                 {"action", e.action},
                 {"resource_type", e.resource_type},
                 {"resource_id", e.resource_id},
                 {"before", parse_or_null(e.before_json)},
                 {"after", parse_or_null(e.after_json)},
                 {"ip", e.ip}};
  o["actor_id"] = e.actor_id ? json::value(e.actor_id->value) : json::value(nullptr);
  o["workshop_id"] = e.workshop_id ? json::value(e.workshop_id->value) : json::value(nullptr);
  return o;
}

json::value ToJson(const core::Device& d) {
  const auto opt_int = [](std::optional<std::int64_t> v) {
    return v ? json::value(*v) : json::value(nullptr);
  };
  json::object licence{{"key", d.licence.key},
                       {"plan", d.licence.plan},
                       {"status", core::LicenceStatusName(d.licence.status)},
                       {"starts_at", TimeJson(d.licence.starts_at)},
                       {"expires_at", TimeJson(d.licence.expires_at)},
                       {"grace_days", d.licence.grace_days}};
  return json::object{
      {"uid", d.uid},
      {"kind", core::DeviceKindName(d.kind)},
      {"workshop_id", d.workshop_id.value},
      {"pit_id", opt_int(d.pit_id ? std::optional<std::int64_t>(d.pit_id->value) : std::nullopt)},
      {"parent_uid", d.parent_uid.empty() ? json::value(nullptr) : json::value(d.parent_uid)},
      {"radio_address", opt_int(d.radio_address)},
      {"radio_protocol",
       d.kind == core::DeviceKind::kOutlet ? json::value(d.radio_protocol) : json::value(nullptr)},
      {"name", d.name},
      {"status", core::DeviceStatusName(d.status)},
      {"online", d.online},
      {"last_seen", TimeJson(d.last_seen)},
      {"firmware_version", d.firmware_version},
      {"report_interval_s", d.report_interval_s},
      {"licence", std::move(licence)},
      {"created_at", TimeJson(d.created_at)},
      {"updated_at", TimeJson(d.updated_at)}};
}

}  // namespace sw::http
