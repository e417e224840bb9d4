// CommandStore contract tests on SQLite (issue 7).
#include <gtest/gtest.h>

#include "storage/sqlite/sqlite_store.hpp"

namespace sw::storage::sqlite {
namespace {

using namespace std::chrono_literals;
using core::Command;
using core::CommandState;
using core::Scope;

class CommandStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::Open(":memory:", 1000, clock_, nullptr);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    a_ = MakeWorkshop("a");
    b_ = MakeWorkshop("b");
    dev_a_ = MakeDevice(a_, "DEV-A");
    dev_b_ = MakeDevice(b_, "DEV-B");
  }
  WorkshopId MakeWorkshop(const char* slug) {
    core::Workshop w;
    w.name = slug;
    w.slug = slug;
    return store_->CreateWorkshop(w)->id;
  }
  core::Device MakeDevice(WorkshopId ws, const std::string& uid) {
    core::Device d;
    d.uid = uid;
    d.workshop_id = ws;
    d.secret_hash = "h";
    d.licence.key = "LIC-" + uid;
    d.licence.expires_at = clock_.Now() + 24h;
    auto r = store_->CreateDevice(Scope::All(), d);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return *r;
  }
  Command Draft(const core::Device& d, const std::string& id, std::optional<std::string> key = {}) {
    Command c;
    c.id = id;
    c.device_id = d.id;
    c.workshop_id = d.workshop_id;
    c.name = "identify";
    c.params_json = "{}";
    c.issued_by = UserId{7};
    c.idempotency_key = std::move(key);
    c.created_at = clock_.Now();
    c.expires_at = clock_.Now() + 60s;
    c.transitions = {{CommandState::kQueued, clock_.Now(), "issued"}};
    return c;
  }

  ManualClock clock_;
  std::unique_ptr<SqliteStore> store_;
  WorkshopId a_, b_;
  core::Device dev_a_, dev_b_;
};

TEST_F(CommandStoreTest, CreateReadAndScope) {
  auto created = store_->CreateCommand(Draft(dev_a_, "c1"), 32);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(created->second);
  const Command& c = created->first;
  EXPECT_EQ(c.device_uid, "DEV-A");
  EXPECT_EQ(c.state, CommandState::kQueued);
  ASSERT_EQ(c.transitions.size(), 1u);
  EXPECT_EQ(c.transitions[0].detail, "issued");
  EXPECT_TRUE(store_->GetCommand(Scope::Of(a_), "c1").ok());
  EXPECT_EQ(store_->GetCommand(Scope::Of(b_), "c1").error().code, Errc::kNotFound);
  ASSERT_TRUE(store_->CreateCommand(Draft(dev_a_, "c2"), 32).ok());
  auto page = store_->ListCommands(Scope::Of(a_), dev_a_.id, {1, 10});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 2);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id, "c2");  // newest first
  EXPECT_EQ(store_->ListCommands(Scope::Of(b_), dev_a_.id, {1, 10})->total, 0);
}

TEST_F(CommandStoreTest, IdempotencyKeyAndQueueBound) {
  ASSERT_TRUE(store_->CreateCommand(Draft(dev_a_, "c1", "k"), 2).ok());
  auto replay = store_->CreateCommand(Draft(dev_a_, "c9", "k"), 2);
  ASSERT_TRUE(replay.ok());
  EXPECT_FALSE(replay->second);
  EXPECT_EQ(replay->first.id, "c1");
  EXPECT_EQ((*store_->FindByIdempotencyKey(UserId{7}, dev_a_.id, "k"))->id, "c1");
  EXPECT_FALSE(store_->FindByIdempotencyKey(UserId{8}, dev_a_.id, "k")->has_value());
  ASSERT_TRUE(store_->CreateCommand(Draft(dev_a_, "c2"), 2).ok());
  auto full = store_->CreateCommand(Draft(dev_a_, "c3"), 2);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().Code(), std::string("COMMAND_QUEUE_FULL"));
  EXPECT_TRUE(store_->CreateCommand(Draft(dev_b_, "c4"), 2).ok());
}

TEST_F(CommandStoreTest, DeliveryClaimsBackOffAndExpiry) {
  ASSERT_TRUE(store_->CreateCommand(Draft(dev_a_, "c1"), 32).ok());
  const SysTime now = clock_.Now();
  ASSERT_EQ(store_->ListDueCommands(dev_a_.id, now, 10)->size(), 1u);
  EXPECT_TRUE(store_->ListDueCommands(dev_b_.id, now, 10)->empty());
  EXPECT_TRUE(*store_->MarkCommandSent("c1", now, now + 2s));
  EXPECT_FALSE(*store_->MarkCommandSent("c1", now, now + 2s));  // claimed once
  EXPECT_TRUE(store_->ListDueCommands(std::nullopt, now + 1s, 10)->empty());
  EXPECT_EQ(store_->ListDueCommands(std::nullopt, now + 2s, 10)->size(), 1u);
  auto c = *store_->GetCommand(Scope::All(), "c1");
  EXPECT_EQ(c.state, CommandState::kSent);
  EXPECT_EQ(c.attempts, 1);
  EXPECT_EQ(c.sent_at, now);
  EXPECT_EQ(c.transitions.back().detail, "attempt 1");
  // Past its expiry: never claimed again, then expired.
  EXPECT_FALSE(*store_->MarkCommandSent("c1", now + 60s, now + 64s));
  auto expired = store_->ExpireCommands(now + 60s, 100);
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].state, CommandState::kExpired);
  EXPECT_TRUE(store_->ExpireCommands(now + 61s, 100)->empty());
}

// Regression: expiry at a time that is not a whole millisecond (any real clock) returned
// nothing, so no live `command` event was sent for an expired command.
TEST_F(CommandStoreTest, ExpiryReturnsWhatItExpiredAtAnyClockPrecision) {
  ASSERT_TRUE(store_->CreateCommand(Draft(dev_a_, "c1"), 32).ok());
  const SysTime later = clock_.Now() + 60s + std::chrono::microseconds(1234);
  auto expired = store_->ExpireCommands(later, 100);
  ASSERT_TRUE(expired.ok()) << expired.error().message;
  ASSERT_EQ(expired->size(), 1u);
  EXPECT_EQ((*expired)[0].id, "c1");
  EXPECT_EQ((*expired)[0].state, CommandState::kExpired);
  EXPECT_EQ((*expired)[0].transitions.back().state, CommandState::kExpired);
  EXPECT_TRUE(store_->ExpireCommands(later, 100)->empty());  // once
}

TEST_F(CommandStoreTest, FinishOnlyFromTheGivenStatesAndLateTransitions) {
  ASSERT_TRUE(store_->CreateCommand(Draft(dev_a_, "c1"), 32).ok());
  const core::CommandOutcome ok{CommandState::kSucceeded, clock_.Now(), "done", true, 850};
  EXPECT_FALSE(store_->FinishCommand("c1", {CommandState::kSent}, ok)->has_value());
  ASSERT_TRUE(*store_->MarkCommandSent("c1", clock_.Now(), clock_.Now() + 2s));
  auto done = store_->FinishCommand("c1", {CommandState::kSent}, ok);
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_EQ((*done)->state, CommandState::kSucceeded);
  EXPECT_EQ((*done)->verified, true);
  EXPECT_EQ((*done)->measured_ma, 850);
  ASSERT_TRUE(store_
                  ->AppendCommandTransition(
                      "c1", {CommandState::kSucceeded, clock_.Now(), "late result (ok)"})
                  .ok());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(
        store_->AppendCommandTransition("c1", {CommandState::kSucceeded, clock_.Now(), "x"}).ok());
  }
  auto c = *store_->GetCommand(Scope::All(), "c1");
  EXPECT_EQ(c.state, CommandState::kSucceeded);
  EXPECT_EQ(c.transitions.size(), 32u);  // bounded
}

TEST_F(CommandStoreTest, AGatewaysOutletsAndTheirSocketCommands) {
  core::Device gw;
  gw.uid = "GW-1";
  gw.kind = core::DeviceKind::kGateway;
  gw.workshop_id = a_;
  gw.secret_hash = "h";
  gw.licence.key = "LIC-GW-1";
  gw.licence.expires_at = clock_.Now() + 24h;
  gw = *store_->CreateDevice(Scope::All(), gw);
  std::vector<core::Device> outlets;
  for (int address : {2, 1}) {
    core::Device o = gw;
    o.uid = core::OutletUid(gw.uid, address);
    o.kind = core::DeviceKind::kOutlet;
    o.parent_id = gw.id;
    o.radio_address = address;
    o.licence.key = "LIC-" + o.uid;
    auto created = store_->CreateDevice(Scope::All(), o);
    ASSERT_TRUE(created.ok()) << created.error().message;
    outlets.push_back(*created);
  }
  core::DeviceFilter f;
  f.parent_id = gw.id;
  auto listed = store_->ListDevices(Scope::Of(a_), a_, f, {1, 10});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->total, 2);
  EXPECT_EQ(listed->items[0].uid, "GW-1.01");  // by uid
  f.parent_id = dev_a_.id;
  EXPECT_EQ(store_->ListDevices(Scope::Of(a_), a_, f, {1, 10})->total, 0);

  // Outlet GW-1.01: two succeeded relay commands, an open cut, a failed relay, an identify.
  const core::Device& o1 = outlets[1];
  const auto add = [&](const std::string& id, const std::string& name) {
    Command c = Draft(o1, id);
    c.name = name;
    ASSERT_TRUE(store_->CreateCommand(c, 32).ok());
  };
  const auto finish = [&](const std::string& id, CommandState state, SysTime at) {
    ASSERT_TRUE(*store_->MarkCommandSent(id, clock_.Now(), clock_.Now() + 2s));
    ASSERT_TRUE(
        store_->FinishCommand(id, {CommandState::kSent}, {state, at, "", {}, {}})->has_value());
  };
  add("early", "relay");
  add("late", "relay");
  add("failed", "relay");
  add("other", "identify");
  add("open", "cut");
  finish("late", CommandState::kSucceeded, clock_.Now() + 5s);
  finish("early", CommandState::kSucceeded, clock_.Now() + 2s);
  finish("failed", CommandState::kFailed, clock_.Now() + 6s);
  auto got = store_->ListSocketCommands(std::vector<core::DeviceId>{o1.id, outlets[0].id}, 1);
  ASSERT_TRUE(got.ok()) << got.error().message;
  std::vector<std::string> ids;
  for (const Command& c : *got) ids.push_back(c.id);
  // The open one, then the newest succeeded by finish time (recent = 1); nothing of GW-1.02.
  EXPECT_EQ(ids, (std::vector<std::string>{"open", "late"}));
  EXPECT_EQ(store_->ListSocketCommands(std::vector<core::DeviceId>{o1.id}, 8)->size(), 3u);
}

TEST_F(CommandStoreTest, PurgingTheDeviceRemovesItsCommands) {
  ASSERT_TRUE(store_->CreateCommand(Draft(dev_a_, "c1"), 32).ok());
  ASSERT_TRUE(store_->DeleteDevice(Scope::All(), dev_a_.id, /*purge=*/true).ok());
  EXPECT_EQ(store_->GetCommand(Scope::All(), "c1").error().code, Errc::kNotFound);
}

}  // namespace
}  // namespace sw::storage::sqlite
