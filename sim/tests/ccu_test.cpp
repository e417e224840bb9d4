// The simulated CCU end to end without a network: outlets behind the real gateway core on
// the simulated radio, the breaker clamp, and the MQTT side (commands in, results,
// telemetry and events out) through a fake transport.
#include "model/ccu.hpp"

#include <gtest/gtest.h>

#include "fake_transport.hpp"
#include "model/world.hpp"

namespace sw::sim {
namespace {

using testing::FakeBroker;
using testing::FakeTransport;

constexpr std::int64_t kEpochMs = 1'750'000'000'000;

CcuOptions Options(std::vector<OutletPlan> outlets, bool relays_on) {
  CcuOptions o;
  o.uid = "CCU-T";
  o.outlets = std::move(outlets);
  o.interval = SimTime(5000);
  o.relays_on_at_boot = relays_on;
  o.base_load_a = 2.0;
  o.seed = 11;
  return o;
}

OutletPlan Plan(std::uint8_t address, LoadKind a, bool a_on, LoadKind b, bool b_on) {
  OutletPlan p;
  p.address = address;
  p.sockets[0] = SocketPlan{a, a_on, ShedPriority(a)};
  p.sockets[1] = SocketPlan{b, b_on, ShedPriority(b)};
  return p;
}

class CcuWorldTest : public ::testing::Test {
 protected:
  void Start(const CcuOptions& o) {
    auto ccu = std::make_unique<Ccu>(o, WallClock{kEpochMs});
    ccu_ = ccu.get();
    world_.Add(std::move(ccu));
    world_.Boot(now_);
  }
  void RunFor(SimTime d) { now_ = broker_.Run(now_, now_ + d); }
  void SendCommand(const std::string& uid, const std::string& json) {
    world_.OnMessage(now_, 0, "sw/d/" + uid + "/cmd", json);
    broker_.Serve(now_);
  }
  std::vector<std::string> Published(const std::string& topic) {
    return transport_.Payloads(topic);
  }

  FakeTransport transport_;
  World world_{transport_};
  FakeBroker broker_{world_, transport_};
  Ccu* ccu_ = nullptr;
  SimTime now_{0};
};

TEST_F(CcuWorldTest, BreakerReadingIsTheSumOfPoweredLoadsPlusBase) {
  Start(Options({Plan(0x01, LoadKind::kHeatGun, true, LoadKind::kLights, true),
                 Plan(0x02, LoadKind::kCharger, true, LoadKind::kFaulty, false)},
                true));
  RunFor(SimTime(3000));
  const SimTime t = now_;
  double loads = 0;
  for (auto& o : ccu_->outlets()) {
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(o->controller().relay_on(i)) << "sockets restored after calibration";
      loads += o->load(i).CurrentA(t);
    }
  }
  const double expected_a = ccu_->BaseAmps(t) + loads;
  EXPECT_NEAR(ccu_->BreakerAmps(t), expected_a, 1e-9);
  EXPECT_GT(expected_a, 11.0);  // heat gun + lights + charger + base
  // Measured through the SCT013 window and the firmware's RMS meter: within 2 %.
  EXPECT_NEAR(ccu_->breaker_ma() / 1000.0, expected_a, 0.02 * expected_a);
  // And each outlet measures its sockets through its ACS712s.
  const auto& heat_gun = ccu_->outlet(0x01)->controller();
  EXPECT_NEAR(heat_gun.current_ma(0), 8700, 8700 * 0.04);
  EXPECT_NEAR(heat_gun.current_ma(1), 520, 520 * 0.1);
}

TEST_F(CcuWorldTest, OverloadingApplianceTripsItsSocketThroughTheOutletCore) {
  Start(Options({Plan(0x01, LoadKind::kFaulty, true, LoadKind::kLights, true)}, true));
  RunFor(SimTime(5000));
  SimOutlet& outlet = *ccu_->outlet(0x01);
  ASSERT_TRUE(outlet.controller().relay_on(0));
  EXPECT_FALSE(outlet.controller().tripped(0));

  outlet.load(0).SetFault(true);
  RunFor(SimTime(450));  // within two measurement windows
  EXPECT_TRUE(outlet.controller().tripped(0));
  EXPECT_FALSE(outlet.controller().relay_on(0));
  EXPECT_TRUE(outlet.controller().relay_on(1)) << "only the overloaded socket";
  EXPECT_EQ(outlet.stats().trips, 1u);

  RunFor(SimTime(5500));  // the core retries after 5 s; still faulty: trips again
  EXPECT_GE(outlet.stats().retries, 1u);
  EXPECT_GE(outlet.stats().trips, 2u);

  outlet.load(0).SetFault(false);
  RunFor(SimTime(6000));
  EXPECT_TRUE(outlet.controller().relay_on(0)) << "recovers once the fault is gone";
  EXPECT_FALSE(outlet.controller().tripped(0));

  // The gateway saw the trip in its polls and the uplink reported it on the outlet's topic.
  const auto events = Published("sw/d/CCU-T.01/event");
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.front().find(R"("type":"overload_trip","socket":"a")"), std::string::npos)
      << events.front();
  bool retry = false;
  for (const auto& e : events) retry = retry || e.find("overload_retry") != std::string::npos;
  EXPECT_TRUE(retry);
}

TEST_F(CcuWorldTest, RelayCommandReachesTheOutletAndIsAnsweredWithItsCurrent) {
  Start(Options({Plan(0x01, LoadKind::kLights, true, LoadKind::kNone, false),
                 Plan(0x02, LoadKind::kCharger, true, LoadKind::kNone, false)},
                false));
  RunFor(SimTime(5000));
  ASSERT_FALSE(ccu_->outlet(0x01)->controller().relay_on(0));
  // Statuses: the CCU's and both outlets' (retained), subscriptions to all three cmd topics.
  EXPECT_FALSE(Published("sw/d/CCU-T/status").empty());
  EXPECT_FALSE(Published("sw/d/CCU-T.01/status").empty());
  EXPECT_EQ(transport_.Count(LinkAction::Kind::kSubscribe), 3u);

  const std::string cmd = R"({"id":"c-1","name":"relay","params":{"on":true,"socket":"a"},)"
                          R"("expires_at":)" +
                          std::to_string(kEpochMs + 600000) + "}";
  SendCommand("CCU-T.01", cmd);
  RunFor(SimTime(2000));
  EXPECT_TRUE(ccu_->outlet(0x01)->controller().relay_on(0));
  auto results = Published("sw/d/CCU-T.01/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].find(R"("id":"c-1","ok":true,"detail":"relay a on","current_ma":5)"),
            std::string::npos)
      << results[0];  // ~520 mA of lights

  // The state comes back in telemetry right away.
  const auto telemetry = Published("sw/d/CCU-T.01/telemetry");
  ASSERT_FALSE(telemetry.empty());
  EXPECT_NE(telemetry.back().find(R"("relay_a":1)"), std::string::npos) << telemetry.back();

  // At-least-once delivery: the same id again is answered again, not executed again.
  const auto frames = ccu_->radio().stats().frames;
  SendCommand("CCU-T.01", cmd);
  results = Published("sw/d/CCU-T.01/cmd/result");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1], results[0]);
  EXPECT_EQ(ccu_->radio().stats().frames, frames);

  // Off: current 0; a NACKed or unknown command is answered ok=false.
  SendCommand("CCU-T.01", R"({"id":"c-2","name":"relay","params":{"socket":"a","on":false}})");
  SendCommand("CCU-T.02", R"({"id":"c-3","name":"dance"})");
  SendCommand("CCU-T.02", R"({"id":"c-4","name":"relay","params":{"socket":"a","on":true},)"
                          R"("expires_at":1})");
  RunFor(SimTime(2000));
  results = Published("sw/d/CCU-T.01/cmd/result");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_NE(results[2].find(R"("ok":true,"detail":"relay a off","current_ma":0)"),
            std::string::npos)
      << results[2];
  const auto other = Published("sw/d/CCU-T.02/cmd/result");
  ASSERT_EQ(other.size(), 2u);
  EXPECT_NE(other[0].find(R"("ok":false,"detail":"unknown command")"), std::string::npos);
  EXPECT_NE(other[1].find("expired"), std::string::npos);
  EXPECT_FALSE(ccu_->outlet(0x02)->controller().relay_on(0));
}

TEST_F(CcuWorldTest, RadioInterferenceBurstIsRecoveredByTheGatewaysRetries) {
  Start(Options({Plan(0x01, LoadKind::kLights, true, LoadKind::kNone, false)}, false));
  RunFor(SimTime(5000));
  ccu_->radio().params().interference = 1.0;  // every frame garbled ...
  SendCommand("CCU-T.01", R"({"id":"r-1","name":"relay","params":{"socket":"a","on":true}})");
  RunFor(SimTime(250));
  ccu_->radio().params().interference = 0.0;  // ... for a quarter of a second
  EXPECT_FALSE(ccu_->outlet(0x01)->controller().relay_on(0));
  RunFor(SimTime(3000));
  EXPECT_TRUE(ccu_->outlet(0x01)->controller().relay_on(0));
  EXPECT_GT(ccu_->radio().stats().interfered, 0u);
  const auto results = Published("sw/d/CCU-T.01/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].find(R"("ok":true)"), std::string::npos) << results[0];
}

TEST_F(CcuWorldTest, RadioOutageLongerThanTheRetriesFailsTheCommandVisibly) {
  Start(Options({Plan(0x01, LoadKind::kLights, true, LoadKind::kNone, false)}, false));
  RunFor(SimTime(5000));
  std::string error;
  ASSERT_TRUE(world_.Apply(now_, Command{"CCU-T", {"radio", "outage", "30s"}}, &error)) << error;
  SendCommand("CCU-T.01", R"({"id":"o-1","name":"relay","params":{"socket":"a","on":true}})");
  RunFor(SimTime(10000));
  auto results = Published("sw/d/CCU-T.01/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].find(R"("ok":false,"detail":"no answer from outlet CCU-T.01 on the radio")"),
            std::string::npos)
      << results[0];
  // The gateway marks the outlet offline; after the outage it is back.
  auto statuses = Published("sw/d/CCU-T.01/status");
  EXPECT_EQ(statuses.back(), R"({"online":false})");
  RunFor(SimTime(25000));
  statuses = Published("sw/d/CCU-T.01/status");
  EXPECT_NE(statuses.back().find(R"("online":true)"), std::string::npos);
}

TEST_F(CcuWorldTest, BreakerOverLimitShedsTheLowestPrioritySocketLocally) {
  CcuOptions o = Options({Plan(0x01, LoadKind::kHeatGun, true, LoadKind::kLights, true),
                          Plan(0x02, LoadKind::kCharger, true, LoadKind::kNone, false)},
                         true);
  o.breaker_limit_ma = 16000;
  Start(o);
  RunFor(SimTime(5000));
  ASSERT_LT(ccu_->breaker_ma(), 16000u);
  std::string error;
  // The rest of the building pushes the breaker over its limit; the network plays no part.
  ASSERT_TRUE(world_.Apply(now_, Command{"CCU-T", {"base", "9000"}}, &error)) << error;
  RunFor(SimTime(8000));
  // The charger (priority 40) goes first, then the heat gun (60): back under the limit.
  EXPECT_FALSE(ccu_->outlet(0x02)->controller().relay_on(0));
  EXPECT_FALSE(ccu_->outlet(0x01)->controller().relay_on(0));
  EXPECT_TRUE(ccu_->outlet(0x01)->controller().relay_on(1)) << "the lights stay on";
  EXPECT_LT(ccu_->breaker_ma(), 16000u);
  const auto events = Published("sw/d/CCU-T/event");
  int sheds = 0;
  for (const auto& e : events) sheds += e.find(R"("action":"shed")") != std::string::npos;
  EXPECT_EQ(sheds, 2);
}

TEST_F(CcuWorldTest, OfflineReadingsAreBufferedAndFlushedWithTheirOriginalTimestamps) {
  Start(Options({Plan(0x01, LoadKind::kLights, true, LoadKind::kNone, false)}, true));
  RunFor(SimTime(6000));
  std::string error;
  ASSERT_TRUE(world_.Apply(now_, Command{"CCU-T", {"offline", "30s"}}, &error)) << error;
  const SimTime cut = now_;
  const std::size_t before = Published("sw/d/CCU-T/telemetry").size();
  RunFor(SimTime(28000));
  EXPECT_EQ(Published("sw/d/CCU-T/telemetry").size(), before) << "nothing while offline";
  EXPECT_GE(ccu_->uplink().buffered(), 10u);
  RunFor(SimTime(70000));  // back online (reconnect after back-off): flushed in batches
  EXPECT_EQ(ccu_->uplink().buffered(), 0u);
  bool batch_with_old_ts = false;
  const std::string old_ts = std::to_string(kEpochMs + cut.count() + 5000).substr(0, 9);
  for (const auto& p : Published("sw/d/CCU-T/telemetry")) {
    if (p.front() == '[' && p.find(old_ts) != std::string::npos) batch_with_old_ts = true;
  }
  EXPECT_TRUE(batch_with_old_ts);
}

TEST_F(CcuWorldTest, RestartCommandRebootsTheCcuWhichComesBackWithItsBreakerLimit) {
  Start(Options({Plan(0x01, LoadKind::kLights, true, LoadKind::kNone, false)}, true));
  RunFor(SimTime(3000));
  SendCommand("CCU-T", R"({"id":"x-1","name":"set_breaker_limit","params":{"ma":16000}})");
  SendCommand("CCU-T", R"({"id":"x-2","name":"restart"})");
  SendCommand("CCU-T", R"({"id":"x-3","name":"set_breaker_limit","params":{"ma":18000}})");
  RunFor(SimTime(6000));
  EXPECT_EQ(ccu_->reboots(), 1u);
  const auto results = Published("sw/d/CCU-T/cmd/result");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_NE(results[0].find(R"("ok":true,"detail":"breaker limit 16000 mA")"), std::string::npos)
      << results[0];
  EXPECT_NE(results[1].find(R"("ok":true,"detail":"restarting")"), std::string::npos);
  EXPECT_NE(results[2].find(R"("ok":false)"), std::string::npos) << "refused while restarting";
  EXPECT_EQ(transport_.Count(LinkAction::Kind::kAbort), 1u);
  int boots = 0;
  for (const auto& e : Published("sw/d/CCU-T/event")) boots += e.find("boot") != std::string::npos;
  EXPECT_EQ(boots, 2);
  EXPECT_TRUE(ccu_->outlet(0x01)->controller().relay_on(0)) << "the outlets kept running";
  // The limit was persisted in the gateway's EEPROM: the rebooted core loaded it.
  EXPECT_EQ(ccu_->gateway().breaker_limit_ma(), 16000u);
}

TEST_F(CcuWorldTest, ServerRegistryReplacesTheInstallersAndBringsNewOutletsAlive) {
  Start(Options({Plan(0x01, LoadKind::kLights, true, LoadKind::kNone, false)}, true));
  RunFor(SimTime(3000));
  // Factory-fresh: the devices file's outlet, revision 0 in the status.
  EXPECT_EQ(ccu_->gateway().registry_revision(), 0u);
  EXPECT_NE(Published("sw/d/CCU-T/status").back().find(R"("outlets_rev":0)"), std::string::npos);
  EXPECT_FALSE(Published("sw/d/CCU-T.01/telemetry").empty());

  // The server's list: 0x01 and a new outlet 0x0B, which the CCU has never seen.
  SendCommand("CCU-T", R"({"id":"s-1","name":"sync_outlets","params":{"rev":3,"outlets":[)"
                       R"({"uid":"CCU-T.01","address":1},{"uid":"CCU-T.0B","address":11}]}})");
  ASSERT_NE(ccu_->outlet(0x0B), nullptr) << "plugged in when the sync arrived";
  EXPECT_TRUE(ccu_->Owns("CCU-T.0B"));
  RunFor(SimTime(11000));
  auto results = Published("sw/d/CCU-T/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], R"({"id":"s-1","ok":true,"detail":"outlets rev 3 applied: 2 outlets"})");
  EXPECT_NE(Published("sw/d/CCU-T/status").back().find(R"("outlets_rev":3)"), std::string::npos);
  EXPECT_FALSE(Published("sw/d/CCU-T.0B/status").empty());
  const auto telemetry = Published("sw/d/CCU-T.0B/telemetry");
  ASSERT_FALSE(telemetry.empty());
  EXPECT_NE(telemetry.back().find(R"("relay_a":1)"), std::string::npos) << telemetry.back();

  // The server removes 0x01: no more of its telemetry, the physical outlet keeps running.
  SendCommand("CCU-T", R"({"id":"s-2","name":"sync_outlets","params":{"rev":4,"outlets":[)"
                       R"({"uid":"CCU-T.0B","address":11}]}})");
  RunFor(SimTime(1000));
  const std::size_t before = Published("sw/d/CCU-T.01/telemetry").size();
  RunFor(SimTime(11000));
  EXPECT_EQ(Published("sw/d/CCU-T.01/telemetry").size(), before);
  EXPECT_GT(Published("sw/d/CCU-T.0B/telemetry").size(), telemetry.size());

  // After a restart the server's registry stays: the devices file does not bring 0x01 back.
  SendCommand("CCU-T", R"({"id":"x-1","name":"restart"})");
  RunFor(SimTime(8000));
  EXPECT_EQ(ccu_->reboots(), 1u);
  EXPECT_EQ(ccu_->gateway().registry_revision(), 4u);
  EXPECT_EQ(ccu_->gateway().FindOutlet(0x01), nullptr);
  EXPECT_NE(ccu_->gateway().FindOutlet(0x0B), nullptr);
  EXPECT_NE(Published("sw/d/CCU-T/status").back().find(R"("outlets_rev":4)"), std::string::npos);
}

TEST(DefaultPlanTest, TheDemoCircuitNearsButStaysUnderTwentyAmps) {
  // CCU 0 with everything that the demo switches on at once, base load at its maximum.
  double steady = 3.0 * 1.15;
  for (std::size_t k = 0; k < 2; ++k) {
    const OutletPlan p = DefaultOutletPlan(0, k, static_cast<std::uint8_t>(k + 1));
    for (const SocketPlan& s : p.sockets) {
      Load l(s.kind, 1);
      steady += l.RatedA();
    }
  }
  EXPECT_GT(steady, 0.8 * 20.0);
  EXPECT_LT(steady * 1.0 + 5.2 * 0.27, 20.0) << "with the compressor's inrush in a window";
}

}  // namespace
}  // namespace sw::sim
