#include "app/provisioning_bridge.hpp"

#include <boost/json.hpp>

#include "common/log.hpp"

namespace sw::app {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxAnnounceBytes = 4096;

// The uid level of sw/provision/{uid}/announce; empty for any other topic.
std::string_view AnnounceUid(std::string_view topic) {
  constexpr std::string_view kPrefix = "sw/provision/";
  constexpr std::string_view kSuffix = "/announce";
  if (!topic.starts_with(kPrefix) || !topic.ends_with(kSuffix)) return {};
  if (topic.size() <= kPrefix.size() + kSuffix.size()) return {};
  return topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
}

Result<std::string> OptionalString(const json::object& o, std::string_view field,
                                   std::size_t max_len) {
  const json::value* v = o.if_contains(field);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return InvalidField(std::string(field), "must be a string");
  if (v->as_string().size() > max_len) {
    return InvalidField(std::string(field), "is too long");
  }
  return std::string(v->as_string());
}

}  // namespace

Result<core::DeviceAnnouncement> DecodeAnnounce(std::string_view payload) {
  if (payload.size() > kMaxAnnounceBytes) {
    return MakeError(Errc::kPayloadTooLarge, "announce too large");
  }
  json::parse_options options;
  options.max_depth = 4;
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec, {}, options);
  if (ec || !v.is_object()) return InvalidField("announce", "must be a JSON object");
  const json::object& o = v.as_object();
  for (const auto& [key, value] : o) {
    if (key != "kind" && key != "mac" && key != "fw" && key != "sensors") {
      return InvalidField(std::string(key), "unknown field");
    }
  }
  core::DeviceAnnouncement a;
  const json::value* kind = o.if_contains("kind");
  if (!kind || !kind->is_string()) return InvalidField("kind", "is required");
  const auto parsed = core::ParseDeviceKind(kind->as_string());
  if (!parsed || *parsed == core::DeviceKind::kOutlet) {
    return InvalidField("kind", "must be sensor_node, gateway or camera");
  }
  a.kind = *parsed;
  SW_ASSIGN_OR_RETURN(a.mac, OptionalString(o, "mac", 64));
  SW_ASSIGN_OR_RETURN(a.firmware, OptionalString(o, "fw", 32));
  if (const json::value* sensors = o.if_contains("sensors"); sensors && !sensors->is_null()) {
    if (!sensors->is_array() || sensors->as_array().size() > 32) {
      return InvalidField("sensors", "must be an array of at most 32 names");
    }
    for (const json::value& s : sensors->as_array()) {
      if (!s.is_string() || s.as_string().empty() || s.as_string().size() > 64) {
        return InvalidField("sensors", "must hold names of 1 to 64 characters");
      }
      a.sensors.emplace_back(s.as_string());
    }
  }
  json::array sensors;
  for (const std::string& s : a.sensors) sensors.emplace_back(s);
  a.json = json::serialize(json::object{{"kind", core::DeviceKindName(a.kind)},
                                        {"mac", a.mac},
                                        {"fw", a.firmware},
                                        {"sensors", std::move(sensors)}});
  return a;
}

ProvisioningBridge::ProvisioningBridge(broker::Broker& broker, DeviceAuthenticator& authenticator,
                                       core::DeviceService& devices, const Clock& clock,
                                       metrics::Registry& metrics)
    : broker_(broker),
      authenticator_(authenticator),
      devices_(devices),
      clock_(clock),
      accepted_(metrics.GetCounter("sitewatch_provisioning_announces_total",
                                   "Device announces on sw/provision/+/announce, by outcome",
                                   {{"result", "pending"}})),
      bad_payload_(metrics.GetCounter("sitewatch_provisioning_announces_total",
                                      "Device announces on sw/provision/+/announce, by outcome",
                                      {{"result", "bad_payload"}})),
      refused_(metrics.GetCounter("sitewatch_provisioning_announces_total",
                                  "Device announces on sw/provision/+/announce, by outcome",
                                  {{"result", "refused"}})) {}

ProvisioningBridge::~ProvisioningBridge() {
  Stop();
}

void ProvisioningBridge::Start() {
  if (started_) return;
  subscription_ = broker_.AddInternalSubscriber(
      "sw/provision/+/announce",
      [this](const broker::Message& m, const broker::AckToken&) { OnAnnounce(m); });
  started_ = true;
}

void ProvisioningBridge::Stop() {
  if (!started_) return;
  started_ = false;
  broker_.RemoveInternalSubscriber(subscription_);
}

void ProvisioningBridge::OnAnnounce(const broker::Message& m) {
  const std::string uid(AnnounceUid(m.topic));
  // Only the provisioning client of this uid may announce it (the broker's policy says so;
  // this also keeps out anything the platform itself might publish there).
  const auto workshop =
      uid.empty() || m.origin != uid ? std::nullopt : authenticator_.ProvisioningWorkshop(uid);
  if (!workshop) {
    refused_.Inc();
    log::Warn("announce from a client that is not its provisioning client",
              {{"topic", m.topic}, {"client", m.origin}});
    return;
  }
  auto announce = DecodeAnnounce(m.payload);
  if (!announce.ok()) {
    bad_payload_.Inc();
    log::Info("bad device announce", {{"uid", uid}, {"error", announce.error().message}});
    return;
  }
  auto device = devices_.Announce(*workshop, uid, *announce);
  if (!device.ok()) {
    refused_.Inc();
    log::Info("device announce refused", {{"uid", uid},
                                          {"workshop", std::to_string(workshop->value)},
                                          {"code", device.error().Code()},
                                          {"error", device.error().message}});
    return;
  }
  accepted_.Inc();
  log::Info(
      "device announced itself",
      {{"uid", uid}, {"workshop", std::to_string(workshop->value)}, {"announce", announce->json}});
}

std::size_t ProvisioningBridge::PublishCredentials(const std::string& uid,
                                                   const std::string& payload) {
  return broker_.PublishFromPlatform(ProvisioningConfigTopic(uid), payload, mqtt::QoS::kAtLeastOnce,
                                     /*retain=*/false, clock_.Now());
}

}  // namespace sw::app
