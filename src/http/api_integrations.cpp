// MQTT integration accounts (issue 4): a workshop's credentials for Home Assistant, Node-RED
// and the like. The secret is in the answer of create and rotate-secret only.
#include <boost/json.hpp>

#include "http/api.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

#define SW_HTTP_TRY(lhs, expr)                                                        \
  auto SW_CONCAT(r_, __LINE__) = (expr);                                              \
  if (!SW_CONCAT(r_, __LINE__).ok()) return Failure(SW_CONCAT(r_, __LINE__).error()); \
  lhs = std::move(SW_CONCAT(r_, __LINE__)).value()

json::object IntegrationJson(const core::Integration& i) {
  return json::object{
      {"id", i.id.value},
      {"workshop_id", i.workshop_id.value},
      {"name", i.name},
      {"username", i.username},
      {"access", core::IntegrationAccessName(i.access)},
      {"enabled", i.enabled},
      {"created_by", i.created_by ? json::value(i.created_by->value) : json::value(nullptr)},
      {"created_at", TimeJson(i.created_at)},
      {"updated_at", TimeJson(i.updated_at)},
      {"secret_rotated_at", TimeJson(i.secret_rotated_at)}};
}

json::object WithSecret(const core::IntegrationWithSecret& i) {
  return json::object{{"integration", IntegrationJson(i.integration)}, {"secret", i.secret}};
}

Result<std::optional<core::IntegrationAccess>> AccessField(const Body& body) {
  SW_ASSIGN_OR_RETURN(auto text, body.String("access"));
  if (!text) return std::optional<core::IntegrationAccess>{};
  auto access = core::ParseIntegrationAccess(*text);
  if (!access) return InvalidField("access", "must be read or read_write");
  return access;
}

}  // namespace

void RegisterIntegrationRoutes(Router& router, const ApiDeps& deps) {
  core::IntegrationService& svc = *deps.integrations;

  router.Add("GET", "/api/v1/workshops/{id}/integrations", "integration.list", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto page, ReadPage(call.req, 50, 100));
               SW_HTTP_TRY(auto result, svc.List(*call.principal, WorkshopId{id}, page));
               json::array items;
               for (const auto& i : result.items) items.push_back(IntegrationJson(i));
               return SuccessPage(items, page, result.total);
             });

  router.Add("POST", "/api/v1/workshops/{id}/integrations", "integration.create", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto body, Body::Parse(call.req.body, {"name", "access"}));
               core::IntegrationDraft draft;
               SW_HTTP_TRY(draft.name, body.RequiredString("name"));
               SW_HTTP_TRY(auto access, AccessField(body));
               if (!access) return Failure(InvalidField("access", "is required"));
               draft.access = *access;
               SW_HTTP_TRY(auto created, svc.Create(*call.principal, WorkshopId{id}, draft));
               call.Audit("integration.create", "integration",
                          std::to_string(created.integration.id.value),
                          created.integration.workshop_id, {},
                          json::serialize(IntegrationJson(created.integration)));
               return Success(WithSecret(created), 201);
             });

  router.Add("GET", "/api/v1/integrations/{id}", "integration.get", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto i, svc.Get(*call.principal, core::IntegrationId{id}));
               return Success(IntegrationJson(i));
             });

  router.Add("PATCH", "/api/v1/integrations/{id}", "integration.update", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto body, Body::Parse(call.req.body, {"name", "access", "enabled"}));
               core::IntegrationPatch patch;
               SW_HTTP_TRY(patch.name, body.String("name"));
               SW_HTTP_TRY(patch.access, AccessField(body));
               SW_HTTP_TRY(patch.enabled, body.Bool("enabled"));
               SW_HTTP_TRY(auto change,
                           svc.Update(*call.principal, core::IntegrationId{id}, patch));
               call.Audit("integration.update", "integration", std::to_string(id),
                          change.after.workshop_id, json::serialize(IntegrationJson(change.before)),
                          json::serialize(IntegrationJson(change.after)));
               return Success(IntegrationJson(change.after));
             });

  router.Add("POST", "/api/v1/integrations/{id}/rotate-secret", "integration.rotate_secret",
             Access::kUser, [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto rotated,
                           svc.RotateSecret(*call.principal, core::IntegrationId{id}));
               call.Audit("integration.rotate_secret", "integration", std::to_string(id),
                          rotated.integration.workshop_id);
               return Success(WithSecret(rotated));
             });

  router.Add("DELETE", "/api/v1/integrations/{id}", "integration.delete", Access::kUser,
             [&svc](Call& call) {
               SW_HTTP_TRY(auto id, call.Id("id"));
               SW_HTTP_TRY(auto i, svc.Delete(*call.principal, core::IntegrationId{id}));
               call.Audit("integration.delete", "integration", std::to_string(id), i.workshop_id,
                          json::serialize(IntegrationJson(i)), {});
               return Success(json::object{{"deleted", true}, {"id", id}});
             });
}

}  // namespace sw::http
