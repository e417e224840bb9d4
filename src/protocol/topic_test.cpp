#include "protocol/topic.hpp"

#include <gtest/gtest.h>

#include "protocol/reason_code.hpp"

namespace sw::mqtt {
namespace {

struct MatchCase {
  const char* filter;
  const char* topic;
  bool matches;
};

class TopicMatchesTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(TopicMatchesTest, Matches) {
  const MatchCase& c = GetParam();
  EXPECT_EQ(TopicMatches(c.filter, c.topic), c.matches)
      << "filter '" << c.filter << "' topic '" << c.topic << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Spec, TopicMatchesTest,
    ::testing::Values(
        // Exact.
        MatchCase{"a/b", "a/b", true}, MatchCase{"a/b", "a/c", false},
        MatchCase{"a/b", "a/b/c", false}, MatchCase{"a/b/c", "a/b", false},
        MatchCase{"a", "A", false},
        // '#' (4.7.1.2): matches the parent and any number of child levels.
        MatchCase{"sport/tennis/player1/#", "sport/tennis/player1", true},
        MatchCase{"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
        MatchCase{"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
        MatchCase{"sport/#", "sport", true}, MatchCase{"#", "a/b/c", true},
        MatchCase{"#", "/", true}, MatchCase{"a/#", "ab", false}, MatchCase{"a/#", "b/a", false},
        // '+' (4.7.1.3): exactly one level, which may be empty.
        MatchCase{"sport/tennis/+", "sport/tennis/player1", true},
        MatchCase{"sport/tennis/+", "sport/tennis/player1/ranking", false},
        MatchCase{"sport/+", "sport", false}, MatchCase{"sport/+", "sport/", true},
        MatchCase{"+/+", "/finance", true}, MatchCase{"/+", "/finance", true},
        MatchCase{"+", "/finance", false}, MatchCase{"+", "a", true},
        MatchCase{"+/b/#", "x/b", true}, MatchCase{"+/b/#", "x/c/b", false},
        MatchCase{"a/+/c", "a//c", true},
        // Empty levels are levels.
        MatchCase{"a//b", "a//b", true}, MatchCase{"a/b", "a//b", false},
        MatchCase{"a/", "a", false},
        // '$' topics (4.7.2) are not matched by a leading wildcard.
        MatchCase{"#", "$SYS/broker", false}, MatchCase{"+/broker", "$SYS/broker", false},
        MatchCase{"$SYS/#", "$SYS/broker", true}, MatchCase{"$SYS/+", "$SYS/broker", true},
        MatchCase{"a/#", "a/$b", true},
        // Invalid filters or topics never match.
        MatchCase{"a/#/b", "a/x/b", false}, MatchCase{"a+", "a+", false}, MatchCase{"", "", false},
        MatchCase{"a/+", "a/+", false}, MatchCase{"#", "", false}));

TEST(ValidateTopicName, Rules) {
  EXPECT_TRUE(ValidateTopicName("sw/d/abc/telemetry").ok());
  EXPECT_TRUE(ValidateTopicName("/").ok());
  EXPECT_TRUE(ValidateTopicName("$SYS/x").ok());
  for (const char* bad : {"", "a/+", "#", "a/b#"}) {
    const Status status = ValidateTopicName(bad);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_EQ(ReasonCodeOf(status.error()), ReasonCode::kTopicNameInvalid);
  }
}

TEST(ValidateTopicFilter, Rules) {
  for (const char* good :
       {"a", "a/b", "+", "#", "+/+", "a/+/b", "a/#", "/", "//", "+/#", "$SYS/#"}) {
    EXPECT_TRUE(ValidateTopicFilter(good, true).ok()) << good;
  }
  for (const char* bad : {"", "a#", "#/a", "a/#/b", "a+", "+a", "a/b+/c", "##", "++"}) {
    const Status status = ValidateTopicFilter(bad, true);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_EQ(ReasonCodeOf(status.error()), ReasonCode::kTopicFilterInvalid);
  }
}

TEST(ValidateTopicFilter, SharedSubscriptions) {
  EXPECT_TRUE(ValidateTopicFilter("$share/g/a/b", true).ok());
  EXPECT_TRUE(ValidateTopicFilter("$share/g/#", true).ok());
  EXPECT_TRUE(ValidateTopicFilter("$share/g//", true).ok());
  for (const char* bad : {"$share/", "$share/g", "$share/g/", "$share//a", "$share/g+/a",
                          "$share/#/a", "$share/g/a#"}) {
    EXPECT_FALSE(ValidateTopicFilter(bad, true).ok()) << bad;
  }
  // Without shared subscriptions (3.1.1) "$share/g" is an ordinary filter.
  EXPECT_TRUE(ValidateTopicFilter("$share/g", false).ok());
  EXPECT_FALSE(ValidateTopicFilter("$share/g/a#", false).ok());

  auto shared = ParseSharedFilter("$share/group/sw/d/+/telemetry");
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(shared->group, "group");
  EXPECT_EQ(shared->filter, "sw/d/+/telemetry");
  EXPECT_FALSE(ParseSharedFilter("$shared/g/a").has_value());
}

}  // namespace
}  // namespace sw::mqtt
