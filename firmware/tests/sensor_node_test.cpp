// Tests for the pit sensor node core: connection, reporting schedule, payloads, commands,
// offline buffering and flushing.
#include "fw/sensor_node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fw/nvm.h"

namespace sw::fw {
namespace {

constexpr std::string_view kUid = "ESP32-A1B2C3D4E5F6";
constexpr int64_t kWall = 1'700'000'000'000;  // unix ms at the node's boot
// DHT22 datasheet frame: 65.2 %RH, 35.1 °C.
constexpr uint8_t kDhtFrame[] = {0x02, 0x8C, 0x01, 0x5F, 0xEE};
// PMS5003 frame (sensors_test.cpp): PM 4/7/9 µg/m³, counts 1062/310/52/6/2/1.
constexpr uint8_t kPmsFrame[kPms5003FrameSize] = {
    0x42, 0x4D, 0x00, 0x1C, 0x00, 0x05, 0x00, 0x08, 0x00, 0x09, 0x00, 0x04, 0x00, 0x07, 0x00, 0x09,
    0x04, 0x26, 0x01, 0x36, 0x00, 0x34, 0x00, 0x06, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x01, 0x73};
constexpr std::string_view kPmsValues =
    R"("pm1":4,"pm25":7,"pm10":9,"particles_03um":1062,"particles_05um":310,)"
    R"("particles_10um":52,"particles_25um":6,"particles_50um":2,"particles_100um":1)";

// A copy of one action (the views die with the NodeActions buffer).
struct Act {
  NodeActionKind kind;
  std::string topic;
  std::string payload;
  uint8_t qos;
  bool retain;
  uint32_t token;
  NodeLed led;
  uint16_t led_period_ms;
};

std::string Topic(std::string_view suffix) {
  return "sw/d/" + std::string(kUid) + std::string(suffix);
}

std::string Ts(int64_t uptime_ms) {
  return std::to_string(kWall + uptime_ms);
}

class NodeTest : public ::testing::Test {
 protected:
  static SensorNodeConfig DefaultConfig() {
    SensorNodeConfig c;
    c.uid = kUid;
    c.firmware_version = "1.4.0";
    return c;
  }

  NodeTest() { Reboot(); }

  // Power cycle: a new node on the same NVM. The clock restarts at boot_ms_.
  void Reboot() {
    store_ = std::make_unique<ConfigStore>(nvm_);
    node_ = std::make_unique<SensorNode>(config_, store_.get());
    now_ = boot_ms_;
    acts_.clear();
    unacked_.clear();
    connected_ = false;
    connect_pending_ = false;
    Run([&](NodeActions* out) { node_->Boot(now_, out); });
  }

  template <typename F>
  void Run(F&& f) {
    out_.Clear();
    f(&out_);
    EXPECT_EQ(out_.dropped(), 0u);
    for (const NodeAction& a : out_) {
      acts_.push_back(Act{a.kind, std::string(a.topic), std::string(a.payload), a.qos, a.retain,
                          a.token, a.led, a.led_period_ms});
      if (a.kind == NodeActionKind::kConnect) connect_pending_ = true;
      if (a.kind == NodeActionKind::kPublish && a.token != 0) unacked_.push_back(a.token);
    }
  }

  uint32_t Uptime() const { return now_ - boot_ms_; }

  // Advances in 100 ms ticks. With auto_connect_ a connect action succeeds on the next tick;
  // with auto_ack_ every tracked publish is acknowledged on the next tick.
  void Advance(uint32_t ms) {
    for (uint32_t t = 0; t < ms; t += 100) {
      now_ += 100;
      if (connect_pending_ && auto_connect_) {
        connect_pending_ = false;
        Connected();
      }
      if (auto_ack_) AckAll();
      Run([&](NodeActions* out) { node_->Tick(now_, out); });
    }
  }

  void Connected() {
    connected_ = true;
    NodeLinkInfo link;
    link.ip = "10.0.0.7";
    link.has_rssi = true;
    link.rssi = -61;
    Run([&](NodeActions* out) { node_->OnConnected(now_, link, out); });
  }

  void Disconnected() {
    connected_ = false;
    unacked_.clear();
    Run([&](NodeActions* out) { node_->OnDisconnected(now_, out); });
  }

  void AckAll() {
    std::vector<uint32_t> tokens;
    tokens.swap(unacked_);
    for (uint32_t t : tokens) Run([&](NodeActions* out) { node_->OnPublishAcked(now_, t, out); });
  }

  void Command(std::string_view payload) {
    Run([&](NodeActions* out) { node_->OnCommand(now_, payload, out); });
  }

  void FeedDht() { ASSERT_TRUE(node_->OnDht22Frame(now_, ByteSpan(kDhtFrame))); }
  void FeedPms() { node_->OnPms5003Bytes(now_, ByteSpan(kPmsFrame)); }

  std::vector<Act> Of(NodeActionKind kind, std::string_view suffix = "") const {
    std::vector<Act> found;
    for (const Act& a : acts_) {
      if (a.kind == kind && (suffix.empty() || a.topic == Topic(suffix))) found.push_back(a);
    }
    return found;
  }
  std::vector<Act> Telemetry() const { return Of(NodeActionKind::kPublish, "/telemetry"); }
  std::vector<Act> Results() const { return Of(NodeActionKind::kPublish, "/cmd/result"); }
  std::string LastResult() const {
    const auto r = Results();
    return r.empty() ? std::string() : r.back().payload;
  }

  SensorNodeConfig config_ = DefaultConfig();
  MemoryNvm<512> nvm_;
  std::unique_ptr<ConfigStore> store_;
  std::unique_ptr<SensorNode> node_;
  NodeActions out_;
  std::vector<Act> acts_;
  std::vector<uint32_t> unacked_;
  uint32_t boot_ms_ = 5000;
  uint32_t now_ = 5000;
  bool auto_connect_ = true;
  bool auto_ack_ = true;
  bool connect_pending_ = false;
  bool connected_ = false;
};

// ---- connection ----

TEST_F(NodeTest, ConnectsWithWillThenSubscribesAndPublishesOnlineAndBoot) {
  const auto connects = Of(NodeActionKind::kConnect);
  ASSERT_EQ(connects.size(), 1u);  // at boot, immediately
  EXPECT_EQ(connects[0].topic, Topic("/status"));
  EXPECT_EQ(connects[0].payload, R"({"online":false})");
  EXPECT_EQ(connects[0].qos, 1);
  EXPECT_TRUE(connects[0].retain);

  node_->SetWallClock(now_, kWall);
  acts_.clear();
  Advance(100);
  ASSERT_TRUE(node_->connected());
  const auto subscribes = Of(NodeActionKind::kSubscribe);
  ASSERT_EQ(subscribes.size(), 1u);
  EXPECT_EQ(subscribes[0].topic, Topic("/cmd"));
  EXPECT_EQ(subscribes[0].qos, 1);
  const auto status = Of(NodeActionKind::kPublish, "/status");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].payload,
            R"({"online":true,"fw":"1.4.0","uptime_s":0,"ip":"10.0.0.7","rssi":-61,)"
            R"("interval_s":30,"disabled":false})");
  EXPECT_TRUE(status[0].retain);
  EXPECT_EQ(status[0].qos, 1);
  const auto events = Of(NodeActionKind::kPublish, "/event");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload, R"({"ts":)" + Ts(100) + R"(,"type":"boot","fw":"1.4.0"})");

  // The boot event is sent once per boot, not per connection.
  Disconnected();
  Advance(3000);
  EXPECT_EQ(Of(NodeActionKind::kConnect).size(), 1u);  // the reconnection
  EXPECT_EQ(Of(NodeActionKind::kPublish, "/event").size(), 1u);
  EXPECT_EQ(Of(NodeActionKind::kPublish, "/status").size(), 2u);
}

TEST_F(NodeTest, StatusHeartbeatEveryThirtySeconds) {
  Advance(100);
  acts_.clear();
  Advance(90000);
  const auto status = Of(NodeActionKind::kPublish, "/status");
  EXPECT_EQ(status.size(), 3u);
  EXPECT_NE(status.back().payload.find(R"("uptime_s":90,)"), std::string::npos);
}

TEST_F(NodeTest, ReconnectBacksOffExponentiallyWithBoundedJitter) {
  auto_connect_ = false;
  std::vector<uint32_t> attempts;
  for (int i = 0; i < 12; ++i) {
    const size_t before = Of(NodeActionKind::kConnect).size();
    Run([&](NodeActions* out) { node_->OnDisconnected(now_, out); });  // the attempt failed
    for (int waited = 0; Of(NodeActionKind::kConnect).size() == before; waited += 100) {
      ASSERT_LT(waited, 120000) << "no reconnect attempt";
      Advance(100);
    }
    attempts.push_back(Uptime());
  }
  uint32_t previous = 0;
  uint32_t expected = config_.reconnect_min_ms;
  for (uint32_t at : attempts) {
    const uint32_t gap = at - previous;
    EXPECT_GE(gap, expected);
    EXPECT_LE(gap, expected + expected / 4 + 100);
    previous = at;
    expected = std::min(expected * 2, config_.reconnect_max_ms);
  }
  // A success resets the back-off.
  Run([&](NodeActions* out) {
    node_->OnConnected(now_, NodeLinkInfo(), out);
    node_->OnDisconnected(now_, out);
  });
  const size_t before = Of(NodeActionKind::kConnect).size();
  Advance(1300);
  EXPECT_EQ(Of(NodeActionKind::kConnect).size(), before + 1);
}

TEST_F(NodeTest, ConnectAttemptWithoutAnswerTimesOut) {
  auto_connect_ = false;
  Advance(config_.connect_timeout_ms + config_.reconnect_min_ms * 5 / 4 + 200);
  EXPECT_EQ(Of(NodeActionKind::kConnect).size(), 2u);
}

TEST(SensorNodeConfigTest, InvalidUidNeverConnects) {
  for (std::string_view uid : {std::string_view(""), std::string_view("a/b"),
                               std::string_view("dev+1"), std::string_view("dev#")}) {
    SensorNodeConfig c;
    c.uid = uid;
    c.firmware_version = "1.0.0";
    SensorNode node(c, nullptr);
    EXPECT_FALSE(node.valid()) << uid;
    NodeActions out;
    node.Boot(0, &out);
    node.Tick(60000, &out);
    for (const NodeAction& a : out) EXPECT_NE(a.kind, NodeActionKind::kConnect);
  }
  SensorNodeConfig c;
  const std::string too_long(65, 'a');
  const std::string longest(64, 'a');
  c.uid = too_long;
  c.firmware_version = "1.0.0";
  EXPECT_FALSE(SensorNode(c, nullptr).valid());
  c.uid = longest;
  EXPECT_TRUE(SensorNode(c, nullptr).valid());
}

// ---- reporting ----

TEST_F(NodeTest, ReportsEveryIntervalWithCatalogueMetricNames) {
  node_->SetWallClock(now_, kWall);
  for (int i = 0; i < 29; ++i) {
    FeedDht();
    FeedPms();
    Advance(1000);
  }
  Advance(900);  // 29.9 s: not yet
  EXPECT_TRUE(Telemetry().empty());
  Advance(100);
  auto t = Telemetry();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].payload, R"({"ts":)" + Ts(30000) +
                              R"(,"values":{"temperature":35.1,"humidity":65.2,)" +
                              std::string(kPmsValues) + "}}");
  EXPECT_EQ(t[0].qos, 1);
  EXPECT_FALSE(t[0].retain);
  EXPECT_NE(t[0].token, 0u);
  for (int i = 0; i < 60; ++i) {
    FeedDht();
    Advance(1000);
  }
  t = Telemetry();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[1].payload,
            R"({"ts":)" + Ts(60000) + R"(,"values":{"temperature":35.1,"humidity":65.2}})");
  EXPECT_NE(t[2].payload.find(R"("ts":)" + Ts(90000)), std::string::npos);
  Advance(100);  // the acknowledgement
  EXPECT_EQ(node_->buffered(), 0u);
}

TEST_F(NodeTest, Bme680PreferredAndIaqReported) {
  node_->SetWallClock(now_, kWall);
  Bme680Reading bme;
  bme.temperature_cdeg = 2669;
  bme.humidity_mpct = 42402;
  bme.pressure_pa = 98712;
  bme.gas_ohm = 150000;
  for (int i = 0; i < 30; ++i) {
    FeedDht();  // the BME680's values win over the DHT22's
    ASSERT_TRUE(node_->OnBme680(now_, bme));
    Advance(1000);
  }
  const auto t = Telemetry();
  ASSERT_EQ(t.size(), 1u);
  const std::string& p = t[0].payload;
  EXPECT_EQ(p.rfind(R"({"ts":)" + Ts(30000) +
                        R"(,"values":{"temperature":26.69,"humidity":42.4,"pressure":987.12,)"
                        R"("gas_resistance":150000,"iaq":)",
                    0),
            0u)
      << p;
  EXPECT_NE(p.find(R"("iaq_accuracy":0)"), std::string::npos) << p;

  // Every metric name the node can send is in the server's catalogue (PRODUCT.md §3).
  const std::set<std::string> catalogue = {"temperature",
                                           "humidity",
                                           "pressure",
                                           "gas_resistance",
                                           "iaq",
                                           "iaq_accuracy",
                                           "pm1",
                                           "pm25",
                                           "pm10",
                                           "particles_03um",
                                           "particles_05um",
                                           "particles_10um",
                                           "particles_25um",
                                           "particles_50um",
                                           "particles_100um"};
  FeedPms();
  ASSERT_TRUE(node_->OnBme680(now_, bme));
  Advance(30000);
  const std::string full = Telemetry().back().payload;
  JsonMember top[4];
  size_t n = 0;
  ASSERT_EQ(ParseJsonObject(full, Span<JsonMember>(top), &n), JsonError::kOk);
  const JsonMember* values = FindJsonMember(Span<const JsonMember>(top, n), "values");
  ASSERT_NE(values, nullptr);
  JsonMember metrics[32];
  ASSERT_EQ(ParseJsonObject(values->value, Span<JsonMember>(metrics), &n), JsonError::kOk);
  EXPECT_EQ(n, catalogue.size());
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(catalogue.count(std::string(metrics[i].key)), 1u) << metrics[i].key;
    EXPECT_EQ(metrics[i].type, JsonType::kNumber);
  }
}

TEST_F(NodeTest, ValuesAreReportedOnceNotRepeatedWhenASensorFails) {
  FeedDht();
  Advance(30000);
  EXPECT_EQ(Telemetry().size(), 1u);
  Advance(60000);  // the sensor stopped answering: no stale repeats
  EXPECT_EQ(Telemetry().size(), 1u);
}

TEST_F(NodeTest, InvalidSensorInputIsCountedAndIgnored) {
  const uint8_t bad_dht[] = {0x02, 0x8C, 0x01, 0x5F, 0xED};
  EXPECT_FALSE(node_->OnDht22Frame(now_, ByteSpan(bad_dht)));
  Bme680Reading bme;
  bme.temperature_cdeg = 2500;
  bme.humidity_mpct = 40000;
  bme.pressure_pa = 20000;  // 200 hPa: implausible
  EXPECT_FALSE(node_->OnBme680(now_, bme));
  EXPECT_EQ(node_->sensor_errors(), 2u);
  // PMS5003 bytes arrive with garbage around them; the frame is found anyway.
  const uint8_t garbage[] = {0x00, 0x42, 0x13, 0x4D};
  node_->OnPms5003Bytes(now_, ByteSpan(garbage));
  node_->OnPms5003Bytes(now_, ByteSpan(kPmsFrame, 10));
  node_->OnPms5003Bytes(now_, ByteSpan(kPmsFrame + 10, sizeof kPmsFrame - 10));
  Advance(30000);
  const auto t = Telemetry();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].payload, R"({"values":{)" + std::string(kPmsValues) + "}}");  // no clock: no ts
}

// ---- commands ----

TEST_F(NodeTest, SetIntervalWithinBoundsIsAppliedPersistedAndScheduled) {
  Advance(100);
  FeedDht();
  Advance(29900);
  ASSERT_EQ(Telemetry().size(), 1u);  // at 30 s
  Advance(5000);
  Command(R"({"id":"c1","name":"set_interval","params":{"seconds":60}})");
  EXPECT_EQ(LastResult(), R"({"id":"c1","ok":true,"detail":"interval 60 s"})");
  EXPECT_EQ(node_->interval_s(), 60u);
  Advance(100);
  EXPECT_NE(Of(NodeActionKind::kPublish, "/status").back().payload.find(R"("interval_s":60)"),
            std::string::npos);
  // Next report 60 s after the last one (at 90 s), then every 60 s.
  FeedDht();
  Advance(90000 - 100 - Uptime());
  EXPECT_EQ(Telemetry().size(), 1u);
  Advance(100);
  EXPECT_EQ(Telemetry().size(), 2u);
  FeedDht();
  Advance(60000);
  EXPECT_EQ(Telemetry().size(), 3u);

  Reboot();
  EXPECT_EQ(node_->interval_s(), 60u);
}

TEST_F(NodeTest, SetIntervalOutOfBoundsOrMalformedFailsWithReason) {
  const std::string bounds =
      R"(,"ok":false,"detail":"seconds must be an integer from 5 to 86400"})";
  const char* bad[] = {
      R"({"id":"a","name":"set_interval","params":{"seconds":4}})",
      R"({"id":"b","name":"set_interval","params":{"seconds":86401}})",
      R"({"id":"c","name":"set_interval","params":{"seconds":"60"}})",
      R"({"id":"d","name":"set_interval","params":{"seconds":2.5}})",
      R"({"id":"e","name":"set_interval","params":{}})",
      R"({"id":"f","name":"set_interval"})",
      R"({"id":"g","name":"set_interval","params":{"seconds":-30}})",
  };
  for (const char* payload : bad) {
    Command(payload);
    const std::string id(1, payload[7]);
    EXPECT_EQ(LastResult(), R"({"id":")" + id + "\"" + bounds) << payload;
  }
  EXPECT_EQ(node_->interval_s(), 30u);
  Command(R"({"id":"h","name":"set_interval","params":{"seconds":5}})");
  EXPECT_EQ(node_->interval_s(), 5u);
  Command(R"({"id":"i","name":"set_interval","params":{"seconds":86400}})");
  EXPECT_EQ(node_->interval_s(), 86400u);
}

TEST_F(NodeTest, DisableStopsReportingButCommandsAreAnsweredAndStatusContinues) {
  Advance(100);
  Command(R"({"id":"d1","name":"disable","params":{}})");
  EXPECT_EQ(LastResult(), R"({"id":"d1","ok":true,"detail":"disabled"})");
  EXPECT_FALSE(node_->enabled());
  acts_.clear();
  for (int i = 0; i < 300; ++i) {
    FeedDht();
    FeedPms();
    Advance(1000);
  }
  EXPECT_TRUE(Telemetry().empty());
  EXPECT_EQ(node_->buffered(), 0u);
  const auto status = Of(NodeActionKind::kPublish, "/status");
  ASSERT_GE(status.size(), 10u);  // still present for the server
  EXPECT_NE(status.back().payload.find(R"("disabled":true)"), std::string::npos);
  Command(R"({"id":"i1","name":"identify"})");
  EXPECT_EQ(LastResult(), R"({"id":"i1","ok":true,"detail":"identifying for 10 s"})");

  Reboot();  // the kill-switch survives a power cut
  EXPECT_FALSE(node_->enabled());
  Advance(100);
  FeedDht();
  Advance(60000);
  EXPECT_TRUE(Telemetry().empty());

  Command(R"({"id":"e1","name":"enable"})");
  EXPECT_EQ(LastResult(), R"({"id":"e1","ok":true,"detail":"enabled"})");
  Advance(29000);
  FeedDht();  // values from before `enable` do not count; this one does
  Advance(900);
  EXPECT_TRUE(Telemetry().empty());
  Advance(100);
  EXPECT_EQ(Telemetry().size(), 1u);
}

TEST_F(NodeTest, IdentifyBlinksForTheRequestedTime) {
  Advance(100);
  Command(R"({"id":"x1","name":"identify","params":{"seconds":3}})");
  EXPECT_EQ(LastResult(), R"({"id":"x1","ok":true,"detail":"identifying for 3 s"})");
  auto leds = Of(NodeActionKind::kSetLed);
  ASSERT_EQ(leds.size(), 1u);
  EXPECT_EQ(leds[0].led, NodeLed::kBlink);
  EXPECT_GT(leds[0].led_period_ms, 0);
  EXPECT_TRUE(node_->identifying());
  Advance(2900);
  EXPECT_EQ(Of(NodeActionKind::kSetLed).size(), 1u);
  Advance(100);
  leds = Of(NodeActionKind::kSetLed);
  ASSERT_EQ(leds.size(), 2u);
  EXPECT_EQ(leds[1].led, NodeLed::kOff);
  EXPECT_FALSE(node_->identifying());

  Command(R"({"id":"x2","name":"identify","params":{"seconds":0}})");
  EXPECT_EQ(LastResult(),
            R"({"id":"x2","ok":false,"detail":"seconds must be an integer from 1 to 300"})");
  EXPECT_EQ(Of(NodeActionKind::kSetLed).size(), 2u);
}

TEST_F(NodeTest, RestartIsAnsweredThenRebootsOnceAcknowledged) {
  auto_ack_ = false;
  Advance(100);
  Command(R"({"id":"r1","name":"restart","params":{}})");
  const auto results = Results();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].payload, R"({"id":"r1","ok":true,"detail":"restarting"})");
  ASSERT_NE(results[0].token, 0u);
  EXPECT_TRUE(Of(NodeActionKind::kReboot).empty());  // not before the answer is out
  Run([&](NodeActions* out) { node_->OnPublishAcked(now_, results[0].token, out); });
  EXPECT_EQ(Of(NodeActionKind::kReboot).size(), 1u);
  Advance(10000);
  EXPECT_EQ(Of(NodeActionKind::kReboot).size(), 1u);

  // After the reboot the server re-sends the command (it missed the answer): answered from
  // the persisted id, and the node does not restart again.
  Reboot();
  Advance(100);
  Command(R"({"id":"r1","name":"restart","params":{}})");
  EXPECT_EQ(LastResult(), R"({"id":"r1","ok":true,"detail":"restarted"})");
  Advance(10000);
  EXPECT_TRUE(Of(NodeActionKind::kReboot).empty());
}

TEST_F(NodeTest, RestartRebootsAfterTheDelayWithoutAcknowledgement) {
  auto_ack_ = false;
  Advance(100);
  Command(R"({"id":"r2","name":"restart"})");
  Advance(config_.restart_delay_ms - 100);
  EXPECT_TRUE(Of(NodeActionKind::kReboot).empty());
  Advance(100);
  EXPECT_EQ(Of(NodeActionKind::kReboot).size(), 1u);
}

TEST_F(NodeTest, DuplicateIdsAreExecutedOnceAndAnsweredAlike) {
  Advance(100);
  Command(R"({"id":"c1","name":"set_interval","params":{"seconds":60}})");
  const std::string first = LastResult();
  const uint32_t writes = nvm_.writes();
  Command(R"({"id":"c1","name":"set_interval","params":{"seconds":90}})");  // same id
  EXPECT_EQ(LastResult(), first);
  EXPECT_EQ(node_->interval_s(), 60u);
  EXPECT_EQ(nvm_.writes(), writes);
  Command(R"({"id":"i1","name":"identify"})");
  Command(R"({"id":"i1","name":"identify"})");
  EXPECT_EQ(Of(NodeActionKind::kSetLed).size(), 1u);
  EXPECT_EQ(node_->duplicate_commands(), 2u);
  EXPECT_EQ(Results().size(), 4u);  // every delivery is answered (the server may have lost one)

  // Only the last kRememberedCommands ids are kept.
  for (size_t i = 0; i < SensorNode::kRememberedCommands; ++i) {
    Command(R"({"id":"n)" + std::to_string(i) + R"(","name":"enable"})");
  }
  Command(R"({"id":"c1","name":"set_interval","params":{"seconds":90}})");
  EXPECT_EQ(node_->interval_s(), 90u);
}

TEST_F(NodeTest, UnknownAndMalformedCommandsAreAnsweredWithFailed) {
  Advance(100);
  const std::pair<const char*, const char*> cases[] = {
      {R"({"id":"u1","name":"self_destruct","params":{}})", "unknown command"},
      {R"({"id":"u2","name":"update_firmware","params":{"url":"x"}})", "unknown command"},
      {R"({"id":"m1","name":"set_interval","params":{"seconds":30})", "malformed command"},
      {R"({"id":"m2"})", "malformed command: name"},
      {R"({"id":"m3","name":42})", "malformed command: name"},
      {R"({"id":"m4","name":"identify","params":[1]})", "malformed command: params"},
      {R"({"id":"m5","name":"identify","expires_at":"soon"})", "malformed command: expires_at"},
      {R"({"id":"m6","name":"enable","id":"m7"})", "malformed command"},
      {R"({"id":"m8","name":"enable","x":[[[[[[[[[1]]]]]]]]]})", "malformed command"},
      {R"({"id":"m9","name":"a-very-long-command-name-indeed"})", "malformed command: name"},
  };
  for (const auto& [payload, reason] : cases) {
    const size_t before = Results().size();
    Command(payload);
    ASSERT_EQ(Results().size(), before + 1) << payload;
    const std::string id = std::string(payload).substr(7, 2);
    EXPECT_EQ(LastResult(),
              R"({"id":")" + id + R"(","ok":false,"detail":")" + std::string(reason) + "\"}")
        << payload;
  }
  EXPECT_TRUE(node_->enabled());
  EXPECT_EQ(node_->interval_s(), 30u);

  // Without a usable id there is nothing to answer: counted only.
  const size_t answered = Results().size();
  for (std::string_view payload :
       {std::string_view(""), std::string_view("not json"), std::string_view("{"),
        std::string_view(R"({"name":"enable"})"), std::string_view(R"({"id":"","name":"enable"})"),
        std::string_view(R"({"id":17,"name":"enable"})"),
        std::string_view(R"({"id":"\u0000","name":"enable"})")}) {
    Command(payload);
  }
  const std::string long_id(kMaxCommandIdLength + 1, 'x');
  Command(R"({"id":")" + long_id + R"(","name":"enable"})");
  EXPECT_EQ(Results().size(), answered);
  EXPECT_EQ(node_->unanswerable_commands(), 8u);

  // Ids are echoed exactly, escapes included.
  Command(R"({"id":"q\"\u00e9","name":"nope"})");
  EXPECT_EQ(LastResult(), "{\"id\":\"q\\\"\xC3\xA9\",\"ok\":false,\"detail\":\"unknown command\"}");
}

TEST_F(NodeTest, ArbitraryBytesNeverCrashAndOnlyEverProduceResults) {
  Advance(100);
  uint32_t lcg = 7;
  const std::string seed = R"({"id":"z","name":"set_interval","params":{"seconds":60}})";
  for (int i = 0; i < 3000; ++i) {
    std::string payload = seed;
    const int edits = 1 + i % 4;
    for (int e = 0; e < edits; ++e) {
      lcg = lcg * 1103515245u + 12345u;
      const size_t at = (lcg >> 8) % payload.size();
      payload[at] = static_cast<char>(lcg >> 24);
    }
    acts_.clear();
    Command(payload);
    for (const Act& a : acts_) {
      if (a.kind == NodeActionKind::kPublish) {
        EXPECT_EQ(a.topic, Topic("/cmd/result"));
      }
    }
  }
  EXPECT_GE(node_->interval_s(), config_.min_interval_s);
  EXPECT_LE(node_->interval_s(), config_.max_interval_s);
}

TEST_F(NodeTest, ExpiredCommandIsRefusedNotExecuted) {
  node_->SetWallClock(now_, kWall);
  Advance(100);
  Command(R"({"id":"x","name":"set_interval","params":{"seconds":60},"expires_at":)" + Ts(50) +
          "}");
  EXPECT_EQ(LastResult(), R"({"id":"x","ok":false,"detail":"expired"})");
  EXPECT_EQ(node_->interval_s(), 30u);
  Command(R"({"id":"y","name":"set_interval","params":{"seconds":60},"expires_at":)" + Ts(60000) +
          "}");
  EXPECT_EQ(node_->interval_s(), 60u);
}

TEST_F(NodeTest, SettingThatCannotBeSavedIsRefused) {
  Advance(100);
  nvm_.TearNextWriteAfter(3);
  Command(R"({"id":"s","name":"set_interval","params":{"seconds":60}})");
  EXPECT_EQ(LastResult(), R"({"id":"s","ok":false,"detail":"storage failed"})");
  EXPECT_EQ(node_->interval_s(), 30u);
  Reboot();
  EXPECT_EQ(node_->interval_s(), 30u);
}

// ---- offline buffering and flushing ----

// Feeds one DHT22 reading whose temperature encodes `n` (0.1 °C steps) before each report.
void FeedNumbered(SensorNode* node, uint32_t now, int n) {
  Dht22Reading r;
  r.temperature_dc = static_cast<int16_t>(n);
  r.humidity_dpct = 500;
  node->OnDht22(now, r);
}

TEST_F(NodeTest, OfflineRingDropsTheOldestAndCounts) {
  auto_connect_ = false;
  config_.default_interval_s = 5;
  Reboot();
  const int total = static_cast<int>(SensorNode::kMaxBufferedReadings) + 7;
  for (int i = 0; i < total; ++i) {
    FeedNumbered(node_.get(), now_, i);
    Advance(5000);
  }
  EXPECT_EQ(node_->buffered(), SensorNode::kMaxBufferedReadings);
  EXPECT_EQ(node_->dropped_readings(), 7u);
  EXPECT_EQ(node_->BufferedAt(0).temperature_cdeg, 70);  // reading #7 is the oldest kept
  EXPECT_EQ(node_->BufferedAt(node_->buffered() - 1).temperature_cdeg, (total - 1) * 10);
}

TEST_F(NodeTest, FlushesInBatchesWithOriginalTimestampsAfterReconnect) {
  auto_connect_ = false;
  config_.default_interval_s = 5;
  config_.max_batch_readings = 4;
  Reboot();
  node_->SetWallClock(now_, kWall);
  for (int i = 0; i < 10; ++i) {
    FeedNumbered(node_.get(), now_, i);
    Advance(5000);
  }
  ASSERT_EQ(node_->buffered(), 10u);
  EXPECT_TRUE(Telemetry().empty());

  auto_ack_ = false;
  Advance(10000);  // offline for a while longer: still nothing lost or sent
  Connected();
  auto t = Telemetry();
  ASSERT_EQ(t.size(), 1u);  // one batch in flight at a time
  std::string expected = "[";
  for (int i = 0; i < 4; ++i) {
    if (i > 0) expected += ",";
    expected += R"({"ts":)" + Ts(5000 * (i + 1)) + R"(,"values":{"temperature":)" +
                (i == 0 ? std::string("0") : "0." + std::to_string(i)) + R"(,"humidity":50}})";
  }
  expected += "]";
  EXPECT_EQ(t[0].payload, expected);
  Advance(1000);
  EXPECT_EQ(Telemetry().size(), 1u);  // waits for the acknowledgement
  EXPECT_EQ(node_->buffered(), 10u);

  AckAll();
  EXPECT_EQ(Telemetry().size(), 2u);
  EXPECT_EQ(node_->buffered(), 6u);
  AckAll();
  AckAll();
  t = Telemetry();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(node_->buffered(), 0u);
  // 10 readings in 4 + 4 + 2, every one with the time it was taken.
  std::string all;
  for (const Act& a : t) all += a.payload;
  for (int i = 0; i < 10; ++i) {
    EXPECT_NE(all.find(R"("ts":)" + Ts(5000 * (i + 1))), std::string::npos) << i;
  }
  EXPECT_EQ(t[2].payload.front(), '[');
}

TEST_F(NodeTest, ReadingsTakenBeforeTheClockIsKnownGetTheirRealTime) {
  auto_connect_ = false;
  FeedDht();
  Advance(30000);  // taken at uptime 30 s, clock unknown, offline
  ASSERT_EQ(node_->buffered(), 1u);
  Advance(15000);
  node_->SetWallClock(now_, kWall + 45000);  // SNTP answers at uptime 45 s
  Connected();
  const auto t = Telemetry();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].payload,
            R"({"ts":)" + Ts(30000) + R"(,"values":{"temperature":35.1,"humidity":65.2}})");
}

TEST_F(NodeTest, ConnectionLostMidFlushLosesNothing) {
  auto_connect_ = false;
  config_.default_interval_s = 5;
  Reboot();
  node_->SetWallClock(now_, kWall);
  for (int i = 0; i < 3; ++i) {
    FeedNumbered(node_.get(), now_, i);
    Advance(5000);
  }
  auto_ack_ = false;
  Connected();
  ASSERT_EQ(Telemetry().size(), 1u);
  const std::string first = Telemetry()[0].payload;
  Disconnected();  // before the acknowledgement
  EXPECT_EQ(node_->buffered(), 3u);
  Advance(2000);
  Connected();
  ASSERT_EQ(Telemetry().size(), 2u);
  EXPECT_EQ(Telemetry()[1].payload, first);  // sent again, same timestamps
  AckAll();
  EXPECT_EQ(node_->buffered(), 0u);
}

TEST_F(NodeTest, UnacknowledgedBatchIsSentAgainAfterTimeout) {
  auto_ack_ = false;
  FeedDht();
  Advance(30000);
  ASSERT_EQ(Telemetry().size(), 1u);
  unacked_.clear();  // the acknowledgement never comes
  Advance(config_.ack_timeout_ms);
  ASSERT_EQ(Telemetry().size(), 2u);
  EXPECT_EQ(Telemetry()[1].payload, Telemetry()[0].payload);
  EXPECT_EQ(node_->buffered(), 1u);
}

TEST_F(NodeTest, BatchesRespectThePayloadLimit) {
  auto_connect_ = false;
  config_.default_interval_s = 5;
  config_.max_payload_bytes = 512;
  Reboot();
  node_->SetWallClock(now_, kWall);
  Bme680Reading bme;
  bme.temperature_cdeg = -1234;
  bme.humidity_mpct = 99999;
  bme.pressure_pa = 101325;
  bme.gas_ohm = 1234567;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(node_->OnBme680(now_, bme));
    FeedPms();
    Advance(5000);
  }
  Connected();
  Advance(1000);
  const auto t = Telemetry();
  ASSERT_GE(t.size(), 3u);
  size_t readings = 0;
  for (const Act& a : t) {
    EXPECT_LE(a.payload.size(), 512u);
    for (size_t at = a.payload.find("\"ts\""); at != std::string::npos;
         at = a.payload.find("\"ts\"", at + 1)) {
      ++readings;
    }
  }
  EXPECT_EQ(readings, 6u);
  EXPECT_NE(t[0].payload.find(R"("temperature":-12.34,"humidity":100,"pressure":1013.25,)"),
            std::string::npos);
  EXPECT_EQ(node_->buffered(), 0u);
}

TEST_F(NodeTest, DisabledNodeKeepsItsBacklogUntilEnabled) {
  auto_connect_ = false;
  FeedDht();
  Advance(30000);
  ASSERT_EQ(node_->buffered(), 1u);
  Connected();
  Run([&](NodeActions* out) {
    node_->OnDisconnected(now_, out);  // lost before the ack
  });
  unacked_.clear();
  Command(R"({"id":"d","name":"disable"})");
  const size_t sent = Telemetry().size();
  Connected();
  Advance(5000);
  EXPECT_EQ(Telemetry().size(), sent);  // the server refuses telemetry while disabled
  EXPECT_EQ(node_->buffered(), 1u);
  Command(R"({"id":"e","name":"enable"})");
  Advance(200);
  EXPECT_EQ(Telemetry().size(), sent + 1);
  EXPECT_EQ(node_->buffered(), 0u);
}

}  // namespace
}  // namespace sw::fw
