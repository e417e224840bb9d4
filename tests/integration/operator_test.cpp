// Operator-facing behaviour: user administration from the shell, the JWT key file, the
// audit trail of a change.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include "harness.hpp"

namespace sw::testing {
namespace {

TEST(Operator, UserCommandsCreateResetAndList) {
  const std::string dir = MakeTempDir("sw-op");
  auto [code, out] = RunSitewatch({"demo", "--data-dir", dir},
                                  {{"SITEWATCH_INIT_ADMIN_PASSWORD", "operator-admin-pw"}});
  ASSERT_EQ(code, 0) << out;
  auto [c1, o1] = RunSitewatch({"user", "create", "--data-dir", dir, "--username", "Mechanic.Max",
                                "--role", "staff", "--workshop", "demo-ppf-studio"});
  ASSERT_EQ(c1, 0) << o1;
  const auto pos = o1.find("temporary password: ");
  ASSERT_NE(pos, std::string::npos) << o1;
  const std::string temp = o1.substr(pos + 20, o1.find(' ', pos + 20) - pos - 20);

  auto [c2, o2] = RunSitewatch({"user", "list", "--data-dir", dir});
  EXPECT_EQ(c2, 0);
  EXPECT_NE(o2.find("mechanic.max"), std::string::npos) << o2;  // usernames are lower-cased
  EXPECT_NE(o2.find("temporary-password"), std::string::npos) << o2;

  // Refusals are clear and non-zero.
  auto [c3, o3] = RunSitewatch({"user", "create", "--data-dir", dir, "--username", "x", "--role",
                                "staff", "--workshop", "demo-ppf-studio"});
  EXPECT_NE(c3, 0);
  EXPECT_NE(o3.find("username"), std::string::npos) << o3;
  auto [c4, o4] = RunSitewatch({"user", "create", "--data-dir", dir, "--username", "someone",
                                "--role", "owner", "--workshop", "no-such-workshop"});
  EXPECT_NE(c4, 0);
  EXPECT_NE(o4.find("no-such-workshop"), std::string::npos) << o4;
  EXPECT_EQ(RunSitewatch({"user", "frobnicate", "--data-dir", dir}).first, 2);

  {
    ServerProcess server({{}, {}, dir});
    auto client = server.Client();
    Login(client, "mechanic.max", temp);
  }
  auto [c5, o5] = RunSitewatch({"user", "reset-password", "--data-dir", dir, "--username",
                                "mechanic.max", "--password", "a-new-strong-pass"});
  ASSERT_EQ(c5, 0) << o5;
  ServerProcess server({{}, {}, dir});
  auto client = server.Client();
  EXPECT_EQ(
      client.Post("/api/v1/auth/login", {{"username", "mechanic.max"}, {"password", temp}}).status,
      401);
  Login(client, "mechanic.max", "a-new-strong-pass");
}

TEST(Operator, JwtKeyIsPrivateAndSurvivesRestarts) {
  const std::string dir = MakeTempDir("sw-key");
  std::string token;
  {
    ServerProcess server({{}, {}, dir});
    auto client = server.Client();
    token = Login(client, "admin", ServerProcess::kAdminPassword);
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/jwt.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ServerProcess again({{}, {}, dir});
  auto client = again.Client();
  EXPECT_EQ(client.Get("/api/v1/auth/me", token).status, 200);  // same key, session kept
}

TEST(Operator, AuditRecordsWhoChangedWhatWithBeforeAndAfter) {
  ServerProcess server;
  auto client = server.Client();
  const std::string admin = Login(client, "admin", ServerProcess::kAdminPassword);
  auto w = client.Post("/api/v1/workshops", {{"name", "Audit Garage"}}, admin);
  const auto id = w.Json().at("data").at("id").as_int64();
  auto patch = client.Request("PATCH", "/api/v1/workshops/" + std::to_string(id),
                              R"({"name":"Audit Garage Renamed"})", admin);
  ASSERT_EQ(patch.status, 200) << patch.body;
  auto log = client.Get("/api/v1/audit?action=workshop.update", admin);
  ASSERT_EQ(log.status, 200);
  const auto entries = log.Json().at("data").as_array();
  ASSERT_EQ(entries.size(), 1u);
  const auto& e = entries[0];
  EXPECT_EQ(e.at("actor_name").as_string(), "admin");
  EXPECT_EQ(e.at("resource_id").as_string(), std::to_string(id));
  EXPECT_EQ(e.at("before").at("name").as_string(), "Audit Garage");
  EXPECT_EQ(e.at("after").at("name").as_string(), "Audit Garage Renamed");
  EXPECT_EQ(e.at("ip").as_string(), "127.0.0.1");
  // Failed logins are audited too, under the name that was typed.
  client.Post("/api/v1/auth/login", {{"username", "intruder"}, {"password", "guess-guess"}});
  auto failed = client.Get("/api/v1/audit?action=auth.login_failed", admin);
  EXPECT_NE(failed.body.find("intruder"), std::string::npos) << failed.body;
  // Filters are validated.
  EXPECT_EQ(client.Get("/api/v1/audit?from=yesterday", admin).status, 400);
}

}  // namespace
}  // namespace sw::testing
