// LiveHub: the live-event fan-out behind the WebSocket `/api/v1/ws` (docs/LIVE.md).
// LiveConnection: the sans-I/O protocol of one WebSocket session (auth, subscribe,
// unsubscribe, events), driven by the Beast shell in server.cpp and by tests.
//
// Producers (ingest, broker, services) call LiveHub::Publish / PublishTelemetry from any
// thread. Publishing never waits for a browser: the event is serialised once and appended to
// each matching subscriber's bounded queue under short locks; a subscriber whose queue is
// full is marked overflowed (its session then closes it, 4408) and its queue is dropped.
// Telemetry is coalesced per device (globally, not per subscriber): the first reading after
// a quiet window goes out at once, later ones within `telemetry_window` are merged (latest
// value per metric wins) and emitted by Tick() when the window ends.
//
// Tenancy: a subscription is accepted only after the LiveAccess callbacks (the services,
// which apply the Scope and the permission table) confirm the caller may see the resource;
// an event is delivered only when it matches an accepted subscription AND its workshop is
// the subscriber's own (unless super_admin) — a faulty callback or a mislabelled event
// cannot leak another workshop's data.
//
// Thread-safety: LiveHub is thread-safe. A LiveConnection belongs to one session (one
// strand); LiveSubscriber's queue side (Pop/Overflowed) is safe from that session's thread.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/metrics.hpp"
#include "common/result.hpp"
#include "core/model.hpp"

namespace sw::http {

// One event for the browsers. `type`: telemetry, device_status, alert, command, job, breaker.
// On the wire: {"type", "workshop_id", "pit_id", "device"} followed by the fields of `data`.
struct LiveEvent {
  std::string type;
  WorkshopId workshop;
  std::optional<PitId> pit;
  std::string device_uid;
  boost::json::object data;
};

// The subscription checks, wired by the app to the core services (which apply the Scope:
// another workshop's pit or device is NotFound). Each returns the resource's workshop.
// An unset callback rejects that kind with UNAVAILABLE.
struct LiveAccess {
  std::function<Status(const core::Principal&, WorkshopId)> workshop;
  std::function<Result<WorkshopId>(const core::Principal&, PitId)> pit_workshop;
  std::function<Result<WorkshopId>(const core::Principal&, std::string_view uid)> device_workshop;
};

struct LiveHubOptions {
  // A subscriber's queue is bounded by both: about a second of a busy workshop's events, so
  // a browser that pauses (garbage collection, a background tab) catches up instead of
  // being dropped, while one that stays behind is closed (4408) before it costs much memory.
  std::size_t queue_limit = 20'000;                      // serialised messages per subscriber
  std::size_t queue_limit_bytes = std::size_t{4} << 20;  // their total size (4 MiB)
  Millis telemetry_window{250};          // at most one telemetry event per device per window
  std::size_t max_subscriptions = 1000;  // per subscriber, all kinds together
};

// The hub's metrics (the session shell counts sent messages and auth failures here too).
struct LiveMetrics {
  explicit LiveMetrics(metrics::Registry& registry);
  metrics::Gauge& connections;      // open WebSocket sessions
  metrics::Counter& messages_sent;  // frames written to clients (events and replies)
  metrics::Counter& dropped_slow;   // sessions closed because their queue overflowed
  metrics::Counter& auth_failures;  // missing, late, invalid or expired authentication
  metrics::Counter& bad_messages;   // unparseable or unknown client messages
  metrics::Counter& events;         // events fanned out (after coalescing)
};

struct LiveSubscriptions {
  std::vector<WorkshopId> workshops;
  std::vector<PitId> pits;
  std::vector<std::string> devices;
  bool empty() const { return workshops.empty() && pits.empty() && devices.empty(); }
  std::size_t size() const { return workshops.size() + pits.size() + devices.size(); }
};

struct LiveRejection {
  std::string kind;     // "workshop", "pit", "device"
  std::int64_t id = 0;  // workshops and pits
  std::string uid;      // devices
  std::string code;     // NOT_FOUND, FORBIDDEN, TOO_MANY_SUBSCRIPTIONS, VALIDATION_ERROR, ...
};

struct LiveSubscribeOutcome {
  LiveSubscriptions accepted;
  std::vector<LiveRejection> rejected;
};

using LiveMessage = std::shared_ptr<const std::string>;

// One subscriber: its principal, its accepted subscriptions (guarded by the hub) and its
// bounded queue of serialised events (guarded by its own mutex).
class LiveSubscriber {
 public:
  LiveSubscriber(core::Principal principal, std::function<void()> wake)
      : principal_(std::move(principal)), wake_(std::move(wake)) {}

  // The next queued event, or null. After Pop returns null the next Push wakes again.
  LiveMessage Pop();
  bool Overflowed() const;
  std::size_t Queued() const;
  const core::Principal& principal() const { return principal_; }

 private:
  friend class LiveHub;
  // Appends `msg` unless overflowed; returns true when the session must be woken.
  bool Push(const LiveMessage& msg, std::size_t limit, std::size_t limit_bytes,
            bool& overflowed_now);

  const core::Principal principal_;
  const std::function<void()> wake_;

  mutable std::mutex mutex_;
  std::deque<LiveMessage> queue_;
  std::size_t queued_bytes_ = 0;
  bool overflowed_ = false;

  // Guarded by the hub's mutex. Pits and devices remember the workshop the access check
  // returned: an event must carry that same workshop to be delivered.
  std::set<WorkshopId> workshops_;
  std::map<PitId, WorkshopId> pits_;
  std::map<std::string, WorkshopId, std::less<>> devices_;
};

class LiveHub {
 public:
  LiveHub(const Clock& clock, metrics::Registry& metrics, LiveAccess access,
          LiveHubOptions options = {});
  LiveHub(const LiveHub&) = delete;
  LiveHub& operator=(const LiveHub&) = delete;

  // Registers a subscriber. `wake` is called (from a publisher's thread, under a short
  // lock: it must only post work, e.g. asio::post) when its queue becomes non-empty or
  // overflows.
  std::shared_ptr<LiveSubscriber> Connect(core::Principal principal, std::function<void()> wake);
  // After Disconnect returns no publisher touches the subscriber or calls its wake.
  void Disconnect(const std::shared_ptr<LiveSubscriber>& subscriber);

  // Checks every requested item through LiveAccess (outside the hub's lock) and adds the
  // accepted ones. Customers may subscribe to pits only (see docs/LIVE.md).
  LiveSubscribeOutcome Subscribe(LiveSubscriber& subscriber, const LiveSubscriptions& request);
  // Removes what is listed (absent items are ignored).
  void Unsubscribe(LiveSubscriber& subscriber, const LiveSubscriptions& request);
  LiveSubscriptions Current(const LiveSubscriber& subscriber) const;

  // Any event. `telemetry` events with {"ts", "values"} go through the coalescer.
  void Publish(LiveEvent event);
  // One reading set of a device (ts in unix ms), coalesced per device.
  void PublishTelemetry(WorkshopId workshop, std::optional<PitId> pit, std::string uid,
                        std::int64_t ts_ms,
                        const std::vector<std::pair<std::string, double>>& values);
  // Emits coalesced telemetry whose window has ended and forgets idle devices. The shell
  // calls it every ~50 ms; tests call it after advancing a ManualClock.
  void Tick();

  LiveMetrics& metrics() { return metrics_; }
  std::size_t subscriber_count() const { return subscriber_count_.load(); }
  std::size_t pending_telemetry() const;  // devices with merged readings waiting (tests)
  const LiveHubOptions& options() const { return options_; }

  // The wire form of an event (exposed for tests).
  static std::string Serialize(const LiveEvent& event);

 private:
  struct Window {
    WorkshopId workshop;
    std::optional<PitId> pit;
    SysTime last_emit{};
    SysTime due{};
    bool pending = false;
    std::int64_t ts_ms = 0;
    std::map<std::string, std::pair<double, std::int64_t>> values;  // metric -> value, ts
  };
  static LiveEvent TelemetryEvent(WorkshopId workshop, std::optional<PitId> pit,
                                  const std::string& uid, std::int64_t ts_ms,
                                  const std::map<std::string, std::pair<double, std::int64_t>>& v);
  void Deliver(const LiveEvent& event);
  static bool Sees(const core::Principal& p, WorkshopId workshop);
  bool Matches(const LiveSubscriber& s, const LiveEvent& event) const;

  const Clock& clock_;
  LiveMetrics metrics_;
  LiveAccess access_;
  LiveHubOptions options_;

  mutable std::shared_mutex mutex_;  // subscribers, their subscriptions and the indexes
  std::unordered_map<const LiveSubscriber*, std::shared_ptr<LiveSubscriber>> subscribers_;
  std::unordered_map<WorkshopId, std::unordered_set<LiveSubscriber*>> by_workshop_;
  std::unordered_map<PitId, std::unordered_set<LiveSubscriber*>> by_pit_;
  std::unordered_map<std::string, std::unordered_set<LiveSubscriber*>> by_device_;
  std::atomic<std::size_t> subscriber_count_{0};

  mutable std::mutex telemetry_mutex_;
  std::unordered_map<std::string, Window> windows_;
};

// ---- the session protocol ------------------------------------------------------------

// What the token check returns: who, and until when the token is valid.
struct LiveIdentity {
  core::Principal principal;
  SysTime expires_at{};
};
using LiveAuthenticator = std::function<Result<LiveIdentity>(std::string_view access_token)>;

inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kClosePolicy = 1008;  // too many bad messages
inline constexpr std::uint16_t kCloseUnauthenticated = 4401;
inline constexpr std::uint16_t kCloseForbidden = 4403;  // temporary password not changed
inline constexpr std::uint16_t kCloseTooSlow = 4408;

struct LiveClose {
  std::uint16_t code = kClosePolicy;
  std::string reason;  // short, ASCII (a close reason is at most 123 bytes)
};

// What the shell must do after an input: send `messages` in order, then close if asked.
struct LiveOutput {
  std::vector<std::string> messages;
  std::optional<LiveClose> close;
};

struct LiveConnectionOptions {
  Millis auth_timeout{5000};
  int max_bad_messages = 10;  // the next one closes with 1008
  std::size_t max_items_per_request = 256;
};

class LiveConnection {
 public:
  // `wake` is handed to the hub once authenticated (see LiveHub::Connect).
  LiveConnection(LiveHub& hub, LiveAuthenticator authenticate, std::function<void()> wake,
                 SysTime now, LiveConnectionOptions options = {});
  ~LiveConnection();
  LiveConnection(const LiveConnection&) = delete;
  LiveConnection& operator=(const LiveConnection&) = delete;

  // `bearer_token`: from an `Authorization: Bearer` header on the upgrade request (empty:
  // the client must send {"type":"auth"} within auth_timeout).
  LiveOutput Start(std::string_view bearer_token, SysTime now);
  LiveOutput OnMessage(std::string_view text, bool is_text, SysTime now);
  LiveOutput OnTimer(SysTime now);
  // When OnTimer must next be called: the auth deadline, then the token's expiry.
  SysTime NextDeadline() const;

  // The next event for the client, or null.
  LiveMessage NextEvent();
  bool Overflowed() const;
  bool authenticated() const { return subscriber_ != nullptr; }
  bool closed() const { return closed_; }

 private:
  LiveOutput Authenticate(std::string_view token, SysTime now);
  LiveOutput HandleSubscribe(const boost::json::object& msg, bool subscribe);
  LiveOutput Bad(std::string message, const boost::json::value* id = nullptr);
  LiveOutput Close(std::uint16_t code, std::string reason);

  LiveHub& hub_;
  LiveAuthenticator authenticate_;
  std::function<void()> wake_;
  LiveConnectionOptions options_;
  SysTime auth_deadline_;
  SysTime expires_at_{};
  std::shared_ptr<LiveSubscriber> subscriber_;
  int bad_messages_ = 0;
  bool closed_ = false;
};

}  // namespace sw::http
