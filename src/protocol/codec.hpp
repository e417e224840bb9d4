// MQTT 3.1.1 / 5.0 packet codec: one complete packet (fixed header included) <-> Packet.
//
// Decode validates strictly and fails with an Error whose ReasonCodeOf() is the 5.0 reason
// code to report (0x81 Malformed Packet, 0x82 Protocol Error, 0x84, 0x85, 0x8F, 0x90, 0x99...).
// Encode checks what cannot be represented on the wire (lengths, 5.0-only fields in 3.1.1,
// missing packet identifiers). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "protocol/packets.hpp"

namespace sw::mqtt {

// Appends the encoding of `packet` to `out` (unchanged on failure). A Connect is encoded with
// its own protocol_version, which must equal `version`.
Status Encode(const Packet& packet, ProtocolVersion version, std::string& out);

// A PUBLISH by reference, for the delivery path: the bytes are appended without copying the
// message into a Publish first. `properties` (may be null) are sent with
// `message_expiry_interval` and `subscription_identifiers` set from the fields here (when
// given, they replace those in `properties`).
struct PublishView {
  std::string_view topic;
  std::string_view payload;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // non-zero iff qos > 0
  const Properties* properties = nullptr;
  std::optional<std::uint32_t> message_expiry_interval;
  std::span<const std::uint32_t> subscription_identifiers;
};

// Appends the encoding of `publish` to `out` (unchanged on failure); the same rules as Encode.
Status EncodePublish(const PublishView& publish, ProtocolVersion version, std::string& out);

// Whether `code` is one of the 5.0 reason codes `type` may carry (CONNACK, PUBACK, PUBREC,
// PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH); false for other packet types.
bool IsReasonCodeValidFor(PacketType type, std::uint8_t code);

// Decodes exactly one packet: `frame` is the fixed header, remaining length and body, with
// nothing after. A CONNECT is decoded by the version it declares, whatever `version` says.
Result<Packet> Decode(std::string_view frame, ProtocolVersion version);

}  // namespace sw::mqtt
