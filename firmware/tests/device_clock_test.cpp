// DeviceClock: uptime from a wrapping 32-bit tick and the wall-clock mapping.
#include <gtest/gtest.h>

#include "fw/device_link.h"

namespace sw::fw {
namespace {

TEST(DeviceClock, CountsAcrossTheTickWrapAndIgnoresTimeGoingBack) {
  DeviceClock c;
  c.Advance(123);  // before the start: nothing counted
  EXPECT_FALSE(c.started());
  EXPECT_EQ(c.uptime_ms(), 0u);
  c.Restart(0xFFFFFF00u);
  c.Advance(0x00000100u);  // wrapped: 0x200 ms later
  EXPECT_EQ(c.uptime_ms(), 0x200u);
  c.Advance(0x000000F0u);  // earlier than the last tick: no time passed
  EXPECT_EQ(c.uptime_ms(), 0x200u);
  c.Advance(0x00000300u);
  EXPECT_EQ(c.uptime_ms(), 0x400u);
}

TEST(DeviceClock, WallTimeMapsUptimeUntilARestart) {
  DeviceClock c;
  int64_t unix_ms = 0;
  c.Restart(1000);
  EXPECT_FALSE(c.WallTime(0, &unix_ms));
  c.Advance(6000);                          // uptime 5 s
  c.SetWall(6000, 1'700'000'000'000);       // now is 1,700,000,000 s
  ASSERT_TRUE(c.WallTime(2000, &unix_ms));  // a reading taken at uptime 2 s
  EXPECT_EQ(unix_ms, 1'700'000'000'000 - 3000);
  c.Restart(50);  // a reboot: uptime from 0 again, the old mapping is void
  EXPECT_EQ(c.uptime_ms(), 0u);
  EXPECT_FALSE(c.WallTime(0, &unix_ms));
}

}  // namespace
}  // namespace sw::fw
