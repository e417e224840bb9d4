// Application messages as the broker routes them, and one delivery of a message to a session.
//
// A Message is immutable once published and shared (std::shared_ptr<const Message>) by every
// queue and retained slot that holds it, so fan-out copies a pointer, not the payload.
// Value types; a MessagePtr may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "protocol/codec.hpp"
#include "protocol/packets.hpp"

namespace sw::broker {

struct Message {
  std::string topic;
  std::string payload;
  mqtt::QoS qos = mqtt::QoS::kAtMostOnce;
  bool retain = false;
  // Forwarded 5.0 properties only: payload format, content type, response topic, correlation
  // data, user properties. Expiry, aliases and subscription identifiers are per delivery.
  // Null when there are none (most messages): a Properties is ~500 bytes.
  std::unique_ptr<const mqtt::Properties> properties;
  std::optional<SysTime> expires_at;  // from the message expiry interval
  std::string origin;                 // the publisher's client id; empty for the platform
};
using MessagePtr = std::shared_ptr<const Message>;

// Builds a Message from an inbound PUBLISH received at `now`.
MessagePtr MakeMessage(mqtt::Publish publish, std::string origin, SysTime now);

// One message on its way to one session.
struct Delivery {
  MessagePtr message;
  mqtt::QoS qos = mqtt::QoS::kAtMostOnce;  // min(message QoS, granted QoS)
  bool retain = false;                     // the RETAIN flag to send
  // Set when an earlier connection of the session sent it and the client had not finished
  // the flow: re-sent with this packet id and DUP=1 (MQTT-4.4.0-1), or, when `released` (the
  // client's PUBREC had arrived), only its PUBREL is re-sent.
  bool released = false;
  std::uint16_t packet_id = 0;
  std::vector<std::uint32_t> subscription_ids = {};
};

bool Expired(const Message& message, SysTime now);

// Holds back the acknowledgement of an inbound QoS 1/2 message until every internal
// subscriber that needs it kept (the telemetry ingest) has finished with it. The publisher's
// connection creates one per message; a subscriber that must commit first keeps a copy of
// the AckToken and drops it when done (calling Fail() first if the message was not kept).
// When the last copy goes, `done(ok)` runs, on whichever thread dropped it.
class AckLatch {
 public:
  explicit AckLatch(std::function<void(bool ok)> done) : done_(std::move(done)) {}
  ~AckLatch() {
    if (done_) done_(ok_.load());
  }
  AckLatch(const AckLatch&) = delete;
  AckLatch& operator=(const AckLatch&) = delete;
  void Fail() { ok_ = false; }

 private:
  std::function<void(bool)> done_;
  std::atomic<bool> ok_{true};
};
using AckToken = std::shared_ptr<AckLatch>;

// The PUBLISH to send for `delivery` to a client speaking `version` (packet id unset), as a
// view of the delivery and its message (valid while they are); nullopt when the message has
// expired. The expiry interval sent is the time left (5.0, 3.3.2.3.3).
std::optional<mqtt::PublishView> ViewOf(const Delivery& delivery, mqtt::ProtocolVersion version,
                                        SysTime now);

// About the size of the PUBLISH that `delivery` becomes (for queue byte budgets).
std::size_t ApproximateSize(const Delivery& delivery);

}  // namespace sw::broker
