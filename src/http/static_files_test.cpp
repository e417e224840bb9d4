#include "http/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace sw::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("sw-static-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "dist" / "assets");
    Write(base_ / "dist" / "index.html", "<!doctype html><title>Sitewatch</title>");
    Write(base_ / "dist" / "assets" / "app-1a2b3c.js", "console.log(1)");
    Write(base_ / "dist" / "robots.txt", "User-agent: *");
    Write(base_ / "secret.txt", "outside the root");
    fs::create_symlink(base_ / "secret.txt", base_ / "dist" / "link.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  static Request Get(std::string path) {
    Request r;
    r.method = "GET";
    r.path = std::move(path);
    return r;
  }
  static std::string Header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  fs::path base_;
};

TEST_F(StaticFilesTest, IndexIsNeverCachedAndCarriesTheCsp) {
  StaticFiles files((base_ / "dist").string());
  auto r = files.Serve(Get("/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(*r, "Cache-Control"), "no-cache");
  EXPECT_NE(Header(*r, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(Header(*r, "Content-Security-Policy").find("unsafe-inline"), std::string::npos);
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutable) {
  StaticFiles files((base_ / "dist").string());
  auto r = files.Serve(Get("/assets/app-1a2b3c.js"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "console.log(1)");
  EXPECT_EQ(r->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(*r, "Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(StaticFilesTest, ClientRoutesFallBackToIndexButMissingFilesAre404) {
  StaticFiles files((base_ / "dist").string());
  auto route = files.Serve(Get("/workshops/3/pits"));
  ASSERT_TRUE(route);
  EXPECT_EQ(route->status, 200);
  EXPECT_NE(route->body.find("Sitewatch"), std::string::npos);
  auto missing = files.Serve(Get("/assets/missing.js"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST_F(StaticFilesTest, ApiPathsAndOtherMethodsAreNotConsolePaths) {
  StaticFiles files((base_ / "dist").string());
  EXPECT_FALSE(files.Serve(Get("/api/v1/nothing")));
  Request post = Get("/");
  post.method = "POST";
  EXPECT_FALSE(files.Serve(post));
}

TEST_F(StaticFilesTest, NothingOutsideTheRootIsServed) {
  StaticFiles files((base_ / "dist").string());
  for (const char* p : {"/../secret.txt", "/assets/../../secret.txt", "//etc/passwd", "/link.txt",
                        "/./index.html"}) {
    auto r = files.Serve(Get(p));
    if (r) {
      EXPECT_EQ(r->body.find("outside the root"), std::string::npos) << p;
      EXPECT_EQ(r->body.find("root:"), std::string::npos) << p;
    }
  }
}

TEST_F(StaticFilesTest, NoConsoleBuiltAnswersWithAHint) {
  StaticFiles files((base_ / "nowhere").string());
  auto r = files.Serve(Get("/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("CONSOLE_NOT_BUILT"), std::string::npos);
  EXPECT_FALSE(files.Serve(Get("/anything")));
}

}  // namespace
}  // namespace sw::http
