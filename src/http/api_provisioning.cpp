// Device provisioning (PRODUCT.md §4): a workshop's provisioning key, and approving or
// rejecting the devices that announced themselves with it. The credentials of an approved
// device go to its provisioning client over MQTT (ApiDeps::publish_provisioning), never into
// the HTTP response.
#include <boost/json.hpp>

#include "http/api.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

#define SW_HTTP_TRY(lhs, expr)                                                        \
  auto SW_CONCAT(r_, __LINE__) = (expr);                                              \
  if (!SW_CONCAT(r_, __LINE__).ok()) return Failure(SW_CONCAT(r_, __LINE__).error()); \
  lhs = std::move(SW_CONCAT(r_, __LINE__)).value()

// The MQTT username of a workshop's provisioning clients (src/broker/README.md).
constexpr std::string_view kProvisioningUserPrefix = "provision:";

using Publisher = std::function<std::size_t(const std::string&, const std::string&)>;

std::size_t Publish(const Publisher& publish, const std::string& uid, const std::string& payload) {
  return publish ? publish(uid, payload) : 0;
}

}  // namespace

void RegisterProvisioningRoutes(Router& router, const ApiDeps& deps) {
  core::DeviceService& svc = deps.devices;
  // `deps` is gone once the routes are registered: keep a copy of the publisher.
  const Publisher publish = deps.publish_provisioning;

  router.Add(
      "POST", "/api/v1/workshops/{id}/provisioning-key", "workshop.provisioning_key", Access::kUser,
      [&svc](Call& call) {
        SW_HTTP_TRY(auto id, call.Id("id"));
        SW_HTTP_TRY(auto issued, svc.RotateProvisioningKey(*call.principal, WorkshopId{id}));
        call.Audit("workshop.provisioning_key", "workshop", std::to_string(id), issued.workshop_id,
                   {}, json::serialize(json::object{{"rotated_at", TimeJson(issued.rotated_at)}}));
        return Success(
            json::object{{"workshop_id", issued.workshop_id.value},
                         {"key", issued.key},
                         {"mqtt_username", std::string(kProvisioningUserPrefix) + issued.slug},
                         {"rotated_at", TimeJson(issued.rotated_at)}});
      });

  router.Add(
      "POST", "/api/v1/devices/{uid}/approve", "device.approve", Access::kUser,
      [&svc, publish](Call& call) {
        const std::string_view text = call.req.body;
        SW_HTTP_TRY(auto body, Body::Parse(text.empty() ? "{}" : text, {"pit_id", "name"}));
        core::DeviceApproval approval;
        SW_HTTP_TRY(approval.name, body.String("name"));
        SW_HTTP_TRY(auto pit, body.Int("pit_id"));
        if (pit) approval.pit_id = PitId{*pit};
        SW_HTTP_TRY(auto approved, svc.Approve(*call.principal, call.Param("uid"), approval));
        const std::string payload =
            json::serialize(json::object{{"uid", approved.device.uid},
                                         {"secret", approved.secret},
                                         {"mqtt", json::object{{"username", approved.device.uid}}},
                                         {"licence", approved.device.licence.key}});
        const std::size_t delivered = Publish(publish, approved.device.uid, payload);
        call.Audit(
            "device.approve", "device", approved.device.uid, approved.device.workshop_id,
            json::serialize(json::object{{"uid", approved.device.uid}, {"status", "pending"}}),
            json::serialize(ToJson(approved.device)));
        return Success(
            json::object{{"device", ToJson(approved.device)}, {"delivered", delivered > 0}});
      });

  router.Add("POST", "/api/v1/devices/{uid}/reject", "device.reject", Access::kUser,
             [&svc, publish](Call& call) {
               SW_HTTP_TRY(auto rejected, svc.Reject(*call.principal, call.Param("uid")));
               const std::size_t delivered = Publish(
                   publish, rejected.uid, json::serialize(json::object{{"rejected", true}}));
               call.Audit("device.reject", "device", rejected.uid, rejected.workshop_id,
                          json::serialize(ToJson(rejected)), {});
               return Success(json::object{
                   {"rejected", true}, {"uid", rejected.uid}, {"delivered", delivered > 0}});
             });
}

}  // namespace sw::http
