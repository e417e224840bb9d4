// Broker: the routing engine of the MQTT broker, in plain C++ (no sockets, no Asio).
//
// It holds the sessions (subscriptions, offline queues, wills), the subscription trie, the
// retained messages and the platform's internal subscribers, and decides who gets which
// message. The network shell (server.hpp) owns the connections: it calls Connect /
// Disconnect / Publish / Subscribe / Unsubscribe and receives deliveries through the
// Outlet it registered for a connected session. Time is an argument; Tick() fires delayed
// wills, expires sessions and publishes the $SYS statistics.
//
// Semantics: QoS downgrade to the granted QoS, one delivery per session for overlapping
// subscriptions (highest QoS; a further copy per additional subscription identifier), no local,
// retain as published, retain handling, $share groups (round robin, connected members first),
// message expiry, offline queueing of QoS 1/2 for persistent sessions (bounded, drops counted),
// session expiry, client takeover, wills with will delay.
//
// Thread-safe: one mutex. Outlet methods are called with it held and must only queue work;
// internal subscribers are called after it is released, on the publishing thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "broker/auth.hpp"
#include "broker/message.hpp"
#include "broker/store.hpp"
#include "broker/subscription_trie.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "protocol/packets.hpp"
#include "protocol/reason_code.hpp"

namespace sw::broker {

// A connected session's delivery endpoint, implemented by the shell.
class Outlet {
 public:
  virtual ~Outlet() = default;
  // Queues a message for sending. Called with the broker lock held: no calls back.
  virtual void Deliver(Delivery delivery) = 0;
  // Another connection took the session over (or the broker evicts it): close with `reason`.
  virtual void Evict(mqtt::ReasonCode reason) = 0;
  // Called by Disconnect, with the lock held, on the thread that called Disconnect: the
  // messages accepted by Deliver and not yet acknowledged by the client, oldest first.
  virtual std::vector<Delivery> TakeUnsent() = 0;
};

// Counters shared by the engine and the shell (all in the metrics registry).
struct BrokerMetrics {
  explicit BrokerMetrics(metrics::Registry& registry);

  metrics::Gauge& connections;            // every transport
  metrics::Gauge& websocket_connections;  // of which MQTT over WebSocket
  metrics::Gauge& sessions;
  metrics::Gauge& retained;
  metrics::Gauge& subscriptions;
  metrics::Counter& connections_accepted;
  metrics::Counter& connections_refused;  // at max_connections
  metrics::Counter& tls_handshake_failures;
  metrics::Counter& websocket_accepted;  // handed over by the HTTP server (/mqtt)
  metrics::Counter* messages_in[3];
  metrics::Counter* messages_out[3];
  metrics::Counter& bytes_in;
  metrics::Counter& bytes_out;
  metrics::Counter& dropped_slow;     // QoS 0 dropped for a full outgoing queue
  metrics::Counter& dropped_queue;    // QoS 1/2 dropped for a full session queue
  metrics::Counter& dropped_expired;  // message expiry passed before delivery
  metrics::Counter& dropped_too_large;
  metrics::Counter& dropped_rate;  // over the per-client publish rate
  metrics::Counter& auth_failures;
  metrics::Counter& connect_rate_limited;
  metrics::Counter& publish_denied;
  metrics::Counter& subscribe_denied;
  metrics::Counter& protocol_errors;
  metrics::Counter& slow_disconnects;
  metrics::Counter& takeovers;
  metrics::Counter& wills_published;
};

struct BrokerOptions {
  std::size_t max_queued_messages = 1000;  // per offline session (QoS 1/2)
  std::uint32_t max_session_expiry_s = 0xFFFFFFFF;
  std::chrono::seconds sys_interval{10};  // $SYS/broker/... refresh; 0 = off
  // Changed persistent sessions (subscriptions, offline queue, expiry) are written to the
  // store from Tick at most this often, so a crash loses at most this much; 0: only when the
  // broker stops (SaveSessions).
  std::chrono::milliseconds session_save_interval{1000};
  std::string version = "sitewatch";
};

struct ConnectRequest {
  // identity->client_id is the (possibly assigned) client id. Shared with the session (the
  // connection and its session hold one copy); not changed after Connect.
  std::shared_ptr<const ClientIdentity> identity;
  mqtt::ProtocolVersion version = mqtt::ProtocolVersion::kV5;
  bool clean_start = true;
  std::uint32_t session_expiry_s = 0;  // 3.1.1: 0 when clean, 0xFFFFFFFF otherwise
  std::optional<mqtt::Will> will;
};

struct ConnectResult {
  bool session_present = false;
  std::uint64_t generation = 0;  // identifies this connection's tenure of the session
  std::vector<Delivery> queued;  // messages kept while offline, oldest first
};

struct SubscribeResult {
  std::vector<std::uint8_t> reason_codes;  // 5.0 codes (the shell maps them for 3.1.1)
  std::vector<Delivery> retained;          // to send after the SUBACK
};

// `ack` is set for an inbound QoS 1/2 message whose acknowledgement waits for the platform
// (see AckLatch); null otherwise (QoS 0, wills, platform messages).
using InternalHandler = std::function<void(const Message&, const AckToken& ack)>;

class Broker {
 public:
  // `store` may be null (nothing persisted).
  Broker(Authenticator& auth, BrokerMetrics& metrics, BrokerOptions options,
         BrokerStore* store = nullptr);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Loads retained messages and persistent sessions from the store (at start-up).
  Status Restore(SysTime now);

  ConnectResult Connect(const ConnectRequest& request, Outlet* outlet, SysTime now);
  // The connection of `generation` is over; `outlet` is what it registered at Connect. The
  // messages it had not finished delivering (Outlet::TakeUnsent) stay with a persistent
  // session. A stale generation (taken over) only hands its messages to the current holder.
  void Disconnect(const std::string& client_id, std::uint64_t generation, Outlet& outlet,
                  bool publish_will, SysTime now);

  // Routes a message; returns the number of sessions and internal subscribers it reached.
  // `ack` (optional) is handed to the internal subscribers; the caller drops its own copy
  // after the call.
  std::size_t Publish(const MessagePtr& message, SysTime now, const AckToken& ack = nullptr);

  SubscribeResult Subscribe(const std::string& client_id, std::uint64_t generation,
                            const mqtt::Subscribe& subscribe, SysTime now);
  std::vector<std::uint8_t> Unsubscribe(const std::string& client_id, std::uint64_t generation,
                                        const mqtt::Unsubscribe& unsubscribe);

  // The in-process platform hook: messages matching `filter` (no ACL) go to `handler`.
  std::uint64_t AddInternalSubscriber(std::string filter, InternalHandler handler);
  void RemoveInternalSubscriber(std::uint64_t id);
  // Whether a message on `topic` would reach an MQTT session (connected, or persistent and
  // queueing while offline) that may receive it. Internal subscribers do not count.
  bool HasSubscriber(std::string_view topic);
  // Publishes as the platform (no ACL, no TCP).
  std::size_t PublishFromPlatform(std::string topic, std::string payload, mqtt::QoS qos,
                                  bool retain, SysTime now);

  // Closes the live connections whose identity `which` selects with `reason` (the platform
  // withdrew their credentials); their sessions stay, as after any disconnect. Returns how
  // many were told to close.
  std::size_t EvictClients(const std::function<bool(const ClientIdentity&)>& which,
                           mqtt::ReasonCode reason);

  // Saves every persistent session (subscriptions and queued messages) to the store; called
  // when the broker stops, after the connections are closed.
  Status SaveSessions(SysTime now);
  // Writes the persistent sessions changed since the last save (and deletes the ones gone);
  // Tick calls it. A connected session is stored with its subscriptions; what its connection
  // holds in flight is not (it is saved when the connection ends).
  Status SaveChangedSessions(SysTime now);

  // Fires due wills, expires sessions, refreshes $SYS. Call about once a second.
  void Tick(SysTime now);

  std::size_t SessionCount() const;
  std::size_t RetainedCount() const;
  bool HasSession(const std::string& client_id) const;

 private:
  struct Session {
    std::shared_ptr<const ClientIdentity> identity;  // identity->client_id is the map key
    std::uint64_t generation = 0;
    std::uint64_t first_generation = 0;  // the generation that created this session
    Outlet* outlet = nullptr;
    std::uint32_t expiry_s = 0;
    SysTime expires_at = SysTime::max();  // while offline, unless it never expires; else max
    std::unique_ptr<mqtt::Will> will;     // a pointer: most sessions have none, a Will is large
    // Sorted by the full filter ($share included); see PutSubscription in broker.cpp.
    std::vector<std::pair<std::string, SubscriptionOptions>> subscriptions;
    std::vector<Delivery> queue;  // offline QoS 1/2, oldest first
  };
  struct PendingWill {
    mqtt::Will will;
    std::string client_id;
    SysTime at;
  };

  using Trie = SubscriptionTrie<Session*>;

  struct Internal;
  void PublishLocked(const MessagePtr& message, SysTime now,
                     std::vector<std::shared_ptr<Internal>>& internal, std::size_t& reached);
  std::size_t PublishUnlocked(const MessagePtr& message, SysTime now, const AckToken& ack);
  void Enqueue(Session& session, Delivery delivery, SysTime now);
  void RemoveSession(Session& session);
  // Notes a persistent session (or one being removed) for the next SaveChangedSessions.
  void MarkChanged(const Session& session);
  static std::string EncodeStored(const Session& session, SysTime now);
  // Replaces the identity of the session at `it` (same client id) and re-keys it.
  void SetIdentity(std::unordered_map<std::string_view, Session>::iterator it,
                   std::shared_ptr<const ClientIdentity> identity);
  void PublishWill(mqtt::Will will, const std::string& client_id, SysTime now,
                   std::vector<MessagePtr>& out);
  void PublishSys(SysTime now, std::vector<MessagePtr>& out);

  Authenticator& auth_;
  BrokerMetrics& metrics_;
  const BrokerOptions options_;
  BrokerStore* store_;

  std::mutex save_mutex_;  // one save at a time (taken before mutex_)
  mutable std::mutex mutex_;
  // Sessions in place (stable addresses: the trie points at them), keyed by a view of their
  // own identity->client_id; SetIdentity re-keys when the identity object changes.
  std::unordered_map<std::string_view, Session> sessions_;
  Trie trie_;
  std::map<std::string, MessagePtr, std::less<>> retained_;
  std::map<std::string, PendingWill> pending_wills_;  // by client id
  std::unordered_set<std::string> changed_sessions_;  // client ids, for SaveChangedSessions
  struct Internal {
    std::uint64_t id;
    std::string filter;
    InternalHandler handler;
    // The filter's levels before its first wildcard: a topic that does not start with them
    // cannot match (checked before TopicMatches, on every message).
    std::string literal_prefix;
  };
  std::vector<std::shared_ptr<Internal>> internal_;
  std::uint64_t next_internal_id_ = 1;
  std::uint64_t next_generation_ = 1;
  std::optional<SysTime> started_;
  std::optional<SysTime> next_sys_;
  std::optional<SysTime> next_save_;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> sent_{0};
};

}  // namespace sw::broker
