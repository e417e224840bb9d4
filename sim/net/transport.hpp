// The network side's common interface: what a transport reports back (TransportSink, called
// from the transport's Poll() only, never from inside Execute()) and its counters.
// MqttTransport (libmosquitto) and HttpTransport (the HTTP device API) implement it.
// Thread-safety: none; one thread owns a transport and its sink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sw::sim {

class TransportSink {
 public:
  virtual ~TransportSink() = default;
  virtual void OnConnected(std::size_t client) = 0;
  virtual void OnDisconnected(std::size_t client) = 0;  // also: a connect attempt failed
  virtual void OnPublishAcked(std::size_t client, std::uint32_t token) = 0;
  virtual void OnMessage(std::size_t client, std::string_view topic, std::string_view payload) = 0;
};

struct TransportStats {
  std::uint64_t connect_attempts = 0;
  std::uint64_t connect_failures = 0;  // TCP refused or CONNACK refused
  std::uint64_t publishes = 0;
  std::uint64_t publish_errors = 0;  // refused by libmosquitto (no connection, too large)
  std::uint64_t acks = 0;
  std::uint64_t messages = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t refused = 0;  // HTTP: answered 4xx (acknowledged, but the server refused it)
  std::uint64_t skipped = 0;  // HTTP: retained status publishes (no endpoint)
};

}  // namespace sw::sim
