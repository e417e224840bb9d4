// Connection: the server side of one MQTT 3.1.1/5.0 connection as a sans-I/O state machine.
//
// The shell feeds it bytes (OnBytes) and time (OnTick) and carries out the Actions it returns:
// write SendBytes to the socket, close the socket on CloseConnection, hand the events
// (ConnectReceived, Published, ...) to the broker. It enforces: CONNECT first and only once,
// the maximum packet size, keep-alive (1.5x), the inbound QoS 1/2 handshakes and receive
// maximum, inbound topic aliases, the outbound in-flight window (the client's receive
// maximum) and the client's maximum packet size. Authentication and authorisation are the
// caller's: it answers ConnectReceived with Accept or Reject, and SUBSCRIBE/UNSUBSCRIBE with
// Send(Suback/Unsuback). Inbound PUBLISHes are acknowledged with success automatically.
// Enhanced authentication (AUTH) is not supported: an AUTH packet is a protocol error.
// Single owner; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "protocol/codec.hpp"
#include "protocol/framer.hpp"
#include "protocol/packets.hpp"
#include "protocol/reason_code.hpp"

namespace sw::mqtt {

struct ConnectionOptions {
  std::size_t max_packet_size =
      std::size_t{256} * 1024;             // inbound limit; advertised in CONNACK (5.0)
  std::uint16_t receive_maximum = 32;      // inbound QoS 2 publishes awaiting PUBREL
  std::uint16_t topic_alias_maximum = 16;  // inbound aliases accepted (5.0); 0 = none
  Millis connect_timeout{10'000};          // time allowed from accept() to CONNECT
  // Decides the acknowledgement of each inbound PUBLISH before it becomes a Published event
  // (authorisation, rate limits). A code >= 0x80 drops the message: in 5.0 the PUBACK/PUBREC
  // carries the code; in 3.1.1 the client still gets a positive acknowledgement
  // (MQTT-3.3.5-2). Unset: every PUBLISH is accepted with success.
  std::function<ReasonCode(const Publish&)> publish_filter;
  // When set, accepted inbound QoS 1/2 publishes are not acknowledged automatically: their
  // Published event carries `ack_deferred`, and the PUBACK/PUBREC goes out when the caller
  // calls Acknowledge (after the message is durably handled). Acknowledgements are sent in
  // the order the publishes arrived (MQTT 4.6). Deferred QoS 1 and 2 publishes together may
  // not exceed receive_maximum for a 5.0 client.
  bool manual_acks = false;
};

// A per-connection alternative to ConnectionOptions::publish_filter (which is per options
// object): lets many connections share one options object and still filter each with its
// own state. Same contract as publish_filter.
class PublishFilter {
 public:
  virtual ReasonCode FilterPublish(const Publish& publish) = 0;

 protected:
  ~PublishFilter() = default;
};

// Actions, in the order the shell must carry them out.
struct SendBytes {
  std::string bytes;
};
struct CloseConnection {};
struct ConnectReceived {  // answer with Accept() or Reject()
  Connect connect;
};
struct Published {  // an inbound application message (topic alias already resolved)
  Publish publish;
  bool ack_deferred = false;  // manual_acks: answer with Acknowledge(publish.packet_id, ...)
};
struct SubscribeReceived {  // answer with Send(Suback)
  Subscribe subscribe;
};
struct UnsubscribeReceived {  // answer with Send(Unsuback)
  Unsubscribe unsubscribe;
};
struct PublishAcknowledged {  // an outbound QoS 1/2 publish is complete
  std::uint16_t packet_id = 0;
  std::uint8_t reason_code = 0;
};
struct ProtocolViolation {  // the peer broke the protocol; Disconnected and Close follow
  ReasonCode reason = ReasonCode::kProtocolError;
  std::string message;
};
struct Disconnected {  // the connection is over; emitted exactly once
  ReasonCode reason = ReasonCode::kSuccess;
  bool publish_will = false;  // false only after a normal DISCONNECT or before CONNACK
};

using Action =
    std::variant<SendBytes, CloseConnection, ConnectReceived, Published, SubscribeReceived,
                 UnsubscribeReceived, PublishAcknowledged, ProtocolViolation, Disconnected>;
using Actions = std::vector<Action>;

class Connection {
 public:
  enum class State : std::uint8_t { kAwaitingConnect, kAwaitingAccept, kConnected, kClosed };

  Connection(ConnectionOptions options, SysTime now);
  // Options shared by many connections (they are never changed). `filter`, when set, is used
  // instead of options->publish_filter and must outlive the connection.
  Connection(std::shared_ptr<const ConnectionOptions> options, SysTime now,
             PublishFilter* filter = nullptr);

  Actions OnBytes(std::string_view bytes, SysTime now);
  Actions OnTick(SysTime now);
  // When OnTick should next be called; nullopt when no timer runs.
  std::optional<SysTime> NextDeadline() const;

  // Answers ConnectReceived. Accept sends CONNACK (with `assigned_client_id` in 5.0 when the
  // client sent an empty one) and processes anything the client sent after CONNECT.
  Actions Accept(bool session_present, std::string assigned_client_id = {});
  Actions Reject(ReasonCode reason);

  // Sends an outbound application message; for QoS > 0 assigns the packet id it returns.
  // Fails (nothing sent) when not connected, when the client's receive maximum is reached
  // (kRateLimited: queue and retry after PublishAcknowledged) or when the packet exceeds the
  // client's maximum packet size (kPayloadTooLarge).
  Result<std::uint16_t> Publish(const mqtt::Publish& message, Actions& out);
  // The same, appending the bytes to `out` (unchanged on failure) instead of a SendBytes
  // action: the server's delivery path encodes straight into its write buffer. The view's
  // packet_id and dup are ignored.
  Result<std::uint16_t> Publish(PublishView message, std::string& out);
  // After a session resumed (MQTT-4.4.0-1, 3.1.1 and 5.0): re-sends an outbound PUBLISH the
  // client had not acknowledged on an earlier connection, with DUP=1 and its original packet
  // id. Fails like Publish, and with kConflict (nothing sent) when that id is already in use
  // on this connection.
  Result<std::uint16_t> Republish(PublishView message, std::uint16_t packet_id, std::string& out);
  // The same for a QoS 2 flow whose PUBREC had arrived: re-sends its PUBREL (never the
  // PUBLISH again: the client has the message) and waits for the PUBCOMP.
  Status ResendPubrel(std::uint16_t packet_id, std::string& out);
  // Whether outbound QoS 2 flow `packet_id` has had its PUBREC (only PUBREL/PUBCOMP remain).
  // Valid after the connection closed too (for handing unfinished flows back to the session).
  bool OutboundReleased(std::uint16_t packet_id) const;
  // Sends a reply such as SUBACK or UNSUBACK. Fails when not connected or unencodable.
  Status Send(const Packet& packet, Actions& out);
  // Server-initiated close: DISCONNECT with `reason` in 5.0, then close.
  Actions Close(ReasonCode reason);
  // Completes a deferred acknowledgement (manual_acks). `ok` false: the message could not be
  // kept — the connection is closed without acknowledging it, so the client sends it again.
  // Unknown ids (the connection was reset) are ignored.
  Actions Acknowledge(std::uint16_t packet_id, bool ok);
  // Inbound publishes accepted but not yet acknowledged (manual_acks).
  std::size_t PendingAcks() const { return tables_ ? tables_->pending_acks.size() : 0; }

  State state() const { return state_; }
  ProtocolVersion version() const { return version_; }
  std::size_t OutboundInflight() const { return tables_ ? tables_->outbound.size() : 0; }

 private:
  enum class OutboundStage { kAwaitingPuback, kAwaitingPubrec, kAwaitingPubcomp };

  void ProcessFrame(std::string_view frame, Actions& out);
  void HandleConnect(std::string_view frame, Actions& out);
  void HandlePacket(Packet packet, Actions& out);
  void HandlePublish(mqtt::Publish publish, Actions& out);
  void SendPacket(const Packet& packet, Actions& out);
  Result<std::uint16_t> PublishAs(PublishView message, std::uint16_t packet_id, bool dup,
                                  std::string& out);
  void Violation(ReasonCode reason, std::string message, Actions& out);
  void Finish(ReasonCode reason, bool publish_will, Actions& out);

  std::shared_ptr<const ConnectionOptions> options_;  // never null
  PublishFilter* filter_ = nullptr;
  Framer framer_;
  SysTime opened_at_;
  SysTime last_received_;
  // What arrived after CONNECT while the caller decides (bounded by max_packet_size); only
  // between CONNECT and Accept/Reject, so kept off the object.
  struct Held {
    std::vector<std::string> frames;
    std::size_t bytes = 0;
    std::unique_ptr<Error> error;  // a framing error after those frames
  };
  std::unique_ptr<Held> held_;

  struct PendingAck {
    std::uint16_t packet_id = 0;
    QoS qos = QoS::kAtLeastOnce;
    std::uint8_t reason_code = 0;
    bool ready = false;
  };
  void FlushAcks(Actions& out);
  bool AdmitDeferred(Actions& out);

  // The per-packet-id state: small sets and maps as vectors sorted by packet id / alias,
  // allocated on first use and released when all are empty again, so that an idle connection
  // holds none of it.
  struct Tables {
    std::vector<PendingAck> pending_acks;     // manual_acks, in arrival order
    std::vector<std::uint16_t> inbound_qos2;  // PUBREC sent, awaiting PUBREL
    std::vector<std::pair<std::uint16_t, std::string>> topic_aliases;  // inbound alias -> topic
    std::vector<std::pair<std::uint16_t, OutboundStage>> outbound;     // outbound QoS 1/2 in flight
  };
  Tables& T();              // creates them
  const Tables& R() const;  // or an empty set
  void ReleaseTablesIfEmpty();
  std::unique_ptr<Tables> tables_;
  // The small fields together (an idle connection's size: bench/broker_bench.sh (c)).
  std::uint32_t client_max_packet_size_ = 0;  // 0 = no limit stated
  std::uint16_t client_receive_maximum_ = 65'535;
  std::uint16_t next_packet_id_ = 1;
  std::uint16_t keep_alive_s_ = 0;
  State state_ = State::kAwaitingConnect;
  ProtocolVersion version_ = ProtocolVersion::kV5;
  bool connect_had_session_expiry_ = false;
  bool client_id_empty_ = false;  // the CONNECT had no client id (5.0: one is assigned)
};

}  // namespace sw::mqtt
