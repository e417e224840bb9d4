// MqttTransport: the simulated devices' MQTT sessions over Debian's libmosquitto (an
// independent client implementation, so the server's broker is exercised by someone
// else's code), one non-threaded mosquitto client per device, all driven from the calling
// thread: Poll() waits on every socket at once (epoll), lets libmosquitto read and write,
// runs its keep-alive housekeeping once a second, and then reports what happened to the
// TransportSink. libmosquitto's callbacks only queue events; the sink is called from Poll()
// alone, never from inside Execute(), so a device never re-enters itself.
//
// Connecting uses a blocking TCP connect (the target is a server on this machine) and a
// non-blocking session afterwards. kAbort shuts the socket down without DISCONNECT so the
// broker publishes the will, as after a power cut.
// Thread-safety: none; one thread owns the transport (libmosquitto's thread-safe mode is
// not used).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/device.hpp"
#include "net/transport.hpp"

struct mosquitto;
struct mosquitto_message;

namespace sw::sim {

class MqttTransport final : public Transport {
 public:
  static constexpr int kKeepAliveS = 60;

  MqttTransport(std::string host, int port);
  ~MqttTransport() override;
  MqttTransport(const MqttTransport&) = delete;
  MqttTransport& operator=(const MqttTransport&) = delete;

  void SetSink(TransportSink* sink) { sink_ = sink; }
  // Adds a client (index = its position); username and client id = uid, password = secret.
  std::size_t AddClient(const std::string& uid, const std::string& secret) {
    return AddClient(uid, uid, secret);
  }
  // A client whose username is not its client id (a provisioning login: username
  // "provision:{slug}", client id = the new device's uid, password = the provisioning key).
  std::size_t AddClient(const std::string& client_id, const std::string& username,
                        const std::string& password);
  std::size_t size() const { return clients_.size(); }
  bool connected(std::size_t client) const;

  void Execute(std::size_t client, const LinkAction& action) override;
  // Waits up to `timeout` for socket activity, handles it, then delivers the queued events.
  void Poll(std::chrono::milliseconds timeout);
  const TransportStats& stats() const { return stats_; }
  std::size_t ConnectedCount() const;

 private:
  enum class State : std::uint8_t { kIdle, kConnecting, kConnected };
  struct Client {
    mosquitto* mosq = nullptr;
    std::size_t index = 0;
    MqttTransport* owner = nullptr;
    State state = State::kIdle;
    int registered_fd = -1;
    bool want_write = false;
    std::unordered_map<int, std::uint32_t> tokens;  // message id -> token
  };
  struct Event {
    enum class Kind : std::uint8_t { kConnected, kDisconnected, kAcked, kMessage };
    Kind kind = Kind::kConnected;
    std::size_t client = 0;
    std::uint32_t token = 0;
    std::string topic;
    std::string payload;
  };

  static void OnConnectCb(mosquitto* m, void* self, int rc);
  static void OnDisconnectCb(mosquitto* m, void* self, int rc);
  static void OnPublishCb(mosquitto* m, void* self, int mid);
  static void OnMessageCb(mosquitto* m, void* self, const mosquitto_message* msg);

  void Connect(Client& c, const LinkAction& a);
  void Drop(Client& c);  // ends the session locally and reports it
  void Rearm(Client& c);
  void Housekeeping();

  std::string host_;
  int port_;
  int epoll_fd_ = -1;
  TransportSink* sink_ = nullptr;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<Event> events_;
  std::chrono::steady_clock::time_point next_misc_;
  TransportStats stats_;
};

}  // namespace sw::sim
