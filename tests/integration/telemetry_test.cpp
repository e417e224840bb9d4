// Telemetry end to end (issue 5): a real device over MQTT and over the HTTP device API →
// durable rows → latest values, history, statistics, CSV export and events; invalid values
// flagged; presence from status, will and connection; workshops never see each other's data.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "broker_util.hpp"
#include "harness.hpp"
#include "mqtt_device.hpp"
#include "ws_client.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "telemetry-owner-pw-1";

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(n >> k) & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned n =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

class Telemetry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>(
        ServerOptions{{"--mqtt-sys-interval-s", "0", "--devices-offline-after-s", "5"}, {}, ""});
    mqtt_port_ = MqttPort(*server_);
    HttpClient client = server_->Client();
    admin_ = Login(client, "admin", ServerProcess::kAdminPassword);
    a_ = Id(client.Post("/api/v1/workshops", {{"name", "Telemetry A"}}, admin_));
    b_ = Id(client.Post("/api/v1/workshops", {{"name", "Telemetry B"}}, admin_));
    pit_a_ = Id(client.Post("/api/v1/workshops/" + std::to_string(a_) + "/pits",
                            {{"number", 1}, {"name", "A1"}}, admin_));
    node_secret_ = Register(client, a_,
                            {{"uid", "TEL-A-1"},
                             {"kind", "sensor_node"},
                             {"pit_id", pit_a_},
                             {"report_interval_s", 1}});
    http_secret_ = Register(client, a_, {{"uid", "TEL-A-HTTP"}, {"kind", "gateway"}});
    b_secret_ = Register(client, b_, {{"uid", "TEL-B-1"}, {"kind", "sensor_node"}});
    owner_a_ = Owner(client, "tel.owner.a", a_);
    owner_b_ = Owner(client, "tel.owner.b", b_);
  }
  static void TearDownTestSuite() { server_.reset(); }

  static std::int64_t Id(const HttpResult& r) {
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.Json().at("data").at("id").as_int64() : 0;
  }
  static std::string Register(HttpClient& c, std::int64_t ws, json::object body) {
    auto r = c.Post("/api/v1/workshops/" + std::to_string(ws) + "/devices", body, admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(r.Json().at("data").at("secret").as_string()) : "";
  }
  static std::string Owner(HttpClient& c, const std::string& name, std::int64_t ws) {
    auto u = c.Post("/api/v1/users",
                    {{"username", name},
                     {"password", kPassword},
                     {"role", "owner"},
                     {"full_name", name},
                     {"workshop_id", ws}},
                    admin_);
    EXPECT_EQ(u.status, 201) << u.body;
    return Login(c, name, kPassword);
  }
  static json::value Data(const HttpResult& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json().at("data") : json::value();
  }
  static HttpResult PostDevice(const std::string& body, const std::string& user,
                               const std::string& secret) {
    return server_->Client().Request("POST", "/api/v1/device/telemetry", body, {},
                                     {{"Authorization", "Basic " + Base64(user + ":" + secret)}});
  }

  static std::unique_ptr<ServerProcess> server_;
  static int mqtt_port_;
  static std::string admin_, owner_a_, owner_b_, node_secret_, http_secret_, b_secret_;
  static std::int64_t a_, b_, pit_a_;
};

std::unique_ptr<ServerProcess> Telemetry::server_;
int Telemetry::mqtt_port_ = 0;
std::string Telemetry::admin_, Telemetry::owner_a_, Telemetry::owner_b_, Telemetry::node_secret_,
    Telemetry::http_secret_, Telemetry::b_secret_;
std::int64_t Telemetry::a_ = 0, Telemetry::b_ = 0, Telemetry::pit_a_ = 0;

TEST_F(Telemetry, MqttReadingsReachLatestHistoryStatsAndExport) {
  const std::int64_t t0 = NowMs() - 10 * 60'000;  // ten minutes ago, whole seconds apart
  MqttDevice device(mqtt_port_, "TEL-A-1", node_secret_);
  ASSERT_TRUE(device.WaitConnected());
  const std::string topic = "sw/d/TEL-A-1/telemetry";
  device.Publish(topic,
                 R"({"ts":)" + std::to_string(t0) +
                     R"(,"values":{"temperature":20.0,"humidity":40,"pm25":3}})",
                 1);
  device.Publish(topic,
                 R"({"ts":)" + std::to_string(t0 + 60'000) +
                     R"(,"values":{"temperature":22.0,"humidity":150}})",  // humidity bad
                 1);
  device.Publish(
      topic, R"([{"ts":)" + std::to_string(t0 + 120'000) + R"(,"values":{"temperature":24.0}}])",
      1);
  ASSERT_TRUE(device.WaitAcked(3));

  HttpClient c = server_->Client();
  // The PUBACK came after the commit: the readings are readable at once.
  auto latest = Data(c.Get("/api/v1/devices/TEL-A-1/latest", owner_a_));
  ASSERT_TRUE(latest.at("values").as_object().contains("temperature")) << latest;
  EXPECT_EQ(latest.at("values").at("temperature").at("value").as_double(), 24.0) << latest;
  EXPECT_EQ(latest.at("values").at("humidity").at("value").as_double(), 40.0)
      << "an out-of-range value must not become the latest value";
  EXPECT_TRUE(latest.at("online").as_bool());

  const std::string range =
      "&from=" + std::to_string(t0 - 1000) + "&to=" + std::to_string(t0 + 180'000);
  auto history = Data(
      c.Get("/api/v1/devices/TEL-A-1/history?metrics=temperature,humidity&resolution=raw" + range,
            owner_a_));
  ASSERT_EQ(history.at("series").as_array().size(), 2u) << history;
  const auto& temps = history.at("series").at(0).at("points").as_array();
  ASSERT_EQ(temps.size(), 3u) << history;
  EXPECT_EQ(temps[0].at(0).as_int64(), t0);
  EXPECT_EQ(temps[2].at(1).as_double(), 24.0);
  EXPECT_EQ(history.at("series").at(1).at("points").as_array().size(), 1u)
      << "the flagged humidity reading is not charted";

  auto minute = Data(c.Get(
      "/api/v1/devices/TEL-A-1/history?metrics=temperature&resolution=minute" + range, owner_a_));
  EXPECT_EQ(minute.at("resolution"), "minute");
  EXPECT_EQ(minute.at("series").at(0).at("points").as_array().size(), 3u) << minute;

  auto stats = Data(c.Get("/api/v1/devices/TEL-A-1/stats?metric=temperature" + range, owner_a_));
  EXPECT_EQ(stats.at("count").as_int64(), 3);
  EXPECT_EQ(stats.at("min").as_double(), 20.0);
  EXPECT_EQ(stats.at("max").as_double(), 24.0);
  EXPECT_EQ(stats.at("avg").as_double(), 22.0);

  auto csv = c.Get("/api/v1/devices/TEL-A-1/export.csv?metrics=humidity" + range, owner_a_);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_NE(csv.headers["content-type"].find("text/csv"), std::string::npos);
  EXPECT_NE(csv.body.find(",humidity,150,false,false"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(",humidity,40,true,false"), std::string::npos) << csv.body;

  auto pit = Data(c.Get("/api/v1/pits/" + std::to_string(pit_a_) + "/latest", owner_a_));
  ASSERT_EQ(pit.as_array().size(), 1u);
  EXPECT_EQ(pit.at(0).at("uid"), "TEL-A-1");
}

TEST_F(Telemetry, LateBatchLandsInPlaceAndRollUpsStayExact) {
  // A gateway flushing two hours of buffer with the original timestamps, in one message.
  const std::int64_t hour = 3'600'000;
  const std::int64_t start = (NowMs() / hour - 3) * hour;  // a whole hour, three hours ago
  std::string batch = "[";
  double sum = 0;
  for (int i = 0; i < 120; ++i) {
    const double v = 10.0 + (i % 7);
    sum += v;
    if (i) batch += ',';
    batch += R"({"ts":)" + std::to_string(start + i * 60'000) + R"(,"values":{"pressure":)" +
             std::to_string(1000 + v) + "}}";
  }
  batch += "]";
  auto r = PostDevice(batch, "TEL-A-HTTP", http_secret_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("data").at("accepted").as_int64(), 120);
  EXPECT_EQ(r.Json().at("data").at("server_time").as_int64(), 0);

  HttpClient c = server_->Client();
  const std::string range =
      "&from=" + std::to_string(start) + "&to=" + std::to_string(start + 2 * hour);
  auto stats = Data(c.Get("/api/v1/devices/TEL-A-HTTP/stats?metric=pressure" + range, owner_a_));
  EXPECT_EQ(stats.at("count").as_int64(), 120);
  EXPECT_NEAR(stats.at("avg").as_double(), 1000 + sum / 120, 1e-9);
  auto hours = Data(c.Get(
      "/api/v1/devices/TEL-A-HTTP/history?metrics=pressure&resolution=hour" + range, owner_a_));
  const auto& points = hours.at("series").at(0).at("points").as_array();
  ASSERT_EQ(points.size(), 2u) << hours;
  EXPECT_EQ(points[0].at(0).as_int64(), start);
  EXPECT_EQ(points[0].at(4).as_int64(), 60);
  // Sending the same batch again (a retry) counts nothing twice.
  ASSERT_EQ(PostDevice(batch, "TEL-A-HTTP", http_secret_).status, 200);
  stats = Data(c.Get("/api/v1/devices/TEL-A-HTTP/stats?metric=pressure" + range, owner_a_));
  EXPECT_EQ(stats.at("count").as_int64(), 120);
  // max_points bounds the answer.
  auto bounded = Data(c.Get(
      "/api/v1/devices/TEL-A-HTTP/history?metrics=pressure&resolution=raw&max_points=10" + range,
      owner_a_));
  EXPECT_LE(bounded.at("series").at(0).at("points").as_array().size(), 10u);
}

TEST_F(Telemetry, HttpDeviceApiRefusesBadCredentialsAndBadPayloads) {
  const std::string body = R"({"values":{"temperature":21.5}})";
  EXPECT_EQ(PostDevice(body, "TEL-A-HTTP", "wrong-secret").status, 401);
  EXPECT_EQ(PostDevice(body, "NO-SUCH-DEVICE", "x").status, 401);
  auto anonymous = server_->Client().Request("POST", "/api/v1/device/telemetry", body);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.ErrorCode(), "DEVICE_AUTH_FAILED");

  auto bad = PostDevice("{not json", "TEL-A-HTTP", http_secret_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.ErrorCode(), "BAD_PAYLOAD");
  auto shape = PostDevice(R"({"temperature":21})", "TEL-A-HTTP", http_secret_);
  EXPECT_EQ(shape.status, 400) << shape.body;

  // Strings are refused value by value; the numbers of the same message are kept.
  auto mixed = PostDevice(R"({"values":{"temperature":"hot","humidity":55,"iaq":1e400}})",
                          "TEL-A-HTTP", http_secret_);
  // 1e400 overflows a double: refused as a parse error or as a value, never stored as inf.
  EXPECT_TRUE(mixed.status == 400 || mixed.Json().at("data").at("rejected").as_int64() == 2)
      << mixed.body;
  auto partly =
      PostDevice(R"({"values":{"temperature":"hot","humidity":55}})", "TEL-A-HTTP", http_secret_);
  ASSERT_EQ(partly.status, 200) << partly.body;
  EXPECT_EQ(partly.Json().at("data").at("accepted").as_int64(), 1);
  EXPECT_EQ(partly.Json().at("data").at("rejected").as_int64(), 1);

  auto nothing = PostDevice(R"({"values":{"temperature":"hot"}})", "TEL-A-HTTP", http_secret_);
  EXPECT_EQ(nothing.status, 400) << nothing.body;
  EXPECT_GE(
      MetricValue(server_->Client().Get("/metrics").body, "sitewatch_ingest_values_rejected_total"),
      1.0);
}

TEST_F(Telemetry, AnotherWorkshopSeesNothing) {
  HttpClient c = server_->Client();
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/devices/TEL-A-1/latest", "/api/v1/devices/TEL-A-1/history?metrics=temperature",
           "/api/v1/devices/TEL-A-1/stats?metric=temperature", "/api/v1/devices/TEL-A-1/export.csv",
           "/api/v1/devices/TEL-A-1/events", "/api/v1/workshops/" + std::to_string(a_) + "/latest",
           "/api/v1/pits/" + std::to_string(pit_a_) + "/latest"}) {
    auto r = c.Get(path, owner_b_);
    EXPECT_EQ(r.status, 404) << path << " " << r.body;
    EXPECT_EQ(r.body.find("TEL-A"), std::string::npos) << path;
  }
  // B's device cannot write into A's series: the broker refuses the topic (5.0: 0x87).
  MqttDevice::Options v5;
  v5.v5 = true;
  MqttDevice intruder(mqtt_port_, "TEL-B-1", b_secret_, v5);
  ASSERT_TRUE(intruder.WaitConnected());
  intruder.Publish("sw/d/TEL-A-1/telemetry",
                   R"({"ts":)" + std::to_string(NowMs()) + R"(,"values":{"temperature":99}})", 1);
  ASSERT_TRUE(intruder.WaitAcked(1));
  auto latest = Data(c.Get("/api/v1/devices/TEL-A-1/latest", owner_a_));
  EXPECT_NE(latest.at("values").at("temperature").at("value").as_double(), 99.0);
  // A's own workshop view lists only A's devices.
  auto mine = Data(c.Get("/api/v1/workshops/" + std::to_string(a_) + "/latest", owner_a_));
  for (const auto& d : mine.as_array()) {
    EXPECT_EQ(d.at("workshop_id").as_int64(), a_);
  }
}

TEST_F(Telemetry, StatusWillAndEventsDrivePresenceAndTheEventLog) {
  HttpClient c = server_->Client();
  {
    MqttDevice device(mqtt_port_, "TEL-A-1", node_secret_);
    ASSERT_TRUE(device.WaitConnected());
    device.Publish("sw/d/TEL-A-1/status", R"({"online":true,"fw":"1.4.0","rssi":-61})", 1, true);
    device.Publish("sw/d/TEL-A-1/event",
                   R"({"type":"overload_trip","socket":"a","current_ma":3120})", 1);
    device.Publish("sw/d/TEL-A-1/event", R"({"type":"not_a_type"})", 1);
    ASSERT_TRUE(device.WaitAcked(3));
    auto latest = Data(c.Get("/api/v1/devices/TEL-A-1/latest", owner_a_));
    EXPECT_TRUE(latest.at("online").as_bool());
    EXPECT_EQ(latest.at("firmware_version"), "1.4.0");
    EXPECT_EQ(latest.at("rssi").as_int64(), -61);
    auto events = Data(c.Get("/api/v1/devices/TEL-A-1/events?limit=5", owner_a_));
    ASSERT_GE(events.as_array().size(), 1u);
    EXPECT_EQ(events.at(0).at("type"), "overload_trip");
    EXPECT_EQ(events.at(0).at("detail").at("current_ma").as_int64(), 3120);
  }
  // The connection closed: the device is offline.
  EXPECT_TRUE(Eventually([&] {
    return !Data(c.Get("/api/v1/devices/TEL-A-1/latest", owner_a_)).at("online").as_bool();
  }));
  // Persisted on shutdown-free flushes too: the device row is read by the registry API.
}

TEST_F(Telemetry, LiveEventsReachTheirWorkshopOnly) {
  const auto ready = [&](const std::string& token) {
    auto ws = std::make_unique<WsClient>(server_->http_port());
    EXPECT_TRUE(ws->ok()) << ws->error();
    EXPECT_EQ(ws->Call(json::object{{"type", "auth"}, {"token", token}}).Json()["type"], "ready");
    return ws;
  };
  auto mine = ready(owner_a_);
  auto subscribed = mine->Call(json::object{{"type", "subscribe"}, {"workshops", {a_}}});
  ASSERT_EQ(subscribed.Json()["accepted"].at("workshops"), (json::array{a_})) << subscribed.text;
  auto theirs = ready(owner_b_);
  auto refused = theirs->Call(
      json::object{{"type", "subscribe"}, {"workshops", {a_}}, {"devices", {"TEL-A-1"}}});
  EXPECT_EQ(refused.Json()["rejected"].as_array().size(), 2u) << refused.text;
  (void)theirs->Call(json::object{{"type", "subscribe"}, {"workshops", {b_}}});

  MqttDevice device(mqtt_port_, "TEL-A-1", node_secret_);
  ASSERT_TRUE(device.WaitConnected());
  const std::int64_t ts = NowMs();
  device.Publish(
      "sw/d/TEL-A-1/telemetry",
      R"({"ts":)" + std::to_string(ts) + R"(,"values":{"temperature":31.5,"humidity":180}})", 1);
  ASSERT_TRUE(device.WaitAcked(1));
  bool got_telemetry = false;
  for (int i = 0; i < 10 && !got_telemetry; ++i) {
    auto f = mine->Read(3s);
    ASSERT_EQ(f.kind, WsFrame::Kind::kText) << f.reason;
    auto j = f.Json();
    if (j["type"] != "telemetry") continue;  // device_status and others may come first
    got_telemetry = true;
    EXPECT_EQ(j["device"], "TEL-A-1");
    EXPECT_EQ(j["workshop_id"], a_);
    EXPECT_EQ(j["pit_id"], pit_a_);
    EXPECT_EQ(j["values"].at("temperature").as_double(), 31.5) << f.text;
    EXPECT_FALSE(j["values"].as_object().contains("humidity")) << "a flagged value went live";
  }
  EXPECT_TRUE(got_telemetry);
  // B's watcher hears nothing of A (its own workshop is quiet): the read times out.
  auto silence = theirs->Read(1500ms);
  EXPECT_EQ(silence.kind, WsFrame::Kind::kTimeout) << silence.text;
}

TEST_F(Telemetry, PurgingADeviceRemovesItsHistoryRetiringKeepsIt) {
  HttpClient c = server_->Client();
  const auto register_and_send = [&](const std::string& uid) {
    const std::string secret = Register(c, a_, {{"uid", uid}, {"kind", "sensor_node"}});
    auto r = PostDevice(R"({"ts":)" + std::to_string(NowMs() - 5000) +
                            R"(,"values":{"temperature":19.5},"values_unused":1})",
                        uid, secret);
    EXPECT_EQ(r.status, 400) << "unknown top-level field: " << r.body;
    r = PostDevice(
        R"({"ts":)" + std::to_string(NowMs() - 5000) + R"(,"values":{"temperature":19.5}})", uid,
        secret);
    EXPECT_EQ(r.status, 200) << r.body;
  };
  const std::string range = "&from=" + std::to_string(NowMs() - 3'600'000);
  register_and_send("TEL-PURGE");
  ASSERT_EQ(c.Request("DELETE", "/api/v1/devices/TEL-PURGE?purge=true", {}, admin_).status, 200);
  register_and_send("TEL-PURGE");  // the uid is free again; the old readings must be gone
  auto stats = Data(c.Get("/api/v1/devices/TEL-PURGE/stats?metric=temperature" + range, admin_));
  EXPECT_EQ(stats.at("count").as_int64(), 1) << "the purged device's readings are still there";
  ASSERT_EQ(c.Request("DELETE", "/api/v1/devices/TEL-PURGE", {}, admin_).status, 200);  // retire
  EXPECT_EQ(c.Get("/api/v1/devices/TEL-PURGE/latest", admin_).status, 404);
}

}  // namespace
}  // namespace sw::testing
