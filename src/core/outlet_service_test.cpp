#include "core/outlet_service.hpp"

#include <gtest/gtest.h>

#include "core/test_fakes.hpp"

namespace sw::core {
namespace {

using namespace std::chrono_literals;

constexpr WorkshopId kA{1};
constexpr WorkshopId kB{2};
constexpr DeviceId kOutlet{7};

LatestValue Value(std::string metric, double value, SysTime at) {
  return LatestValue{kOutlet, std::move(metric), ToUnixMillis(at), value, 0};
}

Command RelayCommand(std::string id, std::string socket, bool on, CommandState state,
                     SysTime created) {
  Command c;
  c.id = std::move(id);
  c.device_id = kOutlet;
  c.name = "relay";
  c.params_json = R"({"socket":")" + socket + R"(","on":)" + (on ? "true" : "false") + "}";
  c.state = state;
  c.created_at = created;
  return c;
}

Command Finished(Command c, SysTime at, std::optional<std::int64_t> measured = std::nullopt,
                 std::optional<bool> verified = std::nullopt) {
  c.finished_at = at;
  c.measured_ma = measured;
  c.verified = verified;
  return c;
}

Device Outlet() {
  Device d;
  d.id = kOutlet;
  d.uid = "CCU-1.01";
  d.kind = DeviceKind::kOutlet;
  d.workshop_id = kA;
  return d;
}

const SysTime kT0 = SysTime{std::chrono::seconds{1'700'000'000}};

TEST(ComposeOutletState, NothingReportedIsUnknown) {
  const OutletState s = ComposeOutletState(Outlet(), {}, {});
  ASSERT_EQ(s.sockets.size(), 2u);
  EXPECT_EQ(s.sockets[0].socket, "a");
  EXPECT_EQ(s.sockets[1].socket, "b");
  for (const SocketState& socket : s.sockets) {
    EXPECT_FALSE(socket.relay.has_value());
    EXPECT_FALSE(socket.current_ma.has_value());
    EXPECT_FALSE(socket.tripped.has_value());
    EXPECT_FALSE(socket.threshold_ma.has_value());
    EXPECT_FALSE(socket.commanded.has_value());
  }
}

TEST(ComposeOutletState, ReadingsAreTheReportedStateWithTheirTime) {
  const std::vector<LatestValue> latest = {
      Value("relay_a", 1, kT0),         Value("current_a_ma", 1799.6, kT0),
      Value("relay_b", 0, kT0 + 1s),    Value("tripped_b", 1, kT0 + 1s),
      Value("threshold_ma", 3000, kT0), Value("temperature", 21, kT0),
  };
  const OutletState s = ComposeOutletState(Outlet(), latest, {});
  const SocketState& a = s.sockets[0];
  const SocketState& b = s.sockets[1];
  ASSERT_TRUE(a.relay && b.relay);
  EXPECT_TRUE(a.relay->value);
  EXPECT_EQ(a.relay->at, kT0);
  EXPECT_EQ(a.relay_source, RelaySource::kTelemetry);
  EXPECT_EQ(a.current_ma->value, 1800);
  EXPECT_FALSE(a.tripped.has_value());
  EXPECT_FALSE(b.relay->value);
  EXPECT_EQ(b.relay->at, kT0 + 1s);
  EXPECT_TRUE(b.tripped->value);
  EXPECT_FALSE(b.current_ma.has_value());
  EXPECT_EQ(a.threshold_ma->value, 3000);
  EXPECT_EQ(b.threshold_ma->value, 3000);
}

TEST(ComposeOutletState, AnOpenCommandIsShownBesideTheReportedStateNeverInsteadOfIt) {
  const std::vector<LatestValue> latest = {Value("relay_a", 1, kT0)};
  const std::vector<Command> commands = {
      RelayCommand("old", "a", true, CommandState::kSent, kT0 + 1s),
      RelayCommand("new", "a", false, CommandState::kQueued, kT0 + 2s),
  };
  const OutletState s = ComposeOutletState(Outlet(), latest, commands);
  const SocketState& a = s.sockets[0];
  EXPECT_TRUE(a.relay->value);  // what the device said, still
  ASSERT_TRUE(a.commanded.has_value());
  EXPECT_FALSE(a.commanded->on);  // the newest open command wins: devices run them in order
  EXPECT_EQ(a.commanded->command_id, "new");
  EXPECT_EQ(a.commanded->state, CommandState::kQueued);
  EXPECT_EQ(a.commanded->since, kT0 + 2s);
  EXPECT_FALSE(s.sockets[1].commanded.has_value());  // socket b is not concerned
}

TEST(ComposeOutletState, ADeviceConfirmationNewerThanTheReadingIsTheReportedState) {
  const std::vector<LatestValue> latest = {Value("relay_a", 1, kT0),
                                           Value("current_a_ma", 1800, kT0)};
  const std::vector<Command> commands = {Finished(
      RelayCommand("off", "a", false, CommandState::kSucceeded, kT0 + 1s), kT0 + 2s, 20, true)};
  const SocketState a = ComposeOutletState(Outlet(), latest, commands).sockets[0];
  EXPECT_FALSE(a.relay->value);
  EXPECT_EQ(a.relay->at, kT0 + 2s);
  EXPECT_EQ(a.relay_source, RelaySource::kCommandResult);
  EXPECT_EQ(a.relay_verified, true);
  EXPECT_EQ(a.current_ma->value, 20);  // measured after switching
  EXPECT_EQ(a.current_ma->at, kT0 + 2s);
  EXPECT_FALSE(a.commanded.has_value());  // ended: no longer shown as commanded

  // A later reading wins over the confirmation (the relay was switched back locally).
  const std::vector<LatestValue> later = {Value("relay_a", 1, kT0 + 3s)};
  const SocketState again = ComposeOutletState(Outlet(), later, commands).sockets[0];
  EXPECT_TRUE(again.relay->value);
  EXPECT_EQ(again.relay_source, RelaySource::kTelemetry);
  EXPECT_FALSE(again.relay_verified.has_value());
}

TEST(ComposeOutletState, FailedExpiredAndCancelledCommandsChangeNothing) {
  const std::vector<LatestValue> latest = {Value("relay_b", 1, kT0)};
  std::vector<Command> commands;
  for (auto state : {CommandState::kFailed, CommandState::kExpired, CommandState::kCancelled}) {
    commands.push_back(Finished(
        RelayCommand(std::string(CommandStateName(state)), "b", false, state, kT0 + 1s), kT0 + 2s));
  }
  const SocketState b = ComposeOutletState(Outlet(), latest, commands).sockets[1];
  EXPECT_TRUE(b.relay->value);
  EXPECT_EQ(b.relay_source, RelaySource::kTelemetry);
  EXPECT_FALSE(b.commanded.has_value());
}

TEST(ComposeOutletState, ACutCoversBothSocketsAndOtherDevicesCommandsAreIgnored) {
  Command cut;
  cut.id = "cut-1";
  cut.device_id = kOutlet;
  cut.name = "cut";
  cut.params_json = R"({"sockets":"all"})";
  cut.state = CommandState::kSent;
  cut.created_at = kT0;
  Command foreign = RelayCommand("foreign", "a", true, CommandState::kQueued, kT0 + 1s);
  foreign.device_id = DeviceId{99};
  const OutletState s = ComposeOutletState(Outlet(), {}, std::vector<Command>{cut, foreign});
  for (const SocketState& socket : s.sockets) {
    ASSERT_TRUE(socket.commanded.has_value()) << socket.socket;
    EXPECT_FALSE(socket.commanded->on);
    EXPECT_EQ(socket.commanded->command_id, "cut-1");
    EXPECT_EQ(socket.commanded->command_name, "cut");
    EXPECT_FALSE(socket.relay.has_value());
  }
}

class OutletServiceTest : public ::testing::Test {
 protected:
  OutletServiceTest() : ingest_(telemetry_, clock_, metrics_) {
    for (WorkshopId id : {kA, kB}) {
      Workshop w;
      w.id = id;
      workshops_.workshops_[id.value] = w;
    }
    Make({});
  }

  void Make(CommandOptions options) {
    commands_ = std::make_unique<CommandService>(devices_, store_, crypto_, clock_, options);
    service_ = std::make_unique<OutletService>(workshops_, devices_, store_, *commands_, ingest_,
                                               presence_);
  }

  Device Add(std::string uid, DeviceKind kind, WorkshopId ws = kA,
             std::optional<DeviceId> parent = std::nullopt) {
    Device d;
    d.id = DeviceId{static_cast<std::int64_t>(devices_.devices_.size() + 1)};
    d.uid = std::move(uid);
    d.kind = kind;
    d.workshop_id = ws;
    d.parent_id = parent;
    d.licence.status = LicenceStatus::kTrial;
    d.licence.expires_at = clock_.Now() + 24h * 30;
    devices_.devices_[d.uid] = d;
    return d;
  }

  static Principal User(Role role, WorkshopId ws = kA) {
    Principal p;
    p.user_id = UserId{10 + static_cast<int>(role) + 100 * static_cast<int>(ws.value)};
    p.username = std::string(RoleName(role));
    p.role = role;
    p.workshop_id = role == Role::kSuperAdmin ? std::nullopt : std::optional<WorkshopId>(ws);
    return p;
  }

  ManualClock clock_;
  metrics::Registry metrics_;
  fakes::FakeWorkshops workshops_;
  fakes::FakeDevices devices_;
  fakes::MemoryCommands store_;
  fakes::FakeCrypto crypto_;
  fakes::FixedTelemetry telemetry_;
  IngestService ingest_;
  PresenceTracker presence_;
  std::unique_ptr<CommandService> commands_;
  std::unique_ptr<OutletService> service_;
};

TEST_F(OutletServiceTest, SocketsOfAnOutletFollowTheTableAndTheKind) {
  Device gw = Add("CCU-1", DeviceKind::kGateway);
  Device outlet = Add("CCU-1.01", DeviceKind::kOutlet, kA, gw.id);
  Add("NODE-1", DeviceKind::kSensorNode);
  Device other_gw = Add("CCU-B", DeviceKind::kGateway, kB);
  Add("CCU-B.01", DeviceKind::kOutlet, kB, other_gw.id);
  telemetry_.latest_.push_back(
      LatestValue{outlet.id, "relay_b", ToUnixMillis(clock_.Now()), 1.0, 0});
  ASSERT_TRUE(commands_
                  ->Issue(User(Role::kStaff), outlet.uid,
                          {"relay", {{"socket", std::string("b")}, {"on", false}}, {}, {}})
                  .ok());

  auto s = service_->Sockets(User(Role::kStaff), outlet.uid);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->sockets[1].relay->value);
  ASSERT_TRUE(s->sockets[1].commanded.has_value());
  EXPECT_FALSE(s->sockets[1].commanded->on);

  EXPECT_EQ(service_->Sockets(User(Role::kCustomer), outlet.uid).error().code, Errc::kForbidden);
  EXPECT_EQ(service_->Sockets(User(Role::kOwner, kB), outlet.uid).error().code, Errc::kNotFound);
  EXPECT_EQ(service_->Sockets(User(Role::kOwner), "CCU-B.01").error().code, Errc::kNotFound);
  EXPECT_EQ(service_->Sockets(User(Role::kOwner), "NODE-1").error().code, Errc::kInvalidArgument);
  EXPECT_EQ(service_->Sockets(User(Role::kOwner), "no such/uid").error().code, Errc::kNotFound);
  EXPECT_TRUE(service_->Sockets(User(Role::kSuperAdmin), "CCU-B.01").ok());

  auto outlets = service_->GatewayOutlets(User(Role::kOwner), gw.uid);
  ASSERT_TRUE(outlets.ok());
  ASSERT_EQ(outlets->size(), 1u);
  EXPECT_EQ(outlets->front().device.uid, outlet.uid);
  EXPECT_EQ(service_->GatewayOutlets(User(Role::kOwner), outlet.uid).error().code,
            Errc::kInvalidArgument);
}

TEST_F(OutletServiceTest, CuttingAGatewayIssuesOneCommandPerOutletAndReportsRefusals) {
  Device gw = Add("CCU-1", DeviceKind::kGateway);
  Device one = Add("CCU-1.01", DeviceKind::kOutlet, kA, gw.id);
  Device two = Add("CCU-1.02", DeviceKind::kOutlet, kA, gw.id);
  two.status = DeviceStatus::kDisabled;
  devices_.devices_[two.uid] = two;
  Device other = Add("CCU-2", DeviceKind::kGateway);
  Add("CCU-2.01", DeviceKind::kOutlet, kA, other.id);

  CutRequest r;
  r.idempotency_key = "cut-all-1";
  auto cut = service_->CutDevice(User(Role::kStaff), gw.uid, r);
  ASSERT_TRUE(cut.ok()) << cut.error().message;
  EXPECT_EQ(cut->target, "gateway");
  EXPECT_EQ(cut->target_uid, gw.uid);
  ASSERT_EQ(cut->items.size(), 2u);
  EXPECT_EQ(cut->items[0].device.uid, one.uid);
  ASSERT_TRUE(cut->items[0].issued.has_value());
  EXPECT_EQ(cut->items[0].issued->command.name, "cut");
  EXPECT_EQ(cut->items[0].issued->command.expires_at - cut->items[0].issued->command.created_at,
            60s);
  EXPECT_EQ(cut->items[1].device.uid, two.uid);
  ASSERT_TRUE(cut->items[1].refused.has_value());
  EXPECT_EQ(cut->items[1].refused->Code(), std::string("DEVICE_DISABLED"));
  EXPECT_EQ(cut->Created(), 1);

  // Retried with the same key: the same command, nothing new.
  auto again = service_->CutDevice(User(Role::kStaff), gw.uid, r);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Created(), 0);
  EXPECT_EQ(again->items[0].issued->command.id, cut->items[0].issued->command.id);

  // One outlet on its own; a refused one is the error itself.
  auto single = service_->CutDevice(User(Role::kOwner), one.uid, {});
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->target, "outlet");
  EXPECT_EQ(single->Created(), 1);
  auto disabled = service_->CutDevice(User(Role::kOwner), two.uid, {});
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(disabled.error().Code(), std::string("DEVICE_DISABLED"));
}

TEST_F(OutletServiceTest, CutRulesTenancyAndKinds) {
  Device gw = Add("CCU-1", DeviceKind::kGateway);
  Add("CCU-1.01", DeviceKind::kOutlet, kA, gw.id);
  Add("NODE-1", DeviceKind::kSensorNode);
  EXPECT_EQ(service_->CutDevice(User(Role::kCustomer), gw.uid, {}).error().code, Errc::kForbidden);
  EXPECT_EQ(service_->CutDevice(User(Role::kOwner, kB), gw.uid, {}).error().code, Errc::kNotFound);
  EXPECT_EQ(service_->CutDevice(User(Role::kOwner), "NODE-1", {}).error().code,
            Errc::kInvalidArgument);
  CutRequest bad;
  bad.expires_in_s = 0;
  EXPECT_EQ(service_->CutDevice(User(Role::kOwner), gw.uid, bad).error().field, "expires_in_s");
  bad = {};
  bad.idempotency_key = "has space";
  EXPECT_EQ(service_->CutDevice(User(Role::kOwner), gw.uid, bad).error().field, "idempotency_key");
  EXPECT_EQ(service_->CutWorkshop(User(Role::kCustomer), kA, {}).error().code, Errc::kForbidden);
  EXPECT_EQ(service_->CutWorkshop(User(Role::kOwner, kB), kA, {}).error().code, Errc::kNotFound);
  EXPECT_EQ(service_->CutWorkshop(User(Role::kSuperAdmin), WorkshopId{99}, {}).error().code,
            Errc::kNotFound);
  EXPECT_TRUE(store_.ListSocketCommands(std::vector<DeviceId>{gw.id}, 8)->empty());
}

TEST_F(OutletServiceTest, AWorkshopCutCoversEveryOutletOfItAndCountsAsOneRequest) {
  CommandOptions o;
  o.per_user_per_minute = 1;
  Make(o);
  Device gw1 = Add("CCU-1", DeviceKind::kGateway);
  Device gw2 = Add("CCU-2", DeviceKind::kGateway);
  Add("CCU-1.01", DeviceKind::kOutlet, kA, gw1.id);
  Add("CCU-1.02", DeviceKind::kOutlet, kA, gw1.id);
  Add("CCU-2.01", DeviceKind::kOutlet, kA, gw2.id);
  Device b_gw = Add("CCU-B", DeviceKind::kGateway, kB);
  Add("CCU-B.01", DeviceKind::kOutlet, kB, b_gw.id);

  auto cut = service_->CutWorkshop(User(Role::kStaff), kA, {});
  ASSERT_TRUE(cut.ok()) << cut.error().message;
  EXPECT_EQ(cut->target, "workshop");
  EXPECT_EQ(cut->workshop_id, kA);
  ASSERT_EQ(cut->items.size(), 3u);
  EXPECT_EQ(cut->Created(), 3);  // three commands, one request against a limit of one
  for (const CutItem& item : cut->items) EXPECT_EQ(item.device.workshop_id, kA);
  auto limited = service_->CutWorkshop(User(Role::kStaff), kA, {});
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, Errc::kRateLimited);
}

}  // namespace
}  // namespace sw::core
