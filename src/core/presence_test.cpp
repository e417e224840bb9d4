#include "core/presence.hpp"

#include <gtest/gtest.h>

namespace sw::core {
namespace {

using namespace std::chrono_literals;

Device Node() {
  Device d;
  d.id = DeviceId{3};
  d.uid = "NODE-3";
  d.workshop_id = WorkshopId{1};
  d.report_interval_s = 10;
  return d;
}

TEST(Presence, TransitionsAreHeardOnceAndSilenceGoesOffline) {
  PresenceTracker tracker(std::chrono::seconds(60));
  std::vector<std::pair<bool, std::string>> heard;
  tracker.AddListener([&](const PresenceState& s) { heard.emplace_back(s.online, s.reason); });
  const Device d = Node();
  const SysTime t0 = FromUnixSeconds(1'700'000'000);
  tracker.Connected(d, t0);
  tracker.Seen(d, t0 + 5s);  // already online: no event
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0], (std::pair<bool, std::string>{true, "connected"}));
  EXPECT_EQ(tracker.Get(d.id)->last_seen, t0 + 5s);

  tracker.Sweep(t0 + 64s);  // 59 s of silence: max(3 x 10 s, 60 s) not yet passed
  EXPECT_TRUE(tracker.Get(d.id)->online);
  tracker.Sweep(t0 + 66s);
  EXPECT_FALSE(tracker.Get(d.id)->online);
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[1], (std::pair<bool, std::string>{false, "silent"}));
  tracker.Sweep(t0 + 120s);  // offline stays offline, heard once
  EXPECT_EQ(heard.size(), 2u);
}

Device Gateway() {
  Device d;
  d.id = DeviceId{10};
  d.uid = "CCU-1";
  d.kind = DeviceKind::kGateway;
  d.workshop_id = WorkshopId{1};
  d.report_interval_s = 10;
  return d;
}

Device Outlet(std::int64_t id, const std::string& uid) {
  Device d;
  d.id = DeviceId{id};
  d.uid = uid;
  d.kind = DeviceKind::kOutlet;
  d.parent_uid = "CCU-1";
  d.workshop_id = WorkshopId{1};
  d.report_interval_s = 10;
  return d;
}

// An outlet is reached only through its gateway: its retained status still says online
// when the gateway drops, so the gateway's going takes its outlets with it.
TEST(Presence, AGatewayGoingOfflineTakesItsOutletsWithIt) {
  PresenceTracker tracker;
  std::vector<std::pair<std::string, std::string>> offline;
  tracker.AddListener([&](const PresenceState& s) {
    if (!s.online) offline.emplace_back(s.uid, s.reason);
  });
  const SysTime t0 = FromUnixSeconds(1'700'000'000);
  const Device gw = Gateway();
  const Device a = Outlet(11, "CCU-1.01");
  const Device b = Outlet(12, "CCU-1.02");
  const Device node = Node();
  tracker.Connected(gw, t0);
  tracker.Seen(a, t0);
  tracker.Seen(b, t0);
  tracker.Connected(node, t0);

  tracker.Disconnected(gw, t0 + 1s);
  EXPECT_FALSE(tracker.Get(a.id)->online);
  EXPECT_FALSE(tracker.Get(b.id)->online);
  EXPECT_TRUE(tracker.Get(node.id)->online);  // not its child
  EXPECT_EQ(offline.size(), 3u);
  EXPECT_EQ(tracker.Get(a.id)->reason, "gateway_offline");

  // Back: outlets come back as the gateway reports for them; the will does the same.
  tracker.Connected(gw, t0 + 2s);
  tracker.Seen(a, t0 + 2s);
  EXPECT_TRUE(tracker.Get(a.id)->online);
  offline.clear();
  tracker.Reported(gw, StatusFields{false, {}, {}, {}, {}}, t0 + 3s);
  EXPECT_FALSE(tracker.Get(a.id)->online);
  ASSERT_EQ(offline.size(), 2u);  // the gateway and outlet a (b was already offline)

  // Silence: the sweep takes the gateway, and its outlets with it.
  tracker.Connected(gw, t0 + 4s);
  tracker.Seen(a, t0 + 100s);  // a "heard" later, but only ever through the gateway
  tracker.Sweep(t0 + 70s);
  EXPECT_FALSE(tracker.Get(gw.id)->online);
  EXPECT_FALSE(tracker.Get(a.id)->online);
}

TEST(Presence, StatusAndWillAndDirtyStatesForTheFlush) {
  PresenceTracker tracker;
  const Device d = Node();
  const SysTime t0 = FromUnixSeconds(1'700'000'000);
  tracker.Reported(d, StatusFields{true, "1.4.0", "10.0.0.9", 12, -61}, t0);
  auto dirty = tracker.TakeDirty();
  ASSERT_EQ(dirty.size(), 1u);
  EXPECT_TRUE(dirty[0].online);
  EXPECT_EQ(dirty[0].firmware, "1.4.0");
  EXPECT_EQ(dirty[0].rssi, -61);
  EXPECT_TRUE(tracker.TakeDirty().empty()) << "taken once";

  tracker.Reported(d, StatusFields{false, {}, {}, {}, {}}, t0 + 1s);  // the will
  dirty = tracker.TakeDirty();
  ASSERT_EQ(dirty.size(), 1u);
  EXPECT_FALSE(dirty[0].online);
  EXPECT_EQ(dirty[0].reason, "will");
  tracker.ReturnDirty(dirty);  // the flush failed: offered again next time
  EXPECT_EQ(tracker.TakeDirty().size(), 1u);
}

}  // namespace
}  // namespace sw::core
