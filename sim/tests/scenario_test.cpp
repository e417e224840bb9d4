// Scenario and credentials parsing: times, ordering, bounds and the errors a person sees.
#include "model/scenario.hpp"

#include <gtest/gtest.h>

#include "model/fleet.hpp"

namespace sw::sim {
namespace {

TEST(ScenarioTest, ParsesStepsSortedByTimeKeepingFileOrderForTies) {
  std::string error;
  const auto s = ParseScenario(
      "# warm-up\n"
      "at 30s NODE-2 sanding on\n"
      "\n"
      "at 500ms CCU-1.01 a plug lights   # the lamp\n"
      "at 0.5s CCU-1.01 a switch on\n"
      "at 2m end\n",
      &error);
  ASSERT_TRUE(s) << error;
  ASSERT_EQ(s->steps.size(), 4u);
  EXPECT_EQ(s->steps[0].at, SimTime(500));
  EXPECT_EQ(s->steps[0].command.words, (std::vector<std::string>{"a", "plug", "lights"}));
  EXPECT_EQ(s->steps[1].command.words[1], "switch");
  EXPECT_EQ(s->steps[2].at, SimTime(30000));
  EXPECT_EQ(s->steps[2].line, 2);
  EXPECT_EQ(s->steps[3].command.target, "end");
  EXPECT_EQ(s->steps[3].at, SimTime(120000));
}

TEST(ScenarioTest, RefusesMalformedLinesWithTheirNumber) {
  std::string error;
  EXPECT_FALSE(ParseScenario("at 1s NODE-1 fan on\nsoon NODE-1 fan off\n", &error));
  EXPECT_EQ(error.rfind("line 2:", 0), 0u) << error;
  EXPECT_FALSE(ParseScenario("at -1s NODE-1 fan on\n", &error));
  EXPECT_FALSE(ParseScenario("at 1x NODE-1 fan on\n", &error));
  EXPECT_FALSE(ParseScenario("at 1s NODE-1\n", &error));
  EXPECT_FALSE(ParseScenario("at 1s end now\n", &error));
  EXPECT_FALSE(ParseScenario("at 8d NODE-1 fan on\n", &error)) << "beyond the time bound";
}

TEST(ScenarioTest, Durations) {
  EXPECT_EQ(ParseDuration("250ms"), SimTime(250));
  EXPECT_EQ(ParseDuration("12"), SimTime(12000));
  EXPECT_EQ(ParseDuration("1.5m"), SimTime(90000));
  EXPECT_EQ(ParseDuration("2h"), SimTime(7200000));
  EXPECT_FALSE(ParseDuration("ms"));
  EXPECT_FALSE(ParseDuration("5 s"));
  EXPECT_FALSE(ParseDuration("1e300s"));
}

TEST(FleetTest, OutletsGoBehindTheirGatewayAndOddLinesAreReported) {
  std::string error;
  const auto creds = ParseCredentials(
      "DEMO-NODE-1 s1 sensor_node\n"
      "DEMO-CCU-1 s2 gateway\n"
      "DEMO-CCU-1.01 s3 outlet\n"
      "DEMO-CCU-1.FE s4 outlet\n"
      "OTHER.02 s5 outlet\n"
      "CAM-1 s6 camera\n"
      "BENCH-1 s7\n",
      &error);
  ASSERT_TRUE(creds) << error;
  const FleetPlan plan = PlanFleet(*creds);
  ASSERT_EQ(plan.nodes.size(), 2u);
  EXPECT_EQ(plan.nodes[1].uid, "BENCH-1") << "no kind: a sensor node";
  ASSERT_EQ(plan.gateways.size(), 1u);
  EXPECT_EQ(plan.gateways[0].credential.secret, "s2");
  EXPECT_EQ(plan.gateways[0].outlets, (std::vector<std::uint8_t>{0x01, 0xFE}));
  EXPECT_EQ(plan.skipped.size(), 2u);  // the orphan outlet and the camera

  EXPECT_FALSE(ParseCredentials("NODE with spaces in it\n", &error));
  EXPECT_FALSE(ParseCredentials("bad/uid secret\n", &error));
  EXPECT_FALSE(SplitOutletUid("CCU-1.1"));
  EXPECT_FALSE(SplitOutletUid("CCU-1.00"));
  EXPECT_EQ(SplitOutletUid("CCU-1.0a")->second, 0x0A);
}

}  // namespace
}  // namespace sw::sim
