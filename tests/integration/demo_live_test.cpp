// `make run`'s promise (issue 5 acceptance): the demo devices, simulated by
// `sitewatch-sim --demo` from the firmware cores, publish over real MQTT and their values
// show up, live and changing, through the REST API and the WebSocket.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <sstream>

#include "broker_util.hpp"
#include "harness.hpp"
#include "ws_client.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

TEST(DemoLive, DemoDevicesShowChangingValuesOverRestAndWebSocket) {
  if (::access(SimBinary().c_str(), X_OK) != 0) GTEST_SKIP() << "no " << SimBinary();
  const std::string dir = MakeTempDir("sw-demo");
  const std::string devices_file = dir + "/demo-devices.txt";
  auto [code, out] = RunSitewatch({"demo", "--data-dir", dir, "--devices-file", devices_file});
  ASSERT_EQ(code, 0) << out;
  const auto pos = out.find("demo-owner / ");
  ASSERT_NE(pos, std::string::npos) << out;
  const std::string password = out.substr(pos + 13, out.find('\n', pos) - pos - 13);

  ServerProcess server(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, dir});
  Child publisher({SimBinary(), "--demo", "--devices-file", devices_file, "--port",
                   std::to_string(MqttPort(server)), "--interval", "1"});

  HttpClient c = server.Client();
  const std::string owner = Login(c, "demo-owner", password);
  WsClient ws(server.http_port());
  ASSERT_TRUE(ws.ok()) << ws.error();
  ASSERT_EQ(ws.Call(json::object{{"type", "auth"}, {"token", owner}}).Json()["type"], "ready");
  auto sub = ws.Call(json::object{{"type", "subscribe"}, {"workshops", {1}}});
  ASSERT_EQ(sub.Json()["type"], "subscribed") << sub.text;

  // Two different temperatures of one node over the WebSocket: the values are live.
  std::set<std::string> temperatures;
  std::set<std::string> devices;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (temperatures.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto f = ws.Read(5s);
    ASSERT_EQ(f.kind, WsFrame::Kind::kText) << f.reason << "\n" << publisher.Output();
    auto j = f.Json();
    if (j["type"] != "telemetry") continue;
    devices.insert(std::string(j["device"].as_string()));
    if (j["device"] == "DEMO-NODE-1" && j["values"].as_object().contains("temperature")) {
      temperatures.insert(json::serialize(j["values"].at("temperature")));
    }
  }
  EXPECT_GE(temperatures.size(), 2u) << "the demo's values do not change";

  // REST: every demo device (3 pit nodes, 2 CCUs with 2 outlets each) online with values.
  json::value body;
  const auto all_live = [&] {
    auto latest = c.Get("/api/v1/workshops/1/latest", owner);
    if (latest.status != 200) return false;
    body = latest.Json();
    for (const auto& d : body.at("data").as_array()) {
      if (!d.at("online").as_bool() || d.at("values").as_object().empty()) return false;
    }
    return true;
  };
  EXPECT_TRUE(Eventually(all_live, 20s)) << json::serialize(body) << "\n" << publisher.Output();
  EXPECT_EQ(body.at("data").as_array().size(), 9u);
  publisher.Kill(SIGTERM);
  publisher.Wait(5000ms);
}

}  // namespace
}  // namespace sw::testing
