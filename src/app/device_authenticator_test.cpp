#include "app/device_authenticator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/platform.hpp"
#include "app/provisioning_bridge.hpp"

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
    workshop_ = ws->id;
    slug_ = ws->slug;
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
  WorkshopId workshop_;
  std::string slug_;
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

// ---- provisioning -------------------------------------------------------------------------

core::Principal OwnerOf(WorkshopId ws) {
  core::Principal p;
  p.user_id = UserId{1000};
  p.username = "owner";
  p.role = core::Role::kOwner;
  p.workshop_id = ws;
  return p;
}

core::DeviceAnnouncement Announcement(core::DeviceKind kind = core::DeviceKind::kSensorNode) {
  core::DeviceAnnouncement a;
  a.kind = kind;
  a.mac = "A1:B2:C3:D4:E5:F6";
  a.firmware = "1.4.0";
  a.sensors = {"bme680"};
  a.json = R"({"kind":"sensor_node"})";
  return a;
}

mqtt::Connect ProvisioningConnect(const std::string& client_id, const std::string& slug,
                                  const std::string& key) {
  mqtt::Connect c;
  c.client_id = client_id;
  c.username = "provision:" + slug;
  c.password = key;
  return c;
}

TEST_F(DeviceAuthenticatorTest, ProvisioningClientsLogInWithTheWorkshopKeyAndTheirUid) {
  DeviceAuthenticator auth(platform_->devices(), platform_->clock(), false);
  broker::ClientIdentity before;
  // No key yet: nobody provisions.
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("NEW-1", slug_, "anything"), before),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  auto key = platform_->devices().RotateProvisioningKey(OwnerOf(workshop_), workshop_);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_GE(key->key.size(), 43u);  // 256 bits, base64url

  broker::ClientIdentity id;
  id.client_id = "NEW-1";
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("NEW-1", slug_, key->key), id),
            mqtt::ReasonCode::kSuccess);
  EXPECT_FALSE(id.anonymous);
  EXPECT_TRUE(IsProvisioningClient(id));
  EXPECT_EQ(id.workshop, std::to_string(workshop_.value));

  broker::ClientIdentity bad;
  bad.client_id = "NEW-1";
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("NEW-1", slug_, key->key + "x"), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("NEW-1", "no-such-slug", key->key), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  // The client id must be a device uid that is not a device already.
  bad.client_id = "bad uid!";
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("bad uid!", slug_, key->key), bad),
            mqtt::ReasonCode::kNotAuthorized);
  bad.client_id = "NODE-1";
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("NODE-1", slug_, key->key), bad),
            mqtt::ReasonCode::kNotAuthorized);
  bad.client_id = "";
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("", slug_, key->key), bad),
            mqtt::ReasonCode::kNotAuthorized);

  // Rotating the key retires the old one.
  auto rotated = platform_->devices().RotateProvisioningKey(OwnerOf(workshop_), workshop_);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(rotated->key, key->key);
  broker::ClientIdentity old;
  old.client_id = "NEW-1";
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("NEW-1", slug_, key->key), old),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  EXPECT_EQ(auth.Authenticate(ProvisioningConnect("NEW-1", slug_, rotated->key), old),
            mqtt::ReasonCode::kSuccess);
}

TEST_F(DeviceAuthenticatorTest, ProvisioningClientsUseOnlyTheirOwnProvisionTopics) {
  DeviceAuthenticator auth(platform_->devices(), platform_->clock(), false);
  broker::ClientIdentity prov{"NEW-1", "provision:" + slug_, "127.0.0.1", false,
                              std::to_string(workshop_.value)};
  EXPECT_TRUE(auth.MayPublish(prov, "sw/provision/NEW-1/announce"));
  EXPECT_TRUE(auth.MaySubscribe(prov, "sw/provision/NEW-1/config"));
  EXPECT_TRUE(auth.MayReceive(prov, "sw/provision/NEW-1/config"));
  EXPECT_FALSE(auth.MayPublish(prov, "sw/provision/NEW-1/config"));
  EXPECT_FALSE(auth.MayPublish(prov, "sw/provision/NEW-2/announce"));
  EXPECT_FALSE(auth.MaySubscribe(prov, "sw/provision/NEW-2/config"));
  EXPECT_FALSE(auth.MaySubscribe(prov, "sw/provision/+/config"));
  EXPECT_FALSE(auth.MaySubscribe(prov, "sw/provision/#"));
  EXPECT_FALSE(auth.MaySubscribe(prov, "#"));
  EXPECT_FALSE(auth.MaySubscribe(prov, "sw/provision/NEW-1/announce"));
  EXPECT_FALSE(auth.MayReceive(prov, "sw/provision/NEW-2/config"));
  EXPECT_FALSE(auth.MayPublish(prov, "sw/d/NEW-1/telemetry"));
  EXPECT_FALSE(auth.MaySubscribe(prov, "sw/d/NEW-1/cmd"));
  EXPECT_FALSE(auth.MayReceive(prov, "sw/d/NEW-1/cmd"));
  EXPECT_FALSE(auth.MayPublish(prov, "other/topic"));
  // A restored session (no workshop: not persisted) keeps the same narrow rights.
  broker::ClientIdentity restored{"NEW-1", "provision:" + slug_, "127.0.0.1", false};
  EXPECT_FALSE(auth.MayPublish(restored, "sw/d/NEW-1/telemetry"));
  EXPECT_FALSE(auth.MayReceive(restored, "sw/provision/NEW-2/config"));
}

TEST_F(DeviceAuthenticatorTest, DevicesAndAnonymousClientsNeverTouchProvisionTopics) {
  DeviceAuthenticator auth(platform_->devices(), platform_->clock(), true);
  broker::ClientIdentity node{"NODE-1", "NODE-1", "127.0.0.1", false};
  broker::ClientIdentity anon;
  for (const auto* id : {&node, &anon}) {
    EXPECT_FALSE(auth.MayPublish(*id, "sw/provision/NODE-1/announce"));
    EXPECT_FALSE(auth.MaySubscribe(*id, "sw/provision/NODE-1/config"));
    EXPECT_FALSE(auth.MaySubscribe(*id, "sw/provision/#"));
    // A `#` subscriber never sees a provisioning message.
    EXPECT_FALSE(auth.MayReceive(*id, "sw/provision/NODE-1/config"));
    EXPECT_FALSE(auth.MayReceive(*id, "sw/provision/NEW-1/config"));
    EXPECT_FALSE(auth.MayReceive(*id, "sw/provision/NEW-1/announce"));
  }
}

TEST_F(DeviceAuthenticatorTest, ProvisioningConnectionsAreTrackedAndNotDevicePresence) {
  DeviceAuthenticator auth(platform_->devices(), platform_->clock(), false);
  int hook_calls = 0;
  auth.SetConnectionHook([&](const std::string&, bool) { ++hook_calls; });
  broker::ClientIdentity prov{"NEW-1", "provision:" + slug_, "127.0.0.1", false,
                              std::to_string(workshop_.value)};
  EXPECT_FALSE(auth.ProvisioningWorkshop("NEW-1"));
  auth.Connected(prov);
  ASSERT_TRUE(auth.ProvisioningWorkshop("NEW-1"));
  EXPECT_EQ(*auth.ProvisioningWorkshop("NEW-1"), workshop_);
  // A takeover: the new connection arrives before the old one has gone.
  auth.Connected(prov);
  auth.Disconnected(prov);
  EXPECT_TRUE(auth.ProvisioningWorkshop("NEW-1"));
  auth.Disconnected(prov);
  EXPECT_FALSE(auth.ProvisioningWorkshop("NEW-1"));
  EXPECT_EQ(hook_calls, 0);
}

TEST_F(DeviceAuthenticatorTest, AnnounceApproveRejectThroughTheDeviceService) {
  core::DeviceService& devices = platform_->devices();
  const core::Principal owner = OwnerOf(workshop_);
  // Announce: pending, with a secret nobody knows.
  auto pending = devices.Announce(workshop_, "NEW-1", Announcement());
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  EXPECT_EQ(pending->status, core::DeviceStatus::kPending);
  EXPECT_EQ(pending->firmware_version, "1.4.0");
  EXPECT_FALSE(pending->licence.key.empty());
  // Re-announcing updates it.
  auto again = devices.Announce(workshop_, "NEW-1", Announcement(core::DeviceKind::kGateway));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->kind, core::DeviceKind::kGateway);
  EXPECT_EQ(again->id, pending->id);
  // Outlets, bad uids and existing devices are refused.
  EXPECT_FALSE(devices.Announce(workshop_, "NEW-2", Announcement(core::DeviceKind::kOutlet)).ok());
  EXPECT_FALSE(devices.Announce(workshop_, "bad uid", Announcement()).ok());
  auto taken = devices.Announce(workshop_, "NODE-1", Announcement());
  ASSERT_FALSE(taken.ok());
  EXPECT_STREQ(taken.error().Code(), "DEVICE_UID_TAKEN");
  // A pending device cannot log in.
  EXPECT_FALSE(devices.Authenticate("NEW-1", "whatever").ok());

  // Only pending devices are approved or rejected.
  auto not_pending = devices.Approve(owner, "NODE-1", {});
  ASSERT_FALSE(not_pending.ok());
  EXPECT_STREQ(not_pending.error().Code(), "DEVICE_NOT_PENDING");
  EXPECT_STREQ(devices.Reject(owner, "NODE-1").error().Code(), "DEVICE_NOT_PENDING");
  // Another workshop's owner does not see it; staff may not.
  core::WorkshopDraft other_draft;
  other_draft.name = "Other";
  auto other = platform_->tenancy().CreateWorkshop(core::TenancyService::System(), other_draft);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(devices.Approve(OwnerOf(other->id), "NEW-1", {}).error().code, Errc::kNotFound);
  core::Principal staff = owner;
  staff.role = core::Role::kStaff;
  EXPECT_EQ(devices.Approve(staff, "NEW-1", {}).error().code, Errc::kForbidden);
  // Nor may it claim the uid with its own key.
  ASSERT_TRUE(devices.RotateProvisioningKey(OwnerOf(other->id), other->id).ok());
  EXPECT_STREQ(devices.Announce(other->id, "NEW-1", Announcement()).error().Code(),
               "DEVICE_UID_TAKEN");

  core::PitDraft pit_draft;
  pit_draft.number = 1;
  pit_draft.name = "Pit 1";
  auto pit = platform_->tenancy().CreatePit(owner, workshop_, pit_draft);
  ASSERT_TRUE(pit.ok()) << pit.error().message;
  core::DeviceApproval approval;
  approval.pit_id = pit->id;
  approval.name = "Bay 1 sensor";
  auto approved = devices.Approve(owner, "NEW-1", approval);
  ASSERT_TRUE(approved.ok()) << approved.error().message;
  EXPECT_EQ(approved->device.status, core::DeviceStatus::kActive);
  EXPECT_EQ(approved->device.pit_id, pit->id);
  EXPECT_EQ(approved->device.name, "Bay 1 sensor");
  EXPECT_EQ(approved->device.licence.status, core::LicenceStatus::kTrial);
  // The trial starts at the approval.
  EXPECT_GE(approved->device.licence.starts_at, pending->licence.starts_at);
  EXPECT_EQ(approved->device.licence.expires_at - approved->device.licence.starts_at,
            std::chrono::hours(24 * core::kTrialDays));
  EXPECT_TRUE(devices.Authenticate("NEW-1", approved->secret).ok());
  // Approved once: not again, and no more announces for it.
  EXPECT_FALSE(devices.Approve(owner, "NEW-1", {}).ok());
  EXPECT_STREQ(devices.Announce(workshop_, "NEW-1", Announcement()).error().Code(),
               "DEVICE_UID_TAKEN");

  // Reject removes a pending device; its uid may announce again.
  ASSERT_TRUE(devices.Announce(workshop_, "NEW-3", Announcement()).ok());
  auto rejected = devices.Reject(owner, "NEW-3");
  ASSERT_TRUE(rejected.ok()) << rejected.error().message;
  EXPECT_EQ(devices.Get(owner, "NEW-3").error().code, Errc::kNotFound);
  EXPECT_TRUE(devices.Announce(workshop_, "NEW-3", Announcement()).ok());
}

TEST_F(DeviceAuthenticatorTest, PendingDevicesAreBoundedPerWorkshop) {
  core::DeviceService& devices = platform_->devices();
  for (int i = 0; i < core::kMaxPendingDevices; ++i) {
    ASSERT_TRUE(devices.Announce(workshop_, "P-" + std::to_string(i), Announcement()).ok()) << i;
  }
  auto over = devices.Announce(workshop_, "P-overflow", Announcement());
  ASSERT_FALSE(over.ok());
  EXPECT_STREQ(over.error().Code(), "PENDING_LIMIT");
  // Re-announcing one already pending still works.
  EXPECT_TRUE(devices.Announce(workshop_, "P-0", Announcement()).ok());
}

TEST(DecodeAnnounce, StrictAndBounded) {
  auto ok = DecodeAnnounce(
      R"({"kind":"gateway","mac":"AA:BB","fw":"2.0.1","sensors":["pzem","bme680"]})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->kind, core::DeviceKind::kGateway);
  EXPECT_EQ(ok->firmware, "2.0.1");
  EXPECT_EQ(ok->sensors.size(), 2u);
  EXPECT_NE(ok->json.find("\"mac\":\"AA:BB\""), std::string::npos);
  EXPECT_TRUE(DecodeAnnounce(R"({"kind":"camera"})").ok());
  EXPECT_FALSE(DecodeAnnounce(R"({"kind":"outlet"})").ok());
  EXPECT_FALSE(DecodeAnnounce(R"({"kind":"toaster"})").ok());
  EXPECT_FALSE(DecodeAnnounce(R"({"mac":"AA"})").ok());
  EXPECT_FALSE(DecodeAnnounce(R"({"kind":"camera","extra":1})").ok());
  EXPECT_FALSE(DecodeAnnounce(R"({"kind":"camera","sensors":"bme"})").ok());
  EXPECT_FALSE(DecodeAnnounce(R"({"kind":"camera","sensors":[1]})").ok());
  EXPECT_FALSE(DecodeAnnounce(R"({"kind":"camera","fw":")" + std::string(40, '1') + R"("})").ok());
  EXPECT_FALSE(DecodeAnnounce("[1]").ok());
  EXPECT_FALSE(DecodeAnnounce("{").ok());
  EXPECT_FALSE(DecodeAnnounce(std::string(5000, ' ')).ok());
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
