// DeviceAuthenticator: the platform's MQTT policy (PRODUCT.md §4), on top of the broker's
// Authenticator seam.
//
//  - A device connects with username = its uid and password = its secret, checked by
//    DeviceService::Authenticate. The secret is 256 random bits stored as SHA-256, so the
//    check is one indexed read and a hash — no slow KDF, nothing to cache.
//  - A device may publish and subscribe only under sw/d/{its uid}/..., and a gateway also
//    under its outlets' uids (their parent is looked up once and cached for a minute).
//  - Without credentials: refused, unless mqtt.allow_anonymous is on — then only outside sw/.
//  - Provisioning (src/broker/README.md, "Provisioning"): username `provision:{workshop slug}`
//    and password = the workshop's provisioning key; the client id must be the uid of the
//    device being provisioned. Such a client may publish only sw/provision/{client id}/announce
//    and subscribe only to sw/provision/{client id}/config — nothing else. Devices and
//    anonymous clients never use sw/provision/.
//
// Thread-safe: the parent cache has its own mutex; the rest is stateless.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/auth.hpp"
#include "common/clock.hpp"
#include "core/device_service.hpp"

namespace sw::app {

class DeviceAuthenticator final : public broker::Authenticator {
 public:
  DeviceAuthenticator(core::DeviceService& devices, const Clock& clock, bool allow_anonymous);

  mqtt::ReasonCode Authenticate(const mqtt::Connect& connect,
                                broker::ClientIdentity& identity) override;
  bool MayPublish(const broker::ClientIdentity& identity, std::string_view topic) override;
  bool MaySubscribe(const broker::ClientIdentity& identity, std::string_view filter) override;
  bool MayReceive(const broker::ClientIdentity& identity, std::string_view topic) override;
  void Connected(const broker::ClientIdentity& identity) override;
  void Disconnected(const broker::ClientIdentity& identity) override;

  // The workshop of the connected provisioning client with this client id (the latest one
  // when a takeover overlaps); nullopt when there is none.
  std::optional<WorkshopId> ProvisioningWorkshop(const std::string& client_id);

  // Told when a device's MQTT connection opens (true) or closes (false). Set before the
  // broker starts.
  void SetConnectionHook(std::function<void(const std::string& uid, bool connected)> hook) {
    connection_hook_ = std::move(hook);
  }

 private:
  // Whether `identity` (a device) may use topics of device `uid`: itself, or its outlet.
  bool Owns(const broker::ClientIdentity& identity, std::string_view uid);
  std::string ParentOf(const std::string& uid);

  core::DeviceService& devices_;
  const Clock& clock_;
  const bool allow_anonymous_;
  std::function<void(const std::string&, bool)> connection_hook_;

  struct Parent {
    std::string uid;
    SysTime fetched{};
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Parent> parents_;
  // Connected provisioning clients: client id -> their workshops, oldest first.
  std::unordered_map<std::string, std::vector<WorkshopId>> provisioning_;
};

// Provisioning clients log in with this username prefix followed by the workshop's slug.
inline constexpr std::string_view kProvisioningUserPrefix = "provision:";
// Whether `identity` is a provisioning client (the username survives a broker restart).
bool IsProvisioningClient(const broker::ClientIdentity& identity);
std::string ProvisioningAnnounceTopic(std::string_view uid);
std::string ProvisioningConfigTopic(std::string_view uid);

// For sw/d/{uid}/rest: the uid level, or empty when `topic` is not a device topic.
std::string_view DeviceTopicUid(std::string_view topic);

}  // namespace sw::app
