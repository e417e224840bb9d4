// The command result decoders (what devices send on sw/d/{uid}/cmd/result and to
// POST /api/v1/device/commands/{id}/result); tests/fuzz/fuzz_command_result.cpp fuzzes them.
#include "http/command_json.hpp"

#include <gtest/gtest.h>

namespace sw::http {
namespace {

TEST(CommandResultDecoder, AcceptsTheProtocolsFields) {
  auto r = DecodeCommandResult(
      R"({"id":"Xq3-aB_9","ok":true,"detail":"switched","current_ma":1800,"ts":1700000000000})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id, "Xq3-aB_9");
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->detail, "switched");
  EXPECT_EQ(r->current_ma, 1800);
  auto minimal = DecodeCommandResult(R"({"id":"c1","ok":false})");
  ASSERT_TRUE(minimal.ok());
  EXPECT_FALSE(minimal->ok);
  EXPECT_EQ(minimal->detail, "");
  EXPECT_FALSE(minimal->current_ma.has_value());
}

TEST(CommandResultDecoder, RefusesWhatIsNotAResult) {
  for (const char* bad : {
           R"({"ok":true})",                             // no id
           R"({"id":"","ok":true})",                     // empty id (found by the fuzzer)
           R"({"id":"c1"})",                             // no ok
           R"({"id":"c1","ok":"yes"})",                  // ok not a boolean
           R"({"id":"c1","ok":true,"current_ma":-1})",   // current out of range
           R"({"id":"c1","ok":true,"current_ma":1.5})",  // not an integer
           R"({"id":"c1","ok":true,"extra":1})",         // unknown field
           R"([{"id":"c1","ok":true}])",                 // not an object
           "not json",
       }) {
    EXPECT_FALSE(DecodeCommandResult(bad).ok()) << bad;
  }
  EXPECT_FALSE(DecodeCommandResult(R"({"id":")" + std::string(65, 'x') + R"(","ok":true})").ok());
  EXPECT_TRUE(DecodeCommandResult(R"({"id":")" + std::string(64, 'x') + R"(","ok":true})").ok());
}

TEST(CommandResultDecoder, TheHttpBodyHasTheIdInThePath) {
  auto r = DecodeCommandResultBody("cmd-7", R"({"ok":true,"detail":"15 s","current_ma":0})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->id, "cmd-7");
  EXPECT_EQ(r->current_ma, 0);
  EXPECT_FALSE(DecodeCommandResultBody("cmd-7", R"({"id":"cmd-7","ok":true})").ok());
  EXPECT_FALSE(DecodeCommandResultBody("cmd-7", R"({"ok":true,"ts":1})").ok());
  EXPECT_FALSE(DecodeCommandResultBody("cmd-7", R"({"ok":true,"current_ma":1000001})").ok());
}

}  // namespace
}  // namespace sw::http
