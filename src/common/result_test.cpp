#include "common/result.hpp"

#include <gtest/gtest.h>

namespace sw {
namespace {

Result<int> Half(int v) {
  if (v % 2) return InvalidField("v", "must be even");
  return v / 2;
}

Result<int> Quarter(int v) {
  SW_ASSIGN_OR_RETURN(int h, Half(v));
  return Half(h);
}

Status Check(int v) {
  SW_TRY(Half(v));
  return Ok{};
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  auto bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "v");
  EXPECT_STREQ(bad.error().Code(), "VALIDATION_ERROR");
  EXPECT_TRUE(Check(4).ok());
  EXPECT_FALSE(Check(3).ok());
}

TEST(Result, DefaultCodes) {
  EXPECT_STREQ(MakeError(Errc::kNotFound, "x").Code(), "NOT_FOUND");
  EXPECT_STREQ(MakeError(Errc::kNotFound, "x", "PIT_NOT_FOUND").Code(), "PIT_NOT_FOUND");
}

}  // namespace
}  // namespace sw
