// The API's written contracts match the code: every route is in the OpenAPI document and
// every documented operation is a route; the permission table in docs/ is the one in code.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "app/commands.hpp"
#include "app/platform.hpp"
#include "core/permissions.hpp"
#include "http/api.hpp"

namespace sw::app {
namespace {

namespace json = boost::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> RouteKeys() {
  Settings settings;
  settings.data_dir =
      (std::filesystem::temp_directory_path() / ("sw-contract-" + std::to_string(::getpid())))
          .string();
  settings.auth_argon2_memlimit_kib = 8192;
  settings.auth_argon2_opslimit = 1;
  auto platform = Platform::Open(settings);
  EXPECT_TRUE(platform.ok());
  if (!platform.ok()) return {};
  auto& p = **platform;
  http::Router router({p.auth(), p.store(), p.metrics(), p.clock()});
  core::CommandService commands(p.store(), p.store(), p.crypto(), p.clock());
  core::OutletService outlets(p.store(), p.store(), p.store(), commands, p.ingest(), p.presence());
  http::RegisterApi(router, {p.auth(),
                             p.tenancy(),
                             p.devices(),
                             p.store(),
                             p.metrics(),
                             [] { return Status(Ok{}); },
                             kOpenApiJson,
                             &p.ingest(),
                             &p.telemetry(),
                             &p.presence(),
                             &p.clock(),
                             {},
                             &commands,
                             &outlets,
                             &p.integrations()});
  std::set<std::string> keys;
  for (const auto& r : router.routes()) keys.insert(r.method + " " + r.pattern);
  return keys;
}

std::set<std::string> DocumentKeys(const std::string& text) {
  std::set<std::string> keys;
  const auto doc = json::parse(text);
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      std::string m(method);
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      keys.insert(m + " " + std::string(path));
    }
  }
  return keys;
}

TEST(ApiContract, OpenApiDocumentMatchesTheRoutes) {
  const auto routes = RouteKeys();
  ASSERT_FALSE(routes.empty());
  const auto documented = DocumentKeys(kOpenApiJson);
  for (const auto& r : routes) EXPECT_TRUE(documented.contains(r)) << "undocumented route: " << r;
  for (const auto& d : documented) EXPECT_TRUE(routes.contains(d)) << "documented, no route: " << d;
}

TEST(ApiContract, EmbeddedDocumentIsTheRepositoryFile) {
  EXPECT_EQ(std::string(kOpenApiJson), ReadFile(std::string(SW_SOURCE_DIR) + "/api/openapi.json"));
  const auto doc = json::parse(kOpenApiJson);
  EXPECT_EQ(doc.at("openapi").as_string().subview().substr(0, 2), "3.");
}

TEST(ApiContract, EveryOperationHasAnIdSummaryAndErrorShape) {
  const auto doc = json::parse(kOpenApiJson);
  std::set<std::string> ids;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      const auto& o = op.as_object();
      ASSERT_TRUE(o.contains("operationId")) << path << " " << method;
      EXPECT_TRUE(ids.insert(std::string(o.at("operationId").as_string())).second)
          << "duplicate operationId at " << path;
      EXPECT_TRUE(o.contains("summary")) << path << " " << method;
      EXPECT_TRUE(o.at("responses").as_object().size() > 0) << path;
    }
  }
}

TEST(ApiContract, PermissionDocIsTheTableInCode) {
  const std::string doc = ReadFile(std::string(SW_SOURCE_DIR) + "/docs/PERMISSIONS.md");
  EXPECT_NE(doc.find(core::RenderPermissionTable()), std::string::npos)
      << "docs/PERMISSIONS.md is stale: regenerate the table with `sitewatch permissions`";
}

}  // namespace
}  // namespace sw::app
