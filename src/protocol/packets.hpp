// MQTT 3.1.1 and 5.0 control packets as plain value types.
//
// One struct per packet type; fields that exist only in 5.0 (reason codes on
// acknowledgements, properties) keep their defaults in 3.1.1. Binary data (payloads,
// passwords, correlation/authentication data) is held in std::string as raw bytes.
// Value types; no shared state, so distinct instances may be used from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sw::mqtt {

// The protocol level byte of CONNECT.
enum class ProtocolVersion : std::uint8_t { kV311 = 4, kV5 = 5 };

enum class QoS : std::uint8_t { kAtMostOnce = 0, kAtLeastOnce = 1, kExactlyOnce = 2 };

// The high nibble of the first byte of the fixed header.
enum class PacketType : std::uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

const char* PacketTypeName(PacketType type);

using UserProperty = std::pair<std::string, std::string>;

// MQTT 5.0 properties (section 2.2.2.2). Which may appear depends on the packet; the
// decoder rejects the others. Encoded in identifier order, user properties last in order.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;           // 0x01
  std::optional<std::uint32_t> message_expiry_interval;           // 0x02, seconds
  std::optional<std::string> content_type;                        // 0x03
  std::optional<std::string> response_topic;                      // 0x08
  std::optional<std::string> correlation_data;                    // 0x09, binary
  std::vector<std::uint32_t> subscription_identifiers;            // 0x0B, repeats in PUBLISH only
  std::optional<std::uint32_t> session_expiry_interval;           // 0x11, seconds
  std::optional<std::string> assigned_client_identifier;          // 0x12
  std::optional<std::uint16_t> server_keep_alive;                 // 0x13, seconds
  std::optional<std::string> authentication_method;               // 0x15
  std::optional<std::string> authentication_data;                 // 0x16, binary
  std::optional<std::uint8_t> request_problem_information;        // 0x17
  std::optional<std::uint32_t> will_delay_interval;               // 0x18, seconds
  std::optional<std::uint8_t> request_response_information;       // 0x19
  std::optional<std::string> response_information;                // 0x1A
  std::optional<std::string> server_reference;                    // 0x1C
  std::optional<std::string> reason_string;                       // 0x1F
  std::optional<std::uint16_t> receive_maximum;                   // 0x21
  std::optional<std::uint16_t> topic_alias_maximum;               // 0x22
  std::optional<std::uint16_t> topic_alias;                       // 0x23
  std::optional<std::uint8_t> maximum_qos;                        // 0x24
  std::optional<std::uint8_t> retain_available;                   // 0x25
  std::vector<UserProperty> user_properties;                      // 0x26, may repeat
  std::optional<std::uint32_t> maximum_packet_size;               // 0x27, bytes
  std::optional<std::uint8_t> wildcard_subscription_available;    // 0x28
  std::optional<std::uint8_t> subscription_identifier_available;  // 0x29
  std::optional<std::uint8_t> shared_subscription_available;      // 0x2A

  bool Empty() const { return *this == Properties{}; }
  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string topic;
  std::string payload;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  Properties properties;  // will properties (5.0)

  bool operator==(const Will&) const = default;
};

struct Connect {
  ProtocolVersion protocol_version = ProtocolVersion::kV5;
  std::string client_id;
  bool clean_start = true;       // "clean session" in 3.1.1
  std::uint16_t keep_alive = 0;  // seconds; 0 disables
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
  Properties properties;

  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  // 5.0: a ReasonCode value. 3.1.1: the return code 0..5 (see ToV311ConnackCode).
  std::uint8_t reason_code = 0;
  Properties properties;

  bool operator==(const Connack&) const = default;
};

struct Publish {
  std::string topic;  // may be empty in 5.0 when properties.topic_alias is set
  std::string payload;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // non-zero iff qos > 0
  Properties properties;

  bool operator==(const Publish&) const = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout.
template <PacketType kType>
struct PublishResponse {
  static constexpr PacketType kPacketType = kType;
  std::uint16_t packet_id = 0;
  std::uint8_t reason_code = 0;  // 5.0 only
  Properties properties;

  bool operator==(const PublishResponse&) const = default;
};
using Puback = PublishResponse<PacketType::kPuback>;
using Pubrec = PublishResponse<PacketType::kPubrec>;
using Pubrel = PublishResponse<PacketType::kPubrel>;
using Pubcomp = PublishResponse<PacketType::kPubcomp>;

// One topic filter of a SUBSCRIBE with its subscription options.
struct Subscription {
  std::string filter;  // may be "$share/{group}/{filter}" in 5.0
  QoS max_qos = QoS::kAtMostOnce;
  bool no_local = false;             // 5.0
  bool retain_as_published = false;  // 5.0
  std::uint8_t retain_handling = 0;  // 5.0, 0..2

  bool operator==(const Subscription&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<Subscription> subscriptions;  // at least one
  Properties properties;

  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  std::uint16_t packet_id = 0;
  // One per filter. 3.1.1: 0, 1, 2 or 0x80. 5.0: SUBACK reason codes.
  std::vector<std::uint8_t> reason_codes;
  Properties properties;

  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;  // at least one
  Properties properties;

  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> reason_codes;  // 5.0 only (one per filter); empty in 3.1.1
  Properties properties;

  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};

struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  std::uint8_t reason_code = 0;  // 5.0 only
  Properties properties;

  bool operator==(const Disconnect&) const = default;
};

// 5.0 only.
struct Auth {
  std::uint8_t reason_code = 0;
  Properties properties;

  bool operator==(const Auth&) const = default;
};

// Alternative index + 1 == PacketType value.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

inline PacketType TypeOf(const Packet& packet) {
  return static_cast<PacketType>(packet.index() + 1);
}

}  // namespace sw::mqtt
