// Operator commands on the database: migrate, refuse a newer schema, online backup.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <filesystem>

#include "harness.hpp"

namespace sw::testing {
namespace {

void ExecSql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(StorageAdmin, MigrateFromEmptyThenAgain) {
  const std::string dir = MakeTempDir("sw-mig");
  auto [code, out] = RunSitewatch({"migrate", "--data-dir", dir});
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/sitewatch.db"));
  auto [code2, out2] = RunSitewatch({"migrate", "--data-dir", dir});
  EXPECT_EQ(code2, 0) << out2;
}

TEST(StorageAdmin, NewerSchemaIsRefusedByEveryEntryPoint) {
  const std::string dir = MakeTempDir("sw-new");
  ASSERT_EQ(RunSitewatch({"migrate", "--data-dir", dir}).first, 0);
  ExecSql(dir + "/sitewatch.db", "INSERT INTO schema_migrations VALUES (9999, 'future', 0)");
  auto [code, out] = RunSitewatch({"migrate", "--data-dir", dir});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("newer"), std::string::npos) << out;
  EXPECT_NE(out.find("9999"), std::string::npos) << out;
  EXPECT_THROW(ServerProcess({{}, {}, dir}), std::runtime_error);
}

TEST(StorageAdmin, BackupOfALiveDatabaseRestoresToAWorkingServer) {
  ServerProcess live;
  auto client = live.Client();
  const std::string token = Login(client, "admin", ServerProcess::kAdminPassword);
  auto w = client.Post("/api/v1/workshops", {{"name", "Backed Up Garage"}}, token);
  ASSERT_EQ(w.status, 201);

  const std::string out_dir = MakeTempDir("sw-bak");
  const std::string copy = out_dir + "/copy.db";
  auto [code, text] = RunSitewatch({"backup", "--data-dir", live.data_dir(), "--out", copy});
  ASSERT_EQ(code, 0) << text;
  // Refuses to overwrite.
  EXPECT_NE(RunSitewatch({"backup", "--data-dir", live.data_dir(), "--out", copy}).first, 0);
  EXPECT_EQ(live.Stop(SIGTERM), 0);

  const std::string restored = MakeTempDir("sw-restore");
  std::filesystem::copy_file(copy, restored + "/sitewatch.db");
  std::filesystem::copy_file(live.data_dir() + "/jwt.key", restored + "/jwt.key");
  ServerProcess server({{}, {}, restored});
  auto c2 = server.Client();
  const std::string t2 = Login(c2, "admin", ServerProcess::kAdminPassword);
  auto list = c2.Get("/api/v1/workshops", t2);
  EXPECT_NE(list.body.find("Backed Up Garage"), std::string::npos) << list.body;
}

TEST(StorageAdmin, DemoCreatesTheDemoWorkshopOnce) {
  const std::string dir = MakeTempDir("sw-demo");
  auto [code, out] = RunSitewatch({"demo", "--data-dir", dir},
                                  {{"SITEWATCH_INIT_ADMIN_PASSWORD", "demo-admin-pass-1"}});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Demo PPF Studio"), std::string::npos);
  const auto pos = out.find("demo-owner / ");
  ASSERT_NE(pos, std::string::npos) << out;
  const std::string owner_pw = out.substr(pos + 13, out.find('\n', pos) - pos - 13);
  auto [code2, out2] = RunSitewatch({"demo", "--data-dir", dir});
  EXPECT_EQ(code2, 0);
  EXPECT_NE(out2.find("exists already"), std::string::npos) << out2;

  ServerProcess server({{}, {}, dir});
  auto client = server.Client();
  const std::string token = Login(client, "demo-owner", owner_pw);
  auto ws = client.Get("/api/v1/workshops", token);
  ASSERT_EQ(ws.status, 200);
  const auto data = ws.Json().at("data").as_array();
  ASSERT_EQ(data.size(), 1u);
  const auto id = data[0].at("id").as_int64();
  auto pits = client.Get("/api/v1/workshops/" + std::to_string(id) + "/pits", token);
  EXPECT_EQ(pits.Json().at("data").as_array().size(), 3u);
}

}  // namespace
}  // namespace sw::testing
