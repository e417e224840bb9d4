#include "app/device_authenticator.hpp"

#include <algorithm>
#include <charconv>

namespace sw::app {
namespace {

constexpr auto kParentTtl = std::chrono::seconds(60);
constexpr std::size_t kMaxCachedParents = 100000;

bool ParseInt64(std::string_view text, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
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
    identity.workshop = std::to_string(workshop->value);
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
  return Owns(identity, DeviceTopicUid(topic));
}

bool DeviceAuthenticator::MaySubscribe(const broker::ClientIdentity& identity,
                                       std::string_view filter) {
  // Wildcard filters are allowed; MayReceive keeps sw/ out of their deliveries.
  if (identity.anonymous) return !broker::FirstLevelIs(filter, "sw");
  if (IsProvisioningClient(identity)) return filter == ProvisioningConfigTopic(identity.client_id);
  return Owns(identity, DeviceTopicUid(filter));
}

bool DeviceAuthenticator::MayReceive(const broker::ClientIdentity& identity,
                                     std::string_view topic) {
  if (identity.anonymous) return !broker::FirstLevelIs(topic, "sw");
  if (IsProvisioningClient(identity)) return topic == ProvisioningConfigTopic(identity.client_id);
  return Owns(identity, DeviceTopicUid(topic));
}

std::optional<WorkshopId> DeviceAuthenticator::ProvisioningWorkshop(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  auto it = provisioning_.find(client_id);
  if (it == provisioning_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

void DeviceAuthenticator::Connected(const broker::ClientIdentity& identity) {
  if (IsProvisioningClient(identity)) {
    std::int64_t id = 0;
    if (!ParseInt64(identity.workshop, id)) return;  // a restored session: never announces
    std::lock_guard lock(mutex_);
    provisioning_[identity.client_id].push_back(WorkshopId{id});
    return;
  }
  if (!identity.anonymous && connection_hook_) connection_hook_(identity.username, true);
}

void DeviceAuthenticator::Disconnected(const broker::ClientIdentity& identity) {
  if (IsProvisioningClient(identity)) {
    std::int64_t id = 0;
    if (!ParseInt64(identity.workshop, id)) return;
    std::lock_guard lock(mutex_);
    auto it = provisioning_.find(identity.client_id);
    if (it == provisioning_.end()) return;
    auto& list = it->second;
    if (auto pos = std::find(list.begin(), list.end(), WorkshopId{id}); pos != list.end()) {
      list.erase(pos);
    }
    if (list.empty()) provisioning_.erase(it);
    return;
  }
  if (!identity.anonymous && connection_hook_) connection_hook_(identity.username, false);
}

}  // namespace sw::app
