// The device cores' text helpers (fw/text.h).
#include "fw/text.h"

#include <gtest/gtest.h>

namespace sw::fw {
namespace {

TEST(TextTest, BuilderAppendsTextAndNumbersAndCutsAtItsLimit) {
  char out[9];
  TextBuilder b(out, 8);
  EXPECT_EQ(b.view(), "");
  EXPECT_STREQ(out, "");
  b.Add("max ").Add(uint64_t{0}).Add(" ").Add(uint64_t{12345});
  EXPECT_EQ(b.view(), "max 0 12");  // cut at 8, still terminated
  EXPECT_STREQ(out, "max 0 12");
  char big[32];
  EXPECT_EQ(TextBuilder(big, 31).Add(uint64_t{18446744073709551615u}).view(),
            "18446744073709551615");
}

TEST(TextTest, VersionsNeedNoEscapingAndFitTheirBuffer) {
  EXPECT_TRUE(ValidVersionText("1.4.0-rc1", 23));
  EXPECT_FALSE(ValidVersionText("", 23));
  EXPECT_FALSE(ValidVersionText("1.4.0", 4));
  EXPECT_FALSE(ValidVersionText("1.4 beta", 23));
  EXPECT_FALSE(ValidVersionText("1.4\"", 23));
  EXPECT_FALSE(ValidVersionText("1.4\\", 23));  // a backslash would break the status JSON
}

TEST(TextTest, UidCharactersAndBoundedCopies) {
  for (char c : std::string_view("AZaz09._-")) EXPECT_TRUE(ValidUidChar(c)) << c;
  for (char c : std::string_view("/+# \"\\")) EXPECT_FALSE(ValidUidChar(c)) << c;
  char to[4];
  EXPECT_EQ(CopyText("abcdef", to, sizeof to), 4u);
  EXPECT_EQ(std::string_view(to, 4), "abcd");
  EXPECT_EQ(CopyText("ab", to, sizeof to), 2u);
}

}  // namespace
}  // namespace sw::fw
