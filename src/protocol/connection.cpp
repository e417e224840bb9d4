#include "protocol/connection.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "protocol/codec.hpp"

namespace sw::mqtt {
namespace {

// Reasons the server may put in its own DISCONNECT or refusing CONNACK.
bool ValidInDisconnect(ReasonCode reason) {
  const auto code = static_cast<std::uint8_t>(reason);
  return code >= 0x80 && IsReasonCodeValidFor(PacketType::kDisconnect, code);
}

bool ValidInConnack(ReasonCode reason) {
  const auto code = static_cast<std::uint8_t>(reason);
  return code >= 0x80 && IsReasonCodeValidFor(PacketType::kConnack, code);
}

// The protocol level a CONNECT frame declares, if its header gets that far and names MQTT.
std::optional<ProtocolVersion> PeekConnectVersion(std::string_view frame) {
  std::size_t pos = 1;
  while (pos < frame.size() && pos < 5 && (static_cast<unsigned char>(frame[pos]) & 0x80)) ++pos;
  ++pos;  // past the last remaining-length byte
  const std::string_view kHeader("\x00\x04MQTT", 6);
  if (frame.size() < pos + 7 || frame.substr(pos, 6) != kHeader) return std::nullopt;
  const auto level = static_cast<std::uint8_t>(frame[pos + 6]);
  if (level == 4) return ProtocolVersion::kV311;
  if (level == 5) return ProtocolVersion::kV5;
  return std::nullopt;
}

// Sorted-vector lookups for the connection's small per-packet-id tables.
template <class Pairs>
auto FindKey(Pairs& pairs, std::uint16_t key) {
  auto it = std::lower_bound(pairs.begin(), pairs.end(), key,
                             [](const auto& p, std::uint16_t k) { return p.first < k; });
  return it != pairs.end() && it->first == key ? it : pairs.end();
}
template <class Pairs, class Value>
void PutKey(Pairs& pairs, std::uint16_t key, Value value) {
  auto it = std::lower_bound(pairs.begin(), pairs.end(), key,
                             [](const auto& p, std::uint16_t k) { return p.first < k; });
  if (it != pairs.end() && it->first == key) {
    it->second = std::move(value);
  } else {
    pairs.emplace(it, key, std::move(value));
  }
}
bool Contains(const std::vector<std::uint16_t>& ids, std::uint16_t id) {
  return std::binary_search(ids.begin(), ids.end(), id);
}
void Insert(std::vector<std::uint16_t>& ids, std::uint16_t id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) ids.insert(it, id);
}
bool Erase(std::vector<std::uint16_t>& ids, std::uint16_t id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) return false;
  ids.erase(it);
  return true;
}
}  // namespace

Connection::Tables& Connection::T() {
  if (!tables_) tables_ = std::make_unique<Tables>();
  return *tables_;
}

const Connection::Tables& Connection::R() const {
  static const Tables kNone;
  return tables_ ? *tables_ : kNone;
}

void Connection::ReleaseTablesIfEmpty() {
  if (tables_ && tables_->pending_acks.empty() && tables_->inbound_qos2.empty() &&
      tables_->topic_aliases.empty() && tables_->outbound.empty()) {
    tables_.reset();
  }
}

Connection::Connection(ConnectionOptions options, SysTime now)
    : Connection(std::make_shared<const ConnectionOptions>(std::move(options)), now) {}

Connection::Connection(std::shared_ptr<const ConnectionOptions> options, SysTime now,
                       PublishFilter* filter)
    : options_(std::move(options)),
      filter_(filter),
      framer_(options_->max_packet_size),
      opened_at_(now),
      last_received_(now) {}

Actions Connection::OnBytes(std::string_view bytes, SysTime now) {
  Actions out;
  if (state_ == State::kClosed) return out;
  // Room for the actions of the packets in `bytes` (~one per 128 bytes of publishes): growing
  // the vector would move each action, and a Published is large.
  out.reserve(std::clamp<std::size_t>(bytes.size() / 128, 1, 64));
  while (state_ != State::kClosed) {
    Result<std::string_view> frame = framer_.Next(bytes);
    if (!frame.ok()) {
      if (state_ == State::kAwaitingAccept) {
        // Reported after the caller's Accept, in order with the held packets.
        if (!held_->error) held_->error = std::make_unique<Error>(frame.error());
      } else {
        Violation(ReasonCodeOf(frame.error()), frame.error().message, out);
      }
      break;
    }
    if (frame->empty()) break;
    last_received_ = now;
    ProcessFrame(*frame, out);
  }
  return out;
}

void Connection::ProcessFrame(std::string_view frame, Actions& out) {
  switch (state_) {
    case State::kClosed: return;
    case State::kAwaitingAccept:
      // Everything after CONNECT waits for the caller's Accept (MQTT-3.1.4-7).
      held_->bytes += frame.size();
      held_->frames.emplace_back(frame);
      if (held_->bytes > options_->max_packet_size) {
        Violation(ReasonCode::kQuotaExceeded, "too much data before CONNACK", out);
      }
      return;
    case State::kAwaitingConnect: HandleConnect(frame, out); return;
    case State::kConnected: break;
  }
  auto decoded = Decode(frame, version_);
  if (!decoded.ok()) {
    Violation(ReasonCodeOf(decoded.error()), decoded.error().message, out);
    return;
  }
  HandlePacket(std::move(decoded).value(), out);
}

void Connection::HandleConnect(std::string_view frame, Actions& out) {
  const auto first_type = static_cast<std::uint8_t>(frame[0]) >> 4;
  if (first_type != static_cast<std::uint8_t>(PacketType::kConnect)) {
    Violation(ReasonCode::kProtocolError, "first packet is not CONNECT", out);
    return;
  }
  auto decoded = Decode(frame, version_);
  if (!decoded.ok()) {
    const ReasonCode reason = ReasonCodeOf(decoded.error());
    const std::optional<ProtocolVersion> declared = PeekConnectVersion(frame);
    if (declared == ProtocolVersion::kV5 && ValidInConnack(reason)) {
      version_ = ProtocolVersion::kV5;
      Connack connack;
      connack.reason_code = static_cast<std::uint8_t>(reason);
      SendPacket(connack, out);
    } else if (reason == ReasonCode::kUnsupportedProtocolVersion ||
               (declared == ProtocolVersion::kV311 &&
                reason == ReasonCode::kClientIdentifierNotValid)) {
      // 3.1.1 answers these two with return codes 1 and 2 (MQTT-3.1.2-2, MQTT-3.1.3-9).
      version_ = ProtocolVersion::kV311;
      Connack connack;
      connack.reason_code = ToV311ConnackCode(reason);
      SendPacket(connack, out);
    }
    out.push_back(ProtocolViolation{reason, decoded.error().message});
    Finish(reason, false, out);
    return;
  }
  Connect& connect = std::get<Connect>(*decoded);
  version_ = connect.protocol_version;
  keep_alive_s_ = connect.keep_alive;
  client_id_empty_ = connect.client_id.empty();
  connect_had_session_expiry_ = connect.properties.session_expiry_interval.value_or(0) != 0;
  client_receive_maximum_ = connect.properties.receive_maximum.value_or(65'535);
  client_max_packet_size_ = connect.properties.maximum_packet_size.value_or(0);
  state_ = State::kAwaitingAccept;
  held_ = std::make_unique<Held>();
  out.push_back(ConnectReceived{std::move(connect)});
}

Actions Connection::Accept(bool session_present, std::string assigned_client_id) {
  Actions out;
  if (state_ != State::kAwaitingAccept) return out;
  Connack connack;
  connack.session_present = session_present;
  if (version_ == ProtocolVersion::kV5) {
    Properties& p = connack.properties;
    if (options_->receive_maximum != 65'535) p.receive_maximum = options_->receive_maximum;
    if (options_->topic_alias_maximum != 0) p.topic_alias_maximum = options_->topic_alias_maximum;
    p.maximum_packet_size =
        static_cast<std::uint32_t>(std::min<std::size_t>(options_->max_packet_size, 268'435'460));
    if (client_id_empty_ && !assigned_client_id.empty()) {
      p.assigned_client_identifier = std::move(assigned_client_id);
    }
  }
  state_ = State::kConnected;
  SendPacket(connack, out);
  const std::unique_ptr<Held> held = std::move(held_);
  for (const std::string& frame : held->frames) ProcessFrame(frame, out);
  if (held->error && state_ == State::kConnected) {
    Violation(ReasonCodeOf(*held->error), held->error->message, out);
  }
  return out;
}

Actions Connection::Reject(ReasonCode reason) {
  Actions out;
  if (state_ != State::kAwaitingAccept) return out;
  Connack connack;
  if (version_ == ProtocolVersion::kV5) {
    connack.reason_code =
        static_cast<std::uint8_t>(ValidInConnack(reason) ? reason : ReasonCode::kUnspecifiedError);
  } else {
    connack.reason_code = ToV311ConnackCode(reason);
  }
  SendPacket(connack, out);
  Finish(reason, false, out);
  return out;
}

void Connection::HandlePacket(Packet packet, Actions& out) {
  const bool v5 = version_ == ProtocolVersion::kV5;
  switch (TypeOf(packet)) {
    case PacketType::kPublish:
      HandlePublish(std::get<mqtt::Publish>(std::move(packet)), out);
      return;
    case PacketType::kPubrel: {
      const auto& pubrel = std::get<Pubrel>(packet);
      Pubcomp pubcomp;
      pubcomp.packet_id = pubrel.packet_id;
      const bool known = Erase(T().inbound_qos2, pubrel.packet_id);
      ReleaseTablesIfEmpty();
      if (!known && v5) {
        pubcomp.reason_code = static_cast<std::uint8_t>(ReasonCode::kPacketIdentifierNotFound);
      }
      SendPacket(pubcomp, out);
      return;
    }
    case PacketType::kPuback: {
      const auto& puback = std::get<Puback>(packet);
      auto& outbound = T().outbound;
      auto it = FindKey(outbound, puback.packet_id);
      if (it == outbound.end() || it->second != OutboundStage::kAwaitingPuback) {
        Violation(ReasonCode::kProtocolError, "PUBACK for an unknown packet id", out);
        return;
      }
      outbound.erase(it);
      ReleaseTablesIfEmpty();
      out.push_back(PublishAcknowledged{puback.packet_id, puback.reason_code});
      return;
    }
    case PacketType::kPubrec: {
      const auto& pubrec = std::get<Pubrec>(packet);
      auto& outbound = T().outbound;
      auto it = FindKey(outbound, pubrec.packet_id);
      Pubrel pubrel;
      pubrel.packet_id = pubrec.packet_id;
      if (it == outbound.end() || it->second == OutboundStage::kAwaitingPuback) {
        if (!v5) {
          Violation(ReasonCode::kProtocolError, "PUBREC for an unknown packet id", out);
          return;
        }
        pubrel.reason_code = static_cast<std::uint8_t>(ReasonCode::kPacketIdentifierNotFound);
        SendPacket(pubrel, out);
        ReleaseTablesIfEmpty();
        return;
      }
      if (pubrec.reason_code >= 0x80) {  // the receiver refused it: the flow ends here
        outbound.erase(it);
        ReleaseTablesIfEmpty();
        out.push_back(PublishAcknowledged{pubrec.packet_id, pubrec.reason_code});
        return;
      }
      it->second = OutboundStage::kAwaitingPubcomp;
      SendPacket(pubrel, out);
      return;
    }
    case PacketType::kPubcomp: {
      const auto& pubcomp = std::get<Pubcomp>(packet);
      auto& outbound = T().outbound;
      auto it = FindKey(outbound, pubcomp.packet_id);
      if (it == outbound.end() || it->second != OutboundStage::kAwaitingPubcomp) {
        Violation(ReasonCode::kProtocolError, "PUBCOMP for an unknown packet id", out);
        return;
      }
      outbound.erase(it);
      ReleaseTablesIfEmpty();
      out.push_back(PublishAcknowledged{pubcomp.packet_id, pubcomp.reason_code});
      return;
    }
    case PacketType::kSubscribe:
      out.push_back(SubscribeReceived{std::get<Subscribe>(std::move(packet))});
      return;
    case PacketType::kUnsubscribe:
      out.push_back(UnsubscribeReceived{std::get<Unsubscribe>(std::move(packet))});
      return;
    case PacketType::kPingreq: SendPacket(Pingresp{}, out); return;
    case PacketType::kDisconnect: {
      const auto& disconnect = std::get<Disconnect>(packet);
      if (!connect_had_session_expiry_ &&
          disconnect.properties.session_expiry_interval.value_or(0) != 0) {
        Violation(ReasonCode::kProtocolError,
                  "DISCONNECT sets a session expiry after CONNECT set none", out);
        return;
      }
      const auto reason = static_cast<ReasonCode>(disconnect.reason_code);
      Finish(reason, reason != ReasonCode::kSuccess, out);
      return;
    }
    case PacketType::kConnect: Violation(ReasonCode::kProtocolError, "second CONNECT", out); return;
    case PacketType::kAuth:
      Violation(ReasonCode::kProtocolError, "AUTH without an authentication method", out);
      return;
    default:
      Violation(ReasonCode::kProtocolError,
                std::string(PacketTypeName(TypeOf(packet))) + " is not sent by clients", out);
      return;
  }
}

void Connection::HandlePublish(mqtt::Publish publish, Actions& out) {
  if (!publish.properties.subscription_identifiers.empty()) {
    Violation(ReasonCode::kProtocolError, "PUBLISH from a client has a subscription identifier",
              out);
    return;
  }
  if (publish.properties.topic_alias) {
    const std::uint16_t alias = *publish.properties.topic_alias;
    if (alias > options_->topic_alias_maximum) {
      Violation(ReasonCode::kTopicAliasInvalid,
                "topic alias " + std::to_string(alias) + " above the maximum", out);
      return;
    }
    if (publish.topic.empty()) {
      const auto& aliases = R().topic_aliases;
      auto it = FindKey(aliases, alias);
      if (it == aliases.end()) {
        Violation(ReasonCode::kProtocolError, "unknown topic alias " + std::to_string(alias), out);
        return;
      }
      publish.topic = it->second;
    } else {
      PutKey(T().topic_aliases, alias, publish.topic);
    }
    publish.properties.topic_alias.reset();
  }
  const std::uint16_t id = publish.packet_id;
  const ReasonCode verdict = filter_                    ? filter_->FilterPublish(publish)
                             : options_->publish_filter ? options_->publish_filter(publish)
                                                        : ReasonCode::kSuccess;
  const bool refused = static_cast<std::uint8_t>(verdict) >= 0x80;
  const std::uint8_t ack_code =
      version_ == ProtocolVersion::kV5 ? static_cast<std::uint8_t>(verdict) : std::uint8_t{0};
  switch (publish.qos) {
    case QoS::kAtMostOnce:
      if (!refused) out.push_back(Published{std::move(publish)});
      return;
    case QoS::kAtLeastOnce: {
      Puback puback;
      puback.packet_id = id;
      if (Contains(R().inbound_qos2, id)) {
        if (version_ != ProtocolVersion::kV5) {
          Violation(ReasonCode::kProtocolError, "QoS 1 PUBLISH reuses a QoS 2 packet id", out);
          return;
        }
        puback.reason_code = static_cast<std::uint8_t>(ReasonCode::kPacketIdentifierInUse);
        SendPacket(puback, out);
        return;
      }
      puback.reason_code = ack_code;
      if (options_->manual_acks) {
        if (!refused && !AdmitDeferred(out)) return;
        T().pending_acks.push_back(PendingAck{id, QoS::kAtLeastOnce, ack_code, refused});
        if (refused) {
          FlushAcks(out);
        } else {
          out.push_back(Published{std::move(publish), true});
        }
        return;
      }
      if (!refused) out.push_back(Published{std::move(publish)});
      SendPacket(puback, out);
      return;
    }
    case QoS::kExactlyOnce: {
      Pubrec pubrec;
      pubrec.packet_id = id;
      if (Contains(R().inbound_qos2, id)) {
        // A re-send: acknowledge again, deliver once (MQTT-4.3.3-9). While its deferred
        // PUBREC is still pending, that PUBREC is the answer.
        const auto& acks = R().pending_acks;
        const bool pending = std::any_of(acks.begin(), acks.end(),
                                         [id](const PendingAck& a) { return a.packet_id == id; });
        if (!pending) SendPacket(pubrec, out);
        return;
      }
      if (R().inbound_qos2.size() >= options_->receive_maximum) {
        Violation(ReasonCode::kReceiveMaximumExceeded, "more QoS 2 publishes than allowed", out);
        return;
      }
      pubrec.reason_code = ack_code;
      // A refused QoS 2 flow ends at the PUBREC in 5.0; 3.1.1 completes it and drops the message.
      if (options_->manual_acks && !refused && !AdmitDeferred(out)) return;
      if (!refused || version_ != ProtocolVersion::kV5) Insert(T().inbound_qos2, id);
      if (options_->manual_acks) {
        T().pending_acks.push_back(PendingAck{id, QoS::kExactlyOnce, ack_code, refused});
        if (refused) {
          FlushAcks(out);
        } else {
          out.push_back(Published{std::move(publish), true});
        }
        return;
      }
      if (!refused) out.push_back(Published{std::move(publish)});
      SendPacket(pubrec, out);
      return;
    }
  }
}

bool Connection::AdmitDeferred(Actions& out) {
  if (version_ == ProtocolVersion::kV5 && PendingAcks() >= options_->receive_maximum) {
    Violation(ReasonCode::kReceiveMaximumExceeded, "more unacknowledged publishes than allowed",
              out);
    return false;
  }
  return true;
}

void Connection::FlushAcks(Actions& out) {
  if (!tables_) return;
  std::vector<PendingAck>& acks = tables_->pending_acks;
  std::size_t done = 0;
  while (done < acks.size() && acks[done].ready) {
    const PendingAck a = acks[done++];
    if (a.qos == QoS::kAtLeastOnce) {
      Puback puback;
      puback.packet_id = a.packet_id;
      puback.reason_code = a.reason_code;
      SendPacket(puback, out);
    } else {
      Pubrec pubrec;
      pubrec.packet_id = a.packet_id;
      pubrec.reason_code = a.reason_code;
      SendPacket(pubrec, out);
    }
  }
  acks.erase(acks.begin(), acks.begin() + static_cast<long>(done));
  ReleaseTablesIfEmpty();
}

Actions Connection::Acknowledge(std::uint16_t packet_id, bool ok) {
  Actions out;
  if (state_ != State::kConnected) return out;
  if (!tables_) return out;
  auto& acks = tables_->pending_acks;
  auto it = std::find_if(acks.begin(), acks.end(), [packet_id](const PendingAck& a) {
    return a.packet_id == packet_id && !a.ready;
  });
  if (it == acks.end()) return out;
  if (!ok) {
    out = Close(ReasonCode::kImplementationSpecificError);
    return out;
  }
  it->ready = true;
  FlushAcks(out);
  return out;
}

Result<std::uint16_t> Connection::Publish(const mqtt::Publish& message, Actions& out) {
  PublishView view;
  view.topic = message.topic;
  view.payload = message.payload;
  view.qos = message.qos;
  view.retain = message.retain;
  view.properties = &message.properties;
  std::string bytes;
  Result<std::uint16_t> id = Publish(view, bytes);
  if (id.ok()) out.push_back(SendBytes{std::move(bytes)});
  return id;
}

Result<std::uint16_t> Connection::Publish(PublishView message, std::string& out) {
  return PublishAs(message, 0, false, out);
}

Result<std::uint16_t> Connection::Republish(PublishView message, std::uint16_t packet_id,
                                            std::string& out) {
  if (packet_id == 0 || message.qos == QoS::kAtMostOnce) {
    return MakeError(Errc::kInvalidArgument, "only a QoS 1/2 PUBLISH with a packet id is re-sent");
  }
  return PublishAs(message, packet_id, true, out);
}

Result<std::uint16_t> Connection::PublishAs(PublishView message, std::uint16_t packet_id, bool dup,
                                            std::string& out) {
  if (state_ != State::kConnected) return MakeError(Errc::kUnavailable, "not connected");
  message.packet_id = 0;
  message.dup = dup;
  if (message.qos != QoS::kAtMostOnce) {
    if (OutboundInflight() >= client_receive_maximum_) {
      return MakeError(Errc::kRateLimited, "client receive maximum reached");
    }
    const auto& outbound = R().outbound;
    if (packet_id != 0) {
      if (FindKey(outbound, packet_id) != outbound.end()) {
        return MakeError(Errc::kConflict, "packet id in use");
      }
      message.packet_id = packet_id;
    } else {
      while (next_packet_id_ == 0 || FindKey(outbound, next_packet_id_) != outbound.end()) {
        ++next_packet_id_;
      }
      message.packet_id = next_packet_id_++;
    }
  }
  const std::size_t before = out.size();
  SW_TRY(EncodePublish(message, version_, out));
  if (client_max_packet_size_ != 0 && out.size() - before > client_max_packet_size_) {
    out.resize(before);
    return MqttError(ReasonCode::kPacketTooLarge,
                     "PUBLISH exceeds the client's maximum packet size");
  }
  if (message.qos != QoS::kAtMostOnce) {
    PutKey(T().outbound, message.packet_id,
           message.qos == QoS::kAtLeastOnce ? OutboundStage::kAwaitingPuback
                                            : OutboundStage::kAwaitingPubrec);
  }
  return message.packet_id;
}

Status Connection::ResendPubrel(std::uint16_t packet_id, std::string& out) {
  if (state_ != State::kConnected) return MakeError(Errc::kUnavailable, "not connected");
  if (packet_id == 0) return MakeError(Errc::kInvalidArgument, "packet id 0");
  if (OutboundInflight() >= client_receive_maximum_) {
    return MakeError(Errc::kRateLimited, "client receive maximum reached");
  }
  if (FindKey(R().outbound, packet_id) != R().outbound.end()) {
    return MakeError(Errc::kConflict, "packet id in use");
  }
  Pubrel pubrel;
  pubrel.packet_id = packet_id;
  SW_TRY(Encode(pubrel, version_, out));
  PutKey(T().outbound, packet_id, OutboundStage::kAwaitingPubcomp);
  return Ok{};
}

bool Connection::OutboundReleased(std::uint16_t packet_id) const {
  const auto& outbound = R().outbound;
  auto it = FindKey(outbound, packet_id);
  return it != outbound.end() && it->second == OutboundStage::kAwaitingPubcomp;
}

Status Connection::Send(const Packet& packet, Actions& out) {
  if (state_ != State::kConnected) return MakeError(Errc::kUnavailable, "not connected");
  std::string bytes;
  SW_TRY(Encode(packet, version_, bytes));
  if (client_max_packet_size_ != 0 && bytes.size() > client_max_packet_size_) {
    return MqttError(ReasonCode::kPacketTooLarge, "packet exceeds the client's maximum size");
  }
  out.push_back(SendBytes{std::move(bytes)});
  return Ok{};
}

Actions Connection::Close(ReasonCode reason) {
  Actions out;
  if (state_ == State::kClosed) return out;
  if (state_ == State::kConnected && version_ == ProtocolVersion::kV5 &&
      ValidInDisconnect(reason)) {
    Disconnect disconnect;
    disconnect.reason_code = static_cast<std::uint8_t>(reason);
    SendPacket(disconnect, out);
  }
  Finish(reason, state_ == State::kConnected, out);
  return out;
}

Actions Connection::OnTick(SysTime now) {
  Actions out;
  const std::optional<SysTime> deadline = NextDeadline();
  if (!deadline || now < *deadline) return out;
  if (state_ == State::kAwaitingConnect) {
    out.push_back(ProtocolViolation{ReasonCode::kMaximumConnectTime, "no CONNECT in time"});
    Finish(ReasonCode::kMaximumConnectTime, false, out);
    return out;
  }
  if (state_ == State::kConnected && version_ == ProtocolVersion::kV5) {
    Disconnect disconnect;
    disconnect.reason_code = static_cast<std::uint8_t>(ReasonCode::kKeepAliveTimeout);
    SendPacket(disconnect, out);
  }
  out.push_back(ProtocolViolation{ReasonCode::kKeepAliveTimeout, "keep alive expired"});
  Finish(ReasonCode::kKeepAliveTimeout, state_ == State::kConnected, out);
  return out;
}

std::optional<SysTime> Connection::NextDeadline() const {
  switch (state_) {
    case State::kAwaitingConnect: return opened_at_ + options_->connect_timeout;
    case State::kAwaitingAccept:
    case State::kConnected:
      if (keep_alive_s_ == 0) return std::nullopt;
      // One and a half times the keep alive (MQTT-3.1.2-22 / 3.1.2-24).
      return last_received_ + Millis{std::int64_t{keep_alive_s_} * 1500};
    case State::kClosed: break;
  }
  return std::nullopt;
}

void Connection::SendPacket(const Packet& packet, Actions& out) {
  std::string bytes;
  // The connection builds these packets itself; failing to encode one is a bug.
  const Status status = Encode(packet, version_, bytes);
  assert(status.ok());
  (void)status;
  out.push_back(SendBytes{std::move(bytes)});
}

void Connection::Violation(ReasonCode reason, std::string message, Actions& out) {
  if (state_ == State::kClosed) return;
  if (state_ == State::kConnected && version_ == ProtocolVersion::kV5 &&
      ValidInDisconnect(reason)) {
    Disconnect disconnect;
    disconnect.reason_code = static_cast<std::uint8_t>(reason);
    SendPacket(disconnect, out);
  }
  out.push_back(ProtocolViolation{reason, std::move(message)});
  Finish(reason, state_ == State::kConnected, out);
}

void Connection::Finish(ReasonCode reason, bool publish_will, Actions& out) {
  state_ = State::kClosed;
  held_.reset();
  out.push_back(Disconnected{reason, publish_will});
  out.emplace_back(std::in_place_type<CloseConnection>);
}

}  // namespace sw::mqtt
