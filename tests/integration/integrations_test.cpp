// MQTT integration accounts end to end (issue 4): an owner creates them over REST; Home
// Assistant-like clients (mosquitto_sub, libmosquitto 5.0) log in with the generated username
// and secret; a read account sees its workshop's device topics only, through wildcards too, and
// may publish nothing; a read_write account's command request becomes an ordinary command
// (stored, delivered to the device, answered, audited); rotating, disabling and deleting close
// the live connection and refuse the next CONNECT; another workshop's owner gets 404.
#include <gtest/gtest.h>
#include <mosquitto.h>

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"
#include "mqtt_device.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "Integrations-pw-9182";

// An MQTT 5.0 client (libmosquitto): records what it receives, the reason codes of its
// publishes' acknowledgements, its CONNACK and the reason of a server-side disconnect.
class Client5 {
 public:
  Client5(int port, const std::string& user, const std::string& pass,
          std::vector<std::string> filters, const std::string& client_id = {})
      : filters_(std::move(filters)) {
    mosq_ = mosquitto_new(client_id.empty() ? nullptr : client_id.c_str(), true, this);
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_username_pw_set(mosq_, user.c_str(), pass.c_str());
    mosquitto_connect_v5_callback_set(
        mosq_, [](mosquitto* m, void* self, int rc, int, const mosquitto_property*) {
          auto* c = static_cast<Client5*>(self);
          if (c->connack_.load() < 0) c->connack_ = rc;
          if (rc != 0) return;
          for (const auto& f : c->filters_)
            mosquitto_subscribe_v5(m, nullptr, f.c_str(), 1, 0, nullptr);
        });
    mosquitto_subscribe_v5_callback_set(mosq_, [](mosquitto*, void* self, int, int n,
                                                  const int* granted, const mosquitto_property*) {
      auto* c = static_cast<Client5*>(self);
      std::lock_guard lock(c->mutex_);
      for (int i = 0; i < n; ++i) c->granted_.push_back(granted[i]);
    });
    mosquitto_publish_v5_callback_set(
        mosq_, [](mosquitto*, void* self, int mid, int reason, const mosquitto_property*) {
          auto* c = static_cast<Client5*>(self);
          std::lock_guard lock(c->mutex_);
          c->acks_.emplace_back(mid, reason);
        });
    mosquitto_disconnect_v5_callback_set(
        mosq_, [](mosquitto*, void* self, int rc, const mosquitto_property*) {
          auto* c = static_cast<Client5*>(self);
          if (c->disconnect_.load() < 0) c->disconnect_ = rc;
        });
    mosquitto_message_v5_callback_set(
        mosq_, [](mosquitto*, void* self, const mosquitto_message* m, const mosquitto_property*) {
          auto* c = static_cast<Client5*>(self);
          std::lock_guard lock(c->mutex_);
          c->received_.emplace_back(m->topic, std::string(static_cast<const char*>(m->payload),
                                                          static_cast<std::size_t>(m->payloadlen)));
        });
    EXPECT_EQ(mosquitto_connect(mosq_, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
    mosquitto_loop_start(mosq_);
  }
  ~Client5() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }
  Client5(const Client5&) = delete;
  Client5& operator=(const Client5&) = delete;

  int WaitConnack() {
    Eventually([&] { return connack_.load() >= 0; });
    return connack_.load();
  }
  // The granted QoS / reason codes of every SUBACK entry, once all filters are answered.
  std::vector<int> WaitGranted() {
    Eventually([&] {
      std::lock_guard lock(mutex_);
      return granted_.size() >= filters_.size();
    });
    std::lock_guard lock(mutex_);
    return granted_;
  }
  // Publishes at QoS 1 and waits for the PUBACK; returns its reason code (-1: none came).
  int Publish(const std::string& topic, const std::string& payload) {
    int mid = 0;
    if (mosquitto_publish_v5(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), 1, false, nullptr) != MOSQ_ERR_SUCCESS) {
      return -1;
    }
    int reason = -1;
    Eventually([&] {
      std::lock_guard lock(mutex_);
      for (const auto& [m, r] : acks_) {
        if (m == mid) reason = r;
      }
      return reason >= 0;
    });
    return reason;
  }
  std::vector<std::pair<std::string, std::string>> Received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  bool WaitReceived(std::size_t n, std::chrono::milliseconds timeout = 5000ms) {
    return Eventually(
        [&] {
          std::lock_guard lock(mutex_);
          return received_.size() >= n;
        },
        timeout);
  }
  int disconnect_reason() const { return disconnect_.load(); }

 private:
  mosquitto* mosq_ = nullptr;
  std::vector<std::string> filters_;
  std::atomic<int> connack_{-1};
  std::atomic<int> disconnect_{-1};
  std::mutex mutex_;
  std::vector<int> granted_;
  std::vector<std::pair<int, int>> acks_;
  std::vector<std::pair<std::string, std::string>> received_;
};

class IntegrationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mosquitto_lib_init();
    server_ =
        std::make_unique<ServerProcess>(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, ""});
    port_ = MqttPort(*server_);
    auto client = server_->Client();
    admin_ = Login(client, "admin", ServerProcess::kAdminPassword);
    a_ = Workshop(client, "Integrations A");
    b_ = Workshop(client, "Integrations B");
    owner_a_ = User(client, "int.owner.a", "owner", a_);
    owner_b_ = User(client, "int.owner.b", "owner", b_);
    staff_a_ = User(client, "int.staff.a", "staff", a_);
    for (const char* uid : {"INT-A1", "INT-A2", "INT-A3"}) secrets_[uid] = Device(a_, uid);
    secrets_["INT-B1"] = Device(b_, "INT-B1");
  }
  static void TearDownTestSuite() {
    server_.reset();
    mosquitto_lib_cleanup();
  }

  static std::int64_t Workshop(HttpClient& client, const std::string& name) {
    auto r = client.Post("/api/v1/workshops", {{"name", name}}, admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json().at("data").at("id").as_int64();
  }
  static std::string User(HttpClient& client, const std::string& name, const std::string& role,
                          std::int64_t ws) {
    auto r = client.Post("/api/v1/users",
                         {{"username", name},
                          {"password", kPassword},
                          {"role", role},
                          {"full_name", name},
                          {"workshop_id", ws}},
                         admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    return Login(client, name, kPassword);
  }
  static std::string Device(std::int64_t ws, const std::string& uid) {
    auto r = server_->Client().Post("/api/v1/workshops/" + std::to_string(ws) + "/devices",
                                    {{"uid", uid}, {"kind", "sensor_node"}}, admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.Json().at("data").at("secret").as_string());
  }
  // POST /workshops/{ws}/integrations; returns {id, username, secret}.
  struct Created {
    std::int64_t id = 0;
    std::string username, secret;
  };
  static Created CreateIntegration(std::int64_t ws, const std::string& access,
                                   const std::string& token) {
    auto r = server_->Client().Post("/api/v1/workshops/" + std::to_string(ws) + "/integrations",
                                    {{"name", "Home Assistant"}, {"access", access}}, token);
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    const json::value body = r.Json();
    const auto& data = body.at("data");
    return {data.at("integration").at("id").as_int64(),
            std::string(data.at("integration").at("username").as_string()),
            std::string(data.at("secret").as_string())};
  }
  static HttpResult Call(const std::string& method, const std::string& path,
                         const std::string& token, const std::string& body = {}) {
    return server_->Client().Request(method, path, body, token);
  }
  static double Metric(const std::string& sample) {
    return MetricValue(server_->Client().Get("/metrics").body, sample);
  }
  static json::array Commands(const std::string& uid) {
    auto r = Call("GET", "/api/v1/devices/" + uid + "/commands", owner_a_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().at("data").as_array();
  }
  static std::vector<std::string> Sub(const std::string& user, const std::string& pass,
                                      std::vector<std::string> args) {
    std::vector<std::string> argv = {"mosquitto_sub",
                                     "-h",
                                     "127.0.0.1",
                                     "-p",
                                     std::to_string(port_),
                                     "-V",
                                     "mqttv5",
                                     "-u",
                                     user,
                                     "-P",
                                     pass};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  static inline std::unique_ptr<ServerProcess> server_;
  static inline int port_ = 0;
  static inline std::string admin_, owner_a_, owner_b_, staff_a_;
  static inline std::int64_t a_ = 0, b_ = 0;
  static inline std::map<std::string, std::string> secrets_;
};

TEST_F(IntegrationsTest, OwnersManageTheirWorkshopsIntegrationsAndNobodyElseSeesThem) {
  auto created = CreateIntegration(a_, "read", owner_a_);
  EXPECT_EQ(created.username.rfind("int:", 0), 0u) << created.username;
  EXPECT_GE(created.secret.size(), 43u);
  const std::string path = "/api/v1/integrations/" + std::to_string(created.id);

  // Listed and read without the secret.
  auto list = Call("GET", "/api/v1/workshops/" + std::to_string(a_) + "/integrations", owner_a_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_GE(list.Json().at("meta").at("total").as_int64(), 1);
  EXPECT_EQ(list.body.find(created.secret), std::string::npos);
  EXPECT_EQ(list.body.find("secret\""), std::string::npos);
  auto got = Call("GET", path, owner_a_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.Json().at("data").at("access").as_string(), "read");

  // Another workshop's owner: not found, whatever the verb; staff: forbidden.
  EXPECT_EQ(Call("GET", path, owner_b_).status, 404);
  EXPECT_EQ(Call("PATCH", path, owner_b_, R"({"enabled":false})").status, 404);
  EXPECT_EQ(Call("POST", path + "/rotate-secret", owner_b_).status, 404);
  EXPECT_EQ(Call("DELETE", path, owner_b_).status, 404);
  EXPECT_EQ(
      Call("GET", "/api/v1/workshops/" + std::to_string(a_) + "/integrations", owner_b_).status,
      404);
  EXPECT_EQ(Call("GET", path, staff_a_).status, 403);
  EXPECT_EQ(Call("POST", "/api/v1/workshops/" + std::to_string(a_) + "/integrations", staff_a_,
                 R"({"name":"x","access":"read"})")
                .status,
            403);
  // Strict bodies.
  auto bad = Call("POST", "/api/v1/workshops/" + std::to_string(a_) + "/integrations", owner_a_,
                  R"({"name":"x","access":"admin"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.ErrorCode(), "VALIDATION_ERROR");

  // Audited.
  auto audit = Call("GET", "/api/v1/audit?action=integration.create", owner_a_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find(created.username), std::string::npos);
  EXPECT_EQ(audit.body.find(created.secret), std::string::npos);
}

TEST_F(IntegrationsTest, AReadAccountReceivesItsWorkshopsTelemetryThroughWildcardsOnly) {
  auto read = CreateIntegration(a_, "read", owner_a_);
  const double subscriptions = Metric("sitewatch_mqtt_subscriptions");
  Child sub(Sub(read.username, read.secret,
                {"-t", "sw/d/+/telemetry", "-C", "2", "-W", "15", "-F", "%t %p"}));
  Client5 everything(port_, read.username, read.secret, {"sw/#"});
  ASSERT_EQ(everything.WaitConnack(), 0);
  ASSERT_EQ(everything.WaitGranted(), std::vector<int>{1});
  ASSERT_TRUE(Eventually([&] {
    return Metric("sitewatch_mqtt_subscriptions") >= subscriptions + 2;
  })) << sub.Output();

  // Workshop B's device first (acknowledged, so routed before A's), then A's twice.
  MqttDevice b(port_, "INT-B1", secrets_["INT-B1"]);
  ASSERT_TRUE(b.WaitConnected());
  b.Publish("sw/d/INT-B1/telemetry", R"({"values":{"temperature":11.5}})", 1);
  ASSERT_TRUE(b.WaitAcked(1));
  MqttDevice a(port_, "INT-A1", secrets_["INT-A1"]);
  ASSERT_TRUE(a.WaitConnected());
  a.Publish("sw/d/INT-A1/telemetry", R"({"values":{"temperature":21.5}})", 1);
  a.Publish("sw/d/INT-A1/telemetry", R"({"values":{"temperature":22.5}})", 1);
  ASSERT_TRUE(a.WaitAcked(2));

  EXPECT_EQ(sub.Wait(), 0) << sub.Output();
  EXPECT_NE(sub.Output().find(R"(sw/d/INT-A1/telemetry {"values":{"temperature":21.5}})"),
            std::string::npos)
      << sub.Output();
  EXPECT_NE(sub.Output().find(R"(sw/d/INT-A1/telemetry {"values":{"temperature":22.5}})"),
            std::string::npos)
      << sub.Output();
  EXPECT_EQ(sub.Output().find("INT-B1"), std::string::npos) << sub.Output();

  ASSERT_TRUE(everything.WaitReceived(2));
  for (const auto& [topic, payload] : everything.Received()) {
    EXPECT_EQ(topic.find("INT-B1"), std::string::npos) << topic;
    EXPECT_EQ(topic.rfind("sw/d/INT-A1/", 0), 0u) << topic;
  }

  // A device registered after the subscription is seen too (the directory is current).
  secrets_["INT-A9"] = Device(a_, "INT-A9");
  MqttDevice late(port_, "INT-A9", secrets_["INT-A9"]);
  ASSERT_TRUE(late.WaitConnected());
  late.Publish("sw/d/INT-A9/telemetry", R"({"values":{"temperature":30}})", 1);
  ASSERT_TRUE(late.WaitAcked(1));
  EXPECT_TRUE(Eventually([&] {
    for (const auto& [topic, payload] : everything.Received()) {
      if (topic == "sw/d/INT-A9/telemetry") return true;
    }
    return false;
  }));

  // Another workshop's device by name, the command topics and provisioning: refused (0x87).
  Client5 refused(port_, read.username, read.secret,
                  {"sw/d/INT-B1/#", "sw/d/INT-A1/cmd", "sw/provision/#"});
  ASSERT_EQ(refused.WaitConnack(), 0);
  EXPECT_EQ(refused.WaitGranted(), (std::vector<int>{0x87, 0x87, 0x87}));
}

TEST_F(IntegrationsTest, AReadAccountMayNotPublish) {
  auto read = CreateIntegration(a_, "read", owner_a_);
  Client5 c(port_, read.username, read.secret, {});
  ASSERT_EQ(c.WaitConnack(), 0);
  const double denied = Metric("sitewatch_mqtt_acl_denied_total{operation=\"publish\"}");
  EXPECT_EQ(c.Publish("sw/d/INT-A3/cmd/request", R"({"name":"identify"})"), 0x87);
  EXPECT_EQ(c.Publish("sw/d/INT-A3/cmd", R"({"id":"x","name":"identify"})"), 0x87);
  EXPECT_EQ(c.Publish("sw/d/INT-A3/telemetry", R"({"values":{"temperature":1}})"), 0x87);
  EXPECT_GE(Metric("sitewatch_mqtt_acl_denied_total{operation=\"publish\"}"), denied + 3);
  EXPECT_TRUE(Commands("INT-A3").empty());
}

TEST_F(IntegrationsTest, AReadWriteAccountsRequestBecomesARealCommand) {
  auto rw = CreateIntegration(a_, "read_write", owner_a_);
  // The device, subscribed to its command topic.
  Client5 device(port_, "INT-A2", secrets_["INT-A2"], {"sw/d/INT-A2/cmd"}, "INT-A2");
  ASSERT_EQ(device.WaitConnack(), 0);
  ASSERT_EQ(device.WaitGranted(), std::vector<int>{1});
  // Devices may not forge requests or commands for themselves.
  EXPECT_EQ(device.Publish("sw/d/INT-A2/cmd/request", R"({"name":"identify"})"), 0x87);
  EXPECT_EQ(device.Publish("sw/d/INT-A2/cmd", R"({"id":"forged","name":"identify"})"), 0x87);
  EXPECT_TRUE(Commands("INT-A2").empty());

  Client5 ha(port_, rw.username, rw.secret, {"sw/d/INT-A2/cmd/result"}, "home-assistant");
  ASSERT_EQ(ha.WaitConnack(), 0);
  ASSERT_EQ(ha.WaitGranted(), std::vector<int>{1});
  EXPECT_EQ(ha.Publish("sw/d/INT-A2/cmd/request", R"({"name":"identify","id":"ha-req-1"})"), 0);

  // Stored as an ordinary command of the device, issued by the integration, and delivered.
  ASSERT_TRUE(Eventually([&] { return Commands("INT-A2").size() == 1; }));
  const json::object cmd = Commands("INT-A2").front().as_object();
  EXPECT_EQ(cmd.at("name").as_string(), "identify");
  EXPECT_EQ(cmd.at("issued_by_integration").as_int64(), rw.id);
  EXPECT_TRUE(cmd.at("issued_by").is_null());
  EXPECT_EQ(cmd.at("idempotency_key").as_string(), "ha-req-1");
  const std::string id(cmd.at("id").as_string());
  ASSERT_TRUE(device.WaitReceived(1));
  const auto delivered = device.Received().front();
  EXPECT_EQ(delivered.first, "sw/d/INT-A2/cmd");
  EXPECT_EQ(json::parse(delivered.second).at("id").as_string(), id);

  // The same request again (a QoS 1 re-send): no second command.
  EXPECT_EQ(ha.Publish("sw/d/INT-A2/cmd/request", R"({"name":"identify","id":"ha-req-1"})"), 0);
  // Configuration commands and unknown ones are refused by the command service.
  EXPECT_EQ(
      ha.Publish("sw/d/INT-A2/cmd/request", R"({"name":"set_interval","params":{"seconds":5}})"),
      0);
  EXPECT_EQ(ha.Publish("sw/d/INT-A2/cmd/request", R"({"name":"bogus"})"), 0);
  EXPECT_EQ(ha.Publish("sw/d/INT-A2/cmd/request", "not json"), 0);
  EXPECT_EQ(Commands("INT-A2").size(), 1u);
  EXPECT_GE(Metric("sitewatch_integration_command_requests_total{result=\"replayed\"}"), 1);
  EXPECT_GE(Metric("sitewatch_integration_command_requests_total{result=\"refused\"}"), 2);
  EXPECT_GE(Metric("sitewatch_integration_command_requests_total{result=\"bad_payload\"}"), 1);
  // Another workshop's device: refused by the broker.
  EXPECT_EQ(ha.Publish("sw/d/INT-B1/cmd/request", R"({"name":"identify"})"), 0x87);

  // The device answers; the integration reads the result; the command succeeds.
  EXPECT_EQ(device.Publish("sw/d/INT-A2/cmd/result",
                           json::serialize(json::object{{"id", id}, {"ok", true}})),
            0);
  ASSERT_TRUE(ha.WaitReceived(1));
  EXPECT_EQ(ha.Received().front().first, "sw/d/INT-A2/cmd/result");
  EXPECT_NE(ha.Received().front().second.find(id), std::string::npos);
  ASSERT_TRUE(Eventually(
      [&] { return Commands("INT-A2").front().at("state").as_string() == "succeeded"; }));

  // Audited as the integration's.
  auto audit = Call("GET", "/api/v1/audit?action=command.send", owner_a_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("integration:" + rw.username), std::string::npos) << audit.body;
}

TEST_F(IntegrationsTest, RotateDisableAndDeleteCloseTheConnectionAndRefuseTheNextConnect) {
  auto rw = CreateIntegration(a_, "read", owner_a_);
  const std::string path = "/api/v1/integrations/" + std::to_string(rw.id);
  {
    Client5 live(port_, rw.username, rw.secret, {"sw/d/+/status"}, "int-live");
    ASSERT_EQ(live.WaitConnack(), 0);
    auto rotated = Call("POST", path + "/rotate-secret", owner_a_);
    ASSERT_EQ(rotated.status, 200) << rotated.body;
    const std::string secret(rotated.Json().at("data").at("secret").as_string());
    EXPECT_NE(secret, rw.secret);
    // The live connection is closed by the server: 0x98 administrative action.
    EXPECT_TRUE(Eventually([&] { return live.disconnect_reason() >= 0; }));
    EXPECT_EQ(live.disconnect_reason(), 0x98);
    rw.secret = secret;
  }
  // The old secret no longer connects (0x86); the new one does.
  Client5 old(port_, rw.username, "wrong-or-old-secret", {});
  EXPECT_EQ(old.WaitConnack(), 0x86);
  {
    Client5 again(port_, rw.username, rw.secret, {});
    EXPECT_EQ(again.WaitConnack(), 0);
    auto off = Call("PATCH", path, owner_a_, R"({"enabled":false})");
    ASSERT_EQ(off.status, 200) << off.body;
    EXPECT_FALSE(off.Json().at("data").at("enabled").as_bool());
    EXPECT_TRUE(Eventually([&] { return again.disconnect_reason() >= 0; }));
  }
  Client5 disabled(port_, rw.username, rw.secret, {});
  EXPECT_EQ(disabled.WaitConnack(), 0x87);
  ASSERT_EQ(Call("PATCH", path, owner_a_, R"({"enabled":true})").status, 200);
  {
    Client5 back(port_, rw.username, rw.secret, {});
    EXPECT_EQ(back.WaitConnack(), 0);
    auto deleted = Call("DELETE", path, owner_a_);
    ASSERT_EQ(deleted.status, 200) << deleted.body;
    EXPECT_TRUE(Eventually([&] { return back.disconnect_reason() >= 0; }));
  }
  auto [code, out] = RunChild(Sub(rw.username, rw.secret, {"-t", "sw/#", "-C", "1", "-W", "2"}));
  EXPECT_NE(code, 0) << out;
  Client5 gone(port_, rw.username, rw.secret, {});
  EXPECT_EQ(gone.WaitConnack(), 0x86);
  EXPECT_EQ(Call("GET", path, owner_a_).status, 404);
}

}  // namespace
}  // namespace sw::testing
