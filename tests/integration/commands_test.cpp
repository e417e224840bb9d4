// Commands to devices end to end (issue 7): REST -> command service -> broker -> a real MQTT
// device (libmosquitto) -> cmd/result -> the command's state; the HTTP long-poll path; the
// socket view (reported vs commanded state) and bulk cut of a gateway and of a workshop.
#include <gtest/gtest.h>
#include <mosquitto.h>

#include <algorithm>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"
#include "mqtt_device.hpp"
#include "ws_client.hpp"

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
    Publish("sw/d/" + uid + "/cmd/result", json::serialize(result));
  }
  void Publish(const std::string& topic, const std::string& payload) {
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
    // Outlets: CCU-2.01 (socket view), CCU-3.01/.02 (gateway cut); workshop C for its cut.
    const auto gateway = [&](std::int64_t ws, const std::string& uid, int outlets) {
      secrets_[uid] = reg(ws, {{"uid", uid}, {"kind", "gateway"}});
      for (int address = 1; address <= outlets; ++address) {
        reg(ws, {{"kind", "outlet"}, {"parent_uid", uid}, {"radio_address", address}});
      }
    };
    gateway(a_, "CCU-2", 1);
    gateway(a_, "CCU-3", 2);
    c_ = Workshop(client, "Commands C");
    gateway(c_, "CGW-1", 2);
    gateway(c_, "CGW-2", 1);
    auto disabled =
        client.Request("PATCH", "/api/v1/devices/CGW-1.02", R"({"status":"disabled"})", admin_);
    EXPECT_EQ(disabled.status, 200) << disabled.body;
    owner_ = User(client, "cmd.owner", "owner", a_);
    staff_ = User(client, "cmd.staff", "staff", a_);
    customer_ = User(client, "cmd.customer", "customer", a_);
    owner_b_ = User(client, "cmd.owner.b", "owner", b_);
    owner_c_ = User(client, "cmd.owner.c", "owner", c_);
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

  json::object Sockets(const std::string& uid, const std::string& token) {
    auto r = server_->Client().Get("/api/v1/devices/" + uid + "/sockets", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json().at("data").as_object() : json::object{};
  }
  static json::object Socket(const json::object& outlet, std::size_t i) {
    const auto* sockets = outlet.if_contains("sockets");
    if (!sockets || sockets->as_array().size() <= i) return {};
    return sockets->as_array()[i].as_object();
  }
  HttpResult Cut(const std::string& path, json::object body, const std::string& token) {
    return server_->Client().Post(path, body, token);
  }

  static std::unique_ptr<ServerProcess> server_;
  static std::string admin_, owner_, staff_, customer_, owner_b_, owner_c_;
  static std::int64_t a_, b_, c_;
  static std::map<std::string, std::string> secrets_;
};

std::unique_ptr<ServerProcess> CommandsTest::server_;
std::string CommandsTest::admin_, CommandsTest::owner_, CommandsTest::staff_,
    CommandsTest::customer_, CommandsTest::owner_b_, CommandsTest::owner_c_;
std::int64_t CommandsTest::a_ = 0, CommandsTest::b_ = 0, CommandsTest::c_ = 0;
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

// A device that polls over HTTP may also hold an MQTT connection that only publishes (its
// telemetry). It is online, but nobody is subscribed to its command topic: an MQTT delivery
// would reach no one and leave the command `sent` until its re-send. The long poll gets it.
TEST_F(CommandsTest, AnOnlineDeviceThatDoesNotSubscribeGetsItsCommandByLongPoll) {
  MqttDevice telemetry_only(MqttPort(*server_), "HTTP-1", secrets_["HTTP-1"]);
  ASSERT_TRUE(telemetry_only.WaitConnected());
  telemetry_only.Publish("sw/d/HTTP-1/telemetry", R"({"values":{"temperature":21.5}})", 1);
  ASSERT_TRUE(telemetry_only.WaitAcked(1));
  auto sent = Send("HTTP-1", {{"name", "set_interval"}, {"params", {{"seconds", 15}}}}, owner_);
  ASSERT_EQ(sent.status, 202) << sent.body;
  EXPECT_EQ(State(Id(sent)), "queued");  // not "sent" into the void
  auto got = server_->Client().Request("GET", "/api/v1/device/commands?wait=2", {}, {},
                                       {{"Authorization", Basic("HTTP-1", secrets_["HTTP-1"])}});
  ASSERT_EQ(got.status, 200) << got.body;
  const auto items = got.Json().at("data").as_array();
  ASSERT_EQ(items.size(), 1u) << got.body;
  EXPECT_EQ(items[0].at("id").as_string(), Id(sent));
  EXPECT_EQ(State(Id(sent)), "sent");
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

// Issue 7, "truth about state": the relay state shown is what the device last reported, with
// its time; the commanded state is shown beside it while the command is open and goes when it
// ends — confirmed (then the confirmation is the newest report) or expired (nothing changes).
TEST_F(CommandsTest, SocketsShowTheReportedStateAndTheCommandedOneSeparately) {
  CommandDevice gw(MqttPort(*server_), "CCU-2", secrets_["CCU-2"], {"sw/d/CCU-2.01/cmd"});
  ASSERT_TRUE(gw.WaitSubscribed());
  // Nothing reported yet: unknown.
  auto before = Sockets("CCU-2.01", staff_);
  EXPECT_EQ(Socket(before, 0).at("relay").at("state"), "unknown");
  EXPECT_TRUE(Socket(before, 0).at("current_ma").is_null());
  // The gateway reports its outlet's status as telemetry on the outlet's topic.
  gw.Publish("sw/d/CCU-2.01/telemetry",
             R"({"values":{"relay_a":1,"current_a_ma":1500,"tripped_a":0,"relay_b":0,)"
             R"("current_b_ma":0,"tripped_b":1,"threshold_ma":3000}})");
  ASSERT_TRUE(Eventually([&] {
    return Socket(Sockets("CCU-2.01", staff_), 0).at("relay").at("state") == "on";
  })) << server_->Log();
  auto reported = Sockets("CCU-2.01", staff_);
  EXPECT_EQ(reported.at("device_uid"), "CCU-2.01");
  EXPECT_EQ(reported.at("gateway_uid"), "CCU-2");
  EXPECT_EQ(reported.at("workshop_id").as_int64(), a_);
  auto a = Socket(reported, 0);
  EXPECT_EQ(a.at("socket"), "a");
  EXPECT_EQ(a.at("relay").at("source"), "telemetry");
  EXPECT_TRUE(a.at("relay").at("at").is_string());
  EXPECT_EQ(a.at("current_ma").at("value").as_int64(), 1500);
  EXPECT_EQ(a.at("current_ma").at("at"), a.at("relay").at("at"));
  EXPECT_EQ(a.at("tripped").at("value"), false);
  EXPECT_EQ(a.at("threshold_ma").at("value").as_int64(), 3000);
  EXPECT_TRUE(a.at("commanded").is_null());
  auto b = Socket(reported, 1);
  EXPECT_EQ(b.at("relay").at("state"), "off");
  EXPECT_EQ(b.at("tripped").at("value"), true);

  // Switch socket a off: until the device confirms, it is shown as commanded, not as done.
  auto off =
      Send("CCU-2.01", {{"name", "relay"}, {"params", {{"socket", "a"}, {"on", false}}}}, staff_);
  ASSERT_EQ(off.status, 202) << off.body;
  a = Socket(Sockets("CCU-2.01", staff_), 0);
  EXPECT_EQ(a.at("relay").at("state"), "on");
  ASSERT_TRUE(a.at("commanded").is_object()) << json::serialize(a);
  EXPECT_EQ(a.at("commanded").at("on"), false);
  EXPECT_EQ(a.at("commanded").at("command_id"), json::value(Id(off)));
  EXPECT_EQ(a.at("commanded").at("name"), "relay");
  const auto state = a.at("commanded").at("state");
  EXPECT_TRUE(state == "queued" || state == "sent") << state;
  EXPECT_TRUE(Socket(Sockets("CCU-2.01", staff_), 1).at("commanded").is_null());
  ASSERT_TRUE(Eventually([&] { return gw.Count() >= 1; }));
  gw.Answer("CCU-2.01", {{"id", Id(off)}, {"ok", true}, {"current_ma", 12}});
  ASSERT_TRUE(Eventually([&] { return State(Id(off)) == "succeeded"; }));
  // Confirmed: the device's answer is the newest report, with the measured current.
  a = Socket(Sockets("CCU-2.01", staff_), 0);
  EXPECT_EQ(a.at("relay").at("state"), "off");
  EXPECT_EQ(a.at("relay").at("source"), "command_result");
  EXPECT_EQ(a.at("relay").at("verified"), true);
  EXPECT_EQ(a.at("relay").at("at"), Command(Id(off)).at("finished_at"));
  EXPECT_EQ(a.at("current_ma").at("value").as_int64(), 12);
  EXPECT_TRUE(a.at("commanded").is_null());

  // Socket b on, never answered: commanded while open, gone once expired, reported unchanged.
  auto on =
      Send("CCU-2.01",
           {{"name", "relay"}, {"params", {{"socket", "b"}, {"on", true}}}, {"expires_in_s", 2}},
           staff_);
  ASSERT_EQ(on.status, 202) << on.body;
  b = Socket(Sockets("CCU-2.01", staff_), 1);
  ASSERT_TRUE(b.at("commanded").is_object()) << json::serialize(b);
  EXPECT_EQ(b.at("commanded").at("on"), true);
  EXPECT_EQ(b.at("relay").at("state"), "off");
  ASSERT_TRUE(Eventually([&] { return State(Id(on)) == "expired"; }, 5s));
  b = Socket(Sockets("CCU-2.01", staff_), 1);
  EXPECT_TRUE(b.at("commanded").is_null());
  EXPECT_EQ(b.at("relay").at("state"), "off");
  EXPECT_EQ(b.at("relay").at("source"), "telemetry");

  // The gateway's view lists its outlet with the same sockets.
  auto outlets = server_->Client().Get("/api/v1/devices/CCU-2/outlets", owner_);
  ASSERT_EQ(outlets.status, 200) << outlets.body;
  const auto list = outlets.Json().at("data").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("device_uid"), "CCU-2.01");
  EXPECT_EQ(Socket(list[0].as_object(), 0).at("relay").at("state"), "off");
  // Not an outlet / not a gateway; other workshop; customer.
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/CCU-2/sockets", owner_).status, 400);
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/CCU-2.01/outlets", owner_).status, 400);
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/CCU-2.01/sockets", owner_b_).status, 404);
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/CCU-2/outlets", owner_b_).status, 404);
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/CCU-2.01/sockets", customer_).status, 403);
}

// Issue 7, bulk actions: cutting a gateway creates one command per outlet and reports each;
// here the gateway answers for one outlet and not for the other.
TEST_F(CommandsTest, CuttingAGatewayCommandsEachOutletAndReportsEachResult) {
  CommandDevice gw(MqttPort(*server_), "CCU-3", secrets_["CCU-3"],
                   {"sw/d/CCU-3.01/cmd", "sw/d/CCU-3.02/cmd"});
  ASSERT_TRUE(gw.WaitSubscribed());
  WsClient ws(server_->http_port());
  ASSERT_TRUE(ws.ok()) << ws.error();
  ASSERT_EQ(ws.Call(json::object{{"type", "auth"}, {"token", owner_}}).Json()["type"], "ready");
  ASSERT_EQ(
      ws.Call(json::object{{"type", "subscribe"}, {"id", 1}, {"workshops", {a_}}}).Json()["type"],
      "subscribed");

  const json::object body{{"expires_in_s", 2}, {"idempotency_key", "cut-ccu-3"}};
  auto cut = Cut("/api/v1/devices/CCU-3/cut", body, staff_);
  ASSERT_EQ(cut.status, 202) << cut.body;
  const auto data = cut.Json().at("data").as_object();
  EXPECT_EQ(data.at("target"), "gateway");
  EXPECT_EQ(data.at("target_uid"), "CCU-3");
  EXPECT_EQ(data.at("workshop_id").as_int64(), a_);
  EXPECT_EQ(data.at("created").as_int64(), 2);
  EXPECT_EQ(data.at("refused").as_int64(), 0);
  const auto results = data.at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  std::map<std::string, std::string> ids;  // outlet -> command
  for (const auto& r : results) {
    EXPECT_TRUE(r.at("error").is_null()) << json::serialize(r);
    EXPECT_EQ(r.at("created"), true);
    ids[std::string(r.at("device_uid").as_string())] = std::string(r.at("command_id").as_string());
  }
  ASSERT_EQ(ids.size(), 2u);
  ASSERT_TRUE(ids.contains("CCU-3.01") && ids.contains("CCU-3.02"));

  ASSERT_TRUE(Eventually([&] { return gw.Count() >= 2; })) << server_->Log();
  for (const auto& [topic, msg] : gw.Commands()) {
    EXPECT_EQ(msg.at("name"), "cut");
    EXPECT_EQ(json::serialize(msg.at("params")), R"({"sockets":"all"})");
    const std::string uid = topic.substr(5, topic.size() - 5 - 4);  // sw/d/{uid}/cmd
    EXPECT_EQ(msg.at("id"), json::value(ids[uid])) << topic;
  }
  gw.Answer("CCU-3.01", {{"id", ids["CCU-3.01"]}, {"ok", true}});
  ASSERT_TRUE(Eventually([&] { return State(ids["CCU-3.01"]) == "succeeded"; }));
  ASSERT_TRUE(Eventually([&] { return State(ids["CCU-3.02"]) == "expired"; }, 5s));

  // Retried with the same key: the same two commands, nothing new.
  auto again = Cut("/api/v1/devices/CCU-3/cut", body, staff_);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json().at("data").at("created").as_int64(), 0);
  const auto replayed = again.Json();
  for (const auto& r : replayed.at("data").at("results").as_array()) {
    EXPECT_EQ(r.at("command_id"), json::value(ids[std::string(r.at("device_uid").as_string())]));
    EXPECT_EQ(r.at("created"), false);
  }

  // A live `command` event for every transition of each command.
  std::set<std::string> heard;
  const std::set<std::string> wanted = {
      ids["CCU-3.01"] + ":queued", ids["CCU-3.01"] + ":sent", ids["CCU-3.01"] + ":succeeded",
      ids["CCU-3.02"] + ":queued", ids["CCU-3.02"] + ":sent", ids["CCU-3.02"] + ":expired"};
  while (!std::includes(heard.begin(), heard.end(), wanted.begin(), wanted.end())) {
    auto f = ws.Read(3s);
    std::string so_far;
    for (const auto& h : heard) so_far += " " + h;
    ASSERT_EQ(f.kind, WsFrame::Kind::kText) << "heard:" << so_far << "; " << f.reason;
    auto e = f.Json();
    if (e["type"] != "command") continue;
    heard.insert(std::string(e["id"].as_string()) + ":" +
                 std::string(e["transition"].at("state").as_string()));
  }

  // Audited: the request, and each command like a single send.
  auto audit = server_->Client().Get("/api/v1/audit?action=command.cut&page_size=100", owner_);
  ASSERT_EQ(audit.status, 200) << audit.body;
  bool found = false;
  const auto entries = audit.Json();
  for (const auto& e : entries.at("data").as_array()) {
    found = found || e.at("resource_id") == "CCU-3";
  }
  EXPECT_TRUE(found) << audit.body;
  auto sends = server_->Client().Get("/api/v1/audit?action=command.send&page_size=100", owner_);
  ASSERT_EQ(sends.status, 200);
  for (const auto& [uid, id] : ids) {
    EXPECT_NE(sends.body.find(id), std::string::npos) << uid << " not audited";
  }
}

// A workshop cut reaches every outlet of the workshop; a disabled one is refused with its
// reason; other workshops' users cannot cut (404) and customers may not (403).
TEST_F(CommandsTest, CuttingAWorkshopRefusesWhatMayNotBeCommandedAndStaysInTheWorkshop) {
  const std::string ws_c = "/api/v1/workshops/" + std::to_string(c_) + "/cut";
  EXPECT_EQ(Cut(ws_c, {}, owner_b_).status, 404);
  EXPECT_EQ(Cut("/api/v1/devices/CGW-1/cut", {}, owner_b_).status, 404);
  EXPECT_EQ(Cut("/api/v1/devices/CGW-1.01/cut", {}, owner_b_).status, 404);
  EXPECT_EQ(server_->Client().Get("/api/v1/devices/CGW-1.01/sockets", owner_b_).status, 404);
  EXPECT_EQ(Cut("/api/v1/workshops/" + std::to_string(a_) + "/cut", {}, customer_).status, 403);
  EXPECT_EQ(Cut("/api/v1/devices/CCU-3/cut", {}, customer_).status, 403);
  EXPECT_EQ(Cut("/api/v1/devices/NODE-4/cut", {}, owner_).status, 400);
  EXPECT_EQ(Cut(ws_c, {{"bogus", 1}}, owner_c_).status, 400);
  auto none = server_->Client().Get("/api/v1/devices/CGW-1.01/commands", owner_c_);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.Json().at("meta").at("total").as_int64(), 0);  // nothing was created

  auto cut = Cut(ws_c, {}, owner_c_);
  ASSERT_EQ(cut.status, 202) << cut.body;
  const auto data = cut.Json().at("data").as_object();
  EXPECT_EQ(data.at("target"), "workshop");
  EXPECT_TRUE(data.at("target_uid").is_null());
  EXPECT_EQ(data.at("created").as_int64(), 2);
  EXPECT_EQ(data.at("refused").as_int64(), 1);
  const auto results = data.at("results").as_array();
  ASSERT_EQ(results.size(), 3u) << cut.body;
  EXPECT_EQ(results[0].at("device_uid"), "CGW-1.01");
  EXPECT_EQ(results[0].at("state"), "queued");  // the gateway is offline: queued until it is back
  EXPECT_EQ(results[1].at("device_uid"), "CGW-1.02");
  EXPECT_TRUE(results[1].at("command_id").is_null());
  EXPECT_EQ(results[1].at("error").at("code"), "DEVICE_DISABLED");
  EXPECT_NE(std::string(results[1].at("error").at("message").as_string()).find("disabled"),
            std::string::npos);
  EXPECT_EQ(results[2].at("device_uid"), "CGW-2.01");
  EXPECT_TRUE(results[2].at("command_id").is_string());
  // The cut shows as commanded on both sockets of the outlets it reached.
  for (std::size_t i = 0; i < 2; ++i) {
    const auto s = Socket(Sockets("CGW-2.01", owner_c_), i);
    ASSERT_TRUE(s.at("commanded").is_object()) << json::serialize(s);
    EXPECT_EQ(s.at("commanded").at("name"), "cut");
    EXPECT_EQ(s.at("commanded").at("on"), false);
  }

  // The disabled outlet alone, by a command or by a cut: refused with a clear error.
  auto relay =
      Send("CGW-1.02", {{"name", "relay"}, {"params", {{"socket", "a"}, {"on", true}}}}, owner_c_);
  EXPECT_EQ(relay.status, 409) << relay.body;
  EXPECT_EQ(relay.ErrorCode(), "DEVICE_DISABLED");
  auto single = Cut("/api/v1/devices/CGW-1.02/cut", {}, owner_c_);
  EXPECT_EQ(single.status, 409) << single.body;
  EXPECT_EQ(single.ErrorCode(), "DEVICE_DISABLED");
  // Workshop A's outlets were not touched.
  auto a_list = server_->Client().Get("/api/v1/devices/CCU-2.01/commands?page_size=100", owner_);
  ASSERT_EQ(a_list.status, 200);
  EXPECT_EQ(a_list.body.find("\"cut\""), std::string::npos);
}

}  // namespace
}  // namespace sw::testing
