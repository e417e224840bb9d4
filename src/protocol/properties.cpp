#include "protocol/properties.hpp"

#include <optional>
#include <string_view>
#include <type_traits>

#include "protocol/reason_code.hpp"

namespace sw::mqtt {
namespace {

enum class WireType { kByte, kTwoByte, kFourByte, kUtf8, kBinary };

constexpr std::uint8_t kSubscriptionIdentifier = 0x0B;
constexpr std::uint8_t kUserProperty = 0x26;

// Calls f(id, wire type, name, member) for every property that may appear at most once, in
// identifier order. Works for const and non-const Properties.
template <typename P, typename F>
void ForEachSingle(P& p, F&& f) {
  f(0x01, WireType::kByte, "payload format indicator", p.payload_format_indicator);
  f(0x02, WireType::kFourByte, "message expiry interval", p.message_expiry_interval);
  f(0x03, WireType::kUtf8, "content type", p.content_type);
  f(0x08, WireType::kUtf8, "response topic", p.response_topic);
  f(0x09, WireType::kBinary, "correlation data", p.correlation_data);
  f(0x11, WireType::kFourByte, "session expiry interval", p.session_expiry_interval);
  f(0x12, WireType::kUtf8, "assigned client identifier", p.assigned_client_identifier);
  f(0x13, WireType::kTwoByte, "server keep alive", p.server_keep_alive);
  f(0x15, WireType::kUtf8, "authentication method", p.authentication_method);
  f(0x16, WireType::kBinary, "authentication data", p.authentication_data);
  f(0x17, WireType::kByte, "request problem information", p.request_problem_information);
  f(0x18, WireType::kFourByte, "will delay interval", p.will_delay_interval);
  f(0x19, WireType::kByte, "request response information", p.request_response_information);
  f(0x1A, WireType::kUtf8, "response information", p.response_information);
  f(0x1C, WireType::kUtf8, "server reference", p.server_reference);
  f(0x1F, WireType::kUtf8, "reason string", p.reason_string);
  f(0x21, WireType::kTwoByte, "receive maximum", p.receive_maximum);
  f(0x22, WireType::kTwoByte, "topic alias maximum", p.topic_alias_maximum);
  f(0x23, WireType::kTwoByte, "topic alias", p.topic_alias);
  f(0x24, WireType::kByte, "maximum qos", p.maximum_qos);
  f(0x25, WireType::kByte, "retain available", p.retain_available);
  f(0x27, WireType::kFourByte, "maximum packet size", p.maximum_packet_size);
  f(0x28, WireType::kByte, "wildcard subscription available", p.wildcard_subscription_available);
  f(0x29, WireType::kByte, "subscription identifier available",
    p.subscription_identifier_available);
  f(0x2A, WireType::kByte, "shared subscription available", p.shared_subscription_available);
}

constexpr std::uint32_t Bit(PacketType type) {
  return 1u << static_cast<unsigned>(type);
}
constexpr std::uint32_t kWillBit = 1u << 16;

// Where each property may appear (MQTT 5.0 table 2-4).
std::uint32_t AllowedIn(std::uint8_t id) {
  using T = PacketType;
  switch (id) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x08:
    case 0x09: return Bit(T::kPublish) | kWillBit;
    case 0x0B: return Bit(T::kPublish) | Bit(T::kSubscribe);
    case 0x11: return Bit(T::kConnect) | Bit(T::kConnack) | Bit(T::kDisconnect);
    case 0x12:
    case 0x13:
    case 0x1A:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A: return Bit(T::kConnack);
    case 0x15:
    case 0x16: return Bit(T::kConnect) | Bit(T::kConnack) | Bit(T::kAuth);
    case 0x17:
    case 0x19: return Bit(T::kConnect);
    case 0x18: return kWillBit;
    case 0x1C: return Bit(T::kConnack) | Bit(T::kDisconnect);
    case 0x1F:
      return Bit(T::kConnack) | Bit(T::kPuback) | Bit(T::kPubrec) | Bit(T::kPubrel) |
             Bit(T::kPubcomp) | Bit(T::kSuback) | Bit(T::kUnsuback) | Bit(T::kDisconnect) |
             Bit(T::kAuth);
    case 0x21:
    case 0x22:
    case 0x27: return Bit(T::kConnect) | Bit(T::kConnack);
    case 0x23: return Bit(T::kPublish);
    case 0x26: return ~0u & ~(Bit(T::kPingreq) | Bit(T::kPingresp));
    default: return 0;
  }
}

Error ProtocolError(const char* name, const char* problem) {
  return MqttError(ReasonCode::kProtocolError, std::string(name) + " " + problem);
}

// Range rules from section 3 (each "It is a Protocol Error to ..." for a property value).
Status CheckValue(std::uint8_t id, const char* name, std::uint32_t value) {
  switch (id) {
    case 0x01:  // payload format indicator
    case 0x17:  // request problem information
    case 0x19:  // request response information
    case 0x24:  // maximum qos
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
      if (value > 1) return ProtocolError(name, "must be 0 or 1");
      break;
    case 0x23:  // topic alias: 0 is "Topic Alias invalid" (3.3.2.3.4)
      if (value == 0) return MqttError(ReasonCode::kTopicAliasInvalid, "topic alias is 0");
      break;
    case 0x21:  // receive maximum
    case 0x27:  // maximum packet size
      if (value == 0) return ProtocolError(name, "must not be 0");
      break;
    default: break;
  }
  return Ok{};
}

template <typename T>
Status ReadScalar(Reader& reader, WireType type, const char* name, std::optional<T>& member) {
  if constexpr (std::is_same_v<T, std::string>) {
    std::string value;
    if (type == WireType::kUtf8) {
      SW_TRY(reader.Utf8(value, name));
    } else {
      SW_TRY(reader.Binary(value, name));
    }
    member = std::move(value);
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    std::uint8_t value = 0;
    SW_TRY(reader.U8(value, name));
    member = value;
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    std::uint16_t value = 0;
    SW_TRY(reader.U16(value, name));
    member = value;
  } else {
    static_assert(std::is_same_v<T, std::uint32_t>);
    std::uint32_t value = 0;
    SW_TRY(reader.U32(value, name));
    member = value;
  }
  return Ok{};
}

Status ReadOne(Reader& reader, std::uint8_t id, Properties& out, PacketType packet_type) {
  if (id == kSubscriptionIdentifier) {
    std::uint32_t value = 0;
    SW_TRY(reader.Varint(value, "subscription identifier"));
    if (value == 0) return ProtocolError("subscription identifier", "must not be 0");
    if (packet_type != PacketType::kPublish && !out.subscription_identifiers.empty()) {
      return ProtocolError("subscription identifier", "appears more than once");
    }
    out.subscription_identifiers.push_back(value);
    return Ok{};
  }
  if (id == kUserProperty) {
    UserProperty pair;
    SW_TRY(reader.Utf8(pair.first, "user property name"));
    SW_TRY(reader.Utf8(pair.second, "user property value"));
    out.user_properties.push_back(std::move(pair));
    return Ok{};
  }
  Status status;
  ForEachSingle(out, [&](std::uint8_t pid, WireType type, const char* name, auto& member) {
    if (pid != id) return;
    if (member.has_value()) {
      status = ProtocolError(name, "appears more than once");
      return;
    }
    status = ReadScalar(reader, type, name, member);
    if (!status.ok()) return;
    if constexpr (!std::is_same_v<std::decay_t<decltype(*member)>, std::string>) {
      status = CheckValue(pid, name, *member);
    }
  });
  return status;
}

template <typename T>
Status WriteScalar(Writer& writer, WireType type, const char* name, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    (void)type;
    if (value.size() > kMaxStringBytes) {
      return MakeError(Errc::kInvalidArgument, std::string(name) + " is longer than 65535 bytes");
    }
    writer.LengthPrefixed(value);
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    (void)name;
    writer.U8(value);
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    (void)name;
    writer.U16(value);
  } else {
    (void)name;
    writer.U32(value);
  }
  return Ok{};
}

}  // namespace

Status DecodeProperties(Reader& reader, PropertyContext context, Properties& out) {
  std::uint32_t length = 0;
  SW_TRY(reader.Varint(length, "property length"));
  std::string block;
  SW_TRY(reader.Bytes(length, block, "properties"));
  const std::uint32_t context_bit = context.will ? kWillBit : Bit(context.packet_type);
  Reader props(block);
  while (!props.AtEnd()) {
    std::uint32_t id = 0;
    SW_TRY(props.Varint(id, "property identifier"));
    if (id > 0xFF || (AllowedIn(static_cast<std::uint8_t>(id)) & context_bit) == 0) {
      return MqttError(ReasonCode::kMalformedPacket,
                       "property 0x" + std::to_string(id) + " is not valid in " +
                           (context.will ? std::string("will properties")
                                         : std::string(PacketTypeName(context.packet_type))));
    }
    SW_TRY(ReadOne(props, static_cast<std::uint8_t>(id), out, context.packet_type));
  }
  return Ok{};
}

Status EncodeProperties(const Properties& properties, std::string& out) {
  std::string block;
  Writer writer(block);
  Status status;
  ForEachSingle(properties,
                [&](std::uint8_t id, WireType type, const char* name, const auto& member) {
                  if (!status.ok() || !member.has_value()) return;
                  writer.U8(id);
                  status = WriteScalar(writer, type, name, *member);
                });
  SW_TRY(status);
  for (std::uint32_t id : properties.subscription_identifiers) {
    if (id == 0 || id > kMaxVarint) {
      return MakeError(Errc::kInvalidArgument, "subscription identifier out of range");
    }
    // Subscription identifiers go after the single-valued ones; order within the block is
    // free, and the decoder does not depend on it.
    writer.U8(kSubscriptionIdentifier);
    writer.Varint(id);
  }
  for (const auto& [name, value] : properties.user_properties) {
    if (name.size() > kMaxStringBytes || value.size() > kMaxStringBytes) {
      return MakeError(Errc::kInvalidArgument, "user property longer than 65535 bytes");
    }
    writer.U8(kUserProperty);
    writer.LengthPrefixed(name);
    writer.LengthPrefixed(value);
  }
  if (block.size() > kMaxVarint) {
    return MakeError(Errc::kPayloadTooLarge, "properties too large");
  }
  Writer(out).Varint(static_cast<std::uint32_t>(block.size()));
  out.append(block);
  return Ok{};
}

}  // namespace sw::mqtt
