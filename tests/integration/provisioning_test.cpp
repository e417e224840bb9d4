// Device provisioning end to end (PRODUCT.md §4, src/broker/README.md "Provisioning"): an
// owner issues the workshop's provisioning key; a new device connects with it (username
// provision:{slug}, client id = its uid), listens on sw/provision/{uid}/config and announces
// itself; it shows up as pending; the owner approves it into a pit; the credentials reach that
// connection only; the device then works as a normal device. Also: wrong and rotated keys,
// another client id cannot read the config topic, reject, another workshop's owner.
#include <gtest/gtest.h>
#include <mosquitto.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"
#include "mqtt_device.hpp"

namespace sw::testing {
namespace {

constexpr const char* kPassword = "Provisioning-pw-4417";

// A libmosquitto client that also subscribes and keeps what it receives. Test-only.
class ProvClient {
 public:
  ProvClient(int port, const std::string& client_id, const std::string& username,
             const std::string& password) {
    mosquitto_lib_init();
    mosq_ = mosquitto_new(client_id.c_str(), true, this);
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_username_pw_set(mosq_, username.c_str(), password.c_str());
    mosquitto_connect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
      static_cast<ProvClient*>(self)->connack_ = rc;
    });
    mosquitto_subscribe_callback_set(
        mosq_, [](mosquitto*, void* self, int, int count, const int* granted) {
          auto* c = static_cast<ProvClient*>(self);
          std::lock_guard lock(c->mutex_);
          for (int i = 0; i < count; ++i) c->granted_.push_back(granted[i]);
        });
    mosquitto_publish_callback_set(
        mosq_, [](mosquitto*, void* self, int) { static_cast<ProvClient*>(self)->published_++; });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* c = static_cast<ProvClient*>(self);
      std::lock_guard lock(c->mutex_);
      c->messages_.push_back({m->topic,
                              std::string(static_cast<const char*>(m->payload),
                                          static_cast<std::size_t>(m->payloadlen)),
                              m->retain});
    });
    mosquitto_connect(mosq_, "127.0.0.1", port, 30);
    mosquitto_loop_start(mosq_);
  }
  ~ProvClient() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }
  ProvClient(const ProvClient&) = delete;
  ProvClient& operator=(const ProvClient&) = delete;

  struct Received {
    std::string topic;
    std::string payload;
    bool retain = false;
  };

  // The CONNACK code (0 accepted), or -1 when none came.
  int WaitConnack() {
    WaitFor([this] { return connack_.load() >= 0; });
    return connack_.load();
  }
  // The granted QoS of one SUBSCRIBE (128: refused), or -1 when no SUBACK came.
  int Subscribe(const std::string& filter) {
    std::size_t before;
    {
      std::lock_guard lock(mutex_);
      before = granted_.size();
    }
    if (mosquitto_subscribe(mosq_, nullptr, filter.c_str(), 1) != MOSQ_ERR_SUCCESS) return -1;
    WaitFor([&] {
      std::lock_guard lock(mutex_);
      return granted_.size() > before;
    });
    std::lock_guard lock(mutex_);
    return granted_.size() > before ? granted_[before] : -1;
  }
  bool PublishAcked(const std::string& topic, const std::string& payload) {
    const int before = published_.load();
    if (mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                          payload.data(), 1, false) != MOSQ_ERR_SUCCESS) {
      return false;
    }
    return WaitFor([&] { return published_.load() > before; });
  }
  std::vector<Received> Messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  bool WaitMessage() {
    return WaitFor([this] {
      std::lock_guard lock(mutex_);
      return !messages_.empty();
    });
  }

 private:
  template <typename F>
  static bool WaitFor(F done, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  mosquitto* mosq_ = nullptr;
  std::atomic<int> connack_{-1};
  std::atomic<int> published_{0};
  std::mutex mutex_;
  std::vector<int> granted_;
  std::vector<Received> messages_;
};

class Provisioning : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ =
        std::make_unique<ServerProcess>(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, ""});
    mqtt_port_ = MqttPort(*server_);
    HttpClient client = server_->Client();
    admin_ = Login(client, "admin", ServerProcess::kAdminPassword);
    auto a = client.Post("/api/v1/workshops", {{"name", "Provisioning A"}}, admin_);
    ASSERT_EQ(a.status, 201) << a.body;
    a_ = a.Json().at("data").at("id").as_int64();
    auto b = client.Post("/api/v1/workshops", {{"name", "Provisioning B"}}, admin_);
    ASSERT_EQ(b.status, 201) << b.body;
    b_ = b.Json().at("data").at("id").as_int64();
    auto pit = client.Post("/api/v1/workshops/" + std::to_string(a_) + "/pits",
                           {{"number", 1}, {"name", "A1"}}, admin_);
    ASSERT_EQ(pit.status, 201) << pit.body;
    pit_a_ = pit.Json().at("data").at("id").as_int64();
    owner_a_ = Owner(client, "prov.owner.a", a_);
    owner_b_ = Owner(client, "prov.owner.b", b_);
    staff_a_ = User(client, "prov.staff.a", a_, "staff");
  }
  static void TearDownTestSuite() { server_.reset(); }

  static std::string User(HttpClient& c, const std::string& name, std::int64_t ws,
                          const std::string& role) {
    auto u = c.Post("/api/v1/users",
                    {{"username", name},
                     {"password", kPassword},
                     {"role", role},
                     {"full_name", name},
                     {"workshop_id", ws}},
                    admin_);
    EXPECT_EQ(u.status, 201) << u.body;
    return Login(c, name, kPassword);
  }
  static std::string Owner(HttpClient& c, const std::string& name, std::int64_t ws) {
    return User(c, name, ws, "owner");
  }
  // Rotates workshop `ws`'s key as `token`; returns {mqtt username, key}.
  static std::pair<std::string, std::string> RotateKey(std::int64_t ws, const std::string& token) {
    auto r = server_->Client().Post("/api/v1/workshops/" + std::to_string(ws) + "/provisioning-key",
                                    json::object{}, token);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    const json::value v = r.Json();
    const auto& d = v.at("data");
    return {std::string(d.at("mqtt_username").as_string()), std::string(d.at("key").as_string())};
  }
  static std::string Announce(const std::string& kind) {
    return json::serialize(json::object{{"kind", kind},
                                        {"mac", "A1:B2:C3:D4:E5:F6"},
                                        {"fw", "1.4.0"},
                                        {"sensors", json::array{"bme680", "pms5003"}}});
  }
  // Waits until the device shows up as pending in its workshop's list.
  static bool WaitPending(std::int64_t ws, const std::string& uid) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = server_->Client().Get(
          "/api/v1/workshops/" + std::to_string(ws) + "/devices?status=pending", owner_a_);
      if (r.status == 200) {
        const json::value v = r.Json();
        for (const auto& d : v.at("data").as_array()) {
          if (d.at("uid").as_string() == uid) return d.at("status").as_string() == "pending";
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  static std::unique_ptr<ServerProcess> server_;
  static int mqtt_port_;
  static std::string admin_, owner_a_, owner_b_, staff_a_;
  static std::int64_t a_, b_, pit_a_;
};

std::unique_ptr<ServerProcess> Provisioning::server_;
int Provisioning::mqtt_port_ = 0;
std::string Provisioning::admin_, Provisioning::owner_a_, Provisioning::owner_b_,
    Provisioning::staff_a_;
std::int64_t Provisioning::a_ = 0, Provisioning::b_ = 0, Provisioning::pit_a_ = 0;

TEST_F(Provisioning, AnnounceApproveAndTheDeviceGetsItsCredentialsOnly) {
  const auto [username, key] = RotateKey(a_, owner_a_);
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(username.rfind("provision:", 0), 0u) << username;

  ProvClient device(mqtt_port_, "PROV-NEW-1", username, key);
  ASSERT_EQ(device.WaitConnack(), 0);
  EXPECT_EQ(device.Subscribe("sw/provision/PROV-NEW-1/config"), 1);
  // Its own uid only: not another device's topics, not a wildcard, not the device tree.
  EXPECT_EQ(device.Subscribe("sw/provision/+/config"), 128);
  EXPECT_EQ(device.Subscribe("sw/d/PROV-NEW-1/cmd"), 128);
  ASSERT_TRUE(device.PublishAcked("sw/provision/PROV-NEW-1/announce", Announce("sensor_node")));
  ASSERT_TRUE(WaitPending(a_, "PROV-NEW-1")) << server_->Log();

  // A second provisioning client (another client id) cannot listen in.
  ProvClient snoop(mqtt_port_, "PROV-SNOOP", username, key);
  ASSERT_EQ(snoop.WaitConnack(), 0);
  EXPECT_EQ(snoop.Subscribe("sw/provision/PROV-NEW-1/config"), 128);
  EXPECT_EQ(snoop.Subscribe("sw/provision/#"), 128);
  EXPECT_EQ(snoop.Subscribe("#"), 128);
  EXPECT_EQ(snoop.Subscribe("sw/provision/PROV-SNOOP/config"), 1);

  // Staff may not approve; another workshop's owner does not even see the device.
  HttpClient http = server_->Client();
  const std::string approve = "/api/v1/devices/PROV-NEW-1/approve";
  auto staff = http.Post(approve, json::object{}, staff_a_);
  EXPECT_EQ(staff.status, 403) << staff.body;
  auto other = http.Post(approve, json::object{}, owner_b_);
  EXPECT_EQ(other.status, 404) << other.body;
  EXPECT_EQ(other.ErrorCode(), "NOT_FOUND");
  EXPECT_TRUE(device.Messages().empty());

  auto ok = http.Post(approve, {{"pit_id", pit_a_}, {"name", "Bay 1 air"}}, owner_a_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  const json::value body = ok.Json();
  const auto& data = body.at("data");
  EXPECT_EQ(data.at("delivered"), json::value(true));
  EXPECT_EQ(data.at("device").at("status").as_string(), "active");
  EXPECT_EQ(data.at("device").at("pit_id").as_int64(), pit_a_);
  EXPECT_EQ(ok.body.find("secret"), std::string::npos) << "the secret leaks over HTTP";

  ASSERT_TRUE(device.WaitMessage());
  const auto got = device.Messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "sw/provision/PROV-NEW-1/config");
  EXPECT_FALSE(got[0].retain);
  const auto creds = json::parse(got[0].payload);
  EXPECT_EQ(creds.at("uid").as_string(), "PROV-NEW-1");
  EXPECT_EQ(creds.at("mqtt").at("username").as_string(), "PROV-NEW-1");
  EXPECT_EQ(creds.at("licence").as_string(), data.at("device").at("licence").at("key").as_string());
  const std::string secret(creds.at("secret").as_string());
  EXPECT_GE(secret.size(), 43u);
  // Nobody else got them (the device received its copy, so routing is over).
  EXPECT_TRUE(snoop.Messages().empty());

  // Approved once only.
  auto again = http.Post(approve, json::object{}, owner_a_);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.ErrorCode(), "DEVICE_NOT_PENDING");

  // The device now logs in as itself and sends telemetry.
  MqttDevice real(mqtt_port_, "PROV-NEW-1", secret);
  ASSERT_TRUE(real.WaitConnected()) << real.connack_code();
  ASSERT_NE(real.Publish("sw/d/PROV-NEW-1/telemetry", R"({"values":{"temperature":21.5}})", 1), 0);
  EXPECT_TRUE(real.WaitAcked(1));
  // And a provisioning client can no longer claim its uid.
  ProvClient late(mqtt_port_, "PROV-NEW-1", username, key);
  EXPECT_NE(late.WaitConnack(), 0);
}

TEST_F(Provisioning, WrongAndRotatedKeysAreRefused) {
  const auto [username, key] = RotateKey(a_, owner_a_);
  ASSERT_FALSE(key.empty());
  {
    ProvClient wrong(mqtt_port_, "PROV-KEY-1", username, key + "x");
    EXPECT_NE(wrong.WaitConnack(), 0);
  }
  {
    // A device's own credentials are no provisioning key, and vice versa.
    ProvClient as_device(mqtt_port_, "PROV-KEY-1", "PROV-KEY-1", key);
    EXPECT_NE(as_device.WaitConnack(), 0);
  }
  // Another workshop's key does not open this workshop.
  const auto [username_b, key_b] = RotateKey(b_, owner_b_);
  {
    ProvClient crossed(mqtt_port_, "PROV-KEY-1", username, key_b);
    EXPECT_NE(crossed.WaitConnack(), 0);
  }
  const auto [same_username, rotated] = RotateKey(a_, owner_a_);
  EXPECT_EQ(same_username, username);
  ASSERT_NE(rotated, key);
  {
    ProvClient old(mqtt_port_, "PROV-KEY-1", username, key);
    EXPECT_NE(old.WaitConnack(), 0);
  }
  {
    ProvClient fresh(mqtt_port_, "PROV-KEY-1", username, rotated);
    EXPECT_EQ(fresh.WaitConnack(), 0);
    // Nothing but its own two topics.
    EXPECT_EQ(fresh.Subscribe("sw/d/PROV-KEY-1/cmd"), 128);
  }
  // Staff may not rotate the key.
  auto staff = server_->Client().Post(
      "/api/v1/workshops/" + std::to_string(a_) + "/provisioning-key", json::object{}, staff_a_);
  EXPECT_EQ(staff.status, 403) << staff.body;
}

TEST_F(Provisioning, RejectRemovesThePendingDeviceAndTellsIt) {
  const auto [username, key] = RotateKey(a_, owner_a_);
  ProvClient device(mqtt_port_, "PROV-REJ-1", username, key);
  ASSERT_EQ(device.WaitConnack(), 0);
  ASSERT_EQ(device.Subscribe("sw/provision/PROV-REJ-1/config"), 1);
  // A bad announce is ignored; a good one makes it pending.
  ASSERT_TRUE(device.PublishAcked("sw/provision/PROV-REJ-1/announce", R"({"kind":"outlet"})"));
  ASSERT_TRUE(device.PublishAcked("sw/provision/PROV-REJ-1/announce", Announce("camera")));
  ASSERT_TRUE(WaitPending(a_, "PROV-REJ-1"));
  auto pending = server_->Client().Get("/api/v1/devices/PROV-REJ-1", owner_a_);
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(pending.Json().at("data").at("kind").as_string(), "camera");
  // Approval is the only way to activate it: a PATCH to active is refused.
  auto patched = server_->Client().Request("PATCH", "/api/v1/devices/PROV-REJ-1",
                                           R"({"status":"active"})", owner_a_);
  EXPECT_EQ(patched.status, 409) << patched.body;
  EXPECT_EQ(patched.ErrorCode(), "DEVICE_PENDING");

  auto other =
      server_->Client().Post("/api/v1/devices/PROV-REJ-1/reject", json::object{}, owner_b_);
  EXPECT_EQ(other.status, 404) << other.body;
  auto r = server_->Client().Post("/api/v1/devices/PROV-REJ-1/reject", json::object{}, owner_a_);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(device.WaitMessage());
  EXPECT_EQ(json::parse(device.Messages().at(0).payload), json::parse(R"({"rejected":true})"));
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/PROV-REJ-1", owner_a_).status, 404);
  // The audit log has both the key rotation and the rejection.
  auto audit = server_->Client().Get("/api/v1/audit?page_size=100", owner_a_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("device.reject"), std::string::npos);
  EXPECT_NE(audit.body.find("workshop.provisioning_key"), std::string::npos);
  EXPECT_EQ(audit.body.find(key), std::string::npos) << "the key is in the audit log";
}

}  // namespace
}  // namespace sw::testing
