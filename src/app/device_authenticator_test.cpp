#include "app/device_authenticator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/device_bridge.hpp"
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
  EXPECT_EQ(id.workshop, workshop_);

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
  broker::ClientIdentity prov{"NEW-1", "provision:" + slug_, "127.0.0.1", false, workshop_};
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
  broker::ClientIdentity prov{"NEW-1", "provision:" + slug_, "127.0.0.1", false, workshop_};
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

// ---- devices may not speak for the platform or for integrations ---------------------------

namespace sw::app {
namespace {

TEST_F(DeviceAuthenticatorTest, DevicesNeverPublishCommandsOrCommandRequests) {
  DeviceAuthenticator auth(platform_->devices(), platform_->clock(), false);
  broker::ClientIdentity node{"c1", "NODE-1", "127.0.0.1", false};
  broker::ClientIdentity gateway{"c2", "CCU-1", "127.0.0.1", false};
  EXPECT_TRUE(auth.MayPublish(node, "sw/d/NODE-1/cmd/result"));
  EXPECT_TRUE(auth.MayPublish(node, "sw/d/NODE-1/status"));
  EXPECT_FALSE(auth.MayPublish(node, "sw/d/NODE-1/cmd"));
  EXPECT_FALSE(auth.MayPublish(node, "sw/d/NODE-1/cmd/request"));
  EXPECT_FALSE(auth.MayPublish(gateway, "sw/d/CCU-1.0A/cmd"));
  EXPECT_FALSE(auth.MayPublish(gateway, "sw/d/CCU-1.0A/cmd/request"));
  EXPECT_TRUE(auth.MayPublish(gateway, "sw/d/CCU-1.0A/cmd/result"));
  // Their own commands they still read; the integrations' requests never.
  EXPECT_TRUE(auth.MaySubscribe(node, "sw/d/NODE-1/cmd"));
  EXPECT_TRUE(auth.MayReceive(node, "sw/d/NODE-1/cmd"));
  EXPECT_FALSE(auth.MaySubscribe(node, "sw/d/NODE-1/cmd/request"));
  EXPECT_FALSE(auth.MayReceive(node, "sw/d/NODE-1/cmd/request"));
}

// ---- MQTT integrations --------------------------------------------------------------------

class IntegrationAclTest : public DeviceAuthenticatorTest {
 protected:
  void SetUp() override {
    DeviceAuthenticatorTest::SetUp();
    core::WorkshopDraft w;
    w.name = "Other Garage";
    auto ws = platform_->tenancy().CreateWorkshop(core::TenancyService::System(), w);
    ASSERT_TRUE(ws.ok());
    other_ = ws->id;
    Register(other_, "NODE-B", core::DeviceKind::kSensorNode, "", {});
    directory_ = std::make_unique<DeviceDirectory>(platform_->store(), clock_);
    auth_ = std::make_unique<DeviceAuthenticator>(platform_->devices(), clock_, false);
    auth_->EnableIntegrations(platform_->integrations(),
                              [this](const std::string& uid) -> std::optional<WorkshopId> {
                                auto d = directory_->Find(uid);
                                if (!d) return std::nullopt;
                                return d->workshop_id;
                              });
  }
  void TearDown() override {
    auth_.reset();
    directory_.reset();
    DeviceAuthenticatorTest::TearDown();
  }
  core::IntegrationWithSecret Create(core::IntegrationAccess access, WorkshopId ws) {
    core::IntegrationDraft d;
    d.name = "Home Assistant";
    d.access = access;
    auto r = platform_->integrations().Create(OwnerOf(ws), ws, d);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : core::IntegrationWithSecret{};
  }
  // Logs in like the broker does; the identity of the live connection.
  broker::ClientIdentity LogIn(const core::IntegrationWithSecret& i) {
    broker::ClientIdentity id;
    id.client_id = "ha-1";
    EXPECT_EQ(auth_->Authenticate(Creds(i.integration.username, i.secret), id),
              mqtt::ReasonCode::kSuccess);
    return id;
  }

  ManualClock clock_;
  WorkshopId other_;
  std::unique_ptr<DeviceDirectory> directory_;
  std::unique_ptr<DeviceAuthenticator> auth_;
};

TEST_F(IntegrationAclTest, IntegrationsLogInWithTheirGeneratedUsernameAndSecret) {
  auto i = Create(core::IntegrationAccess::kRead, workshop_);
  EXPECT_TRUE(i.integration.username.starts_with("int:"));
  EXPECT_EQ(i.integration.username.size(), 4u + 16u);
  EXPECT_GE(i.secret.size(), 43u);  // 256 bits, base64url
  EXPECT_NE(i.integration.secret_hash, i.secret);
  broker::ClientIdentity id = LogIn(i);
  EXPECT_FALSE(id.anonymous);
  EXPECT_TRUE(IsIntegrationClient(id));
  EXPECT_EQ(id.workshop, workshop_);

  broker::ClientIdentity bad;
  EXPECT_EQ(auth_->Authenticate(Creds(i.integration.username, i.secret + "x"), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  EXPECT_EQ(auth_->Authenticate(Creds("int:0000000000000000", i.secret), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  // Without integrations switched on, nobody logs in as one.
  DeviceAuthenticator plain(platform_->devices(), platform_->clock(), false);
  EXPECT_EQ(plain.Authenticate(Creds(i.integration.username, i.secret), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);

  // Disabled: refused as not authorized; enabled again: back in.
  core::IntegrationPatch off;
  off.enabled = false;
  ASSERT_TRUE(platform_->integrations().Update(OwnerOf(workshop_), i.integration.id, off).ok());
  EXPECT_EQ(auth_->Authenticate(Creds(i.integration.username, i.secret), bad),
            mqtt::ReasonCode::kNotAuthorized);
  core::IntegrationPatch on;
  on.enabled = true;
  ASSERT_TRUE(platform_->integrations().Update(OwnerOf(workshop_), i.integration.id, on).ok());
  LogIn(i);

  // Rotation retires the old secret; deletion every secret.
  auto rotated = platform_->integrations().RotateSecret(OwnerOf(workshop_), i.integration.id);
  ASSERT_TRUE(rotated.ok());
  EXPECT_EQ(auth_->Authenticate(Creds(i.integration.username, i.secret), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
  LogIn(*rotated);
  ASSERT_TRUE(platform_->integrations().Delete(OwnerOf(workshop_), i.integration.id).ok());
  EXPECT_EQ(auth_->Authenticate(Creds(i.integration.username, rotated->secret), bad),
            mqtt::ReasonCode::kBadUserNameOrPassword);
}

TEST_F(IntegrationAclTest, ReadIntegrationsReadTheirWorkshopsDeviceTopicsAndPublishNothing) {
  broker::ClientIdentity id = LogIn(Create(core::IntegrationAccess::kRead, workshop_));
  for (const char* filter : {"sw/d/+/telemetry", "sw/#", "#", "+/d/#", "sw/d/NODE-1/#",
                             "sw/d/NODE-1/telemetry", "sw/d/+/cmd/result", "sw/+/+/status"}) {
    EXPECT_TRUE(auth_->MaySubscribe(id, filter)) << filter;
  }
  for (const char* filter :
       {"sw/d/NODE-B/#", "sw/d/NODE-B/telemetry", "sw/d/NODE-1/cmd", "sw/d/+/cmd",
        "sw/d/+/cmd/request", "sw/d/NODE-1/cmd/request", "sw/provision/#", "sw/provision/+/config",
        "$SYS/#", "other/#", "sw", "sw/d", "sw/d/NODE-1"}) {
    EXPECT_FALSE(auth_->MaySubscribe(id, filter)) << filter;
  }
  for (const char* topic :
       {"sw/d/NODE-1/telemetry", "sw/d/NODE-1/status", "sw/d/NODE-1/event",
        "sw/d/NODE-1/cmd/result", "sw/d/CCU-1/telemetry", "sw/d/CCU-1.0A/telemetry"}) {
    EXPECT_TRUE(auth_->MayReceive(id, topic)) << topic;
  }
  for (const char* topic :
       {"sw/d/NODE-B/telemetry", "sw/d/NODE-B/cmd/result", "sw/d/NODE-1/cmd",
        "sw/d/NODE-1/cmd/request", "sw/d/NODE-1/other", "sw/d/NO-SUCH/telemetry",
        "sw/provision/NEW-1/config", "sw/provision/NEW-1/announce", "other/topic"}) {
    EXPECT_FALSE(auth_->MayReceive(id, topic)) << topic;
  }
  for (const char* topic :
       {"sw/d/NODE-1/cmd/request", "sw/d/NODE-1/cmd", "sw/d/NODE-1/telemetry", "other/topic"}) {
    EXPECT_FALSE(auth_->MayPublish(id, topic)) << topic;
  }
}

TEST_F(IntegrationAclTest, ReadWriteIntegrationsRequestCommandsForTheirWorkshopOnly) {
  broker::ClientIdentity id = LogIn(Create(core::IntegrationAccess::kReadWrite, workshop_));
  EXPECT_TRUE(auth_->MayPublish(id, "sw/d/NODE-1/cmd/request"));
  EXPECT_TRUE(auth_->MayPublish(id, "sw/d/CCU-1.0A/cmd/request"));
  for (const char* topic :
       {"sw/d/NODE-B/cmd/request", "sw/d/+/cmd/request", "sw/d/NODE-1/cmd", "sw/d/NODE-1/telemetry",
        "sw/d/NODE-1/cmd/result", "sw/provision/NEW-1/announce", "other/topic"}) {
    EXPECT_FALSE(auth_->MayPublish(id, topic)) << topic;
  }
  // Reading a request (its own or another integration's) is never allowed.
  EXPECT_FALSE(auth_->MayReceive(id, "sw/d/NODE-1/cmd/request"));
  // Another workshop's read_write integration cannot reach this workshop's devices.
  broker::ClientIdentity other = LogIn(Create(core::IntegrationAccess::kReadWrite, other_));
  EXPECT_FALSE(auth_->MayPublish(other, "sw/d/NODE-1/cmd/request"));
  EXPECT_TRUE(auth_->MayPublish(other, "sw/d/NODE-B/cmd/request"));
  EXPECT_FALSE(auth_->MayReceive(other, "sw/d/NODE-1/telemetry"));
}

TEST_F(IntegrationAclTest, ADeviceAddedLaterIsSeenThroughTheDirectory) {
  broker::ClientIdentity id = LogIn(Create(core::IntegrationAccess::kRead, workshop_));
  EXPECT_FALSE(auth_->MayReceive(id, "sw/d/NODE-NEW/telemetry"));  // unknown (cached as such)
  Register(workshop_, "NODE-NEW", core::DeviceKind::kSensorNode, "", {});
  clock_.Advance(std::chrono::seconds(6));
  // Stale: still answered from memory (no wait on the registry), queued for a re-read.
  EXPECT_FALSE(auth_->MayReceive(id, "sw/d/NODE-NEW/telemetry"));
  EXPECT_EQ(directory_->Refresh(), 1u);
  EXPECT_TRUE(auth_->MayReceive(id, "sw/d/NODE-NEW/telemetry"));
  EXPECT_TRUE(auth_->MaySubscribe(id, "sw/d/NODE-NEW/#"));
}

TEST_F(IntegrationAclTest, ChangesReachLiveConnectionsAtOnceOrAfterTheRefresh) {
  auto created = Create(core::IntegrationAccess::kReadWrite, workshop_);
  broker::ClientIdentity id = LogIn(created);
  ASSERT_TRUE(auth_->MayReceive(id, "sw/d/NODE-1/telemetry"));
  ASSERT_TRUE(auth_->MayPublish(id, "sw/d/NODE-1/cmd/request"));

  // Told by the service's listener (IntegrationBridge): at once.
  core::Integration read_only = created.integration;
  read_only.access = core::IntegrationAccess::kRead;
  auth_->IntegrationChanged(read_only, false);
  EXPECT_FALSE(auth_->MayPublish(id, "sw/d/NODE-1/cmd/request"));
  EXPECT_TRUE(auth_->MayReceive(id, "sw/d/NODE-1/telemetry"));
  auth_->IntegrationChanged(created.integration, true);  // deleted
  EXPECT_FALSE(auth_->MayReceive(id, "sw/d/NODE-1/telemetry"));
  EXPECT_FALSE(auth_->MaySubscribe(id, "sw/#"));

  // Not told (another node changed it): the cached state holds until it is re-read.
  auth_->IntegrationChanged(created.integration, false);
  core::IntegrationPatch off;
  off.enabled = false;
  ASSERT_TRUE(
      platform_->integrations().Update(OwnerOf(workshop_), created.integration.id, off).ok());
  EXPECT_TRUE(auth_->MayReceive(id, "sw/d/NODE-1/telemetry"));
  clock_.Advance(std::chrono::seconds(6));
  EXPECT_TRUE(auth_->MayReceive(id, "sw/d/NODE-1/telemetry"));  // stale, queued
  EXPECT_EQ(auth_->RefreshIntegrations(), 1u);
  EXPECT_FALSE(auth_->MayReceive(id, "sw/d/NODE-1/telemetry"));
  EXPECT_FALSE(auth_->MayPublish(id, "sw/d/NODE-1/cmd/request"));
}

TEST_F(IntegrationAclTest, IntegrationConnectionsAreTrackedByClientIdNotAsDevices) {
  std::vector<std::string> device_events;
  auth_->SetConnectionHook([&](const std::string& uid, bool) { device_events.push_back(uid); });
  broker::ClientIdentity id = LogIn(Create(core::IntegrationAccess::kReadWrite, workshop_));
  EXPECT_FALSE(auth_->IntegrationOf("ha-1"));
  auth_->Connected(id);
  EXPECT_EQ(auth_->IntegrationOf("ha-1"), id.username);
  auth_->Disconnected(id);
  EXPECT_FALSE(auth_->IntegrationOf("ha-1"));
  EXPECT_TRUE(device_events.empty());  // presence is for devices only
}

}  // namespace
}  // namespace sw::app
