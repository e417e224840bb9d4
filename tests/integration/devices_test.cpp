// The device registry over REST: secrets shown once, licences, outlets under gateways,
// retire and purge, tenant isolation of device data.
#include <gtest/gtest.h>

#include <regex>

#include "harness.hpp"

namespace sw::testing {
namespace {

class DevicesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess;
    auto client = server_->Client();
    admin_ = Login(client, "admin", ServerProcess::kAdminPassword);
    ws_ = client.Post("/api/v1/workshops", {{"name", "Device Garage"}}, admin_)
              .Json()
              .at("data")
              .at("id")
              .as_int64();
    other_ = client.Post("/api/v1/workshops", {{"name", "Other Garage"}}, admin_)
                 .Json()
                 .at("data")
                 .at("id")
                 .as_int64();
    pit_ = client
               .Post(Devices(ws_).substr(0, Devices(ws_).size() - 8) + "/pits", {{"number", 1}},
                     admin_)
               .Json()
               .at("data")
               .at("id")
               .as_int64();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::string Devices(std::int64_t ws) {
    return "/api/v1/workshops/" + std::to_string(ws) + "/devices";
  }
  HttpResult Register(const json::object& body, std::int64_t ws = 0) {
    auto client = server_->Client();
    return client.Post(Devices(ws ? ws : ws_), body, admin_);
  }
  static ServerProcess* server_;
  static inline std::string admin_;
  static inline std::int64_t ws_ = 0, other_ = 0, pit_ = 0;
};
ServerProcess* DevicesTest::server_ = nullptr;

TEST_F(DevicesTest, RegisteringShowsTheSecretOnceAndCreatesATrialLicence) {
  auto r = Register({{"uid", "ESP32-A1B2C3D4E5F6"},
                     {"kind", "sensor_node"},
                     {"pit_id", pit_},
                     {"name", "Pit 1 climate"}});
  ASSERT_EQ(r.status, 201) << r.body;
  const auto data = r.Json().at("data");
  const std::string secret(data.at("secret").as_string());
  EXPECT_GE(secret.size(), 40u);
  const auto& d = data.at("device");
  EXPECT_EQ(d.at("uid").as_string(), "ESP32-A1B2C3D4E5F6");
  EXPECT_EQ(d.at("pit_id").as_int64(), pit_);
  EXPECT_EQ(d.at("status").as_string(), "active");
  const std::string key(d.at("licence").at("key").as_string());
  EXPECT_TRUE(std::regex_match(key, std::regex("^LIC-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")))
      << key;
  EXPECT_EQ(d.at("licence").at("status").as_string(), "trial");

  auto client = server_->Client();
  auto got = client.Get("/api/v1/devices/ESP32-A1B2C3D4E5F6", admin_);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body.find(secret), std::string::npos) << "secret readable after creation";
  EXPECT_EQ(got.body.find("secret"), std::string::npos) << got.body;

  auto rotated =
      client.Post("/api/v1/devices/ESP32-A1B2C3D4E5F6/rotate-secret", json::object{}, admin_);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(rotated.Json().at("data").at("secret").as_string(), secret);

  auto dup = Register({{"uid", "ESP32-A1B2C3D4E5F6"}, {"kind", "sensor_node"}});
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.ErrorCode(), "DEVICE_UID_TAKEN");
}

TEST_F(DevicesTest, OutletsHangOffAGatewayAtAUniqueRadioAddress) {
  ASSERT_EQ(Register({{"uid", "CCU-02"}, {"kind", "gateway"}}).status, 201);
  auto outlet = Register({{"kind", "outlet"}, {"parent_uid", "CCU-02"}, {"radio_address", 254}});
  ASSERT_EQ(outlet.status, 201) << outlet.body;
  EXPECT_EQ(outlet.Json().at("data").at("device").at("uid").as_string(), "CCU-02.FE");
  EXPECT_EQ(outlet.Json().at("data").at("device").at("parent_uid").as_string(), "CCU-02");

  auto clash = Register({{"kind", "outlet"}, {"parent_uid", "CCU-02"}, {"radio_address", 254}});
  EXPECT_EQ(clash.status, 409) << clash.body;
  auto bad_addr = Register({{"kind", "outlet"}, {"parent_uid", "CCU-02"}, {"radio_address", 255}});
  EXPECT_EQ(bad_addr.Json().at("error").at("details").at("field"), "radio_address");
  auto wrong_uid =
      Register({{"uid", "X"}, {"kind", "outlet"}, {"parent_uid", "CCU-02"}, {"radio_address", 3}});
  EXPECT_EQ(wrong_uid.Json().at("error").at("details").at("field"), "uid");
  auto not_gateway =
      Register({{"kind", "outlet"}, {"parent_uid", "CCU-02.FE"}, {"radio_address", 4}});
  EXPECT_EQ(not_gateway.Json().at("error").at("details").at("field"), "parent_uid");
  // A gateway of another workshop is not a parent here.
  ASSERT_EQ(Register({{"uid", "CCU-OTHER"}, {"kind", "gateway"}}, other_).status, 201);
  auto foreign = Register({{"kind", "outlet"}, {"parent_uid", "CCU-OTHER"}, {"radio_address", 5}});
  EXPECT_EQ(foreign.Json().at("error").at("details").at("field"), "parent_uid");

  auto client = server_->Client();
  auto parent_delete = client.Request("DELETE", "/api/v1/devices/CCU-02", "", admin_);
  EXPECT_EQ(parent_delete.status, 409);
  EXPECT_EQ(parent_delete.ErrorCode(), "DEVICE_HAS_CHILDREN");
  EXPECT_EQ(client.Request("DELETE", "/api/v1/devices/CCU-02.FE", "", admin_).status, 200);
  // The retired outlet keeps its uid (and history); a replacement at the same address needs
  // the old one purged first.
  auto reuse = Register({{"kind", "outlet"}, {"parent_uid", "CCU-02"}, {"radio_address", 254}});
  EXPECT_EQ(reuse.ErrorCode(), "DEVICE_UID_TAKEN");
  // Nor can the gateway be purged while a retired outlet still refers to it.
  auto early_purge = client.Request("DELETE", "/api/v1/devices/CCU-02?purge=true", "", admin_);
  EXPECT_EQ(early_purge.ErrorCode(), "DEVICE_HAS_CHILDREN");
  // The retired outlet can still be purged (the lookup is tenant-scoped like every device
  // read), which frees its uid and address: it used to be gone for every call, so the address
  // could never be reused.
  EXPECT_EQ(client.Get("/api/v1/devices/CCU-02.FE", admin_).status, 404)
      << "a retired device is gone for reads";
  auto purge_retired = client.Request("DELETE", "/api/v1/devices/CCU-02.FE?purge=true", "", admin_);
  ASSERT_EQ(purge_retired.status, 200) << purge_retired.body;
  EXPECT_EQ(purge_retired.Json().at("data").at("purged"), true);
  EXPECT_EQ(Register({{"kind", "outlet"}, {"parent_uid", "CCU-02"}, {"radio_address", 254}}).status,
            201)
      << "the replacement takes the address";
  EXPECT_EQ(client.Request("DELETE", "/api/v1/devices/CCU-02.FE?purge=true", "", admin_).status,
            200);
  EXPECT_EQ(client.Request("DELETE", "/api/v1/devices/CCU-02.FE?purge=true", "", admin_).status,
            404)
      << "purged: nothing left";
}

TEST_F(DevicesTest, RetireKeepsTheUidReservedAndPurgeFreesIt) {
  ASSERT_EQ(Register({{"uid", "CAM-1"}, {"kind", "camera"}}).status, 201);
  auto client = server_->Client();
  ASSERT_EQ(client.Request("DELETE", "/api/v1/devices/CAM-1", "", admin_).status, 200);
  EXPECT_EQ(client.Get("/api/v1/devices/CAM-1", admin_).status, 404);
  EXPECT_EQ(Register({{"uid", "CAM-1"}, {"kind", "camera"}}).ErrorCode(), "DEVICE_UID_TAKEN");

  ASSERT_EQ(Register({{"uid", "CAM-2"}, {"kind", "camera"}}).status, 201);
  auto purged = client.Request("DELETE", "/api/v1/devices/CAM-2?purge=true", "", admin_);
  ASSERT_EQ(purged.status, 200) << purged.body;
  EXPECT_EQ(Register({{"uid", "CAM-2"}, {"kind", "camera"}}).status, 201);
}

TEST_F(DevicesTest, ChangesAreValidatedAndAudited) {
  ASSERT_EQ(Register({{"uid", "NODE-PATCH"}, {"kind", "sensor_node"}, {"pit_id", pit_}}).status,
            201);
  auto client = server_->Client();
  auto bad_status =
      client.Request("PATCH", "/api/v1/devices/NODE-PATCH", R"({"status":"suspended"})", admin_);
  EXPECT_EQ(bad_status.status, 400);
  auto bad_interval =
      client.Request("PATCH", "/api/v1/devices/NODE-PATCH", R"({"report_interval_s":0})", admin_);
  EXPECT_EQ(bad_interval.Json().at("error").at("details").at("field"), "report_interval_s");
  auto unpit = client.Request("PATCH", "/api/v1/devices/NODE-PATCH",
                              R"({"pit_id":null,"status":"maintenance"})", admin_);
  ASSERT_EQ(unpit.status, 200) << unpit.body;
  EXPECT_TRUE(unpit.Json().at("data").at("pit_id").is_null());
  EXPECT_EQ(unpit.Json().at("data").at("status").as_string(), "maintenance");
  auto log = client.Get("/api/v1/audit?action=device.update", admin_);
  EXPECT_NE(log.body.find("NODE-PATCH"), std::string::npos);
  EXPECT_EQ(log.body.find("secret_hash"), std::string::npos);
}

TEST_F(DevicesTest, BadInputIsRefused) {
  EXPECT_EQ(Register({{"uid", "has space"}, {"kind", "sensor_node"}}).status, 400);
  EXPECT_EQ(Register({{"uid", "X1"}, {"kind", "toaster"}}).status, 400);
  EXPECT_EQ(Register({{"kind", "sensor_node"}}).status, 400);
  EXPECT_EQ(Register({{"uid", "X2"}, {"kind", "gateway"}, {"radio_address", 3}}).status, 400);
  auto other_pit = Register({{"uid", "X3"}, {"kind", "sensor_node"}, {"pit_id", 999999}});
  EXPECT_EQ(other_pit.Json().at("error").at("details").at("field"), "pit_id");
  auto client = server_->Client();
  EXPECT_EQ(client.Get("/api/v1/devices/no%20such", admin_).status, 404);
  EXPECT_EQ(client.Get("/api/v1/workshops/" + std::to_string(ws_) + "/devices?kind=toaster", admin_)
                .status,
            400);
}

}  // namespace
}  // namespace sw::testing
