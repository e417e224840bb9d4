#include "http/live_hub.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "common/log.hpp"
#include "core/device.hpp"

namespace sw::http {

namespace json = boost::json;

// ---- metrics ------------------------------------------------------------------------------

LiveMetrics::LiveMetrics(metrics::Registry& r)
    : connections(r.GetGauge("sitewatch_ws_connections", "Open live-event WebSocket sessions")),
      messages_sent(r.GetCounter("sitewatch_ws_messages_sent_total",
                                 "Messages written to live-event WebSocket clients")),
      dropped_slow(r.GetCounter("sitewatch_ws_dropped_slow_total",
                                "WebSocket sessions dropped because they could not keep up")),
      auth_failures(r.GetCounter("sitewatch_ws_auth_failures_total",
                                 "WebSocket sessions closed for missing, invalid or expired "
                                 "authentication")),
      bad_messages(r.GetCounter("sitewatch_ws_bad_messages_total",
                                "Malformed or unknown WebSocket client messages")),
      events(r.GetCounter("sitewatch_live_events_total",
                          "Live events fanned out to subscribers (after coalescing)")) {}

// ---- subscriber ---------------------------------------------------------------------------

LiveMessage LiveSubscriber::Pop() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return nullptr;
  LiveMessage m = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= m->size();
  return m;
}

bool LiveSubscriber::Overflowed() const {
  std::lock_guard lock(mutex_);
  return overflowed_;
}

std::size_t LiveSubscriber::Queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

bool LiveSubscriber::Push(const LiveMessage& msg, std::size_t limit, std::size_t limit_bytes,
                          bool& overflowed_now) {
  std::lock_guard lock(mutex_);
  if (overflowed_) return false;
  if (queue_.size() >= limit || queued_bytes_ + msg->size() > limit_bytes) {
    overflowed_ = true;
    overflowed_now = true;
    std::deque<LiveMessage>().swap(queue_);  // the session is going away: free the memory
    queued_bytes_ = 0;
    return true;
  }
  const bool was_empty = queue_.empty();
  queue_.push_back(msg);
  queued_bytes_ += msg->size();
  return was_empty;
}

// ---- hub ----------------------------------------------------------------------------------

LiveHub::LiveHub(const Clock& clock, metrics::Registry& metrics, LiveAccess access,
                 LiveHubOptions options)
    : clock_(clock), metrics_(metrics), access_(std::move(access)), options_(options) {}

std::shared_ptr<LiveSubscriber> LiveHub::Connect(core::Principal principal,
                                                 std::function<void()> wake) {
  auto s = std::make_shared<LiveSubscriber>(std::move(principal), std::move(wake));
  std::unique_lock lock(mutex_);
  subscribers_.emplace(s.get(), s);
  subscriber_count_.store(subscribers_.size());
  return s;
}

void LiveHub::Disconnect(const std::shared_ptr<LiveSubscriber>& s) {
  if (!s) return;
  std::unique_lock lock(mutex_);
  auto drop = [&](auto& index, const auto& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(s.get());
    if (it->second.empty()) index.erase(it);
  };
  for (WorkshopId w : s->workshops_) drop(by_workshop_, w);
  for (const auto& [pit, w] : s->pits_) drop(by_pit_, pit);
  for (const auto& [uid, w] : s->devices_) drop(by_device_, uid);
  s->workshops_.clear();
  s->pits_.clear();
  s->devices_.clear();
  subscribers_.erase(s.get());
  subscriber_count_.store(subscribers_.size());
}

bool LiveHub::Sees(const core::Principal& p, WorkshopId workshop) {
  if (!workshop.valid()) return false;
  return p.role == core::Role::kSuperAdmin || (p.workshop_id && *p.workshop_id == workshop);
}

LiveSubscribeOutcome LiveHub::Subscribe(LiveSubscriber& s, const LiveSubscriptions& request) {
  const core::Principal& p = s.principal();
  LiveSubscribeOutcome out;
  auto reject = [&out](std::string kind, std::int64_t id, std::string uid, std::string code) {
    out.rejected.push_back({std::move(kind), id, std::move(uid), std::move(code)});
  };
  auto code_of = [](const Error& e) { return std::string(DefaultCode(e.code)); };
  // A check that said yes for a resource outside the caller's workshop is a bug upstream:
  // refuse it as if it did not exist, and say so in the log.
  auto outside = [&p](const char* kind, const std::string& what, WorkshopId w) {
    log::Warn(
        "live: access check accepted a resource outside the caller's workshop",
        {{"kind", kind}, {"resource", what}, {"workshop", w.value}, {"user", p.user_id.value}});
  };

  // 1. The checks, outside the hub's lock (they read the database).
  std::vector<WorkshopId> workshops;
  std::vector<std::pair<PitId, WorkshopId>> pits;
  std::vector<std::pair<std::string, WorkshopId>> devices;
  for (WorkshopId w : request.workshops) {
    if (p.role == core::Role::kCustomer) {
      reject("workshop", w.value, {}, "FORBIDDEN");
    } else if (!Sees(p, w)) {
      reject("workshop", w.value, {}, "NOT_FOUND");
    } else if (!access_.workshop) {
      reject("workshop", w.value, {}, "UNAVAILABLE");
    } else if (auto st = access_.workshop(p, w); !st.ok()) {
      reject("workshop", w.value, {}, code_of(st.error()));
    } else {
      workshops.push_back(w);
    }
  }
  for (PitId pit : request.pits) {
    if (!pit.valid()) {
      reject("pit", pit.value, {}, "NOT_FOUND");
    } else if (!access_.pit_workshop) {
      reject("pit", pit.value, {}, "UNAVAILABLE");
    } else if (auto r = access_.pit_workshop(p, pit); !r.ok()) {
      reject("pit", pit.value, {}, code_of(r.error()));
    } else if (!Sees(p, *r)) {
      outside("pit", std::to_string(pit.value), *r);
      reject("pit", pit.value, {}, "NOT_FOUND");
    } else {
      pits.emplace_back(pit, *r);
    }
  }
  for (const std::string& uid : request.devices) {
    if (!core::ValidateDeviceUid(uid).ok()) {
      reject("device", 0, uid, "VALIDATION_ERROR");
    } else if (!access_.device_workshop) {
      reject("device", 0, uid, "UNAVAILABLE");
    } else if (auto r = access_.device_workshop(p, uid); !r.ok()) {
      reject("device", 0, uid, code_of(r.error()));
    } else if (!Sees(p, *r)) {
      outside("device", uid, *r);
      reject("device", 0, uid, "NOT_FOUND");
    } else {
      devices.emplace_back(uid, *r);
    }
  }

  // 2. The additions, under the lock, within the per-subscriber limit.
  std::unique_lock lock(mutex_);
  std::size_t count = s.workshops_.size() + s.pits_.size() + s.devices_.size();
  auto room = [&]() { return count < options_.max_subscriptions; };
  for (WorkshopId w : workshops) {
    if (!s.workshops_.count(w)) {
      if (!room()) {
        reject("workshop", w.value, {}, "TOO_MANY_SUBSCRIPTIONS");
        continue;
      }
      s.workshops_.insert(w);
      by_workshop_[w].insert(&s);
      ++count;
    }
    out.accepted.workshops.push_back(w);
  }
  for (const auto& [pit, w] : pits) {
    auto it = s.pits_.find(pit);
    if (it == s.pits_.end()) {
      if (!room()) {
        reject("pit", pit.value, {}, "TOO_MANY_SUBSCRIPTIONS");
        continue;
      }
      s.pits_.emplace(pit, w);
      by_pit_[pit].insert(&s);
      ++count;
    } else {
      it->second = w;
    }
    out.accepted.pits.push_back(pit);
  }
  for (const auto& [uid, w] : devices) {
    auto it = s.devices_.find(uid);
    if (it == s.devices_.end()) {
      if (!room()) {
        reject("device", 0, uid, "TOO_MANY_SUBSCRIPTIONS");
        continue;
      }
      s.devices_.emplace(uid, w);
      by_device_[uid].insert(&s);
      ++count;
    } else {
      it->second = w;
    }
    out.accepted.devices.push_back(uid);
  }
  return out;
}

void LiveHub::Unsubscribe(LiveSubscriber& s, const LiveSubscriptions& request) {
  std::unique_lock lock(mutex_);
  auto drop = [&](auto& index, const auto& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(&s);
    if (it->second.empty()) index.erase(it);
  };
  for (WorkshopId w : request.workshops) {
    if (s.workshops_.erase(w)) drop(by_workshop_, w);
  }
  for (PitId pit : request.pits) {
    if (s.pits_.erase(pit)) drop(by_pit_, pit);
  }
  for (const std::string& uid : request.devices) {
    if (auto it = s.devices_.find(uid); it != s.devices_.end()) {
      s.devices_.erase(it);
      drop(by_device_, uid);
    }
  }
}

LiveSubscriptions LiveHub::Current(const LiveSubscriber& s) const {
  std::shared_lock lock(mutex_);
  LiveSubscriptions out;
  out.workshops.assign(s.workshops_.begin(), s.workshops_.end());
  for (const auto& [pit, w] : s.pits_) out.pits.push_back(pit);
  for (const auto& [uid, w] : s.devices_) out.devices.push_back(uid);
  return out;
}

bool LiveHub::Matches(const LiveSubscriber& s, const LiveEvent& e) const {
  // Defence in depth: whatever was subscribed, never another workshop's event.
  if (!Sees(s.principal_, e.workshop)) return false;
  // Customers see pit conditions only (no device, command, job or alert streams).
  if (s.principal_.role == core::Role::kCustomer && e.type != "telemetry") return false;
  if (s.workshops_.count(e.workshop)) return true;
  if (e.pit) {
    auto it = s.pits_.find(*e.pit);
    if (it != s.pits_.end() && it->second == e.workshop) return true;
  }
  if (!e.device_uid.empty()) {
    auto it = s.devices_.find(e.device_uid);
    if (it != s.devices_.end() && it->second == e.workshop) return true;
  }
  return false;
}

std::string LiveHub::Serialize(const LiveEvent& e) {
  json::object o;
  o["type"] = e.type;
  o["workshop_id"] = e.workshop.value;
  if (e.pit) {
    o["pit_id"] = e.pit->value;
  } else {
    o["pit_id"] = nullptr;
  }
  if (!e.device_uid.empty()) o["device"] = e.device_uid;
  for (const auto& kv : e.data) {
    if (!o.contains(kv.key())) o.emplace(kv.key(), kv.value());
  }
  return json::serialize(o);
}

void LiveHub::Deliver(const LiveEvent& e) {
  metrics_.events.Inc();
  LiveMessage msg;
  std::shared_lock lock(mutex_);
  std::vector<LiveSubscriber*> targets;
  auto collect = [&targets](const auto& index, const auto& key) {
    auto it = index.find(key);
    if (it != index.end()) targets.insert(targets.end(), it->second.begin(), it->second.end());
  };
  collect(by_workshop_, e.workshop);
  if (e.pit) collect(by_pit_, *e.pit);
  if (!e.device_uid.empty()) collect(by_device_, e.device_uid);
  if (targets.empty()) return;
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  for (LiveSubscriber* s : targets) {
    if (!Matches(*s, e)) continue;
    if (!msg) msg = std::make_shared<const std::string>(Serialize(e));
    bool overflowed_now = false;
    if (s->Push(msg, options_.queue_limit, options_.queue_limit_bytes, overflowed_now)) {
      if (overflowed_now) metrics_.dropped_slow.Inc();
      // Still under the shared lock: Disconnect (exclusive) cannot complete meanwhile, so a
      // wake never reaches a session that has gone. A wake only posts work.
      if (s->wake_) s->wake_();
    }
  }
}

void LiveHub::Publish(LiveEvent event) {
  if (event.type == "telemetry") {
    const json::value* values = event.data.if_contains("values");
    if (values && values->is_object()) {
      std::int64_t ts = ToUnixMillis(clock_.Now());
      if (const json::value* t = event.data.if_contains("ts"); t && t->is_int64()) {
        ts = t->as_int64();
      }
      std::vector<std::pair<std::string, double>> v;
      for (const auto& kv : values->as_object()) {
        if (kv.value().is_number()) v.emplace_back(kv.key(), kv.value().to_number<double>());
      }
      PublishTelemetry(event.workshop, event.pit, std::move(event.device_uid), ts, v);
      return;
    }
  }
  if (subscriber_count_.load() == 0) return;
  Deliver(event);
}

LiveEvent LiveHub::TelemetryEvent(WorkshopId workshop, std::optional<PitId> pit,
                                  const std::string& uid, std::int64_t ts_ms,
                                  const std::map<std::string, std::pair<double, std::int64_t>>& v) {
  LiveEvent e{"telemetry", workshop, pit, uid, {}};
  e.data["ts"] = ts_ms;
  json::object values;
  for (const auto& [name, value] : v) values[name] = value.first;
  e.data["values"] = std::move(values);
  return e;
}

void LiveHub::PublishTelemetry(WorkshopId workshop, std::optional<PitId> pit, std::string uid,
                               std::int64_t ts_ms,
                               const std::vector<std::pair<std::string, double>>& values) {
  if (subscriber_count_.load() == 0 || values.empty()) return;  // nobody listens: no work
  constexpr std::size_t kMaxMetricsPerDevice = 256;
  const SysTime now = clock_.Now();
  std::optional<LiveEvent> now_event;
  {
    std::lock_guard lock(telemetry_mutex_);
    auto [it, fresh] = windows_.try_emplace(std::move(uid));
    Window& w = it->second;
    w.workshop = workshop;
    w.pit = pit;
    if (!w.pending && (fresh || now - w.last_emit >= options_.telemetry_window)) {
      // A quiet device: this reading goes out at once and opens a window.
      w.last_emit = now;
      std::map<std::string, std::pair<double, std::int64_t>> v;
      for (const auto& [name, value] : values) v[name] = {value, ts_ms};
      now_event = TelemetryEvent(workshop, pit, it->first, ts_ms, v);
    } else {
      // Within the window: merge, the latest reading of each metric wins.
      if (!w.pending) {
        w.pending = true;
        w.due = w.last_emit + options_.telemetry_window;
        w.ts_ms = ts_ms;
      }
      w.ts_ms = std::max(w.ts_ms, ts_ms);
      for (const auto& [name, value] : values) {
        auto slot = w.values.find(name);
        if (slot == w.values.end()) {
          if (w.values.size() < kMaxMetricsPerDevice)
            w.values.emplace(name, std::pair{value, ts_ms});
        } else if (ts_ms >= slot->second.second) {
          slot->second = {value, ts_ms};
        }
      }
    }
  }
  if (now_event) Deliver(*now_event);
}

void LiveHub::Tick() {
  const SysTime now = clock_.Now();
  std::vector<LiveEvent> due;
  {
    std::lock_guard lock(telemetry_mutex_);
    for (auto it = windows_.begin(); it != windows_.end();) {
      Window& w = it->second;
      if (w.pending && now >= w.due) {
        due.push_back(TelemetryEvent(w.workshop, w.pit, it->first, w.ts_ms, w.values));
        w.pending = false;
        w.values.clear();
        w.last_emit = now;
        ++it;
      } else if (!w.pending && now - w.last_emit >= options_.telemetry_window) {
        it = windows_.erase(it);  // quiet again: forget it (bounded memory)
      } else {
        ++it;
      }
    }
  }
  for (const LiveEvent& e : due) Deliver(e);
}

std::size_t LiveHub::pending_telemetry() const {
  std::lock_guard lock(telemetry_mutex_);
  return static_cast<std::size_t>(std::count_if(windows_.begin(), windows_.end(),
                                                [](const auto& kv) { return kv.second.pending; }));
}

// ---- connection protocol ------------------------------------------------------------------

namespace {

std::string Str(const json::object& o) {
  return json::serialize(o);
}

json::object UserJson(const core::Principal& p) {
  json::object u;
  u["id"] = p.user_id.value;
  u["username"] = p.username;
  u["role"] = std::string(core::RoleName(p.role));
  if (p.workshop_id) {
    u["workshop_id"] = p.workshop_id->value;
  } else {
    u["workshop_id"] = nullptr;
  }
  return u;
}

json::object SubscriptionsJson(const LiveSubscriptions& s) {
  json::array w, p, d;
  for (WorkshopId id : s.workshops) w.emplace_back(id.value);
  for (PitId id : s.pits) p.emplace_back(id.value);
  for (const std::string& uid : s.devices) d.emplace_back(uid);
  return json::object{
      {"workshops", std::move(w)}, {"pits", std::move(p)}, {"devices", std::move(d)}};
}

// A positive or negative integer id; anything else (floats, strings, huge values) fails.
bool ReadId(const json::value& v, std::int64_t& out) {
  if (v.is_int64()) {
    out = v.as_int64();
    return true;
  }
  return false;
}

}  // namespace

LiveConnection::LiveConnection(LiveHub& hub, LiveAuthenticator authenticate,
                               std::function<void()> wake, SysTime now,
                               LiveConnectionOptions options)
    : hub_(hub),
      authenticate_(std::move(authenticate)),
      wake_(std::move(wake)),
      options_(options),
      auth_deadline_(now + options.auth_timeout) {
  hub_.metrics().connections.Add(1);
}

LiveConnection::~LiveConnection() {
  hub_.Disconnect(subscriber_);
  hub_.metrics().connections.Add(-1);
}

LiveOutput LiveConnection::Start(std::string_view bearer_token, SysTime now) {
  if (bearer_token.empty()) return {};
  return Authenticate(bearer_token, now);
}

LiveOutput LiveConnection::Close(std::uint16_t code, std::string reason) {
  closed_ = true;
  hub_.Disconnect(subscriber_);  // no more events for a closing session
  subscriber_.reset();
  LiveOutput out;
  out.close = LiveClose{code, std::move(reason)};
  return out;
}

LiveOutput LiveConnection::Bad(std::string message, const json::value* id) {
  hub_.metrics().bad_messages.Inc();
  if (++bad_messages_ > options_.max_bad_messages) {
    return Close(kClosePolicy, "too many bad messages");
  }
  json::object o{{"type", "error"}, {"code", "BAD_MESSAGE"}, {"message", std::move(message)}};
  if (id) o["id"] = *id;
  LiveOutput out;
  out.messages.push_back(Str(o));
  return out;
}

LiveOutput LiveConnection::Authenticate(std::string_view token, SysTime now) {
  auto fail = [this](std::uint16_t code, std::string reason) {
    hub_.metrics().auth_failures.Inc();
    return Close(code, std::move(reason));
  };
  if (!authenticate_ || token.empty()) return fail(kCloseUnauthenticated, "NOT_AUTHENTICATED");
  auto identity = authenticate_(token);
  if (!identity.ok()) return fail(kCloseUnauthenticated, identity.error().Code());
  const core::Principal& p = identity->principal;
  if (identity->expires_at <= now) return fail(kCloseUnauthenticated, "TOKEN_EXPIRED");
  if (p.temporary_password) return fail(kCloseForbidden, "PASSWORD_CHANGE_REQUIRED");
  if (subscriber_) {
    // A refreshed token must be the same user with the same rights: the subscriptions were
    // checked against those.
    const core::Principal& cur = subscriber_->principal();
    if (cur.user_id != p.user_id || cur.role != p.role || cur.workshop_id != p.workshop_id) {
      return fail(kCloseUnauthenticated, "token of another user; reconnect");
    }
  } else {
    subscriber_ = hub_.Connect(p, wake_);
  }
  expires_at_ = identity->expires_at;
  LiveOutput out;
  out.messages.push_back(Str(json::object{
      {"type", "ready"}, {"user", UserJson(p)}, {"expires_at", ToUnixMillis(expires_at_)}}));
  return out;
}

LiveOutput LiveConnection::OnMessage(std::string_view text, bool is_text, SysTime now) {
  if (closed_) return {};
  json::value parsed;
  const json::object* obj = nullptr;
  const json::string* type = nullptr;
  if (is_text) {
    boost::system::error_code ec;
    parsed = json::parse(text, ec);
    if (!ec) obj = parsed.if_object();
    if (obj) {
      if (const json::value* t = obj->if_contains("type")) type = t->if_string();
    }
  }
  if (!authenticated()) {
    // The first message must be {"type":"auth","token":"..."}.
    const json::value* token = obj ? obj->if_contains("token") : nullptr;
    if (!type || *type != "auth" || !token || !token->is_string()) {
      hub_.metrics().auth_failures.Inc();
      return Close(kCloseUnauthenticated, "authenticate first");
    }
    return Authenticate(token->as_string(), now);
  }
  if (!is_text) return Bad("binary messages are not supported");
  if (!obj) return Bad("a message is a JSON object");
  const json::value* id = obj->if_contains("id");
  if (id && !id->is_int64() && !id->is_string())
    return Bad("\"id\" must be an integer or a string");
  if (!type) return Bad("a message needs a \"type\"", id);
  if (*type == "auth") {
    const json::value* token = obj->if_contains("token");
    if (!token || !token->is_string()) return Bad("\"token\" must be a string", id);
    return Authenticate(token->as_string(), now);
  }
  if (*type == "subscribe") return HandleSubscribe(*obj, true);
  if (*type == "unsubscribe") return HandleSubscribe(*obj, false);
  if (*type == "ping") {
    json::object o{{"type", "pong"}};
    if (id) o["id"] = *id;
    LiveOutput out;
    out.messages.push_back(Str(o));
    return out;
  }
  return Bad("unknown message type \"" + std::string(std::string_view(*type).substr(0, 40)) + "\"",
             id);
}

LiveOutput LiveConnection::HandleSubscribe(const json::object& msg, bool subscribe) {
  const json::value* id = msg.if_contains("id");
  for (const auto& kv : msg) {
    const std::string_view k = kv.key();
    if (k != "type" && k != "id" && k != "workshops" && k != "pits" && k != "devices") {
      return Bad("unknown field \"" + std::string(k.substr(0, 40)) + "\"", id);
    }
  }
  LiveSubscriptions req;
  auto ids = [&msg](std::string_view field, auto& dest) {
    const json::value* v = msg.if_contains(field);
    if (!v) return true;
    if (!v->is_array()) return false;
    for (const json::value& item : v->as_array()) {
      std::int64_t n = 0;
      if (!ReadId(item, n)) return false;
      dest.emplace_back(n);
    }
    return true;
  };
  if (!ids("workshops", req.workshops)) return Bad("\"workshops\" must be an array of ids", id);
  if (!ids("pits", req.pits)) return Bad("\"pits\" must be an array of ids", id);
  if (const json::value* v = msg.if_contains("devices")) {
    if (!v->is_array()) return Bad("\"devices\" must be an array of uids", id);
    for (const json::value& item : v->as_array()) {
      if (!item.is_string()) return Bad("\"devices\" must be an array of uids", id);
      req.devices.emplace_back(item.as_string());
    }
  }
  if (req.size() > options_.max_items_per_request) {
    return Bad("at most " + std::to_string(options_.max_items_per_request) + " items per request",
               id);
  }
  json::object o;
  if (subscribe) {
    const LiveSubscribeOutcome outcome = hub_.Subscribe(*subscriber_, req);
    json::array rejected;
    for (const LiveRejection& r : outcome.rejected) {
      json::object item{{"kind", r.kind}, {"code", r.code}};
      if (r.kind == "device") {
        item["id"] = r.uid;
      } else {
        item["id"] = r.id;
      }
      rejected.push_back(std::move(item));
    }
    o = json::object{{"type", "subscribed"},
                     {"accepted", SubscriptionsJson(outcome.accepted)},
                     {"rejected", std::move(rejected)}};
  } else {
    hub_.Unsubscribe(*subscriber_, req);
    o = json::object{{"type", "unsubscribed"},
                     {"subscriptions", SubscriptionsJson(hub_.Current(*subscriber_))}};
  }
  o["id"] = id ? *id : json::value(nullptr);
  LiveOutput out;
  out.messages.push_back(Str(o));
  return out;
}

LiveOutput LiveConnection::OnTimer(SysTime now) {
  if (closed_) return {};
  if (!authenticated()) {
    if (now < auth_deadline_) return {};
    hub_.metrics().auth_failures.Inc();
    return Close(kCloseUnauthenticated, "authentication timeout");
  }
  if (now < expires_at_) return {};
  hub_.metrics().auth_failures.Inc();
  return Close(kCloseUnauthenticated, "TOKEN_EXPIRED");
}

SysTime LiveConnection::NextDeadline() const {
  return authenticated() ? expires_at_ : auth_deadline_;
}

LiveMessage LiveConnection::NextEvent() {
  return subscriber_ ? subscriber_->Pop() : nullptr;
}

bool LiveConnection::Overflowed() const {
  return subscriber_ && subscriber_->Overflowed();
}

}  // namespace sw::http
