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
  s.queue.push_back(Delivery{MakeMessage(p, "o", SysTime{}), mqtt::QoS::kAtLeastOnce, true, {42}});
  auto back = DecodeSession(EncodeSession(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->identity.client_id, "c1");
  EXPECT_EQ(back->identity.username, "u");
  EXPECT_FALSE(back->identity.anonymous);
  EXPECT_EQ(back->expiry_s, 3600u);
  EXPECT_EQ(back->expires_at, s.expires_at);
  ASSERT_EQ(back->subscriptions.size(), 1u);
  EXPECT_EQ(back->subscriptions[0], s.subscriptions[0]);
  ASSERT_EQ(back->queue.size(), 1u);
  EXPECT_EQ(back->queue[0].message->payload, "x");
  EXPECT_EQ(back->queue[0].subscription_ids, std::vector<std::uint32_t>{42});
  EXPECT_TRUE(back->queue[0].retain);
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
