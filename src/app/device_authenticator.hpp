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
//  - Devices publish on their own topics except sw/d/{uid}/cmd (the platform's) and
//    sw/d/{uid}/cmd/request (integrations'), and never receive cmd/request.
//  - MQTT integrations (issue 4, EnableIntegrations): username `int:{16 hex}` and its secret
//    (IntegrationService::Authenticate). They read sw/d/{uid}/telemetry, /status, /event and
//    /cmd/result of their workshop's devices only — wildcard filters (`sw/d/+/telemetry`,
//    `sw/#`, `#`) are accepted and every delivery is checked against the device directory
//    (the device's current workshop) — never sw/d/{uid}/cmd, cmd/request or sw/provision/.
//    A read_write integration may also publish sw/d/{uid}/cmd/request for its workshop's
//    devices (IntegrationBridge turns it into a command). Their state (access, enabled,
//    deleted) is cached by username: answered from memory, re-read off the broker's threads
//    when older than 5 s (RefreshIntegrations), updated at once by IntegrationChanged.
//
// Thread-safe: the caches have their own mutex; the rest is stateless.
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
#include "core/integration_service.hpp"

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

  // The workshop of a device (nullopt: unknown or retired), answered without waiting for the
  // registry when possible (DeviceDirectory).
  using DeviceWorkshopLookup = std::function<std::optional<WorkshopId>(const std::string& uid)>;
  // Turns on integration logins. Call before the broker starts.
  void EnableIntegrations(core::IntegrationService& integrations, DeviceWorkshopLookup lookup);
  // The integration's new state (from IntegrationService's listener): applies to live
  // connections from their next publish, subscribe or delivery.
  void IntegrationChanged(const core::Integration& integration, bool removed);
  // Re-reads the integration states found stale (the periodic jobs). Returns how many.
  std::size_t RefreshIntegrations();
  // The username of the connected integration client with this client id (the latest one
  // when a takeover overlaps); nullopt when there is none.
  std::optional<std::string> IntegrationOf(const std::string& client_id);

  // Told when a device's MQTT connection opens (true) or closes (false). Set before the
  // broker starts.
  void SetConnectionHook(std::function<void(const std::string& uid, bool connected)> hook) {
    connection_hook_ = std::move(hook);
  }

 private:
  struct IntegrationState {
    bool exists = false;
    WorkshopId workshop;
    core::IntegrationAccess access = core::IntegrationAccess::kRead;
    bool enabled = false;
    SysTime fetched{};
    bool queued = false;  // in stale_integrations_
  };
  static IntegrationState StateOf(const std::optional<core::Integration>& i, SysTime now);
  // The cached state of an integration (loaded on a miss); nullopt when it may do nothing.
  std::optional<IntegrationState> ActiveIntegration(const std::string& username);
  // Whether a device topic's uid belongs to the integration's workshop.
  bool InWorkshop(const IntegrationState& state, std::string_view uid);
  bool IntegrationMayPublish(const broker::ClientIdentity& identity, std::string_view topic);
  bool IntegrationMaySubscribe(const broker::ClientIdentity& identity, std::string_view filter);
  bool IntegrationMayReceive(const broker::ClientIdentity& identity, std::string_view topic);

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

  core::IntegrationService* integrations_ = nullptr;
  DeviceWorkshopLookup device_workshop_;
  std::unordered_map<std::string, IntegrationState> integration_states_;  // by username
  std::vector<std::string> stale_integrations_;
  // Connected integration clients: client id -> their usernames, oldest first.
  std::unordered_map<std::string, std::vector<std::string>> integration_clients_;
};

// Provisioning clients log in with this username prefix followed by the workshop's slug.
inline constexpr std::string_view kProvisioningUserPrefix = "provision:";
// Whether `identity` is a provisioning client (the username survives a broker restart).
bool IsProvisioningClient(const broker::ClientIdentity& identity);
std::string ProvisioningAnnounceTopic(std::string_view uid);
std::string ProvisioningConfigTopic(std::string_view uid);

// For sw/d/{uid}/rest: the uid level, or empty when `topic` is not a device topic.
std::string_view DeviceTopicUid(std::string_view topic);
// For sw/d/{uid}/rest: `rest`, or empty when `topic` is not a device topic.
std::string_view DeviceTopicRest(std::string_view topic);
// Whether `identity` logged in as an MQTT integration.
bool IsIntegrationClient(const broker::ClientIdentity& identity);
// Where a read_write integration asks for a command: sw/d/{uid}/cmd/request.
inline constexpr std::string_view kCommandRequestSuffix = "cmd/request";

}  // namespace sw::app
