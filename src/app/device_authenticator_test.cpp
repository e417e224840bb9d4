#include "app/device_authenticator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/platform.hpp"

namespace sw::app {
namespace {

class DeviceAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings_.data_dir =
        (std::filesystem::temp_directory_path() / ("sw-devacl-" + std::to_string(::getpid())))
            .string();
    std::filesystem::remove_all(settings_.data_dir);
    settings_.auth_argon2_memlimit_kib = 8192;
    settings_.auth_argon2_opslimit = 1;
    auto p = Platform::Open(settings_);
    ASSERT_TRUE(p.ok()) << p.error().message;
    platform_ = std::move(p).value();
    const auto system = core::TenancyService::System();
    core::WorkshopDraft w;
    w.name = "ACL Garage";
    auto ws = platform_->tenancy().CreateWorkshop(system, w);
    ASSERT_TRUE(ws.ok());
    gateway_secret_ = Register(ws->id, "CCU-1", core::DeviceKind::kGateway, "", {});
    outlet_secret_ = Register(ws->id, "", core::DeviceKind::kOutlet, "CCU-1", 0x0A);
    node_secret_ = Register(ws->id, "NODE-1", core::DeviceKind::kSensorNode, "", {});
  }
  void TearDown() override {
    platform_.reset();
    std::filesystem::remove_all(settings_.data_dir);
  }
  std::string Register(WorkshopId ws, std::string uid, core::DeviceKind kind, std::string parent,
                       std::optional<int> address) {
    core::DeviceDraft d;
    d.uid = std::move(uid);
    d.kind = kind;
    d.parent_uid = std::move(parent);
    d.radio_address = address;
    auto r = platform_->devices().Register(core::TenancyService::System(), ws, d);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r->secret : "";
  }
  static mqtt::Connect Creds(std::optional<std::string> user, std::optional<std::string> pass) {
    mqtt::Connect c;
    c.username = std::move(user);
    c.password = std::move(pass);
    return c;
  }

  Settings settings_;
  std::unique_ptr<Platform> platform_;
  std::string gateway_secret_, outlet_secret_, node_secret_;
};

TEST_F(DeviceAuthenticatorTest, DevicesLogInWithUidAndSecret) {
  DeviceAuthenticator auth(platform_->devices(), platform_->clock(), false);
  broker::ClientIdentity id;
  EXPECT_EQ(auth.Authenticate(Creds("NODE-1", node_secret_), id), mqtt::ReasonCode::kSuccess);
  EXPECT_EQ(id.username, "NODE-1");
  EXPECT_FALSE(id.anonymous);
  broker::ClientIdentity bad;
  EXPECT_EQ(auth.Authenticate(Creds("NODE-1", gateway_secret_), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  EXPECT_EQ(auth.Authenticate(Creds("NODE-9", node_secret_), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  EXPECT_EQ(auth.Authenticate(Creds("NODE-1", std::nullopt), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  EXPECT_EQ(auth.Authenticate(Creds(std::nullopt, std::nullopt), bad),
            mqtt::ReasonCode::kNotAuthorized);
}

TEST_F(DeviceAuthenticatorTest, DevicesUseOnlyTheirOwnTopicsAndGatewaysTheirOutlets) {
  DeviceAuthenticator auth(platform_->devices(), platform_->clock(), false);
  broker::ClientIdentity node{"c1", "NODE-1", "127.0.0.1", false};
  broker::ClientIdentity gateway{"c2", "CCU-1", "127.0.0.1", false};
  EXPECT_TRUE(auth.MayPublish(node, "sw/d/NODE-1/telemetry"));
  EXPECT_TRUE(auth.MaySubscribe(node, "sw/d/NODE-1/#"));
  EXPECT_TRUE(auth.MaySubscribe(node, "sw/d/NODE-1/cmd"));
  EXPECT_FALSE(auth.MayPublish(node, "sw/d/CCU-1/telemetry"));
  EXPECT_FALSE(auth.MaySubscribe(node, "sw/d/+/cmd"));
  EXPECT_FALSE(auth.MaySubscribe(node, "sw/d/#"));
  EXPECT_FALSE(auth.MaySubscribe(node, "#"));
  EXPECT_FALSE(auth.MayPublish(node, "sw/d/NODE-1"));
  EXPECT_FALSE(auth.MayPublish(node, "other/topic"));
  EXPECT_FALSE(auth.MayReceive(node, "sw/d/CCU-1/cmd"));
  // The gateway speaks for its outlet, and only for it.
  EXPECT_TRUE(auth.MayPublish(gateway, "sw/d/CCU-1.0A/telemetry"));
  EXPECT_TRUE(auth.MaySubscribe(gateway, "sw/d/CCU-1.0A/cmd"));
  EXPECT_FALSE(auth.MayPublish(gateway, "sw/d/NODE-1/telemetry"));
  broker::ClientIdentity outlet{"c3", "CCU-1.0A", "127.0.0.1", false};
  EXPECT_FALSE(auth.MayPublish(outlet, "sw/d/CCU-1/telemetry"));
}

TEST_F(DeviceAuthenticatorTest, AnonymousOnlyWhenAllowedAndNeverUnderSw) {
  DeviceAuthenticator open(platform_->devices(), platform_->clock(), true);
  broker::ClientIdentity anon;
  EXPECT_EQ(open.Authenticate(Creds(std::nullopt, std::nullopt), anon), mqtt::ReasonCode::kSuccess);
  EXPECT_TRUE(anon.anonymous);
  EXPECT_TRUE(open.MayPublish(anon, "home/kitchen/temp"));
  EXPECT_FALSE(open.MayPublish(anon, "sw/d/NODE-1/telemetry"));
  EXPECT_FALSE(open.MaySubscribe(anon, "sw/#"));
  EXPECT_TRUE(open.MaySubscribe(anon, "#"));
  EXPECT_FALSE(open.MayReceive(anon, "sw/d/NODE-1/telemetry"));
}

TEST(DeviceTopicUid, ParsesOnlyDeviceTopics) {
  EXPECT_EQ(DeviceTopicUid("sw/d/CCU-1/telemetry"), "CCU-1");
  EXPECT_EQ(DeviceTopicUid("sw/d/CCU-1/cmd/result"), "CCU-1");
  EXPECT_EQ(DeviceTopicUid("sw/d/CCU-1"), "");
  EXPECT_EQ(DeviceTopicUid("sw/d//telemetry"), "");
  EXPECT_EQ(DeviceTopicUid("sw/provision/X/announce"), "");
  EXPECT_EQ(DeviceTopicUid("sw/d/CCU-1/"), "");
}

}  // namespace
}  // namespace sw::app
