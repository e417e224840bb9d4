#include "core/device.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace sw::core {
namespace {

TEST(Device, UidRules) {
  EXPECT_TRUE(ValidateDeviceUid("ESP32-A1B2C3D4E5F6").ok());
  EXPECT_TRUE(ValidateDeviceUid("CCU-02.FE").ok());
  EXPECT_TRUE(ValidateDeviceUid(std::string(64, 'a')).ok());
  EXPECT_FALSE(ValidateDeviceUid("").ok());
  EXPECT_FALSE(ValidateDeviceUid(std::string(65, 'a')).ok());
  for (const char* bad : {"has space", "slash/", "plus+", "hash#", "ümlaut", "a\nb"}) {
    auto s = ValidateDeviceUid(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().field, "uid");
  }
}

TEST(Device, OutletUidIsGatewayDotHexAddress) {
  EXPECT_EQ(OutletUid("CCU-02", 0xFE), "CCU-02.FE");
  EXPECT_EQ(OutletUid("CCU-02", 1), "CCU-02.01");
}

TEST(Device, LicenceKeysHaveTheDocumentedShapeAndUseTheirInput) {
  const std::regex shape("^LIC-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$");
  const std::string a = FormatLicenceKey("abcdefghijkl");
  const std::string b = FormatLicenceKey("abcdefghijkm");
  EXPECT_TRUE(std::regex_match(a, shape)) << a;
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 13), b.substr(0, 13));
}

TEST(Device, NamesRoundTrip) {
  for (auto k :
       {DeviceKind::kSensorNode, DeviceKind::kGateway, DeviceKind::kOutlet, DeviceKind::kCamera}) {
    EXPECT_EQ(ParseDeviceKind(DeviceKindName(k)), k);
  }
  for (auto st : {DeviceStatus::kPending, DeviceStatus::kActive, DeviceStatus::kDisabled,
                  DeviceStatus::kSuspended, DeviceStatus::kMaintenance}) {
    EXPECT_EQ(ParseDeviceStatus(DeviceStatusName(st)), st);
  }
  EXPECT_FALSE(ParseDeviceKind("toaster"));
}

}  // namespace
}  // namespace sw::core
