// IntegrationBridge: the platform's side of MQTT integrations (issue 4) on the built-in
// broker.
//
//  - Command requests: it subscribes in-process to sw/d/+/cmd/request. The broker's policy
//    lets only a read_write integration of the device's workshop publish there; the bridge
//    takes the request only from a connected integration client (the message's client id,
//    DeviceAuthenticator::IntegrationOf), decodes it strictly ({"name", "params"?, "id"?,
//    "expires_in_s"?}) and hands it to CommandService::IssueAsIntegration — so the command is
//    checked (kind, device status, licence, per-integration rate limit, queue bound), stored,
//    delivered at least once on sw/d/{uid}/cmd, answered on sw/d/{uid}/cmd/result (which the
//    integration may read) and shown live like any other. Each created command is audited
//    (actor `integration:{username}`). Refusals are counted by reason and logged; a retained
//    request is cleared from the retained store.
//  - Credential changes (IntegrationService's listener): the policy's cache is updated at once
//    and, when an integration is deleted, disabled or its secret rotated, its live connections
//    are closed (5.0: DISCONNECT 0x98 administrative action); the next CONNECT is refused.
//
// Thread-safe.
#pragma once

#include <cstdint>

#include "app/device_authenticator.hpp"
#include "broker/broker.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "core/command_service.hpp"
#include "core/integration_service.hpp"
#include "core/ports.hpp"

namespace sw::app {

class IntegrationBridge {
 public:
  IntegrationBridge(broker::Broker& broker, DeviceAuthenticator& authenticator,
                    core::IntegrationService& integrations, core::CommandService& commands,
                    core::AuditStore& audit, const Clock& clock, metrics::Registry& metrics);
  ~IntegrationBridge();
  IntegrationBridge(const IntegrationBridge&) = delete;
  IntegrationBridge& operator=(const IntegrationBridge&) = delete;

  // Subscribes to sw/d/+/cmd/request and listens to the integration service. Once.
  void Start();
  void Stop();

 private:
  void OnRequest(const broker::Message& m);
  void OnChanged(const core::Integration& integration, core::IntegrationService::Event event);

  broker::Broker& broker_;
  DeviceAuthenticator& authenticator_;
  core::IntegrationService& integrations_;
  core::CommandService& commands_;
  core::AuditStore& audit_;
  const Clock& clock_;
  metrics::Counter& accepted_;
  metrics::Counter& replayed_;
  metrics::Counter& bad_payload_;
  metrics::Counter& refused_;
  metrics::Counter& evictions_;
  std::uint64_t subscription_ = 0;
  bool listening_ = false;
};

}  // namespace sw::app
