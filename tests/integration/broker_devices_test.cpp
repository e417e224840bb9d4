// Devices on the built-in broker with their registry credentials (PRODUCT.md §4): a device
// reads and writes its own topics, and is refused another device's.
#include <gtest/gtest.h>

#include "broker_util.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

class BrokerDevicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ =
        std::make_unique<ServerProcess>(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, ""});
    port_ = std::to_string(MqttPort(*server_));
    auto client = server_->Client();
    const std::string admin = Login(client, "admin", ServerProcess::kAdminPassword);
    const auto ws = client.Post("/api/v1/workshops", {{"name", "MQTT Garage"}}, admin)
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
    node_secret_ = reg({{"uid", "NODE-A"}, {"kind", "sensor_node"}});
    other_secret_ = reg({{"uid", "NODE-B"}, {"kind", "sensor_node"}});
    gateway_secret_ = reg({{"uid", "CCU-7"}, {"kind", "gateway"}});
    reg({{"kind", "outlet"}, {"parent_uid", "CCU-7"}, {"radio_address", 1}});
  }
  std::vector<std::string> Client(const char* tool, const std::string& version,
                                  const std::string& user, const std::string& pass,
                                  std::vector<std::string> args) {
    std::vector<std::string> argv = {tool,    "-h", "127.0.0.1", "-p", port_, "-V",
                                     version, "-u", user,        "-P", pass};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  double Metric(const std::string& sample) {
    return MetricValue(server_->Client().Get("/metrics").body, sample);
  }

  std::unique_ptr<ServerProcess> server_;
  std::string port_, node_secret_, other_secret_, gateway_secret_;
};

TEST_F(BrokerDevicesTest, DeviceReceivesWhatItPublishesOnItsOwnTopics) {
  for (const std::string v : {"mqttv5", "mqttv311"}) {
    const double before = Metric("sitewatch_mqtt_subscriptions");
    Child sub(Client("mosquitto_sub", v, "NODE-A", node_secret_,
                     {"-t", "sw/d/NODE-A/#", "-C", "1", "-W", "10", "-F", "%t %p"}));
    ASSERT_TRUE(Eventually([&] { return Metric("sitewatch_mqtt_subscriptions") > before; }))
        << sub.Output();
    auto [code, out] = RunChild(Client(
        "mosquitto_pub", v, "NODE-A", node_secret_,
        {"-t", "sw/d/NODE-A/telemetry", "-q", "1", "-m", R"({"values":{"temperature":23.4}})"}));
    EXPECT_EQ(code, 0) << out;
    EXPECT_EQ(sub.Wait(), 0) << sub.Output();
    EXPECT_NE(sub.Output().find(R"(sw/d/NODE-A/telemetry {"values":{"temperature":23.4}})"),
              std::string::npos)
        << sub.Output();
  }
}

TEST_F(BrokerDevicesTest, AnotherDevicesTopicsAreRefused) {
  // 5.0: SUBACK 0x87 (Not authorized), which mosquitto_sub reports.
  auto [code, out] = RunChild(Client("mosquitto_sub", "mqttv5", "NODE-A", node_secret_,
                                     {"-t", "sw/d/NODE-B/#", "-C", "1", "-W", "2"}));
  EXPECT_NE(out.find("All subscription requests were denied"), std::string::npos) << code << out;
  EXPECT_GE(Metric("sitewatch_mqtt_acl_denied_total{operation=\"subscribe\"}"), 1);

  // A publish into another device's telemetry never reaches that device's subscribers.
  const double before = Metric("sitewatch_mqtt_subscriptions");
  Child victim(Client("mosquitto_sub", "mqttv5", "NODE-B", other_secret_,
                      {"-t", "sw/d/NODE-B/#", "-C", "1", "-W", "3"}));
  ASSERT_TRUE(Eventually([&] { return Metric("sitewatch_mqtt_subscriptions") > before; }));
  RunChild(Client("mosquitto_pub", "mqttv5", "NODE-A", node_secret_,
                  {"-t", "sw/d/NODE-B/telemetry", "-q", "1", "-m", "forged"}));
  victim.Wait();
  EXPECT_EQ(victim.Output().find("forged"), std::string::npos) << victim.Output();
  EXPECT_GE(Metric("sitewatch_mqtt_acl_denied_total{operation=\"publish\"}"), 1);
}

TEST_F(BrokerDevicesTest, WrongSecretIsRefusedAndAGatewaySpeaksForItsOutlet) {
  auto [code, out] = RunChild(Client("mosquitto_pub", "mqttv5", "NODE-A", other_secret_,
                                     {"-t", "sw/d/NODE-A/telemetry", "-m", "x"}));
  EXPECT_NE(code, 0) << out;
  const double before = Metric("sitewatch_mqtt_subscriptions");
  Child sub(Client("mosquitto_sub", "mqttv5", "CCU-7", gateway_secret_,
                   {"-t", "sw/d/CCU-7.01/#", "-C", "1", "-W", "10", "-F", "%t"}));
  ASSERT_TRUE(Eventually([&] { return Metric("sitewatch_mqtt_subscriptions") > before; }))
      << sub.Output();
  auto [pcode, pout] = RunChild(Client("mosquitto_pub", "mqttv5", "CCU-7", gateway_secret_,
                                       {"-t", "sw/d/CCU-7.01/status", "-m", "{}"}));
  EXPECT_EQ(pcode, 0) << pout;
  EXPECT_EQ(sub.Wait(), 0) << sub.Output();
  EXPECT_NE(sub.Output().find("sw/d/CCU-7.01/status"), std::string::npos);
}

}  // namespace
}  // namespace sw::testing
