#include "protocol/codec.hpp"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "protocol/properties.hpp"
#include "protocol/reason_code.hpp"
#include "protocol/topic.hpp"
#include "protocol/wire.hpp"

namespace sw::mqtt {
namespace {

constexpr std::string_view kProtocolName = "MQTT";

// ---------------------------------------------------------------------------------------------
// Shared helpers

Error Malformed(std::string message) {
  return MqttError(ReasonCode::kMalformedPacket, std::move(message));
}

Error ProtocolErr(std::string message) {
  return MqttError(ReasonCode::kProtocolError, std::move(message));
}

Error EncodeError(std::string message) {
  return MakeError(Errc::kInvalidArgument, std::move(message), "MQTT_ENCODE_ERROR");
}

bool OneOf(std::uint8_t code, std::initializer_list<std::uint8_t> allowed) {
  return std::find(allowed.begin(), allowed.end(), code) != allowed.end();
}

}  // namespace

// 5.0 reason codes each packet may carry (section 3, "Reason Code" of each packet).
bool IsReasonCodeValidFor(PacketType type, std::uint8_t code) {
  switch (type) {
    case PacketType::kConnack:
      return OneOf(code, {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                          0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
    case PacketType::kPuback:
    case PacketType::kPubrec:
      return OneOf(code, {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
    case PacketType::kPubrel:
    case PacketType::kPubcomp: return OneOf(code, {0x00, 0x92});
    case PacketType::kSuback:
      return OneOf(code, {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
    case PacketType::kUnsuback: return OneOf(code, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
    case PacketType::kDisconnect:
      return OneOf(code, {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D,
                          0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
                          0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2});
    case PacketType::kAuth: return OneOf(code, {0x00, 0x18, 0x19});
    default: return false;
  }
}

namespace {

Status CheckReason(PacketType type, std::uint8_t code) {
  if (!IsReasonCodeValidFor(type, code)) {
    return ProtocolErr("reason code 0x" + std::to_string(code) + " is not valid in " +
                       PacketTypeName(type));
  }
  return Ok{};
}

Status ExpectEnd(const Reader& reader, PacketType type) {
  if (!reader.AtEnd()) {
    return Malformed(std::string("unexpected bytes at the end of ") + PacketTypeName(type));
  }
  return Ok{};
}

Status ReadPacketId(Reader& reader, std::uint16_t& id, PacketType type) {
  SW_TRY(reader.U16(id, "packet identifier"));
  if (id == 0) return ProtocolErr(std::string(PacketTypeName(type)) + " has packet identifier 0");
  return Ok{};
}

Status CheckAuthData(const Properties& properties) {
  if (properties.authentication_data && !properties.authentication_method) {
    return ProtocolErr("authentication data without authentication method");
  }
  return Ok{};
}

Status CheckPayloadFormat(const Properties& properties, std::string_view payload) {
  if (properties.payload_format_indicator == 1 && !IsWellFormedUtf8(payload)) {
    return MqttError(ReasonCode::kPayloadFormatInvalid,
                     "payload format indicator is 1 but the payload is not UTF-8");
  }
  return Ok{};
}

// ---------------------------------------------------------------------------------------------
// Decoding, one function per packet type. `reader` holds the variable header and payload.

Result<Packet> DecodeConnect(Reader& reader) {
  Connect c;
  std::string name;
  SW_TRY(reader.Utf8(name, "protocol name"));
  std::uint8_t level = 0;
  SW_TRY(reader.U8(level, "protocol level"));
  // 3.1.2.1/3.1.2.2: a wrong name or level is answered with 0x84 (return code 1 in 3.1.1).
  if (name != kProtocolName) {
    return MqttError(ReasonCode::kUnsupportedProtocolVersion, "protocol name is not MQTT");
  }
  if (level != 4 && level != 5) {
    return MqttError(ReasonCode::kUnsupportedProtocolVersion,
                     "unsupported protocol level " + std::to_string(level));
  }
  c.protocol_version = static_cast<ProtocolVersion>(level);
  const bool v5 = c.protocol_version == ProtocolVersion::kV5;

  std::uint8_t flags = 0;
  SW_TRY(reader.U8(flags, "connect flags"));
  if (flags & 0x01) return Malformed("CONNECT reserved flag is set");
  c.clean_start = (flags & 0x02) != 0;
  const bool will = (flags & 0x04) != 0;
  const auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03);
  const bool will_retain = (flags & 0x20) != 0;
  const bool has_password = (flags & 0x40) != 0;
  const bool has_username = (flags & 0x80) != 0;
  if (will_qos == 3) return Malformed("will QoS is 3");
  if (!will && (will_qos != 0 || will_retain)) {
    return Malformed("will QoS or will retain set without the will flag");
  }
  if (!v5 && has_password && !has_username) {
    return Malformed("password flag set without user name flag");
  }
  SW_TRY(reader.U16(c.keep_alive, "keep alive"));
  if (v5) {
    SW_TRY(DecodeProperties(reader, {PacketType::kConnect}, c.properties));
    SW_TRY(CheckAuthData(c.properties));
  }
  SW_TRY(reader.Utf8(c.client_id, "client identifier"));
  if (!v5 && c.client_id.empty() && !c.clean_start) {
    return MqttError(ReasonCode::kClientIdentifierNotValid,
                     "empty client identifier requires clean session");
  }
  if (will) {
    Will w;
    w.qos = static_cast<QoS>(will_qos);
    w.retain = will_retain;
    if (v5) SW_TRY(DecodeProperties(reader, {PacketType::kConnect, true}, w.properties));
    SW_TRY(reader.Utf8(w.topic, "will topic"));
    SW_TRY(ValidateTopicName(w.topic));
    SW_TRY(reader.Binary(w.payload, "will payload"));
    SW_TRY(CheckPayloadFormat(w.properties, w.payload));
    c.will = std::move(w);
  }
  if (has_username) {
    std::string username;
    SW_TRY(reader.Utf8(username, "user name"));
    c.username = std::move(username);
  }
  if (has_password) {
    std::string password;
    SW_TRY(reader.Binary(password, "password"));
    c.password = std::move(password);
  }
  SW_TRY(ExpectEnd(reader, PacketType::kConnect));
  return Packet{std::move(c)};
}

Result<Packet> DecodeConnack(Reader& reader, ProtocolVersion version) {
  Connack c;
  std::uint8_t ack_flags = 0;
  SW_TRY(reader.U8(ack_flags, "connect acknowledge flags"));
  if (ack_flags & 0xFE) return Malformed("CONNACK reserved flags are set");
  c.session_present = (ack_flags & 0x01) != 0;
  SW_TRY(reader.U8(c.reason_code, "connect reason code"));
  if (version == ProtocolVersion::kV311) {
    if (c.reason_code > 5) return ProtocolErr("CONNACK return code above 5");
  } else {
    SW_TRY(CheckReason(PacketType::kConnack, c.reason_code));
    SW_TRY(DecodeProperties(reader, {PacketType::kConnack}, c.properties));
    SW_TRY(CheckAuthData(c.properties));
  }
  if (c.session_present && c.reason_code != 0) {
    return ProtocolErr("session present set on a refused connection");
  }
  SW_TRY(ExpectEnd(reader, PacketType::kConnack));
  return Packet{std::move(c)};
}

Result<Packet> DecodePublish(Reader& reader, std::uint8_t flags, ProtocolVersion version) {
  Publish p;
  const auto qos = static_cast<std::uint8_t>((flags >> 1) & 0x03);
  if (qos == 3) return Malformed("PUBLISH QoS is 3");
  p.qos = static_cast<QoS>(qos);
  p.dup = (flags & 0x08) != 0;
  p.retain = (flags & 0x01) != 0;
  if (p.dup && p.qos == QoS::kAtMostOnce) return ProtocolErr("DUP set on a QoS 0 PUBLISH");
  SW_TRY(reader.Utf8(p.topic, "topic name"));
  if (p.qos != QoS::kAtMostOnce) SW_TRY(ReadPacketId(reader, p.packet_id, PacketType::kPublish));
  if (version == ProtocolVersion::kV5) {
    SW_TRY(DecodeProperties(reader, {PacketType::kPublish}, p.properties));
  }
  if (p.topic.empty()) {
    if (!p.properties.topic_alias) return ProtocolErr("empty topic name without a topic alias");
  } else {
    SW_TRY(ValidateTopicName(p.topic));
  }
  p.payload = std::string(reader.Rest());
  SW_TRY(CheckPayloadFormat(p.properties, p.payload));
  return Packet{std::move(p)};
}

template <typename T>
Result<Packet> DecodePublishResponse(Reader& reader, ProtocolVersion version) {
  T r;
  SW_TRY(ReadPacketId(reader, r.packet_id, T::kPacketType));
  if (version == ProtocolVersion::kV5 && !reader.AtEnd()) {
    SW_TRY(reader.U8(r.reason_code, "reason code"));
    SW_TRY(CheckReason(T::kPacketType, r.reason_code));
    if (!reader.AtEnd()) SW_TRY(DecodeProperties(reader, {T::kPacketType}, r.properties));
  }
  SW_TRY(ExpectEnd(reader, T::kPacketType));
  return Packet{std::move(r)};
}

Result<Packet> DecodeSubscribe(Reader& reader, ProtocolVersion version) {
  const bool v5 = version == ProtocolVersion::kV5;
  Subscribe s;
  SW_TRY(ReadPacketId(reader, s.packet_id, PacketType::kSubscribe));
  if (v5) {
    SW_TRY(DecodeProperties(reader, {PacketType::kSubscribe}, s.properties));
  }
  while (!reader.AtEnd()) {
    Subscription sub;
    SW_TRY(reader.Utf8(sub.filter, "topic filter"));
    std::uint8_t options = 0;
    SW_TRY(reader.U8(options, "subscription options"));
    const auto qos = static_cast<std::uint8_t>(options & 0x03);
    if (v5) {
      if (options & 0xC0) return Malformed("subscription options reserved bits are set");
      if (qos == 3) return ProtocolErr("subscription maximum QoS is 3");
      sub.no_local = (options & 0x04) != 0;
      sub.retain_as_published = (options & 0x08) != 0;
      sub.retain_handling = static_cast<std::uint8_t>((options >> 4) & 0x03);
      if (sub.retain_handling == 3) return ProtocolErr("retain handling is 3");
    } else {
      if (options & 0xFC) return Malformed("SUBSCRIBE requested QoS reserved bits are set");
      if (qos == 3) return Malformed("SUBSCRIBE requested QoS is 3");
    }
    sub.max_qos = static_cast<QoS>(qos);
    SW_TRY(ValidateTopicFilter(sub.filter, v5));
    if (v5 && sub.no_local && ParseSharedFilter(sub.filter)) {
      return ProtocolErr("no local set on a shared subscription");
    }
    s.subscriptions.push_back(std::move(sub));
  }
  if (s.subscriptions.empty()) return ProtocolErr("SUBSCRIBE without topic filters");
  return Packet{std::move(s)};
}

Result<Packet> DecodeSuback(Reader& reader, ProtocolVersion version) {
  Suback s;
  SW_TRY(ReadPacketId(reader, s.packet_id, PacketType::kSuback));
  if (version == ProtocolVersion::kV5) {
    SW_TRY(DecodeProperties(reader, {PacketType::kSuback}, s.properties));
  }
  for (char c : reader.Rest()) {
    const auto code = static_cast<std::uint8_t>(c);
    if (version == ProtocolVersion::kV5) {
      SW_TRY(CheckReason(PacketType::kSuback, code));
    } else if (!OneOf(code, {0x00, 0x01, 0x02, 0x80})) {
      return ProtocolErr("SUBACK return code 0x" + std::to_string(code) + " is not valid");
    }
    s.reason_codes.push_back(code);
  }
  if (s.reason_codes.empty()) return ProtocolErr("SUBACK without return codes");
  return Packet{std::move(s)};
}

Result<Packet> DecodeUnsubscribe(Reader& reader, ProtocolVersion version) {
  const bool v5 = version == ProtocolVersion::kV5;
  Unsubscribe u;
  SW_TRY(ReadPacketId(reader, u.packet_id, PacketType::kUnsubscribe));
  if (v5) SW_TRY(DecodeProperties(reader, {PacketType::kUnsubscribe}, u.properties));
  while (!reader.AtEnd()) {
    std::string filter;
    SW_TRY(reader.Utf8(filter, "topic filter"));
    SW_TRY(ValidateTopicFilter(filter, v5));
    u.filters.push_back(std::move(filter));
  }
  if (u.filters.empty()) return ProtocolErr("UNSUBSCRIBE without topic filters");
  return Packet{std::move(u)};
}

Result<Packet> DecodeUnsuback(Reader& reader, ProtocolVersion version) {
  Unsuback u;
  SW_TRY(ReadPacketId(reader, u.packet_id, PacketType::kUnsuback));
  if (version == ProtocolVersion::kV5) {
    SW_TRY(DecodeProperties(reader, {PacketType::kUnsuback}, u.properties));
    for (char c : reader.Rest()) {
      const auto code = static_cast<std::uint8_t>(c);
      SW_TRY(CheckReason(PacketType::kUnsuback, code));
      u.reason_codes.push_back(code);
    }
    if (u.reason_codes.empty()) return ProtocolErr("UNSUBACK without reason codes");
  }
  SW_TRY(ExpectEnd(reader, PacketType::kUnsuback));
  return Packet{std::move(u)};
}

// DISCONNECT and AUTH: optional reason code, then optional properties (5.0 only).
template <typename T>
Result<Packet> DecodeReasonAndProperties(Reader& reader, PacketType type, ProtocolVersion version) {
  T t;
  if (version == ProtocolVersion::kV5 && !reader.AtEnd()) {
    SW_TRY(reader.U8(t.reason_code, "reason code"));
    SW_TRY(CheckReason(type, t.reason_code));
    if (!reader.AtEnd()) SW_TRY(DecodeProperties(reader, {type}, t.properties));
    SW_TRY(CheckAuthData(t.properties));
  }
  SW_TRY(ExpectEnd(reader, type));
  return Packet{std::move(t)};
}

Status CheckFixedHeaderFlags(PacketType type, std::uint8_t flags) {
  if (type == PacketType::kPublish) return Ok{};
  const bool needs_0010 = type == PacketType::kPubrel || type == PacketType::kSubscribe ||
                          type == PacketType::kUnsubscribe;
  if (flags != (needs_0010 ? 0x02 : 0x00)) {
    return Malformed(std::string("invalid fixed header flags for ") + PacketTypeName(type));
  }
  return Ok{};
}

// ---------------------------------------------------------------------------------------------
// Encoding

Status CheckLength(std::string_view value, const char* what) {
  if (value.size() > kMaxStringBytes) {
    return EncodeError(std::string(what) + " is longer than 65535 bytes");
  }
  return Ok{};
}

Status PutString(Writer& writer, std::string_view value, const char* what) {
  SW_TRY(CheckLength(value, what));
  writer.LengthPrefixed(value);
  return Ok{};
}

Status PutQos(QoS qos) {
  if (static_cast<std::uint8_t>(qos) > 2) return EncodeError("QoS above 2");
  return Ok{};
}

struct Encoded {
  std::uint8_t first_byte = 0;
  std::string body;
};

class BodyEncoder {
 public:
  BodyEncoder(ProtocolVersion version, Encoded& out)
      : v5_(version == ProtocolVersion::kV5), out_(out), writer_(out.body) {}

  Status Properties(const mqtt::Properties& properties) {
    if (v5_) return EncodeProperties(properties, out_.body);
    if (!properties.Empty()) return EncodeError("properties need MQTT 5.0");
    return Ok{};
  }

  Status operator()(const Connect& c) {
    if (c.protocol_version != (v5_ ? ProtocolVersion::kV5 : ProtocolVersion::kV311)) {
      return EncodeError("CONNECT protocol version differs from the connection's");
    }
    out_.first_byte = 0x10;
    writer_.LengthPrefixed(kProtocolName);
    writer_.U8(static_cast<std::uint8_t>(c.protocol_version));
    std::uint8_t flags = c.clean_start ? 0x02 : 0x00;
    if (c.will) {
      SW_TRY(PutQos(c.will->qos));
      flags |= static_cast<std::uint8_t>(0x04 | (static_cast<std::uint8_t>(c.will->qos) << 3) |
                                         (c.will->retain ? 0x20 : 0x00));
    }
    if (c.password) {
      if (!v5_ && !c.username) return EncodeError("3.1.1 password needs a user name");
      flags |= 0x40;
    }
    if (c.username) flags |= 0x80;
    writer_.U8(flags);
    writer_.U16(c.keep_alive);
    SW_TRY(Properties(c.properties));
    SW_TRY(PutString(writer_, c.client_id, "client identifier"));
    if (c.will) {
      SW_TRY(Properties(c.will->properties));
      SW_TRY(PutString(writer_, c.will->topic, "will topic"));
      SW_TRY(PutString(writer_, c.will->payload, "will payload"));
    }
    if (c.username) SW_TRY(PutString(writer_, *c.username, "user name"));
    if (c.password) SW_TRY(PutString(writer_, *c.password, "password"));
    return Ok{};
  }

  Status operator()(const Connack& c) {
    out_.first_byte = 0x20;
    writer_.U8(c.session_present ? 0x01 : 0x00);
    writer_.U8(c.reason_code);
    return Properties(c.properties);
  }

  // PUBLISH goes through EncodePublish (no intermediate body string).
  Status operator()(const Publish&) { return EncodeError("PUBLISH is encoded by EncodePublish"); }

  template <PacketType kType>
  Status operator()(const PublishResponse<kType>& r) {
    out_.first_byte = static_cast<std::uint8_t>((static_cast<std::uint8_t>(kType) << 4) |
                                                (kType == PacketType::kPubrel ? 0x02 : 0x00));
    if (r.packet_id == 0) return EncodeError("packet id 0");
    writer_.U16(r.packet_id);
    if (!v5_) {
      if (r.reason_code != 0) return EncodeError("reason codes need MQTT 5.0");
      return Properties(r.properties);
    }
    if (r.reason_code == 0 && r.properties.Empty()) return Ok{};
    writer_.U8(r.reason_code);
    if (r.properties.Empty()) return Ok{};
    return Properties(r.properties);
  }

  Status operator()(const Subscribe& s) {
    out_.first_byte = 0x82;
    if (s.packet_id == 0) return EncodeError("packet id 0");
    if (s.subscriptions.empty()) return EncodeError("SUBSCRIBE without filters");
    writer_.U16(s.packet_id);
    SW_TRY(Properties(s.properties));
    for (const Subscription& sub : s.subscriptions) {
      SW_TRY(PutQos(sub.max_qos));
      if (sub.retain_handling > 2) return EncodeError("retain handling above 2");
      if (!v5_ && (sub.no_local || sub.retain_as_published || sub.retain_handling != 0)) {
        return EncodeError("subscription options need MQTT 5.0");
      }
      SW_TRY(PutString(writer_, sub.filter, "topic filter"));
      writer_.U8(static_cast<std::uint8_t>(
          static_cast<std::uint8_t>(sub.max_qos) | (sub.no_local ? 0x04 : 0) |
          (sub.retain_as_published ? 0x08 : 0) | (sub.retain_handling << 4)));
    }
    return Ok{};
  }

  Status operator()(const Suback& s) {
    out_.first_byte = 0x90;
    if (s.packet_id == 0) return EncodeError("packet id 0");
    writer_.U16(s.packet_id);
    SW_TRY(Properties(s.properties));
    for (std::uint8_t code : s.reason_codes) writer_.U8(code);
    return Ok{};
  }

  Status operator()(const Unsubscribe& u) {
    out_.first_byte = 0xA2;
    if (u.packet_id == 0) return EncodeError("packet id 0");
    if (u.filters.empty()) return EncodeError("UNSUBSCRIBE without filters");
    writer_.U16(u.packet_id);
    SW_TRY(Properties(u.properties));
    for (const std::string& filter : u.filters) {
      SW_TRY(PutString(writer_, filter, "topic filter"));
    }
    return Ok{};
  }

  Status operator()(const Unsuback& u) {
    out_.first_byte = 0xB0;
    if (u.packet_id == 0) return EncodeError("packet id 0");
    writer_.U16(u.packet_id);
    if (!v5_ && !u.reason_codes.empty()) return EncodeError("UNSUBACK reason codes need 5.0");
    SW_TRY(Properties(u.properties));
    for (std::uint8_t code : u.reason_codes) writer_.U8(code);
    return Ok{};
  }

  Status operator()(const Pingreq&) {
    out_.first_byte = 0xC0;
    return Ok{};
  }

  Status operator()(const Pingresp&) {
    out_.first_byte = 0xD0;
    return Ok{};
  }

  Status operator()(const Disconnect& d) {
    out_.first_byte = 0xE0;
    return ReasonAndProperties(d.reason_code, d.properties);
  }

  Status operator()(const Auth& a) {
    out_.first_byte = 0xF0;
    if (!v5_) return EncodeError("AUTH needs MQTT 5.0");
    return ReasonAndProperties(a.reason_code, a.properties);
  }

 private:
  Status ReasonAndProperties(std::uint8_t reason_code, const mqtt::Properties& properties) {
    if (!v5_) {
      if (reason_code != 0) return EncodeError("reason codes need MQTT 5.0");
      return Properties(properties);
    }
    if (reason_code == 0 && properties.Empty()) return Ok{};
    writer_.U8(reason_code);
    if (properties.Empty()) return Ok{};
    return Properties(properties);
  }

  bool v5_;
  Encoded& out_;
  Writer writer_;
};

}  // namespace

Status EncodePublish(const PublishView& p, ProtocolVersion version, std::string& out) {
  SW_TRY(PutQos(p.qos));
  const bool has_id = p.qos != QoS::kAtMostOnce;
  if (has_id && p.packet_id == 0) return EncodeError("QoS > 0 PUBLISH needs a packet id");
  if (!has_id && (p.packet_id != 0 || p.dup)) {
    return EncodeError("QoS 0 PUBLISH has a packet id or DUP");
  }
  SW_TRY(CheckLength(p.topic, "topic name"));
  const bool extra = p.message_expiry_interval || !p.subscription_identifiers.empty();
  const bool has_properties = extra || (p.properties != nullptr && !p.properties->Empty());
  // The property block (5.0): one zero byte when there is none, the usual case.
  std::string block;
  if (version == ProtocolVersion::kV5 && has_properties) {
    Properties merged = p.properties != nullptr ? *p.properties : Properties{};
    if (p.message_expiry_interval) merged.message_expiry_interval = p.message_expiry_interval;
    if (!p.subscription_identifiers.empty()) {
      merged.subscription_identifiers.assign(p.subscription_identifiers.begin(),
                                             p.subscription_identifiers.end());
    }
    SW_TRY(EncodeProperties(merged, block));
  } else if (version != ProtocolVersion::kV5 && has_properties) {
    return EncodeError("properties need MQTT 5.0");
  }
  const std::size_t properties_size =
      version == ProtocolVersion::kV5 ? std::max<std::size_t>(block.size(), 1) : 0;
  const std::size_t body =
      2 + p.topic.size() + (has_id ? 2 : 0) + properties_size + p.payload.size();
  if (body > kMaxVarint) {
    return MakeError(Errc::kPayloadTooLarge, "packet larger than 268435455 bytes",
                     "MQTT_PACKET_TOO_LARGE");
  }
  Writer writer(out);
  writer.U8(static_cast<std::uint8_t>(
      0x30 | (p.dup ? 0x08 : 0) | (static_cast<std::uint8_t>(p.qos) << 1) | (p.retain ? 0x01 : 0)));
  writer.Varint(static_cast<std::uint32_t>(body));
  writer.LengthPrefixed(p.topic);
  if (has_id) writer.U16(p.packet_id);
  if (version == ProtocolVersion::kV5) {
    if (block.empty()) {
      writer.U8(0);
    } else {
      writer.Bytes(block);
    }
  }
  writer.Bytes(p.payload);
  return Ok{};
}

Status Encode(const Packet& packet, ProtocolVersion version, std::string& out) {
  if (const auto* p = std::get_if<Publish>(&packet)) {
    PublishView view;
    view.topic = p->topic;
    view.payload = p->payload;
    view.qos = p->qos;
    view.retain = p->retain;
    view.dup = p->dup;
    view.packet_id = p->packet_id;
    view.properties = &p->properties;
    return EncodePublish(view, version, out);
  }
  Encoded encoded;
  SW_TRY(std::visit(BodyEncoder(version, encoded), packet));
  if (encoded.body.size() > kMaxVarint) {
    return MakeError(Errc::kPayloadTooLarge, "packet larger than 268435455 bytes",
                     "MQTT_PACKET_TOO_LARGE");
  }
  Writer writer(out);
  writer.U8(encoded.first_byte);
  writer.Varint(static_cast<std::uint32_t>(encoded.body.size()));
  writer.Bytes(encoded.body);
  return Ok{};
}

Result<Packet> Decode(std::string_view frame, ProtocolVersion version) {
  if (frame.empty()) return Malformed("empty packet");
  const auto first = static_cast<std::uint8_t>(frame[0]);
  std::uint32_t remaining = 0;
  std::size_t used = 0;
  switch (ParseVarint(frame.substr(1), remaining, used)) {
    case VarintParse::kOk: break;
    case VarintParse::kNeedMore: return Malformed("truncated remaining length");
    case VarintParse::kMalformed: return Malformed("invalid remaining length");
  }
  if (frame.size() - 1 - used != remaining) {
    return Malformed("remaining length " + std::to_string(remaining) + " does not match " +
                     std::to_string(frame.size() - 1 - used) + " bytes of body");
  }
  const std::uint8_t type_value = first >> 4;
  const auto flags = static_cast<std::uint8_t>(first & 0x0F);
  if (type_value == 0) return Malformed("reserved packet type 0");
  const auto type = static_cast<PacketType>(type_value);
  if (type == PacketType::kAuth && version == ProtocolVersion::kV311) {
    return Malformed("reserved packet type 15 in MQTT 3.1.1");
  }
  SW_TRY(CheckFixedHeaderFlags(type, flags));
  Reader reader(frame.substr(1 + used));
  switch (type) {
    case PacketType::kConnect: return DecodeConnect(reader);
    case PacketType::kConnack: return DecodeConnack(reader, version);
    case PacketType::kPublish: return DecodePublish(reader, flags, version);
    case PacketType::kPuback: return DecodePublishResponse<Puback>(reader, version);
    case PacketType::kPubrec: return DecodePublishResponse<Pubrec>(reader, version);
    case PacketType::kPubrel: return DecodePublishResponse<Pubrel>(reader, version);
    case PacketType::kPubcomp: return DecodePublishResponse<Pubcomp>(reader, version);
    case PacketType::kSubscribe: return DecodeSubscribe(reader, version);
    case PacketType::kSuback: return DecodeSuback(reader, version);
    case PacketType::kUnsubscribe: return DecodeUnsubscribe(reader, version);
    case PacketType::kUnsuback: return DecodeUnsuback(reader, version);
    case PacketType::kPingreq: SW_TRY(ExpectEnd(reader, type)); return Packet{Pingreq{}};
    case PacketType::kPingresp: SW_TRY(ExpectEnd(reader, type)); return Packet{Pingresp{}};
    case PacketType::kDisconnect:
      return DecodeReasonAndProperties<Disconnect>(reader, type, version);
    case PacketType::kAuth: return DecodeReasonAndProperties<Auth>(reader, type, version);
  }
  return Malformed("unknown packet type");
}

}  // namespace sw::mqtt
