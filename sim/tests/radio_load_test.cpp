// The radio channel (airtime, collisions, loss, outages, garbling seen by the real stream
// parser) and the appliance models (inrush, the compressor's pressure switch).
#include <gtest/gtest.h>

#include "fw/radio_frame.h"
#include "fw/radio_stream.h"
#include "model/load.hpp"
#include "model/radio.hpp"

namespace sw::sim {
namespace {

fw::FrameBuffer Frame(std::uint8_t seq) {
  fw::V2Frame f;
  f.target = 0x01;
  f.sender = 0x02;
  f.seq = seq;
  f.command = fw::RadioCommand::kStatus;
  return fw::EncodeV2(f);
}

int ValidFrames(const std::vector<RadioDelivery>& deliveries, int station) {
  fw::RadioStreamParser parser;
  int n = 0;
  for (const RadioDelivery& d : deliveries) {
    if (d.station != station) continue;
    for (std::uint8_t b : d.bytes) {
      parser.Push(b);
      fw::RadioFrame f;
      while (parser.Poll(&f)) ++n;
    }
  }
  return n;
}

TEST(RadioChannelTest, DeliversToEveryOtherStationAfterAirtimeAndDelay) {
  RadioChannel ch(RadioParams{}, 1);
  const int a = ch.Attach(), b = ch.Attach(), c = ch.Attach();
  const fw::FrameBuffer f = Frame(1);
  EXPECT_EQ(ch.Airtime(f.size), SimTime(11));  // 10 bytes at 9600 baud
  ch.Transmit(SimTime(100), a, f.View());
  EXPECT_TRUE(ch.busy(SimTime(105)));
  std::vector<RadioDelivery> out;
  ch.Deliver(SimTime(112), &out);
  EXPECT_TRUE(out.empty()) << "still in the air plus the delay";
  ch.Deliver(SimTime(113), &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].station, b);
  EXPECT_EQ(out[1].station, c);
  EXPECT_EQ(ValidFrames(out, b), 1);
}

TEST(RadioChannelTest, OverlappingTransmissionsCollideAndTheParserDropsThem) {
  RadioChannel ch(RadioParams{}, 1);
  const int a = ch.Attach(), b = ch.Attach(), c = ch.Attach();
  ch.Transmit(SimTime(0), a, Frame(1).View());
  ch.Transmit(SimTime(5), b, Frame(2).View());   // overlaps a
  ch.Transmit(SimTime(40), a, Frame(3).View());  // clear air
  std::vector<RadioDelivery> out;
  ch.Deliver(SimTime(100), &out);
  EXPECT_EQ(ch.stats().collided, 2u);
  EXPECT_EQ(ValidFrames(out, c), 1) << "only the frame in clear air survives";
}

TEST(RadioChannelTest, LossInterferenceAndOutage) {
  RadioParams p;
  p.loss = 0.3;
  RadioChannel ch(p, 42);
  const int a = ch.Attach(), b = ch.Attach();
  std::vector<RadioDelivery> out;
  for (int i = 0; i < 1000; ++i) {
    ch.Transmit(SimTime(i * 20), a, Frame(1).View());
    ch.Deliver(SimTime(i * 20 + 19), &out);
  }
  EXPECT_NEAR(static_cast<double>(ch.stats().lost), 300.0, 60.0);
  EXPECT_EQ(ValidFrames(out, b), static_cast<int>(out.size()));

  ch.params().loss = 0;
  ch.params().interference = 1.0;
  out.clear();
  ch.Transmit(SimTime(40000), a, Frame(1).View());
  ch.Deliver(SimTime(40100), &out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(ValidFrames(out, b), 0) << "garbled bytes fail the CRC";

  ch.params().interference = 0;
  ch.SetOutageUntil(SimTime(51000));
  out.clear();
  ch.Transmit(SimTime(50000), a, Frame(1).View());
  ch.Transmit(SimTime(51000), a, Frame(2).View());
  ch.Deliver(SimTime(52000), &out);
  EXPECT_EQ(ValidFrames(out, b), 1) << "nothing during the outage, everything after";
}

TEST(LoadTest, DrawsOnlyWhenPoweredAndSwitchedOn) {
  Load lights(LoadKind::kLights, 1);
  lights.Advance(SimTime(0), true);
  EXPECT_EQ(lights.CurrentA(SimTime(0)), 0.0);
  lights.SetSwitch(true);
  lights.Advance(SimTime(10), false);
  EXPECT_EQ(lights.CurrentA(SimTime(10)), 0.0);
  lights.Advance(SimTime(20), true);
  EXPECT_DOUBLE_EQ(lights.CurrentA(SimTime(30)), 0.52);
}

TEST(LoadTest, MotorsStartWithAnInrushThatDecays) {
  Load m(LoadKind::kExtractor, 1);
  m.SetSwitch(true);
  m.Advance(SimTime(1000), true);
  EXPECT_EQ(m.CurrentA(SimTime(999)), 0.0) << "not running before it started";
  EXPECT_NEAR(m.CurrentA(SimTime(1000)), 2 * m.RatedA(), 1e-9);
  EXPECT_NEAR(m.CurrentA(SimTime(1300)), m.RatedA(), 0.01 * m.RatedA());
}

TEST(LoadTest, CompressorCyclesOnItsPressureSwitch) {
  Load c(LoadKind::kCompressor, 1);
  c.SetSwitch(true);
  c.SetAirUse(0.05);
  int starts = 0;
  bool was = false;
  double min_bar = 10, max_bar = 0;
  for (int t = 0; t <= 600000; t += 100) {
    c.Advance(SimTime(t), true);
    if (c.motor_running() && !was) ++starts;
    was = c.motor_running();
    min_bar = std::min(min_bar, c.tank_bar());
    max_bar = std::max(max_bar, c.tank_bar());
  }
  EXPECT_GE(starts, 3);
  EXPECT_GT(min_bar, 5.8);
  EXPECT_LT(max_bar, 8.3);
}

TEST(LoadTest, FaultyApplianceOverdrawsOnlyWhileFaulty) {
  Load f(LoadKind::kFaulty, 1);
  f.SetSwitch(true);
  f.Advance(SimTime(0), true);
  EXPECT_NEAR(f.CurrentA(SimTime(2000)), 2.2, 0.01);
  f.SetFault(true);
  EXPECT_NEAR(f.CurrentA(SimTime(2000)), 12.8, 0.05);
  EXPECT_EQ(ParseLoadKind("heat_gun"), LoadKind::kHeatGun);
  EXPECT_FALSE(ParseLoadKind("toaster"));
}

}  // namespace
}  // namespace sw::sim
