// MqttDevice: a device for integration tests and benchmarks — a libmosquitto client that
// connects with a device's uid and secret and publishes on its topics, counting the
// acknowledgements the broker sends back. Test-only.
#pragma once

#include <mosquitto.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <string>

namespace sw::testing {

class MqttDevice {
 public:
  struct Options {
    bool v5 = false;
    bool clean = true;
    std::string client_id;  // default: the uid
    int keepalive_s = 30;
    int max_inflight = 20;
  };
  MqttDevice(int port, const std::string& uid, const std::string& secret, Options options);
  MqttDevice(int port, const std::string& uid, const std::string& secret)
      : MqttDevice(port, uid, secret, Options{}) {}
  ~MqttDevice();
  MqttDevice(const MqttDevice&) = delete;
  MqttDevice& operator=(const MqttDevice&) = delete;

  // Waits for the CONNACK; true when accepted.
  bool WaitConnected(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  int connack_code() const { return connack_.load(); }
  // Queues a PUBLISH; returns its message id (0 when libmosquitto refused it).
  int Publish(const std::string& topic, const std::string& payload, int qos, bool retain = false);
  // Acknowledged QoS 1/2 publishes (QoS 0 ones count when written).
  std::size_t Acked() const;
  bool IsAcked(int mid) const;
  bool WaitAcked(std::size_t n,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  void Disconnect();

 private:
  mosquitto* mosq_ = nullptr;
  std::atomic<int> connack_{-1};
  mutable std::mutex mutex_;
  std::set<int> acked_;
};

}  // namespace sw::testing
