// The server process: ready file, health, metrics, graceful shutdown, config surface.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "app/settings.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

TEST(Server, ReadyFileHealthAndCleanStop) {
  ServerProcess server;
  ASSERT_GT(server.http_port(), 0);
  auto client = server.Client();
  auto health = client.Get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.Json().at("data").at("status").as_string(), "ok");
  EXPECT_EQ(client.Get("/ready").status, 200);

  std::ifstream ready(server.data_dir() + ".ready");
  std::string text((std::istreambuf_iterator<char>(ready)), {});
  auto v = json::parse(text);
  EXPECT_EQ(v.at("http_port").as_int64(), server.http_port());
  EXPECT_EQ(v.at("pid").as_int64(), server.pid());

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.Log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Server, SigintAlsoStopsCleanly) {
  ServerProcess server;
  EXPECT_EQ(server.Stop(SIGINT), 0) << server.Log();
}

TEST(Server, InFlightRequestsFinishDuringShutdown) {
  ServerProcess server;
  auto client = server.Client();
  // A login costs a password hash: long enough to still be running when SIGTERM lands.
  HttpResult result;
  std::thread t([&] {
    try {
      result = client.Post("/api/v1/auth/login",
                           {{"username", "admin"}, {"password", ServerProcess::kAdminPassword}});
    } catch (const std::exception&) {
      result.status = 0;  // refused: the listener was already closed
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  t.join();
  // Either the request was served in full, or it arrived after the listener closed; it is
  // never cut off half-way with a broken response.
  if (result.status != 0) {
    EXPECT_EQ(result.status, 200) << result.body;
  }
}

TEST(Server, MetricsCountRequestsByRouteAndStatus) {
  ServerProcess server;
  auto client = server.Client();
  client.Get("/health");
  client.Get("/api/v1/no-such-thing");
  auto m = client.Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find(
                "sitewatch_http_requests_total{route=\"health\",method=\"GET\",status=\"200\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("route=\"unmatched\",method=\"GET\",status=\"404\""), std::string::npos);
  EXPECT_NE(m.body.find("sitewatch_http_request_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("sitewatch_http_open_connections"), std::string::npos);
  EXPECT_NE(m.body.find("sitewatch_storage_seconds_count"), std::string::npos);
}

TEST(Server, HelpListsEveryOptionAndItsEnvironmentName) {
  auto [code, out] = RunSitewatch({"serve", "--help"});
  ASSERT_EQ(code, 0) << out;
  for (const auto& spec : app::OptionTable()) {
    EXPECT_NE(out.find(app::FlagName(spec.key)), std::string::npos) << spec.key;
    EXPECT_NE(out.find(app::EnvVarName(spec.key)), std::string::npos) << spec.key;
  }
}

TEST(Server, BadConfigurationIsRefusedWithAClearMessage) {
  auto [code, out] = RunSitewatch({"serve", "--http-port", "70000"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("http.port"), std::string::npos) << out;
  auto [code2, out2] = RunSitewatch({"serve", "--no-such-option", "1"});
  EXPECT_EQ(code2, 2);
  EXPECT_NE(out2.find("no-such-option"), std::string::npos) << out2;
  auto [code3, out3] = RunSitewatch({"serve"}, {{"SITEWATCH_HTTP_PORTT", "1"}});
  EXPECT_EQ(code3, 2);
  EXPECT_NE(out3.find("SITEWATCH_HTTP_PORTT"), std::string::npos) << out3;
}

TEST(Server, ConfigFileEnvironmentAndFlagsApplyInOrder) {
  const std::string dir = MakeTempDir("sw-cfg");
  {
    std::ofstream conf(dir + "/sw.conf");
    conf << "log.format = json\nhttp.threads = 3\n";
  }
  // The file says json; the flag wins with text — visible in the log line format.
  ServerProcess server({{"--config", dir + "/sw.conf", "--log-format", "text"}, {}, ""});
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_NE(server.Log().find(" info sitewatch listening"), std::string::npos) << server.Log();
  ServerProcess json_server({{"--config", dir + "/sw.conf"}, {}, ""});
  EXPECT_EQ(json_server.Stop(SIGTERM), 0);
  EXPECT_NE(json_server.Log().find("\"msg\":\"sitewatch listening\""), std::string::npos)
      << json_server.Log();
}

}  // namespace
}  // namespace sw::testing

namespace sw::testing {
namespace {

TEST(Server, ServesTheConsoleWithCachingAndCspButApi404sStayJson) {
  const std::string root = MakeTempDir("sw-web");
  std::filesystem::create_directories(root + "/assets");
  std::ofstream(root + "/index.html") << "<!doctype html><title>Sitewatch console</title>";
  std::ofstream(root + "/assets/index-abc123.js") << "export {};";
  ServerProcess server({{"--http-web-root", root}, {}, ""});
  auto client = server.Client();
  auto index = client.Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("Sitewatch console"), std::string::npos);
  EXPECT_EQ(index.headers["cache-control"], "no-cache");
  EXPECT_NE(index.headers["content-security-policy"].find("script-src 'self'"), std::string::npos);
  auto asset = client.Get("/assets/index-abc123.js");
  EXPECT_EQ(asset.headers["cache-control"], "public, max-age=31536000, immutable");
  auto route = client.Get("/workshops/1/pits");
  EXPECT_EQ(route.status, 200);
  EXPECT_NE(route.body.find("Sitewatch console"), std::string::npos);
  auto api = client.Get("/api/v1/nope");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.ErrorCode(), "NOT_FOUND");
  auto traversal = client.Get("/assets/%2e%2e/%2e%2e/etc/passwd");
  EXPECT_EQ(traversal.body.find("root:"), std::string::npos);
}

}  // namespace
}  // namespace sw::testing
