#include "core/command_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "core/test_fakes.hpp"

namespace sw::core {
namespace {

using namespace std::chrono_literals;

using fakes::FakeCrypto;
using fakes::FakeDevices;
using fakes::MemoryCommands;

constexpr WorkshopId kA{1};
constexpr WorkshopId kB{2};

class CommandServiceTest : public ::testing::Test {
 protected:
  CommandServiceTest() { Make({}); }

  void Make(CommandOptions options) {
    service_ = std::make_unique<CommandService>(devices_, store_, crypto_, clock_, options);
    service_->AddListener([this](const Command& c, const CommandTransition& t) {
      heard_.push_back(c.id + ":" + std::string(CommandStateName(t.state)));
    });
  }

  Device AddDevice(std::string uid, DeviceKind kind, WorkshopId ws = kA) {
    Device d;
    d.id = DeviceId{static_cast<std::int64_t>(devices_.devices_.size() + 1)};
    d.uid = std::move(uid);
    d.kind = kind;
    d.workshop_id = ws;
    d.licence.status = LicenceStatus::kTrial;
    d.licence.expires_at = clock_.Now() + 24h * 30;
    devices_.devices_[d.uid] = d;
    return d;
  }

  static Principal User(Role role, WorkshopId ws = kA, std::int64_t id = 10) {
    Principal p;
    p.user_id = UserId{id + static_cast<int>(role)};
    p.username = std::string(RoleName(role));
    p.role = role;
    p.workshop_id = ws;
    return p;
  }

  static CommandRequest Relay(std::string socket, bool on) {
    return CommandRequest{"relay", {{"socket", std::move(socket)}, {"on", on}}, {}, {}};
  }

  Result<Command> IssueAndSend(const Principal& p, const std::string& uid,
                               const CommandRequest& r) {
    SW_ASSIGN_OR_RETURN(auto issued, service_->Issue(p, uid, r));
    SW_ASSIGN_OR_RETURN(bool sent, service_->MarkSent(issued.command));
    if (!sent) return MakeError(Errc::kInternal, "not sent");
    return store_.GetCommand(Scope::All(), issued.command.id);
  }

  ManualClock clock_;
  FakeDevices devices_;
  MemoryCommands store_;
  FakeCrypto crypto_;
  std::unique_ptr<CommandService> service_;
  std::vector<std::string> heard_;
};

TEST(CommandValidation, EachKindAcceptsItsCommandsAndRefusesTheRest) {
  using K = DeviceKind;
  for (const char* name : {"disable", "enable", "restart", "identify"}) {
    EXPECT_TRUE(ValidateCommand(K::kSensorNode, name, {}).ok()) << name;
  }
  auto interval = ValidateCommand(K::kSensorNode, "set_interval", {{"seconds", std::int64_t{30}}});
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(interval->params_json, R"({"seconds":30})");
  EXPECT_TRUE(interval->configuration);
  EXPECT_FALSE(
      ValidateCommand(K::kSensorNode, "set_interval", {{"seconds", std::int64_t{0}}}).ok());
  EXPECT_FALSE(ValidateCommand(K::kSensorNode, "set_interval", {{"seconds", 3.5}}).ok());
  EXPECT_FALSE(ValidateCommand(K::kSensorNode, "set_interval", {}).ok());
  EXPECT_FALSE(ValidateCommand(K::kSensorNode, "relay", {}).ok());

  EXPECT_TRUE(ValidateCommand(K::kGateway, "restart", {}).ok());
  EXPECT_TRUE(
      ValidateCommand(K::kGateway, "set_breaker_limit", {{"ma", std::int64_t{32000}}}).ok());
  auto cut = ValidateCommand(K::kGateway, "cut", {});
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->params_json, R"({"sockets":"all"})");
  EXPECT_TRUE(cut->short_lived);
  EXPECT_FALSE(ValidateCommand(K::kGateway, "cut", {{"sockets", std::string("a")}}).ok());
  EXPECT_FALSE(ValidateCommand(K::kGateway, "identify", {}).ok());

  auto relay = ValidateCommand(K::kOutlet, "relay", {{"socket", std::string("b")}, {"on", true}});
  ASSERT_TRUE(relay.ok());
  EXPECT_EQ(relay->params_json, R"({"socket":"b","on":true})");
  EXPECT_FALSE(relay->configuration);
  EXPECT_FALSE(
      ValidateCommand(K::kOutlet, "relay", {{"socket", std::string("c")}, {"on", true}}).ok());
  EXPECT_FALSE(
      ValidateCommand(K::kOutlet, "relay", {{"socket", std::string("a")}, {"on", std::int64_t{1}}})
          .ok());
  auto unknown = ValidateCommand(K::kOutlet, "relay",
                                 {{"socket", std::string("a")}, {"on", true}, {"force", true}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "params.force");
  EXPECT_TRUE(ValidateCommand(K::kOutlet, "set_threshold", {{"ma", std::int64_t{2500}}}).ok());
  EXPECT_TRUE(ValidateCommand(K::kOutlet, "cut", {}).ok());
  EXPECT_FALSE(ValidateCommand(K::kCamera, "restart", {}).ok());
  EXPECT_FALSE(ValidateCommand(K::kOutlet, "update_firmware", {}).ok());
}

TEST_F(CommandServiceTest, PermissionsFollowTheTable) {
  AddDevice("OUT-1", DeviceKind::kOutlet);
  AddDevice("OUT-B", DeviceKind::kOutlet, kB);
  EXPECT_TRUE(service_->Issue(User(Role::kStaff), "OUT-1", Relay("a", true)).ok());
  const CommandRequest threshold{"set_threshold", {{"ma", std::int64_t{2000}}}, {}, {}};
  auto staff_config = service_->Issue(User(Role::kStaff), "OUT-1", threshold);
  ASSERT_FALSE(staff_config.ok());
  EXPECT_EQ(staff_config.error().code, Errc::kForbidden);
  EXPECT_TRUE(service_->Issue(User(Role::kOwner), "OUT-1", threshold).ok());
  auto customer = service_->Issue(User(Role::kCustomer), "OUT-1", Relay("a", true));
  ASSERT_FALSE(customer.ok());
  EXPECT_EQ(customer.error().code, Errc::kForbidden);
  auto other = service_->Issue(User(Role::kOwner), "OUT-B", Relay("a", true));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Errc::kNotFound);
  EXPECT_EQ(service_->List(User(Role::kCustomer), "OUT-1", {}).error().code, Errc::kForbidden);
  EXPECT_EQ(service_->List(User(Role::kStaff), "OUT-B", {}).error().code, Errc::kNotFound);
  ASSERT_TRUE(service_->List(User(Role::kStaff), "OUT-1", {}).ok());
  EXPECT_EQ(service_->List(User(Role::kStaff), "OUT-1", {})->items.size(), 2u);
}

TEST_F(CommandServiceTest, RefusesDevicesThatMayNotBeCommanded) {
  Device d = AddDevice("OUT-1", DeviceKind::kOutlet);
  d.status = DeviceStatus::kDisabled;
  devices_.devices_["OUT-1"] = d;
  auto disabled = service_->Issue(User(Role::kOwner), "OUT-1", Relay("a", true));
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(disabled.error().Code(), std::string("DEVICE_DISABLED"));
  d.status = DeviceStatus::kActive;
  d.licence.status = LicenceStatus::kSuspended;
  devices_.devices_["OUT-1"] = d;
  auto unlicensed = service_->Issue(User(Role::kOwner), "OUT-1", Relay("a", true));
  ASSERT_FALSE(unlicensed.ok());
  EXPECT_EQ(unlicensed.error().Code(), std::string("LICENCE_SUSPENDED"));
  d.licence.status = LicenceStatus::kTrial;
  d.licence.expires_at = clock_.Now() - 24h * 8;  // past the 7 grace days
  devices_.devices_["OUT-1"] = d;
  EXPECT_EQ(service_->Issue(User(Role::kOwner), "OUT-1", Relay("a", true)).error().Code(),
            std::string("LICENCE_EXPIRED"));
}

TEST_F(CommandServiceTest, IdempotencyKeyReturnsTheSameCommand) {
  AddDevice("OUT-1", DeviceKind::kOutlet);
  CommandRequest r = Relay("a", true);
  r.idempotency_key = "click-42";
  auto first = service_->Issue(User(Role::kStaff), "OUT-1", r);
  auto again = service_->Issue(User(Role::kStaff), "OUT-1", r);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(first->command.id, again->command.id);
  // Another user with the same key makes its own command.
  auto owner = service_->Issue(User(Role::kOwner), "OUT-1", r);
  ASSERT_TRUE(owner.ok());
  EXPECT_NE(owner->command.id, first->command.id);
  // The same key for a different command is a mistake, not a replay.
  CommandRequest off = Relay("a", false);
  off.idempotency_key = "click-42";
  auto reused = service_->Issue(User(Role::kStaff), "OUT-1", off);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().Code(), std::string("IDEMPOTENCY_KEY_REUSED"));
}

TEST_F(CommandServiceTest, BoundsOpenCommandsPerDeviceAndCommandsPerUser) {
  CommandOptions o;
  o.max_open_per_device = 3;
  o.per_user_per_minute = 5;
  Make(o);
  AddDevice("OUT-1", DeviceKind::kOutlet);
  AddDevice("OUT-2", DeviceKind::kOutlet);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(service_->Issue(User(Role::kOwner), "OUT-1", Relay("a", i % 2 == 0)).ok());
  }
  auto full = service_->Issue(User(Role::kOwner), "OUT-1", Relay("a", true));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().Code(), std::string("COMMAND_QUEUE_FULL"));
  ASSERT_TRUE(service_->Issue(User(Role::kOwner), "OUT-2", Relay("a", true)).ok());
  auto limited = service_->Issue(User(Role::kOwner), "OUT-2", Relay("a", true));
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, Errc::kRateLimited);
  EXPECT_TRUE(service_->Issue(User(Role::kStaff), "OUT-2", Relay("b", true)).ok());
}

TEST_F(CommandServiceTest, RelayExpiresAfterSixtySecondsAndIsNeverSentAfterwards) {
  AddDevice("OUT-1", DeviceKind::kOutlet);
  auto issued = service_->Issue(User(Role::kStaff), "OUT-1", Relay("a", true));
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->command.expires_at - issued->command.created_at, 60s);
  CommandRequest custom = Relay("b", true);
  custom.expires_in_s = 5;
  auto short_lived = service_->Issue(User(Role::kStaff), "OUT-1", custom);
  ASSERT_TRUE(short_lived.ok());
  EXPECT_EQ(short_lived->command.expires_at - short_lived->command.created_at, 5s);
  custom.expires_in_s = 0;
  EXPECT_FALSE(service_->Issue(User(Role::kStaff), "OUT-1", custom).ok());
  clock_.Advance(61s);
  EXPECT_TRUE(service_->Due(10)->empty());
  EXPECT_FALSE(*service_->MarkSent(issued->command));
  EXPECT_EQ(*service_->ExpireDue(), 2);
  EXPECT_EQ(store_.GetCommand(Scope::All(), issued->command.id)->state, CommandState::kExpired);
  EXPECT_NE(std::find(heard_.begin(), heard_.end(), issued->command.id + ":expired"), heard_.end());
}

TEST_F(CommandServiceTest, ResendsWithBackOffUntilAnswered) {
  AddDevice("OUT-1", DeviceKind::kOutlet);
  auto sent = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("a", true));
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_TRUE(service_->Due(10)->empty());
  clock_.Advance(2s);
  auto due = service_->Due(10);
  ASSERT_EQ(due->size(), 1u);
  ASSERT_TRUE(*service_->MarkSent(due->front()));
  clock_.Advance(3s);
  EXPECT_TRUE(service_->Due(10)->empty());  // second re-send after 4 s
  clock_.Advance(1s);
  EXPECT_EQ(service_->Due(10)->size(), 1u);
  EXPECT_EQ(store_.GetCommand(Scope::All(), sent->id)->attempts, 2);
}

TEST_F(CommandServiceTest, ResultsEndTheCommandAndALateOneChangesNothing) {
  Device d = AddDevice("OUT-1", DeviceKind::kOutlet);
  Device other = AddDevice("OUT-2", DeviceKind::kOutlet);
  auto ok = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("a", true));
  auto failed = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("b", true));
  ASSERT_TRUE(ok.ok() && failed.ok());
  // Another device cannot answer for it.
  EXPECT_EQ(service_->ApplyResult(other, {ok->id, true, "", 900}).error().code, Errc::kNotFound);
  auto done = service_->ApplyResult(d, {ok->id, true, "switched", 900});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, CommandState::kSucceeded);
  auto refused = service_->ApplyResult(d, {failed->id, false, "tripped", std::nullopt});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->state, CommandState::kFailed);
  EXPECT_EQ(refused->result_detail, "tripped");

  auto late = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("a", false));
  ASSERT_TRUE(late.ok());
  clock_.Advance(61s);  // not swept yet: the result itself finds it expired
  auto after = service_->ApplyResult(d, {late->id, true, "switched late", 3});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state, CommandState::kExpired);
  const auto stored = *store_.GetCommand(Scope::All(), late->id);
  EXPECT_EQ(stored.state, CommandState::kExpired);
  ASSERT_FALSE(stored.transitions.empty());
  EXPECT_NE(stored.transitions.back().detail.find("late result (ok)"), std::string::npos);
  EXPECT_FALSE(stored.verified.has_value());
}

TEST_F(CommandServiceTest, RelayResultsAreCheckedAgainstTheMeasuredCurrent) {
  Device d = AddDevice("OUT-1", DeviceKind::kOutlet);
  auto on = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("a", true));
  auto off = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("b", false));
  auto welded = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("a", false));
  auto unmeasured = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("b", true));
  ASSERT_TRUE(on.ok() && off.ok() && welded.ok() && unmeasured.ok());
  EXPECT_EQ(service_->ApplyResult(d, {on->id, true, "", 1200})->verified, true);
  EXPECT_EQ(service_->ApplyResult(d, {off->id, true, "", 12})->verified, true);
  auto mismatch = service_->ApplyResult(d, {welded->id, true, "", 900});
  EXPECT_EQ(mismatch->verified, false);
  EXPECT_EQ(mismatch->measured_ma, 900);
  EXPECT_NE(mismatch->result_detail.find("current mismatch"), std::string::npos);
  EXPECT_FALSE(service_->ApplyResult(d, {unmeasured->id, true, "", std::nullopt})->verified);
}

TEST_F(CommandServiceTest, CancelOnlyWhileQueued) {
  Device d = AddDevice("OUT-1", DeviceKind::kOutlet);
  auto queued = service_->Issue(User(Role::kStaff), "OUT-1", Relay("a", true));
  auto sent = IssueAndSend(User(Role::kStaff), "OUT-1", Relay("b", true));
  ASSERT_TRUE(queued.ok() && sent.ok());
  EXPECT_EQ(service_->Cancel(User(Role::kCustomer), queued->command.id).error().code,
            Errc::kForbidden);
  auto cancelled = service_->Cancel(User(Role::kStaff), queued->command.id);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, CommandState::kCancelled);
  EXPECT_FALSE(*service_->MarkSent(queued->command));
  EXPECT_EQ(service_->Cancel(User(Role::kStaff), sent->id).error().Code(),
            std::string("COMMAND_NOT_QUEUED"));
  EXPECT_EQ(service_->Get(User(Role::kOwner, kB), sent->id).error().code, Errc::kNotFound);
  EXPECT_NE(std::find(heard_.begin(), heard_.end(), queued->command.id + ":cancelled"),
            heard_.end());
}

// The MQTT bridge delivers a new command from inside Issue (a listener): the answer says so.
TEST_F(CommandServiceTest, IssueAnswersWithTheStateAfterImmediateDelivery) {
  AddDevice("OUT-1", DeviceKind::kOutlet);
  service_->AddListener([this](const Command& c, const CommandTransition& t) {
    if (t.state == CommandState::kQueued) {
      ASSERT_TRUE(*service_->MarkSent(c));
    }
  });
  auto issued = service_->Issue(User(Role::kStaff), "OUT-1", Relay("a", true));
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->command.state, CommandState::kSent);
  EXPECT_EQ(issued->command.attempts, 1);
}

TEST_F(CommandServiceTest, GatewayClaimsAndAnswersForItsOutlets) {
  Device gw = AddDevice("CCU-1", DeviceKind::kGateway);
  Device outlet = AddDevice("CCU-1.01", DeviceKind::kOutlet);
  outlet.parent_id = gw.id;
  devices_.devices_[outlet.uid] = outlet;
  auto issued = service_->Issue(User(Role::kStaff), outlet.uid, Relay("a", true));
  ASSERT_TRUE(issued.ok());
  const std::uint64_t generation = service_->Generation();
  EXPECT_TRUE(service_->WaitForNew(generation - 1, 0ms));  // a new command since
  auto claimed = service_->ClaimFor(outlet, 10);
  ASSERT_EQ(claimed->size(), 1u);
  auto done = service_->ApplyResult(gw, {issued->command.id, true, "", 700});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->verified, true);
}

}  // namespace
}  // namespace sw::core
