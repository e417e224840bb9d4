#include "http/json_api.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace sw::http {
namespace {

TEST(Body, RejectsNonObjectsAndBadJson) {
  for (const char* text : {"", "nul", "[1,2]", "\"x\"", "{\"a\":", "{\"a\":1}}"}) {
    auto b = Body::Parse(text, {"a"});
    ASSERT_FALSE(b.ok()) << text;
    EXPECT_STREQ(b.error().Code(), "INVALID_JSON") << text;
  }
}

TEST(Body, RejectsDeepNesting) {
  std::string deep(100, '[');
  deep = "{\"a\":" + deep + std::string(100, ']') + "}";
  EXPECT_FALSE(Body::Parse(deep, {"a"}).ok());
}

TEST(Body, UnknownFieldsAreNamed) {
  auto b = Body::Parse(R"({"name":"x","nmae":"typo"})", {"name"});
  ASSERT_FALSE(b.ok());
  EXPECT_STREQ(b.error().Code(), "UNKNOWN_FIELD");
  EXPECT_EQ(b.error().field, "nmae");
}

TEST(Body, TypesAreChecked) {
  auto b = Body::Parse(R"({"s":1,"i":"2","n":true,"f":"no","ok":3.5,"big":1e400})",
                       {"s", "i", "n", "f", "ok", "big"});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->Number("big").error().field, "big");  // overflows to infinity: refused
  EXPECT_EQ(b->String("s").error().field, "s");
  EXPECT_EQ(b->Int("i").error().field, "i");
  EXPECT_EQ(b->Number("n").error().field, "n");
  EXPECT_EQ(b->Bool("f").error().field, "f");
  EXPECT_DOUBLE_EQ(**b->Number("ok"), 3.5);
  EXPECT_FALSE(b->Int("ok").ok());
  EXPECT_FALSE(b->RequiredString("missing").ok());
  EXPECT_FALSE(b->String("missing")->has_value());
}

TEST(Envelope, FailureHidesInternals) {
  auto r = Failure(MakeError(Errc::kInternal, "sqlite: disk I/O error at /secret/path"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  auto v = boost::json::parse(r.body);
  EXPECT_FALSE(v.at("success").as_bool());
  EXPECT_EQ(v.at("error").at("code").as_string(), "INTERNAL");
}

TEST(Envelope, ValidationNamesTheField) {
  auto r = Failure(InvalidField("number", "must be between 1 and 999"));
  EXPECT_EQ(r.status, 400);
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("error").at("details").at("field").as_string(), "number");
}

TEST(Paging, Bounds) {
  Request req;
  req.query = {{"page", "2"}, {"page_size", "500"}};
  EXPECT_EQ(ReadPage(req).error().field, "page_size");
  req.query = {{"page", "0"}};
  EXPECT_EQ(ReadPage(req).error().field, "page");
  req.query = {{"page", "3"}, {"page_size", "10"}};
  auto p = ReadPage(req);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Offset(), 20);
}

}  // namespace
}  // namespace sw::http
