// The CCU's outlet registry synced from the server (issue 6): a gateway and an outlet are
// registered over REST, sitewatch-sim runs the gateway (from a devices file that lists no
// outlet: its registry is empty), the server's sync_outlets command brings the outlet into the
// gateway's persisted registry and its telemetry arrives; a second outlet registered while the
// simulator runs comes alive without a restart; a retired one is dropped from the gateway.
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

class GatewaySync : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(SimBinary().c_str(), X_OK) != 0) GTEST_SKIP() << "no " << SimBinary();
    // The waits below poll the API every 10 ms: more than the default per-user rate limit.
    server_ = std::make_unique<ServerProcess>(ServerOptions{
        {"--mqtt-sys-interval-s", "0", "--api-rate-limit-per-minute", "1000000"}, {}, ""});
    client_ = std::make_unique<HttpClient>(server_->Client());
    admin_ = Login(*client_, "admin", ServerProcess::kAdminPassword);
    ws_ = Data(client_->Post("/api/v1/workshops", {{"name", "Sync Workshop"}}, admin_))
              .at("id")
              .as_int64();
  }

  json::value Register(const json::object& body) {
    return Data(
        client_->Post("/api/v1/workshops/" + std::to_string(ws_) + "/devices", body, admin_));
  }
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
  // The gateway's sync_outlets commands, newest first.
  std::vector<json::object> Syncs() {
    const json::value list =
        Data(client_->Get("/api/v1/devices/SYNC-GW/commands?page_size=100", admin_));
    std::vector<json::object> out;
    if (!list.is_array()) return out;
    for (const auto& c : list.as_array()) {
      if (c.at("name") == "sync_outlets") out.push_back(c.as_object());
    }
    return out;
  }
  // Waits for the newest sync to end; true when it succeeded.
  bool NewestSyncSucceeded(json::object* newest) {
    const bool ended = Eventually(
        [&] {
          const auto syncs = Syncs();
          if (syncs.empty()) return false;
          *newest = syncs.front();
          const auto state = newest->at("state").as_string();
          return state != "queued" && state != "sent";
        },
        30s);
    return ended && newest->at("state") == "succeeded";
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
  std::string admin_;
  std::int64_t ws_ = 0;
};

TEST_F(GatewaySync, RegisteredOutletsReachTheGatewayAndRetiredOnesLeaveIt) {
  const json::value gw = Register({{"uid", "SYNC-GW"}, {"kind", "gateway"}});
  Register({{"kind", "outlet"}, {"parent_uid", "SYNC-GW"}, {"radio_address", 10}});
  // Queued while the gateway is offline; the params carry the whole desired registry.
  auto syncs = Syncs();
  ASSERT_EQ(syncs.size(), 1u);
  EXPECT_EQ(syncs[0].at("state"), "queued");
  EXPECT_EQ(json::serialize(syncs[0].at("params")),
            R"({"rev":1,"outlets":[{"uid":"SYNC-GW.0A","address":10}]})");

  // The simulator knows only the gateway: no outlet in its devices file.
  const std::string dir = MakeTempDir("sw-sync");
  const std::string creds = dir + "/devices.txt";
  std::ofstream(creds) << "SYNC-GW " << std::string(gw.at("secret").as_string()) << " gateway\n";
  const std::string scenario = dir + "/scenario.txt";
  std::ofstream(scenario) << "at 300s end\n";
  Child sim({SimBinary(), "--scenario", scenario, "--devices-file", creds, "--port",
             std::to_string(MqttPort(*server_)), "--interval", "2", "--relays", "on"});

  json::object newest;
  ASSERT_TRUE(NewestSyncSucceeded(&newest)) << json::serialize(newest) << "\n" << sim.Output();
  EXPECT_EQ(newest.at("result_detail"), "outlets rev 1 applied: 1 outlets")
      << json::serialize(newest);
  bool online = false;
  ASSERT_TRUE(Eventually(
      [&] {
        const auto values = Latest("SYNC-GW.0A", &online);
        return online && values.contains("relay_a") && values.contains("current_a_ma");
      },
      30s))
      << sim.Output();

  // A second outlet while the simulator runs: a new revision, applied, alive.
  Register({{"kind", "outlet"}, {"parent_uid", "SYNC-GW"}, {"radio_address", 11}});
  ASSERT_TRUE(NewestSyncSucceeded(&newest)) << json::serialize(newest) << "\n" << sim.Output();
  EXPECT_EQ(json::serialize(newest.at("params")),
            R"({"rev":2,"outlets":[{"uid":"SYNC-GW.0A","address":10},)"
            R"({"uid":"SYNC-GW.0B","address":11}]})");
  EXPECT_EQ(newest.at("result_detail"), "outlets rev 2 applied: 2 outlets");
  ASSERT_TRUE(Eventually(
      [&] {
        auto values = Latest("SYNC-GW.0B", &online);
        return online && values["relay_a"] == 1.0;  // calibrated, its sockets back on
      },
      30s))
      << sim.Output();
  // And it takes commands like any outlet.
  const json::value relay = Data(
      client_->Post("/api/v1/devices/SYNC-GW.0B/commands",
                    {{"name", "relay"}, {"params", {{"socket", "a"}, {"on", false}}}}, admin_));
  const std::string relay_id(relay.at("id").as_string());
  json::object relay_done;
  ASSERT_TRUE(Eventually(
      [&] {
        relay_done = Data(client_->Get("/api/v1/commands/" + relay_id, admin_)).as_object();
        return relay_done.at("state") == "succeeded";
      },
      20s))
      << json::serialize(relay_done);

  // Retiring the first one: revision 3 without it.
  const auto deleted = client_->Request("DELETE", "/api/v1/devices/SYNC-GW.0A", {}, admin_);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  ASSERT_TRUE(NewestSyncSucceeded(&newest)) << json::serialize(newest) << "\n" << sim.Output();
  EXPECT_EQ(json::serialize(newest.at("params")),
            R"({"rev":3,"outlets":[{"uid":"SYNC-GW.0B","address":11}]})");
  EXPECT_EQ(newest.at("result_detail"), "outlets rev 3 applied: 1 outlets");
  // Every revision was applied once, in order; none was superseded or failed, and the
  // gateway's statuses in between (outlets_rev 1, then 2) queued no extra sync.
  syncs = Syncs();
  ASSERT_EQ(syncs.size(), 3u);
  for (const auto& s : syncs) EXPECT_EQ(s.at("state"), "succeeded") << json::serialize(s);

  sim.Kill(SIGTERM);
  EXPECT_EQ(sim.Wait(10000ms), 0) << sim.Output();
}

// A legacy PIC outlet registered with radio_protocol 1: the sync says so, the gateway speaks
// the seed's 8-byte frames to it (the simulator plugs in a PIC model), its readings arrive and
// a relay command reaches it. Changing the protocol re-syncs the gateway.
TEST_F(GatewaySync, ALegacyOutletIsSyncedWithItsProtocolAndDriven) {
  const json::value gw = Register({{"uid", "SYNC-GW"}, {"kind", "gateway"}});
  const std::string devices = "/api/v1/workshops/" + std::to_string(ws_) + "/devices";
  auto bad = client_->Post(
      devices,
      {{"kind", "outlet"}, {"parent_uid", "SYNC-GW"}, {"radio_address", 12}, {"radio_protocol", 3}},
      admin_);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("radio_protocol"), std::string::npos) << bad.body;
  bad = client_->Post(devices, {{"uid", "NODE-X"}, {"kind", "sensor_node"}, {"radio_protocol", 1}},
                      admin_);
  EXPECT_EQ(bad.status, 400) << bad.body;
  const json::value pic = Register({{"kind", "outlet"},
                                    {"parent_uid", "SYNC-GW"},
                                    {"radio_address", 12},
                                    {"radio_protocol", 1}});
  EXPECT_EQ(pic.at("device").at("radio_protocol"), 1);
  auto syncs = Syncs();
  ASSERT_EQ(syncs.size(), 1u);
  EXPECT_EQ(json::serialize(syncs[0].at("params")),
            R"({"rev":1,"outlets":[{"uid":"SYNC-GW.0C","address":12,"protocol":1}]})");

  const std::string dir = MakeTempDir("sw-sync-legacy");
  const std::string creds = dir + "/devices.txt";
  std::ofstream(creds) << "SYNC-GW " << std::string(gw.at("secret").as_string()) << " gateway\n";
  const std::string scenario = dir + "/scenario.txt";
  std::ofstream(scenario) << "at 300s end\n";
  Child sim({SimBinary(), "--scenario", scenario, "--devices-file", creds, "--port",
             std::to_string(MqttPort(*server_)), "--interval", "2"});
  json::object newest;
  ASSERT_TRUE(NewestSyncSucceeded(&newest)) << json::serialize(newest) << "\n" << sim.Output();
  EXPECT_EQ(newest.at("result_detail"), "outlets rev 1 applied: 1 outlets (1 legacy)");
  bool online = false;
  ASSERT_TRUE(Eventually(
      [&] {
        const auto values = Latest("SYNC-GW.0C", &online);
        return online && values.contains("current_a_ma");
      },
      30s))
      << sim.Output();
  const json::value relay =
      Data(client_->Post("/api/v1/devices/SYNC-GW.0C/commands",
                         {{"name", "relay"}, {"params", {{"socket", "a"}, {"on", true}}}}, admin_));
  const std::string relay_id(relay.at("id").as_string());
  json::object relay_done;
  ASSERT_TRUE(Eventually(
      [&] {
        relay_done = Data(client_->Get("/api/v1/commands/" + relay_id, admin_)).as_object();
        const auto state = relay_done.at("state").as_string();
        return state != "queued" && state != "sent";
      },
      20s));
  EXPECT_EQ(relay_done.at("state"), "succeeded") << json::serialize(relay_done);

  // Back to a Sitewatch outlet: a new revision without the protocol field.
  const auto patched =
      client_->Request("PATCH", "/api/v1/devices/SYNC-GW.0C", R"({"radio_protocol":2})", admin_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  ASSERT_TRUE(Eventually([&] { return Syncs().size() == 2; }, 10s));
  EXPECT_EQ(json::serialize(Syncs().front().at("params")),
            R"({"rev":2,"outlets":[{"uid":"SYNC-GW.0C","address":12}]})");
  sim.Kill(SIGTERM);
  EXPECT_EQ(sim.Wait(10000ms), 0) << sim.Output();
}

}  // namespace
}  // namespace sw::testing
