#include "protocol/connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/test_util.hpp"

namespace sw::mqtt {
namespace {

using namespace std::chrono_literals;
using testing::Hex;

constexpr auto kV3 = ProtocolVersion::kV311;
constexpr auto kV5 = ProtocolVersion::kV5;

// CONNECT, client id "abc", clean, keep alive 10 s.
const char* kConnectV3 = "10 0F 00 04 4D 51 54 54 04 02 00 0A 00 03 61 62 63";
// CONNECT 5.0, client id "abc", clean, keep alive 10 s, no properties.
const char* kConnectV5 = "10 10 00 04 4D 51 54 54 05 02 00 0A 00 00 03 61 62 63";

template <typename T>
std::vector<T> All(const Actions& actions) {
  std::vector<T> found;
  for (const Action& a : actions) {
    if (const T* t = std::get_if<T>(&a)) found.push_back(*t);
  }
  return found;
}

// The packets in the SendBytes actions, decoded.
std::vector<Packet> Sent(const Actions& actions, ProtocolVersion version) {
  std::vector<Packet> packets;
  for (const SendBytes& send : All<SendBytes>(actions)) {
    auto packet = Decode(send.bytes, version);
    EXPECT_TRUE(packet.ok()) << packet.error().message;
    if (packet.ok()) packets.push_back(*packet);
  }
  return packets;
}

bool Closes(const Actions& actions) {
  return !All<CloseConnection>(actions).empty();
}

class ConnectionTest : public ::testing::Test {
 protected:
  Actions Feed(const std::string& hex) { return conn_.OnBytes(Hex(hex), now_); }

  // Connects and accepts; returns the CONNACK.
  Connack Connected(const char* connect_hex, ProtocolVersion version) {
    Actions received = Feed(connect_hex);
    EXPECT_EQ(All<ConnectReceived>(received).size(), 1u);
    Actions accepted = conn_.Accept(false);
    auto sent = Sent(accepted, version);
    EXPECT_EQ(sent.size(), 1u);
    EXPECT_EQ(conn_.state(), Connection::State::kConnected);
    return sent.empty() ? Connack{} : std::get<Connack>(sent.at(0));
  }

  SysTime now_ = SysTime{std::chrono::seconds{1'700'000'000}};
  ConnectionOptions options_;
  Connection conn_{options_, now_};
};

TEST_F(ConnectionTest, V3HappyPath) {
  Actions a = Feed(kConnectV3);
  auto connects = All<ConnectReceived>(a);
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0].connect.client_id, "abc");
  EXPECT_TRUE(All<SendBytes>(a).empty()) << "no CONNACK before Accept";
  a = conn_.Accept(true);
  ASSERT_EQ(All<SendBytes>(a).size(), 1u);
  EXPECT_EQ(All<SendBytes>(a)[0].bytes, Hex("20 02 01 00"));
  EXPECT_EQ(conn_.version(), kV3);

  a = Feed("C0 00");
  ASSERT_EQ(All<SendBytes>(a).size(), 1u);
  EXPECT_EQ(All<SendBytes>(a)[0].bytes, Hex("D0 00"));

  a = Feed("32 06 00 01 74 00 07 78");  // QoS 1, id 7
  ASSERT_EQ(All<Published>(a).size(), 1u);
  EXPECT_EQ(All<Published>(a)[0].publish.payload, "x");
  EXPECT_EQ(All<SendBytes>(a)[0].bytes, Hex("40 02 00 07"));

  a = Feed("E0 00");
  auto disconnected = All<Disconnected>(a);
  ASSERT_EQ(disconnected.size(), 1u);
  EXPECT_FALSE(disconnected[0].publish_will);
  EXPECT_TRUE(Closes(a));
  EXPECT_EQ(conn_.state(), Connection::State::kClosed);
  EXPECT_TRUE(Feed("C0 00").empty()) << "a closed connection ignores bytes";
}

TEST_F(ConnectionTest, V5ConnackAdvertisesLimits) {
  const Connack connack = Connected(kConnectV5, kV5);
  EXPECT_EQ(connack.reason_code, 0);
  EXPECT_EQ(connack.properties.receive_maximum, options_.receive_maximum);
  EXPECT_EQ(connack.properties.topic_alias_maximum, options_.topic_alias_maximum);
  EXPECT_EQ(connack.properties.maximum_packet_size, options_.max_packet_size);
}

TEST_F(ConnectionTest, V5AssignsClientIdentifierWhenEmpty) {
  Feed("10 LL 00 04 4D 51 54 54 05 02 00 0A 00 00 00");
  auto sent = Sent(conn_.Accept(false, "auto-1"), kV5);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<Connack>(sent.at(0)).properties.assigned_client_identifier, "auto-1");
}

TEST_F(ConnectionTest, FirstPacketMustBeConnect) {
  Actions a = Feed("C0 00");
  auto violations = All<ProtocolViolation>(a);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].reason, ReasonCode::kProtocolError);
  EXPECT_TRUE(All<SendBytes>(a).empty());
  EXPECT_TRUE(Closes(a));
  EXPECT_FALSE(All<Disconnected>(a)[0].publish_will);
}

TEST_F(ConnectionTest, SecondConnectIsAProtocolError) {
  Connected(kConnectV5, kV5);
  Actions a = Feed(kConnectV5);
  auto sent = Sent(a, kV5);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<Disconnect>(sent[0]).reason_code, 0x82);
  EXPECT_TRUE(Closes(a));
  EXPECT_TRUE(All<Disconnected>(a)[0].publish_will);
}

TEST_F(ConnectionTest, PacketsAfterConnectWaitForAccept) {
  Actions a = conn_.OnBytes(Hex(kConnectV3) + Hex("30 04 00 01 74 78"), now_);
  EXPECT_EQ(All<ConnectReceived>(a).size(), 1u);
  EXPECT_TRUE(All<Published>(a).empty());
  a = conn_.Accept(false);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<SendBytes>(a[0]));  // CONNACK first
  ASSERT_TRUE(std::holds_alternative<Published>(a[1]));
  EXPECT_EQ(std::get<Published>(a[1]).publish.topic, "t");
}

TEST_F(ConnectionTest, RejectSendsRefusingConnack) {
  Feed(kConnectV5);
  Actions a = conn_.Reject(ReasonCode::kBadUserNameOrPassword);
  auto sent = Sent(a, kV5);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<Connack>(sent.at(0)).reason_code, 0x86);
  EXPECT_TRUE(Closes(a));
}

TEST_F(ConnectionTest, V3RejectUsesReturnCodes) {
  Feed(kConnectV3);
  Actions a = conn_.Reject(ReasonCode::kBadUserNameOrPassword);
  ASSERT_EQ(All<SendBytes>(a).size(), 1u);
  EXPECT_EQ(All<SendBytes>(a)[0].bytes, Hex("20 02 00 04"));
}

TEST_F(ConnectionTest, UnsupportedLevelGetsReturnCode1) {
  Actions a = Feed("10 0F 00 04 4D 51 54 54 03 02 00 0A 00 03 61 62 63");
  ASSERT_EQ(All<SendBytes>(a).size(), 1u);
  EXPECT_EQ(All<SendBytes>(a)[0].bytes, Hex("20 02 00 01"));
  EXPECT_EQ(All<ProtocolViolation>(a)[0].reason, ReasonCode::kUnsupportedProtocolVersion);
  EXPECT_TRUE(Closes(a));
}

TEST_F(ConnectionTest, V5MalformedConnectGetsConnack0x81) {
  Actions a = Feed("10 10 00 04 4D 51 54 54 05 03 00 0A 00 00 03 61 62 63");  // reserved flag
  auto sent = Sent(a, kV5);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<Connack>(sent.at(0)).reason_code, 0x81);
  EXPECT_TRUE(Closes(a));
}

TEST_F(ConnectionTest, V3EmptyClientIdWithoutCleanSessionGetsReturnCode2) {
  Actions a = Feed("10 0C 00 04 4D 51 54 54 04 00 00 0A 00 00");
  ASSERT_EQ(All<SendBytes>(a).size(), 1u);
  EXPECT_EQ(All<SendBytes>(a)[0].bytes, Hex("20 02 00 02"));
}

TEST_F(ConnectionTest, KeepAliveClosesAfterOneAndAHalfTimes) {
  Connected(kConnectV5, kV5);
  ASSERT_TRUE(conn_.NextDeadline().has_value());
  EXPECT_EQ(*conn_.NextDeadline(), now_ + 15s);
  EXPECT_TRUE(conn_.OnTick(now_ + 14s).empty());
  // A packet at +10 s moves the deadline to +25 s.
  conn_.OnBytes(Hex("C0 00"), now_ + 10s);
  EXPECT_TRUE(conn_.OnTick(now_ + 24'999ms).empty());
  Actions a = conn_.OnTick(now_ + 25s);
  auto sent = Sent(a, kV5);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<Disconnect>(sent[0]).reason_code, 0x8D);
  ASSERT_EQ(All<Disconnected>(a).size(), 1u);
  EXPECT_EQ(All<Disconnected>(a)[0].reason, ReasonCode::kKeepAliveTimeout);
  EXPECT_TRUE(All<Disconnected>(a)[0].publish_will);
  EXPECT_TRUE(Closes(a));
  EXPECT_FALSE(conn_.NextDeadline().has_value());
}

TEST_F(ConnectionTest, KeepAliveZeroNeverExpires) {
  Feed("10 0F 00 04 4D 51 54 54 04 02 00 00 00 03 61 62 63");
  conn_.Accept(false);
  EXPECT_FALSE(conn_.NextDeadline().has_value());
  EXPECT_TRUE(conn_.OnTick(now_ + 1000h).empty());
}

TEST_F(ConnectionTest, ConnectTimeout) {
  EXPECT_TRUE(conn_.OnTick(now_ + 9s).empty());
  Actions a = conn_.OnTick(now_ + 10s);
  EXPECT_TRUE(Closes(a));
  EXPECT_TRUE(All<SendBytes>(a).empty());
}

TEST_F(ConnectionTest, InboundQos2Handshake) {
  Connected(kConnectV5, kV5);
  Actions a = Feed("34 07 00 01 74 00 05 00 78");  // QoS 2, id 5
  ASSERT_EQ(All<Published>(a).size(), 1u);
  auto sent = Sent(a, kV5);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<Pubrec>(sent[0]).packet_id, 5);

  a = Feed("3C 07 00 01 74 00 05 00 78");  // the same, re-sent with DUP
  EXPECT_TRUE(All<Published>(a).empty()) << "delivered twice";
  ASSERT_EQ(Sent(a, kV5).size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Pubrec>(Sent(a, kV5).at(0)));

  a = Feed("62 02 00 05");
  sent = Sent(a, kV5);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<Pubcomp>(sent[0]).packet_id, 5);
  EXPECT_EQ(std::get<Pubcomp>(sent[0]).reason_code, 0);

  a = Feed("62 02 00 05");  // released already
  EXPECT_EQ(std::get<Pubcomp>(Sent(a, kV5).at(0)).reason_code, 0x92);

  a = Feed("34 07 00 01 74 00 05 00 79");  // id 5 is free again: a new message
  EXPECT_EQ(All<Published>(a).size(), 1u);
}

TEST_F(ConnectionTest, Qos1ReusingAnUnreleasedQos2IdIsRefused) {
  Connected(kConnectV5, kV5);
  Feed("34 07 00 01 74 00 05 00 78");
  Actions a = Feed("32 07 00 01 74 00 05 00 78");
  EXPECT_TRUE(All<Published>(a).empty());
  EXPECT_EQ(std::get<Puback>(Sent(a, kV5).at(0)).reason_code, 0x91);
}

TEST(ConnectionLimits, ReceiveMaximumExceeded) {
  ConnectionOptions options;
  options.receive_maximum = 2;
  const SysTime now{};
  Connection conn(options, now);
  conn.OnBytes(Hex(kConnectV5), now);
  conn.Accept(false);
  EXPECT_TRUE(All<ProtocolViolation>(conn.OnBytes(Hex("34 07 00 01 74 00 01 00 78"), now)).empty());
  EXPECT_TRUE(All<ProtocolViolation>(conn.OnBytes(Hex("34 07 00 01 74 00 02 00 78"), now)).empty());
  Actions a = conn.OnBytes(Hex("34 07 00 01 74 00 03 00 78"), now);
  ASSERT_EQ(All<ProtocolViolation>(a).size(), 1u);
  EXPECT_EQ(All<ProtocolViolation>(a)[0].reason, ReasonCode::kReceiveMaximumExceeded);
  EXPECT_EQ(std::get<Disconnect>(Sent(a, kV5).at(0)).reason_code, 0x93);
}

// manual_acks: the PUBACK/PUBREC waits for Acknowledge and keeps the arrival order.
class ManualAckTest : public ConnectionTest {
 protected:
  ManualAckTest() {
    options_.manual_acks = true;
    options_.receive_maximum = 3;
    conn_ = Connection(options_, now_);
  }
};

TEST_F(ManualAckTest, Qos1AckWaitsAndKeepsOrder) {
  Connected(kConnectV5, kV5);
  Actions a = Feed("32 07 00 01 74 00 01 00 78");  // QoS 1, id 1
  ASSERT_EQ(All<Published>(a).size(), 1u);
  EXPECT_TRUE(All<Published>(a)[0].ack_deferred);
  EXPECT_TRUE(Sent(a, kV5).empty()) << "acknowledged before the caller said so";
  Feed("32 07 00 01 74 00 02 00 78");  // id 2
  EXPECT_EQ(conn_.PendingAcks(), 2u);

  a = conn_.Acknowledge(2, true);  // the second finishes first: nothing may overtake id 1
  EXPECT_TRUE(Sent(a, kV5).empty());
  a = conn_.Acknowledge(1, true);
  auto sent = Sent(a, kV5);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(std::get<Puback>(sent[0]).packet_id, 1);
  EXPECT_EQ(std::get<Puback>(sent[1]).packet_id, 2);
  EXPECT_EQ(conn_.PendingAcks(), 0u);
  EXPECT_TRUE(Sent(conn_.Acknowledge(1, true), kV5).empty()) << "a second ack for the same id";
}

TEST_F(ManualAckTest, Qos2PubrecWaitsAndADuplicateIsNotAnswered) {
  Connected(kConnectV5, kV5);
  Actions a = Feed("34 07 00 01 74 00 05 00 78");
  ASSERT_EQ(All<Published>(a).size(), 1u);
  EXPECT_TRUE(Sent(a, kV5).empty());
  a = Feed("3C 07 00 01 74 00 05 00 78");  // DUP while the PUBREC is pending
  EXPECT_TRUE(All<Published>(a).empty());
  EXPECT_TRUE(Sent(a, kV5).empty());
  a = conn_.Acknowledge(5, true);
  EXPECT_EQ(std::get<Pubrec>(Sent(a, kV5).at(0)).packet_id, 5);
  a = Feed("62 02 00 05");
  EXPECT_EQ(std::get<Pubcomp>(Sent(a, kV5).at(0)).reason_code, 0);
}

TEST_F(ManualAckTest, FailedAckClosesWithoutAcknowledging) {
  Connected(kConnectV5, kV5);
  Feed("32 07 00 01 74 00 01 00 78");
  Actions a = conn_.Acknowledge(1, false);
  EXPECT_TRUE(Closes(a));
  for (const Packet& p : Sent(a, kV5)) {
    EXPECT_FALSE(std::holds_alternative<Puback>(p)) << "a message that was not kept was acked";
  }
}

TEST_F(ManualAckTest, RefusedPublishIsAnsweredInOrder) {
  options_.publish_filter = [](const Publish& p) {
    return p.topic == "no" ? ReasonCode::kNotAuthorized : ReasonCode::kSuccess;
  };
  conn_ = Connection(options_, now_);
  Connected(kConnectV5, kV5);
  Feed("32 07 00 01 74 00 01 00 78");                 // accepted, pending
  Actions a = Feed("32 08 00 02 6E 6F 00 02 00 78");  // "no", id 2: refused
  EXPECT_TRUE(All<Published>(a).empty());
  EXPECT_TRUE(Sent(a, kV5).empty()) << "the refusal overtook the pending ack";
  auto sent = Sent(conn_.Acknowledge(1, true), kV5);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(std::get<Puback>(sent[1]).packet_id, 2);
  EXPECT_EQ(std::get<Puback>(sent[1]).reason_code, 0x87);
}

TEST_F(ManualAckTest, V5ClientBeyondReceiveMaximumIsDisconnected) {
  Connected(kConnectV5, kV5);
  Feed("32 07 00 01 74 00 01 00 78");
  Feed("32 07 00 01 74 00 02 00 78");
  Feed("32 07 00 01 74 00 03 00 78");
  Actions a = Feed("32 07 00 01 74 00 04 00 78");
  ASSERT_EQ(All<ProtocolViolation>(a).size(), 1u);
  EXPECT_EQ(All<ProtocolViolation>(a)[0].reason, ReasonCode::kReceiveMaximumExceeded);
}

TEST_F(ConnectionTest, TopicAliases) {
  Connected(kConnectV5, kV5);
  Actions a = Feed("30 LL 00 03 61 2F 62 03 23 00 01 78");  // "a/b", alias 1
  ASSERT_EQ(All<Published>(a).size(), 1u);
  EXPECT_EQ(All<Published>(a)[0].publish.topic, "a/b");
  EXPECT_FALSE(All<Published>(a)[0].publish.properties.topic_alias.has_value());

  a = Feed("30 LL 00 00 03 23 00 01 79");  // alias 1 only
  ASSERT_EQ(All<Published>(a).size(), 1u);
  EXPECT_EQ(All<Published>(a)[0].publish.topic, "a/b");
  EXPECT_EQ(All<Published>(a)[0].publish.payload, "y");

  a = Feed("30 LL 00 00 03 23 00 02 79");  // alias 2 was never set
  ASSERT_EQ(All<ProtocolViolation>(a).size(), 1u);
  EXPECT_EQ(All<ProtocolViolation>(a)[0].reason, ReasonCode::kProtocolError);
}

TEST_F(ConnectionTest, TopicAliasAboveMaximum) {
  Connected(kConnectV5, kV5);
  Actions a = Feed("30 LL 00 01 74 03 23 00 11 78");  // alias 17 > 16
  ASSERT_EQ(All<ProtocolViolation>(a).size(), 1u);
  EXPECT_EQ(All<ProtocolViolation>(a)[0].reason, ReasonCode::kTopicAliasInvalid);
  EXPECT_EQ(std::get<Disconnect>(Sent(a, kV5).at(0)).reason_code, 0x94);
}

TEST(ConnectionLimits, MaximumPacketSize) {
  ConnectionOptions options;
  options.max_packet_size = 64;
  const SysTime now{};
  Connection conn(options, now);
  conn.OnBytes(Hex(kConnectV5), now);
  conn.Accept(false);
  // Only the header of a 100-byte PUBLISH is needed to refuse it.
  Actions a = conn.OnBytes(Hex("30 62"), now);
  ASSERT_EQ(All<ProtocolViolation>(a).size(), 1u);
  EXPECT_EQ(All<ProtocolViolation>(a)[0].reason, ReasonCode::kPacketTooLarge);
  EXPECT_EQ(std::get<Disconnect>(Sent(a, kV5).at(0)).reason_code, 0x95);
}

TEST_F(ConnectionTest, MalformedPacketAfterConnectV3ClosesWithoutReply) {
  Connected(kConnectV3, kV3);
  Actions a = Feed("C1 00");
  EXPECT_TRUE(All<SendBytes>(a).empty());
  ASSERT_EQ(All<ProtocolViolation>(a).size(), 1u);
  EXPECT_EQ(All<ProtocolViolation>(a)[0].reason, ReasonCode::kMalformedPacket);
  EXPECT_TRUE(Closes(a));
}

TEST_F(ConnectionTest, ClientMayNotSendServerPackets) {
  Connected(kConnectV5, kV5);
  Actions a = Feed("90 04 00 01 00 00");  // SUBACK
  ASSERT_EQ(All<ProtocolViolation>(a).size(), 1u);
  EXPECT_EQ(All<ProtocolViolation>(a)[0].reason, ReasonCode::kProtocolError);
}

TEST_F(ConnectionTest, DisconnectWithWillPublishesWill) {
  Connected(kConnectV5, kV5);
  Actions a = Feed("E0 01 04");
  ASSERT_EQ(All<Disconnected>(a).size(), 1u);
  EXPECT_TRUE(All<Disconnected>(a)[0].publish_will);
  EXPECT_EQ(All<Disconnected>(a)[0].reason, ReasonCode::kDisconnectWithWill);
}

TEST_F(ConnectionTest, SubscribeIsAnsweredByTheCaller) {
  Connected(kConnectV3, kV3);
  Actions a = Feed("82 0C 00 0A 00 03 61 2F 23 01 00 01 2B 02");
  auto subs = All<SubscribeReceived>(a);
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].subscribe.subscriptions.size(), 2u);
  Suback suback;
  suback.packet_id = subs[0].subscribe.packet_id;
  suback.reason_codes = {0x01, 0x80};
  Actions out;
  ASSERT_TRUE(conn_.Send(suback, out).ok());
  EXPECT_EQ(All<SendBytes>(out)[0].bytes, Hex("90 04 00 0A 01 80"));
}

TEST(ConnectionOutbound, InflightWindowIsTheClientsReceiveMaximum) {
  const SysTime now{};
  Connection conn(ConnectionOptions{}, now);
  // CONNECT 5.0 with receive maximum 2.
  conn.OnBytes(Hex("10 LL 00 04 4D 51 54 54 05 02 00 00 03 21 00 02 00 01 63"), now);
  conn.Accept(false);
  Publish message;
  message.topic = "sw/d/x/cmd";
  message.payload = "{}";
  message.qos = QoS::kAtLeastOnce;
  Actions out;
  auto first = conn.Publish(message, out);
  auto second = conn.Publish(message, out);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_EQ(All<SendBytes>(out).size(), 2u);
  auto third = conn.Publish(message, out);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::kRateLimited);
  EXPECT_EQ(All<SendBytes>(out).size(), 2u);
  EXPECT_EQ(conn.OutboundInflight(), 2u);

  std::string puback;
  ASSERT_TRUE(Encode(Puback{static_cast<std::uint16_t>(*first), 0, {}}, kV5, puback).ok());
  Actions acked = conn.OnBytes(puback, now);
  ASSERT_EQ(All<PublishAcknowledged>(acked).size(), 1u);
  EXPECT_EQ(All<PublishAcknowledged>(acked)[0].packet_id, *first);
  EXPECT_TRUE(conn.Publish(message, out).ok());
}

TEST(ConnectionOutbound, Qos2Flow) {
  const SysTime now{};
  Connection conn(ConnectionOptions{}, now);
  conn.OnBytes(Hex(kConnectV3), now);
  conn.Accept(false);
  Publish message;
  message.topic = "t";
  message.qos = QoS::kExactlyOnce;
  Actions out;
  auto id = conn.Publish(message, out);
  ASSERT_TRUE(id.ok());
  auto sent = Sent(out, kV3);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<Publish>(sent[0]).packet_id, *id);

  std::string pubrec;
  ASSERT_TRUE(Encode(Pubrec{*id, 0, {}}, kV3, pubrec).ok());
  Actions a = conn.OnBytes(pubrec, now);
  EXPECT_TRUE(All<PublishAcknowledged>(a).empty());
  ASSERT_EQ(Sent(a, kV3).size(), 1u);
  EXPECT_EQ(std::get<Pubrel>(Sent(a, kV3).at(0)).packet_id, *id);

  std::string pubcomp;
  ASSERT_TRUE(Encode(Pubcomp{*id, 0, {}}, kV3, pubcomp).ok());
  a = conn.OnBytes(pubcomp, now);
  ASSERT_EQ(All<PublishAcknowledged>(a).size(), 1u);
  EXPECT_EQ(conn.OutboundInflight(), 0u);

  a = conn.OnBytes(pubcomp, now);  // nothing in flight any more
  EXPECT_EQ(All<ProtocolViolation>(a).size(), 1u);
}

// MQTT-4.4.0-1: after the session resumes, an unacknowledged PUBLISH goes again with DUP=1
// and its original packet id; a QoS 2 flow whose PUBREC had come gets only its PUBREL.
TEST(ConnectionOutbound, ResumedFlowsKeepTheirPacketIds) {
  const SysTime now{};
  Connection first(ConnectionOptions{}, now);
  first.OnBytes(Hex(kConnectV3), now);
  first.Accept(false);
  Publish message;
  message.topic = "t";
  message.qos = QoS::kExactlyOnce;
  Actions out;
  auto a = first.Publish(message, out);
  auto b = first.Publish(message, out);
  ASSERT_TRUE(a.ok() && b.ok());
  std::string pubrec;
  ASSERT_TRUE(Encode(Pubrec{*a, 0, {}}, kV3, pubrec).ok());
  first.OnBytes(pubrec, now);
  (void)first.Close(ReasonCode::kServerShuttingDown);
  EXPECT_TRUE(first.OutboundReleased(*a)) << "the PUBREC came";
  EXPECT_FALSE(first.OutboundReleased(*b)) << "still awaiting its PUBREC";
  EXPECT_FALSE(first.OutboundReleased(999));

  Connection second(ConnectionOptions{}, now);
  second.OnBytes(Hex(kConnectV3), now);
  second.Accept(true);
  std::string pubrel, republish, publish, refused;
  ASSERT_TRUE(second.ResendPubrel(*a, pubrel).ok());
  PublishView view;
  view.topic = "t";
  view.qos = QoS::kExactlyOnce;
  auto again = second.Republish(view, *b, republish);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *b);
  EXPECT_EQ(second.Republish(view, *b, refused).error().code, Errc::kConflict) << "id in use";
  EXPECT_EQ(second.ResendPubrel(*a, refused).error().code, Errc::kConflict);
  EXPECT_TRUE(refused.empty());
  auto fresh = second.Publish(view, publish);
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(*fresh, *a);
  EXPECT_NE(*fresh, *b);
  auto sent = Sent(Actions{SendBytes{pubrel}, SendBytes{republish}, SendBytes{publish}}, kV3);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(std::get<Pubrel>(sent[0]).packet_id, *a);
  EXPECT_EQ(std::get<Publish>(sent[1]).packet_id, *b);
  EXPECT_TRUE(std::get<Publish>(sent[1]).dup);
  EXPECT_FALSE(std::get<Publish>(sent[2]).dup);

  std::string pubcomp;
  ASSERT_TRUE(Encode(Pubcomp{*a, 0, {}}, kV3, pubcomp).ok());
  Actions done = second.OnBytes(pubcomp, now);
  ASSERT_EQ(All<PublishAcknowledged>(done).size(), 1u);
  EXPECT_EQ(All<PublishAcknowledged>(done)[0].packet_id, *a);
  EXPECT_EQ(second.OutboundInflight(), 2u);
}

TEST(ConnectionOutbound, RespectsClientMaximumPacketSize) {
  const SysTime now{};
  Connection conn(ConnectionOptions{}, now);
  // CONNECT 5.0 with maximum packet size 20.
  conn.OnBytes(Hex("10 LL 00 04 4D 51 54 54 05 02 00 00 05 27 00 00 00 14 00 01 63"), now);
  conn.Accept(false);
  Publish message;
  message.topic = "t";
  message.payload = std::string(30, 'x');
  Actions out;
  auto result = conn.Publish(message, out);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ReasonCodeOf(result.error()), ReasonCode::kPacketTooLarge);
  EXPECT_TRUE(out.empty());
  message.payload = "small";
  EXPECT_TRUE(conn.Publish(message, out).ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST(ConnectionOutbound, PublishViewAppendsAndRollsBackAboveTheClientsMaximum) {
  const SysTime now{};
  Connection conn(ConnectionOptions{}, now);
  // CONNECT 5.0 with maximum packet size 20.
  conn.OnBytes(Hex("10 LL 00 04 4D 51 54 54 05 02 00 00 05 27 00 00 00 14 00 01 63"), now);
  conn.Accept(false);
  const std::string big(30, 'x');
  PublishView view;
  view.topic = "t";
  view.payload = big;
  view.qos = QoS::kAtLeastOnce;
  std::string out = "queued";
  auto result = conn.Publish(view, out);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(ReasonCodeOf(result.error()), ReasonCode::kPacketTooLarge);
  EXPECT_EQ(out, "queued");
  EXPECT_EQ(conn.OutboundInflight(), 0u);
  view.payload = "small";
  auto id = conn.Publish(view, out);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(conn.OutboundInflight(), 1u);
  auto decoded = Decode(std::string_view(out).substr(6), kV5);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<Publish>(*decoded).packet_id, *id);
  EXPECT_EQ(std::get<Publish>(*decoded).payload, "small");
}

TEST(ConnectionOutbound, PublishBeforeConnectFails) {
  Connection conn(ConnectionOptions{}, SysTime{});
  Actions out;
  EXPECT_FALSE(conn.Publish(Publish{}, out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(ConnectionStream, ByteByByteGivesTheSameActions) {
  const std::string stream = Hex(kConnectV5);
  const std::string after = Hex("C0 00") + Hex("32 07 00 01 74 00 07 00 78") + Hex("E0 00");
  auto run = [&](bool split) {
    Connection conn(ConnectionOptions{}, SysTime{});
    Actions all;
    auto feed = [&](const std::string& bytes) {
      if (!split) {
        for (Action& a : conn.OnBytes(bytes, SysTime{})) all.push_back(std::move(a));
        return;
      }
      for (char c : bytes) {
        for (Action& a : conn.OnBytes(std::string(1, c), SysTime{})) all.push_back(std::move(a));
      }
    };
    feed(stream);
    for (Action& a : conn.Accept(false)) all.push_back(std::move(a));
    feed(after);
    return all;
  };
  const Actions whole = run(false);
  const Actions bytewise = run(true);
  ASSERT_EQ(whole.size(), bytewise.size());
  EXPECT_EQ(All<SendBytes>(whole).size(), 3u);  // CONNACK, PINGRESP, PUBACK
  EXPECT_EQ(All<Published>(whole).size(), 1u);
  EXPECT_EQ(All<Published>(bytewise).size(), 1u);
  EXPECT_TRUE(All<ProtocolViolation>(bytewise).empty());
  for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(whole[i].index(), bytewise[i].index());
}

TEST_F(ConnectionTest, ServerClose) {
  Connected(kConnectV5, kV5);
  Actions a = conn_.Close(ReasonCode::kSessionTakenOver);
  EXPECT_EQ(std::get<Disconnect>(Sent(a, kV5).at(0)).reason_code, 0x8E);
  EXPECT_TRUE(Closes(a));
  EXPECT_TRUE(conn_.Close(ReasonCode::kSessionTakenOver).empty());
}

}  // namespace
}  // namespace sw::mqtt
