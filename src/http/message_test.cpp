#include "http/message.hpp"

#include <gtest/gtest.h>

namespace sw::http {
namespace {

TEST(ParseTarget, SplitsAndDecodes) {
  std::string path;
  std::unordered_map<std::string, std::string> q;
  ASSERT_TRUE(ParseTarget("/api/v1/a%20b?x=1&y=two+words&empty=&flag", path, q));
  EXPECT_EQ(path, "/api/v1/a b");
  EXPECT_EQ(q["x"], "1");
  EXPECT_EQ(q["y"], "two words");
  EXPECT_EQ(q["empty"], "");
  EXPECT_TRUE(q.contains("flag"));
}

TEST(ParseTarget, RejectsMalformed) {
  std::string path;
  std::unordered_map<std::string, std::string> q;
  for (const char* t : {"", "relative", "/a%2", "/a%zz", "/a%00b", "/x?k=%G1"}) {
    EXPECT_FALSE(ParseTarget(t, path, q)) << t;
  }
}

}  // namespace
}  // namespace sw::http
