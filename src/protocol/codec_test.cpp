#include "protocol/codec.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <variant>

#include "protocol/test_util.hpp"

namespace sw::mqtt {
namespace {

using testing::DecodeReason;
using testing::EncodeOrDie;
using testing::Hex;

constexpr auto kV3 = ProtocolVersion::kV311;
constexpr auto kV5 = ProtocolVersion::kV5;

// ---------------------------------------------------------------------------------------------
// Canonical packets: decoding then encoding gives back exactly the same bytes.

struct WireCase {
  const char* name;
  ProtocolVersion version;
  const char* hex;
};

void PrintTo(const WireCase& c, std::ostream* os) {
  *os << c.name;
}

class RoundTripTest : public ::testing::TestWithParam<WireCase> {};

TEST_P(RoundTripTest, DecodeThenEncodeGivesTheSameBytes) {
  const WireCase& c = GetParam();
  const std::string bytes = Hex(c.hex);
  auto decoded = Decode(bytes, c.version);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(EncodeOrDie(*decoded, c.version), bytes);
  // And the re-decoded value is the same value.
  auto again = Decode(EncodeOrDie(*decoded, c.version), c.version);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *decoded);
}

INSTANTIATE_TEST_SUITE_P(
    AllPackets, RoundTripTest,
    ::testing::Values(
        WireCase{"V3ConnectMinimal", kV3, "10 0F 00 04 4D 51 54 54 04 02 00 3C 00 03 61 62 63"},
        WireCase{"V3ConnectFull", kV3,
                 "10 1B 00 04 4D 51 54 54 04 EE 00 0A 00 01 63 00 01 74 00 02 77 70"
                 " 00 01 75 00 02 70 77"},
        WireCase{"V5Connect", kV5,
                 "10 18 00 04 4D 51 54 54 05 02 00 3C 08 11 00 00 00 0A 21 00 14"
                 " 00 03 61 62 63"},
        WireCase{"V5ConnectWillPasswordOnly", kV5,
                 "10 1D 00 04 4D 51 54 54 05 46 00 00 00 00 01 63 05 18 00 00 00 05"
                 " 00 01 74 00 01 78 00 01 70"},
        WireCase{"V3Connack", kV3, "20 02 01 00"}, WireCase{"V3ConnackRefused", kV3, "20 02 00 05"},
        WireCase{"V5ConnackShort", kV5, "20 03 00 00 00"},
        WireCase{"V5ConnackProperties", kV5, "20 0D 01 00 0A 12 00 02 69 64 22 00 0A 24 01"},
        WireCase{"V3PublishQos0", kV3, "30 07 00 03 61 2F 62 68 69"},
        WireCase{"V3PublishQos1DupRetain", kV3, "3B 06 00 01 74 00 0A 78"},
        WireCase{"V3PublishQos2EmptyPayload", kV3, "34 05 00 01 74 FF FF"},
        WireCase{"V5PublishAllProperties", kV5,
                 "32 2E 00 01 74 00 01 26 01 01 02 00 00 00 3C 03 00 04 6A 73 6F 6E"
                 " 08 00 01 72 09 00 02 01 02 23 00 01 0B 05 0B 80 01 26 00 01 6B 00 01 76"
                 " 68 69"},
        WireCase{"V5PublishAliasOnly", kV5, "30 06 00 00 03 23 00 07"},
        WireCase{"V3Puback", kV3, "40 02 00 01"}, WireCase{"V3Pubrec", kV3, "50 02 12 34"},
        WireCase{"V3Pubrel", kV3, "62 02 12 34"}, WireCase{"V3Pubcomp", kV3, "70 02 12 34"},
        WireCase{"V5PubackShort", kV5, "40 02 00 01"},
        WireCase{"V5PubackReasonOnly", kV5, "40 03 00 01 10"},
        WireCase{"V5PubackReasonString", kV5, "40 09 00 01 87 05 1F 00 02 6E 6F"},
        WireCase{"V5PubrecError", kV5, "50 03 00 02 80"},
        WireCase{"V5PubrelNotFound", kV5, "62 03 00 01 92"},
        WireCase{"V5Pubcomp", kV5, "70 02 00 01"},
        WireCase{"V3Subscribe", kV3, "82 0C 00 0A 00 03 61 2F 23 01 00 01 2B 02"},
        WireCase{"V3SubscribeShareIsPlain", kV3, "82 0D 00 0A 00 08 24 73 68 61 72 65 2F 67 00"},
        WireCase{"V5Subscribe", kV5,
                 "82 18 00 0A 02 0B 07 00 03 61 2F 23 1D 00 0A 24 73 68 61 72 65 2F 67 2F 78"
                 " 01"},
        WireCase{"V3Suback", kV3, "90 04 00 0A 01 80"},
        WireCase{"V5Suback", kV5, "90 05 00 0A 00 01 8F"},
        WireCase{"V3Unsubscribe", kV3, "A2 07 00 0B 00 03 61 2F 62"},
        WireCase{"V5Unsubscribe", kV5, "A2 08 00 0B 00 00 03 61 2F 62"},
        WireCase{"V3Unsuback", kV3, "B0 02 00 0B"},
        WireCase{"V5Unsuback", kV5, "B0 05 00 0B 00 00 11"}, WireCase{"V3Pingreq", kV3, "C0 00"},
        WireCase{"V5Pingreq", kV5, "C0 00"}, WireCase{"V3Pingresp", kV3, "D0 00"},
        WireCase{"V5Pingresp", kV5, "D0 00"}, WireCase{"V3Disconnect", kV3, "E0 00"},
        WireCase{"V5DisconnectNormal", kV5, "E0 00"},
        WireCase{"V5DisconnectWithWill", kV5, "E0 01 04"},
        WireCase{"V5DisconnectProperties", kV5, "E0 0C 8D 0A 11 00 00 00 00 1F 00 02 6B 61"},
        WireCase{"V5AuthSuccessShort", kV5, "F0 00"},
        WireCase{"V5AuthContinue", kV5, "F0 0E 18 0C 15 00 04 53 43 52 4D 16 00 02 01 02"}),

    [](const ::testing::TestParamInfo<WireCase>& info) { return std::string(info.param.name); });

TEST(RoundTrip, TwoByteRemainingLength) {
  // 200-byte body: remaining length 0xC8 0x01.
  const std::string bytes = Hex("30 C8 01 00 01 74") + std::string(197, 'z');
  auto decoded = Decode(bytes, kV3);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<Publish>(*decoded).payload, std::string(197, 'z'));
  EXPECT_EQ(EncodeOrDie(*decoded, kV3), bytes);
}

// ---------------------------------------------------------------------------------------------
// What the fields decode to.

TEST(DecodeFields, V3ConnectWithEverything) {
  auto p = Decode(Hex("10 1B 00 04 4D 51 54 54 04 EE 00 0A 00 01 63 00 01 74 00 02 77 70"
                      " 00 01 75 00 02 70 77"),
                  kV5 /* CONNECT declares its own level */);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto& c = std::get<Connect>(*p);
  EXPECT_EQ(c.protocol_version, kV3);
  EXPECT_EQ(c.client_id, "c");
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 10);
  ASSERT_TRUE(c.will.has_value());
  EXPECT_EQ(c.will->topic, "t");
  EXPECT_EQ(c.will->payload, "wp");
  EXPECT_EQ(c.will->qos, QoS::kAtLeastOnce);
  EXPECT_TRUE(c.will->retain);
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "pw");
}

TEST(DecodeFields, V5ConnectProperties) {
  auto p = Decode(Hex("10 18 00 04 4D 51 54 54 05 02 00 3C 08 11 00 00 00 0A 21 00 14"
                      " 00 03 61 62 63"),
                  kV5);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto& c = std::get<Connect>(*p);
  EXPECT_EQ(c.protocol_version, kV5);
  EXPECT_EQ(c.keep_alive, 60);
  EXPECT_EQ(c.properties.session_expiry_interval, 10u);
  EXPECT_EQ(c.properties.receive_maximum, 20);
  EXPECT_FALSE(c.will.has_value());
  EXPECT_FALSE(c.username.has_value());
}

TEST(DecodeFields, V5PublishProperties) {
  auto p = Decode(Hex("32 2E 00 01 74 00 01 26 01 01 02 00 00 00 3C 03 00 04 6A 73 6F 6E"
                      " 08 00 01 72 09 00 02 01 02 23 00 01 0B 05 0B 80 01 26 00 01 6B 00 01 76"
                      " 68 69"),
                  kV5);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto& pub = std::get<Publish>(*p);
  EXPECT_EQ(pub.topic, "t");
  EXPECT_EQ(pub.payload, "hi");
  EXPECT_EQ(pub.qos, QoS::kAtLeastOnce);
  EXPECT_EQ(pub.packet_id, 1);
  EXPECT_EQ(pub.properties.payload_format_indicator, 1);
  EXPECT_EQ(pub.properties.message_expiry_interval, 60u);
  EXPECT_EQ(pub.properties.content_type, "json");
  EXPECT_EQ(pub.properties.response_topic, "r");
  EXPECT_EQ(pub.properties.correlation_data, std::string("\x01\x02"));
  EXPECT_EQ(pub.properties.topic_alias, 1);
  EXPECT_EQ(pub.properties.subscription_identifiers, (std::vector<std::uint32_t>{5, 128}));
  ASSERT_EQ(pub.properties.user_properties.size(), 1u);
  EXPECT_EQ(pub.properties.user_properties[0], (UserProperty{"k", "v"}));
}

TEST(DecodeFields, PublishFlags) {
  auto p = Decode(Hex("3B 06 00 01 74 00 0A 78"), kV3);
  ASSERT_TRUE(p.ok());
  const auto& pub = std::get<Publish>(*p);
  EXPECT_TRUE(pub.dup);
  EXPECT_TRUE(pub.retain);
  EXPECT_EQ(pub.qos, QoS::kAtLeastOnce);
  EXPECT_EQ(pub.packet_id, 10);
  EXPECT_EQ(pub.payload, "x");
}

TEST(DecodeFields, V5SubscribeOptions) {
  auto p = Decode(Hex("82 18 00 0A 02 0B 07 00 03 61 2F 23 1D 00 0A 24 73 68 61 72 65 2F 67 2F"
                      " 78 01"),
                  kV5);
  ASSERT_TRUE(p.ok()) << p.error().message;
  const auto& s = std::get<Subscribe>(*p);
  EXPECT_EQ(s.packet_id, 10);
  EXPECT_EQ(s.properties.subscription_identifiers, (std::vector<std::uint32_t>{7}));
  ASSERT_EQ(s.subscriptions.size(), 2u);
  EXPECT_EQ(s.subscriptions[0].filter, "a/#");
  EXPECT_EQ(s.subscriptions[0].max_qos, QoS::kAtLeastOnce);
  EXPECT_TRUE(s.subscriptions[0].no_local);
  EXPECT_TRUE(s.subscriptions[0].retain_as_published);
  EXPECT_EQ(s.subscriptions[0].retain_handling, 1);
  EXPECT_EQ(s.subscriptions[1].filter, "$share/g/x");
  EXPECT_FALSE(s.subscriptions[1].no_local);
}

TEST(DecodeFields, V5ShortFormsMeanSuccess) {
  auto puback = Decode(Hex("40 02 00 07"), kV5);
  ASSERT_TRUE(puback.ok());
  EXPECT_EQ(std::get<Puback>(*puback).reason_code, 0);
  auto disconnect = Decode(Hex("E0 01 04"), kV5);
  ASSERT_TRUE(disconnect.ok());
  EXPECT_EQ(std::get<Disconnect>(*disconnect).reason_code, 0x04);
  // Reason code followed by an empty property block is the same packet as the short form.
  auto long_form = Decode(Hex("40 04 00 07 00 00"), kV5);
  ASSERT_TRUE(long_form.ok());
  EXPECT_EQ(*long_form, *puback);
  EXPECT_EQ(EncodeOrDie(*long_form, kV5), Hex("40 02 00 07"));
}

TEST(DecodeFields, UserPropertiesRepeatInOrder) {
  // PUBACK with two user properties with the same name.
  auto p = Decode(Hex("40 LL 00 01 00 10 26 00 01 61 00 02 31 31 26 00 01 61 00 01 32"), kV5);
  ASSERT_FALSE(p.ok());  // property length 0x10 is one more than the 15 bytes there
  EXPECT_EQ(ReasonCodeOf(p.error()), ReasonCode::kMalformedPacket);
  auto q = Decode(Hex("40 LL 00 01 00 0F 26 00 01 61 00 02 31 31 26 00 01 61 00 01 32"), kV5);
  ASSERT_TRUE(q.ok()) << q.error().message;
  const auto& props = std::get<Puback>(*q).properties.user_properties;
  ASSERT_EQ(props.size(), 2u);
  EXPECT_EQ(props[0], (UserProperty{"a", "11"}));
  EXPECT_EQ(props[1], (UserProperty{"a", "2"}));
}

TEST(DecodeFields, ConnectUsesItsOwnLevelNotTheConnectionVersion) {
  auto p = Decode(Hex("10 0F 00 04 4D 51 54 54 04 02 00 3C 00 03 61 62 63"), kV5);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(std::get<Connect>(*p).protocol_version, kV3);
}

// ---------------------------------------------------------------------------------------------
// Malformed and invalid packets, each with the reason code it must be reported with.

struct BadCase {
  const char* name;
  ProtocolVersion version;
  const char* hex;
  ReasonCode expected;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class MalformedTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedTest, FailsWithReasonCode) {
  const BadCase& c = GetParam();
  auto result = Decode(Hex(c.hex), c.version);
  ASSERT_FALSE(result.ok()) << "decoded a packet that must be rejected";
  EXPECT_EQ(ReasonCodeOf(result.error()), c.expected)
      << "got " << ReasonName(ReasonCodeOf(result.error())) << ": " << result.error().message;
  EXPECT_FALSE(result.error().message.empty());
}

constexpr auto kMalformed = ReasonCode::kMalformedPacket;
constexpr auto kProtocol = ReasonCode::kProtocolError;
constexpr auto kFilterInvalid = ReasonCode::kTopicFilterInvalid;
constexpr auto kNameInvalid = ReasonCode::kTopicNameInvalid;

INSTANTIATE_TEST_SUITE_P(
    FixedHeader, MalformedTest,
    ::testing::Values(BadCase{"Empty", kV5, "", kMalformed},
                      BadCase{"ReservedType0", kV5, "00 LL", kMalformed},
                      BadCase{"AuthIn311", kV3, "F0 LL", kMalformed},
                      BadCase{"TruncatedVarint", kV5, "30 80", kMalformed},
                      BadCase{"FiveByteVarint", kV5, "30 FF FF FF FF 7F", kMalformed},
                      BadCase{"NonMinimalVarint", kV5, "C0 80 00", kMalformed},
                      BadCase{"BodyShorterThanLength", kV5, "40 03 00 01", kMalformed},
                      BadCase{"BodyLongerThanLength", kV5, "40 02 00 01 00", kMalformed},
                      BadCase{"ConnectFlags", kV5,
                              "11 LL 00 04 4D 51 54 54 04 02 00 3C 00 03 61 62 63", kMalformed},
                      BadCase{"ConnackFlags", kV5, "28 LL 00 00 00", kMalformed},
                      BadCase{"PubackFlags", kV5, "41 LL 00 01", kMalformed},
                      BadCase{"PubrelFlags0", kV5, "60 LL 00 01", kMalformed},
                      BadCase{"PubrecFlags2", kV5, "52 LL 00 01", kMalformed},
                      BadCase{"SubscribeFlags0", kV3, "80 LL 00 01 00 01 61 00", kMalformed},
                      BadCase{"UnsubscribeFlags0", kV3, "A0 LL 00 01 00 01 61", kMalformed},
                      BadCase{"PingreqFlags", kV5, "C1 LL", kMalformed},
                      BadCase{"DisconnectFlags", kV5, "E8 LL", kMalformed},
                      BadCase{"AuthFlags", kV5, "F1 LL", kMalformed}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Connect, MalformedTest,
    ::testing::Values(
        BadCase{"ProtocolName", kV5, "10 LL 00 04 4D 51 54 58 04 02 00 3C 00 03 61 62 63",
                ReasonCode::kUnsupportedProtocolVersion},
        BadCase{"Level3", kV5, "10 LL 00 04 4D 51 54 54 03 02 00 3C 00 03 61 62 63",
                ReasonCode::kUnsupportedProtocolVersion},
        BadCase{"Level6", kV5, "10 LL 00 04 4D 51 54 54 06 02 00 3C 00 03 61 62 63",
                ReasonCode::kUnsupportedProtocolVersion},
        BadCase{"ReservedFlag", kV3, "10 LL 00 04 4D 51 54 54 04 03 00 3C 00 03 61 62 63",
                kMalformed},
        BadCase{"WillQos3", kV3, "10 LL 00 04 4D 51 54 54 04 1E 00 3C 00 01 63 00 01 74 00 01 78",
                kMalformed},
        BadCase{"WillQosWithoutWill", kV3, "10 LL 00 04 4D 51 54 54 04 0A 00 3C 00 01 63",
                kMalformed},
        BadCase{"WillRetainWithoutWill", kV3, "10 LL 00 04 4D 51 54 54 04 22 00 3C 00 01 63",
                kMalformed},
        BadCase{"V3PasswordWithoutUser", kV3,
                "10 LL 00 04 4D 51 54 54 04 42 00 3C 00 01 63 00 01 70", kMalformed},
        BadCase{"V3EmptyClientIdWithoutCleanSession", kV3,
                "10 LL 00 04 4D 51 54 54 04 00 00 3C 00 00", ReasonCode::kClientIdentifierNotValid},
        BadCase{"TrailingBytes", kV3, "10 LL 00 04 4D 51 54 54 04 02 00 3C 00 03 61 62 63 00",
                kMalformed},
        BadCase{"MissingUserName", kV3, "10 LL 00 04 4D 51 54 54 04 82 00 3C 00 01 63", kMalformed},
        BadCase{"ClientIdNotUtf8", kV3, "10 LL 00 04 4D 51 54 54 04 02 00 3C 00 01 FF", kMalformed},
        BadCase{"WillTopicWildcard", kV3,
                "10 LL 00 04 4D 51 54 54 04 06 00 3C 00 01 63 00 01 23 00 01 78", kNameInvalid},
        BadCase{"DuplicateSessionExpiry", kV5,
                "10 LL 00 04 4D 51 54 54 05 02 00 3C 0A 11 00 00 00 0A 11 00 00 00 0B 00 01 63",
                kProtocol},
        BadCase{"TopicAliasNotAllowedInConnect", kV5,
                "10 LL 00 04 4D 51 54 54 05 02 00 3C 03 23 00 01 00 01 63", kMalformed},
        BadCase{"UnknownProperty", kV5, "10 LL 00 04 4D 51 54 54 05 02 00 3C 02 7F 00 00 01 63",
                kMalformed},
        BadCase{"ReceiveMaximumZero", kV5,
                "10 LL 00 04 4D 51 54 54 05 02 00 3C 03 21 00 00 00 01 63", kProtocol},
        BadCase{"MaximumPacketSizeZero", kV5,
                "10 LL 00 04 4D 51 54 54 05 02 00 3C 05 27 00 00 00 00 00 01 63", kProtocol},
        BadCase{"RequestProblemInformation2", kV5,
                "10 LL 00 04 4D 51 54 54 05 02 00 3C 02 17 02 00 01 63", kProtocol},
        BadCase{"AuthDataWithoutMethod", kV5,
                "10 LL 00 04 4D 51 54 54 05 02 00 3C 03 16 00 00 00 01 63", kProtocol},
        BadCase{"PropertyLengthPastEnd", kV5, "10 LL 00 04 4D 51 54 54 05 02 00 3C 09 11 00 00",
                kMalformed},
        BadCase{"WillDelayOutsideWill", kV5,
                "10 LL 00 04 4D 51 54 54 05 02 00 3C 05 18 00 00 00 01 00 01 63", kMalformed},
        BadCase{"SessionExpiryInWillProperties", kV5,
                "10 LL 00 04 4D 51 54 54 05 06 00 3C 00 00 01 63 05 11 00 00 00 01 00 01 74 00"
                " 00",
                kMalformed},
        BadCase{"WillPayloadNotUtf8", kV5,
                "10 LL 00 04 4D 51 54 54 05 06 00 3C 00 00 01 63 02 01 01 00 01 74 00 02 C3 28",
                ReasonCode::kPayloadFormatInvalid}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Connack, MalformedTest,
    ::testing::Values(BadCase{"ReservedAckFlags", kV3, "20 LL 02 00", kMalformed},
                      BadCase{"V3ReturnCode6", kV3, "20 LL 00 06", kProtocol},
                      BadCase{"SessionPresentOnRefusal", kV3, "20 LL 01 05", kProtocol},
                      BadCase{"V5UnknownReason", kV5, "20 LL 00 05 00", kProtocol},
                      BadCase{"V5MissingProperties", kV5, "20 LL 00 00", kMalformed},
                      BadCase{"V5MaximumQos2", kV5, "20 LL 00 00 02 24 02", kProtocol},
                      BadCase{"V5TopicAliasInConnack", kV5, "20 LL 00 00 03 23 00 01", kMalformed},
                      BadCase{"V3TrailingBytes", kV3, "20 LL 00 00 00", kMalformed}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Publish, MalformedTest,
    ::testing::Values(
        BadCase{"Qos3", kV3, "36 LL 00 01 74 00 01", kMalformed},
        BadCase{"DupOnQos0", kV3, "38 LL 00 01 74 78", kProtocol},
        BadCase{"PlusInTopic", kV3, "30 LL 00 03 61 2F 2B", kNameInvalid},
        BadCase{"HashInTopic", kV5, "30 LL 00 01 23 00", kNameInvalid},
        BadCase{"V3EmptyTopic", kV3, "30 LL 00 00", kProtocol},
        BadCase{"V5EmptyTopicWithoutAlias", kV5, "30 LL 00 00 00", kProtocol},
        BadCase{"TopicNul", kV3, "30 LL 00 01 00", kMalformed},
        BadCase{"TopicOverlong", kV3, "30 LL 00 02 C0 80", kMalformed},
        BadCase{"TopicSurrogate", kV3, "30 LL 00 03 ED A0 80", kMalformed},
        BadCase{"TopicAbove10FFFF", kV3, "30 LL 00 04 F4 90 80 80", kMalformed},
        BadCase{"TopicTruncatedSequence", kV3, "30 LL 00 02 61 E2", kMalformed},
        BadCase{"TopicLengthPastEnd", kV3, "30 LL 00 05 61", kMalformed},
        BadCase{"PacketIdZero", kV3, "32 LL 00 01 74 00 00", kProtocol},
        BadCase{"PacketIdMissing", kV3, "32 LL 00 01 74 00", kMalformed},
        BadCase{"V5MissingPropertyLength", kV5, "30 LL 00 01 74", kMalformed},
        BadCase{"V5TopicAliasZero", kV5, "30 LL 00 01 74 03 23 00 00",
                ReasonCode::kTopicAliasInvalid},
        BadCase{"V5DuplicateTopicAlias", kV5, "30 LL 00 01 74 06 23 00 01 23 00 02", kProtocol},
        BadCase{"V5SubscriptionIdZero", kV5, "30 LL 00 01 74 02 0B 00", kProtocol},
        BadCase{"V5SubscriptionIdNonMinimal", kV5, "30 LL 00 01 74 03 0B 81 00", kMalformed},
        BadCase{"V5PayloadFormat2", kV5, "30 LL 00 01 74 02 01 02", kProtocol},
        BadCase{"V5PayloadNotUtf8", kV5, "30 LL 00 01 74 02 01 01 FF",
                ReasonCode::kPayloadFormatInvalid},
        BadCase{"V5SessionExpiryInPublish", kV5, "30 LL 00 01 74 05 11 00 00 00 01", kMalformed},
        BadCase{"V5UserPropertyNameNotUtf8", kV5, "30 LL 00 01 74 07 26 00 01 FF 00 01 76",
                kMalformed},
        BadCase{"V5PropertyTruncatedInside", kV5, "30 LL 00 01 74 02 02 00", kMalformed}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Acks, MalformedTest,
    ::testing::Values(BadCase{"PubackIdZero", kV3, "40 LL 00 00", kProtocol},
                      BadCase{"PubcompIdZero", kV5, "70 LL 00 00", kProtocol},
                      BadCase{"V3PubackExtraByte", kV3, "40 LL 00 01 00", kMalformed},
                      BadCase{"PubackTruncated", kV3, "40 LL 00", kMalformed},
                      BadCase{"V5PubackBadReason", kV5, "40 LL 00 01 05", kProtocol},
                      BadCase{"V5PubrelBadReason", kV5, "62 LL 00 01 10", kProtocol},
                      BadCase{"V5PubcompBadReason", kV5, "70 LL 00 01 80", kProtocol},
                      BadCase{"V5PubackTopicAlias", kV5, "40 LL 00 01 00 03 23 00 01", kMalformed},
                      BadCase{"V5PubackDuplicateReasonString", kV5,
                              "40 LL 00 01 80 08 1F 00 01 61 1F 00 01 62", kProtocol},
                      BadCase{"V5PubackTrailing", kV5, "40 LL 00 01 00 00 00", kMalformed}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Subscribe, MalformedTest,
    ::testing::Values(
        BadCase{"V3NoFilters", kV3, "82 LL 00 01", kProtocol},
        BadCase{"V5NoFilters", kV5, "82 LL 00 01 00", kProtocol},
        BadCase{"IdZero", kV3, "82 LL 00 00 00 01 61 00", kProtocol},
        BadCase{"MissingOptions", kV3, "82 LL 00 01 00 01 61", kMalformed},
        BadCase{"V3ReservedOptionBits", kV3, "82 LL 00 01 00 01 61 04", kMalformed},
        BadCase{"V3Qos3", kV3, "82 LL 00 01 00 01 61 03", kMalformed},
        BadCase{"V5ReservedOptionBits", kV5, "82 LL 00 01 00 00 01 61 40", kMalformed},
        BadCase{"V5Qos3", kV5, "82 LL 00 01 00 00 01 61 03", kProtocol},
        BadCase{"V5RetainHandling3", kV5, "82 LL 00 01 00 00 01 61 30", kProtocol},
        BadCase{"EmptyFilter", kV3, "82 LL 00 01 00 00 00", kFilterInvalid},
        BadCase{"HashNotLast", kV3, "82 LL 00 01 00 05 61 2F 23 2F 62 00", kFilterInvalid},
        BadCase{"HashInsideLevel", kV3, "82 LL 00 01 00 04 61 2F 62 23 00", kFilterInvalid},
        BadCase{"PlusInsideLevel", kV3, "82 LL 00 01 00 02 61 2B 00", kFilterInvalid},
        BadCase{"FilterNotUtf8", kV3, "82 LL 00 01 00 01 FF 00", kMalformed},
        BadCase{"SharedEmptyGroup", kV5, "82 LL 00 01 00 00 09 24 73 68 61 72 65 2F 2F 61 00",
                kFilterInvalid},
        BadCase{"SharedNoFilter", kV5, "82 LL 00 01 00 00 08 24 73 68 61 72 65 2F 67 00",
                kFilterInvalid},
        BadCase{"SharedEmptyFilter", kV5, "82 LL 00 01 00 00 09 24 73 68 61 72 65 2F 67 2F 00",
                kFilterInvalid},
        BadCase{"SharedWildcardGroup", kV5,
                "82 LL 00 01 00 00 0B 24 73 68 61 72 65 2F 67 2B 2F 61 00", kFilterInvalid},
        BadCase{"SharedNoLocal", kV5, "82 LL 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 04",
                kProtocol},
        BadCase{"V5TwoSubscriptionIds", kV5, "82 LL 00 01 04 0B 01 0B 02 00 01 61 00", kProtocol},
        BadCase{"V5ReasonStringNotAllowed", kV5, "82 LL 00 01 04 1F 00 01 61 00 01 61 00",
                kMalformed}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    OtherPackets, MalformedTest,
    ::testing::Values(BadCase{"SubackNoCodes", kV3, "90 LL 00 01", kProtocol},
                      BadCase{"V3SubackBadCode", kV3, "90 LL 00 01 03", kProtocol},
                      BadCase{"V5SubackBadCode", kV5, "90 LL 00 01 00 03", kProtocol},
                      BadCase{"SubackIdZero", kV3, "90 LL 00 00 00", kProtocol},
                      BadCase{"V3UnsubscribeNoFilters", kV3, "A2 LL 00 01", kProtocol},
                      BadCase{"V5UnsubscribeNoFilters", kV5, "A2 LL 00 01 00", kProtocol},
                      BadCase{"UnsubscribeBadFilter", kV3, "A2 LL 00 01 00 02 23 2F",
                              kFilterInvalid},
                      BadCase{"UnsubscribeIdZero", kV3, "A2 LL 00 00 00 01 61", kProtocol},
                      BadCase{"V3UnsubackExtra", kV3, "B0 LL 00 01 00", kMalformed},
                      BadCase{"V5UnsubackNoCodes", kV5, "B0 LL 00 01 00", kProtocol},
                      BadCase{"V5UnsubackBadCode", kV5, "B0 LL 00 01 00 01", kProtocol},
                      BadCase{"PingreqBody", kV3, "C0 LL 00", kMalformed},
                      BadCase{"PingrespBody", kV5, "D0 LL 00", kMalformed},
                      BadCase{"V3DisconnectBody", kV3, "E0 LL 00", kMalformed},
                      BadCase{"V5DisconnectBadReason", kV5, "E0 LL 01", kProtocol},
                      BadCase{"V5DisconnectTopicAlias", kV5, "E0 LL 00 03 23 00 01", kMalformed},
                      BadCase{"V5AuthBadReason", kV5, "F0 LL 01", kProtocol},
                      BadCase{"V5AuthDataWithoutMethod", kV5, "F0 LL 18 03 16 00 00", kProtocol},
                      BadCase{"V5AuthTrailing", kV5, "F0 LL 18 00 00", kMalformed}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// Encoding rules.

TEST(Encode, RejectsWhatTheWireCannotCarry) {
  std::string out;
  Publish qos1_without_id;
  qos1_without_id.topic = "t";
  qos1_without_id.qos = QoS::kAtLeastOnce;
  EXPECT_FALSE(Encode(qos1_without_id, kV5, out).ok());

  Publish with_properties;
  with_properties.topic = "t";
  with_properties.properties.content_type = "x";
  EXPECT_FALSE(Encode(with_properties, kV3, out).ok());
  EXPECT_TRUE(Encode(with_properties, kV5, out).ok());

  EXPECT_FALSE(Encode(Auth{}, kV3, out).ok());

  Connect v5_connect;  // protocol_version defaults to 5
  EXPECT_FALSE(Encode(v5_connect, kV3, out).ok());

  Puback with_reason;
  with_reason.packet_id = 1;
  with_reason.reason_code = 0x80;
  EXPECT_FALSE(Encode(with_reason, kV3, out).ok());

  Publish long_topic;
  long_topic.topic = std::string(65'536, 'a');
  const std::size_t before = out.size();
  EXPECT_FALSE(Encode(long_topic, kV3, out).ok());
  EXPECT_EQ(out.size(), before) << "a failed Encode must not append";

  Subscribe empty;
  empty.packet_id = 1;
  EXPECT_FALSE(Encode(empty, kV3, out).ok());
}

TEST(Encode, V5ShortestFormsForSuccess) {
  EXPECT_EQ(EncodeOrDie(Disconnect{}, kV5), Hex("E0 00"));
  Disconnect takeover;
  takeover.reason_code = 0x8E;
  EXPECT_EQ(EncodeOrDie(takeover, kV5), Hex("E0 01 8E"));
  Pubrel pubrel;
  pubrel.packet_id = 9;
  EXPECT_EQ(EncodeOrDie(pubrel, kV5), Hex("62 02 00 09"));
  EXPECT_EQ(EncodeOrDie(Auth{}, kV5), Hex("F0 00"));
}

TEST(Encode, ConnectBuiltFromFieldsMatchesSpecBytes) {
  Connect c;
  c.protocol_version = kV3;
  c.client_id = "abc";
  c.keep_alive = 60;
  EXPECT_EQ(EncodeOrDie(c, kV3), Hex("10 0F 00 04 4D 51 54 54 04 02 00 3C 00 03 61 62 63"));
}

TEST(Encode, LargePayloadUsesFourByteRemainingLength) {
  Publish p;
  p.topic = "t";
  p.payload = std::string(2'097'152, 'x');  // body 2097155 -> 4 varint bytes
  const std::string bytes = EncodeOrDie(p, kV3);
  ASSERT_EQ(bytes.size(), 1 + 4 + 2'097'155u);
  EXPECT_EQ(bytes.substr(0, 5), Hex("30 83 80 80 01"));
  auto decoded = Decode(bytes, kV3);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<Publish>(*decoded), p);
}

TEST(EncodePublish, ViewOverridesExpiryAndSubscriptionIdentifiers) {
  Properties forwarded;
  forwarded.content_type = "text/plain";
  forwarded.message_expiry_interval = 999;      // replaced by the view's
  forwarded.subscription_identifiers = {1, 2};  // replaced by the view's
  const std::vector<std::uint32_t> ids = {42};
  PublishView view;
  view.topic = "a/b";
  view.payload = "p";
  view.qos = QoS::kAtLeastOnce;
  view.packet_id = 7;
  view.properties = &forwarded;
  view.message_expiry_interval = 30;
  view.subscription_identifiers = ids;
  std::string bytes;
  ASSERT_TRUE(EncodePublish(view, kV5, bytes).ok());
  auto decoded = Decode(bytes, kV5);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const Publish& p = std::get<Publish>(*decoded);
  EXPECT_EQ(p.topic, "a/b");
  EXPECT_EQ(p.payload, "p");
  EXPECT_EQ(p.packet_id, 7);
  EXPECT_EQ(p.properties.content_type, "text/plain");
  EXPECT_EQ(p.properties.message_expiry_interval, 30u);
  EXPECT_EQ(p.properties.subscription_identifiers, ids);
}

TEST(EncodePublish, AppendsAndLeavesTheBufferAloneOnFailure) {
  std::string out = "prefix";
  PublishView view;
  view.topic = "t";
  view.payload = "x";
  ASSERT_TRUE(EncodePublish(view, kV3, out).ok());
  EXPECT_EQ(out, "prefix" + Hex("30 04 00 01 74 78"));
  const std::string before = out;
  view.message_expiry_interval = 5;  // a 5.0 property on a 3.1.1 connection
  EXPECT_FALSE(EncodePublish(view, kV3, out).ok());
  view.message_expiry_interval.reset();
  view.qos = QoS::kAtLeastOnce;  // without a packet id
  EXPECT_FALSE(EncodePublish(view, kV5, out).ok());
  EXPECT_EQ(out, before);
}

TEST(ReasonCodes, ErrorsCarryTheirReasonCode) {
  const Error e = MqttError(ReasonCode::kPacketTooLarge, "big");
  EXPECT_EQ(e.machine_code, "MQTT_PACKET_TOO_LARGE");
  EXPECT_EQ(e.code, Errc::kPayloadTooLarge);
  EXPECT_EQ(ReasonCodeOf(e), ReasonCode::kPacketTooLarge);
  EXPECT_EQ(ReasonCodeOf(MakeError(Errc::kInternal, "x")), ReasonCode::kUnspecifiedError);
  EXPECT_STREQ(ReasonName(ReasonCode::kMalformedPacket), "MALFORMED_PACKET");
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kUnsupportedProtocolVersion), 1);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kClientIdentifierNotValid), 2);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kBadUserNameOrPassword), 4);
  EXPECT_EQ(ToV311ConnackCode(ReasonCode::kNotAuthorized), 5);
}

}  // namespace
}  // namespace sw::mqtt
