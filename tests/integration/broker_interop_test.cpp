// The built-in MQTT broker against real clients: Debian's mosquitto_pub / mosquitto_sub in
// MQTT 3.1.1 and 5.0, and raw bytes for the robustness cases. Every wait is bounded.
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

// ---- raw packets --------------------------------------------------------------------------

std::string RawConnect(const std::string& client_id, bool v5, const std::string& will_topic = {}) {
  std::string body = Str("MQTT") + std::string(1, v5 ? '\x05' : '\x04');
  unsigned char flags = 0x02;
  if (!will_topic.empty()) flags |= 0x04;
  body += static_cast<char>(flags);
  body += std::string("\x00\x3C", 2);  // keep alive 60 s
  if (v5) body += std::string(1, '\x00');
  body += Str(client_id);
  if (!will_topic.empty()) {
    if (v5) body += std::string(1, '\x00');
    body += Str(will_topic) + Str("gone");
  }
  return Packet(0x10, body);
}

std::string RawPublish(const std::string& topic, const std::string& payload, bool v5) {
  return Packet(0x30, Str(topic) + (v5 ? std::string(1, '\x00') : std::string()) + payload);
}

// Reads one whole packet (remaining length below 128, as every reply here is).
std::string ReadPacket(RawClient& c) {
  std::string head = c.Read(2);
  if (head.size() < 2) return head;
  return head + c.Read(static_cast<unsigned char>(head[1]));
}

class BrokerTest : public ::testing::Test {
 protected:
  static ServerOptions Options(std::vector<std::string> extra = {}) {
    ServerOptions o;
    o.extra_args = {"--mqtt-allow-anonymous", "--mqtt-sys-interval-s", "0"};
    for (auto& a : extra) o.extra_args.push_back(a);
    return o;
  }

  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(Options());
    port_ = std::to_string(MqttPort(*server_));
  }

  std::vector<std::string> Sub(const std::string& version, std::vector<std::string> args) {
    std::vector<std::string> argv = {"mosquitto_sub", "-h", "127.0.0.1", "-p",
                                     port_,           "-V", version};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  std::vector<std::string> Pub(const std::string& version, std::vector<std::string> args) {
    std::vector<std::string> argv = {"mosquitto_pub", "-h", "127.0.0.1", "-p",
                                     port_,           "-V", version};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  std::string Metrics() { return server_->Client().Get("/metrics").body; }
  double Metric(const std::string& sample) { return MetricValue(Metrics(), sample); }

  // Waits until the broker holds at least `n` subscriptions (a subscriber is ready).
  bool SubscriptionsReach(double n) {
    return Eventually([&] { return Metric("sitewatch_mqtt_subscriptions") >= n; });
  }

  std::unique_ptr<ServerProcess> server_;
  std::string port_;
};

const std::vector<std::string> kVersions = {"mqttv311", "mqttv5"};

TEST_F(BrokerTest, ReadyFileCarriesTheMqttPortAndReadyNeedsTheBroker) {
  EXPECT_GT(MqttPort(*server_), 0);
  EXPECT_NE(MqttPort(*server_), server_->http_port());
  EXPECT_EQ(server_->Client().Get("/ready").status, 200);
}

TEST_F(BrokerTest, RoundTripsEveryQosInBothVersions) {
  for (const std::string& v : kVersions) {
    for (const char* qos : {"0", "1", "2"}) {
      SCOPED_TRACE(v + " qos " + qos);
      const std::string topic = "rt/" + v + "/" + qos;
      const double before = Metric("sitewatch_mqtt_subscriptions");
      Child sub(Sub(v, {"-t", topic, "-q", qos, "-C", "2", "-W", "10", "-F", "%q %t %p"}));
      ASSERT_TRUE(SubscriptionsReach(before + 1));
      for (const char* payload : {"hello", "world"}) {
        auto [code, out] = RunChild(Pub(v, {"-t", topic, "-q", qos, "-m", payload}));
        EXPECT_EQ(code, 0) << out;
      }
      EXPECT_EQ(sub.Wait(), 0);
      const std::string q(qos);
      EXPECT_EQ(sub.Output(), q + " " + topic + " hello\n" + q + " " + topic + " world\n");
    }
  }
  EXPECT_GE(Metric("sitewatch_mqtt_messages_received_total{qos=\"2\"}"), 4);
  EXPECT_GE(Metric("sitewatch_mqtt_messages_sent_total{qos=\"1\"}"), 4);
}

TEST_F(BrokerTest, RetainedMessagesAreSetReplacedClearedAndFlagged) {
  for (const std::string& v : kVersions) {
    SCOPED_TRACE(v);
    const std::string topic = "ret/" + v;
    ASSERT_EQ(RunChild(Pub(v, {"-t", topic, "-r", "-q", "1", "-m", "old"})).first, 0);
    ASSERT_EQ(RunChild(Pub(v, {"-t", topic, "-r", "-q", "1", "-m", "new"})).first, 0);
    auto [code, out] = RunChild(Sub(v, {"-t", topic, "-C", "1", "-W", "5", "-F", "%r %p"}));
    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, "1 new\n");  // delivered on subscribe, RETAIN set
    ASSERT_EQ(RunChild(Pub(v, {"-t", topic, "-r", "-n"})).first, 0);  // clear
    auto [code2, out2] = RunChild(Sub(v, {"-t", topic, "-C", "1", "-W", "1"}));
    EXPECT_NE(code2, 0);  // timed out: nothing retained any more
    EXPECT_EQ(out2.find("new"), std::string::npos);
  }
}

TEST_F(BrokerTest, WillIsPublishedOnAbruptDisconnectInBothVersions) {
  for (const std::string& v : kVersions) {
    SCOPED_TRACE(v);
    const double before = Metric("sitewatch_mqtt_subscriptions");
    Child watcher(Sub(v, {"-t", "will/" + v, "-C", "1", "-W", "10"}));
    ASSERT_TRUE(SubscriptionsReach(before + 1));
    Child dying(Sub(v, {"-t", "other/x", "--will-topic", "will/" + v, "--will-payload", "offline",
                        "-k", "60"}));
    ASSERT_TRUE(SubscriptionsReach(before + 2));
    dying.Kill(SIGKILL);  // no DISCONNECT: the kernel closes the socket
    EXPECT_EQ(watcher.Wait(), 0);
    EXPECT_EQ(watcher.Output(), "offline\n");
  }
  // A clean disconnect publishes no will.
  const double before = Metric("sitewatch_mqtt_subscriptions");
  Child watcher(Sub("mqttv5", {"-t", "will/clean", "-C", "1", "-W", "2"}));
  ASSERT_TRUE(SubscriptionsReach(before + 1));
  ASSERT_EQ(RunChild(Sub("mqttv5", {"-t", "x", "-E", "--will-topic", "will/clean", "--will-payload",
                                    "offline"}))
                .first,
            0);
  EXPECT_NE(watcher.Wait(), 0);  // timed out
  EXPECT_EQ(watcher.Output().find("offline"), std::string::npos);
}

TEST_F(BrokerTest, PersistentSessionGetsMessagesQueuedWhileOffline) {
  for (const std::string& v : kVersions) {
    SCOPED_TRACE(v);
    std::vector<std::string> session = {"-c", "-i", "pers-" + v, "-q", "1", "-t", "p/" + v};
    if (v == "mqttv5") session.insert(session.end(), {"-x", "600"});
    auto first = Sub(v, session);
    first.push_back("-E");  // subscribe, then disconnect
    ASSERT_EQ(RunChild(first).first, 0);
    ASSERT_EQ(RunChild(Pub(v, {"-t", "p/" + v, "-q", "1", "-m", "while-away"})).first, 0);
    ASSERT_EQ(RunChild(Pub(v, {"-t", "p/" + v, "-q", "0", "-m", "qos0-not-kept"})).first, 0);
    auto again = Sub(v, session);
    again.insert(again.end(), {"-C", "1", "-W", "5"});
    auto [code, out] = RunChild(again);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, "while-away\n");
  }
}

TEST_F(BrokerTest, SessionsAndRetainedMessagesSurviveABrokerRestart) {
  for (const std::string& v : kVersions) {
    std::vector<std::string> session = {"-c", "-i", "restart-" + v, "-q", "2", "-t", "rs/" + v};
    if (v == "mqttv5") session.insert(session.end(), {"-x", "3600"});
    auto first = Sub(v, session);
    first.push_back("-E");
    ASSERT_EQ(RunChild(first).first, 0);
    ASSERT_EQ(RunChild(Pub(v, {"-t", "rs/" + v, "-q", "2", "-m", "queued-" + v})).first, 0);
  }
  ASSERT_EQ(RunChild(Pub("mqttv5", {"-t", "keep/me", "-r", "-q", "1", "-m", "retained"})).first, 0);
  const std::string dir = server_->data_dir();
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  ServerOptions options = Options();
  options.data_dir = dir;
  server_ = std::make_unique<ServerProcess>(options);
  port_ = std::to_string(MqttPort(*server_));
  for (const std::string& v : kVersions) {
    SCOPED_TRACE(v);
    std::vector<std::string> session = {"-c", "-i", "restart-" + v, "-q", "2", "-t", "rs/" + v};
    if (v == "mqttv5") session.insert(session.end(), {"-x", "3600"});
    auto again = Sub(v, session);
    again.insert(again.end(), {"-C", "1", "-W", "5"});
    auto [code, out] = RunChild(again);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, "queued-" + v + "\n");
  }
  auto [code, out] = RunChild(Sub("mqttv311", {"-t", "keep/#", "-C", "1", "-W", "5", "-v"}));
  EXPECT_EQ(code, 0);
  EXPECT_EQ(out, "keep/me retained\n");
}

// ---- unfinished flows of a persistent session (MQTT-4.4.0-1) ------------------------------

std::string PersistentConnect(const std::string& client_id, bool v5) {
  std::string body = Str("MQTT") + std::string(1, v5 ? '\x05' : '\x04');
  body += std::string(1, '\x00');                              // clean session / clean start off
  body += std::string("\x00\x3C", 2);                          // keep alive 60 s
  if (v5) body += std::string("\x05\x11\x00\x00\x0E\x10", 6);  // session expiry 3600 s
  body += Str(client_id);
  return Packet(0x10, body);
}

std::string Id(std::uint16_t id) {
  return std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xFF)};
}

struct SeenPublish {
  unsigned char first = 0;
  std::uint16_t id = 0;
  std::string payload;
};

// Parses a QoS 1/2 PUBLISH read by ReadPacket (no properties sent by the broker here).
SeenPublish ParsePublish(const std::string& packet, bool v5) {
  SeenPublish p;
  if (packet.size() < 4) return p;
  p.first = static_cast<unsigned char>(packet[0]);
  const std::size_t topic_len =
      (static_cast<unsigned char>(packet[2]) << 8) | static_cast<unsigned char>(packet[3]);
  std::size_t at = 4 + topic_len;
  if (packet.size() < at + 2) return p;
  p.id = static_cast<std::uint16_t>((static_cast<unsigned char>(packet[at]) << 8) |
                                    static_cast<unsigned char>(packet[at + 1]));
  at += 2;
  if (v5) at += 1 + static_cast<unsigned char>(packet[at]);
  if (at <= packet.size()) p.payload = packet.substr(at);
  return p;
}

// A subscriber with a persistent session gets a QoS 2 message (answers PUBREC, gets the
// PUBREL, never sends the PUBCOMP) and a QoS 1 message (never answers), then its connection
// drops. `resume` (returns the MQTT port to come back to, 0 on failure) brings it back
// after a reconnect or a broker restart; it must get
// the PUBREL again — not the QoS 2 PUBLISH, which would deliver that message twice — and the
// QoS 1 PUBLISH with DUP=1 and its original packet id.
void CheckUnfinishedFlowsResume(const std::string& version, int port,
                                const std::function<void()>& publish_two,
                                const std::function<int()>& resume) {
  const bool v5 = version == "mqttv5";
  const std::string client = "resume-" + version;
  std::uint16_t qos2_id = 0, qos1_id = 0;
  {
    RawClient c(port);
    ASSERT_TRUE(c.Send(PersistentConnect(client, v5)));
    ASSERT_EQ(ReadPacket(c).substr(0, 1), "\x20");
    ASSERT_TRUE(c.Send(Packet(0x82, Id(1) + (v5 ? std::string(1, '\x00') : std::string()) +
                                        Str("rf/" + version) + std::string(1, '\x02'))));
    ASSERT_EQ(ReadPacket(c).substr(0, 1), "\x90");
    publish_two();
    SeenPublish m1 = ParsePublish(ReadPacket(c), v5);
    ASSERT_EQ(m1.first & 0xF6, 0x34) << "a QoS 2 PUBLISH";
    ASSERT_EQ(m1.payload, "m1");
    qos2_id = m1.id;
    ASSERT_TRUE(c.Send(Packet(0x50, Id(qos2_id))));  // PUBREC
    std::string pubrel, next;
    // The PUBREL and the QoS 1 PUBLISH, in whichever order they come.
    for (int i = 0; i < 2; ++i) {
      std::string p = ReadPacket(c);
      ASSERT_FALSE(p.empty());
      if (static_cast<unsigned char>(p[0]) == 0x62) {
        pubrel = p;
      } else {
        next = p;
      }
    }
    ASSERT_EQ(pubrel.substr(2, 2), Id(qos2_id));
    SeenPublish m2 = ParsePublish(next, v5);
    ASSERT_EQ(m2.first, 0x32) << "a QoS 1 PUBLISH, first sending";
    ASSERT_EQ(m2.payload, "m2");
    qos1_id = m2.id;
    c.Close();  // no PUBCOMP, no PUBACK
  }
  const int again_port = resume();
  ASSERT_NE(again_port, 0);
  RawClient c(again_port);
  ASSERT_TRUE(c.Send(PersistentConnect(client, v5)));
  const std::string connack = ReadPacket(c);
  ASSERT_GE(connack.size(), 4u);
  EXPECT_EQ(connack[2], '\x01') << "session present";
  const std::string first = ReadPacket(c);
  ASSERT_EQ(first.substr(0, 1), "\x62") << "the PUBREL again, not the QoS 2 PUBLISH";
  EXPECT_EQ(first.substr(2, 2), Id(qos2_id));
  SeenPublish again = ParsePublish(ReadPacket(c), v5);
  EXPECT_EQ(again.first, 0x3A) << "QoS 1 with DUP=1";
  EXPECT_EQ(again.id, qos1_id) << "its original packet id";
  EXPECT_EQ(again.payload, "m2");
  ASSERT_TRUE(c.Send(Packet(0x70, Id(qos2_id)) + Packet(0x40, Id(qos1_id))));  // PUBCOMP, PUBACK
  EXPECT_TRUE(c.Read(1, 500ms).empty()) << "nothing else: m1 is not delivered twice";
  ASSERT_TRUE(c.Send(Packet(0xE0, v5 ? std::string(1, '\x00') : std::string())));
}

TEST_F(BrokerTest, UnfinishedFlowsResumeWithTheirPacketIdsAfterAReconnect) {
  for (const std::string& v : kVersions) {
    SCOPED_TRACE(v);
    CheckUnfinishedFlowsResume(
        v, std::stoi(port_),
        [&] {
          ASSERT_EQ(RunChild(Pub(v, {"-t", "rf/" + v, "-q", "2", "-m", "m1"})).first, 0);
          ASSERT_EQ(RunChild(Pub(v, {"-t", "rf/" + v, "-q", "1", "-m", "m2"})).first, 0);
        },
        [&] {
          // The broker has seen the drop once the session is offline again.
          return Eventually([&] { return Metric("sitewatch_mqtt_connections") == 0; })
                     ? std::stoi(port_)
                     : 0;
        });
  }
}

TEST_F(BrokerTest, UnfinishedFlowsResumeWithTheirPacketIdsAfterABrokerRestart) {
  const std::string v = "mqttv5";
  CheckUnfinishedFlowsResume(
      v, std::stoi(port_),
      [&] {
        ASSERT_EQ(RunChild(Pub(v, {"-t", "rf/" + v, "-q", "2", "-m", "m1"})).first, 0);
        ASSERT_EQ(RunChild(Pub(v, {"-t", "rf/" + v, "-q", "1", "-m", "m2"})).first, 0);
      },
      [&] {
        EXPECT_TRUE(Eventually([&] { return Metric("sitewatch_mqtt_connections") == 0; }));
        const std::string dir = server_->data_dir();
        if (server_->Stop(SIGTERM) != 0) return 0;
        ServerOptions options = Options();
        options.data_dir = dir;
        server_ = std::make_unique<ServerProcess>(options);
        port_ = std::to_string(MqttPort(*server_));
        return MqttPort(*server_);
      });
}

// The broker writes changed sessions about once a second, so a SIGKILL (no clean stop, no
// final snapshot) keeps the subscriptions and offline queues older than that.
TEST_F(BrokerTest, SessionsSurviveABrokerCrash) {
  for (const std::string& v : kVersions) {
    std::vector<std::string> session = {"-c", "-i", "crash-" + v, "-q", "1", "-t", "cr/" + v};
    if (v == "mqttv5") session.insert(session.end(), {"-x", "3600"});
    auto first = Sub(v, session);
    first.push_back("-E");
    ASSERT_EQ(RunChild(first).first, 0);
    ASSERT_EQ(RunChild(Pub(v, {"-t", "cr/" + v, "-q", "1", "-m", "queued-" + v})).first, 0);
  }
  std::this_thread::sleep_for(2500ms);  // two save ticks
  const std::string dir = server_->data_dir();
  server_->Stop(SIGKILL);
  ServerOptions options = Options();
  options.data_dir = dir;
  server_ = std::make_unique<ServerProcess>(options);
  port_ = std::to_string(MqttPort(*server_));
  for (const std::string& v : kVersions) {
    SCOPED_TRACE(v);
    std::vector<std::string> session = {"-c", "-i", "crash-" + v, "-q", "1", "-t", "cr/" + v};
    if (v == "mqttv5") session.insert(session.end(), {"-x", "3600"});
    auto again = Sub(v, session);
    again.insert(again.end(), {"-C", "1", "-W", "5"});
    auto [code, out] = RunChild(again);
    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, "queued-" + v + "\n");
  }
}

TEST_F(BrokerTest, SharedSubscriptionSplitsTheLoad) {
  const double before = Metric("sitewatch_mqtt_subscriptions");
  Child a(Sub("mqttv5", {"-t", "$share/workers/jobs/#", "-q", "1", "-C", "5", "-W", "10"}));
  Child b(Sub("mqttv5", {"-t", "$share/workers/jobs/#", "-q", "1", "-C", "5", "-W", "10"}));
  ASSERT_TRUE(SubscriptionsReach(before + 2));
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(RunChild(Pub("mqttv5", {"-t", "jobs/" + std::to_string(i), "-q", "1", "-m",
                                      "job" + std::to_string(i)}))
                  .first,
              0);
  }
  EXPECT_EQ(a.Wait(), 0);
  EXPECT_EQ(b.Wait(), 0);
  // Each got exactly five, and together all ten.
  std::string both = a.Output() + b.Output();
  for (int i = 0; i < 10; ++i) {
    EXPECT_NE(both.find("job" + std::to_string(i) + "\n"), std::string::npos) << i;
  }
}

TEST_F(BrokerTest, AclDeniesPublishAndSubscribeUnderSwAndCountsThem) {
  const double before = Metric("sitewatch_mqtt_subscriptions");
  Child spy(Sub("mqttv5", {"-t", "#", "-W", "2", "-v"}));
  ASSERT_TRUE(SubscriptionsReach(before + 1));
  for (const std::string& v : kVersions) {
    (void)RunChild(Pub(v, {"-t", "sw/d/dev1/telemetry", "-q", "1", "-m", "forged"}));
  }
  for (const std::string& v : kVersions) {
    auto [code, out] = RunChild(Sub(v, {"-t", "sw/d/+/cmd", "-C", "1", "-W", "2"}));
    EXPECT_NE(out.find("All subscription requests were denied"), std::string::npos) << out;
  }
  spy.Wait();
  EXPECT_EQ(spy.Output().find("forged"), std::string::npos);
  EXPECT_EQ(Metric("sitewatch_mqtt_acl_denied_total{operation=\"publish\"}"), 2);
  EXPECT_EQ(Metric("sitewatch_mqtt_acl_denied_total{operation=\"subscribe\"}"), 2);
}

TEST_F(BrokerTest, UnknownDeviceCredentialsAreRefused) {
  for (const std::string& v : kVersions) {
    auto [code, out] = RunChild(Pub(v, {"-t", "a", "-m", "x", "-u", "dev1", "-P", "secret"}));
    EXPECT_NE(code, 0) << v;
  }
  EXPECT_EQ(Metric("sitewatch_mqtt_auth_failures_total"), 2);
}

TEST(BrokerAnonymousOff, AnonymousClientsAreRefusedByDefault) {
  ServerProcess server;
  const std::string port = std::to_string(MqttPort(server));
  for (const char* v : {"mqttv311", "mqttv5"}) {
    auto [code, out] =
        RunChild({"mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-V", v, "-t", "a", "-m", "x"});
    EXPECT_NE(code, 0) << v;
    EXPECT_NE(out.find("authori"), std::string::npos) << out;
  }
}

// ---- robustness: each case leaves the broker serving other clients -----------------------

class BrokerRobustnessTest : public BrokerTest {
 protected:
  // A subscriber connected before the trouble must still get a message after it.
  void ExpectStillServing(const std::string& tag) {
    auto [code, out] = RunChild(Pub("mqttv5", {"-t", "alive/" + tag, "-q", "1", "-m", "ok"}));
    EXPECT_EQ(code, 0) << out;
    auto [code2, out2] =
        RunChild(Pub("mqttv311", {"-t", "alive/" + tag, "-r", "-q", "1", "-m", "still"}));
    EXPECT_EQ(code2, 0);
    auto [code3, out3] = RunChild(Sub("mqttv311", {"-t", "alive/" + tag, "-C", "1", "-W", "5"}));
    EXPECT_EQ(code3, 0);
    EXPECT_EQ(out3, "still\n");
  }
};

TEST_F(BrokerRobustnessTest, MalformedPacketClosesOnlyThatConnection) {
  const int port = MqttPort(*server_);
  RawClient good(port);
  ASSERT_TRUE(good.Send(RawConnect("good", true)));
  ASSERT_EQ(ReadPacket(good).substr(0, 1), "\x20");  // CONNACK
  RawClient bad(port);
  ASSERT_TRUE(bad.Send(RawConnect("bad", true)));
  ASSERT_EQ(ReadPacket(bad).substr(0, 1), "\x20");
  ASSERT_TRUE(bad.Send(std::string("\x30\x02\xFF\xFF", 4)));  // topic length beyond the body
  const std::string disconnect = bad.Read(3);
  ASSERT_GE(disconnect.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(disconnect[0]), 0xE0);  // DISCONNECT
  EXPECT_EQ(static_cast<unsigned char>(disconnect[2]), 0x81);  // Malformed Packet
  EXPECT_TRUE(bad.ClosedByPeer());
  // Bad bytes before CONNECT, too.
  RawClient garbage(port);
  // "GE" reads as a fixed header with 69 bytes to follow; the padding completes the frame.
  ASSERT_TRUE(garbage.Send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + std::string(100, 'x')));
  EXPECT_TRUE(garbage.ClosedByPeer());
  ASSERT_TRUE(good.Send(std::string("\xC0\x00", 2)));  // PINGREQ on the good connection
  EXPECT_EQ(good.Read(2), std::string("\xD0\x00", 2));
  ExpectStillServing("malformed");
  EXPECT_GE(Metric("sitewatch_mqtt_protocol_errors_total"), 2);
}

TEST_F(BrokerRobustnessTest, TooLargePacketIsRefusedWithPacketTooLarge) {
  server_ = std::make_unique<ServerProcess>(Options({"--mqtt-max-packet-size", "1024"}));
  port_ = std::to_string(MqttPort(*server_));
  const int port = MqttPort(*server_);
  RawClient big(port);
  ASSERT_TRUE(big.Send(RawConnect("big", true)));
  ASSERT_EQ(ReadPacket(big).substr(0, 1), "\x20");
  // Only the header is sent: the broker refuses before buffering the body.
  ASSERT_TRUE(big.Send(std::string("\x30", 1) + Varint(100'000)));
  const std::string disconnect = big.Read(3);
  ASSERT_GE(disconnect.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(disconnect[0]), 0xE0);
  EXPECT_EQ(static_cast<unsigned char>(disconnect[2]), 0x95);  // Packet too large
  EXPECT_TRUE(big.ClosedByPeer());
  RawClient big3(port);  // 3.1.1: just closed
  ASSERT_TRUE(big3.Send(RawConnect("big3", false)));
  ASSERT_FALSE(big3.Read(4).empty());
  ASSERT_TRUE(big3.Send(RawPublish("t", std::string(2000, 'x'), false)));
  EXPECT_TRUE(big3.ClosedByPeer());
  ExpectStillServing("large");
}

TEST_F(BrokerRobustnessTest, ConnectFloodIsRateLimitedAndOthersKeepWorking) {
  const int port = MqttPort(*server_);
  const double before = Metric("sitewatch_mqtt_subscriptions");
  Child sub(Sub("mqttv5", {"-t", "flood/after", "-C", "1", "-W", "15"}));
  ASSERT_TRUE(SubscriptionsReach(before + 1));
  // 100 CONNECTs with credentials that cannot be valid, as fast as possible.
  std::string bad_connect;
  {
    std::string body = Str("MQTT") + "\x04" + "\xC2" + std::string("\x00\x3C", 2) + Str("f") +
                       Str("user") + Str("pass");
    bad_connect = Packet(0x10, body);
  }
  RawClient pub(port);  // connected before the flood
  ASSERT_TRUE(pub.Send(RawConnect("flood-pub", false)));
  ASSERT_EQ(pub.Read(4).size(), 4u);
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < 100; ++i) {
    flood.push_back(std::make_unique<RawClient>(port));
    ASSERT_TRUE(flood.back()->Send(bad_connect));
  }
  int refused = 0;
  for (auto& c : flood) {
    const std::string connack = c->Read(4, 2000ms);
    if (connack.size() == 4 && connack[3] != 0) ++refused;
  }
  EXPECT_EQ(refused, 100);
  EXPECT_EQ(Metric("sitewatch_mqtt_auth_failures_total"), 10);  // then the IP is refused early
  EXPECT_EQ(Metric("sitewatch_mqtt_connect_rate_limited_total"), 90);
  flood.clear();
  // Clients connected before the flood are untouched (new CONNECTs from this IP now wait out
  // the minute).
  ASSERT_TRUE(pub.Send(RawPublish("flood/after", "served", false)));
  EXPECT_EQ(sub.Wait(), 0);
  EXPECT_EQ(sub.Output(), "served\n");
}

TEST_F(BrokerRobustnessTest, AbruptDisconnectMidPacketPublishesTheWillAndNothingElse) {
  const int port = MqttPort(*server_);
  const double before = Metric("sitewatch_mqtt_subscriptions");
  Child watcher(Sub("mqttv311", {"-t", "mid/#", "-C", "1", "-W", "10", "-v"}));
  ASSERT_TRUE(SubscriptionsReach(before + 1));
  {
    RawClient c(port);
    ASSERT_TRUE(c.Send(RawConnect("mid", false, "mid/will")));
    ASSERT_FALSE(c.Read(4).empty());
    const std::string publish = RawPublish("mid/data", std::string(500, 'x'), false);
    ASSERT_TRUE(c.Send(publish.substr(0, 100)));  // half a packet, then the socket goes away
  }
  EXPECT_EQ(watcher.Wait(), 0);
  EXPECT_EQ(watcher.Output(), "mid/will gone\n");
  ExpectStillServing("mid");
}

}  // namespace
}  // namespace sw::testing
