#include "broker/broker.hpp"

#include <algorithm>
#include <utility>

#include "broker/persist.hpp"
#include "common/log.hpp"
#include "protocol/topic.hpp"

namespace sw::broker {
namespace {

constexpr std::uint32_t kNeverExpires = 0xFFFFFFFF;

mqtt::QoS MinQos(mqtt::QoS a, mqtt::QoS b) {
  return static_cast<std::uint8_t>(a) < static_cast<std::uint8_t>(b) ? a : b;
}
mqtt::QoS MaxQos(mqtt::QoS a, mqtt::QoS b) {
  return static_cast<std::uint8_t>(a) > static_cast<std::uint8_t>(b) ? a : b;
}

std::pair<std::string_view, std::string_view> SplitShared(std::string_view filter) {
  if (auto shared = mqtt::ParseSharedFilter(filter)) return {shared->filter, shared->group};
  return {filter, {}};
}

const char* kQosLabel[3] = {"0", "1", "2"};

// A session's subscriptions: a vector sorted by filter (smaller than a map, per session and
// per subscription; sessions hold few).
using SubscriptionList = std::vector<std::pair<std::string, SubscriptionOptions>>;

SubscriptionList::iterator LowerBound(SubscriptionList& list, std::string_view filter) {
  return std::lower_bound(list.begin(), list.end(), filter,
                          [](const auto& e, std::string_view f) { return e.first < f; });
}

void PutSubscription(SubscriptionList& list, const std::string& filter,
                     const SubscriptionOptions& options) {
  auto it = LowerBound(list, filter);
  if (it != list.end() && it->first == filter) {
    it->second = options;
  } else {
    list.emplace(it, filter, options);
  }
}

void EraseSubscription(SubscriptionList& list, std::string_view filter) {
  auto it = LowerBound(list, filter);
  if (it != list.end() && it->first == filter) list.erase(it);
  if (list.empty()) SubscriptionList().swap(list);
}

}  // namespace

BrokerMetrics::BrokerMetrics(metrics::Registry& r)
    : connections(r.GetGauge("sitewatch_mqtt_connections", "Open MQTT connections")),
      websocket_connections(r.GetGauge("sitewatch_mqtt_websocket_connections",
                                       "Open MQTT connections over WebSocket (also counted in "
                                       "sitewatch_mqtt_connections)")),
      sessions(r.GetGauge("sitewatch_mqtt_sessions", "MQTT sessions, connected or not")),
      retained(r.GetGauge("sitewatch_mqtt_retained_messages", "Retained MQTT messages")),
      subscriptions(r.GetGauge("sitewatch_mqtt_subscriptions", "MQTT subscriptions")),
      connections_accepted(r.GetCounter("sitewatch_mqtt_connections_accepted_total",
                                        "TCP connections accepted by the MQTT listener")),
      connections_refused(r.GetCounter("sitewatch_mqtt_connections_refused_total",
                                       "MQTT connections refused at mqtt.max_connections")),
      tls_handshake_failures(r.GetCounter("sitewatch_mqtt_tls_handshake_failures_total",
                                          "MQTT TLS connections closed in the handshake")),
      websocket_accepted(r.GetCounter("sitewatch_mqtt_websocket_connections_accepted_total",
                                      "MQTT over WebSocket connections handed over by the HTTP "
                                      "server (/mqtt)")),
      bytes_in(r.GetCounter("sitewatch_mqtt_bytes_received_total", "MQTT bytes received")),
      bytes_out(r.GetCounter("sitewatch_mqtt_bytes_sent_total", "MQTT bytes sent")),
      dropped_slow(r.GetCounter("sitewatch_mqtt_messages_dropped_total", "MQTT messages dropped",
                                {{"reason", "slow_consumer"}})),
      dropped_queue(r.GetCounter("sitewatch_mqtt_messages_dropped_total", "MQTT messages dropped",
                                 {{"reason", "queue_full"}})),
      dropped_expired(r.GetCounter("sitewatch_mqtt_messages_dropped_total", "MQTT messages dropped",
                                   {{"reason", "expired"}})),
      dropped_too_large(r.GetCounter("sitewatch_mqtt_messages_dropped_total",
                                     "MQTT messages dropped", {{"reason", "too_large"}})),
      dropped_rate(r.GetCounter("sitewatch_mqtt_messages_dropped_total", "MQTT messages dropped",
                                {{"reason", "rate_limited"}})),
      auth_failures(r.GetCounter("sitewatch_mqtt_auth_failures_total",
                                 "MQTT CONNECTs refused for credentials")),
      connect_rate_limited(r.GetCounter("sitewatch_mqtt_connect_rate_limited_total",
                                        "MQTT CONNECTs refused: too many failures from the IP")),
      publish_denied(r.GetCounter("sitewatch_mqtt_acl_denied_total", "MQTT requests denied by ACL",
                                  {{"operation", "publish"}})),
      subscribe_denied(r.GetCounter("sitewatch_mqtt_acl_denied_total",
                                    "MQTT requests denied by ACL", {{"operation", "subscribe"}})),
      protocol_errors(r.GetCounter("sitewatch_mqtt_protocol_errors_total",
                                   "MQTT connections closed for a protocol violation")),
      slow_disconnects(r.GetCounter("sitewatch_mqtt_slow_consumer_disconnects_total",
                                    "MQTT clients disconnected for not reading fast enough")),
      takeovers(r.GetCounter("sitewatch_mqtt_session_takeovers_total",
                             "MQTT sessions taken over by a new connection")),
      wills_published(
          r.GetCounter("sitewatch_mqtt_wills_published_total", "MQTT will messages published")) {
  for (int q = 0; q < 3; ++q) {
    messages_in[q] = &r.GetCounter("sitewatch_mqtt_messages_received_total",
                                   "MQTT application messages received", {{"qos", kQosLabel[q]}});
    messages_out[q] = &r.GetCounter("sitewatch_mqtt_messages_sent_total",
                                    "MQTT application messages sent", {{"qos", kQosLabel[q]}});
  }
}

Broker::Broker(Authenticator& auth, BrokerMetrics& metrics, BrokerOptions options,
               BrokerStore* store)
    : auth_(auth), metrics_(metrics), options_(std::move(options)), store_(store) {}

Broker::~Broker() = default;

ConnectResult Broker::Connect(const ConnectRequest& request, Outlet* outlet, SysTime now) {
  std::vector<MessagePtr> wills;
  std::vector<std::shared_ptr<Internal>> internal;
  ConnectResult result;
  {
    std::lock_guard lock(mutex_);
    if (!started_) started_ = now;
    const std::string& id = request.identity->client_id;
    // A new connection before the will delay passed cancels the will (3.1.3.2.2).
    pending_wills_.erase(id);
    auto it = sessions_.find(id);
    if (it != sessions_.end()) {
      Session& old = it->second;
      if (old.outlet) {
        old.outlet->Evict(mqtt::ReasonCode::kSessionTakenOver);
        old.outlet = nullptr;
        metrics_.takeovers.Inc();
        if (old.will && old.will->properties.will_delay_interval.value_or(0) == 0) {
          PublishWill(std::move(*old.will), id, now, wills);
        }
        old.will.reset();
      }
      if (request.clean_start) {
        RemoveSession(old);
        it = sessions_.end();
      }
    }
    const std::uint64_t generation = next_generation_++;
    if (it == sessions_.end()) {
      Session session;
      session.identity = request.identity;
      session.first_generation = generation;
      it = sessions_.emplace(session.identity->client_id, std::move(session)).first;
      metrics_.sessions.Set(static_cast<std::int64_t>(sessions_.size()));
    } else {
      result.session_present = true;
      SetIdentity(it, request.identity);
    }
    Session& s = it->second;
    s.generation = generation;
    s.outlet = outlet;
    const std::uint32_t old_expiry = s.expiry_s;
    s.expiry_s = std::min(request.session_expiry_s, options_.max_session_expiry_s);
    if (old_expiry != 0 || s.expiry_s != 0) MarkChanged(s);
    s.expires_at = SysTime::max();
    s.will = request.will ? std::make_unique<mqtt::Will>(*request.will) : nullptr;
    for (Delivery& d : s.queue) {
      if (!d.released && Expired(*d.message, now)) {
        metrics_.dropped_expired.Inc();
      } else {
        result.queued.push_back(std::move(d));
      }
    }
    s.queue.clear();
    result.generation = generation;
    for (const MessagePtr& will : wills) {
      std::size_t reached = 0;
      PublishLocked(will, now, internal, reached);
    }
  }
  for (const MessagePtr& will : wills) {
    for (const auto& in : internal) in->handler(*will, nullptr);
  }
  return result;
}

void Broker::Disconnect(const std::string& client_id, std::uint64_t generation, Outlet& outlet,
                        bool publish_will, SysTime now) {
  std::vector<MessagePtr> wills;
  std::vector<std::shared_ptr<Internal>> internal;
  {
    std::lock_guard lock(mutex_);
    std::vector<Delivery> unacked = outlet.TakeUnsent();
    auto it = sessions_.find(client_id);
    if (it == sessions_.end()) return;
    Session& s = it->second;
    if (s.generation != generation) {
      // Taken over. The messages it was sending belong to the session it shared, unless the
      // new connection started clean (a new session).
      if (generation < s.first_generation) return;
      for (Delivery& d : unacked) {
        if (s.outlet) {
          s.outlet->Deliver(std::move(d));
        } else {
          Enqueue(s, std::move(d), now);
        }
      }
      return;
    }
    s.outlet = nullptr;
    if (publish_will && s.will) {
      const std::uint32_t delay = s.will->properties.will_delay_interval.value_or(0);
      if (delay == 0 || s.expiry_s == 0) {
        PublishWill(std::move(*s.will), client_id, now, wills);
      } else {
        const std::uint32_t wait = std::min(delay, s.expiry_s);
        pending_wills_[client_id] =
            PendingWill{std::move(*s.will), client_id, now + std::chrono::seconds(wait)};
      }
    }
    s.will.reset();
    if (s.expiry_s == 0) {
      RemoveSession(s);
    } else {
      std::vector<Delivery> queue = std::move(unacked);
      for (Delivery& d : s.queue) queue.push_back(std::move(d));
      s.queue.clear();
      for (Delivery& d : queue) Enqueue(s, std::move(d), now);
      if (s.expiry_s != kNeverExpires) s.expires_at = now + std::chrono::seconds(s.expiry_s);
      MarkChanged(s);
    }
    for (const MessagePtr& will : wills) {
      std::size_t reached = 0;
      PublishLocked(will, now, internal, reached);
    }
  }
  for (const MessagePtr& will : wills) {
    for (const auto& in : internal) in->handler(*will, nullptr);
  }
}

void Broker::Enqueue(Session& session, Delivery delivery, SysTime now) {
  if (delivery.qos == mqtt::QoS::kAtMostOnce) return;  // QoS 0 is not kept for offline clients
  // A released QoS 2 flow (the client has the message; only its PUBREL is owed) is finished
  // whatever the message's expiry or the queue's bound.
  if (delivery.released) {
    session.queue.push_back(std::move(delivery));
    MarkChanged(session);
    return;
  }
  if (Expired(*delivery.message, now)) {
    metrics_.dropped_expired.Inc();
    return;
  }
  if (session.queue.size() >= options_.max_queued_messages) {
    metrics_.dropped_queue.Inc();
    return;
  }
  session.queue.push_back(std::move(delivery));
  MarkChanged(session);
}

void Broker::MarkChanged(const Session& session) {
  if (store_ && session.expiry_s != 0) changed_sessions_.insert(session.identity->client_id);
}

void Broker::SetIdentity(std::unordered_map<std::string_view, Session>::iterator it,
                         std::shared_ptr<const ClientIdentity> identity) {
  // The key views the old identity's client id: take the node out, swap, put it back (the
  // Session keeps its address).
  auto node = sessions_.extract(it);
  node.mapped().identity = std::move(identity);
  node.key() = node.mapped().identity->client_id;
  sessions_.insert(std::move(node));
}

void Broker::RemoveSession(Session& session) {
  for (const auto& [filter, options] : session.subscriptions) {
    auto [plain, group] = SplitShared(filter);
    trie_.Remove(plain, group, &session);
  }
  metrics_.subscriptions.Set(static_cast<std::int64_t>(trie_.size()));
  MarkChanged(session);  // gone: deleted from the store at the next save
  // A copy: the key must outlive the erase, which destroys `session` and its identity.
  const std::shared_ptr<const ClientIdentity> identity = session.identity;
  sessions_.erase(std::string_view(identity->client_id));
  metrics_.sessions.Set(static_cast<std::int64_t>(sessions_.size()));
}

void Broker::PublishWill(mqtt::Will will, const std::string& client_id, SysTime now,
                         std::vector<MessagePtr>& out) {
  mqtt::Publish publish;
  publish.topic = std::move(will.topic);
  publish.payload = std::move(will.payload);
  publish.qos = will.qos;
  publish.retain = will.retain;
  publish.properties = std::move(will.properties);
  metrics_.wills_published.Inc();
  out.push_back(MakeMessage(std::move(publish), client_id, now));
}

std::size_t Broker::Publish(const MessagePtr& message, SysTime now, const AckToken& ack) {
  return PublishUnlocked(message, now, ack);
}

std::size_t Broker::PublishUnlocked(const MessagePtr& message, SysTime now, const AckToken& ack) {
  std::vector<std::shared_ptr<Internal>> internal;
  std::size_t reached = 0;
  {
    std::lock_guard lock(mutex_);
    PublishLocked(message, now, internal, reached);
  }
  for (const auto& in : internal) in->handler(*message, ack);
  return reached;
}

void Broker::PublishLocked(const MessagePtr& message, SysTime now,
                           std::vector<std::shared_ptr<Internal>>& internal, std::size_t& reached) {
  const Message& m = *message;
  if (m.topic.rfind("$SYS", 0) != 0) {
    received_.fetch_add(1, std::memory_order_relaxed);
  }
  if (m.retain) {
    const bool persist = store_ != nullptr && m.topic.front() != '$';
    if (m.payload.empty()) {
      if (retained_.erase(m.topic) > 0 && persist) (void)store_->DeleteRetained(m.topic);
    } else {
      retained_[m.topic] = message;
      if (persist) (void)store_->PutRetained(m.topic, EncodeMessage(m));
    }
    metrics_.retained.Set(static_cast<std::int64_t>(retained_.size()));
  }
  // One delivery per session with the highest QoS of the matching subscriptions. When more
  // than one of them has a subscription identifier, each further identifier gets its own copy
  // at its subscription's QoS (MQTT-3.3.4-5): clients such as libmosquitto 2.0 refuse a
  // PUBLISH that repeats the identifier property.
  struct Target {
    Session* session;
    Delivery delivery;
    std::vector<std::pair<std::uint32_t, SubscriptionOptions>> extra;  // further identifiers
  };
  std::vector<Target> targets;
  auto add = [&](Session* s, const SubscriptionOptions& o) {
    const mqtt::QoS qos = MinQos(m.qos, o.max_qos);
    const bool retain = o.retain_as_published && m.retain;
    for (Target& t : targets) {
      if (t.session != s) continue;
      Delivery& d = t.delivery;
      if (o.identifier != 0 && !d.subscription_ids.empty()) {
        if (static_cast<std::uint8_t>(qos) > static_cast<std::uint8_t>(d.qos)) {
          // The stronger subscription's identifier goes with the main copy.
          SubscriptionOptions previous = o;
          previous.identifier = d.subscription_ids.front();
          previous.max_qos = d.qos;
          previous.retain_as_published = d.retain;
          t.extra.emplace_back(previous.identifier, previous);
          d.subscription_ids.front() = o.identifier;
        } else {
          SubscriptionOptions copy = o;
          copy.max_qos = qos;
          copy.retain_as_published = retain;
          t.extra.emplace_back(o.identifier, copy);
          return;
        }
      } else if (o.identifier != 0) {
        d.subscription_ids.push_back(o.identifier);
      }
      d.qos = MaxQos(d.qos, qos);
      d.retain = d.retain || retain;
      return;
    }
    Delivery d{.message = message, .qos = qos, .retain = retain};
    if (o.identifier != 0) d.subscription_ids.push_back(o.identifier);
    targets.push_back(Target{s, std::move(d), {}});
  };
  trie_.Match(
      m.topic,
      [&](Session* s, const SubscriptionOptions& o) {
        if (o.no_local && s->identity->client_id == m.origin) return;
        if (!auth_.MayReceive(*s->identity, m.topic)) return;
        add(s, o);
      },
      [&](Trie::SharedGroup& group) {
        // Round robin over the members, connected ones first.
        const std::size_t n = group.members.size();
        std::pair<Session*, SubscriptionOptions>* fallback = nullptr;
        for (std::size_t i = 0; i < n; ++i) {
          auto& member = group.members[(group.next + i) % n];
          if (!auth_.MayReceive(*member.first->identity, m.topic)) continue;
          if (member.first->outlet) {
            group.next = (group.next + i + 1) % n;
            add(member.first, member.second);
            return;
          }
          if (!fallback) fallback = &member;
        }
        if (fallback) {
          group.next = (group.next + 1) % n;
          add(fallback->first, fallback->second);
        }
      });
  for (Target& t : targets) {
    std::vector<Delivery> copies;
    copies.push_back(std::move(t.delivery));
    for (const auto& [id, o] : t.extra) {
      copies.push_back(Delivery{.message = message,
                                .qos = o.max_qos,
                                .retain = o.retain_as_published,
                                .subscription_ids = {id}});
    }
    for (Delivery& d : copies) {
      if (t.session->outlet) {
        t.session->outlet->Deliver(std::move(d));
      } else {
        Enqueue(*t.session, std::move(d), now);
      }
    }
  }
  reached += targets.size();
  for (const auto& in : internal_) {
    if (m.topic.starts_with(in->literal_prefix) && mqtt::TopicMatches(in->filter, m.topic)) {
      internal.push_back(in);
      ++reached;
    }
  }
}

SubscribeResult Broker::Subscribe(const std::string& client_id, std::uint64_t generation,
                                  const mqtt::Subscribe& subscribe, SysTime now) {
  SubscribeResult result;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(client_id);
  if (it == sessions_.end() || it->second.generation != generation) {
    result.reason_codes.assign(subscribe.subscriptions.size(),
                               static_cast<std::uint8_t>(mqtt::ReasonCode::kUnspecifiedError));
    return result;
  }
  Session& s = it->second;
  const std::uint32_t id = subscribe.properties.subscription_identifiers.empty()
                               ? 0
                               : subscribe.properties.subscription_identifiers.front();
  for (const mqtt::Subscription& sub : subscribe.subscriptions) {
    auto [plain, group] = SplitShared(sub.filter);
    if (!auth_.MaySubscribe(*s.identity, plain)) {
      metrics_.subscribe_denied.Inc();
      result.reason_codes.push_back(static_cast<std::uint8_t>(mqtt::ReasonCode::kNotAuthorized));
      continue;
    }
    SubscriptionOptions options{sub.max_qos, sub.no_local, sub.retain_as_published,
                                sub.retain_handling, id};
    const bool existed = trie_.Insert(plain, group, &s, options);
    PutSubscription(s.subscriptions, sub.filter, options);
    MarkChanged(s);
    result.reason_codes.push_back(static_cast<std::uint8_t>(sub.max_qos));
    // Retained messages: not for shared subscriptions (4.8.2); retain handling 1 = only for
    // a new subscription, 2 = never.
    if (!group.empty() || sub.retain_handling == 2 || (sub.retain_handling == 1 && existed)) {
      continue;
    }
    for (const auto& [topic, message] : retained_) {
      if (!mqtt::TopicMatches(plain, topic) || Expired(*message, now)) continue;
      if (!auth_.MayReceive(*s.identity, topic)) continue;
      Delivery d{.message = message, .qos = MinQos(message->qos, sub.max_qos), .retain = true};
      if (id != 0) d.subscription_ids.push_back(id);
      result.retained.push_back(std::move(d));
    }
  }
  metrics_.subscriptions.Set(static_cast<std::int64_t>(trie_.size()));
  return result;
}

std::vector<std::uint8_t> Broker::Unsubscribe(const std::string& client_id,
                                              std::uint64_t generation,
                                              const mqtt::Unsubscribe& unsubscribe) {
  std::vector<std::uint8_t> codes;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(client_id);
  const bool current = it != sessions_.end() && it->second.generation == generation;
  for (const std::string& filter : unsubscribe.filters) {
    bool removed = false;
    if (current) {
      Session& s = it->second;
      auto [plain, group] = SplitShared(filter);
      removed = trie_.Remove(plain, group, &s);
      EraseSubscription(s.subscriptions, filter);
      MarkChanged(s);
    }
    codes.push_back(static_cast<std::uint8_t>(removed ? mqtt::ReasonCode::kSuccess
                                                      : mqtt::ReasonCode::kNoSubscriptionExisted));
  }
  metrics_.subscriptions.Set(static_cast<std::int64_t>(trie_.size()));
  return codes;
}

std::uint64_t Broker::AddInternalSubscriber(std::string filter, InternalHandler handler) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_internal_id_++;
  // "a/b/+/c" -> "a/b"; "a/#" -> "a" (it matches "a" too); "#" -> "".
  std::string prefix = filter.substr(0, std::min(filter.find_first_of("+#"), filter.size()));
  if (prefix.size() < filter.size() && !prefix.empty() && prefix.back() == '/') prefix.pop_back();
  internal_.push_back(std::make_shared<Internal>(
      Internal{id, std::move(filter), std::move(handler), std::move(prefix)}));
  return id;
}

void Broker::RemoveInternalSubscriber(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  std::erase_if(internal_, [id](const auto& in) { return in->id == id; });
}

std::size_t Broker::EvictClients(const std::function<bool(const ClientIdentity&)>& which,
                                 mqtt::ReasonCode reason) {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto& [id, s] : sessions_) {
    if (!s.outlet || !which(*s.identity)) continue;
    // The shell closes on the connection's thread and then calls Disconnect as usual.
    s.outlet->Evict(reason);
    ++n;
  }
  return n;
}

bool Broker::HasSubscriber(std::string_view topic) {
  std::lock_guard lock(mutex_);
  bool found = false;
  trie_.Match(
      topic,
      [&](Session* s, const SubscriptionOptions&) {
        found = found || auth_.MayReceive(*s->identity, topic);
      },
      [&](Trie::SharedGroup& group) {
        for (const auto& member : group.members) {
          found = found || auth_.MayReceive(*member.first->identity, topic);
        }
      });
  return found;
}

std::size_t Broker::PublishFromPlatform(std::string topic, std::string payload, mqtt::QoS qos,
                                        bool retain, SysTime now) {
  mqtt::Publish publish;
  publish.topic = std::move(topic);
  publish.payload = std::move(payload);
  publish.qos = qos;
  publish.retain = retain;
  return PublishUnlocked(MakeMessage(std::move(publish), {}, now), now, nullptr);
}

void Broker::Tick(SysTime now) {
  std::vector<MessagePtr> messages;
  std::vector<std::shared_ptr<Internal>> internal;
  bool save_due = false;
  {
    std::lock_guard lock(mutex_);
    if (!started_) started_ = now;
    for (auto it = pending_wills_.begin(); it != pending_wills_.end();) {
      if (it->second.at <= now) {
        PublishWill(std::move(it->second.will), it->second.client_id, now, messages);
        it = pending_wills_.erase(it);
      } else {
        ++it;
      }
    }
    std::vector<Session*> expired;
    for (auto& [id, s] : sessions_) {
      if (!s.outlet && s.expires_at <= now) expired.push_back(&s);
    }
    for (Session* s : expired) RemoveSession(*s);
    if (options_.sys_interval.count() > 0 && (!next_sys_ || now >= *next_sys_)) {
      next_sys_ = now + options_.sys_interval;
      PublishSys(now, messages);
    }
    if (store_ && options_.session_save_interval.count() > 0 &&
        (!next_save_ || now >= *next_save_)) {
      next_save_ = now + options_.session_save_interval;
      save_due = true;
    }
    for (const MessagePtr& m : messages) {
      std::size_t reached = 0;
      std::vector<std::shared_ptr<Internal>> matched;
      PublishLocked(m, now, matched, reached);
      for (auto& in : matched) internal.push_back(std::move(in));
    }
  }
  // Internal handlers see wills (platform devices go offline); not $SYS.
  for (const auto& in : internal) {
    for (const MessagePtr& m : messages) {
      if (mqtt::TopicMatches(in->filter, m->topic)) in->handler(*m, nullptr);
    }
  }
  if (save_due) {
    if (const Status s = SaveChangedSessions(now); !s.ok()) {
      log::Warn("could not save the changed MQTT sessions; retrying at the next tick",
                {{"error", s.error().message}});
    }
  }
}

void Broker::PublishSys(SysTime now, std::vector<MessagePtr>& out) {
  auto sys = [&](std::string topic, std::string value) {
    auto m = std::make_shared<Message>();
    m->topic = "$SYS/broker/" + std::move(topic);
    m->payload = std::move(value);
    m->retain = true;
    out.push_back(std::move(m));
  };
  auto sum = [](metrics::Counter* const(&counters)[3]) {
    return counters[0]->Value() + counters[1]->Value() + counters[2]->Value();
  };
  std::size_t connected = 0;
  for (const auto& [id, s] : sessions_) connected += s.outlet != nullptr ? 1 : 0;
  sys("version", options_.version);
  sys("uptime",
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - *started_).count()) +
          " seconds");
  sys("clients/connected", std::to_string(connected));
  sys("clients/disconnected", std::to_string(sessions_.size() - connected));
  sys("clients/total", std::to_string(sessions_.size()));
  sys("messages/received", std::to_string(sum(metrics_.messages_in)));
  sys("messages/sent", std::to_string(sum(metrics_.messages_out)));
  sys("messages/dropped",
      std::to_string(metrics_.dropped_slow.Value() + metrics_.dropped_queue.Value() +
                     metrics_.dropped_expired.Value() + metrics_.dropped_too_large.Value() +
                     metrics_.dropped_rate.Value()));
  sys("bytes/received", std::to_string(metrics_.bytes_in.Value()));
  sys("bytes/sent", std::to_string(metrics_.bytes_out.Value()));
  sys("retained messages/count", std::to_string(retained_.size()));
  sys("subscriptions/count", std::to_string(trie_.size()));
}

std::size_t Broker::SessionCount() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::size_t Broker::RetainedCount() const {
  std::lock_guard lock(mutex_);
  return retained_.size();
}

bool Broker::HasSession(const std::string& client_id) const {
  std::lock_guard lock(mutex_);
  return sessions_.contains(client_id);
}

Status Broker::Restore(SysTime now) {
  if (!store_) return Ok{};
  SW_ASSIGN_OR_RETURN(auto retained, store_->LoadRetained());
  SW_ASSIGN_OR_RETURN(auto sessions, store_->LoadSessions());
  std::lock_guard lock(mutex_);
  if (!started_) started_ = now;
  for (const auto& [topic, blob] : retained) {
    SW_ASSIGN_OR_RETURN(MessagePtr message, DecodeMessage(blob));
    if (Expired(*message, now)) continue;
    retained_[message->topic] = std::move(message);
  }
  for (const auto& [client_id, blob] : sessions) {
    SW_ASSIGN_OR_RETURN(StoredSession stored, DecodeSession(blob));
    if (stored.expires_at && *stored.expires_at <= now) continue;
    auto identity = std::make_shared<const ClientIdentity>(std::move(stored.identity));
    if (auto old = sessions_.find(identity->client_id); old != sessions_.end()) {
      RemoveSession(old->second);
    }
    Session& s = sessions_.emplace(identity->client_id, Session{}).first->second;
    s.identity = std::move(identity);
    s.generation = s.first_generation = next_generation_++;
    s.expiry_s = stored.expiry_s;
    s.expires_at = stored.expires_at.value_or(SysTime::max());
    for (auto& [filter, options] : stored.subscriptions) {
      auto [plain, group] = SplitShared(filter);
      trie_.Insert(plain, group, &s, options);
      PutSubscription(s.subscriptions, filter, options);
    }
    s.queue = std::move(stored.queue);
  }
  metrics_.sessions.Set(static_cast<std::int64_t>(sessions_.size()));
  metrics_.retained.Set(static_cast<std::int64_t>(retained_.size()));
  metrics_.subscriptions.Set(static_cast<std::int64_t>(trie_.size()));
  return Ok{};
}

std::string Broker::EncodeStored(const Session& s, SysTime now) {
  StoredSession stored;
  stored.identity = *s.identity;
  stored.expiry_s = s.expiry_s;
  // A connected session's expiry runs from now: if the broker goes away (stops, or crashes
  // after this save), its client is gone from then on.
  if (s.expires_at != SysTime::max()) stored.expires_at = s.expires_at;
  if (s.outlet && s.expiry_s != kNeverExpires) {
    stored.expires_at = now + std::chrono::seconds(s.expiry_s);
  }
  for (const auto& [filter, options] : s.subscriptions) {
    stored.subscriptions.emplace_back(filter, options);
  }
  stored.queue = s.queue;
  return EncodeSession(stored);
}

Status Broker::SaveSessions(SysTime now) {
  if (!store_) return Ok{};
  std::lock_guard save(save_mutex_);
  std::vector<KeyedBlob> blobs;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : sessions_) {
      if (s.expiry_s == 0) continue;
      blobs.emplace_back(std::string(id), EncodeStored(s, now));
    }
    changed_sessions_.clear();
  }
  return store_->ReplaceSessions(blobs);
}

Status Broker::SaveChangedSessions(SysTime now) {
  if (!store_) return Ok{};
  std::lock_guard save(save_mutex_);
  std::vector<KeyedBlob> put;
  std::vector<std::string> removed;
  {
    std::lock_guard lock(mutex_);
    if (changed_sessions_.empty()) return Ok{};
    for (auto it = changed_sessions_.begin(); it != changed_sessions_.end();) {
      auto node = changed_sessions_.extract(it++);
      auto s = sessions_.find(node.value());
      if (s == sessions_.end() || s->second.expiry_s == 0) {
        removed.push_back(std::move(node.value()));
      } else {
        put.emplace_back(std::move(node.value()), EncodeStored(s->second, now));
      }
    }
  }
  Status status = store_->UpdateSessions(put, removed);
  if (!status.ok()) {  // try again with the next save (their newest state by then)
    std::lock_guard lock(mutex_);
    for (auto& [id, blob] : put) changed_sessions_.insert(std::move(id));
    for (std::string& id : removed) changed_sessions_.insert(std::move(id));
  }
  return status;
}

}  // namespace sw::broker
