// The broker's limits through the real binary: keep-alive (1.5x), connection cap, per-client
// publish rate. Raw bytes on 127.0.0.1; bounded waits.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

// CONNECT 5.0, clean start, the given keep alive.
std::string Connect5(const std::string& id, int keep_alive_s) {
  std::string body =
      Str("MQTT") + "\x05\x02" +
      std::string{static_cast<char>(keep_alive_s >> 8), static_cast<char>(keep_alive_s & 0xFF)} +
      std::string(1, '\0') + Str(id);
  return "\x10" + Varint(body.size()) + body;
}

// PUBLISH 5.0 QoS 1.
std::string Publish5Qos1(const std::string& topic, int packet_id) {
  std::string body =
      Str(topic) +
      std::string{static_cast<char>(packet_id >> 8), static_cast<char>(packet_id & 0xFF)} +
      std::string(1, '\0') + "payload";
  return "\x32" + Varint(body.size()) + body;
}

std::string ReadOne(RawClient& c) {
  std::string head = c.Read(2);
  if (head.size() < 2) return head;
  return head + c.Read(static_cast<unsigned char>(head[1]));
}

ServerOptions With(std::vector<std::string> args) {
  ServerOptions o;
  o.extra_args = {"--mqtt-allow-anonymous"};
  for (auto& a : args) o.extra_args.push_back(a);
  return o;
}

TEST(BrokerLimits, KeepAliveClosesASilentClientAfterOneAndAHalfIntervals) {
  ServerProcess server(With({}));
  RawClient c(MqttPort(server));
  ASSERT_TRUE(c.Send(Connect5("quiet", 1)));
  ASSERT_EQ(ReadOne(c).substr(0, 1), "\x20");
  const auto start = std::chrono::steady_clock::now();
  const std::string disconnect = ReadOne(c);  // waits (up to 3 s) for the broker
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_GE(disconnect.size(), 3u);
  EXPECT_EQ(static_cast<unsigned char>(disconnect[0]), 0xE0);
  EXPECT_EQ(static_cast<unsigned char>(disconnect[2]), 0x8D);  // Keep Alive timeout
  EXPECT_GE(waited, 1400ms);
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST(BrokerLimits, ConnectionsAboveTheCapAreClosedAtAccept) {
  ServerProcess server(With({"--mqtt-max-connections", "2"}));
  const int port = MqttPort(server);
  RawClient a(port), b(port);
  ASSERT_TRUE(a.Send(Connect5("a", 60)));
  ASSERT_TRUE(b.Send(Connect5("b", 60)));
  ASSERT_EQ(ReadOne(a).substr(0, 1), "\x20");
  ASSERT_EQ(ReadOne(b).substr(0, 1), "\x20");
  RawClient c(port);
  EXPECT_TRUE(c.ClosedByPeer());
  const std::string metrics = server.Client().Get("/metrics").body;
  EXPECT_EQ(MetricValue(metrics, "sitewatch_mqtt_connections_refused_total"), 1);
  EXPECT_EQ(MetricValue(metrics, "sitewatch_mqtt_connections"), 2);
}

TEST(BrokerLimits, PublishRateAboveTheLimitIsRefusedWithQuotaExceeded) {
  ServerProcess server(With({"--mqtt-publish-rate-per-s", "2"}));
  RawClient c(MqttPort(server));
  ASSERT_TRUE(c.Send(Connect5("fast", 60)));
  ASSERT_EQ(ReadOne(c).substr(0, 1), "\x20");
  std::string burst;
  for (int id = 1; id <= 5; ++id) burst += Publish5Qos1("rate/t", id);
  ASSERT_TRUE(c.Send(burst));
  int ok = 0, quota = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string puback = ReadOne(c);
    ASSERT_GE(puback.size(), 4u) << i;
    ASSERT_EQ(static_cast<unsigned char>(puback[0]), 0x40);
    const unsigned char code = puback.size() > 4 ? static_cast<unsigned char>(puback[4]) : 0;
    if (code == 0) ++ok;
    if (code == 0x97) ++quota;
  }
  EXPECT_EQ(ok, 2);  // the bucket holds one second's worth
  EXPECT_EQ(quota, 3);
  const std::string metrics = server.Client().Get("/metrics").body;
  EXPECT_EQ(MetricValue(metrics, "sitewatch_mqtt_messages_dropped_total{reason=\"rate_limited\"}"),
            3);
}

}  // namespace
}  // namespace sw::testing
