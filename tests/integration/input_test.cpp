// Hostile and malformed input: every case gets a clear 4xx with a machine code, is counted,
// and the server keeps serving everyone else.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace sw::testing {
namespace {

class InputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({{"--http-body-limit-bytes", "4096"}, {}, ""});
    auto client = server_->Client();
    token_ = Login(client, "admin", ServerProcess::kAdminPassword);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void ExpectStillServing() {
    auto client = server_->Client();
    EXPECT_EQ(client.Get("/health").status, 200);
    EXPECT_EQ(client.Get("/api/v1/workshops", token_).status, 200);
  }
  static ServerProcess* server_;
  static inline std::string token_;
};
ServerProcess* InputTest::server_ = nullptr;

TEST_F(InputTest, MalformedJsonIs400NotA500) {
  auto client = server_->Client();
  for (const char* body : {"{", "not json", "[]", "\"str\"", "{\"name\": }", "{\"name\":\"x\"}}",
                           "\xff\xfe\xfd", "{\"name\":\"\\ud800\"}"}) {
    auto r = client.Request("POST", "/api/v1/workshops", body, token_);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_EQ(r.ErrorCode(), "INVALID_JSON") << body;
  }
  ExpectStillServing();
}

TEST_F(InputTest, WrongTypesAndUnknownFieldsNameTheField) {
  auto client = server_->Client();
  auto wrong = client.Post("/api/v1/workshops", {{"name", 42}}, token_);
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.ErrorCode(), "VALIDATION_ERROR");
  EXPECT_EQ(wrong.Json().at("error").at("details").at("field"), "name");

  auto unknown = client.Post("/api/v1/workshops", {{"name", "Garage"}, {"owner_id", 1}}, token_);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.ErrorCode(), "UNKNOWN_FIELD");
  EXPECT_EQ(unknown.Json().at("error").at("details").at("field"), "owner_id");

  auto pit_number = client.Post("/api/v1/workshops/1/pits", {{"number", "one"}}, token_);
  EXPECT_EQ(pit_number.status, 400) << pit_number.body;

  auto control = client.Post("/api/v1/workshops", {{"name", "Bad\x01Name"}}, token_);
  EXPECT_EQ(control.status, 400);
  EXPECT_EQ(control.Json().at("error").at("details").at("field"), "name");

  auto bad_page = client.Get("/api/v1/workshops?page_size=100000", token_);
  EXPECT_EQ(bad_page.status, 400);
  EXPECT_EQ(bad_page.Json().at("error").at("details").at("field"), "page_size");
  ExpectStillServing();
}

TEST_F(InputTest, OversizedBodyIs413AndCounted) {
  auto client = server_->Client();
  const std::string huge = "{\"name\":\"" + std::string(10000, 'a') + "\"}";
  auto r = client.Request("POST", "/api/v1/workshops", huge, token_);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.ErrorCode(), "PAYLOAD_TOO_LARGE");
  ExpectStillServing();
  auto m = client.Get("/metrics");
  EXPECT_NE(m.body.find("sitewatch_http_malformed_requests_total 1"), std::string::npos) << m.body;
}

TEST_F(InputTest, GarbageOnTheWireClosesOnlyThatConnection) {
  auto client = server_->Client();
  const std::string answer = client.Raw("\x16\x03\x01\x02\x00 this is not HTTP\r\n\r\n");
  EXPECT_NE(answer.find("400"), std::string::npos) << answer;
  // A request line that never ends, a header block larger than the limit, a half request.
  client.Raw("GET /health HTTP/1.1\r\nX: " + std::string(40000, 'x') + "\r\n\r\n");
  client.Raw("POST /api/v1/workshops HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"na",
             std::chrono::milliseconds(200));
  const std::string bad_target = client.Raw("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(bad_target.find("400"), std::string::npos) << bad_target;
  ExpectStillServing();
}

TEST_F(InputTest, UnknownRoutesAndMethodsStayJson) {
  auto client = server_->Client();
  auto missing = client.Get("/api/v1/does-not-exist", token_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.ErrorCode(), "NOT_FOUND");
  auto method = client.Request("PUT", "/api/v1/workshops", "{}", token_);
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.ErrorCode(), "METHOD_NOT_ALLOWED");
  EXPECT_NE(method.headers["allow"].find("GET"), std::string::npos);
  auto bad_id = client.Get("/api/v1/pits/abc", token_);
  EXPECT_EQ(bad_id.status, 404);
  auto neg = client.Get("/api/v1/pits/-1", token_);
  EXPECT_EQ(neg.status, 404);
  auto overflow = client.Get("/api/v1/pits/99999999999999999999999", token_);
  EXPECT_EQ(overflow.status, 404);
}

TEST_F(InputTest, HostileStringsAreStoredVerbatimAndReturnedEscaped) {
  auto client = server_->Client();
  const std::string name = "<script>alert(1)</script> \"quoted\" ' OR 1=1; --";
  auto r = client.Post("/api/v1/workshops", {{"name", name}}, token_);
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.Json().at("data").at("id").as_int64();
  auto back = client.Get("/api/v1/workshops/" + std::to_string(id), token_);
  EXPECT_EQ(back.Json().at("data").at("name").as_string(), name);
  EXPECT_EQ(back.Json().at("data").at("slug").as_string(), "script-alert-1-script-quoted-or-1-1");
}

}  // namespace
}  // namespace sw::testing
