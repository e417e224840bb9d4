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
  for (const char* s :
       {"", "2026-11-18", "2026-11-18T07:06:40", "2026-13-18T07:06:40Z", "2026-11-18T07:06:40.12xZ",
        "yesterday", "2026-11-18T07:06:40+01:00",
        // Found by fuzz_http_request: overflowed the nanosecond clock.
        "222222222222222223", "65728667200100", "1969-12-31T23:59:59Z", "4052-01-01T00:00:00Z"}) {
    EXPECT_FALSE(ParseTime(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace sw
