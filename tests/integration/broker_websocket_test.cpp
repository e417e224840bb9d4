// MQTT over WebSocket on the HTTP port (/mqtt, subprotocol "mqtt", MQTT 5.0 §6): the same
// broker, authentication, ACL, limits and shutdown as a TCP connection. A raw client here
// controls every frame boundary (a packet split across frames, several packets in one frame,
// a text frame); Debian's python3-paho-mqtt is the independent client. Every wait is bounded.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

// ---- MQTT packets ---------------------------------------------------------------------

std::string Props(bool v5) {
  return v5 ? std::string(1, '\0') : std::string();
}

std::string Connect(const std::string& client_id, bool v5, const std::string& user,
                    const std::string& pass, int keep_alive_s = 60) {
  std::string body = Str("MQTT") + std::string(1, v5 ? '\x05' : '\x04');
  body += static_cast<char>(0x02 | 0x80 | 0x40);  // clean, user name, password
  body += U16(keep_alive_s) + Props(v5) + Str(client_id) + Str(user) + Str(pass);
  return Packet(0x10, body);
}

std::string Subscribe(int id, const std::string& filter, int qos, bool v5) {
  return Packet(0x82, U16(id) + Props(v5) + Str(filter) + std::string(1, static_cast<char>(qos)));
}

std::string Publish(const std::string& topic, const std::string& payload, int qos, int id,
                    bool v5) {
  const auto first = static_cast<unsigned char>(0x30 | (qos << 1));
  return Packet(first, Str(topic) + (qos > 0 ? U16(id) : std::string()) + Props(v5) + payload);
}

std::string Puback(int id) {
  return Packet(0x40, U16(id));
}

const std::string kPingreq("\xC0\x00", 2);
const std::string kPingresp("\xD0\x00", 2);

struct Parsed {
  unsigned char type = 0;  // first byte
  std::string body;        // after the remaining length
};

Parsed Parse(const std::string& packet) {
  Parsed p;
  if (packet.empty()) return p;
  p.type = static_cast<unsigned char>(packet[0]);
  std::size_t i = 1;
  while (i < packet.size() && (static_cast<unsigned char>(packet[i]) & 0x80) != 0) ++i;
  p.body = packet.substr(i + 1);
  return p;
}

// A PUBLISH's topic and payload (no properties in 3.1.1; skipped in 5.0).
std::pair<std::string, std::string> TopicAndPayload(const std::string& packet, bool v5) {
  const Parsed p = Parse(packet);
  const std::size_t len =
      (static_cast<unsigned char>(p.body[0]) << 8) | static_cast<unsigned char>(p.body[1]);
  std::size_t at = 2 + len;
  if (((p.type >> 1) & 3) != 0) at += 2;
  if (v5) at += 1 + static_cast<unsigned char>(p.body[at]);  // short property blocks only
  return {p.body.substr(2, len), p.body.substr(at)};
}

// ---- a raw WebSocket MQTT client --------------------------------------------------------

struct WsFrame {
  int opcode = -1;  // -1: nothing (timeout or closed)
  std::string payload;
  int close_code() const {
    return payload.size() >= 2 ? (static_cast<unsigned char>(payload[0]) << 8) |
                                     static_cast<unsigned char>(payload[1])
                               : 0;
  }
};

class WsMqtt {
 public:
  // Connects to the HTTP port and sends an upgrade on `target`; `protocols` is the
  // Sec-WebSocket-Protocol header's value (empty: no header).
  explicit WsMqtt(int http_port, const std::string& protocols = "mqtt",
                  const std::string& target = "/mqtt", bool upgrade = true)
      : raw_(http_port) {
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (upgrade) {
      request +=
          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    }
    if (!protocols.empty()) request += "Sec-WebSocket-Protocol: " + protocols + "\r\n";
    raw_.Send(request + "\r\n");
    while (head_.find("\r\n\r\n") == std::string::npos && head_.size() < 8192) {
      const std::string c = raw_.Read(1);
      if (c.empty()) break;
      head_ += c;
    }
    if (head_.size() > 12) status_ = std::stoi(head_.substr(9, 3));
    if (status_ != 101) {
      const std::string length = Header("content-length");
      if (!length.empty()) body_ = raw_.Read(std::stoul(length));
    }
  }

  int status() const { return status_; }
  const std::string& body() const { return body_; }
  // A response header (name in lower case), "" when absent.
  std::string Header(const std::string& name) const {
    std::string lower;
    for (char c : head_) lower.push_back(static_cast<char>(std::tolower(c)));
    const std::size_t at = lower.find("\r\n" + name + ":");
    if (at == std::string::npos) return {};
    std::size_t start = at + 3 + name.size();
    while (start < head_.size() && head_[start] == ' ') ++start;
    return head_.substr(start, head_.find("\r\n", start) - start);
  }

  // One masked frame.
  bool SendFrame(int opcode, const std::string& payload, bool fin = true) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    if (payload.size() < 126) {
      out.push_back(static_cast<char>(0x80 | payload.size()));
    } else if (payload.size() <= 0xFFFF) {
      out.push_back(static_cast<char>(0x80 | 126));
      out += U16(static_cast<int>(payload.size()));
    } else {
      out.push_back(static_cast<char>(0x80 | 127));
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
      }
    }
    const std::string mask = "\x37\xfa\x21\x3d";
    out += mask;
    for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(payload[i] ^ mask[i % 4]);
    return raw_.Send(out);
  }
  bool Send(const std::string& packets) { return SendFrame(0x2, packets); }
  bool SendRaw(const std::string& bytes) { return raw_.Send(bytes); }

  // The next frame from the server (unmasked).
  WsFrame ReadFrame(std::chrono::milliseconds timeout = 5000ms) {
    WsFrame f;
    const std::string head = raw_.Read(2, timeout);
    if (head.size() < 2) return f;
    std::size_t length = static_cast<unsigned char>(head[1]) & 0x7F;
    if (length == 126) {
      const std::string ext = raw_.Read(2, timeout);
      length = (static_cast<unsigned char>(ext[0]) << 8) | static_cast<unsigned char>(ext[1]);
    } else if (length == 127) {
      const std::string ext = raw_.Read(8, timeout);
      length = 0;
      for (char c : ext) length = (length << 8) | static_cast<unsigned char>(c);
    }
    f.payload = raw_.Read(length, timeout);
    f.opcode = static_cast<unsigned char>(head[0]) & 0x0F;
    return f;
  }

  // The next MQTT packet, assembled from binary frames; "" on a close frame (kept in
  // close_frame()) or timeout. Pongs and pings are skipped (pongs counted).
  std::string ReadPacket(std::chrono::milliseconds timeout = 5000ms) {
    for (;;) {
      if (std::string p = TakePacket(); !p.empty()) return p;
      const WsFrame f = ReadFrame(timeout);
      if (f.opcode == 0x2 || f.opcode == 0x0) {
        stream_ += f.payload;
      } else if (f.opcode == 0xA) {
        pongs_.push_back(f.payload);
      } else if (f.opcode == 0x8 || f.opcode == -1) {
        if (f.opcode == 0x8) close_ = f;
        return {};
      }
    }
  }

  // CONNECT, then the CONNACK's reason / return code (-1 when none came).
  int ConnectAs(const std::string& client_id, bool v5, const std::string& user,
                const std::string& pass, int keep_alive_s = 60) {
    Send(Connect(client_id, v5, user, pass, keep_alive_s));
    const Parsed p = Parse(ReadPacket());
    if (p.type != 0x20 || p.body.size() < 2) return -1;
    return static_cast<unsigned char>(p.body[1]);
  }

  // Reads until the close frame; its code (0 when none came before the socket closed).
  int CloseCode(std::chrono::milliseconds timeout = 5000ms) {
    while (close_.opcode != 0x8) {
      if (ReadPacket(timeout).empty() && close_.opcode != 0x8) return 0;
    }
    return close_.close_code();
  }
  bool ClosedByPeer() { return raw_.ClosedByPeer(); }
  const std::vector<std::string>& pongs() const { return pongs_; }

 private:
  std::string TakePacket() {
    if (stream_.size() < 2) return {};
    std::size_t length = 0;
    std::size_t i = 1;
    for (int shift = 0; i < stream_.size(); ++i, shift += 7) {
      length |= static_cast<std::size_t>(static_cast<unsigned char>(stream_[i]) & 0x7F) << shift;
      if ((static_cast<unsigned char>(stream_[i]) & 0x80) == 0) break;
    }
    if (i >= stream_.size() || stream_.size() < i + 1 + length) return {};
    std::string p = stream_.substr(0, i + 1 + length);
    stream_.erase(0, p.size());
    return p;
  }

  RawClient raw_;
  std::string head_;
  std::string body_;
  int status_ = 0;
  std::string stream_;  // MQTT bytes received and not yet returned
  WsFrame close_;
  std::vector<std::string> pongs_;
};

// ---- the fixture: a server with devices -------------------------------------------------

class BrokerWebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(std::vector<std::string> extra) {
    ServerOptions o;
    o.extra_args = {"--mqtt-sys-interval-s", "0"};
    for (auto& a : extra) o.extra_args.push_back(a);
    server_.reset();
    server_ = std::make_unique<ServerProcess>(o);
    http_ = server_->http_port();
    mqtt_port_ = std::to_string(MqttPort(*server_));
    auto client = server_->Client();
    const std::string admin = Login(client, "admin", ServerProcess::kAdminPassword);
    const auto ws = client.Post("/api/v1/workshops", {{"name", "WS Garage"}}, admin)
                        .Json()
                        .at("data")
                        .at("id")
                        .as_int64();
    const std::string devices = "/api/v1/workshops/" + std::to_string(ws) + "/devices";
    const auto reg = [&](json::object body) {
      auto r = client.Post(devices, body, admin);
      EXPECT_EQ(r.status, 201) << r.body;
      return std::string(r.Json().at("data").at("secret").as_string());
    };
    a_secret_ = reg({{"uid", "NODE-A"}, {"kind", "sensor_node"}});
    b_secret_ = reg({{"uid", "NODE-B"}, {"kind", "sensor_node"}});
  }

  // mosquitto_pub / mosquitto_sub over TCP as NODE-A.
  std::vector<std::string> Tcp(const char* tool, const std::string& version,
                               std::vector<std::string> args) {
    std::vector<std::string> argv = {tool,    "-h", "127.0.0.1", "-p", mqtt_port_, "-V",
                                     version, "-u", "NODE-A",    "-P", a_secret_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  double Metric(const std::string& sample) {
    return MetricValue(server_->Client().Get("/metrics").body, sample);
  }
  bool SubscriptionsReach(double n) {
    return Eventually([&] { return Metric("sitewatch_mqtt_subscriptions") >= n; });
  }

  std::unique_ptr<ServerProcess> server_;
  int http_ = 0;
  std::string mqtt_port_, a_secret_, b_secret_;
};

struct Version {
  bool v5;
  const char* tool_version;  // mosquitto's -V
};
const std::vector<Version> kVersions = {{false, "mqttv311"}, {true, "mqttv5"}};

TEST_F(BrokerWebSocketTest, HandshakeAnswersTheMqttSubprotocolAndDeviceCredentialsConnect) {
  for (const Version& v : kVersions) {
    WsMqtt ws(http_, "mqtt");
    ASSERT_EQ(ws.status(), 101);
    EXPECT_EQ(ws.Header("sec-websocket-protocol"), "mqtt");
    EXPECT_EQ(ws.Header("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455
    EXPECT_EQ(ws.ConnectAs("ws-a", v.v5, "NODE-A", a_secret_), 0) << v.tool_version;
    EXPECT_TRUE(Eventually([&] { return Metric("sitewatch_mqtt_websocket_connections") == 1; }));
    EXPECT_GE(Metric("sitewatch_mqtt_connections"), 1);
    ASSERT_TRUE(ws.Send(kPingreq));
    EXPECT_EQ(ws.ReadPacket(), kPingresp);
    ASSERT_TRUE(ws.Send(std::string("\xE0\x00", 2)));  // DISCONNECT
    EXPECT_EQ(ws.CloseCode(), 1000);                   // the broker's close frame
    EXPECT_TRUE(ws.ClosedByPeer());
    EXPECT_TRUE(Eventually([&] { return Metric("sitewatch_mqtt_websocket_connections") == 0; }));
  }
  EXPECT_EQ(Metric("sitewatch_mqtt_websocket_connections_accepted_total"), 2);
  // The subprotocol may be one of several offered.
  WsMqtt several(http_, "chat, mqtt");
  EXPECT_EQ(several.status(), 101);
  EXPECT_EQ(several.Header("sec-websocket-protocol"), "mqtt");
}

TEST_F(BrokerWebSocketTest, UpgradeWithoutTheMqttSubprotocolIsRefused) {
  WsMqtt none(http_, "");
  EXPECT_EQ(none.status(), 400);
  EXPECT_NE(none.body().find("WEBSOCKET_SUBPROTOCOL_REQUIRED"), std::string::npos) << none.body();
  WsMqtt other(http_, "chat, mqttv3.1");
  EXPECT_EQ(other.status(), 400);
  EXPECT_NE(other.body().find("WEBSOCKET_SUBPROTOCOL_REQUIRED"), std::string::npos);
  WsMqtt plain(http_, "", "/mqtt", /*upgrade=*/false);
  EXPECT_EQ(plain.status(), 400);
  EXPECT_NE(plain.body().find("WEBSOCKET_REQUIRED"), std::string::npos) << plain.body();
  EXPECT_EQ(Metric("sitewatch_mqtt_websocket_connections_accepted_total"), 0);
}

TEST_F(BrokerWebSocketTest, WebSocketAndTcpClientsExchangeMessagesAtQos1) {
  for (const Version& v : kVersions) {
    SCOPED_TRACE(v.tool_version);
    WsMqtt ws(http_);
    ASSERT_EQ(ws.ConnectAs("ws-a", v.v5, "NODE-A", a_secret_), 0);
    ASSERT_TRUE(ws.Send(Subscribe(1, "sw/d/NODE-A/telemetry", 1, v.v5)));
    const Parsed suback = Parse(ws.ReadPacket());
    ASSERT_EQ(suback.type, 0x90);
    EXPECT_EQ(static_cast<unsigned char>(suback.body.back()), 1);  // QoS 1 granted

    // TCP -> WebSocket.
    const std::string reading = R"({"values":{"temperature":21.5}})";
    auto [code, out] = RunChild(Tcp("mosquitto_pub", v.tool_version,
                                    {"-t", "sw/d/NODE-A/telemetry", "-q", "1", "-m", reading}));
    ASSERT_EQ(code, 0) << out;
    const std::string publish = ws.ReadPacket();
    ASSERT_FALSE(publish.empty());
    EXPECT_EQ(static_cast<unsigned char>(publish[0]) & 0xF6, 0x32);  // PUBLISH QoS 1
    EXPECT_EQ(TopicAndPayload(publish, v.v5),
              std::make_pair(std::string("sw/d/NODE-A/telemetry"), reading));
    const Parsed p = Parse(publish);
    const std::size_t id_at = 2 + std::string("sw/d/NODE-A/telemetry").size();
    ASSERT_TRUE(ws.Send(Puback((static_cast<unsigned char>(p.body[id_at]) << 8) |
                               static_cast<unsigned char>(p.body[id_at + 1]))));

    // WebSocket -> TCP, with the broker's PUBACK.
    const double before = Metric("sitewatch_mqtt_subscriptions");
    Child sub(Tcp("mosquitto_sub", v.tool_version,
                  {"-t", "sw/d/NODE-A/event", "-q", "1", "-C", "1", "-W", "10"}));
    ASSERT_TRUE(SubscriptionsReach(before + 1)) << sub.Output();
    const std::string event = R"({"type":"button"})";
    ASSERT_TRUE(ws.Send(Publish("sw/d/NODE-A/event", event, 1, 77, v.v5)));
    const Parsed puback = Parse(ws.ReadPacket());
    EXPECT_EQ(puback.type, 0x40);
    EXPECT_EQ(puback.body.substr(0, 2), U16(77));
    EXPECT_EQ(sub.Wait(), 0) << sub.Output();
    EXPECT_EQ(sub.Output(), event + "\n");
  }
}

TEST_F(BrokerWebSocketTest, PacketsSpanFramesAndFramesHoldSeveralPackets) {
  WsMqtt ws(http_);
  ASSERT_EQ(ws.status(), 101);
  // The CONNECT in three frames: a fragmented message (binary, continuation, continuation),
  // with a ping between the fragments (control frames may interleave).
  const std::string connect = Connect("ws-split", true, "NODE-A", a_secret_);
  ASSERT_TRUE(ws.SendFrame(0x2, connect.substr(0, 3), false));
  ASSERT_TRUE(ws.SendFrame(0x9, "are you there"));
  ASSERT_TRUE(ws.SendFrame(0x0, connect.substr(3, 10), false));
  ASSERT_TRUE(ws.SendFrame(0x0, connect.substr(13), true));
  EXPECT_EQ(Parse(ws.ReadPacket()).type, 0x20);
  ASSERT_EQ(ws.pongs(), std::vector<std::string>{"are you there"});
  // SUBSCRIBE, a PUBLISH to that topic and PINGREQ in one frame: SUBACK, then the message
  // back and PINGRESP (the delivery goes through the broker, so either may come first).
  ASSERT_TRUE(ws.Send(Subscribe(2, "sw/d/NODE-A/status", 0, true) +
                      Publish("sw/d/NODE-A/status", R"({"online":true})", 0, 0, true) + kPingreq));
  EXPECT_EQ(Parse(ws.ReadPacket()).type, 0x90);
  const auto publish_and_pingresp = [&](const std::string& payload) {
    std::string publish = ws.ReadPacket();
    std::string pingresp = ws.ReadPacket();
    if (publish == kPingresp) std::swap(publish, pingresp);
    EXPECT_EQ(pingresp, kPingresp);
    ASSERT_EQ(Parse(publish).type, 0x30);
    EXPECT_EQ(TopicAndPayload(publish, true).second, payload);
  };
  publish_and_pingresp(R"({"online":true})");
  // A packet split across two unfragmented binary frames, the second also holding the next.
  const std::string one = Publish("sw/d/NODE-A/status", R"({"online":1})", 0, 0, true);
  ASSERT_TRUE(ws.Send(one.substr(0, 5)));
  ASSERT_TRUE(ws.Send(one.substr(5) + kPingreq));
  publish_and_pingresp(R"({"online":1})");
}

TEST_F(BrokerWebSocketTest, TextFrameClosesTheConnection) {
  for (const Version& v : kVersions) {
    const double errors = Metric("sitewatch_mqtt_protocol_errors_total");
    WsMqtt ws(http_);
    ASSERT_EQ(ws.ConnectAs("ws-text", v.v5, "NODE-A", a_secret_), 0);
    ASSERT_TRUE(ws.SendFrame(0x1, "\xC0"));  // a PINGREQ, but in a text frame
    if (v.v5) {
      const Parsed disconnect = Parse(ws.ReadPacket());
      EXPECT_EQ(disconnect.type, 0xE0);
      EXPECT_EQ(static_cast<unsigned char>(disconnect.body[0]), 0x82);  // Protocol Error
    }
    EXPECT_EQ(ws.CloseCode(), 1003) << v.tool_version;  // unsupported data
    EXPECT_TRUE(ws.ClosedByPeer());
    EXPECT_EQ(Metric("sitewatch_mqtt_protocol_errors_total"), errors + 1);
  }
}

TEST_F(BrokerWebSocketTest, BadCredentialsGetTheSameConnackAsOverTcp) {
  WsMqtt v5(http_);
  EXPECT_EQ(v5.ConnectAs("ws-bad", true, "NODE-A", b_secret_), 0x86);  // bad user name/password
  EXPECT_EQ(v5.CloseCode(), 1000);
  WsMqtt v311(http_);
  EXPECT_EQ(v311.ConnectAs("ws-bad", false, "NODE-A", b_secret_), 4);
  WsMqtt unknown(http_);
  EXPECT_EQ(unknown.ConnectAs("ws-bad", true, "NODE-Z", b_secret_), 0x86);
  EXPECT_EQ(Metric("sitewatch_mqtt_auth_failures_total"), 3);
}

TEST_F(BrokerWebSocketTest, ConnectFailuresCountPerHttpPeerIpWithTcpOnes) {
  Start({"--mqtt-connect-failures-per-minute", "3"});
  // Two failures over WebSocket and one over TCP from 127.0.0.1 spend the budget...
  for (int i = 0; i < 2; ++i) {
    WsMqtt ws(http_);
    EXPECT_EQ(ws.ConnectAs("ws-bad", true, "NODE-A", b_secret_), 0x86);
  }
  auto [code, out] = RunChild({"mosquitto_pub", "-h", "127.0.0.1", "-p", mqtt_port_, "-V", "mqttv5",
                               "-u", "NODE-A", "-P", b_secret_, "-t", "x", "-m", "x"});
  EXPECT_NE(code, 0) << out;
  // ... so even the right secret is refused now, over WebSocket as over TCP.
  WsMqtt ws(http_);
  EXPECT_EQ(ws.ConnectAs("ws-good", true, "NODE-A", a_secret_), 0x9F);  // connection rate
  EXPECT_GE(Metric("sitewatch_mqtt_connect_rate_limited_total"), 1);
}

TEST_F(BrokerWebSocketTest, AclDenialIsTheSameAsOverTcp) {
  const double before = Metric("sitewatch_mqtt_subscriptions");
  Child victim(Tcp("mosquitto_sub", "mqttv5", {"-t", "sw/d/NODE-A/#", "-W", "3", "-v"}));
  ASSERT_TRUE(SubscriptionsReach(before + 1)) << victim.Output();
  for (const Version& v : kVersions) {
    SCOPED_TRACE(v.tool_version);
    WsMqtt ws(http_);
    ASSERT_EQ(ws.ConnectAs("ws-b", v.v5, "NODE-B", b_secret_), 0);
    ASSERT_TRUE(ws.Send(Subscribe(3, "sw/d/NODE-A/#", 1, v.v5)));
    const Parsed suback = Parse(ws.ReadPacket());
    ASSERT_EQ(suback.type, 0x90);
    EXPECT_EQ(static_cast<unsigned char>(suback.body.back()), v.v5 ? 0x87 : 0x80);
    ASSERT_TRUE(ws.Send(Publish("sw/d/NODE-A/telemetry", "forged", 1, 9, v.v5)));
    const Parsed puback = Parse(ws.ReadPacket());
    ASSERT_EQ(puback.type, 0x40);
    if (v.v5) {
      EXPECT_EQ(static_cast<unsigned char>(puback.body.at(2)), 0x87);  // Not authorized
    } else {
      EXPECT_EQ(puback.body.size(), 2u);  // 3.1.1: a plain PUBACK, the message dropped
    }
  }
  victim.Wait();
  EXPECT_EQ(victim.Output().find("forged"), std::string::npos) << victim.Output();
  EXPECT_EQ(Metric("sitewatch_mqtt_acl_denied_total{operation=\"publish\"}"), 2);
  EXPECT_EQ(Metric("sitewatch_mqtt_acl_denied_total{operation=\"subscribe\"}"), 2);
}

TEST_F(BrokerWebSocketTest, GarbageAndOversizedPacketsCloseOnlyThatConnection) {
  Start({"--mqtt-max-packet-size", "1024"});
  WsMqtt good(http_);
  ASSERT_EQ(good.ConnectAs("ws-good", true, "NODE-A", a_secret_), 0);
  ASSERT_TRUE(good.Send(Subscribe(1, "sw/d/NODE-A/event", 0, true)));
  ASSERT_EQ(Parse(good.ReadPacket()).type, 0x90);

  // Only the header of a 100 kB PUBLISH: refused before its body is buffered.
  WsMqtt big(http_);
  ASSERT_EQ(big.ConnectAs("ws-big", true, "NODE-A", a_secret_), 0);
  ASSERT_TRUE(big.Send(std::string("\x30", 1) + Varint(100'000)));
  const Parsed too_large = Parse(big.ReadPacket());
  EXPECT_EQ(too_large.type, 0xE0);
  EXPECT_EQ(static_cast<unsigned char>(too_large.body.at(0)), 0x95);  // Packet too large
  EXPECT_EQ(big.CloseCode(), 1000);
  EXPECT_TRUE(big.ClosedByPeer());

  // Not MQTT at all, in a binary frame.
  WsMqtt garbage(http_);
  ASSERT_TRUE(garbage.Send("GET / HTTP/1.1\r\n\r\n" + std::string(100, 'x')));
  EXPECT_TRUE(garbage.ClosedByPeer());
  // Not WebSocket framing: an unmasked frame.
  WsMqtt unmasked(http_);
  ASSERT_TRUE(unmasked.SendRaw(std::string("\x82\x02\xC0\x00", 4)));
  EXPECT_EQ(unmasked.CloseCode(), 1002);
  EXPECT_TRUE(unmasked.ClosedByPeer());

  // The good connection and TCP clients are still served.
  ASSERT_TRUE(good.Send(kPingreq));
  EXPECT_EQ(good.ReadPacket(), kPingresp);
  auto [code, out] =
      RunChild(Tcp("mosquitto_pub", "mqttv311", {"-t", "sw/d/NODE-A/event", "-m", "{}"}));
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(TopicAndPayload(good.ReadPacket(), true).second, "{}");
  EXPECT_GE(Metric("sitewatch_mqtt_protocol_errors_total"), 3);
}

TEST_F(BrokerWebSocketTest, KeepAliveIsMqttsAndTheHttpIdleTimeoutDoesNotApply) {
  Start({"--http-idle-timeout-s", "1"});
  WsMqtt quiet(http_);  // keep-alive 0: no MQTT deadline at all
  ASSERT_EQ(quiet.ConnectAs("ws-quiet", true, "NODE-A", a_secret_, 0), 0);
  WsMqtt sleepy(http_);  // keep-alive 1 s: closed by the broker after 1.5 s of silence
  ASSERT_EQ(sleepy.ConnectAs("ws-sleepy", true, "NODE-A", a_secret_, 1), 0);
  const Parsed keep_alive = Parse(sleepy.ReadPacket(4000ms));
  EXPECT_EQ(keep_alive.type, 0xE0);
  EXPECT_EQ(static_cast<unsigned char>(keep_alive.body.at(0)), 0x8D);  // Keep alive timeout
  EXPECT_EQ(sleepy.CloseCode(), 1000);
  // Longer than the HTTP idle timeout has passed: the quiet connection is still served.
  ASSERT_TRUE(quiet.Send(kPingreq));
  EXPECT_EQ(quiet.ReadPacket(), kPingresp);
}

TEST_F(BrokerWebSocketTest, ShutdownClosesWebSocketConnections) {
  WsMqtt ws(http_);
  ASSERT_EQ(ws.ConnectAs("ws-a", true, "NODE-A", a_secret_), 0);
  const pid_t pid = server_->pid();
  ::kill(pid, SIGTERM);
  const Parsed disconnect = Parse(ws.ReadPacket());
  EXPECT_EQ(disconnect.type, 0xE0);
  EXPECT_EQ(static_cast<unsigned char>(disconnect.body.at(0)), 0x8B);  // Server shutting down
  EXPECT_EQ(ws.CloseCode(), 1001);                                     // going away
  EXPECT_TRUE(ws.ClosedByPeer());
  EXPECT_EQ(server_->Stop(SIGTERM), 0) << server_->Log();
}

TEST_F(BrokerWebSocketTest, PahoClientOverWebSocketsInBothVersions) {
  const std::string script = SourceDir() + "/tests/integration/paho_ws_client.py";
  if (RunChild({"/usr/bin/python3", "-c", "import paho.mqtt.client"}).first != 0) {
    GTEST_SKIP() << "python3-paho-mqtt is not installed (scripts/bootstrap.sh installs it)";
  }
  for (const char* version : {"v311", "v5"}) {
    auto [code, out] = RunChild(
        {"/usr/bin/python3", script, std::to_string(http_), "NODE-A", a_secret_, version}, 15s);
    EXPECT_EQ(code, 0) << version << ": " << out;
    EXPECT_NE(out.find(std::string("received sw/d/NODE-A/telemetry {\"values\":{\"paho_") +
                       version + "\":1}}"),
              std::string::npos)
        << out;
  }
}

}  // namespace
}  // namespace sw::testing
