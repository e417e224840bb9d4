// The pit model and the sensor wire formats: dust from sanding rises in bursts and the fan
// clears it; humidity follows temperature; the frames decode with the firmware's decoders.
#include "model/pit.hpp"

#include <gtest/gtest.h>

#include "fw/dht22.h"
#include "fw/pms5003.h"
#include "model/sensors.hpp"

namespace sw::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

void Advance(PitModel& pit, seconds total) {
  for (seconds t{0}; t < total; t += seconds(1)) pit.Step(milliseconds(1000), 14.0);
}

TEST(PitModelTest, SandingRaisesDustAndTheFanClearsItFasterThanAirExchange) {
  PitParams p;
  PitModel fan(p, 7);
  PitModel still(p, 7);
  Advance(fan, seconds(60));
  const double background = fan.conditions().pm10;
  EXPECT_NEAR(background, p.background_pm10, p.background_pm10 * 0.6);

  fan.SetSanding(true);
  still.SetSanding(true);
  Advance(fan, seconds(120));
  Advance(still, seconds(180));
  EXPECT_GT(fan.conditions().pm10, 5 * background) << "a sanding burst is visible";
  EXPECT_GT(fan.conditions().pm25, fan.conditions().pm1);
  EXPECT_GT(fan.conditions().pm10, fan.conditions().pm25) << "sanding dust is coarse";
  EXPECT_GT(fan.conditions().voc, 0.05);

  fan.SetSanding(false);
  still.SetSanding(false);
  fan.SetFan(true);
  Advance(fan, seconds(180));
  Advance(still, seconds(180));
  EXPECT_LT(fan.conditions().pm10, 2 * background) << "the fan clears the dust in minutes";
  EXPECT_GT(still.conditions().pm10, 5 * fan.conditions().pm10)
      << "without the fan the dust lingers";
  EXPECT_LT(fan.conditions().gas_ohm / p.clean_gas_ohm, 1.05);
  EXPECT_GT(fan.conditions().gas_ohm, still.conditions().gas_ohm) << "VOCs cleared as well";
}

TEST(PitModelTest, ParticleCountsShrinkWithSize) {
  PitModel pit(PitParams{}, 3);
  pit.SetSanding(true);
  Advance(pit, seconds(90));
  const auto& n = pit.conditions().particles;
  for (std::size_t i = 1; i < n.size(); ++i) EXPECT_GE(n[i - 1], n[i]) << i;
  EXPECT_GT(n[5], 0);
}

TEST(PitModelTest, HeaterWarmsThePitAndRelativeHumidityFalls) {
  PitModel pit(PitParams{}, 5);
  Advance(pit, seconds(60));
  const double t0 = pit.conditions().temperature_c;
  const double rh0 = pit.conditions().humidity_pct;
  pit.SetHeater(true);
  Advance(pit, seconds(3600));
  EXPECT_GT(pit.conditions().temperature_c, t0 + 2.0);
  EXPECT_LT(pit.conditions().humidity_pct, rh0 - 5.0);
  EXPECT_GT(pit.conditions().humidity_pct, 0.0);
}

TEST(PitModelTest, DailyCycleIsWarmestInTheAfternoon) {
  PitParams p;
  PitModel pit(p, 9);
  double at_15 = 0, at_3 = 0;
  for (int h = 0; h < 48 * 60; ++h) {
    const double hour = std::fmod(h / 60.0, 24.0);
    pit.Step(milliseconds(60000), hour);
    if (h >= 24 * 60 && h % (24 * 60) == 16 * 60) at_15 = pit.conditions().temperature_c;
    if (h >= 24 * 60 && h % (24 * 60) == 4 * 60) at_3 = pit.conditions().temperature_c;
  }
  EXPECT_GT(at_15, at_3 + 2.0);
}

TEST(SensorFramesTest, Dht22FrameDecodesWithItsOffsetAndSign) {
  fw::Dht22Reading r;
  auto f = Dht22Frame(21.46, 48.0);
  ASSERT_EQ(fw::DecodeDht22(fw::ByteSpan(f.data(), f.size()), &r), fw::Dht22Error::kOk);
  EXPECT_EQ(r.temperature_dc, 218);  // +0.3 °C sensor offset
  EXPECT_EQ(r.humidity_dpct, 465);   // -1.5 %RH
  f = Dht22Frame(-5.3, 80.0);
  ASSERT_EQ(fw::DecodeDht22(fw::ByteSpan(f.data(), f.size()), &r), fw::Dht22Error::kOk);
  EXPECT_EQ(r.temperature_dc, -50);
}

TEST(SensorFramesTest, Pms5003FrameDecodesToTheModelsValues) {
  PitConditions c;
  c.pm1 = 12.4;
  c.pm25 = 30.2;
  c.pm10 = 88.7;
  c.particles = {3000, 900, 300, 40, 8, 2};
  const auto f = Pms5003Frame(c);
  fw::Pms5003Reading r;
  ASSERT_EQ(fw::DecodePms5003(fw::ByteSpan(f.data(), f.size()), &r), fw::Pms5003Error::kOk);
  EXPECT_EQ(r.pm1, 12);
  EXPECT_EQ(r.pm25, 30);
  EXPECT_EQ(r.pm10, 89);
  EXPECT_EQ(r.particles_03um, 3000);
  EXPECT_EQ(r.particles_100um, 2);
}

TEST(SensorFramesTest, Bme680ReadingCarriesTheConditions) {
  PitConditions c;
  c.temperature_c = 22.5;
  c.humidity_pct = 41.25;
  c.pressure_hpa = 1013.2;
  c.gas_ohm = 150000;
  const fw::Bme680Reading r = Bme680From(c);
  EXPECT_EQ(r.temperature_cdeg, 2250);
  EXPECT_EQ(r.humidity_mpct, 41250u);
  EXPECT_EQ(r.pressure_pa, 101320u);
  EXPECT_EQ(r.gas_ohm, 150000u);
}

}  // namespace
}  // namespace sw::sim
