// DeviceService::Authenticate on the real stores: the check the broker and the HTTP device
// API use for uid + secret.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/platform.hpp"

namespace sw::app {
namespace {

TEST(DeviceAuth, SecretAndStatusDecide) {
  Settings settings;
  settings.data_dir =
      (std::filesystem::temp_directory_path() / ("sw-devauth-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(settings.data_dir);
  settings.auth_argon2_memlimit_kib = 8192;
  settings.auth_argon2_opslimit = 1;
  auto platform = Platform::Open(settings);
  ASSERT_TRUE(platform.ok()) << platform.error().message;
  auto& p = **platform;
  const auto system = core::TenancyService::System();
  core::WorkshopDraft workshop;
  workshop.name = "Auth Garage";
  auto ws = p.tenancy().CreateWorkshop(system, workshop);
  ASSERT_TRUE(ws.ok());
  core::DeviceDraft draft;
  draft.uid = "NODE-1";
  auto reg = p.devices().Register(system, ws->id, draft);
  ASSERT_TRUE(reg.ok()) << reg.error().message;

  auto ok = p.devices().Authenticate("NODE-1", reg->secret);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->uid, "NODE-1");
  EXPECT_EQ(p.devices().Authenticate("NODE-1", reg->secret + "x").error().code,
            Errc::kUnauthenticated);
  EXPECT_EQ(p.devices().Authenticate("NODE-2", reg->secret).error().code, Errc::kUnauthenticated);
  EXPECT_EQ(p.devices().Authenticate("NODE-1", "").error().code, Errc::kUnauthenticated);
  EXPECT_EQ(p.devices().Authenticate("bad uid", reg->secret).error().code, Errc::kUnauthenticated);

  // A rotated secret replaces the old one.
  auto rotated = p.devices().RotateSecret(system, "NODE-1");
  ASSERT_TRUE(rotated.ok());
  EXPECT_FALSE(p.devices().Authenticate("NODE-1", reg->secret).ok());
  EXPECT_TRUE(p.devices().Authenticate("NODE-1", rotated->secret).ok());

  // A disabled device is known but refused; a retired one is unknown.
  core::DevicePatch off;
  off.status = core::DeviceStatus::kDisabled;
  ASSERT_TRUE(p.devices().Update(system, "NODE-1", off).ok());
  EXPECT_EQ(p.devices().Authenticate("NODE-1", rotated->secret).error().code, Errc::kForbidden);
  ASSERT_TRUE(p.devices().Delete(system, "NODE-1", false).ok());
  EXPECT_EQ(p.devices().Authenticate("NODE-1", rotated->secret).error().code,
            Errc::kUnauthenticated);
  std::filesystem::remove_all(settings.data_dir);
}

}  // namespace
}  // namespace sw::app
