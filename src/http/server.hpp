// HttpServer: the Boost.Beast HTTP/1.1 server shell. Owns its io_context and thread pool.
// One strand per connection, one request in flight per connection, body and header
// limits, idle timeouts, a cap on open connections, and a graceful shutdown that lets
// in-flight requests finish. Requests are handed to a Router as plain messages.
// With a LiveHub, an upgrade on /api/v1/ws becomes a live-event WebSocket session
// (docs/LIVE.md): the protocol is LiveConnection, this shell only moves frames.
// With mqtt_websocket set, an upgrade on /mqtt offering the subprotocol "mqtt" is answered
// (MQTT 5.0 §6) and the connection handed to the broker, which frames MQTT over it itself.
//
// This is the only translation unit that includes Beast (compile time; see ARCHITECTURE.md).
// Thread-safe: Start/Shutdown/Wait from one controlling thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/metrics.hpp"
#include "common/result.hpp"
#include "http/live_hub.hpp"
#include "http/router.hpp"

namespace sw::http {

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;  // 0: pick a free port
  int threads = 2;
  std::size_t body_limit = 1 << 20;
  std::chrono::seconds idle_timeout{30};
  std::size_t max_connections = 10000;
  // The live-event WebSocket /api/v1/ws; refused (404) while live_hub is null. The hub must
  // outlive the server.
  LiveHub* live_hub = nullptr;
  LiveAuthenticator live_authenticate;  // access token -> principal and expiry
  LiveConnectionOptions live;
  std::chrono::seconds ws_idle_timeout{60};  // pinged after half of it, closed when silent
  // MQTT over WebSocket on /mqtt. After the opening handshake (subprotocol "mqtt" required;
  // without it, or without an upgrade, 400) the connection is handed over: its socket
  // descriptor, whose ownership passes to the callee, and any bytes read after the request.
  // The HTTP limits and timeouts no longer apply to it (keep-alive is MQTT's). Called on an
  // HTTP thread; wired to broker::MqttServer::AdoptWebSocket in app/serve.cpp. Unset: /mqtt is
  // an ordinary path.
  std::function<void(int native_socket, std::string early_bytes)> mqtt_websocket;
};

class HttpServer {
 public:
  HttpServer(Router& router, metrics::Registry& metrics, ServerOptions options);
  ~HttpServer();

  // Binds and listens; returns the bound port.
  Result<std::uint16_t> Listen();
  // Starts the worker threads; returns immediately.
  void Start();
  // Stops accepting, closes idle connections, lets in-flight requests finish. Returns at
  // once; Wait() blocks until done (or until `grace` passes, then cuts what is left).
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(4000));
  void Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sw::http
