// The HTTP device API mapping (model/http_mapping): publishes -> requests, a long poll's answer
// -> command messages, Basic authorization, and the devices file's transport=http token.
#include "model/http_mapping.hpp"

#include <gtest/gtest.h>

#include "model/fleet.hpp"

namespace sw::sim {
namespace {

TEST(HttpMapping, TelemetryAndEventsArePostedAsTheyAre) {
  const std::string payload = R"([{"ts":1,"values":{"temperature":21.5}},{"values":{"pm10":3}}])";
  HttpPost p = MapPublish("NODE-1", "sw/d/NODE-1/telemetry", payload);
  EXPECT_EQ(p.kind, HttpPost::Kind::kTelemetry);
  EXPECT_EQ(p.target, "/api/v1/device/telemetry");
  EXPECT_EQ(p.body, payload);
  p = MapPublish("NODE-1", "sw/d/NODE-1/event", R"({"type":"boot"})");
  EXPECT_EQ(p.kind, HttpPost::Kind::kEvent);
  EXPECT_EQ(p.target, "/api/v1/device/events");
  EXPECT_EQ(p.body, R"({"type":"boot"})");
}

TEST(HttpMapping, StatusIsSkippedAndOtherDevicesTopicsAreUnsupported) {
  EXPECT_EQ(MapPublish("NODE-1", "sw/d/NODE-1/status", R"({"online":true})").kind,
            HttpPost::Kind::kSkip);
  EXPECT_EQ(MapPublish("CCU-1", "sw/d/CCU-1.01/telemetry", "{}").kind,
            HttpPost::Kind::kUnsupported);
  EXPECT_EQ(MapPublish("NODE-1", "sw/d/NODE-10/telemetry", "{}").kind,
            HttpPost::Kind::kUnsupported);
  EXPECT_EQ(MapPublish("NODE-1", "sw/d/NODE-1/other", "{}").kind, HttpPost::Kind::kUnsupported);
}

TEST(HttpMapping, ACommandResultGoesToItsIdWithoutIdAndTs) {
  const HttpPost p = MapPublish("NODE-1", "sw/d/NODE-1/cmd/result",
                                R"({"id":"c-42","ok":true,"detail":"interval 10 s","ts":5})");
  EXPECT_EQ(p.kind, HttpPost::Kind::kResult);
  EXPECT_EQ(p.target, "/api/v1/device/commands/c-42/result");
  EXPECT_EQ(p.body, R"({"ok":true,"detail":"interval 10 s"})");
  // An id that needs escaping in a path is percent-encoded.
  EXPECT_EQ(MapPublish("N", "sw/d/N/cmd/result", R"({"id":"a/b c","ok":false})").target,
            "/api/v1/device/commands/a%2Fb%20c/result");
  // Without a usable id there is nothing to post to.
  EXPECT_EQ(MapPublish("N", "sw/d/N/cmd/result", R"({"ok":true})").kind,
            HttpPost::Kind::kUnsupported);
  EXPECT_EQ(MapPublish("N", "sw/d/N/cmd/result", R"({"id":7,"ok":true})").kind,
            HttpPost::Kind::kUnsupported);
  EXPECT_EQ(MapPublish("N", "sw/d/N/cmd/result", R"({"id":"x","ok":true)").kind,
            HttpPost::Kind::kUnsupported);
}

TEST(HttpMapping, APollAnswerBecomesOneCmdMessagePerCommandInOrder) {
  const std::string body =
      R"({"success":true,"data":[)"
      R"({"id":"c1","name":"set_interval","params":{"seconds":10},"expires_at":99,"device_uid":"NODE-1"},)"
      R"({"id":"c2","name":"identify","params":{},"expires_at":100,"device_uid":"NODE-1"}]})";
  const auto m = CommandsFromPoll("NODE-1", body);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].topic, "sw/d/NODE-1/cmd");
  EXPECT_EQ((*m)[0].payload,
            R"({"id":"c1","name":"set_interval","params":{"seconds":10},"expires_at":99})");
  EXPECT_EQ((*m)[1].payload, R"({"id":"c2","name":"identify","params":{},"expires_at":100})");
  // A gateway's poll also carries its outlets' commands: their own cmd topic.
  const auto g = CommandsFromPoll(
      "CCU-1", R"({"success":true,"data":[{"id":"r","name":"relay","device_uid":"CCU-1.01"}]})");
  ASSERT_TRUE(g && g->size() == 1);
  EXPECT_EQ((*g)[0].topic, "sw/d/CCU-1.01/cmd");
  // Nothing waiting.
  const auto none = CommandsFromPoll("NODE-1", R"({"success":true,"data":[]})");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST(HttpMapping, AMalformedPollAnswerIsRefusedWhole) {
  EXPECT_FALSE(CommandsFromPoll("N", "").has_value());
  EXPECT_FALSE(CommandsFromPoll("N", R"({"success":false,"error":{"code":"X"}})").has_value());
  EXPECT_FALSE(CommandsFromPoll("N", R"({"success":true,"data":[{"id":"a"},]})").has_value());
  EXPECT_FALSE(CommandsFromPoll("N", R"({"success":true,"data":[1]})").has_value());
  EXPECT_FALSE(CommandsFromPoll("N", R"({"success":true,"data":[{"id":"a","device_uid":"x/y"}]})"));
  EXPECT_FALSE(CommandsFromPoll("N", R"({"success":true,"data":[]} trailing)").has_value());
}

TEST(HttpMapping, JsonMembersKeepsValuesAsWrittenIncludingEscapesAndNesting) {
  const auto m = JsonMembers(R"( { "a" : "x\"}" , "b":[1,{"c":[]}], "d":-1.5e3, "e":null } )");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 4u);
  EXPECT_EQ((*m)[0].second, R"("x\"}")");
  EXPECT_EQ((*m)[1].second, R"([1,{"c":[]}])");
  EXPECT_EQ((*m)[2].second, "-1.5e3");
  EXPECT_EQ((*m)[3].first, "e");
  std::string deep;
  for (int i = 0; i < 40; ++i) deep = "[" + deep + "]";
  EXPECT_FALSE(JsonMembers(R"({"a":)" + deep + "}").has_value()) << "deeper than 32";
}

TEST(HttpMapping, BasicAuthorizationIsBase64OfUidColonSecret) {
  EXPECT_EQ(BasicAuthorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(BasicAuthorization("a", "b"), "Basic YTpi");
  EXPECT_EQ(BasicAuthorization("ab", "c"), "Basic YWI6Yw==");
}

TEST(HttpMapping, TheDevicesFileSaysTransportHttpPerSensorNode) {
  std::string error;
  const auto c = ParseCredentials(
      "N-1 s1 sensor_node transport=http\nN-2 s2 sensor_node transport=mqtt\nN-3 s3\n", &error);
  ASSERT_TRUE(c.has_value()) << error;
  ASSERT_EQ(c->size(), 3u);
  EXPECT_TRUE((*c)[0].http);
  EXPECT_FALSE((*c)[1].http);
  EXPECT_FALSE((*c)[2].http);
  // Gateways speak for their outlets, which the HTTP device API cannot carry.
  EXPECT_FALSE(ParseCredentials("G s gateway transport=http\n", &error).has_value());
  EXPECT_NE(error.find("transport=mqtt|http"), std::string::npos) << error;
  EXPECT_FALSE(ParseCredentials("N s sensor_node transport=udp\n", &error).has_value());
  EXPECT_FALSE(ParseCredentials("G.01 - outlet transport=http\n", &error).has_value());
}

}  // namespace
}  // namespace sw::sim
