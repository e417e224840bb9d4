#include "app/device_authenticator.hpp"

#include <algorithm>

namespace sw::app {
namespace {

constexpr auto kParentTtl = std::chrono::seconds(60);
constexpr std::size_t kMaxCachedParents = 100000;
// An integration's state (access, enabled, deleted) is re-read after this, off the broker's
// threads; IntegrationChanged applies REST changes at once.
constexpr auto kIntegrationTtl = std::chrono::seconds(5);
constexpr std::size_t kMaxCachedIntegrations = 100000;

// The topics of a device an integration may read (PRODUCT.md §4): what devices report and
// the results of commands, never the commands themselves.
bool IntegrationReadable(std::string_view rest) {
  return rest == "telemetry" || rest == "status" || rest == "event" || rest == "cmd/result";
}

// What a device may not publish under its own topics: the platform's commands and the
// integrations' command requests.
bool PlatformOnly(std::string_view rest) {
  return rest == "cmd" || rest == kCommandRequestSuffix;
}

std::vector<std::string_view> Levels(std::string_view filter) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto slash = filter.find('/', start);
    out.push_back(filter.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

std::string_view DeviceTopicUid(std::string_view topic) {
  constexpr std::string_view kPrefix = "sw/d/";
  if (topic.substr(0, kPrefix.size()) != kPrefix) return {};
  const std::string_view rest = topic.substr(kPrefix.size());
  const auto slash = rest.find('/');
  // A device's topics are below its uid: sw/d/{uid}/something.
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size()) return {};
  return rest.substr(0, slash);
}

std::string_view DeviceTopicRest(std::string_view topic) {
  const std::string_view uid = DeviceTopicUid(topic);
  if (uid.empty()) return {};
  return topic.substr(std::string_view("sw/d/").size() + uid.size() + 1);
}

bool IsIntegrationClient(const broker::ClientIdentity& identity) {
  return !identity.anonymous && identity.username.starts_with(core::kIntegrationUserPrefix);
}

bool IsProvisioningClient(const broker::ClientIdentity& identity) {
  return !identity.anonymous && identity.username.starts_with(kProvisioningUserPrefix);
}

std::string ProvisioningAnnounceTopic(std::string_view uid) {
  return "sw/provision/" + std::string(uid) + "/announce";
}

std::string ProvisioningConfigTopic(std::string_view uid) {
  return "sw/provision/" + std::string(uid) + "/config";
}

DeviceAuthenticator::DeviceAuthenticator(core::DeviceService& devices, const Clock& clock,
                                         bool allow_anonymous)
    : devices_(devices), clock_(clock), allow_anonymous_(allow_anonymous) {}

mqtt::ReasonCode DeviceAuthenticator::Authenticate(const mqtt::Connect& connect,
                                                   broker::ClientIdentity& identity) {
  if (!connect.username && !connect.password) {
    if (!allow_anonymous_) return mqtt::ReasonCode::kNotAuthorized;
    identity.anonymous = true;
    identity.username.clear();
    return mqtt::ReasonCode::kSuccess;
  }
  if (!connect.username || !connect.password) return mqtt::ReasonCode::kBadUserNameOrPassword;
  const std::string& uid = *connect.username;
  const std::string_view secret(*connect.password);
  if (uid.starts_with(kProvisioningUserPrefix)) {
    const std::string_view slug = std::string_view(uid).substr(kProvisioningUserPrefix.size());
    auto workshop = devices_.CheckProvisioningKey(slug, secret, identity.client_id);
    if (!workshop.ok()) {
      return workshop.error().code == Errc::kForbidden ? mqtt::ReasonCode::kNotAuthorized
                                                       : mqtt::ReasonCode::kBadUserNameOrPassword;
    }
    identity.anonymous = false;
    identity.username = uid;
    identity.workshop = *workshop;
    return mqtt::ReasonCode::kSuccess;
  }
  if (uid.starts_with(core::kIntegrationUserPrefix)) {
    if (!integrations_) return mqtt::ReasonCode::kBadUserNameOrPassword;
    auto integration = integrations_->Authenticate(uid, secret);
    if (!integration.ok()) {
      return integration.error().code == Errc::kForbidden
                 ? mqtt::ReasonCode::kNotAuthorized
                 : mqtt::ReasonCode::kBadUserNameOrPassword;
    }
    identity.anonymous = false;
    identity.username = integration->username;
    identity.workshop = integration->workshop_id;
    IntegrationChanged(*integration, false);  // a fresh state for the ACL
    return mqtt::ReasonCode::kSuccess;
  }
  auto device = devices_.Authenticate(uid, secret);
  if (!device.ok()) {
    return device.error().code == Errc::kForbidden ? mqtt::ReasonCode::kNotAuthorized
                                                   : mqtt::ReasonCode::kBadUserNameOrPassword;
  }
  identity.anonymous = false;
  identity.username = device->uid;
  return mqtt::ReasonCode::kSuccess;
}

std::string DeviceAuthenticator::ParentOf(const std::string& uid) {
  const SysTime now = clock_.Now();
  {
    std::lock_guard lock(mutex_);
    auto it = parents_.find(uid);
    if (it != parents_.end() && now - it->second.fetched < kParentTtl) return it->second.uid;
  }
  auto d = devices_.Get(core::TenancyService::System(), uid);
  std::string parent = d.ok() ? d->parent_uid : std::string();
  std::lock_guard lock(mutex_);
  if (parents_.size() >= kMaxCachedParents) parents_.clear();
  parents_[uid] = Parent{parent, now};
  return parent;
}

bool DeviceAuthenticator::Owns(const broker::ClientIdentity& identity, std::string_view uid) {
  if (identity.anonymous || uid.empty()) return false;
  if (uid == identity.username) return true;
  // Wildcards never stand for a device's uid.
  if (uid.find_first_of("+#") != std::string_view::npos) return false;
  return ParentOf(std::string(uid)) == identity.username;
}

bool DeviceAuthenticator::MayPublish(const broker::ClientIdentity& identity,
                                     std::string_view topic) {
  if (identity.anonymous) return !broker::FirstLevelIs(topic, "sw");
  if (IsProvisioningClient(identity)) return topic == ProvisioningAnnounceTopic(identity.client_id);
  if (IsIntegrationClient(identity)) return IntegrationMayPublish(identity, topic);
  return Owns(identity, DeviceTopicUid(topic)) && !PlatformOnly(DeviceTopicRest(topic));
}

bool DeviceAuthenticator::MaySubscribe(const broker::ClientIdentity& identity,
                                       std::string_view filter) {
  // Wildcard filters are allowed; MayReceive keeps sw/ out of their deliveries.
  if (identity.anonymous) return !broker::FirstLevelIs(filter, "sw");
  if (IsProvisioningClient(identity)) return filter == ProvisioningConfigTopic(identity.client_id);
  if (IsIntegrationClient(identity)) return IntegrationMaySubscribe(identity, filter);
  return Owns(identity, DeviceTopicUid(filter)) && DeviceTopicRest(filter) != kCommandRequestSuffix;
}

bool DeviceAuthenticator::MayReceive(const broker::ClientIdentity& identity,
                                     std::string_view topic) {
  if (identity.anonymous) return !broker::FirstLevelIs(topic, "sw");
  if (IsProvisioningClient(identity)) return topic == ProvisioningConfigTopic(identity.client_id);
  if (IsIntegrationClient(identity)) return IntegrationMayReceive(identity, topic);
  return Owns(identity, DeviceTopicUid(topic)) && DeviceTopicRest(topic) != kCommandRequestSuffix;
}

// ---- integrations ------------------------------------------------------------------------

void DeviceAuthenticator::EnableIntegrations(core::IntegrationService& integrations,
                                             DeviceWorkshopLookup lookup) {
  integrations_ = &integrations;
  device_workshop_ = std::move(lookup);
}

DeviceAuthenticator::IntegrationState DeviceAuthenticator::StateOf(
    const std::optional<core::Integration>& i, SysTime now) {
  IntegrationState state;
  state.fetched = now;
  if (!i) return state;
  state.exists = true;
  state.workshop = i->workshop_id;
  state.access = i->access;
  state.enabled = i->enabled;
  return state;
}

void DeviceAuthenticator::IntegrationChanged(const core::Integration& integration, bool removed) {
  const IntegrationState state =
      StateOf(removed ? std::nullopt : std::optional<core::Integration>(integration), clock_.Now());
  std::lock_guard lock(mutex_);
  if (integration_states_.size() >= kMaxCachedIntegrations) {
    integration_states_.clear();
    stale_integrations_.clear();
  }
  integration_states_[integration.username] = state;
  std::erase(stale_integrations_, integration.username);
}

std::optional<DeviceAuthenticator::IntegrationState> DeviceAuthenticator::ActiveIntegration(
    const std::string& username) {
  if (!integrations_) return std::nullopt;
  const SysTime now = clock_.Now();
  std::optional<IntegrationState> state;
  {
    std::lock_guard lock(mutex_);
    auto it = integration_states_.find(username);
    if (it != integration_states_.end()) {
      IntegrationState& s = it->second;
      if (now - s.fetched >= kIntegrationTtl && !s.queued) {
        s.queued = true;
        stale_integrations_.push_back(username);
      }
      state = s;
    }
  }
  if (!state) {
    // Not seen since start-up (a session restored from the store): read it once.
    auto found = integrations_->Find(username);
    if (!found.ok()) return std::nullopt;
    state = StateOf(*found, now);
    std::lock_guard lock(mutex_);
    if (integration_states_.size() >= kMaxCachedIntegrations) {
      integration_states_.clear();
      stale_integrations_.clear();
    }
    integration_states_.emplace(username, *state);
  }
  if (!state->exists || !state->enabled) return std::nullopt;
  return state;
}

std::size_t DeviceAuthenticator::RefreshIntegrations() {
  if (!integrations_) return 0;
  std::vector<std::string> usernames;
  {
    std::lock_guard lock(mutex_);
    usernames.swap(stale_integrations_);
  }
  for (const std::string& username : usernames) {
    auto found = integrations_->Find(username);
    if (!found.ok()) continue;  // kept queued? no: tried again when next found stale
    const IntegrationState state = StateOf(*found, clock_.Now());
    std::lock_guard lock(mutex_);
    auto it = integration_states_.find(username);
    if (it == integration_states_.end() || !it->second.queued) continue;  // replaced meanwhile
    it->second = state;
  }
  return usernames.size();
}

bool DeviceAuthenticator::InWorkshop(const IntegrationState& state, std::string_view uid) {
  if (uid.empty() || uid.find_first_of("+#") != std::string_view::npos || !device_workshop_) {
    return false;
  }
  const std::optional<WorkshopId> workshop = device_workshop_(std::string(uid));
  return workshop && *workshop == state.workshop;
}

bool DeviceAuthenticator::IntegrationMayPublish(const broker::ClientIdentity& identity,
                                                std::string_view topic) {
  auto state = ActiveIntegration(identity.username);
  if (!state || state->access != core::IntegrationAccess::kReadWrite) return false;
  return DeviceTopicRest(topic) == kCommandRequestSuffix &&
         InWorkshop(*state, DeviceTopicUid(topic));
}

bool DeviceAuthenticator::IntegrationMaySubscribe(const broker::ClientIdentity& identity,
                                                  std::string_view filter) {
  auto state = ActiveIntegration(identity.username);
  if (!state) return false;
  const std::vector<std::string_view> levels = Levels(filter);
  // A filter that starts with a wildcard (`#`, `+/...`) never matches `$` topics; what it
  // matches under sw/ is filtered per delivery by MayReceive.
  if (levels[0] == "#" || levels[0] == "+") return true;
  if (levels[0] != "sw" || levels.size() < 2) return false;
  if (levels[1] == "#" || levels[1] == "+") return true;
  if (levels[1] != "d" || levels.size() < 3) return false;
  if (levels[2] == "#") return true;
  // A named device must be one of the workshop's: tell the client at once.
  if (levels[2] != "+" && !InWorkshop(*state, levels[2])) return false;
  if (levels.size() < 4) return false;
  const std::string_view rest =
      filter.substr(static_cast<std::size_t>(levels[3].data() - filter.data()));
  // Nothing an integration may read lives there.
  return rest != "cmd" && rest != kCommandRequestSuffix;
}

bool DeviceAuthenticator::IntegrationMayReceive(const broker::ClientIdentity& identity,
                                                std::string_view topic) {
  auto state = ActiveIntegration(identity.username);
  if (!state) return false;
  return IntegrationReadable(DeviceTopicRest(topic)) && InWorkshop(*state, DeviceTopicUid(topic));
}

std::optional<std::string> DeviceAuthenticator::IntegrationOf(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  auto it = integration_clients_.find(client_id);
  if (it == integration_clients_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::optional<WorkshopId> DeviceAuthenticator::ProvisioningWorkshop(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  auto it = provisioning_.find(client_id);
  if (it == provisioning_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

void DeviceAuthenticator::Connected(const broker::ClientIdentity& identity) {
  if (IsProvisioningClient(identity)) {
    if (!identity.workshop.valid()) return;  // a restored session: never announces
    std::lock_guard lock(mutex_);
    provisioning_[identity.client_id].push_back(identity.workshop);
    return;
  }
  if (IsIntegrationClient(identity)) {
    std::lock_guard lock(mutex_);
    integration_clients_[identity.client_id].push_back(identity.username);
    return;
  }
  if (!identity.anonymous && connection_hook_) connection_hook_(identity.username, true);
}

void DeviceAuthenticator::Disconnected(const broker::ClientIdentity& identity) {
  if (IsProvisioningClient(identity)) {
    if (!identity.workshop.valid()) return;
    std::lock_guard lock(mutex_);
    auto it = provisioning_.find(identity.client_id);
    if (it == provisioning_.end()) return;
    auto& list = it->second;
    if (auto pos = std::find(list.begin(), list.end(), identity.workshop); pos != list.end()) {
      list.erase(pos);
    }
    if (list.empty()) provisioning_.erase(it);
    return;
  }
  if (IsIntegrationClient(identity)) {
    std::lock_guard lock(mutex_);
    auto it = integration_clients_.find(identity.client_id);
    if (it == integration_clients_.end()) return;
    auto& list = it->second;
    if (auto pos = std::find(list.begin(), list.end(), identity.username); pos != list.end()) {
      list.erase(pos);
    }
    if (list.empty()) integration_clients_.erase(it);
    return;
  }
  if (!identity.anonymous && connection_hook_) connection_hook_(identity.username, false);
}

}  // namespace sw::app
