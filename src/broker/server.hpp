// MqttServer: the Asio shell of the broker. Owns its io_context and thread pool, the TCP
// listener and one session per connection; the protocol is protocol::Connection (sans-I/O)
// and the routing is Broker (plain C++). Listens on TCP and, optionally, TLS (Asio SSL over
// OpenSSL; a TLS connection differs only in its handshake and its stream) and adopts MQTT over
// WebSocket connections whose opening handshake the HTTP server completed (AdoptWebSocket;
// such a connection differs only in its framing, protocol/ws_frame.hpp).
//
// Per connection: one io_context (one per thread; no strands); a TCP or WebSocket socket is
// not an Asio socket but a descriptor in its thread's epoll set, on which Asio waits once for
// all of them (an idle connection costs Asio nothing); reads on readiness into a per-thread
// buffer (an idle connection holds no read buffer), one write in flight with
// everything queued meanwhile coalesced into the next, deliveries encoded ~64 KiB ahead of the
// socket, no timer of its own: each thread sweeps its connections' deadlines
// (Connection::NextDeadline, the close grace) every 250 ms.
// Flow control: QoS 1/2 deliveries wait for the in-flight window (min of the client's receive
// maximum and max_inflight), up to max_queued_messages more, then are dropped (counted); QoS 0
// is dropped (counted) while more than max_queued_bytes wait for the socket. A client that
// keeps causing drops while one write has been stuck for 5 s is disconnected (Quota
// exceeded). Publishers never wait for subscribers.
// This is the only translation unit of the broker that includes Asio.
// Thread-safe: Listen/Start/Shutdown/Wait from one controlling thread; Running() from any.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "broker/auth.hpp"
#include "broker/broker.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace sw::broker {

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 1883;  // 0: pick a free port
  int threads = 2;
  std::size_t max_connections = 100000;
  std::size_t max_packet_size = std::size_t{256} * 1024;
  std::uint16_t receive_maximum = 64;      // inbound QoS 2 window advertised in CONNACK
  std::uint16_t max_inflight = 64;         // outbound QoS 1/2 window per client
  std::size_t max_queued_messages = 1000;  // per connected client, beyond the window
  std::size_t max_queued_bytes = std::size_t{1} << 20;  // unsent bytes before QoS 0 drops
  std::uint32_t publish_rate_per_s = 0;                 // per client; 0 = unlimited
  std::uint32_t connect_failures_per_minute = 10;       // per IP, then CONNECTs are refused
  std::chrono::seconds connect_timeout{10};
  std::uint16_t topic_alias_maximum = 16;
  // TLS listener (TLS 1.2+), same connection handling as TCP: on when tls_port != 0, with a
  // PEM certificate chain and private key.
  std::uint16_t tls_port = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
};

class MqttServer {
 public:
  MqttServer(Broker& broker, Authenticator& auth, BrokerMetrics& metrics, const Clock& clock,
             ServerOptions options);
  ~MqttServer();

  // Binds and listens (and loads the TLS certificate when tls_port is set); returns the bound
  // TCP port.
  Result<std::uint16_t> Listen();
  // The bound TLS port after Listen; 0 when there is no TLS listener.
  std::uint16_t TlsPort() const;
  // Starts the worker threads (and the broker's one-second tick); returns immediately.
  void Start();
  // Takes over a TCP connection on which another server (the HTTP server, on /mqtt) has
  // completed a WebSocket opening handshake with the subprotocol "mqtt": `native_socket` is its
  // descriptor (owned by the broker from now on, closed on every path) and `early_bytes` what
  // was read after the handshake request. From then on it is an MQTT connection like a TCP one
  // (same limits, authentication, flow control, deadlines, metrics, shutdown) whose bytes travel
  // in binary WebSocket frames (MQTT 5.0 §6). Refused (closed) while shutting down or at
  // max_connections. Any thread.
  void AdoptWebSocket(int native_socket, std::string early_bytes);
  // Stops accepting and closes every connection (DISCONNECT Server shutting down in 5.0,
  // wills not published); returns when all are closed or `grace` passed.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));
  void Wait();
  // Listening and not shutting down.
  bool Running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sw::broker
