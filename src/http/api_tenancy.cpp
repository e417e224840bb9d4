#include <boost/json.hpp>

#include "http/api.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

using core::Principal;
using core::TenancyService;

// Unwraps a Result inside a handler: on failure, return the error response.
#define SW_HTTP_TRY(lhs, expr)                                                        \
  auto SW_CONCAT(r_, __LINE__) = (expr);                                              \
  if (!SW_CONCAT(r_, __LINE__).ok()) return Failure(SW_CONCAT(r_, __LINE__).error()); \
  lhs = std::move(SW_CONCAT(r_, __LINE__)).value()

std::string Text(const json::value& v) {
  return json::serialize(v);
}

Result<core::WorkshopPatch> ReadWorkshopPatch(const Body& b) {
  core::WorkshopPatch p;
  SW_ASSIGN_OR_RETURN(p.name, b.String("name"));
  SW_ASSIGN_OR_RETURN(p.timezone, b.String("timezone"));
  SW_ASSIGN_OR_RETURN(p.address, b.String("address"));
  SW_ASSIGN_OR_RETURN(p.phone, b.String("phone"));
  SW_ASSIGN_OR_RETURN(p.email, b.String("email"));
  SW_ASSIGN_OR_RETURN(p.active, b.Bool("active"));
  SW_ASSIGN_OR_RETURN(p.nominal_voltage_v, b.Number("nominal_voltage_v"));
  SW_ASSIGN_OR_RETURN(p.power_factor, b.Number("power_factor"));
  SW_ASSIGN_OR_RETURN(p.tariff_per_kwh, b.Number("tariff_per_kwh"));
  return p;
}

Result<std::optional<int>> SmallInt(const Body& b, std::string_view field) {
  SW_ASSIGN_OR_RETURN(auto v, b.Int(field));
  if (!v) return std::optional<int>{};
  if (*v < -1'000'000 || *v > 1'000'000) return InvalidField(std::string(field), "out of range");
  return std::optional<int>{static_cast<int>(*v)};
}

Result<std::optional<core::PitStatus>> PitStatusField(const Body& b) {
  SW_ASSIGN_OR_RETURN(auto s, b.String("status"));
  if (!s) return std::optional<core::PitStatus>{};
  auto status = core::ParsePitStatus(*s);
  if (!status) return InvalidField("status", "must be active, disabled or maintenance");
  return std::optional<core::PitStatus>{*status};
}

json::object UserCreatedJson(const core::CreatedUser& c) {
  json::object o{{"user", ToJson(c.user)}};
  o["temporary_password"] =
      c.temporary_password ? json::value(*c.temporary_password) : json::value(nullptr);
  return o;
}

}  // namespace

void RegisterTenancyRoutes(Router& router, const ApiDeps& deps) {
  TenancyService& svc = deps.tenancy;

  // ---- workshops ----
  router.Add("GET", "/api/v1/workshops", "workshop.list", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto page, ReadPage(call.req));
    SW_HTTP_TRY(auto active_only, QueryBool(call.req, "active_only"));
    SW_HTTP_TRY(auto result, svc.ListWorkshops(*call.principal, page, active_only.value_or(false)));
    json::array items;
    for (const auto& w : result.items) items.push_back(ToJson(w));
    return SuccessPage(items, page, result.total);
  });

  router.Add("POST", "/api/v1/workshops", "workshop.create", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto body,
                Body::Parse(call.req.body, {"name", "timezone", "address", "phone", "email"}));
    core::WorkshopDraft d;
    SW_HTTP_TRY(d.name, body.RequiredString("name"));
    SW_HTTP_TRY(auto tz, body.String("timezone"));
    SW_HTTP_TRY(auto address, body.String("address"));
    SW_HTTP_TRY(auto phone, body.String("phone"));
    SW_HTTP_TRY(auto email, body.String("email"));
    d.timezone = tz.value_or("UTC");
    d.address = address.value_or("");
    d.phone = phone.value_or("");
    d.email = email.value_or("");
    SW_HTTP_TRY(auto w, svc.CreateWorkshop(*call.principal, d));
    call.Audit("workshop.create", "workshop", std::to_string(w.id.value), w.id, {},
               Text(ToJson(w)));
    return Success(ToJson(w), 201);
  });

  router.Add("GET", "/api/v1/workshops/{id}", "workshop.get", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto id, call.Id("id"));
    SW_HTTP_TRY(auto w, svc.GetWorkshop(*call.principal, WorkshopId{id}));
    return Success(ToJson(w));
  });

  router.Add(
      "PATCH", "/api/v1/workshops/{id}", "workshop.update", Access::kUser, [&svc](Call& call) {
        SW_HTTP_TRY(auto id, call.Id("id"));
        SW_HTTP_TRY(auto body, Body::Parse(call.req.body, {"name", "timezone", "address", "phone",
                                                           "email", "active", "nominal_voltage_v",
                                                           "power_factor", "tariff_per_kwh"}));
        SW_HTTP_TRY(auto patch, ReadWorkshopPatch(body));
        SW_HTTP_TRY(auto change, svc.UpdateWorkshop(*call.principal, WorkshopId{id}, patch));
        call.Audit("workshop.update", "workshop", std::to_string(id), change.after.id,
                   Text(ToJson(change.before)), Text(ToJson(change.after)));
        return Success(ToJson(change.after));
      });

  router.Add("DELETE", "/api/v1/workshops/{id}", "workshop.deactivate", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto change, svc.DeactivateWorkshop(*call.principal, WorkshopId{id}));
               call.Audit("workshop.deactivate", "workshop", std::to_string(id), change.after.id,
                          Text(ToJson(change.before)), Text(ToJson(change.after)));
               return Success(ToJson(change.after));
             });

  // ---- pits ----
  router.Add("GET", "/api/v1/workshops/{id}/pits", "pit.list", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto id, call.Id("id"));
    SW_HTTP_TRY(auto pits, svc.ListPits(*call.principal, WorkshopId{id}));
    json::array items;
    for (const auto& p : pits) items.push_back(ToJson(p));
    return SuccessPage(items, core::PageRequest{1, static_cast<int>(pits.size())},
                       static_cast<std::int64_t>(pits.size()));
  });

  router.Add("POST", "/api/v1/workshops/{id}/pits", "pit.create", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto body,
                           Body::Parse(call.req.body, {"number", "name", "description", "status"}));
               core::PitDraft d;
               SW_HTTP_TRY(auto number, SmallInt(body, "number"));
               if (!number) return Failure(InvalidField("number", "is required"));
               d.number = *number;
               SW_HTTP_TRY(auto name, body.String("name"));
               SW_HTTP_TRY(auto description, body.String("description"));
               SW_HTTP_TRY(auto status, PitStatusField(body));
               d.name = name.value_or("");
               d.description = description.value_or("");
               d.status = status.value_or(core::PitStatus::kActive);
               SW_HTTP_TRY(auto pit, svc.CreatePit(*call.principal, WorkshopId{id}, d));
               call.Audit("pit.create", "pit", std::to_string(pit.id.value), pit.workshop_id, {},
                          Text(ToJson(pit)));
               return Success(ToJson(pit), 201);
             });

  router.Add("GET", "/api/v1/pits/{id}", "pit.get", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto id, call.Id("id"));
    SW_HTTP_TRY(auto pit, svc.GetPit(*call.principal, PitId{id}));
    return Success(ToJson(pit));
  });

  router.Add("PATCH", "/api/v1/pits/{id}", "pit.update", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto id, call.Id("id"));
    SW_HTTP_TRY(auto body, Body::Parse(call.req.body, {"number", "name", "description", "status"}));
    core::PitPatch patch;
    SW_HTTP_TRY(patch.number, SmallInt(body, "number"));
    SW_HTTP_TRY(patch.name, body.String("name"));
    SW_HTTP_TRY(patch.description, body.String("description"));
    SW_HTTP_TRY(patch.status, PitStatusField(body));
    SW_HTTP_TRY(auto change, svc.UpdatePit(*call.principal, PitId{id}, patch));
    call.Audit("pit.update", "pit", std::to_string(id), change.after.workshop_id,
               Text(ToJson(change.before)), Text(ToJson(change.after)));
    return Success(ToJson(change.after));
  });

  router.Add("DELETE", "/api/v1/pits/{id}", "pit.delete", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto id, call.Id("id"));
    SW_HTTP_TRY(auto pit, svc.DeletePit(*call.principal, PitId{id}));
    call.Audit("pit.delete", "pit", std::to_string(id), pit.workshop_id, Text(ToJson(pit)), {});
    return Success(json::object{{"deleted", true}, {"id", id}});
  });

  // ---- users ----
  router.Add("GET", "/api/v1/users", "user.list", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto page, ReadPage(call.req));
    core::UserFilter filter;
    SW_HTTP_TRY(auto ws, QueryInt(call.req, "workshop_id"));
    if (ws) filter.workshop_id = WorkshopId{*ws};
    if (auto it = call.req.query.find("role"); it != call.req.query.end()) {
      filter.role = core::ParseRole(it->second);
      if (!filter.role) {
        return Failure(InvalidField("role", "must be super_admin, owner, staff or customer"));
      }
    }
    SW_HTTP_TRY(auto result, svc.ListUsers(*call.principal, filter, page));
    json::array items;
    for (const auto& u : result.items) items.push_back(ToJson(u));
    return SuccessPage(items, page, result.total);
  });

  router.Add("POST", "/api/v1/users", "user.create", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto body, Body::Parse(call.req.body, {"username", "email", "full_name", "role",
                                                       "workshop_id", "password"}));
    core::UserDraft d;
    SW_HTTP_TRY(d.username, body.RequiredString("username"));
    SW_HTTP_TRY(auto role, body.RequiredString("role"));
    auto parsed = core::ParseRole(role);
    if (!parsed)
      return Failure(InvalidField("role", "must be super_admin, owner, staff or customer"));
    d.role = *parsed;
    SW_HTTP_TRY(auto email, body.String("email"));
    SW_HTTP_TRY(auto full_name, body.String("full_name"));
    SW_HTTP_TRY(auto password, body.String("password"));
    SW_HTTP_TRY(auto ws, body.Int("workshop_id"));
    d.email = email.value_or("");
    d.full_name = full_name.value_or("");
    d.password = password.value_or("");
    if (ws) d.workshop_id = WorkshopId{*ws};
    SW_HTTP_TRY(auto created, svc.CreateUser(*call.principal, d));
    call.Audit("user.create", "user", std::to_string(created.user.id.value),
               created.user.workshop_id, {}, Text(ToJson(created.user)));
    return Success(UserCreatedJson(created), 201);
  });

  router.Add("GET", "/api/v1/users/{id}", "user.get", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto id, call.Id("id"));
    SW_HTTP_TRY(auto user, svc.GetUser(*call.principal, UserId{id}));
    return Success(ToJson(user));
  });

  router.Add("PATCH", "/api/v1/users/{id}", "user.update", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto id, call.Id("id"));
    SW_HTTP_TRY(auto body, Body::Parse(call.req.body, {"email", "full_name", "active"}));
    core::UserPatch patch;
    SW_HTTP_TRY(patch.email, body.String("email"));
    SW_HTTP_TRY(patch.full_name, body.String("full_name"));
    SW_HTTP_TRY(patch.active, body.Bool("active"));
    SW_HTTP_TRY(auto change, svc.UpdateUser(*call.principal, UserId{id}, patch));
    call.Audit("user.update", "user", std::to_string(id), change.after.workshop_id,
               Text(ToJson(change.before)), Text(ToJson(change.after)));
    return Success(ToJson(change.after));
  });

  router.Add("POST", "/api/v1/users/{id}/reset-password", "user.reset_password", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               std::optional<std::string> password;
               if (!call.req.body.empty()) {
                 SW_HTTP_TRY(auto body, Body::Parse(call.req.body, {"password"}));
                 SW_HTTP_TRY(password, body.String("password"));
               }
               SW_HTTP_TRY(auto created, svc.ResetPassword(*call.principal, UserId{id}, password));
               call.Audit("user.reset_password", "user", std::to_string(id),
                          created.user.workshop_id);
               return Success(UserCreatedJson(created));
             });

  router.Add("DELETE", "/api/v1/users/{id}", "user.deactivate", Access::kUser, [&svc](Call& call) {
    SW_HTTP_TRY(auto id, call.Id("id"));
    SW_HTTP_TRY(auto change, svc.DeactivateUser(*call.principal, UserId{id}));
    call.Audit("user.deactivate", "user", std::to_string(id), change.after.workshop_id,
               Text(ToJson(change.before)), Text(ToJson(change.after)));
    return Success(ToJson(change.after));
  });

  // ---- audit ----
  router.Add(
      "GET", "/api/v1/audit", "audit.list", Access::kUser, [&audit = deps.audit](Call& call) {
        const Principal& p = *call.principal;
        SW_HTTP_TRY(auto page, ReadPage(call.req, 50, 500));
        core::AuditFilter f;
        SW_HTTP_TRY(auto ws, QueryInt(call.req, "workshop_id"));
        SW_HTTP_TRY(auto actor, QueryInt(call.req, "actor_id"));
        SW_HTTP_TRY(f.from, QueryTime(call.req, "from"));
        SW_HTTP_TRY(f.to, QueryTime(call.req, "to"));
        if (ws) f.workshop_id = WorkshopId{*ws};
        if (actor) f.actor_id = UserId{*actor};
        if (auto it = call.req.query.find("action"); it != call.req.query.end()) {
          f.action = it->second;
        }
        if (auto it = call.req.query.find("resource_type"); it != call.req.query.end()) {
          f.resource_type = it->second;
        }
        if (f.workshop_id && p.role != core::Role::kSuperAdmin && f.workshop_id != p.workshop_id) {
          return Failure(
              MakeError(Errc::kNotFound, "workshop not found", "NOT_FOUND", "workshop_id"));
        }
        if (auto s =
                core::Authorize(p, core::Action::kAuditRead,
                                p.role == core::Role::kSuperAdmin ? std::nullopt : p.workshop_id);
            !s.ok()) {
          return Failure(s.error());
        }
        SW_HTTP_TRY(auto result, audit.ListAudit(core::Scope::For(p), f, page));
        json::array items;
        for (const auto& e : result.items) items.push_back(ToJson(e));
        return SuccessPage(items, page, result.total);
      });
}

}  // namespace sw::http
