// Tests for the fixed-buffer JSON writer and object parser.
#include "fw/json.h"

#include <gtest/gtest.h>

#include <string>

namespace sw::fw {
namespace {

std::string Write(void (*build)(JsonWriter&), size_t capacity = 256, bool* ok = nullptr) {
  char buffer[256];
  JsonWriter w(buffer, capacity);
  build(w);
  if (ok != nullptr) *ok = w.ok();
  return std::string(w.view());
}

TEST(JsonWriterTest, WritesNestedObjectsAndArraysWithSeparators) {
  EXPECT_EQ(Write([](JsonWriter& w) {
              w.BeginObject();
              w.Key("a");
              w.Int(-5);
              w.Key("b");
              w.BeginArray();
              w.Uint(1);
              w.Bool(true);
              w.BeginObject();
              w.EndObject();
              w.String("x");
              w.EndArray();
              w.Key("c");
              w.Int(7);
              w.EndObject();
            }),
            R"({"a":-5,"b":[1,true,{},"x"],"c":7})");
}

TEST(JsonWriterTest, EscapesStrings) {
  EXPECT_EQ(Write([](JsonWriter& w) { w.String("a\"b\\c\nd\x01\xC3\xA9"); }),
            "\"a\\\"b\\\\c\\nd\\u0001\xC3\xA9\"");
}

TEST(JsonWriterTest, DecimalsFromFixedPointWithoutTrailingZeros) {
  EXPECT_EQ(Write([](JsonWriter& w) {
              w.BeginArray();
              w.Decimal(2345, 2);
              w.Decimal(2340, 2);
              w.Decimal(2300, 2);
              w.Decimal(-5, 2);
              w.Decimal(-1234, 1);
              w.Decimal(98712, 2);
              w.Decimal(7, 3);
              w.Decimal(0, 2);
              w.EndArray();
            }),
            "[23.45,23.4,23,-0.05,-123.4,987.12,0.007,0]");
}

TEST(JsonWriterTest, ExtremeIntegers) {
  EXPECT_EQ(Write([](JsonWriter& w) {
              w.BeginArray();
              w.Int(INT64_MIN);
              w.Int(INT64_MAX);
              w.Uint(UINT64_MAX);
              w.EndArray();
            }),
            "[-9223372036854775808,9223372036854775807,18446744073709551615]");
}

TEST(JsonWriterTest, OverflowIsReportedAndRewindRecovers) {
  char buffer[16];
  JsonWriter w(buffer, sizeof buffer);
  w.BeginArray();
  w.Uint(12345);
  const JsonWriter::Mark mark = w.GetMark();
  w.String("this does not fit");
  EXPECT_FALSE(w.ok());
  w.Rewind(mark);
  EXPECT_TRUE(w.ok());
  w.Uint(6);
  w.EndArray();
  EXPECT_TRUE(w.ok());
  EXPECT_EQ(std::string(w.view()), "[12345,6]");
}

TEST(JsonWriterTest, UnbalancedCloseIsAnError) {
  bool ok = true;
  Write([](JsonWriter& w) { w.EndObject(); }, 256, &ok);
  EXPECT_FALSE(ok);
}

JsonError Parse(std::string_view text, size_t* count, JsonMember* members, size_t capacity) {
  return ParseJsonObject(text, Span<JsonMember>(members, capacity), count);
}

TEST(JsonParseTest, ListsMembersWithTypesAndRawValues) {
  JsonMember m[8];
  size_t n = 0;
  const std::string_view text =
      R"( {"id":"c-1","name":"set_interval","params":{"seconds":30,"x":[1,{"y":null}]},)"
      R"("expires_at":1700000000000,"ok":true,"no":false,"nil":null,"f":-1.5e3} )";
  ASSERT_EQ(Parse(text, &n, m, 8), JsonError::kOk);
  ASSERT_EQ(n, 8u);
  EXPECT_EQ(m[0].type, JsonType::kString);
  EXPECT_EQ(m[0].value, "c-1");
  EXPECT_EQ(m[2].type, JsonType::kObject);
  EXPECT_EQ(m[2].value, R"({"seconds":30,"x":[1,{"y":null}]})");
  EXPECT_EQ(m[3].type, JsonType::kNumber);
  EXPECT_EQ(m[3].value, "1700000000000");
  EXPECT_EQ(m[4].type, JsonType::kTrue);
  EXPECT_EQ(m[5].type, JsonType::kFalse);
  EXPECT_EQ(m[6].type, JsonType::kNull);
  EXPECT_EQ(m[7].value, "-1.5e3");
  const JsonMember* params = FindJsonMember(Span<const JsonMember>(m, n), "params");
  ASSERT_NE(params, nullptr);
  JsonMember inner[4];
  size_t inner_n = 0;
  ASSERT_EQ(Parse(params->value, &inner_n, inner, 4), JsonError::kOk);
  EXPECT_EQ(inner_n, 2u);
  int64_t seconds = 0;
  ASSERT_TRUE(JsonToInt64(inner[0].value, &seconds));
  EXPECT_EQ(seconds, 30);
}

TEST(JsonParseTest, RefusesWhatIsNotOneObject) {
  JsonMember m[4];
  size_t n = 0;
  for (std::string_view bad :
       {"", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{a:1}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":-}", "{\"a\":tru}", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12G4\"}", "{\"a\":[1 2]}", "{\"a\":\"open}", "{\"a\":1}}"}) {
    EXPECT_NE(Parse(bad, &n, m, 4), JsonError::kOk) << bad;
  }
  EXPECT_EQ(Parse("[1,2]", &n, m, 4), JsonError::kNotObject);
  EXPECT_EQ(Parse("{}", &n, m, 4), JsonError::kOk);
  EXPECT_EQ(n, 0u);
}

TEST(JsonParseTest, LimitsDepthMembersAndDuplicates) {
  JsonMember m[2];
  size_t n = 0;
  EXPECT_EQ(Parse(R"({"a":[[[[[[[1]]]]]]]})", &n, m, 2), JsonError::kOk);
  EXPECT_EQ(Parse(R"({"a":[[[[[[[[1]]]]]]]]})", &n, m, 2), JsonError::kTooDeep);
  EXPECT_EQ(Parse(R"({"a":1,"b":2,"c":3})", &n, m, 2), JsonError::kTooManyMembers);
  EXPECT_EQ(n, 2u);  // what came before the failure is still usable
  EXPECT_EQ(Parse(R"({"id":"x","\u0069d":"y"})", &n, m, 2), JsonError::kDuplicateKey);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(m[0].value, "x");
}

TEST(JsonParseTest, UnescapesIncludingSurrogatePairs) {
  char out[16];
  size_t n = 0;
  ASSERT_TRUE(JsonUnescape(R"(a\"\\\/\n\u00e9\ud83d\ude00)", out, sizeof out, &n));
  EXPECT_EQ(std::string(out, n), "a\"\\/\n\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_FALSE(JsonUnescape(R"(\ud83d)", out, sizeof out, &n));          // lone high surrogate
  EXPECT_FALSE(JsonUnescape(R"(\ude00)", out, sizeof out, &n));          // lone low surrogate
  EXPECT_FALSE(JsonUnescape(R"(\u0000)", out, sizeof out, &n));          // NUL
  EXPECT_FALSE(JsonUnescape("0123456789abcdefg", out, sizeof out, &n));  // too long
  EXPECT_TRUE(JsonStringEquals(R"(\u0069d)", "id"));
  EXPECT_FALSE(JsonStringEquals("id", "i"));
  EXPECT_FALSE(JsonStringEquals("i", "id"));
}

TEST(JsonParseTest, IntegersOnly) {
  int64_t v = 0;
  ASSERT_TRUE(JsonToInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  ASSERT_TRUE(JsonToInt64("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  ASSERT_TRUE(JsonToInt64("0", &v));
  EXPECT_EQ(v, 0);
  for (std::string_view bad :
       {"9223372036854775808", "-9223372036854775809", "1.5", "1e3", "-", "", "01", "+1", "30 "}) {
    EXPECT_FALSE(JsonToInt64(bad, &v)) << bad;
  }
}

}  // namespace
}  // namespace sw::fw
