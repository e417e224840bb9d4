#include "mqtt_device.hpp"

#include <mutex>
#include <thread>

namespace sw::testing {
namespace {

std::once_flag g_init;

}  // namespace

MqttDevice::MqttDevice(int port, const std::string& uid, const std::string& secret,
                       Options options) {
  std::call_once(g_init, [] { mosquitto_lib_init(); });
  const std::string id = options.client_id.empty() ? uid : options.client_id;
  mosq_ = mosquitto_new(id.c_str(), options.clean, this);
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION,
                       options.v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  mosquitto_max_inflight_messages_set(mosq_, static_cast<unsigned>(options.max_inflight));
  mosquitto_username_pw_set(mosq_, uid.c_str(), secret.c_str());
  mosquitto_connect_callback_set(
      mosq_, [](mosquitto*, void* self, int rc) { static_cast<MqttDevice*>(self)->connack_ = rc; });
  mosquitto_publish_callback_set(mosq_, [](mosquitto*, void* self, int mid) {
    auto* d = static_cast<MqttDevice*>(self);
    std::lock_guard lock(d->mutex_);
    d->acked_.insert(mid);
  });
  mosquitto_connect(mosq_, "127.0.0.1", port, options.keepalive_s);
  mosquitto_loop_start(mosq_);
}

MqttDevice::~MqttDevice() {
  Disconnect();
  mosquitto_destroy(mosq_);
}

void MqttDevice::Disconnect() {
  if (!mosq_) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, true);
}

bool MqttDevice::WaitConnected(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (connack_.load() < 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return connack_.load() == 0;
}

int MqttDevice::Publish(const std::string& topic, const std::string& payload, int qos,
                        bool retain) {
  int mid = 0;
  const int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, retain);
  return rc == MOSQ_ERR_SUCCESS ? mid : 0;
}

std::size_t MqttDevice::Acked() const {
  std::lock_guard lock(mutex_);
  return acked_.size();
}

bool MqttDevice::IsAcked(int mid) const {
  std::lock_guard lock(mutex_);
  return acked_.contains(mid);
}

bool MqttDevice::WaitAcked(std::size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Acked() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return Acked() >= n;
}

}  // namespace sw::testing
