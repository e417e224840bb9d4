#include "common/time_format.hpp"

#include <gtest/gtest.h>

namespace sw {
namespace {

TEST(TimeFormat, RoundTrip) {
  const SysTime t = FromUnixMillis(1'795'000'000'123);
  const std::string s = FormatTime(t);
  EXPECT_EQ(s, "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(ParseTime(s), t);
  EXPECT_EQ(ParseTime("2026-11-18T11:06:40Z"), FromUnixMillis(1'795'000'000'000));
  EXPECT_EQ(ParseTime("1795000000123"), t);
}

TEST(TimeFormat, RejectsJunk) {
  for (const char* s : {"", "2026-11-18", "2026-11-18T07:06:40", "2026-13-18T07:06:40Z",
                        "2026-11-18T07:06:40.12xZ", "yesterday", "2026-11-18T07:06:40+01:00"}) {
    EXPECT_FALSE(ParseTime(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace sw
