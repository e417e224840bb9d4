#include "broker/persist.hpp"

#include <gtest/gtest.h>

namespace sw::broker {
namespace {

TEST(Persist, MessageRoundTripKeepsPropertiesAndExpiry) {
  mqtt::Publish p;
  p.topic = "a/b";
  p.payload = std::string("\0\x01payload", 9);
  p.qos = mqtt::QoS::kExactlyOnce;
  p.retain = true;
  p.packet_id = 7;
  p.properties.content_type = "text/plain";
  p.properties.user_properties = {{"k", "v"}};
  p.properties.message_expiry_interval = 60;
  const SysTime now = FromUnixSeconds(1'700'000'000);
  MessagePtr m = MakeMessage(p, "origin-1", now);
  auto back = DecodeMessage(EncodeMessage(*m));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ((*back)->topic, "a/b");
  EXPECT_EQ((*back)->payload, p.payload);
  EXPECT_EQ((*back)->qos, mqtt::QoS::kExactlyOnce);
  EXPECT_TRUE((*back)->retain);
  EXPECT_EQ((*back)->origin, "origin-1");
  ASSERT_TRUE((*back)->properties && m->properties);
  EXPECT_EQ(*(*back)->properties, *m->properties);
  EXPECT_EQ((*back)->expires_at, now + std::chrono::seconds(60));
}

TEST(Persist, SessionRoundTrip) {
  StoredSession s;
  s.identity.client_id = "c1";
  s.identity.username = "u";
  s.identity.anonymous = false;
  s.expiry_s = 3600;
  s.expires_at = FromUnixSeconds(1'700'003'600);
  s.subscriptions.push_back({"$share/g/a/#", {mqtt::QoS::kAtLeastOnce, false, true, 1, 42}});
  mqtt::Publish p;
  p.topic = "a/b";
  p.payload = "x";
  p.qos = mqtt::QoS::kAtLeastOnce;
  s.queue.push_back(Delivery{.message = MakeMessage(p, "o", SysTime{}),
                             .qos = mqtt::QoS::kAtLeastOnce,
                             .retain = true,
                             .subscription_ids = {42}});
  p.qos = mqtt::QoS::kExactlyOnce;
  s.queue.push_back(Delivery{.message = MakeMessage(p, "o", SysTime{}),
                             .qos = mqtt::QoS::kExactlyOnce,
                             .released = true,
                             .packet_id = 513});
  auto back = DecodeSession(EncodeSession(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->identity.client_id, "c1");
  EXPECT_EQ(back->identity.username, "u");
  EXPECT_FALSE(back->identity.anonymous);
  EXPECT_EQ(back->expiry_s, 3600u);
  EXPECT_EQ(back->expires_at, s.expires_at);
  ASSERT_EQ(back->subscriptions.size(), 1u);
  EXPECT_EQ(back->subscriptions[0], s.subscriptions[0]);
  ASSERT_EQ(back->queue.size(), 2u);
  EXPECT_EQ(back->queue[0].message->payload, "x");
  EXPECT_EQ(back->queue[0].subscription_ids, std::vector<std::uint32_t>{42});
  EXPECT_TRUE(back->queue[0].retain);
  EXPECT_EQ(back->queue[0].packet_id, 0);
  EXPECT_FALSE(back->queue[0].released);
  // An unfinished QoS 2 flow keeps its packet id and its stage across a restart.
  EXPECT_EQ(back->queue[1].packet_id, 513);
  EXPECT_TRUE(back->queue[1].released);
  EXPECT_FALSE(back->queue[1].retain);
}

TEST(Persist, SessionsOfTheFirstFormatStillLoad) {
  // A format-1 session blob (before packet ids were kept): one QoS 1 delivery.
  StoredSession s;
  s.identity.client_id = "old";
  mqtt::Publish p;
  p.topic = "t";
  p.payload = "v";
  p.qos = mqtt::QoS::kAtLeastOnce;
  s.queue.push_back(Delivery{.message = MakeMessage(p, "o", SysTime{}),
                             .qos = mqtt::QoS::kAtLeastOnce,
                             .packet_id = 0x0102});
  std::string blob = EncodeSession(s);
  // Rewrite to format 1: version byte 1 and no packet id after the delivery's flags.
  blob[0] = 1;
  const std::size_t flags_at = blob.find(std::string("\x01\x00\x01\x02", 4));
  ASSERT_NE(flags_at, std::string::npos);
  blob.erase(flags_at + 2, 2);
  auto back = DecodeSession(blob);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->queue.size(), 1u);
  EXPECT_EQ(back->queue[0].message->payload, "v");
  EXPECT_EQ(back->queue[0].packet_id, 0);
}

TEST(Persist, CorruptBlobsAreErrorsNotCrashes) {
  StoredSession s;
  s.identity.client_id = "c1";
  const std::string blob = EncodeSession(s);
  for (std::size_t n = 0; n < blob.size(); ++n) {
    EXPECT_FALSE(DecodeSession(blob.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeMessage("garbage").ok());
  EXPECT_EQ(DecodeSession("x").error().code, Errc::kDataLoss);
}

}  // namespace
}  // namespace sw::broker
