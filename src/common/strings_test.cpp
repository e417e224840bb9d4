#include "common/strings.hpp"

#include <gtest/gtest.h>

namespace sw {
namespace {

TEST(Strings, TrimAndLower) {
  EXPECT_EQ(Trim("  a b \t\n"), "a b");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(ToLower("AbC-9"), "abc-9");
  EXPECT_TRUE(IEquals("Admin", "aDMIN"));
  EXPECT_FALSE(IEquals("Admin", "Admins"));
}

TEST(Strings, SlugifyCollapsesAndCuts) {
  EXPECT_EQ(Slugify("Demo PPF Studio"), "demo-ppf-studio");
  EXPECT_EQ(Slugify("  --Hello,,  World!! "), "hello-world");
  EXPECT_EQ(Slugify("!!!"), "workshop");
  EXPECT_EQ(Slugify("alpha beta gamma", 12), "alpha-beta");
  EXPECT_EQ(Slugify("abcdefghijkl", 5), "abcde");
}

TEST(Strings, JsonEscape) {
  EXPECT_EQ(JsonEscape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
}

TEST(Strings, CleanUtf8) {
  EXPECT_TRUE(IsCleanUtf8("Werkstatt München ✓"));
  EXPECT_FALSE(IsCleanUtf8("bad\x01"));
  EXPECT_FALSE(IsCleanUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(IsCleanUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsCleanUtf8("\xE2\x82"));      // truncated
}

TEST(Strings, ParseInt64) {
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("-7"), -7);
  EXPECT_FALSE(ParseInt64("4x"));
  EXPECT_FALSE(ParseInt64(""));
  EXPECT_FALSE(ParseInt64("99999999999999999999"));
}

TEST(Strings, DecodeBase64) {
  EXPECT_EQ(DecodeBase64("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(DecodeBase64("YQ=="), "a");
  EXPECT_EQ(DecodeBase64("YWI="), "ab");
  EXPECT_EQ(DecodeBase64(""), "");
  EXPECT_FALSE(DecodeBase64("YQ="));
  EXPECT_FALSE(DecodeBase64("Y==="));
  EXPECT_FALSE(DecodeBase64("YQ==YQ=="));
  EXPECT_FALSE(DecodeBase64("a*b="));
}

}  // namespace
}  // namespace sw
