// sitewatch-sim over the HTTP device API (issue 6): a pit node marked transport=http in the
// devices file posts its telemetry with HTTP Basic uid:secret, and a command issued over REST
// reaches it by long poll (GET /api/v1/device/commands?wait=25) and is answered with
// POST /api/v1/device/commands/{id}/result.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "broker_util.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

json::value Data(const HttpResult& r) {
  EXPECT_GE(r.status, 200) << r.body;
  EXPECT_LT(r.status, 300) << r.body;
  const json::value v = r.Json();
  return v.is_object() && v.as_object().contains("data") ? v.at("data") : json::value();
}

class SimHttp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(SimBinary().c_str(), X_OK) != 0) GTEST_SKIP() << "no " << SimBinary();
    server_ =
        std::make_unique<ServerProcess>(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, ""});
    client_ = std::make_unique<HttpClient>(server_->Client());
    admin_ = Login(*client_, "admin", ServerProcess::kAdminPassword);
    const std::int64_t ws =
        Data(client_->Post("/api/v1/workshops", {{"name", "HTTP Workshop"}}, admin_))
            .at("id")
            .as_int64();
    const std::string base = "/api/v1/workshops/" + std::to_string(ws);
    const json::value pit =
        Data(client_->Post(base + "/pits", {{"number", 1}, {"name", "Bay 1"}}, admin_)).at("id");
    const json::value d = Data(
        client_->Post(base + "/devices",
                      {{"uid", "HTTP-NODE"}, {"kind", "sensor_node"}, {"pit_id", pit}}, admin_));
    credentials_ =
        "HTTP-NODE " + std::string(d.at("secret").as_string()) + " sensor_node transport=http\n";
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string admin_;
  std::string credentials_;
};

TEST_F(SimHttp, APitNodeOverHttpReportsAndTakesACommandByLongPoll) {
  const std::string dir = MakeTempDir("sw-sim-http");
  const std::string creds = dir + "/devices.txt";
  const std::string scenario = dir + "/scenario.txt";
  std::ofstream(creds) << credentials_;
  std::ofstream(scenario) << "at 1s HTTP-NODE sanding on\nat 120s end\n";
  Child sim({SimBinary(), "--scenario", scenario, "--devices-file", creds, "--port",
             std::to_string(MqttPort(*server_)), "--http-port",
             std::to_string(server_->http_port()), "--interval", "2", "--verbose"});

  // Telemetry over POST /api/v1/device/telemetry.
  json::value latest;
  ASSERT_TRUE(Eventually(
      [&] {
        latest = Data(client_->Get("/api/v1/devices/HTTP-NODE/latest", admin_));
        return latest.is_object() && latest.at("values").as_object().contains("temperature") &&
               latest.at("values").as_object().contains("pm10");
      },
      30s))
      << json::serialize(latest) << "\n"
      << sim.Output();
  EXPECT_TRUE(latest.at("online").as_bool()) << "presence from last_seen";
  const double t = latest.at("values").at("temperature").at("value").to_number<double>();
  EXPECT_GT(t, 5.0);
  EXPECT_LT(t, 40.0);

  // A command over REST reaches the node by long poll and ends succeeded.
  const json::value issued =
      Data(client_->Post("/api/v1/devices/HTTP-NODE/commands",
                         {{"name", "set_interval"}, {"params", {{"seconds", 3}}}}, admin_));
  const std::string id(issued.at("id").as_string());
  json::object c;
  ASSERT_TRUE(Eventually(
      [&] {
        c = Data(client_->Get("/api/v1/commands/" + id, admin_)).as_object();
        const auto state = c.at("state").as_string();
        return state != "queued" && state != "sent";
      },
      20s))
      << json::serialize(c) << "\n"
      << sim.Output();
  EXPECT_EQ(c.at("state"), "succeeded") << json::serialize(c) << "\n" << sim.Output();

  // The node keeps reporting afterwards (its readings keep coming at the new interval).
  json::value history;
  EXPECT_TRUE(Eventually(
      [&] {
        history = Data(
            client_->Get("/api/v1/devices/HTTP-NODE/history?metrics=pm10&resolution=raw", admin_));
        const auto& series = history.at("series").as_array();
        return series.size() == 1 && series.at(0).at("points").as_array().size() >= 3;
      },
      20s))
      << json::serialize(history);

  sim.Kill(SIGTERM);
  EXPECT_EQ(sim.Wait(10000ms), 0) << sim.Output();
  const std::string out = sim.Output();
  EXPECT_NE(out.find("\"http_nodes\":1"), std::string::npos) << out;
  EXPECT_NE(out.find("\"http_refused\":0"), std::string::npos) << out;
  EXPECT_NE(out.find("\"errors\":[]"), std::string::npos) << out;
}

TEST_F(SimHttp, TransportHttpIsRefusedWithLoad) {
  const std::string dir = MakeTempDir("sw-sim-http");
  const std::string creds = dir + "/devices.txt";
  std::ofstream(creds) << credentials_;
  Child sim({SimBinary(), "--load", "--devices-file", creds, "--devices", "1", "--rate", "1",
             "--transport", "http"});
  EXPECT_EQ(sim.Wait(10000ms), 2) << sim.Output();
  EXPECT_NE(sim.Output().find("--transport http does not run with --load"), std::string::npos)
      << sim.Output();
}

}  // namespace
}  // namespace sw::testing
