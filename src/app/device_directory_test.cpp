// DeviceDirectory: the broker threads' view of the registry (app/device_bridge.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/device_bridge.hpp"
#include "app/platform.hpp"

namespace sw::app {
namespace {

class DeviceDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.data_dir =
        (std::filesystem::temp_directory_path() / ("sw-devdir-" + std::to_string(::getpid())))
            .string();
    std::filesystem::remove_all(settings_.data_dir);
    settings_.auth_argon2_memlimit_kib = 8192;
    settings_.auth_argon2_opslimit = 1;
    auto p = Platform::Open(settings_);
    ASSERT_TRUE(p.ok()) << p.error().message;
    platform_ = std::move(p).value();
    core::WorkshopDraft w;
    w.name = "Directory Garage";
    auto ws = platform_->tenancy().CreateWorkshop(core::TenancyService::System(), w);
    ASSERT_TRUE(ws.ok());
    core::DeviceDraft d;
    d.uid = "NODE-7";
    d.kind = core::DeviceKind::kSensorNode;
    ASSERT_TRUE(platform_->devices().Register(core::TenancyService::System(), ws->id, d).ok());
  }
  void TearDown() override {
    platform_.reset();
    std::filesystem::remove_all(settings_.data_dir);
  }
  void Disable(const std::string& uid) {
    core::DevicePatch patch;
    patch.status = core::DeviceStatus::kDisabled;
    ASSERT_TRUE(platform_->devices().Update(core::TenancyService::System(), uid, patch).ok());
  }

  Settings settings_;
  std::unique_ptr<Platform> platform_;
  ManualClock clock_;
};

TEST_F(DeviceDirectoryTest, UnknownDevicesAreNullAndKnownOnesAreCached) {
  DeviceDirectory dir(platform_->store(), clock_, std::chrono::seconds(5));
  EXPECT_EQ(dir.Find("NOPE-1"), nullptr);
  auto d = dir.Find("NODE-7");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->status, core::DeviceStatus::kActive);
  EXPECT_EQ(dir.Find("NODE-7"), d);  // the same object: no second read
}

// A stale entry is answered from memory (the broker thread never waits for the database);
// Refresh, run by the jobs, brings the change in.
TEST_F(DeviceDirectoryTest, StaleEntriesAreServedAndRefreshedOffTheMessagePath) {
  DeviceDirectory dir(platform_->store(), clock_, std::chrono::seconds(5));
  ASSERT_NE(dir.Find("NODE-7"), nullptr);
  Disable("NODE-7");
  EXPECT_EQ(dir.Find("NODE-7")->status, core::DeviceStatus::kActive);  // still fresh
  EXPECT_EQ(dir.Refresh(), 0u);                                        // nothing stale yet
  clock_.Advance(std::chrono::seconds(6));
  EXPECT_EQ(dir.Find("NODE-7")->status, core::DeviceStatus::kActive);  // stale, served
  EXPECT_EQ(dir.Find("NODE-7")->status, core::DeviceStatus::kActive);  // queued once
  EXPECT_EQ(dir.Refresh(), 1u);
  EXPECT_EQ(dir.Find("NODE-7")->status, core::DeviceStatus::kDisabled);
  EXPECT_EQ(dir.Refresh(), 0u);
}

TEST_F(DeviceDirectoryTest, ForgetMakesAChangeImmediate) {
  DeviceDirectory dir(platform_->store(), clock_, std::chrono::seconds(5));
  ASSERT_NE(dir.Find("NODE-7"), nullptr);
  Disable("NODE-7");
  dir.Forget("NODE-7");
  EXPECT_EQ(dir.Find("NODE-7")->status, core::DeviceStatus::kDisabled);
}

TEST_F(DeviceDirectoryTest, IdleEntriesAreDropped) {
  DeviceDirectory dir(platform_->store(), clock_, std::chrono::seconds(5),
                      std::chrono::seconds(60));
  ASSERT_NE(dir.Find("NODE-7"), nullptr);
  EXPECT_EQ(dir.Find("NOPE-1"), nullptr);
  EXPECT_EQ(dir.size(), 2u);
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_NE(dir.Find("NODE-7"), nullptr);  // used: kept (and queued, being stale)
  clock_.Advance(std::chrono::seconds(40));
  dir.Refresh();
  EXPECT_EQ(dir.size(), 1u);  // NOPE-1 unused for 70 s
}

}  // namespace
}  // namespace sw::app
