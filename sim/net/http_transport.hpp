// HttpTransport: simulated devices that poll, over the server's HTTP device API (PRODUCT.md §4:
// HTTP Basic uid:secret). It carries the same LinkActions as MqttTransport and reports through
// the same TransportSink, so the firmware cores do not know which one they talk to:
//
// * kConnect opens the device's keep-alive connection for posts (TCP, 5 s timeout): success
//   is OnConnected, failure OnDisconnected (the core retries with its own back-off).
// * kPublish is mapped by model/http_mapping (telemetry, events, command results; retained
//   status publishes are skipped) and queued (bounded, kMaxQueue per device, one request in
//   flight, 10 s timeout each). 2xx acknowledges the token; 4xx acknowledges it too but
//   counts it as refused and logs it (re-sending would be refused again); 5xx, a timeout or
//   a broken connection ends the "session" (OnDisconnected), so the core keeps the
//   unacknowledged readings and sends them again after it reconnects, as over MQTT.
// * kSubscribe on sw/d/{uid}/cmd starts the long poll on a second keep-alive connection:
//   GET /api/v1/device/commands?wait=25 (35 s timeout), each command delivered in order as
//   OnMessage on its cmd topic; after an error the poll waits 1 s, doubling to 30 s.
// * kDisconnect / kAbort close both connections (there is no will over HTTP).
//
// Everything runs on one asio io_context driven by Poll() from the simulation thread; the
// sink is called from Poll() only, after the I/O, never from inside Execute().
// Thread-safety: none; one thread owns the transport. Boost.Beast stays in the .cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "model/device.hpp"
#include "net/transport.hpp"

namespace sw::sim {

class HttpTransport final : public Transport {
 public:
  static constexpr std::size_t kMaxQueue = 256;     // pending posts per device
  static constexpr std::size_t kMaxClients = 2000;  // two connections each
  static constexpr int kPollWaitS = 25;             // the server allows up to 30
  using LogFn = std::function<void(const std::string&)>;

  HttpTransport(std::string host, int port, LogFn log = {});
  ~HttpTransport() override;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  void SetSink(TransportSink* sink) { sink_ = sink; }
  // Adds a device (index = its position); throws beyond kMaxClients.
  std::size_t AddClient(const std::string& uid, const std::string& secret);
  std::size_t size() const;
  bool connected(std::size_t client) const;

  void Execute(std::size_t client, const LinkAction& action) override;
  // Runs the I/O for up to `timeout`, then delivers the queued events to the sink.
  void Poll(std::chrono::milliseconds timeout);
  const TransportStats& stats() const { return stats_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  TransportSink* sink_ = nullptr;
  TransportStats stats_;
};

}  // namespace sw::sim
