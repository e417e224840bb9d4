#include "broker/broker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/connection.hpp"

namespace sw::broker {
namespace {

using namespace std::chrono_literals;
using mqtt::QoS;

class FakeOutlet : public Outlet {
 public:
  void Deliver(Delivery d) override { delivered.push_back(std::move(d)); }
  void Evict(mqtt::ReasonCode reason) override { evicted = reason; }
  std::vector<Delivery> TakeUnsent() override { return std::move(unsent); }

  std::vector<std::string> Topics() const {
    std::vector<std::string> out;
    for (const auto& d : delivered) out.push_back(d.message->topic);
    return out;
  }

  std::vector<Delivery> delivered;
  std::vector<Delivery> unsent;
  std::optional<mqtt::ReasonCode> evicted;
};

// Allows everything except topics under "secret/".
class TestAuthenticator : public Authenticator {
 public:
  mqtt::ReasonCode Authenticate(const mqtt::Connect&, ClientIdentity&) override {
    return mqtt::ReasonCode::kSuccess;
  }
  bool MayPublish(const ClientIdentity&, std::string_view topic) override {
    return !FirstLevelIs(topic, "secret");
  }
  bool MaySubscribe(const ClientIdentity&, std::string_view filter) override {
    return !FirstLevelIs(filter, "secret");
  }
  bool MayReceive(const ClientIdentity&, std::string_view topic) override {
    return !FirstLevelIs(topic, "secret");
  }
};

class BrokerTest : public ::testing::Test {
 protected:
  BrokerTest() : metrics_(registry_), broker_(auth_, metrics_, Options()) {}

  static BrokerOptions Options() {
    BrokerOptions o;
    o.max_queued_messages = 3;
    o.sys_interval = 0s;
    return o;
  }

  std::uint64_t Connect(const std::string& id, FakeOutlet& outlet, bool clean = true,
                        std::uint32_t expiry = 0, std::optional<mqtt::Will> will = {},
                        bool* present = nullptr) {
    ConnectRequest r;
    auto identity = std::make_shared<ClientIdentity>();
    identity->client_id = id;
    r.identity = identity;
    r.clean_start = clean;
    r.session_expiry_s = expiry;
    r.will = std::move(will);
    ConnectResult result = broker_.Connect(r, &outlet, now_);
    if (present) *present = result.session_present;
    for (auto& d : result.queued) outlet.delivered.push_back(std::move(d));
    return result.generation;
  }

  SubscribeResult Subscribe(const std::string& id, std::uint64_t gen, const std::string& filter,
                            QoS qos = QoS::kExactlyOnce, std::uint32_t sub_id = 0,
                            mqtt::Subscription options = {}) {
    mqtt::Subscribe s;
    s.packet_id = 1;
    options.filter = filter;
    options.max_qos = qos;
    s.subscriptions.push_back(options);
    if (sub_id != 0) s.properties.subscription_identifiers.push_back(sub_id);
    return broker_.Subscribe(id, gen, s, now_);
  }

  std::size_t Publish(const std::string& topic, const std::string& payload, QoS qos,
                      bool retain = false, const std::string& origin = "pub",
                      std::optional<std::uint32_t> expiry = {}) {
    mqtt::Publish p;
    p.topic = topic;
    p.payload = payload;
    p.qos = qos;
    p.retain = retain;
    p.properties.message_expiry_interval = expiry;
    return broker_.Publish(MakeMessage(p, origin, now_), now_);
  }

  metrics::Registry registry_;
  BrokerMetrics metrics_;
  TestAuthenticator auth_;
  Broker broker_;
  SysTime now_ = FromUnixSeconds(1'700'000'000);
};

TEST_F(BrokerTest, DeliversWithTheLowerOfPublishedAndGrantedQos) {
  FakeOutlet a;
  auto gen = Connect("a", a);
  EXPECT_EQ(Subscribe("a", gen, "t/+", QoS::kAtLeastOnce).reason_codes,
            std::vector<std::uint8_t>{1});
  EXPECT_EQ(Publish("t/1", "x", QoS::kExactlyOnce), 1u);
  EXPECT_EQ(Publish("t/2", "y", QoS::kAtMostOnce), 1u);
  EXPECT_EQ(Publish("u/1", "z", QoS::kAtMostOnce), 0u);
  ASSERT_EQ(a.delivered.size(), 2u);
  EXPECT_EQ(a.delivered[0].qos, QoS::kAtLeastOnce);
  EXPECT_EQ(a.delivered[1].qos, QoS::kAtMostOnce);
  EXPECT_FALSE(a.delivered[0].retain);
}

TEST_F(BrokerTest, OverlappingSubscriptionsGiveOneDeliveryAtTheHighestQos) {
  FakeOutlet a;
  auto gen = Connect("a", a);
  (void)Subscribe("a", gen, "t/#", QoS::kAtMostOnce);
  (void)Subscribe("a", gen, "t/x", QoS::kExactlyOnce, 9);
  (void)Subscribe("a", gen, "+/x", QoS::kAtLeastOnce);
  Publish("t/x", "p", QoS::kExactlyOnce);
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_EQ(a.delivered[0].qos, QoS::kExactlyOnce);
  EXPECT_EQ(a.delivered[0].subscription_ids, std::vector<std::uint32_t>{9});
}

TEST_F(BrokerTest, EachFurtherSubscriptionIdentifierGetsItsOwnCopy) {
  FakeOutlet a;
  auto gen = Connect("a", a);
  (void)Subscribe("a", gen, "t/#", QoS::kAtMostOnce, 7);
  (void)Subscribe("a", gen, "t/x", QoS::kExactlyOnce, 9);
  Publish("t/x", "p", QoS::kExactlyOnce);
  ASSERT_EQ(a.delivered.size(), 2u);
  EXPECT_EQ(a.delivered[0].qos, QoS::kExactlyOnce);  // the main copy: highest QoS
  EXPECT_EQ(a.delivered[0].subscription_ids, std::vector<std::uint32_t>{9});
  EXPECT_EQ(a.delivered[1].qos, QoS::kAtMostOnce);  // the copy at its subscription's QoS
  EXPECT_EQ(a.delivered[1].subscription_ids, std::vector<std::uint32_t>{7});
}

TEST_F(BrokerTest, NoLocalSkipsTheClientsOwnMessages) {
  FakeOutlet a;
  auto gen = Connect("a", a);
  mqtt::Subscription o;
  o.no_local = true;
  (void)Subscribe("a", gen, "t", QoS::kAtMostOnce, 0, o);
  Publish("t", "mine", QoS::kAtMostOnce, false, "a");
  Publish("t", "theirs", QoS::kAtMostOnce, false, "b");
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_EQ(a.delivered[0].message->payload, "theirs");
}

TEST_F(BrokerTest, RetainedMessagesSetReplaceClearAndArriveOnSubscribe) {
  Publish("r/1", "first", QoS::kAtLeastOnce, true);
  Publish("r/1", "second", QoS::kAtLeastOnce, true);
  Publish("r/2", "other", QoS::kAtMostOnce, true);
  Publish("r/3", "gone", QoS::kAtMostOnce, true);
  Publish("r/3", "", QoS::kAtMostOnce, true);  // clears
  EXPECT_EQ(broker_.RetainedCount(), 2u);
  FakeOutlet a;
  auto gen = Connect("a", a);
  auto result = Subscribe("a", gen, "r/#", QoS::kAtLeastOnce);
  ASSERT_EQ(result.retained.size(), 2u);
  EXPECT_EQ(result.retained[0].message->payload, "second");
  EXPECT_TRUE(result.retained[0].retain);  // the RETAIN flag is set on subscribe delivery
  EXPECT_EQ(result.retained[0].qos, QoS::kAtLeastOnce);
  EXPECT_EQ(result.retained[1].qos, QoS::kAtMostOnce);
  // Retain handling 1: only for a new subscription; 2: never.
  mqtt::Subscription rh1;
  rh1.retain_handling = 1;
  EXPECT_TRUE(Subscribe("a", gen, "r/#", QoS::kAtLeastOnce, 0, rh1).retained.empty());
  mqtt::Subscription rh2;
  rh2.retain_handling = 2;
  EXPECT_TRUE(Subscribe("a", gen, "r/1", QoS::kAtLeastOnce, 0, rh2).retained.empty());
  // A live retained publish: RETAIN only with retain-as-published.
  mqtt::Subscription rap;
  rap.retain_as_published = true;
  rap.retain_handling = 2;
  (void)Subscribe("a", gen, "r/+", QoS::kAtMostOnce, 0, rap);
  (void)Subscribe("a", gen, "r/#", QoS::kAtMostOnce, 0, rh2);
  a.delivered.clear();
  Publish("r/9", "live", QoS::kAtMostOnce, true);
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_TRUE(a.delivered[0].retain);
}

TEST_F(BrokerTest, RetainFlagClearedWithoutRetainAsPublished) {
  FakeOutlet a;
  auto gen = Connect("a", a);
  (void)Subscribe("a", gen, "r");
  Publish("r", "live", QoS::kAtMostOnce, true);
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_FALSE(a.delivered[0].retain);
}

TEST_F(BrokerTest, SharedSubscriptionSplitsTheLoad) {
  FakeOutlet a, b, c;
  auto ga = Connect("a", a);
  auto gb = Connect("b", b);
  auto gc = Connect("c", c);
  (void)Subscribe("a", ga, "$share/g/jobs/#", QoS::kAtLeastOnce);
  (void)Subscribe("b", gb, "$share/g/jobs/#", QoS::kAtLeastOnce);
  (void)Subscribe("c", gc, "jobs/#", QoS::kAtLeastOnce);
  for (int i = 0; i < 10; ++i) Publish("jobs/" + std::to_string(i), "x", QoS::kAtLeastOnce);
  EXPECT_EQ(a.delivered.size(), 5u);
  EXPECT_EQ(b.delivered.size(), 5u);
  EXPECT_EQ(c.delivered.size(), 10u);
  // Shared subscriptions get no retained messages.
  Publish("jobs/r", "x", QoS::kAtMostOnce, true);
  EXPECT_TRUE(Subscribe("a", ga, "$share/h/jobs/#").retained.empty());
}

TEST_F(BrokerTest, PersistentSessionQueuesQos1And2WhileOfflineBoundedAndCounted) {
  FakeOutlet a;
  auto gen = Connect("a", a, false, 3600);
  (void)Subscribe("a", gen, "q/#", QoS::kExactlyOnce);
  broker_.Disconnect("a", gen, a, false, now_);
  EXPECT_TRUE(broker_.HasSession("a"));
  Publish("q/0", "qos0", QoS::kAtMostOnce);  // not kept
  for (int i = 1; i <= 5; ++i) Publish("q/" + std::to_string(i), "m", QoS::kAtLeastOnce);
  EXPECT_EQ(metrics_.dropped_queue.Value(), 2u);  // max_queued_messages = 3
  FakeOutlet again;
  bool present = false;
  Connect("a", again, false, 3600, {}, &present);
  EXPECT_TRUE(present);
  EXPECT_EQ(again.Topics(), (std::vector<std::string>{"q/1", "q/2", "q/3"}));
  // The subscription survived too.
  Publish("q/9", "m", QoS::kAtLeastOnce);
  EXPECT_EQ(again.delivered.size(), 4u);
}

TEST_F(BrokerTest, UnackedMessagesReturnToThePersistentSession) {
  FakeOutlet a;
  auto gen = Connect("a", a, false, 3600);
  (void)Subscribe("a", gen, "q");
  Publish("q", "m", QoS::kAtLeastOnce);
  a.unsent = std::move(a.delivered);  // never acknowledged by the client
  broker_.Disconnect("a", gen, a, false, now_);
  FakeOutlet again;
  Connect("a", again, false, 3600);
  ASSERT_EQ(again.delivered.size(), 1u);
  EXPECT_EQ(again.delivered[0].message->payload, "m");
}

TEST_F(BrokerTest, CleanStartDiscardsTheSession) {
  FakeOutlet a;
  auto gen = Connect("a", a, false, 3600);
  (void)Subscribe("a", gen, "q");
  broker_.Disconnect("a", gen, a, false, now_);
  Publish("q", "m", QoS::kAtLeastOnce);
  FakeOutlet again;
  bool present = true;
  Connect("a", again, true, 0, {}, &present);
  EXPECT_FALSE(present);
  EXPECT_TRUE(again.delivered.empty());
  Publish("q", "m", QoS::kAtLeastOnce);
  EXPECT_TRUE(again.delivered.empty());  // the subscription went with the session
}

TEST_F(BrokerTest, NonPersistentSessionEndsAtDisconnect) {
  FakeOutlet a;
  auto gen = Connect("a", a);
  (void)Subscribe("a", gen, "q");
  broker_.Disconnect("a", gen, a, false, now_);
  EXPECT_FALSE(broker_.HasSession("a"));
  EXPECT_EQ(registry_.GetGauge("sitewatch_mqtt_subscriptions", "").Value(), 0);
}

TEST_F(BrokerTest, TakeoverEvictsTheOldConnectionAndPublishesItsWill) {
  FakeOutlet watcher;
  auto gw = Connect("w", watcher);
  (void)Subscribe("w", gw, "will/#");
  FakeOutlet first;
  mqtt::Will will{"will/a", "gone", QoS::kAtLeastOnce, false, {}};
  auto g1 = Connect("a", first, false, 3600, will);
  (void)Subscribe("a", g1, "q");
  FakeOutlet second;
  bool present = false;
  auto g2 = Connect("a", second, false, 3600, {}, &present);
  EXPECT_TRUE(present);
  EXPECT_EQ(first.evicted, mqtt::ReasonCode::kSessionTakenOver);
  EXPECT_EQ(watcher.Topics(), std::vector<std::string>{"will/a"});
  // The old connection's late Disconnect does not end the new one's session.
  broker_.Disconnect("a", g1, first, true, now_);
  EXPECT_EQ(watcher.delivered.size(), 1u);
  Publish("q", "m", QoS::kAtLeastOnce);
  EXPECT_EQ(second.delivered.size(), 1u);
  EXPECT_NE(g1, g2);
  EXPECT_EQ(metrics_.takeovers.Value(), 1u);
}

TEST_F(BrokerTest, WillOnAbruptDisconnectOnlyAndDelayedWillCancelledByReconnect) {
  FakeOutlet watcher;
  auto gw = Connect("w", watcher);
  (void)Subscribe("w", gw, "will/#");
  FakeOutlet a;
  auto ga = Connect("a", a, true, 0, mqtt::Will{"will/a", "x", QoS::kAtMostOnce, true, {}});
  broker_.Disconnect("a", ga, a, /*publish_will=*/false, now_);
  EXPECT_TRUE(watcher.delivered.empty());
  ga = Connect("a", a, true, 0, mqtt::Will{"will/a", "x", QoS::kAtMostOnce, true, {}});
  broker_.Disconnect("a", ga, a, true, now_);
  ASSERT_EQ(watcher.delivered.size(), 1u);
  EXPECT_EQ(broker_.RetainedCount(), 1u);  // a retained will is retained

  mqtt::Will delayed{"will/b", "late", QoS::kAtMostOnce, false, {}};
  delayed.properties.will_delay_interval = 30;
  FakeOutlet b;
  auto gb = Connect("b", b, true, 600, delayed);
  broker_.Disconnect("b", gb, b, true, now_);
  broker_.Tick(now_ + 10s);
  EXPECT_EQ(watcher.delivered.size(), 1u);
  Connect("b", b, false, 600);  // back before the delay: no will
  broker_.Tick(now_ + 60s);
  EXPECT_EQ(watcher.delivered.size(), 1u);

  FakeOutlet c;
  auto gc = Connect("c", c, true, 600,
                    mqtt::Will{"will/c", "late", QoS::kAtMostOnce, false, delayed.properties});
  broker_.Disconnect("c", gc, c, true, now_);
  broker_.Tick(now_ + 29s);
  EXPECT_EQ(watcher.delivered.size(), 1u);
  broker_.Tick(now_ + 30s);
  EXPECT_EQ(watcher.Topics(), (std::vector<std::string>{"will/a", "will/c"}));
}

TEST_F(BrokerTest, SessionExpiresAfterItsInterval) {
  FakeOutlet a;
  auto gen = Connect("a", a, false, 60);
  broker_.Disconnect("a", gen, a, false, now_);
  broker_.Tick(now_ + 59s);
  EXPECT_TRUE(broker_.HasSession("a"));
  broker_.Tick(now_ + 60s);
  EXPECT_FALSE(broker_.HasSession("a"));
}

TEST_F(BrokerTest, ExpiredMessagesAreNotDeliveredFromQueuesOrRetained) {
  FakeOutlet a;
  auto gen = Connect("a", a, false, 3600);
  (void)Subscribe("a", gen, "e/#");
  broker_.Disconnect("a", gen, a, false, now_);
  Publish("e/1", "short", QoS::kAtLeastOnce, true, "pub", 5);
  Publish("e/2", "long", QoS::kAtLeastOnce, false, "pub", 500);
  now_ += 10s;
  FakeOutlet again;
  Connect("a", again, false, 3600);
  EXPECT_EQ(again.Topics(), std::vector<std::string>{"e/2"});
  EXPECT_EQ(metrics_.dropped_expired.Value(), 1u);
  FakeOutlet b;
  auto gb = Connect("b", b);
  EXPECT_TRUE(Subscribe("b", gb, "e/#").retained.empty());
  // The expiry interval sent is what is left.
  auto publish = ViewOf(again.delivered[0], mqtt::ProtocolVersion::kV5, now_);
  ASSERT_TRUE(publish.has_value());
  EXPECT_EQ(publish->message_expiry_interval, 490u);
  auto v3 = ViewOf(again.delivered[0], mqtt::ProtocolVersion::kV311, now_);
  ASSERT_TRUE(v3.has_value());
  EXPECT_FALSE(v3->message_expiry_interval.has_value());
  EXPECT_EQ(v3->properties, nullptr);
}

TEST_F(BrokerTest, AclDeniesSubscribeAndFiltersWildcardDeliveries) {
  FakeOutlet a;
  auto gen = Connect("a", a);
  EXPECT_EQ(Subscribe("a", gen, "secret/#").reason_codes, std::vector<std::uint8_t>{0x87});
  EXPECT_EQ(metrics_.subscribe_denied.Value(), 1u);
  (void)Subscribe("a", gen, "#");
  Publish("secret/x", "s", QoS::kAtMostOnce);
  Publish("open/x", "o", QoS::kAtMostOnce);
  EXPECT_EQ(a.Topics(), std::vector<std::string>{"open/x"});
}

TEST_F(BrokerTest, PlatformHookReceivesAndPublishesWithoutTcp) {
  std::vector<std::string> seen;
  auto id = broker_.AddInternalSubscriber(
      "dev/+/telemetry", [&](const Message& m, const AckToken&) { seen.push_back(m.payload); });
  FakeOutlet a;
  auto gen = Connect("a", a);
  (void)Subscribe("a", gen, "dev/+/cmd");
  EXPECT_EQ(Publish("dev/1/telemetry", "t1", QoS::kAtLeastOnce), 1u);
  EXPECT_EQ(seen, std::vector<std::string>{"t1"});
  EXPECT_EQ(broker_.PublishFromPlatform("dev/1/cmd", "relay", QoS::kAtLeastOnce, false, now_), 1u);
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_EQ(a.delivered[0].message->origin, "");
  broker_.RemoveInternalSubscriber(id);
  Publish("dev/1/telemetry", "t2", QoS::kAtLeastOnce);
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(BrokerTest, PlatformHookFiltersMatchLikeSubscriptions) {
  // Internal filters are checked against their literal prefix first; that must not change
  // what matches ("a/#" matches "a" itself).
  std::vector<std::string> seen;
  for (const char* filter : {"dev/#", "x/+/y", "#", "exact/t"}) {
    broker_.AddInternalSubscriber(filter, [&seen, filter](const Message& m, const AckToken&) {
      seen.push_back(std::string(filter) + " " + m.topic);
    });
  }
  for (const char* topic : {"dev", "dev/1", "devx/1", "x/1/y", "x/1/z", "exact/t", "exact/tt"}) {
    Publish(topic, "p", QoS::kAtMostOnce);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"# dev", "# dev/1", "# devx/1", "# exact/t",
                                            "# exact/tt", "# x/1/y", "# x/1/z", "dev/# dev",
                                            "dev/# dev/1", "exact/t exact/t", "x/+/y x/1/y"}));
}

TEST_F(BrokerTest, AckWaitsForTheInternalSubscriberThatKeepsTheToken) {
  AckToken kept;
  broker_.AddInternalSubscriber("dev/+/telemetry",
                                [&](const Message&, const AckToken& ack) { kept = ack; });
  std::vector<bool> acks;
  {
    auto ack = std::make_shared<AckLatch>([&](bool ok) { acks.push_back(ok); });
    mqtt::Publish p;
    p.topic = "dev/1/telemetry";
    p.payload = "t";
    p.qos = QoS::kAtLeastOnce;
    broker_.Publish(MakeMessage(p, "c", now_), now_, ack);
  }
  EXPECT_TRUE(acks.empty()) << "acknowledged while the subscriber still holds the message";
  kept->Fail();
  kept.reset();
  EXPECT_EQ(acks, std::vector<bool>{false});

  acks.clear();
  {
    auto ack = std::make_shared<AckLatch>([&](bool ok) { acks.push_back(ok); });
    mqtt::Publish p;
    p.topic = "other/topic";
    p.qos = QoS::kAtLeastOnce;
    broker_.Publish(MakeMessage(p, "c", now_), now_, ack);
  }
  EXPECT_EQ(acks, std::vector<bool>{true}) << "no internal subscriber: acknowledged at once";
}

TEST_F(BrokerTest, UnsubscribeReportsWhetherTheSubscriptionExisted) {
  FakeOutlet a;
  auto gen = Connect("a", a);
  (void)Subscribe("a", gen, "t");
  mqtt::Unsubscribe u;
  u.packet_id = 2;
  u.filters = {"t", "nope"};
  EXPECT_EQ(broker_.Unsubscribe("a", gen, u), (std::vector<std::uint8_t>{0x00, 0x11}));
  Publish("t", "x", QoS::kAtMostOnce);
  EXPECT_TRUE(a.delivered.empty());
}

// Keyed blobs in memory; can be told to fail.
class MemoryBrokerStore final : public BrokerStore {
 public:
  Status PutRetained(std::string_view, std::string_view) override { return Ok{}; }
  Status DeleteRetained(std::string_view) override { return Ok{}; }
  Result<std::vector<KeyedBlob>> LoadRetained() override { return std::vector<KeyedBlob>{}; }
  Status ReplaceSessions(const std::vector<KeyedBlob>& sessions) override {
    if (fail) return MakeError(Errc::kUnavailable, "disk full");
    this->sessions.clear();
    for (const auto& [id, blob] : sessions) this->sessions[id] = blob;
    return Ok{};
  }
  Status UpdateSessions(const std::vector<KeyedBlob>& put,
                        const std::vector<std::string>& removed) override {
    if (fail) return MakeError(Errc::kUnavailable, "disk full");
    ++updates;
    for (const auto& [id, blob] : put) sessions[id] = blob;
    for (const std::string& id : removed) sessions.erase(id);
    return Ok{};
  }
  Result<std::vector<KeyedBlob>> LoadSessions() override {
    return std::vector<KeyedBlob>(sessions.begin(), sessions.end());
  }

  std::map<std::string, std::string> sessions;
  bool fail = false;
  int updates = 0;
};

// Sessions reach the store from Tick as they change, so a broker that dies without
// SaveSessions (a crash) still has them when the next one restores.
TEST(BrokerPersistence, ChangedSessionsAreSavedByTheTickAndSurviveACrash) {
  metrics::Registry registry;
  BrokerMetrics metrics(registry);
  TestAuthenticator auth;
  MemoryBrokerStore store;
  BrokerOptions options;
  options.sys_interval = 0s;
  SysTime now = FromUnixSeconds(1'700'000'000);
  auto connect = [&](Broker& b, const std::string& id, FakeOutlet& outlet, bool clean,
                     std::uint32_t expiry) {
    ConnectRequest r;
    auto identity = std::make_shared<ClientIdentity>();
    identity->client_id = id;
    r.identity = identity;
    r.clean_start = clean;
    r.session_expiry_s = expiry;
    ConnectResult result = b.Connect(r, &outlet, now);
    for (auto& d : result.queued) outlet.delivered.push_back(std::move(d));
    return result;
  };
  auto publish = [&](Broker& b, const std::string& topic) {
    mqtt::Publish p;
    p.topic = topic;
    p.payload = "m";
    p.qos = QoS::kAtLeastOnce;
    b.Publish(MakeMessage(p, "pub", now), now);
  };
  auto subscribe = [&](Broker& b, const std::string& id, std::uint64_t gen) {
    mqtt::Subscribe s;
    s.packet_id = 1;
    mqtt::Subscription sub;
    sub.filter = "q/#";
    sub.max_qos = QoS::kAtLeastOnce;
    s.subscriptions.push_back(sub);
    (void)b.Subscribe(id, gen, s, now);
  };
  {
    Broker first(auth, metrics, options, &store);
    FakeOutlet a, b, c;
    const auto gen = connect(first, "a", a, false, 3600).generation;
    subscribe(first, "a", gen);
    connect(first, "b", b, true, 0);      // clean: never stored
    connect(first, "c", c, false, 3600);  // persistent for now
    first.Tick(now);
    EXPECT_EQ(store.sessions.size(), 2u) << "a and c, without a clean stop";
    EXPECT_FALSE(store.sessions.contains("b"));
    first.Disconnect("a", gen, a, false, now);
    publish(first, "q/1");  // queued for the offline session
    FakeOutlet c2;
    connect(first, "c", c2, true, 0);  // c starts clean: its session is gone
    store.fail = true;
    now += 1s;
    first.Tick(now);  // the write fails: kept for the next one
    store.fail = false;
    now += 100ms;
    first.Tick(now);
    EXPECT_EQ(store.updates, 1) << "at most one save per interval";
    now += 1s;
    first.Tick(now);
    EXPECT_FALSE(store.sessions.contains("c"));
    EXPECT_TRUE(store.sessions.contains("a"));
    const int updates = store.updates;
    now += 1s;
    first.Tick(now);
    EXPECT_EQ(store.updates, updates) << "nothing changed, nothing written";
    // No SaveSessions: the broker "crashes" here.
  }
  Broker second(auth, metrics, options, &store);
  ASSERT_TRUE(second.Restore(now).ok());
  FakeOutlet again;
  auto result = connect(second, "a", again, false, 3600);
  EXPECT_TRUE(result.session_present);
  ASSERT_EQ(again.Topics(), std::vector<std::string>{"q/1"}) << "the queued message survived";
  publish(second, "q/2");
  EXPECT_EQ(again.delivered.size(), 2u) << "and so did the subscription";
  EXPECT_FALSE(second.HasSession("c"));
}

TEST(BrokerSys, PublishesStatisticsUnderSys) {
  metrics::Registry registry;
  BrokerMetrics metrics(registry);
  DefaultAuthenticator auth(true);
  BrokerOptions options;
  options.sys_interval = 10s;
  Broker broker(auth, metrics, options);
  SysTime now = FromUnixSeconds(1'700'000'000);
  FakeOutlet a;
  ConnectRequest r;
  auto identity = std::make_shared<ClientIdentity>();
  identity->client_id = "a";
  r.identity = identity;
  auto gen = broker.Connect(r, &a, now).generation;
  mqtt::Subscribe s;
  s.packet_id = 1;
  s.subscriptions.push_back({"$SYS/broker/clients/connected", QoS::kAtMostOnce});
  (void)broker.Subscribe("a", gen, s, now);
  broker.Tick(now);
  ASSERT_EQ(a.delivered.size(), 1u);
  EXPECT_EQ(a.delivered[0].message->payload, "1");
  broker.Tick(now + 5s);  // not yet
  EXPECT_EQ(a.delivered.size(), 1u);
}

TEST(DefaultAuthenticator, AnonymousOnlyWhenAllowedAndNeverUnderSw) {
  mqtt::Connect c;
  ClientIdentity id;
  EXPECT_EQ(DefaultAuthenticator(false).Authenticate(c, id), mqtt::ReasonCode::kNotAuthorized);
  DefaultAuthenticator open(true);
  EXPECT_EQ(open.Authenticate(c, id), mqtt::ReasonCode::kSuccess);
  c.username = "dev-1";
  c.password = "secret";
  EXPECT_EQ(open.Authenticate(c, id), mqtt::ReasonCode::kBadUserNameOrPassword);
  EXPECT_FALSE(open.MayPublish(id, "sw/d/x/telemetry"));
  EXPECT_FALSE(open.MaySubscribe(id, "sw/#"));
  EXPECT_FALSE(open.MayReceive(id, "sw/d/x/cmd"));
  EXPECT_TRUE(open.MayPublish(id, "swx/a"));
  EXPECT_TRUE(open.MaySubscribe(id, "#"));
}

// The Connection's publish filter (added for the broker's ACL): 5.0 gets the reason code,
// 3.1.1 a positive acknowledgement, and the message never becomes a Published event.
TEST(ConnectionPublishFilter, DeniedPublishGetsReasonCodeIn5AndIsDroppedIn311) {
  for (auto version : {mqtt::ProtocolVersion::kV5, mqtt::ProtocolVersion::kV311}) {
    mqtt::ConnectionOptions options;
    options.publish_filter = [](const mqtt::Publish& p) {
      return p.topic == "denied" ? mqtt::ReasonCode::kNotAuthorized : mqtt::ReasonCode::kSuccess;
    };
    const SysTime now = FromUnixSeconds(1'700'000'000);
    mqtt::Connection conn(options, now);
    mqtt::Connect connect;
    connect.protocol_version = version;
    connect.client_id = "c";
    std::string bytes;
    ASSERT_TRUE(mqtt::Encode(connect, version, bytes).ok());
    (void)conn.OnBytes(bytes, now);
    (void)conn.Accept(false);
    for (QoS qos : {QoS::kAtLeastOnce, QoS::kExactlyOnce}) {
      mqtt::Publish p;
      p.topic = "denied";
      p.qos = qos;
      p.packet_id = 5;
      bytes.clear();
      ASSERT_TRUE(mqtt::Encode(p, version, bytes).ok());
      mqtt::Actions actions = conn.OnBytes(bytes, now);
      int published = 0;
      std::optional<std::uint8_t> code;
      for (auto& a : actions) {
        if (std::holds_alternative<mqtt::Published>(a)) ++published;
        if (auto* s = std::get_if<mqtt::SendBytes>(&a)) {
          auto packet = mqtt::Decode(s->bytes, version);
          ASSERT_TRUE(packet.ok());
          if (auto* ack = std::get_if<mqtt::Puback>(&*packet)) code = ack->reason_code;
          if (auto* rec = std::get_if<mqtt::Pubrec>(&*packet)) code = rec->reason_code;
        }
      }
      EXPECT_EQ(published, 0);
      ASSERT_TRUE(code.has_value());
      EXPECT_EQ(*code, version == mqtt::ProtocolVersion::kV5 ? 0x87 : 0x00);
      if (version == mqtt::ProtocolVersion::kV311 && qos == QoS::kExactlyOnce) {
        mqtt::Pubrel rel;
        rel.packet_id = 5;
        bytes.clear();
        ASSERT_TRUE(mqtt::Encode(rel, version, bytes).ok());
        (void)conn.OnBytes(bytes, now);
      }
    }
    EXPECT_EQ(conn.state(), mqtt::Connection::State::kConnected);
  }
}

}  // namespace
}  // namespace sw::broker
