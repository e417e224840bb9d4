#include "http/live_hub.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

namespace sw::http {
namespace {

namespace json = boost::json;
using core::Principal;
using core::Role;

const WorkshopId kA{1};
const WorkshopId kB{2};

Principal User(Role role, std::optional<WorkshopId> workshop, std::int64_t id = 10) {
  Principal p;
  p.user_id = UserId{id};
  p.username = "user" + std::to_string(id);
  p.role = role;
  p.workshop_id = workshop;
  return p;
}

// A fake of the services behind LiveAccess: pits 3 and 4 belong to A, pit 9 to B; device
// "A-1" to A (pit 3), "B-1" to B. Like the real services, another workshop's resource is
// NotFound and customers may not read devices.
struct World {
  std::map<std::int64_t, WorkshopId> pits{{3, kA}, {4, kA}, {9, kB}};
  std::map<std::string, WorkshopId> devices{{"A-1", kA}, {"A-2", kA}, {"B-1", kB}};

  static bool Sees(const Principal& p, WorkshopId w) {
    return p.role == Role::kSuperAdmin || p.workshop_id == w;
  }
  LiveAccess Access() {
    LiveAccess a;
    a.workshop = [](const Principal& p, WorkshopId w) -> Status {
      if (w != kA && w != kB) return MakeError(Errc::kNotFound, "no");
      if (!Sees(p, w)) return MakeError(Errc::kNotFound, "no");
      return Ok{};
    };
    a.pit_workshop = [this](const Principal& p, PitId pit) -> Result<WorkshopId> {
      auto it = pits.find(pit.value);
      if (it == pits.end() || !Sees(p, it->second)) return MakeError(Errc::kNotFound, "no");
      return it->second;
    };
    a.device_workshop = [this](const Principal& p, std::string_view uid) -> Result<WorkshopId> {
      auto it = devices.find(std::string(uid));
      if (it == devices.end() || !Sees(p, it->second)) return MakeError(Errc::kNotFound, "no");
      if (p.role == Role::kCustomer) return MakeError(Errc::kForbidden, "no");
      return it->second;
    };
    return a;
  }
};

// Drains a subscriber into parsed JSON objects.
std::vector<json::object> Drain(LiveSubscriber& s) {
  std::vector<json::object> out;
  while (auto m = s.Pop()) out.push_back(json::parse(*m).as_object());
  return out;
}

LiveEvent StatusEvent(WorkshopId w, std::optional<PitId> pit, std::string uid, bool online = true) {
  return LiveEvent{"device_status", w, pit, std::move(uid), json::object{{"online", online}}};
}

class LiveHubTest : public ::testing::Test {
 protected:
  LiveHub MakeHub(LiveHubOptions o = {}) { return LiveHub(clock, registry, world.Access(), o); }

  ManualClock clock;
  metrics::Registry registry;
  World world;
};

TEST_F(LiveHubTest, DeliversOnlyWhatWasSubscribed) {
  LiveHub hub(clock, registry, world.Access());
  int wakes = 0;
  auto pit_sub = hub.Connect(User(Role::kStaff, kA), [&wakes] { ++wakes; });
  auto dev_sub = hub.Connect(User(Role::kStaff, kA, 11), nullptr);
  auto ws_sub = hub.Connect(User(Role::kOwner, kA, 12), nullptr);
  auto none = hub.Connect(User(Role::kOwner, kA, 13), nullptr);

  auto r1 = hub.Subscribe(*pit_sub, {{}, {PitId{3}}, {}});
  ASSERT_EQ(r1.accepted.pits.size(), 1u);
  EXPECT_TRUE(r1.rejected.empty());
  ASSERT_EQ(hub.Subscribe(*dev_sub, {{}, {}, {"A-2"}}).accepted.devices.size(), 1u);
  ASSERT_EQ(hub.Subscribe(*ws_sub, {{kA}, {}, {}}).accepted.workshops.size(), 1u);

  hub.Publish(StatusEvent(kA, PitId{3}, "A-1"));
  hub.Publish(StatusEvent(kA, PitId{4}, "A-2"));
  hub.Publish(StatusEvent(kA, std::nullopt, "A-3"));

  auto got = Drain(*pit_sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("device").as_string(), "A-1");
  EXPECT_EQ(got[0].at("type").as_string(), "device_status");
  EXPECT_EQ(got[0].at("workshop_id").as_int64(), 1);
  EXPECT_EQ(got[0].at("pit_id").as_int64(), 3);
  EXPECT_EQ(got[0].at("online").as_bool(), true);
  EXPECT_EQ(wakes, 1);

  got = Drain(*dev_sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("device").as_string(), "A-2");
  EXPECT_EQ(Drain(*ws_sub).size(), 3u);
  EXPECT_TRUE(Drain(*none).empty());

  // Unsubscribing stops the flow; a subscriber is delivered an event once even when several
  // of its subscriptions match.
  hub.Unsubscribe(*pit_sub, {{}, {PitId{3}}, {}});
  hub.Subscribe(*ws_sub, {{}, {PitId{3}}, {"A-1"}});
  hub.Publish(StatusEvent(kA, PitId{3}, "A-1"));
  EXPECT_TRUE(Drain(*pit_sub).empty());
  EXPECT_EQ(Drain(*ws_sub).size(), 1u);
  EXPECT_EQ(hub.Current(*pit_sub).size(), 0u);
  EXPECT_EQ(hub.Current(*ws_sub).size(), 3u);

  hub.Disconnect(pit_sub);
  hub.Disconnect(dev_sub);
  EXPECT_EQ(hub.subscriber_count(), 2u);
}

TEST_F(LiveHubTest, AnotherWorkshopIsNotFound) {
  LiveHub hub = MakeHub();
  auto s = hub.Connect(User(Role::kOwner, kA), nullptr);
  auto r = hub.Subscribe(*s, {{kB}, {PitId{9}, PitId{77}, PitId{0}}, {"B-1", "bad uid!"}});
  EXPECT_TRUE(r.accepted.empty());
  ASSERT_EQ(r.rejected.size(), 6u);
  std::map<std::string, std::string> codes;
  for (const auto& x : r.rejected) {
    codes[x.kind + ":" + (x.kind == "device" ? x.uid : std::to_string(x.id))] = x.code;
  }
  EXPECT_EQ(codes["workshop:2"], "NOT_FOUND");
  EXPECT_EQ(codes["pit:9"], "NOT_FOUND");
  EXPECT_EQ(codes["pit:77"], "NOT_FOUND");
  EXPECT_EQ(codes["pit:0"], "NOT_FOUND");
  EXPECT_EQ(codes["device:B-1"], "NOT_FOUND");
  EXPECT_EQ(codes["device:bad uid!"], "VALIDATION_ERROR");
}

TEST_F(LiveHubTest, IsolationHoldsEvenWhenTheAccessCheckIsWrong) {
  LiveAccess faulty = world.Access();
  // Bug 1: says yes to B's device and reports its (B's) workshop.
  // Bug 2: says yes to B's pit 9 but claims it belongs to A.
  faulty.device_workshop = [](const Principal&, std::string_view) -> Result<WorkshopId> {
    return kB;
  };
  faulty.pit_workshop = [](const Principal&, PitId) -> Result<WorkshopId> { return kA; };
  LiveHub hub(clock, registry, faulty);
  auto a = hub.Connect(User(Role::kOwner, kA), nullptr);
  auto r = hub.Subscribe(*a, {{}, {PitId{9}}, {"B-1"}});
  ASSERT_EQ(r.rejected.size(), 1u);  // the device: its workshop is not A's
  EXPECT_EQ(r.rejected[0].uid, "B-1");
  EXPECT_EQ(r.rejected[0].code, "NOT_FOUND");
  ASSERT_EQ(r.accepted.pits.size(), 1u);  // the lie about pit 9 got through...

  // ...but B's events never reach A's subscriber, whatever they carry.
  hub.Publish(StatusEvent(kB, PitId{9}, "B-1"));
  hub.Publish(StatusEvent(kB, std::nullopt, "B-1"));
  hub.PublishTelemetry(kB, PitId{9}, "B-1", 1, {{"temperature", 20.0}});
  EXPECT_TRUE(Drain(*a).empty());

  // A super_admin does see B.
  auto admin = hub.Connect(User(Role::kSuperAdmin, std::nullopt, 1), nullptr);
  ASSERT_EQ(hub.Subscribe(*admin, {{kB}, {}, {}}).accepted.workshops.size(), 1u);
  hub.Publish(StatusEvent(kB, PitId{9}, "B-1"));
  EXPECT_EQ(Drain(*admin).size(), 1u);
  EXPECT_TRUE(Drain(*a).empty());
}

TEST_F(LiveHubTest, CustomersGetPitTelemetryOnly) {
  LiveHub hub = MakeHub();
  auto c = hub.Connect(User(Role::kCustomer, kA), nullptr);
  auto r = hub.Subscribe(*c, {{kA}, {PitId{3}}, {"A-1"}});
  ASSERT_EQ(r.accepted.pits.size(), 1u);
  ASSERT_EQ(r.rejected.size(), 2u);
  for (const auto& x : r.rejected) EXPECT_EQ(x.code, "FORBIDDEN") << x.kind;
  hub.Publish(StatusEvent(kA, PitId{3}, "A-1"));
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 5, {{"temperature", 21.5}});
  auto got = Drain(*c);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("type").as_string(), "telemetry");
}

TEST_F(LiveHubTest, SubscriptionsPerSubscriberAreBounded) {
  LiveHubOptions o;
  o.max_subscriptions = 2;
  LiveHub hub = MakeHub(o);
  auto s = hub.Connect(User(Role::kOwner, kA), nullptr);
  auto r = hub.Subscribe(*s, {{kA}, {PitId{3}, PitId{4}}, {}});
  EXPECT_EQ(r.accepted.size(), 2u);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].code, "TOO_MANY_SUBSCRIPTIONS");
  // Subscribing again to what is already there is fine.
  EXPECT_TRUE(hub.Subscribe(*s, {{kA}, {}, {}}).rejected.empty());
}

TEST_F(LiveHubTest, TelemetryIsCoalescedPerDeviceWithinTheWindow) {
  LiveHub hub = MakeHub();
  auto s = hub.Connect(User(Role::kStaff, kA), nullptr);
  hub.Subscribe(*s, {{kA}, {}, {}});

  // A quiet device: the first reading goes out at once.
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 1000, {{"temperature", 20.0}, {"humidity", 40.0}});
  auto got = Drain(*s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("ts").as_int64(), 1000);
  EXPECT_EQ(got[0].at("values").at("temperature").as_double(), 20.0);

  // Within 250 ms: merged, latest value per metric, nothing sent yet.
  clock.Advance(Millis(100));
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 1100, {{"temperature", 21.0}});
  clock.Advance(Millis(50));
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 1150, {{"temperature", 22.0}, {"iaq", 50.0}});
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 1120, {{"temperature", 99.0}});  // older: loses
  hub.PublishTelemetry(kA, PitId{3}, "A-2", 1150, {{"temperature", 5.0}});   // other device
  hub.Tick();
  got = Drain(*s);
  ASSERT_EQ(got.size(), 1u);  // only A-2's first reading
  EXPECT_EQ(got[0].at("device").as_string(), "A-2");
  EXPECT_EQ(hub.pending_telemetry(), 1u);

  clock.Advance(Millis(99));  // 249 ms after the first reading
  hub.Tick();
  EXPECT_TRUE(Drain(*s).empty());
  clock.Advance(Millis(1));  // the window ends
  hub.Tick();
  got = Drain(*s);
  ASSERT_EQ(got.size(), 1u);
  const json::object& e = got[0];
  EXPECT_EQ(e.at("device").as_string(), "A-1");
  EXPECT_EQ(e.at("ts").as_int64(), 1150);
  EXPECT_EQ(e.at("values").as_object().size(), 2u);  // humidity was sent already
  EXPECT_EQ(e.at("values").at("temperature").as_double(), 22.0);
  EXPECT_EQ(e.at("values").at("iaq").as_double(), 50.0);
  EXPECT_EQ(hub.pending_telemetry(), 0u);

  // Right after an emission the next reading waits for the next window...
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 1300, {{"temperature", 23.0}});
  EXPECT_TRUE(Drain(*s).empty());
  clock.Advance(Millis(250));
  hub.Tick();
  EXPECT_EQ(Drain(*s).size(), 1u);
  // ...and once the device is quiet for a window it is forgotten and goes out at once again.
  clock.Advance(Millis(250));
  hub.Tick();
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 2000, {{"temperature", 24.0}});
  EXPECT_EQ(Drain(*s).size(), 1u);
}

TEST_F(LiveHubTest, GenericTelemetryEventsAreCoalescedToo) {
  LiveHub hub = MakeHub();
  auto s = hub.Connect(User(Role::kStaff, kA), nullptr);
  hub.Subscribe(*s, {{}, {}, {"A-1"}});
  json::object data{{"ts", 7}, {"values", json::object{{"temperature", 20.5}, {"bad", "x"}}}};
  hub.Publish(LiveEvent{"telemetry", kA, PitId{3}, "A-1", data});
  hub.Publish(LiveEvent{"telemetry", kA, PitId{3}, "A-1", data});
  auto got = Drain(*s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(json::serialize(got[0]),
            R"({"type":"telemetry","workshop_id":1,"pit_id":3,"device":"A-1","ts":7,)"
            R"("values":{"temperature":2.05E1}})");
  EXPECT_EQ(hub.pending_telemetry(), 1u);
}

TEST_F(LiveHubTest, NoSubscribersMeansNoWork) {
  LiveHub hub = MakeHub();
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 1, {{"temperature", 1.0}});
  hub.PublishTelemetry(kA, PitId{3}, "A-1", 2, {{"temperature", 2.0}});
  EXPECT_EQ(hub.pending_telemetry(), 0u);
}

TEST_F(LiveHubTest, TheQueueIsAlsoBoundedByItsSize) {
  LiveHubOptions o;
  o.queue_limit = 1000;
  const std::size_t one = LiveHub::Serialize(StatusEvent(kA, std::nullopt, "A-1")).size();
  o.queue_limit_bytes = 3 * one;  // room for three events
  LiveHub hub = MakeHub(o);
  auto slow = hub.Connect(User(Role::kStaff, kA), nullptr);
  hub.Subscribe(*slow, {{kA}, {}, {}});
  for (int i = 0; i < 3; ++i) hub.Publish(StatusEvent(kA, std::nullopt, "A-1"));
  EXPECT_EQ(slow->Queued(), 3u);
  EXPECT_FALSE(slow->Overflowed());
  ASSERT_NE(slow->Pop(), nullptr);  // the client read one: room again
  hub.Publish(StatusEvent(kA, std::nullopt, "A-1"));
  EXPECT_FALSE(slow->Overflowed());
  hub.Publish(StatusEvent(kA, std::nullopt, "A-1"));
  EXPECT_TRUE(slow->Overflowed());
  EXPECT_EQ(hub.metrics().dropped_slow.Value(), 1u);
}

TEST_F(LiveHubTest, AFullQueueMarksTheSubscriberOverflowed) {
  LiveHubOptions o;
  o.queue_limit = 5;
  LiveHub hub = MakeHub(o);
  int wakes = 0;
  auto slow = hub.Connect(User(Role::kStaff, kA), [&wakes] { ++wakes; });
  auto fast = hub.Connect(User(Role::kStaff, kA, 11), nullptr);
  hub.Subscribe(*slow, {{kA}, {}, {}});
  hub.Subscribe(*fast, {{kA}, {}, {}});
  for (int i = 0; i < 5; ++i) hub.Publish(StatusEvent(kA, std::nullopt, "A-1"));
  EXPECT_EQ(slow->Queued(), 5u);
  EXPECT_FALSE(slow->Overflowed());
  EXPECT_EQ(wakes, 1);  // woken when the queue became non-empty, not per message
  EXPECT_EQ(Drain(*fast).size(), 5u);

  hub.Publish(StatusEvent(kA, std::nullopt, "A-1"));
  EXPECT_TRUE(slow->Overflowed());
  EXPECT_EQ(slow->Queued(), 0u);  // dropped: the session is closed, not fed
  EXPECT_EQ(wakes, 2);            // woken to close
  EXPECT_EQ(hub.metrics().dropped_slow.Value(), 1u);
  EXPECT_EQ(Drain(*fast).size(), 1u);  // the others are unaffected
  hub.Publish(StatusEvent(kA, std::nullopt, "A-1"));
  EXPECT_EQ(hub.metrics().dropped_slow.Value(), 1u);  // counted once
  EXPECT_FALSE(fast->Overflowed());
}

TEST_F(LiveHubTest, PublishingToAStalledSubscriberStaysBounded) {
  LiveHub hub = MakeHub();  // default queue of 1,000
  auto stalled = hub.Connect(User(Role::kStaff, kA), [] {});
  hub.Subscribe(*stalled, {{kA}, {}, {}});
  for (int i = 0; i < 100'000; ++i) {
    hub.Publish(StatusEvent(kA, PitId{3}, "A-" + std::to_string(i % 500), i % 2 == 0));
    if (i == 999) {
      EXPECT_EQ(stalled->Queued(), 1000u);
      EXPECT_FALSE(stalled->Overflowed());
    }
  }
  EXPECT_TRUE(stalled->Overflowed());
  EXPECT_EQ(stalled->Queued(), 0u);
  EXPECT_EQ(hub.metrics().dropped_slow.Value(), 1u);
}

// ---- the session protocol ---------------------------------------------------------------

class LiveConnectionTest : public LiveHubTest {
 protected:
  LiveConnectionTest() : hub(clock, registry, world.Access()) {}

  // Tokens: "good-a" (staff of A), "owner-a", "other-a" (another user of A), "temp" (must
  // change password); anything else fails like AuthService does.
  LiveAuthenticator Auth() {
    return [this](std::string_view token) -> Result<LiveIdentity> {
      ++auth_calls;
      const SysTime exp = clock.Now() + std::chrono::seconds(900);
      if (token == "good-a") return LiveIdentity{User(Role::kStaff, kA, 10), exp};
      if (token == "owner-a") return LiveIdentity{User(Role::kOwner, kA, 10), exp};
      if (token == "other-a") return LiveIdentity{User(Role::kStaff, kA, 11), exp};
      if (token == "temp") {
        auto p = User(Role::kStaff, kA, 12);
        p.temporary_password = true;
        return LiveIdentity{p, exp};
      }
      return MakeError(Errc::kUnauthenticated, "bad token", "TOKEN_INVALID");
    };
  }
  std::unique_ptr<LiveConnection> Connection() {
    return std::make_unique<LiveConnection>(
        hub, Auth(), [this] { ++wakes; }, clock.Now());
  }
  static json::object Only(const LiveOutput& out) {
    EXPECT_FALSE(out.close);
    EXPECT_EQ(out.messages.size(), 1u);
    if (out.messages.empty()) return {};
    return json::parse(out.messages[0]).as_object();
  }
  static void ExpectClose(const LiveOutput& out, std::uint16_t code) {
    ASSERT_TRUE(out.close) << (out.messages.empty() ? "" : out.messages[0]);
    EXPECT_EQ(out.close->code, code) << out.close->reason;
  }
  LiveOutput Send(LiveConnection& c, std::string_view text) {
    return c.OnMessage(text, true, clock.Now());
  }

  LiveHub hub;
  int auth_calls = 0;
  int wakes = 0;
};

TEST_F(LiveConnectionTest, NoAuthWithinTheTimeoutCloses4401) {
  auto c = Connection();
  EXPECT_TRUE(c->Start("", clock.Now()).messages.empty());
  EXPECT_EQ(c->NextDeadline(), clock.Now() + Millis(5000));
  clock.Advance(Millis(4999));
  EXPECT_FALSE(c->OnTimer(clock.Now()).close);
  clock.Advance(Millis(1));
  ExpectClose(c->OnTimer(clock.Now()), kCloseUnauthenticated);
  EXPECT_TRUE(c->closed());
  EXPECT_EQ(hub.metrics().auth_failures.Value(), 1u);
  EXPECT_EQ(registry.GetGauge("sitewatch_ws_connections", "").Value(), 1);
  c.reset();
  EXPECT_EQ(registry.GetGauge("sitewatch_ws_connections", "").Value(), 0);
}

TEST_F(LiveConnectionTest, TheFirstMessageMustBeAValidAuth) {
  for (std::string_view first :
       {R"({"type":"subscribe","workshops":[1]})", "not json", R"({"type":"auth"})",
        R"({"type":"auth","token":"nope"})", R"({"type":"auth","token":5})", "[]"}) {
    auto c = Connection();
    ExpectClose(Send(*c, first), kCloseUnauthenticated);
    EXPECT_FALSE(c->authenticated());
  }
  auto c = Connection();
  ExpectClose(c->OnMessage(R"({"type":"auth","token":"good-a"})", false, clock.Now()),
              kCloseUnauthenticated);  // binary
  EXPECT_EQ(hub.metrics().auth_failures.Value(), 7u);
  EXPECT_EQ(hub.subscriber_count(), 0u);

  auto temp = Connection();
  ExpectClose(Send(*temp, R"({"type":"auth","token":"temp"})"), kCloseForbidden);
}

TEST_F(LiveConnectionTest, AuthSubscribeAndEvents) {
  auto c = Connection();
  auto ready = Only(Send(*c, R"({"type":"auth","token":"good-a"})"));
  EXPECT_EQ(ready.at("type").as_string(), "ready");
  EXPECT_EQ(ready.at("user").at("id").as_int64(), 10);
  EXPECT_EQ(ready.at("user").at("role").as_string(), "staff");
  EXPECT_EQ(ready.at("user").at("workshop_id").as_int64(), 1);
  EXPECT_EQ(ready.at("expires_at").as_int64(),
            ToUnixMillis(clock.Now() + std::chrono::seconds(900)));
  EXPECT_TRUE(c->authenticated());
  EXPECT_FALSE(c->OnTimer(clock.Now()).close);

  auto sub = Only(Send(
      *c, R"({"type":"subscribe","id":7,"workshops":[1,2],"pits":[3,9],"devices":["A-1","B-1"]})"));
  EXPECT_EQ(json::serialize(sub),
            R"({"type":"subscribed","accepted":{"workshops":[1],"pits":[3],"devices":["A-1"]},)"
            R"("rejected":[{"kind":"workshop","code":"NOT_FOUND","id":2},)"
            R"({"kind":"pit","code":"NOT_FOUND","id":9},)"
            R"({"kind":"device","code":"NOT_FOUND","id":"B-1"}],"id":7})");

  EXPECT_EQ(c->NextEvent(), nullptr);
  hub.Publish(StatusEvent(kA, PitId{3}, "A-1", false));
  hub.Publish(StatusEvent(kB, PitId{9}, "B-1", false));
  EXPECT_EQ(wakes, 1);
  auto ev = c->NextEvent();
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(*ev,
            R"({"type":"device_status","workshop_id":1,"pit_id":3,"device":"A-1","online":false})");
  EXPECT_EQ(c->NextEvent(), nullptr);

  auto unsub = Only(Send(*c, R"({"type":"unsubscribe","id":"u1","workshops":[1]})"));
  EXPECT_EQ(json::serialize(unsub),
            R"({"type":"unsubscribed","subscriptions":{"workshops":[],"pits":[3],)"
            R"("devices":["A-1"]},"id":"u1"})");
  EXPECT_EQ(Only(Send(*c, R"({"type":"ping","id":1})")).at("type").as_string(), "pong");
}

TEST_F(LiveConnectionTest, BadMessagesAreAnsweredThenTooManyClose) {
  auto c = Connection();
  Only(Send(*c, R"({"type":"auth","token":"good-a"})"));
  const std::vector<std::string_view> bad = {
      "{not json",
      "[1,2]",
      R"({"no":"type"})",
      R"({"type":"dance"})",
      R"({"type":"subscribe","pits":"3"})",
      R"({"type":"subscribe","pits":[1.5]})",
      R"({"type":"subscribe","devices":[1]})",
      R"({"type":"subscribe","extra":true})",
      R"({"type":"subscribe","id":{}})",
      R"({"type":"auth"})",
  };
  for (auto text : bad) {
    auto reply = Only(Send(*c, text));
    EXPECT_EQ(reply.at("type").as_string(), "error") << text;
    EXPECT_EQ(reply.at("code").as_string(), "BAD_MESSAGE") << text;
  }
  EXPECT_FALSE(c->closed());
  ExpectClose(Send(*c, R"({"type":"dance"})"), kClosePolicy);  // the 11th
  EXPECT_EQ(hub.metrics().bad_messages.Value(), 11u);
}

TEST_F(LiveConnectionTest, RequestsAreBounded) {
  auto c = Connection();
  Only(Send(*c, R"({"type":"auth","token":"good-a"})"));
  std::string big = R"({"type":"subscribe","pits":[)";
  for (int i = 0; i < 257; ++i) big += (i ? "," : "") + std::to_string(i + 1);
  big += "]}";
  EXPECT_EQ(Only(Send(*c, big)).at("code").as_string(), "BAD_MESSAGE");
}

TEST_F(LiveConnectionTest, TokenExpiryClosesUnlessRefreshed) {
  auto c = Connection();
  Only(c->Start("good-a", clock.Now()));  // the Authorization header of the upgrade
  EXPECT_TRUE(c->authenticated());
  clock.Advance(std::chrono::seconds(600));
  // A refreshed token of the same user moves the deadline.
  auto again = Only(Send(*c, R"({"type":"auth","token":"good-a"})"));
  EXPECT_EQ(again.at("type").as_string(), "ready");
  EXPECT_EQ(c->NextDeadline(), clock.Now() + std::chrono::seconds(900));
  clock.Advance(std::chrono::seconds(899));
  EXPECT_FALSE(c->OnTimer(clock.Now()).close);
  clock.Advance(std::chrono::seconds(1));
  ExpectClose(c->OnTimer(clock.Now()), kCloseUnauthenticated);
  EXPECT_EQ(hub.subscriber_count(), 0u);  // a closing session gets no more events
}

TEST_F(LiveConnectionTest, ReauthAsSomeoneElseCloses) {
  auto c = Connection();
  Only(Send(*c, R"({"type":"auth","token":"good-a"})"));
  ExpectClose(Send(*c, R"({"type":"auth","token":"other-a"})"), kCloseUnauthenticated);
  auto d = Connection();
  Only(Send(*d, R"({"type":"auth","token":"good-a"})"));
  ExpectClose(Send(*d, R"({"type":"auth","token":"owner-a"})"), kCloseUnauthenticated);  // role
  auto e = Connection();
  Only(Send(*e, R"({"type":"auth","token":"good-a"})"));
  ExpectClose(Send(*e, R"({"type":"auth","token":"forged"})"), kCloseUnauthenticated);
}

TEST_F(LiveConnectionTest, OverflowIsVisibleToTheSession) {
  LiveHubOptions o;
  o.queue_limit = 2;
  LiveHub small(clock, registry, world.Access(), o);
  LiveConnection c(
      small, Auth(), [] {}, clock.Now());
  Only(c.OnMessage(R"({"type":"auth","token":"good-a"})", true, clock.Now()));
  Only(c.OnMessage(R"({"type":"subscribe","workshops":[1]})", true, clock.Now()));
  for (int i = 0; i < 3; ++i) small.Publish(StatusEvent(kA, std::nullopt, "A-1"));
  EXPECT_TRUE(c.Overflowed());
  EXPECT_EQ(c.NextEvent(), nullptr);
}

}  // namespace
}  // namespace sw::http
