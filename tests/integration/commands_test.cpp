// Commands to devices end to end (issue 7): REST -> command service -> broker -> a real MQTT
// device (libmosquitto) -> cmd/result -> the command's state; and the HTTP long-poll path.
#include <gtest/gtest.h>
#include <mosquitto.h>

#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "Commands-test-pw-4711";

// A device that subscribes to command topics and answers them (mqtt_device.hpp has no
// subscribe). Thread-safe through its mutex; libmosquitto's loop thread fills `received_`.
class CommandDevice {
 public:
  CommandDevice(int port, const std::string& uid, const std::string& secret,
                std::vector<std::string> topics)
      : topics_(std::move(topics)) {
    mosq_ = mosquitto_new(nullptr, true, this);
    mosquitto_username_pw_set(mosq_, uid.c_str(), secret.c_str());
    mosquitto_connect_callback_set(mosq_, [](mosquitto* m, void* self, int rc) {
      auto* d = static_cast<CommandDevice*>(self);
      if (rc != 0) return;
      for (const auto& t : d->topics_) mosquitto_subscribe(m, nullptr, t.c_str(), 1);
    });
    mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
      static_cast<CommandDevice*>(self)->subscribed_ += 1;
    });
    mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* d = static_cast<CommandDevice*>(self);
      std::lock_guard lock(d->mutex_);
      d->received_.push_back({m->topic, std::string(static_cast<const char*>(m->payload),
                                                    static_cast<std::size_t>(m->payloadlen))});
    });
    EXPECT_EQ(mosquitto_connect(mosq_, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
    mosquitto_loop_start(mosq_);
  }
  ~CommandDevice() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
  bool WaitSubscribed() {
    return Eventually([&] { return subscribed_.load() >= static_cast<int>(topics_.size()); });
  }
  // The command messages received so far: {topic, parsed payload}.
  std::vector<std::pair<std::string, json::object>> Commands() {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, json::object>> out;
    for (const auto& [topic, payload] : received_) {
      out.emplace_back(topic, json::parse(payload).as_object());
    }
    return out;
  }
  std::size_t Count() {
    std::lock_guard lock(mutex_);
    return received_.size();
  }
  void Answer(const std::string& uid, const json::object& result) {
    const std::string topic = "sw/d/" + uid + "/cmd/result";
    const std::string payload = json::serialize(result);
    mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                      payload.data(), 1, false);
  }

 private:
  mosquitto* mosq_ = nullptr;
  std::vector<std::string> topics_;
  std::atomic<int> subscribed_{0};
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> received_;
};

class CommandsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mosquitto_lib_init();
    server_ =
        std::make_unique<ServerProcess>(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, ""});
    auto client = server_->Client();
    admin_ = Login(client, "admin", ServerProcess::kAdminPassword);
    a_ = Workshop(client, "Commands A");
    b_ = Workshop(client, "Commands B");
    const auto reg = [&](std::int64_t ws, json::object body) {
      auto r = client.Post("/api/v1/workshops/" + std::to_string(ws) + "/devices", body, admin_);
      EXPECT_EQ(r.status, 201) << r.body;
      return std::string(r.Json().at("data").at("secret").as_string());
    };
    secrets_["CCU-1"] = reg(a_, {{"uid", "CCU-1"}, {"kind", "gateway"}});
    reg(a_, {{"kind", "outlet"}, {"parent_uid", "CCU-1"}, {"radio_address", 1}});
    for (const char* uid : {"NODE-1", "NODE-2", "NODE-3", "NODE-4", "HTTP-1"}) {
      secrets_[uid] = reg(a_, {{"uid", uid}, {"kind", "sensor_node"}});
    }
    reg(b_, {{"uid", "NODE-B"}, {"kind", "sensor_node"}});
    owner_ = User(client, "cmd.owner", "owner", a_);
    staff_ = User(client, "cmd.staff", "staff", a_);
    customer_ = User(client, "cmd.customer", "customer", a_);
    owner_b_ = User(client, "cmd.owner.b", "owner", b_);
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

  HttpResult Send(const std::string& uid, json::object body, const std::string& token) {
    return server_->Client().Post("/api/v1/devices/" + uid + "/commands", body, token);
  }
  json::object Command(const std::string& id) {
    auto r = server_->Client().Get("/api/v1/commands/" + id, owner_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().at("data").as_object();
  }
  std::string State(const std::string& id) {
    return std::string(Command(id).at("state").as_string());
  }
  static std::string Id(const HttpResult& r) {
    return std::string(r.Json().at("data").at("id").as_string());
  }
  static std::string Basic(const std::string& uid, const std::string& secret);

  static std::unique_ptr<ServerProcess> server_;
  static std::string admin_, owner_, staff_, customer_, owner_b_;
  static std::int64_t a_, b_;
  static std::map<std::string, std::string> secrets_;
};

std::unique_ptr<ServerProcess> CommandsTest::server_;
std::string CommandsTest::admin_, CommandsTest::owner_, CommandsTest::staff_,
    CommandsTest::customer_, CommandsTest::owner_b_;
std::int64_t CommandsTest::a_ = 0, CommandsTest::b_ = 0;
std::map<std::string, std::string> CommandsTest::secrets_;

std::string CommandsTest::Basic(const std::string& uid, const std::string& secret) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = uid + ":" + secret;
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(kAlphabet[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(kAlphabet[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return "Basic " + out;
}

TEST_F(CommandsTest, RelayCommandReachesTheGatewayAndIsVerifiedByCurrent) {
  CommandDevice gw(MqttPort(*server_), "CCU-1", secrets_["CCU-1"], {"sw/d/CCU-1.01/cmd"});
  ASSERT_TRUE(gw.WaitSubscribed());
  auto sent =
      Send("CCU-1.01", {{"name", "relay"}, {"params", {{"socket", "a"}, {"on", true}}}}, staff_);
  ASSERT_EQ(sent.status, 202) << sent.body;
  const std::string id = Id(sent);
  ASSERT_TRUE(Eventually([&] { return gw.Count() >= 1; })) << server_->Log();
  auto [topic, msg] = gw.Commands().front();
  EXPECT_EQ(topic, "sw/d/CCU-1.01/cmd");
  EXPECT_EQ(msg.at("id").as_string(), id);
  EXPECT_EQ(msg.at("name").as_string(), "relay");
  EXPECT_EQ(json::serialize(msg.at("params")), R"({"socket":"a","on":true})");
  EXPECT_TRUE(msg.at("expires_at").is_int64());
  EXPECT_EQ(State(id), "sent");
  gw.Answer("CCU-1.01", {{"id", id}, {"ok", true}, {"detail", "switched"}, {"current_ma", 1800}});
  ASSERT_TRUE(Eventually([&] { return State(id) == "succeeded"; }));
  const auto c = Command(id);
  EXPECT_EQ(c.at("verified"), json::value(true));
  EXPECT_EQ(c.at("measured_ma").as_int64(), 1800);
  EXPECT_GE(c.at("transitions").as_array().size(), 3u);  // queued, sent, succeeded

  // Off, but the load still draws current: a welded relay is flagged.
  auto off =
      Send("CCU-1.01", {{"name", "relay"}, {"params", {{"socket", "a"}, {"on", false}}}}, staff_);
  ASSERT_EQ(off.status, 202) << off.body;
  ASSERT_TRUE(Eventually([&] { return gw.Count() >= 2; }));
  gw.Answer("CCU-1.01", {{"id", Id(off)}, {"ok", true}, {"current_ma", 1750}});
  ASSERT_TRUE(Eventually([&] { return State(Id(off)) == "succeeded"; }));
  EXPECT_EQ(Command(Id(off)).at("verified"), json::value(false));
}

TEST_F(CommandsTest, DeviceAnswersFailure) {
  CommandDevice node(MqttPort(*server_), "NODE-1", secrets_["NODE-1"], {"sw/d/NODE-1/cmd"});
  ASSERT_TRUE(node.WaitSubscribed());
  auto sent = Send("NODE-1", {{"name", "restart"}}, staff_);
  ASSERT_EQ(sent.status, 202) << sent.body;
  ASSERT_TRUE(Eventually([&] { return node.Count() >= 1; }));
  node.Answer("NODE-1", {{"id", Id(sent)}, {"ok", false}, {"detail", "busy flashing"}});
  ASSERT_TRUE(Eventually([&] { return State(Id(sent)) == "failed"; }));
  EXPECT_EQ(Command(Id(sent)).at("result_detail").as_string(), "busy flashing");
}

TEST_F(CommandsTest, UnansweredCommandIsResentWithTheSameIdThenExpiresAndIsNeverSentAgain) {
  CommandDevice node(MqttPort(*server_), "NODE-2", secrets_["NODE-2"], {"sw/d/NODE-2/cmd"});
  ASSERT_TRUE(node.WaitSubscribed());
  auto sent = Send("NODE-2", {{"name", "identify"}, {"expires_in_s", 4}}, staff_);
  ASSERT_EQ(sent.status, 202) << sent.body;
  const std::string id = Id(sent);
  // First delivery at once, a re-send after 2 s (back-off), both with the same id.
  ASSERT_TRUE(Eventually([&] { return node.Count() >= 2; }, 6s)) << node.Count();
  for (const auto& [topic, msg] : node.Commands()) EXPECT_EQ(msg.at("id").as_string(), id);
  ASSERT_TRUE(Eventually([&] { return State(id) == "expired"; }, 6s));
  const std::size_t after_expiry = node.Count();
  // A result after the expiry is recorded but changes nothing.
  node.Answer("NODE-2", {{"id", id}, {"ok", true}});
  ASSERT_TRUE(Eventually([&] {
    const auto t = Command(id).at("transitions").as_array();
    return json::serialize(t).find("late result") != std::string::npos;
  }));
  EXPECT_EQ(State(id), "expired");
  std::this_thread::sleep_for(3s);  // longer than the next back-off step: nothing more comes
  EXPECT_EQ(node.Count(), after_expiry);
}

TEST_F(CommandsTest, OfflineDeviceGetsItsValidCommandsOnReconnectAndNeverTheExpiredOnes) {
  auto stale = Send("NODE-3", {{"name", "identify"}, {"expires_in_s", 1}}, staff_);
  auto valid = Send("NODE-3", {{"name", "restart"}}, staff_);
  ASSERT_EQ(stale.status, 202) << stale.body;
  ASSERT_EQ(valid.status, 202) << valid.body;
  ASSERT_TRUE(Eventually([&] { return State(Id(stale)) == "expired"; }, 5s));
  EXPECT_EQ(State(Id(valid)), "queued");
  CommandDevice node(MqttPort(*server_), "NODE-3", secrets_["NODE-3"], {"sw/d/NODE-3/cmd"});
  ASSERT_TRUE(node.WaitSubscribed());
  ASSERT_TRUE(Eventually([&] { return node.Count() >= 1; }, 6s)) << server_->Log();
  for (const auto& [topic, msg] : node.Commands()) {
    EXPECT_EQ(msg.at("id").as_string(), Id(valid));
  }
  node.Answer("NODE-3", {{"id", Id(valid)}, {"ok", true}});
  ASSERT_TRUE(Eventually([&] { return State(Id(valid)) == "succeeded"; }));
}

TEST_F(CommandsTest, IdempotencyKeyCreatesOneCommand) {
  json::object body{{"name", "identify"}, {"idempotency_key", "click-7"}};
  auto first = Send("NODE-1", body, staff_);
  auto again = Send("NODE-1", body, staff_);
  ASSERT_EQ(first.status, 202) << first.body;
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Id(first), Id(again));
  body["name"] = "restart";
  EXPECT_EQ(Send("NODE-1", body, staff_).ErrorCode(), "IDEMPOTENCY_KEY_REUSED");
}

TEST_F(CommandsTest, PollingDeviceGetsItsCommandsByLongPoll) {
  const std::string auth = Basic("HTTP-1", secrets_["HTTP-1"]);
  auto empty = server_->Client().Request("GET", "/api/v1/device/commands", {}, {},
                                         {{"Authorization", auth}});
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(empty.Json().at("data").as_array().empty());
  auto poll = std::async(std::launch::async, [&] {
    return server_->Client().Request("GET", "/api/v1/device/commands?wait=10", {}, {},
                                     {{"Authorization", auth}});
  });
  std::this_thread::sleep_for(300ms);  // let the poll start waiting
  auto sent = Send("HTTP-1", {{"name", "set_interval"}, {"params", {{"seconds", 15}}}}, owner_);
  ASSERT_EQ(sent.status, 202) << sent.body;
  ASSERT_EQ(poll.wait_for(5s), std::future_status::ready);
  auto got = poll.get();
  ASSERT_EQ(got.status, 200) << got.body;
  const auto items = got.Json().at("data").as_array();
  ASSERT_EQ(items.size(), 1u) << got.body;
  EXPECT_EQ(items[0].at("id").as_string(), Id(sent));
  EXPECT_EQ(State(Id(sent)), "sent");
  auto result = server_->Client().Request(
      "POST", "/api/v1/device/commands/" + Id(sent) + "/result", R"({"ok":true,"detail":"15 s"})",
      {}, {{"Authorization", auth}, {"Content-Type", "application/json"}});
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(State(Id(sent)), "succeeded");
  // Another device cannot answer it; a bad secret is refused.
  auto wrong = server_->Client().Request("POST", "/api/v1/device/commands/" + Id(sent) + "/result",
                                         R"({"ok":true})", {},
                                         {{"Authorization", Basic("NODE-1", secrets_["NODE-1"])}});
  EXPECT_EQ(wrong.status, 404) << wrong.body;
  auto bad = server_->Client().Request("GET", "/api/v1/device/commands", {}, {},
                                       {{"Authorization", Basic("HTTP-1", "nope")}});
  EXPECT_EQ(bad.status, 401) << bad.body;
}

TEST_F(CommandsTest, TenancyRolesAndValidation) {
  auto other = Send("NODE-4", {{"name", "identify"}}, owner_b_);
  EXPECT_EQ(other.status, 404) << other.body;
  ASSERT_EQ(Send("NODE-4", {{"name", "restart"}}, owner_).status, 202);
  auto mine = Send("NODE-4", {{"name", "identify"}}, owner_);
  ASSERT_EQ(mine.status, 202) << mine.body;
  EXPECT_EQ(server_->Client().Get("/api/v1/commands/" + Id(mine), owner_b_).status, 404);
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/NODE-4/commands", owner_b_).status, 404);
  EXPECT_EQ(Send("NODE-4", {{"name", "identify"}}, customer_).status, 403);
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/NODE-4/commands", customer_).status, 403);
  auto config = Send("NODE-4", {{"name", "set_interval"}, {"params", {{"seconds", 30}}}}, staff_);
  EXPECT_EQ(config.status, 403) << config.body;
  auto bad =
      Send("NODE-4", {{"name", "relay"}, {"params", {{"socket", "a"}, {"on", true}}}}, owner_);
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto unknown =
      Send("NODE-4", {{"name", "set_interval"}, {"params", {{"seconds", 30}, {"x", 1}}}}, owner_);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  auto list = server_->Client().Get("/api/v1/devices/NODE-4/commands?page_size=2", staff_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Json().at("data").as_array().size(), 2u);
  EXPECT_EQ(list.Json().at("meta").at("total").as_int64(), 2);
  EXPECT_EQ(list.Json().at("data").as_array()[0].at("id").as_string(), Id(mine));  // newest
  auto cancelled =
      server_->Client().Post("/api/v1/commands/" + Id(mine) + "/cancel", json::object{}, staff_);
  // NODE-4 never connected, so its identify is still queued.
  EXPECT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(State(Id(mine)), "cancelled");
}

}  // namespace
}  // namespace sw::testing
