// A pit node (the real fw::SensorNode) in the world: its telemetry carries the pit model's
// conditions, commands reach the core, scenario steps apply on time, and a device cut off
// the network reconnects afterwards.
#include "model/world.hpp"

#include <gtest/gtest.h>

#include "fake_transport.hpp"
#include "model/pit_node.hpp"

namespace sw::sim {
namespace {

using testing::FakeBroker;
using testing::FakeTransport;

// The value of "metric": in the last telemetry payload containing it, or -1.
double LastValue(const std::vector<std::string>& payloads, const std::string& metric) {
  for (auto it = payloads.rbegin(); it != payloads.rend(); ++it) {
    const std::string key = "\"" + metric + "\":";
    const auto pos = it->rfind(key);
    if (pos != std::string::npos) return std::stod(it->substr(pos + key.size()));
  }
  return -1;
}

class NodeWorldTest : public ::testing::Test {
 protected:
  NodeWorldTest() {
    PitNodeOptions o;
    o.uid = "NODE-T";
    o.interval_s = 5;
    o.seed = 4;
    auto node = std::make_unique<PitNode>(o, WallClock{1'750'000'000'000});
    node_ = node.get();
    world_.Add(std::move(node));
    world_.Boot(now_);
  }
  void RunFor(SimTime d) { now_ = broker_.Run(now_, now_ + d); }
  std::vector<std::string> Telemetry() { return transport_.Payloads("sw/d/NODE-T/telemetry"); }

  FakeTransport transport_;
  World world_{transport_};
  FakeBroker broker_{world_, transport_};
  PitNode* node_ = nullptr;
  SimTime now_{0};
};

TEST_F(NodeWorldTest, TelemetryCarriesThePitsConditionsAndShowsSanding) {
  RunFor(SimTime(20000));
  const auto first = Telemetry();
  ASSERT_GE(first.size(), 3u);
  EXPECT_NE(first.back().find(R"({"ts":17500000)"), std::string::npos) << first.back();
  const double t = LastValue(first, "temperature");
  EXPECT_NEAR(t, node_->pit().conditions().temperature_c, 0.2);
  const double pm10_before = LastValue(first, "pm10");
  EXPECT_GT(pm10_before, 0);
  EXPECT_GE(LastValue(first, "iaq"), 0);
  EXPECT_GT(LastValue(first, "gas_resistance"), 1000);

  Scenario s;
  s.steps.push_back(ScenarioStep{now_ + SimTime(1000), Command{"NODE-T", {"sanding", "on"}}, 1});
  s.steps.push_back(ScenarioStep{now_ + SimTime(2000), Command{"NODE-T", {"dance", "on"}}, 2});
  s.steps.push_back(ScenarioStep{now_ + SimTime(90000), Command{"end", {}}, 3});
  world_.SetScenario(std::move(s));
  RunFor(SimTime(89000));
  EXPECT_FALSE(world_.finished());
  EXPECT_GT(LastValue(Telemetry(), "pm10"), 4 * pm10_before);
  RunFor(SimTime(1000));
  EXPECT_TRUE(world_.finished());
  ASSERT_EQ(world_.errors().size(), 1u);
  EXPECT_EQ(world_.errors()[0].rfind("line 2:", 0), 0u);
}

TEST_F(NodeWorldTest, CommandsReachTheFirmwareCore) {
  RunFor(SimTime(3000));
  world_.OnMessage(now_, 0, "sw/d/NODE-T/cmd",
                   R"({"id":"i-1","name":"set_interval","params":{"seconds":60}})");
  broker_.Serve(now_);
  RunFor(SimTime(100));
  EXPECT_EQ(node_->node().interval_s(), 60u);
  const auto results = transport_.Payloads("sw/d/NODE-T/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_NE(results[0].find(R"("ok":true)"), std::string::npos) << results[0];
}

TEST_F(NodeWorldTest, OfflineDeviceKeepsItsReadingsAndReconnects) {
  RunFor(SimTime(6000));
  ASSERT_TRUE(node_->node().connected());
  std::string error;
  ASSERT_TRUE(world_.Apply(now_, Command{"NODE-T", {"offline", "20s"}}, &error)) << error;
  EXPECT_FALSE(world_.Apply(now_, Command{"NODE-X", {"offline", "20s"}}, &error));
  RunFor(SimTime(19000));
  EXPECT_FALSE(node_->node().connected());
  EXPECT_GE(node_->node().buffered(), 3u);
  RunFor(SimTime(90000));
  EXPECT_TRUE(node_->node().connected());
  EXPECT_EQ(node_->node().buffered(), 0u);
  EXPECT_EQ(transport_.Count(LinkAction::Kind::kConnect), 2u) << "the refused ones never left";
  EXPECT_GE(world_.stats().connects, 4u) << "attempts while offline, with back-off";
}

TEST_F(NodeWorldTest, RestartCommandRebootsTheNode) {
  RunFor(SimTime(3000));
  world_.OnMessage(now_, 0, "sw/d/NODE-T/cmd", R"({"id":"b-1","name":"restart"})");
  broker_.Serve(now_);
  RunFor(SimTime(8000));
  EXPECT_EQ(node_->reboots(), 1u);
  EXPECT_TRUE(node_->node().connected());
  int boots = 0;
  for (const auto& e : transport_.Payloads("sw/d/NODE-T/event")) {
    boots += e.find(R"("type":"boot")") != std::string::npos;
  }
  EXPECT_EQ(boots, 2);
}

}  // namespace
}  // namespace sw::sim
