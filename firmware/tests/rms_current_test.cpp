// Tests for the RMS current math against synthesised sine waves of known amplitude.
#include "fw/rms_current.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "test_signals.h"

namespace sw::fw {
namespace {

using testing::Sine;
using testing::View;

TEST(RmsCurrentTest, Acs712ScaleMatchesTheReference) {
  // 5000 mV / 1023 counts / 100 mV/A = 48.9 mA per count (smart-outlet-system.md §2.2).
  EXPECT_NEAR(Acs712Spec(100, 5000, 1023, 0).ma_per_count, 48.876, 0.01);
  // 3300 mV / 4096 / 23 Ω × 2000 turns = 70.1 mA per count (§4.8).
  EXPECT_NEAR(Sct013Spec(2000, 23, 3300, 4096, 0).ma_per_count, 70.06, 0.01);
}

TEST(RmsCurrentTest, Acs712SineWithin2Percent) {
  const CurrentSensorSpec spec = Acs712Spec(100, 5000, 1023, 100);
  const double mv_per_count = 5000.0 / 1023.0;
  for (double amps : {0.5, 1.0, 2.744, 5.0, 10.0, 15.0}) {
    RmsCurrentMeter meter(spec);
    const double zero = 511.6;  // quiescent output, not a whole count
    ASSERT_TRUE(meter.Calibrate(View(Sine(zero, 0, 60, 3000, 10, 1023, 1))));
    const double peak_counts = amps * std::sqrt(2.0) * 100.0 / mv_per_count;
    for (double hz : {50.0, 60.0}) {
      const uint32_t ma =
          meter.MeasureMilliamps(View(Sine(zero, peak_counts, hz, 3000, 10, 1023, 1)));
      EXPECT_NEAR(ma, amps * 1000, amps * 1000 * 0.02) << amps << " A at " << hz << " Hz";
    }
  }
}

TEST(RmsCurrentTest, Sct013SineWithin2Percent) {
  const CurrentSensorSpec spec = Sct013Spec(2000, 23, 3300, 4096, 280);
  const double mv_per_count = 3300.0 / 4096.0;
  for (double amps : {2.0, 15.0, 40.0, 90.0}) {
    RmsCurrentMeter meter(spec);
    ASSERT_TRUE(meter.Calibrate(View(Sine(2051.3, 0, 60, 6000, 10, 4095, 2))));
    const double burden_mv_rms = amps / 2000.0 * 23.0 * 1000.0;
    const double peak_counts = burden_mv_rms * std::sqrt(2.0) / mv_per_count;
    const uint32_t ma =
        meter.MeasureMilliamps(View(Sine(2051.3, peak_counts, 60, 6000, 10, 4095, 2)));
    EXPECT_NEAR(ma, amps * 1000, amps * 1000 * 0.02) << amps << " A";
  }
}

TEST(RmsCurrentTest, NoLoadReadsZeroNotOneOrTwoCounts) {
  // The PIC reported 49/98 mA idle (1-2 counts of noise); calibrated noise is removed.
  RmsCurrentMeter meter(Acs712Spec(100, 5000, 1023, 100));
  ASSERT_TRUE(meter.Calibrate(View(Sine(512, 0, 60, 3000, 10, 1023, 2))));
  EXPECT_EQ(meter.MeasureMilliamps(View(Sine(512, 0, 60, 3000, 10, 1023, 2))), 0u);
}

TEST(RmsCurrentTest, BreakerZeroPointFollowsSlowDrift) {
  RmsCurrentMeter meter(Sct013Spec(2000, 23, 3300, 4096, 280));
  ASSERT_TRUE(meter.Calibrate(View(Sine(2048, 0, 60, 6000, 10, 4095))));
  // The bias drifts 40 counts (the "ghost reading" of the old CCU): after some windows the
  // drift is tracked and a no-load window reads 0 again.
  uint32_t ma = 0;
  for (int i = 0; i < 200; ++i)
    ma = meter.MeasureMilliamps(View(Sine(2088, 0, 60, 6000, 10, 4095)));
  EXPECT_EQ(ma, 0u);
  EXPECT_NEAR(meter.zero_counts(), 2088, 1);
}

TEST(RmsCurrentTest, EmptyWindows) {
  RmsCurrentMeter meter(Acs712Spec(100, 5000, 1023, 100));
  EXPECT_FALSE(meter.Calibrate(Span<const uint16_t>()));
  EXPECT_FALSE(meter.calibrated());
  EXPECT_EQ(meter.MeasureMilliamps(Span<const uint16_t>()), 0u);
}

}  // namespace
}  // namespace sw::fw
