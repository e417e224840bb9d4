// sitewatch-sim against the real server (issue 6): a CCU with two outlets and a pit node,
// registered through the REST API, simulated from the firmware cores over real MQTT
// (libmosquitto). Telemetry arrives; a relay command from the REST API travels broker ->
// simulated CCU -> simulated radio -> the outlet core, is confirmed by the current the
// outlet measures, and the outlet's reported relay state comes back in its telemetry.
// Provisioning: a new pit node gets its credentials through the provisioning flow (announce,
// an owner's approval over REST, credentials on its config topic), stores them in the
// credentials file and then reports as itself.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "broker_util.hpp"
#include "harness.hpp"
#include "mqtt_device.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

json::value Data(const HttpResult& r) {
  EXPECT_GE(r.status, 200) << r.body;
  EXPECT_LT(r.status, 300) << r.body;
  const json::value v = r.Json();
  return v.is_object() && v.as_object().contains("data") ? v.at("data") : json::value();
}

class SimE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(SimBinary().c_str(), X_OK) != 0) GTEST_SKIP() << "no " << SimBinary();
    server_ =
        std::make_unique<ServerProcess>(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, ""});
    client_ = std::make_unique<HttpClient>(server_->Client());
    admin_ = Login(*client_, "admin", ServerProcess::kAdminPassword);
    ws_ = Data(client_->Post("/api/v1/workshops", {{"name", "Sim Workshop"}}, admin_))
              .at("id")
              .as_int64();
    const std::string base = "/api/v1/workshops/" + std::to_string(ws_);
    pit_ = Data(client_->Post(base + "/pits", {{"number", 1}, {"name", "Bay 1"}}, admin_)).at("id");
    const json::value pit = pit_;
    const auto reg = [&](const json::object& body) {
      const json::value d = Data(client_->Post(base + "/devices", body, admin_));
      credentials_ += std::string(d.at("device").at("uid").as_string()) + " " +
                      std::string(d.at("secret").as_string()) + " " +
                      std::string(d.at("device").at("kind").as_string()) + "\n";
    };
    reg({{"uid", "SIM-NODE"}, {"kind", "sensor_node"}, {"pit_id", pit}});
    reg({{"uid", "SIM-CCU"}, {"kind", "gateway"}});
    reg({{"kind", "outlet"}, {"parent_uid", "SIM-CCU"}, {"radio_address", 1}});
    reg({{"kind", "outlet"}, {"parent_uid", "SIM-CCU"}, {"radio_address", 2}});
  }

  // The device's latest values (metric -> value) and whether it is online.
  std::map<std::string, double> Latest(const std::string& uid, bool* online = nullptr) {
    const json::value d = Data(client_->Get("/api/v1/devices/" + uid + "/latest", admin_));
    std::map<std::string, double> out;
    if (!d.is_object()) return out;
    if (online) *online = d.at("online").as_bool();
    for (const auto& kv : d.at("values").as_object()) {
      out[std::string(kv.key())] = kv.value().at("value").to_number<double>();
    }
    return out;
  }
  // Sends a relay command and waits (bounded) for it to end; returns the command.
  json::object Relay(const std::string& uid, const std::string& socket, bool on) {
    const json::value issued = Data(
        client_->Post("/api/v1/devices/" + uid + "/commands",
                      {{"name", "relay"}, {"params", {{"socket", socket}, {"on", on}}}}, admin_));
    const std::string id(issued.at("id").as_string());
    json::object c;
    Eventually(
        [&] {
          c = Data(client_->Get("/api/v1/commands/" + id, admin_)).as_object();
          const auto state = c.at("state").as_string();
          return state != "queued" && state != "sent";
        },
        20s);
    return c;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string admin_;
  std::string credentials_;
  std::int64_t ws_ = 0;
  json::value pit_;
};

TEST_F(SimE2E, TelemetryArrivesAndARelayCommandReachesTheSimulatedOutlet) {
  const std::string dir = MakeTempDir("sw-sim");
  const std::string creds = dir + "/devices.txt";
  const std::string scenario = dir + "/scenario.txt";
  std::ofstream(creds) << credentials_;
  std::ofstream(scenario) << "# lights on outlet 01 socket a; sanding in the pit\n"
                             "at 0s SIM-CCU.01 a plug lights\n"
                             "at 0s SIM-CCU.01 a switch on\n"
                             "at 0s SIM-CCU.02 b plug heat_gun\n"
                             "at 1s SIM-NODE sanding on\n"
                             "at 1s SIM-NODE fan on\n"
                             "at 120s end\n";
  Child sim({SimBinary(), "--scenario", scenario, "--devices-file", creds, "--port",
             std::to_string(MqttPort(*server_)), "--interval", "2", "--verbose"});

  // Telemetry of all four devices, through the broker into storage.
  std::map<std::string, double> node, ccu, outlet;
  bool outlet_online = false;
  ASSERT_TRUE(Eventually(
      [&] {
        node = Latest("SIM-NODE");
        ccu = Latest("SIM-CCU");
        outlet = Latest("SIM-CCU.01", &outlet_online);
        return node.contains("temperature") && node.contains("pm10") &&
               ccu.contains("breaker_current_ma") && outlet.contains("relay_a") && outlet_online &&
               Latest("SIM-CCU.02").contains("relay_b");
      },
      30s))
      << sim.Output();
  EXPECT_GT(node.at("temperature"), 5.0);
  EXPECT_LT(node.at("temperature"), 40.0);
  EXPECT_GT(node.at("humidity"), 5.0);
  EXPECT_TRUE(node.contains("iaq"));
  EXPECT_GT(ccu.at("breaker_current_ma"), 1000.0) << "the base load";
  EXPECT_EQ(outlet.at("relay_a"), 0.0) << "sockets stay off after boot (policy off)";

  // Relay on: the command succeeds, verified by the current the outlet measured.
  json::object on = Relay("SIM-CCU.01", "a", true);
  EXPECT_EQ(on.at("state"), "succeeded") << json::serialize(on) << "\n" << sim.Output();
  EXPECT_EQ(on.at("verified"), true) << json::serialize(on);
  ASSERT_TRUE(on.at("measured_ma").is_number()) << json::serialize(on);
  EXPECT_NEAR(on.at("measured_ma").to_number<double>(), 520.0, 60.0) << "the lights";
  // ... and the outlet's reported state comes back in its telemetry.
  ASSERT_TRUE(Eventually(
      [&] {
        outlet = Latest("SIM-CCU.01");
        return outlet["relay_a"] == 1.0 && outlet["current_a_ma"] > 400.0;
      },
      15s))
      << sim.Output();
  EXPECT_GT(Latest("SIM-CCU").at("breaker_current_ma"), 1000.0);

  // Relay off: verified by no current.
  json::object off = Relay("SIM-CCU.01", "a", false);
  EXPECT_EQ(off.at("state"), "succeeded") << json::serialize(off);
  EXPECT_EQ(off.at("verified"), true) << json::serialize(off);
  EXPECT_EQ(off.at("measured_ma").to_number<double>(), 0.0);
  ASSERT_TRUE(Eventually([&] { return Latest("SIM-CCU.01")["relay_a"] == 0.0; }, 15s));

  // History: the node's readings are stored as a series, one point per report.
  json::value history;
  EXPECT_TRUE(Eventually(
      [&] {
        history = Data(
            client_->Get("/api/v1/devices/SIM-NODE/history?metrics=pm10&resolution=raw", admin_));
        const auto& series = history.at("series").as_array();
        return series.size() == 1 && series.at(0).at("points").as_array().size() >= 3;
      },
      15s))
      << json::serialize(history);

  sim.Kill(SIGTERM);
  EXPECT_EQ(sim.Wait(10000ms), 0) << sim.Output();
  const std::string out = sim.Output();
  EXPECT_NE(out.find("\"mode\":\"scenario\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"errors\":[]"), std::string::npos) << out;
}

TEST_F(SimE2E, ANewNodeIsProvisionedApprovedAndThenReportsWithItsCredentials) {
  const json::value key = Data(client_->Post(
      "/api/v1/workshops/" + std::to_string(ws_) + "/provisioning-key", json::object{}, admin_));
  const std::string username(key.at("mqtt_username").as_string());
  ASSERT_EQ(username.rfind("provision:", 0), 0u) << username;
  const std::string slug = username.substr(std::string("provision:").size());
  const std::string dir = MakeTempDir("sw-sim");
  const std::string creds = dir + "/provisioned.txt";
  Child sim({SimBinary(),
             "--provision",
             "--workshop-slug",
             slug,
             "--provisioning-key",
             std::string(key.at("key").as_string()),
             "--credentials-out",
             creds,
             "--nodes",
             "1",
             "--uid-prefix",
             "PROV",
             "--approval-timeout",
             "60s",
             "--port",
             std::to_string(MqttPort(*server_)),
             "--interval",
             "2",
             "--duration",
             "120s"});

  // The node announces itself and waits as a pending device of the workshop.
  const std::string pending =
      "/api/v1/workshops/" + std::to_string(ws_) + "/devices?status=pending";
  json::value device;
  ASSERT_TRUE(Eventually(
      [&] {
        const json::value list = Data(client_->Get(pending, admin_));
        if (!list.is_array()) return false;
        for (const auto& d : list.as_array()) {
          if (d.at("uid") == "PROV-NODE-1") device = d;
        }
        return device.is_object();
      },
      15s))
      << sim.Output();
  EXPECT_EQ(device.at("status"), "pending");
  EXPECT_EQ(device.at("kind"), "sensor_node");
  EXPECT_NE(sim.Output().find("PROV-NODE-1: announced as sensor_node, waiting for an owner's "
                              "approval"),
            std::string::npos)
      << sim.Output();

  const json::value approved = Data(client_->Post(
      "/api/v1/devices/PROV-NODE-1/approve", {{"pit_id", pit_}, {"name", "Bay 1 new"}}, admin_));
  EXPECT_EQ(approved.at("delivered"), true) << json::serialize(approved);

  // It reconnects as itself and its telemetry arrives.
  std::map<std::string, double> values;
  bool online = false;
  ASSERT_TRUE(Eventually(
      [&] {
        values = Latest("PROV-NODE-1", &online);
        return online && values.contains("temperature") && values.contains("pm10");
      },
      30s))
      << sim.Output();
  EXPECT_GT(values.at("temperature"), 5.0);
  EXPECT_LT(values.at("temperature"), 40.0);

  // The credentials file holds its line, and the secret is the one the device logs in with.
  std::ifstream in(creds);
  std::string uid, secret, kind, extra;
  ASSERT_TRUE(in >> uid >> secret >> kind) << sim.Output();
  EXPECT_EQ(uid, "PROV-NODE-1");
  EXPECT_EQ(kind, "sensor_node");
  EXPECT_GE(secret.size(), 20u);
  EXPECT_FALSE(in >> extra) << "one device, one line";

  sim.Kill(SIGTERM);
  EXPECT_EQ(sim.Wait(10000ms), 0) << sim.Output();
  EXPECT_NE(sim.Output().find("\"mode\":\"live\""), std::string::npos) << sim.Output();
  {
    MqttDevice check(MqttPort(*server_), "PROV-NODE-1", secret);
    EXPECT_TRUE(check.WaitConnected()) << "the file's secret logs in: " << check.connack_code();
  }

  // A second run finds the node in the file and does not provision it again.
  Child again({SimBinary(), "--provision", "--workshop-slug", slug, "--provisioning-key",
               "not-the-key", "--credentials-out", creds, "--nodes", "1", "--uid-prefix", "PROV",
               "--port", std::to_string(MqttPort(*server_)), "--duration", "1s"});
  EXPECT_EQ(again.Wait(15000ms), 0) << again.Output();
  EXPECT_NE(again.Output().find("PROV-NODE-1: already in"), std::string::npos) << again.Output();
}

TEST_F(SimE2E, BadScenarioIsRefusedWithItsLine) {
  const std::string dir = MakeTempDir("sw-sim");
  std::ofstream(dir + "/devices.txt") << credentials_;
  std::ofstream(dir + "/bad.txt") << "at 1s SIM-NODE fan on\nat soon SIM-NODE fan off\n";
  auto [code, out] = RunChild({SimBinary(), "--scenario", dir + "/bad.txt", "--devices-file",
                               dir + "/devices.txt", "--port", std::to_string(MqttPort(*server_))});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("line 2"), std::string::npos) << out;
}

}  // namespace
}  // namespace sw::testing
