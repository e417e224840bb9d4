// The live-event hub's wiring: subscription checks on TenancyService and DeviceService (which
// apply the Scope and the permission table), the WebSocket token check on AuthService.
// serve.cpp calls WireLiveEvents once; the returned hub must outlive the HTTP server, and
// producers (telemetry ingest, device status, later alerts/commands/jobs) publish into it.
#pragma once

#include <memory>

#include "app/platform.hpp"
#include "core/command_service.hpp"
#include "http/live_hub.hpp"
#include "http/server.hpp"

namespace sw::app {

http::LiveAccess MakeLiveAccess(Platform& platform);
// AuthService::Authenticate (signature, expiry, live session, active user) plus the token's
// expiry, after which the WebSocket session ends unless the client re-authenticates.
http::LiveAuthenticator MakeLiveAuthenticator(Platform& platform);

// Creates the hub and points `options` at it and at the token check.
std::unique_ptr<http::LiveHub> WireLiveEvents(Platform& platform, http::ServerOptions& options);

// Feeds the hub: accepted telemetry (ingest listener: `telemetry` events, valid readings
// only, grouped by timestamp) and presence transitions (`device_status`). Call before the
// ingest pipeline starts; the hub must outlive the ingest writer and the presence sweeps.
void ConnectLiveProducers(Platform& platform, http::LiveHub& hub);

// Every command transition becomes a `command` event (the hub must outlive the service).
void ConnectCommandEvents(core::CommandService& commands, http::LiveHub& hub);

}  // namespace sw::app
