// OutletSync: the sync_outlets command a gateway gets when its outlets change or it reports an
// outdated revision — params, monotonic revisions, one open at a time, no rate limit, refused
// lists not sent again for the same outlets.
#include "core/outlet_sync.hpp"

#include <gtest/gtest.h>

#include "core/test_fakes.hpp"

namespace sw::core {
namespace {

using namespace std::chrono_literals;

constexpr WorkshopId kA{1};

class OutletSyncTest : public ::testing::Test {
 protected:
  OutletSyncTest() {
    CommandOptions options;
    options.per_user_per_minute = 1;  // system commands must not be counted
    service_ = std::make_unique<CommandService>(devices_, store_, crypto_, clock_, options);
    sync_ = std::make_unique<OutletSync>(devices_, store_, *service_, clock_);
    gateway_ = Add("CCU-1", DeviceKind::kGateway, std::nullopt);
  }

  Device Add(std::string uid, DeviceKind kind, std::optional<int> address) {
    Device d;
    d.id = DeviceId{static_cast<std::int64_t>(devices_.devices_.size() + 1)};
    d.uid = std::move(uid);
    d.kind = kind;
    d.workshop_id = kA;
    d.licence.status = LicenceStatus::kTrial;
    d.licence.expires_at = clock_.Now() + 24h * 30;
    if (address) {
      d.parent_id = DeviceId{1};
      d.parent_uid = "CCU-1";
      d.radio_address = address;
    }
    devices_.devices_[d.uid] = d;
    return d;
  }
  void Remove(const std::string& uid) { devices_.devices_.erase(uid); }

  std::vector<Command> Syncs() {
    auto listed = store_.ListCommands(Scope::All(), gateway_.id, PageRequest{1, 100});
    EXPECT_TRUE(listed.ok());
    return listed->items;  // newest first
  }
  void Finish(const Command& c, bool ok, std::string detail = "") {
    ASSERT_TRUE(service_->MarkSent(c).value());
    CommandResult r;
    r.id = c.id;
    r.ok = ok;
    r.detail = std::move(detail);
    ASSERT_TRUE(service_->ApplyResult(gateway_, r).ok());
  }

  ManualClock clock_;
  fakes::FakeDevices devices_;
  fakes::MemoryCommands store_;
  fakes::FakeCrypto crypto_;
  std::unique_ptr<CommandService> service_;
  std::unique_ptr<OutletSync> sync_;
  Device gateway_;
};

TEST(SyncOutletsParamsTest, OutletsByAddressAndTheRevisionReadBack) {
  Device a;
  a.uid = "GW.0B";
  a.radio_address = 11;
  Device b;
  b.uid = "GW.0A";
  b.radio_address = 10;
  const std::string params = SyncOutletsParams(7, {a, b});
  EXPECT_EQ(params,
            R"({"rev":7,"outlets":[{"uid":"GW.0A","address":10},{"uid":"GW.0B","address":11}]})");
  EXPECT_EQ(SyncOutletsRevision(params), 7);
  EXPECT_EQ(SyncOutletsRevision(R"({"outlets":[]})"), std::nullopt);
  EXPECT_EQ(SyncOutletsParams(1, {}), R"({"rev":1,"outlets":[]})");
  b.radio_protocol = 1;  // a legacy PIC outlet
  EXPECT_EQ(SyncOutletsParams(8, {a, b}),
            R"({"rev":8,"outlets":[{"uid":"GW.0A","address":10,"protocol":1},)"
            R"({"uid":"GW.0B","address":11}]})");
}

TEST_F(OutletSyncTest, ChangesIssueNewRevisionsSupersedingTheOpenOneWithoutRateLimit) {
  Add("CCU-1.0A", DeviceKind::kOutlet, 10);
  auto first = sync_->OutletsChanged("CCU-1");
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(*first);
  EXPECT_EQ((*first)->name, "sync_outlets");
  EXPECT_EQ((*first)->params_json, R"({"rev":1,"outlets":[{"uid":"CCU-1.0A","address":10}]})");
  EXPECT_FALSE((*first)->issued_by.has_value());

  Add("CCU-1.0B", DeviceKind::kOutlet, 11);
  auto second = sync_->OutletsChanged("CCU-1");  // more than the user rate limit of 1/min
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_TRUE(*second);
  EXPECT_EQ(SyncOutletsRevision((*second)->params_json), 2);
  const auto syncs = Syncs();
  ASSERT_EQ(syncs.size(), 2u);
  EXPECT_EQ(syncs[0].state, CommandState::kQueued);
  EXPECT_EQ(syncs[1].state, CommandState::kCancelled);
  EXPECT_NE(syncs[1].result_detail.find("superseded"), std::string::npos);

  // An outlet's change is not a gateway: nothing.
  auto none = sync_->OutletsChanged("CCU-1.0A");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
}

TEST_F(OutletSyncTest, ReportsLeadToASyncOnlyWhenTheGatewayIsOutOfDate) {
  // A fresh gateway without outlets at revision 0: nothing to say.
  EXPECT_FALSE(*sync_->CheckReported("CCU-1", 0));
  Add("CCU-1.0A", DeviceKind::kOutlet, 10);
  auto issued = sync_->CheckReported("CCU-1", 0);
  ASSERT_TRUE(issued.ok() && *issued);
  EXPECT_EQ(SyncOutletsRevision((*issued)->params_json), 1);
  // Open: the same report again does not add another.
  EXPECT_FALSE(*sync_->CheckReported("CCU-1", 0));
  Finish(**issued, true, "outlets rev 1 applied: 1 outlets");
  EXPECT_FALSE(*sync_->CheckReported("CCU-1", 1));  // in step

  // The gateway lost its registry (factory reset): revision 0 again -> a new sync, rev 2.
  auto again = sync_->CheckReported("CCU-1", 0);
  ASSERT_TRUE(again.ok() && *again);
  EXPECT_EQ(SyncOutletsRevision((*again)->params_json), 2);
  Finish(**again, true);

  // A gateway ahead of the server (a restored database): the next revision is above its own.
  auto ahead = sync_->CheckReported("CCU-1", 40);
  ASSERT_TRUE(ahead.ok() && *ahead);
  EXPECT_EQ(SyncOutletsRevision((*ahead)->params_json), 41);
  Finish(**ahead, true);

  // Outlets changed while no sync could be issued: the next report catches up.
  Remove("CCU-1.0A");
  auto caught_up = sync_->CheckReported("CCU-1", 41);
  ASSERT_TRUE(caught_up.ok() && *caught_up);
  EXPECT_EQ((*caught_up)->params_json, R"({"rev":42,"outlets":[]})");
}

TEST_F(OutletSyncTest, ARefusedListIsNotSentAgainUntilItChangesOrAnHourPassed) {
  Add("CCU-1.0A", DeviceKind::kOutlet, 10);
  auto issued = sync_->OutletsChanged("CCU-1");
  ASSERT_TRUE(issued.ok() && *issued);
  Finish(**issued, false, "address 0x0A is reserved or the gateway's own");
  EXPECT_FALSE(*sync_->CheckReported("CCU-1", 0));
  clock_.Advance(OutletSync::kRetryRefusedAfter);
  auto retried = sync_->CheckReported("CCU-1", 0);
  ASSERT_TRUE(retried.ok() && *retried);
  // Refused because the gateway was restarting: at once.
  Finish(**retried, false, "restarting");
  auto restarted = sync_->CheckReported("CCU-1", 0);
  ASSERT_TRUE(restarted.ok() && *restarted);
  EXPECT_EQ(SyncOutletsRevision((*restarted)->params_json), 3);
}

TEST_F(OutletSyncTest, RunReportedHandlesTheRecordedReports) {
  Add("CCU-1.0A", DeviceKind::kOutlet, 10);
  sync_->Reported("CCU-1", 0);
  sync_->Reported("NOPE", 3);
  EXPECT_EQ(sync_->RunReported(), 1);
  EXPECT_EQ(sync_->RunReported(), 0);  // taken
  EXPECT_EQ(Syncs().size(), 1u);
}

TEST_F(OutletSyncTest, ADisabledGatewayGetsNoSync) {
  devices_.devices_["CCU-1"].status = DeviceStatus::kDisabled;
  Add("CCU-1.0A", DeviceKind::kOutlet, 10);
  auto refused = sync_->OutletsChanged("CCU-1");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kConflict);
  EXPECT_TRUE(Syncs().empty());
}

}  // namespace
}  // namespace sw::core
