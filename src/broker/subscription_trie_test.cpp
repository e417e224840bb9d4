#include "broker/subscription_trie.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sw::broker {
namespace {

using Trie = SubscriptionTrie<int>;

std::vector<int> Matches(Trie& trie, const std::string& topic) {
  std::vector<int> found;
  trie.Match(
      topic, [&](int s, const SubscriptionOptions&) { found.push_back(s); },
      [&](Trie::SharedGroup& g) {
        for (auto& m : g.members) found.push_back(1000 + m.first);
      });
  std::sort(found.begin(), found.end());
  return found;
}

TEST(SubscriptionTrie, MatchesWildcardsPerSpecification) {
  Trie trie;
  trie.Insert("a/b", "", 1, {});
  trie.Insert("a/+", "", 2, {});
  trie.Insert("a/#", "", 3, {});
  trie.Insert("#", "", 4, {});
  trie.Insert("+/+", "", 5, {});
  trie.Insert("a/b/c", "", 6, {});
  trie.Insert("+", "", 7, {});
  EXPECT_EQ(Matches(trie, "a/b"), (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(Matches(trie, "a"), (std::vector<int>{3, 4, 7}));  // '#' matches the parent level
  EXPECT_EQ(Matches(trie, "a/b/c"), (std::vector<int>{3, 4, 6}));
  EXPECT_EQ(Matches(trie, "x/y"), (std::vector<int>{4, 5}));
  EXPECT_EQ(Matches(trie, "a/"), (std::vector<int>{2, 3, 4, 5}));  // empty level
}

TEST(SubscriptionTrie, DollarTopicsNeedAnExplicitFirstLevel) {
  Trie trie;
  trie.Insert("#", "", 1, {});
  trie.Insert("+/broker/x", "", 2, {});
  trie.Insert("$SYS/#", "", 3, {});
  trie.Insert("$SYS/+/x", "", 4, {});
  EXPECT_EQ(Matches(trie, "$SYS/broker/x"), (std::vector<int>{3, 4}));
}

TEST(SubscriptionTrie, InsertReplacesAndRemovePrunes) {
  Trie trie;
  EXPECT_FALSE(trie.Insert("a/b/c", "", 1, {mqtt::QoS::kAtMostOnce}));
  EXPECT_TRUE(trie.Insert("a/b/c", "", 1, {mqtt::QoS::kExactlyOnce}));
  EXPECT_EQ(trie.size(), 1u);
  mqtt::QoS seen = mqtt::QoS::kAtMostOnce;
  trie.Match(
      "a/b/c", [&](int, const SubscriptionOptions& o) { seen = o.max_qos; },
      [](Trie::SharedGroup&) {});
  EXPECT_EQ(seen, mqtt::QoS::kExactlyOnce);
  EXPECT_FALSE(trie.Remove("a/b", "", 1));
  EXPECT_TRUE(trie.Remove("a/b/c", "", 1));
  EXPECT_FALSE(trie.Remove("a/b/c", "", 1));
  EXPECT_EQ(trie.size(), 0u);
  EXPECT_TRUE(Matches(trie, "a/b/c").empty());
}

TEST(SubscriptionTrie, SharedGroupsAreSeparateFromPlainSubscriptions) {
  Trie trie;
  trie.Insert("t/#", "g", 1, {});
  trie.Insert("t/#", "g", 2, {});
  trie.Insert("t/#", "h", 3, {});
  trie.Insert("t/#", "", 1, {});
  EXPECT_EQ(trie.size(), 4u);
  int groups = 0;
  trie.Match(
      "t/x", [](int, const SubscriptionOptions&) {},
      [&](Trie::SharedGroup& g) {
        ++groups;
        EXPECT_FALSE(g.members.empty());
      });
  EXPECT_EQ(groups, 2);
  EXPECT_TRUE(trie.Remove("t/#", "g", 1));
  EXPECT_TRUE(trie.Remove("t/#", "g", 2));
  EXPECT_EQ(Matches(trie, "t/x"), (std::vector<int>{1, 1003}));
}

}  // namespace
}  // namespace sw::broker
