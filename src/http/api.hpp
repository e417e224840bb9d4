// The REST API: registers every /api/v1 route and the operational endpoints (/health,
// /ready, /metrics, /api/v1/openapi.json) on a Router. Handlers are thin: parse, call a
// core service, serialise, audit.
#pragma once

#include <functional>
#include <string_view>

#include "common/metrics.hpp"
#include "core/auth_service.hpp"
#include "core/command_service.hpp"
#include "core/device_service.hpp"
#include "core/ingest.hpp"
#include "core/integration_service.hpp"
#include "core/outlet_service.hpp"
#include "core/presence.hpp"
#include "core/telemetry_service.hpp"
#include "core/tenancy_service.hpp"
#include "http/router.hpp"

namespace sw::http {

struct ApiDeps {
  core::AuthService& auth;
  core::TenancyService& tenancy;
  core::DeviceService& devices;
  core::AuditStore& audit;
  metrics::Registry& metrics;
  std::function<Status()> ready;  // storage (and later broker) are up
  std::string_view openapi_json;
  core::IngestService* ingest = nullptr;
  core::TelemetryService* telemetry = nullptr;
  core::PresenceTracker* presence = nullptr;
  const Clock* clock = nullptr;
  // Sends a provisioning client its config (approval credentials or rejection) on
  // sw/provision/{uid}/config; returns the number of sessions it reached. Unset: not sent.
  std::function<std::size_t(const std::string& uid, const std::string& payload)>
      publish_provisioning = {};
  // Commands to devices (issue 7); unset: the command routes are not registered.
  core::CommandService* commands = nullptr;
  // Outlets' sockets and bulk cut (issue 7); unset: those routes are not registered.
  core::OutletService* outlets = nullptr;
  // MQTT integration accounts (issue 4); unset: those routes are not registered.
  core::IntegrationService* integrations = nullptr;
};

void RegisterSystemRoutes(Router& router, const ApiDeps& deps);
void RegisterAuthRoutes(Router& router, const ApiDeps& deps);
void RegisterTenancyRoutes(Router& router, const ApiDeps& deps);
void RegisterDeviceRoutes(Router& router, const ApiDeps& deps);
// Needs ingest, telemetry, presence and clock.
void RegisterTelemetryRoutes(Router& router, const ApiDeps& deps);
// Provisioning keys and pending devices (approve / reject); uses publish_provisioning.
void RegisterProvisioningRoutes(Router& router, const ApiDeps& deps);
// Commands (users) and the device command API (polling devices); needs commands.
void RegisterCommandRoutes(Router& router, const ApiDeps& deps);
// Socket view and bulk cut; needs outlets.
void RegisterOutletRoutes(Router& router, const ApiDeps& deps);
// MQTT integration accounts; needs integrations.
void RegisterIntegrationRoutes(Router& router, const ApiDeps& deps);

inline void RegisterApi(Router& router, const ApiDeps& deps) {
  RegisterSystemRoutes(router, deps);
  RegisterAuthRoutes(router, deps);
  RegisterTenancyRoutes(router, deps);
  RegisterDeviceRoutes(router, deps);
  RegisterProvisioningRoutes(router, deps);
  if (deps.ingest && deps.telemetry && deps.presence && deps.clock) {
    RegisterTelemetryRoutes(router, deps);
  }
  if (deps.commands) RegisterCommandRoutes(router, deps);
  if (deps.outlets) RegisterOutletRoutes(router, deps);
  if (deps.integrations) RegisterIntegrationRoutes(router, deps);
}

}  // namespace sw::http
