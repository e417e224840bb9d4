#include "app/integration_bridge.hpp"

#include <boost/json.hpp>

#include "common/log.hpp"
#include "http/command_json.hpp"

namespace sw::app {
namespace {

constexpr std::size_t kMaxRequestBytes = 4096;

metrics::Counter& Requests(metrics::Registry& m, const char* result) {
  return m.GetCounter("sitewatch_integration_command_requests_total",
                      "Command requests of MQTT integrations on sw/d/{uid}/cmd/request",
                      {{"result", result}});
}

}  // namespace

IntegrationBridge::IntegrationBridge(broker::Broker& broker, DeviceAuthenticator& authenticator,
                                     core::IntegrationService& integrations,
                                     core::CommandService& commands, core::AuditStore& audit,
                                     const Clock& clock, metrics::Registry& metrics)
    : broker_(broker),
      authenticator_(authenticator),
      integrations_(integrations),
      commands_(commands),
      audit_(audit),
      clock_(clock),
      accepted_(Requests(metrics, "accepted")),
      replayed_(Requests(metrics, "replayed")),
      bad_payload_(Requests(metrics, "bad_payload")),
      refused_(Requests(metrics, "refused")),
      evictions_(metrics.GetCounter("sitewatch_integration_disconnects_total",
                                    "MQTT integration connections closed because the "
                                    "integration was deleted, disabled or its secret rotated")) {}

IntegrationBridge::~IntegrationBridge() {
  Stop();
}

void IntegrationBridge::Start() {
  if (!listening_) {
    integrations_.AddListener(
        [this](const core::Integration& i, core::IntegrationService::Event e) { OnChanged(i, e); });
    listening_ = true;
  }
  if (subscription_ == 0) {
    subscription_ = broker_.AddInternalSubscriber(
        "sw/d/+/" + std::string(kCommandRequestSuffix),
        [this](const broker::Message& m, const broker::AckToken&) { OnRequest(m); });
  }
}

void IntegrationBridge::Stop() {
  if (subscription_ != 0) {
    broker_.RemoveInternalSubscriber(subscription_);
    subscription_ = 0;
  }
}

void IntegrationBridge::OnChanged(const core::Integration& integration,
                                  core::IntegrationService::Event event) {
  using Event = core::IntegrationService::Event;
  authenticator_.IntegrationChanged(integration, event == Event::kDeleted);
  const bool withdraw = event == Event::kDeleted || event == Event::kSecretRotated ||
                        (event == Event::kUpdated && !integration.enabled);
  if (!withdraw) return;
  const std::string& username = integration.username;
  const std::size_t n = broker_.EvictClients(
      [&username](const broker::ClientIdentity& id) {
        return IsIntegrationClient(id) && id.username == username;
      },
      mqtt::ReasonCode::kAdministrativeAction);
  evictions_.Inc(static_cast<std::uint64_t>(n));
}

void IntegrationBridge::OnRequest(const broker::Message& m) {
  if (m.origin.empty()) return;  // the platform's own (clearing a retained request)
  if (m.retain) {
    // A request is an act, not a state: never kept for later subscribers.
    broker_.PublishFromPlatform(m.topic, {}, mqtt::QoS::kAtMostOnce, true, clock_.Now());
  }
  const std::string uid(DeviceTopicUid(m.topic));
  const auto username = authenticator_.IntegrationOf(m.origin);
  if (!username || uid.empty()) {
    refused_.Inc();
    log::Debug("command request from a client that is not an integration",
               {{"client_id", m.origin}, {"topic", m.topic}});
    return;
  }
  auto found = integrations_.Find(*username);
  if (!found.ok() || !*found) {
    refused_.Inc();
    return;
  }
  const core::Integration& integration = **found;
  if (m.payload.size() > kMaxRequestBytes) {
    bad_payload_.Inc();
    return;
  }
  auto request = http::DecodeCommandRequestMessage(m.payload);
  if (!request.ok()) {
    bad_payload_.Inc();
    log::Debug(
        "bad command request",
        {{"integration", integration.username}, {"uid", uid}, {"error", request.error().message}});
    return;
  }
  auto issued = commands_.IssueAsIntegration(integration, uid, *request);
  if (!issued.ok()) {
    refused_.Inc();
    log::Info("command request refused", {{"integration", integration.username},
                                          {"uid", uid},
                                          {"code", issued.error().Code()},
                                          {"error", issued.error().message}});
    return;
  }
  if (!issued->created) {
    replayed_.Inc();
    return;
  }
  accepted_.Inc();
  core::AuditEntry e;
  e.at = clock_.Now();
  e.actor_name = "integration:" + integration.username;
  e.workshop_id = issued->command.workshop_id;
  e.action = "command.send";
  e.resource_type = "command";
  e.resource_id = issued->command.id;
  e.after_json = boost::json::serialize(http::CommandToJson(issued->command));
  if (auto s = audit_.AppendAudit(e); !s.ok()) {
    log::Warn("cannot audit an integration's command", {{"error", s.error().message}});
  }
}

}  // namespace sw::app
