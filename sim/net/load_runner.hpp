// LoadRunner: `sitewatch-sim --load` — many pit nodes at a fixed total telemetry rate, for
// benchmarks. Each device is one MQTT session (MqttTransport); values come from a PitModel
// per device. Phases: connect (at most connect_rate new sessions per second, until all are
// up or connect_timeout), send (message k at t0 + k / rate, to device k mod N, QoS 0 or 1),
// drain (wait up to drain_timeout for the outstanding acknowledgements), disconnect.
// The report (JSON) says what was sent, acknowledged and refused, the achieved rate, the
// acknowledgement latency (publish -> PUBACK, which the server sends after the commit) and
// the simulator's own CPU time. Everything is bounded by the options. Thread-safety: none.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "model/fleet.hpp"
#include "model/pit.hpp"
#include "net/mqtt_transport.hpp"

namespace sw::sim {

struct LoadOptions {
  std::size_t devices = 100;
  double rate = 1000.0;  // messages per second, all devices together
  std::chrono::milliseconds duration{10000};
  int qos = 1;
  double connect_rate = 500.0;  // new sessions per second
  std::chrono::milliseconds connect_timeout{60000};
  std::chrono::milliseconds drain_timeout{10000};
  std::uint64_t seed = 1;

  static constexpr std::size_t kMaxDevices = 50000;
  static constexpr double kMaxRate = 200000.0;
  static constexpr std::chrono::milliseconds kMaxDuration{3600000};
};

class LoadRunner final : public TransportSink {
 public:
  LoadRunner(const LoadOptions& options, MqttTransport& transport,
             const std::vector<Credential>& credentials);

  // Runs all phases; `stop` is polled (a signal). Returns the report as JSON.
  std::string Run(const volatile std::sig_atomic_t& stop);

  void OnConnected(std::size_t client) override;
  void OnDisconnected(std::size_t client) override;
  void OnPublishAcked(std::size_t client, std::uint32_t token) override;
  void OnMessage(std::size_t client, std::string_view topic, std::string_view payload) override;

 private:
  struct Node {
    std::string uid;
    PitModel pit;
    std::chrono::steady_clock::time_point last_step{};
    bool up = false;
    std::deque<std::pair<std::uint32_t, std::chrono::steady_clock::time_point>> in_flight;
  };
  std::string Payload(Node& n, std::chrono::steady_clock::time_point now);

  LoadOptions options_;
  MqttTransport& transport_;
  std::vector<Node> nodes_;
  std::size_t up_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t acked_ = 0;
  std::uint64_t skipped_ = 0;      // due while the device was not connected
  std::uint64_t disconnects_ = 0;  // sessions lost before the final disconnect
  bool closing_ = false;
  std::uint32_t next_token_ = 1;
  std::vector<double> latencies_ms_;  // bounded sample
  std::uint64_t latency_seen_ = 0;
  std::uint64_t rng_state_ = 1;
};

}  // namespace sw::sim
