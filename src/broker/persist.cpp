#include "broker/persist.hpp"

#include <cstring>

#include "protocol/codec.hpp"

namespace sw::broker {
namespace {

constexpr std::uint8_t kFormat = 1;  // retained messages; sessions written before format 2
// Sessions: 2 adds each queued delivery's unfinished packet id and released flag.
constexpr std::uint8_t kSessionFormat = 2;

class Writer {
 public:
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(std::uint16_t v) {
    U8(static_cast<std::uint8_t>(v >> 8));
    U8(static_cast<std::uint8_t>(v));
  }
  void U32(std::uint32_t v) {
    for (int i = 3; i >= 0; --i) U8(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void I64(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    U32(static_cast<std::uint32_t>(u >> 32));
    U32(static_cast<std::uint32_t>(u));
  }
  void Bytes(std::string_view s) {
    U32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(std::uint8_t& v) {
    if (pos_ + 1 > in_.size()) return false;
    v = static_cast<std::uint8_t>(in_[pos_++]);
    return true;
  }
  bool U16(std::uint16_t& v) {
    std::uint8_t hi = 0, lo = 0;
    if (!U8(hi) || !U8(lo)) return false;
    v = static_cast<std::uint16_t>((hi << 8) | lo);
    return true;
  }
  bool U32(std::uint32_t& v) {
    v = 0;
    for (int i = 0; i < 4; ++i) {
      std::uint8_t b = 0;
      if (!U8(b)) return false;
      v = (v << 8) | b;
    }
    return true;
  }
  bool I64(std::int64_t& v) {
    std::uint32_t hi = 0, lo = 0;
    if (!U32(hi) || !U32(lo)) return false;
    v = static_cast<std::int64_t>((std::uint64_t{hi} << 32) | lo);
    return true;
  }
  bool Bytes(std::string& s) {
    std::uint32_t n = 0;
    if (!U32(n) || pos_ + n > in_.size()) return false;
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

Error Corrupt(const std::string& what) {
  return MakeError(Errc::kDataLoss, "stored broker " + what + " is unreadable",
                   "BROKER_STORE_CORRUPT");
}

constexpr std::int64_t kNoTime = -1;

std::int64_t TimeOrNone(const std::optional<SysTime>& t) {
  return t ? ToUnixMillis(*t) : kNoTime;
}
std::optional<SysTime> NoneOrTime(std::int64_t ms) {
  if (ms == kNoTime) return std::nullopt;
  return FromUnixMillis(ms);
}

}  // namespace

std::string EncodeMessage(const Message& message) {
  mqtt::Publish publish;
  publish.topic = message.topic;
  publish.payload = message.payload;
  publish.qos = message.qos;
  publish.retain = message.retain;
  publish.packet_id = message.qos == mqtt::QoS::kAtMostOnce ? 0 : 1;
  if (message.properties) publish.properties = *message.properties;
  std::string packet;
  // Every stored message was decoded from (or built like) a valid PUBLISH.
  if (!mqtt::Encode(publish, mqtt::ProtocolVersion::kV5, packet).ok()) packet.clear();
  Writer w;
  w.U8(kFormat);
  w.I64(TimeOrNone(message.expires_at));
  w.Bytes(message.origin);
  w.Bytes(packet);
  return w.Take();
}

Result<MessagePtr> DecodeMessage(std::string_view blob) {
  Reader r(blob);
  std::uint8_t format = 0;
  std::int64_t expires = 0;
  auto message = std::make_shared<Message>();
  std::string packet;
  if (!r.U8(format) || format != kFormat || !r.I64(expires) || !r.Bytes(message->origin) ||
      !r.Bytes(packet) || !r.Done()) {
    return Corrupt("message");
  }
  auto decoded = mqtt::Decode(packet, mqtt::ProtocolVersion::kV5);
  if (!decoded.ok() || !std::holds_alternative<mqtt::Publish>(*decoded)) {
    return Corrupt("message");
  }
  auto& publish = std::get<mqtt::Publish>(*decoded);
  message->topic = std::move(publish.topic);
  message->payload = std::move(publish.payload);
  message->qos = publish.qos;
  message->retain = publish.retain;
  if (!publish.properties.Empty()) {
    message->properties = std::make_unique<const mqtt::Properties>(std::move(publish.properties));
  }
  message->expires_at = NoneOrTime(expires);
  return MessagePtr(std::move(message));
}

std::string EncodeSession(const StoredSession& session) {
  Writer w;
  w.U8(kSessionFormat);
  w.Bytes(session.identity.client_id);
  w.Bytes(session.identity.username);
  w.Bytes(session.identity.remote_ip);
  w.U8(session.identity.anonymous ? 1 : 0);
  w.U32(session.expiry_s);
  w.I64(TimeOrNone(session.expires_at));
  w.U32(static_cast<std::uint32_t>(session.subscriptions.size()));
  for (const auto& [filter, o] : session.subscriptions) {
    w.Bytes(filter);
    w.U8(static_cast<std::uint8_t>(o.max_qos));
    w.U8(static_cast<std::uint8_t>((o.no_local ? 1 : 0) | (o.retain_as_published ? 2 : 0)));
    w.U8(o.retain_handling);
    w.U32(o.identifier);
  }
  w.U32(static_cast<std::uint32_t>(session.queue.size()));
  for (const Delivery& d : session.queue) {
    w.U8(static_cast<std::uint8_t>(d.qos));
    w.U8(static_cast<std::uint8_t>((d.retain ? 1 : 0) | (d.released ? 2 : 0)));
    w.U16(d.packet_id);
    w.U32(static_cast<std::uint32_t>(d.subscription_ids.size()));
    for (std::uint32_t id : d.subscription_ids) w.U32(id);
    w.Bytes(EncodeMessage(*d.message));
  }
  return w.Take();
}

Result<StoredSession> DecodeSession(std::string_view blob) {
  Reader r(blob);
  StoredSession s;
  std::uint8_t format = 0, anonymous = 0;
  std::int64_t expires = 0;
  std::uint32_t n = 0;
  if (!r.U8(format) || (format != kFormat && format != kSessionFormat) ||
      !r.Bytes(s.identity.client_id) || !r.Bytes(s.identity.username) ||
      !r.Bytes(s.identity.remote_ip) || !r.U8(anonymous) || !r.U32(s.expiry_s) || !r.I64(expires) ||
      !r.U32(n)) {
    return Corrupt("session");
  }
  s.identity.anonymous = anonymous != 0;
  s.expires_at = NoneOrTime(expires);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string filter;
    std::uint8_t qos = 0, flags = 0, rh = 0;
    SubscriptionOptions o;
    if (!r.Bytes(filter) || !r.U8(qos) || qos > 2 || !r.U8(flags) || !r.U8(rh) ||
        !r.U32(o.identifier)) {
      return Corrupt("session");
    }
    o.max_qos = static_cast<mqtt::QoS>(qos);
    o.no_local = (flags & 1) != 0;
    o.retain_as_published = (flags & 2) != 0;
    o.retain_handling = rh;
    s.subscriptions.emplace_back(std::move(filter), o);
  }
  if (!r.U32(n)) return Corrupt("session");
  for (std::uint32_t i = 0; i < n; ++i) {
    Delivery d;
    std::uint8_t qos = 0, flags = 0;
    std::uint32_t ids = 0;
    if (!r.U8(qos) || qos > 2 || !r.U8(flags) || flags > 3) return Corrupt("session");
    if (format >= 2 && !r.U16(d.packet_id)) return Corrupt("session");
    if (!r.U32(ids) || ids > 1024) return Corrupt("session");
    d.qos = static_cast<mqtt::QoS>(qos);
    d.retain = (flags & 1) != 0;
    d.released = (flags & 2) != 0;
    if ((d.released || d.packet_id != 0) && (d.qos == mqtt::QoS::kAtMostOnce || d.packet_id == 0 ||
                                             (d.released && d.qos != mqtt::QoS::kExactlyOnce))) {
      return Corrupt("session");
    }
    for (std::uint32_t k = 0; k < ids; ++k) {
      std::uint32_t id = 0;
      if (!r.U32(id)) return Corrupt("session");
      d.subscription_ids.push_back(id);
    }
    std::string message;
    if (!r.Bytes(message)) return Corrupt("session");
    SW_ASSIGN_OR_RETURN(d.message, DecodeMessage(message));
    s.queue.push_back(std::move(d));
  }
  if (!r.Done()) return Corrupt("session");
  return s;
}

}  // namespace sw::broker
