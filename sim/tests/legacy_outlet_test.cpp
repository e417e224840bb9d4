// A simulated CCU with one Sitewatch (v2) outlet and one legacy PIC outlet on the same radio:
// telemetry for both, a relay command to the legacy one, its overload trip seen through the
// 0xFFFF report; the PIC model's documented quirks; "protocol=1" in the devices file.
#include "model/legacy_outlet.hpp"

#include <gtest/gtest.h>

#include "fake_transport.hpp"
#include "model/ccu.hpp"
#include "model/world.hpp"

namespace sw::sim {
namespace {

using testing::FakeBroker;
using testing::FakeTransport;

constexpr std::int64_t kEpochMs = 1'750'000'000'000;

OutletPlan Plan(std::uint8_t address, LoadKind a, bool a_on, LoadKind b, bool b_on, bool legacy) {
  OutletPlan p;
  p.address = address;
  p.sockets[0] = SocketPlan{a, a_on, ShedPriority(a)};
  p.sockets[1] = SocketPlan{b, b_on, ShedPriority(b)};
  p.legacy = legacy;
  return p;
}

class MixedCcuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CcuOptions o;
    o.uid = "CCU-T";
    o.outlets = {Plan(0x01, LoadKind::kLights, true, LoadKind::kNone, false, false),
                 Plan(0x03, LoadKind::kHeatGun, true, LoadKind::kFaulty, true, true)};
    o.interval = SimTime(5000);
    o.seed = 5;
    o.breaker_limit_ma = 40000;  // only the outlet's own overload protection acts here
    auto ccu = std::make_unique<Ccu>(o, WallClock{kEpochMs});
    ccu_ = ccu.get();
    world_.Add(std::move(ccu));
    world_.Boot(now_);
  }
  void RunFor(SimTime d) { now_ = broker_.Run(now_, now_ + d); }
  void Relay(const std::string& uid, const std::string& id, const char* socket, bool on) {
    const std::string json = R"({"id":")" + id + R"(","name":"relay","params":{"socket":")" +
                             socket + R"(","on":)" + (on ? "true" : "false") + "}}";
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

TEST_F(MixedCcuTest, TelemetryRelayCommandAndOverloadForALegacyOutletBesideAV2One) {
  RunFor(SimTime(6000));
  SimLegacyOutlet& pic = *ccu_->legacy_outlet(0x03);
  ASSERT_EQ(ccu_->outlet(0x03), nullptr);
  ASSERT_TRUE(ccu_->gateway().FindOutlet(0x03)->legacy);
  ASSERT_TRUE(ccu_->gateway().FindOutlet(0x03)->online);
  ASSERT_TRUE(ccu_->gateway().FindOutlet(0x01)->online);
  EXPECT_FALSE(pic.relay_on(0));  // the PIC boots with both sockets off
  const auto status = Published("sw/d/CCU-T.03/status");
  ASSERT_FALSE(status.empty());
  EXPECT_EQ(status.back(), R"({"online":true,"protocol":"legacy","relay_state":"commanded"})");
  EXPECT_EQ(Published("sw/d/CCU-T.01/status").back(), R"({"online":true,"fw":"outlet-sim-2.0.0"})");

  // A relay command to the legacy outlet: ACKed, then the heat gun's current is read back.
  Relay("CCU-T.03", "l-1", "a", true);
  RunFor(SimTime(2000));
  EXPECT_TRUE(pic.relay_on(0));
  auto results = Published("sw/d/CCU-T.03/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].find(R"("id":"l-1","ok":true,"detail":"relay a on","current_ma":8)"),
            std::string::npos)
      << results[0];  // ~8.7 A
  Relay("CCU-T.01", "v-1", "a", true);
  RunFor(SimTime(6000));
  EXPECT_TRUE(ccu_->outlet(0x01)->controller().relay_on(0));

  // Telemetry for both outlets, the legacy one with its measured current.
  const auto v2_telemetry = Published("sw/d/CCU-T.01/telemetry");
  const auto legacy_telemetry = Published("sw/d/CCU-T.03/telemetry");
  ASSERT_FALSE(v2_telemetry.empty());
  ASSERT_FALSE(legacy_telemetry.empty());
  EXPECT_NE(v2_telemetry.back().find(R"("relay_a":1)"), std::string::npos) << v2_telemetry.back();
  EXPECT_NE(legacy_telemetry.back().find(R"("current_a_ma":8)"), std::string::npos)
      << legacy_telemetry.back();
  EXPECT_NE(legacy_telemetry.back().find(R"("relay_a":1)"), std::string::npos);

  // Socket B: the dehumidifier; its fault draws 12.8 A, over the PIC's 12 A threshold.
  Relay("CCU-T.03", "l-2", "b", true);
  RunFor(SimTime(2000));
  ASSERT_TRUE(pic.relay_on(1));
  pic.load(1).SetFault(true);
  RunFor(SimTime(3000));
  EXPECT_TRUE(pic.tripped(1));
  EXPECT_FALSE(pic.relay_on(1));
  EXPECT_GE(pic.stats().trips, 1u);
  EXPECT_TRUE(ccu_->gateway().FindOutlet(0x03)->status.tripped[1]);
  const auto events = Published("sw/d/CCU-T.03/event");
  ASSERT_FALSE(events.empty());
  EXPECT_NE(events.front().find(R"("type":"overload_trip","socket":"b")"), std::string::npos)
      << events.front();
  EXPECT_TRUE(pic.relay_on(0)) << "only the overloaded socket";
  EXPECT_TRUE(ccu_->outlet(0x01)->controller().relay_on(0)) << "the v2 outlet is unaffected";
}

TEST(SimLegacyOutletTest, AnswersOnlyItsMasterAndAcksRelayOnWhileTripped) {
  RadioChannel radio(RadioParams{}, 1);
  const int ccu = radio.Attach();
  LegacyOutletOptions o;
  o.address = 0xFE;
  o.master = 0x02;
  o.threshold_ma = 3000;
  SimLegacyOutlet pic(o, radio);
  pic.Plug(0, LoadKind::kHeatGun);
  pic.load(0).SetSwitch(true);
  SimTime now{0};
  pic.Boot(now);
  std::vector<fw::LegacyFrame> heard;
  auto send = [&](const fw::LegacyFrame& f) {
    radio.Transmit(now, ccu, fw::ByteSpan(fw::EncodeLegacy(f)));
  };
  auto run = [&](SimTime d) {
    for (const SimTime end = now + d; now < end; now += SimTime(5)) {
      std::vector<RadioDelivery> out;
      radio.Deliver(now, &out);
      for (const RadioDelivery& r : out) {
        if (r.station != ccu) {
          pic.OnRadio(now, r.bytes);
          continue;
        }
        fw::LegacyFrame f;
        if (fw::DecodeLegacy(fw::ByteSpan(r.bytes.data(), r.bytes.size()), &f) ==
            fw::FrameError::kOk) {
          heard.push_back(f);
        }
      }
      pic.Advance(now);
    }
  };
  send(fw::LegacyRelay(0xFE, 0x01, fw::kSocketA, true));  // not its master: silence
  run(SimTime(100));
  EXPECT_TRUE(heard.empty());
  EXPECT_FALSE(pic.relay_on(0));
  send(fw::LegacyRelay(0xFE, 0x02, fw::kSocketA, true));
  run(SimTime(100));
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0], fw::LegacyAck(0x02, 0xFE, fw::kSocketA, fw::RadioCommand::kRelayOn));
  run(SimTime(400));  // 8.7 A > 3 A: tripped within two checks
  EXPECT_TRUE(pic.tripped(0));
  send(fw::LegacyRelay(0xFE, 0x02, fw::kSocketA, true));
  send(fw::LegacyReadCurrent(0xFE, 0x02));  // collides with the relay frame: both lost
  run(SimTime(100));
  send(fw::LegacyReadCurrent(0xFE, 0x02));
  run(SimTime(100));
  ASSERT_EQ(heard.size(), 3u);  // the read's two reports
  EXPECT_EQ(heard[1], fw::LegacyReport(0x02, fw::kSocketA, fw::kLegacyOverloadSentinel));
  EXPECT_EQ(heard[2].sender, fw::kSocketB);
  send(fw::LegacyRelay(0xFE, 0x02, fw::kSocketA, true));
  run(SimTime(100));
  ASSERT_EQ(heard.size(), 4u);    // ACKed ...
  EXPECT_FALSE(pic.relay_on(0));  // ... and still off
  run(SimTime(5000));
  EXPECT_GE(pic.stats().retries, 1u);  // the PIC's own retry, which trips again
}

TEST(FleetProtocolTest, AnOutletLineMayNameTheLegacyProtocol) {
  std::string error;
  const auto creds = ParseCredentials(
      "CCU-1 s1 gateway\nCCU-1.01 - outlet\nCCU-1.03 - outlet protocol=1\n"
      "CCU-1.04 - outlet protocol=2\n",
      &error);
  ASSERT_TRUE(creds) << error;
  const FleetPlan plan = PlanFleet(*creds);
  ASSERT_EQ(plan.gateways.size(), 1u);
  EXPECT_EQ(plan.gateways[0].outlets, (std::vector<std::uint8_t>{0x01, 0x03, 0x04}));
  EXPECT_EQ(plan.gateways[0].legacy_outlets, (std::vector<std::uint8_t>{0x03}));
  EXPECT_FALSE(ParseCredentials("CCU-1.03 - outlet protocol=3\n", &error));
  EXPECT_FALSE(ParseCredentials("CCU-1 s1 gateway protocol=1\n", &error));
}

}  // namespace
}  // namespace sw::sim
