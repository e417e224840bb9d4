// Tests for the CCU's uplink core: session start-up (will, subscriptions for itself and its
// outlets, statuses, boot event), commands for the gateway and its outlets answered after the
// radio exchange and de-duplicated by id, set_breaker_limit through the gateway core (bounds,
// persistence, storage failure), restart, the offline telemetry ring (bounded, oldest
// dropped and counted, flushed in acknowledged batches with the original timestamps), and
// sync_outlets (the server's registry applied all or nothing, outlets added and dropped
// without a reboot, the revision in the retained status).
// The outlets are hand-made responders on the gateway core's frames; time is an argument.
#include "fw/gateway_uplink.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "fw/nvm.h"

namespace sw::fw {
namespace {

constexpr uint8_t kGw = 0x02;
constexpr int64_t kEpochMs = 1'750'000'000'000;

struct Sent {
  NodeActionKind kind;
  std::string topic;
  std::string payload;
  uint32_t token;
  bool retain;
};

// A v2 outlet reduced to its radio answers: relays, threshold, a fixed load per socket.
struct FakeOutlet {
  uint8_t address = 0;
  OutletStatus status;
  uint16_t load_ma[2] = {520, 0};
  bool mute = false;

  bool Answer(const V2Frame& request, V2Frame* reply) {
    if (mute || request.target != address) return false;
    const int i = request.socket == kSocketA ? 0 : (request.socket == kSocketB ? 1 : -1);
    switch (request.command) {
      case RadioCommand::kStatus:
        for (int s = 0; s < 2; ++s) status.current_ma[s] = status.relay_on[s] ? load_ma[s] : 0;
        *reply = V2StatusReport(request, address, status);
        return true;
      case RadioCommand::kRelayOn:
      case RadioCommand::kRelayOff:
        if (i < 0) return false;
        status.relay_on[i] = request.command == RadioCommand::kRelayOn;
        *reply = V2Ack(request, address, EncodeStatusFlags(status));
        return true;
      case RadioCommand::kSetThreshold:
        status.threshold_ma = ReadBe16(request.payload.data());
        *reply = V2Ack(request, address, EncodeStatusFlags(status));
        return true;
      default: *reply = V2Nack(request, address, NackReason::kUnknownCommand); return true;
    }
  }
};

class UplinkTest : public ::testing::Test {
 protected:
  UplinkTest() { Start(); }

  void Start() {
    GatewayConfig gc;
    gc.own_address = kGw;
    gc.breaker_threshold_ma = 20000;
    gateway_ = std::make_unique<CcuGateway>(gc, &store_);
    GatewayUplinkConfig uc;
    uc.uid = "CCU-1";
    uc.firmware_version = "1.0.0";
    uc.outlet_firmware_version = "2.0.0";
    uc.interval_ms = 5000;
    uc.verify_delay_ms = 300;
    uc.max_batch_readings = 10;
    uplink_ = std::make_unique<GatewayUplink>(uc, *gateway_);
    GatewayEffects fx;
    gateway_->Boot(now_, &fx);
    for (FakeOutlet& o : outlets_) {
      gateway_->AddOutlet(o.address, 100, 100, &fx);
      uplink_->AddOutlet(o.address);
    }
    out_.Clear();
    uplink_->Boot(now_, &out_);
    uplink_->SetWallClock(now_, kEpochMs);
    Collect();
  }

  void Collect() {
    for (const NodeAction& a : out_) {
      sent_.push_back(
          Sent{a.kind, std::string(a.topic), std::string(a.payload), a.token, a.retain});
      if (a.kind == NodeActionKind::kConnect) connect_requested_ = true;
      if (a.kind == NodeActionKind::kPublish && a.token != 0) unacked_.push_back(a.token);
      if (a.kind == NodeActionKind::kReboot) ++reboots_;
    }
    EXPECT_EQ(out_.dropped(), 0u);
    out_.Clear();
  }

  void Feed(const GatewayEffects& fx) {
    uplink_->OnGatewayEffects(now_, fx, &out_);
    Collect();
    for (const FrameBuffer& f : fx.transmit) {
      V2Frame request;
      ASSERT_EQ(DecodeV2(f.View(), &request), FrameError::kOk);
      for (FakeOutlet& o : outlets_) {
        V2Frame reply;
        if (!o.Answer(request, &reply)) continue;
        GatewayEffects rfx;
        gateway_->OnFrame(now_, reply, &rfx);
        Feed(rfx);
      }
    }
  }

  // Runs in 10 ms steps; the broker accepts connects and acknowledges publishes if online.
  void Run(uint32_t ms) {
    for (uint32_t t = 0; t < ms; t += 10) {
      now_ += 10;
      GatewayEffects fx;
      gateway_->Tick(now_, &fx);
      Feed(fx);
      uplink_->Tick(now_, breaker_ma_, &out_);
      Collect();
      Serve();
    }
  }

  void Serve() {
    if (!online_) {
      if (connect_requested_) {
        connect_requested_ = false;
        uplink_->OnDisconnected(now_);
      }
      return;
    }
    if (connect_requested_) {
      connect_requested_ = false;
      NodeLinkInfo link;
      link.ip = "10.0.0.7";
      uplink_->OnConnected(now_, link, &out_);
      Collect();
    }
    if (!ack_publishes_) return;
    while (!unacked_.empty()) {
      const uint32_t token = unacked_.front();
      unacked_.erase(unacked_.begin());
      uplink_->OnPublishAcked(now_, token, &out_);
      Collect();
    }
  }

  void Command(const std::string& uid, const std::string& json) {
    uplink_->OnMessage(now_, "sw/d/" + uid + "/cmd", json, &out_);
    Collect();
  }

  std::vector<std::string> Payloads(const std::string& topic) const {
    std::vector<std::string> p;
    for (const Sent& s : sent_) {
      if (s.kind == NodeActionKind::kPublish && s.topic == topic) p.push_back(s.payload);
    }
    return p;
  }
  std::vector<std::string> Topics(NodeActionKind kind) const {
    std::vector<std::string> t;
    for (const Sent& s : sent_) {
      if (s.kind == kind) t.push_back(s.topic);
    }
    return t;
  }

  MemoryNvm<ConfigStore::kFootprint> nvm_;
  ConfigStore store_{nvm_};
  std::vector<FakeOutlet> outlets_ = {FakeOutlet{0x01, {}, {520, 0}, false},
                                      FakeOutlet{0x1A, {}, {8700, 300}, false}};
  std::unique_ptr<CcuGateway> gateway_;
  std::unique_ptr<GatewayUplink> uplink_;
  UplinkActions out_;
  std::vector<Sent> sent_;
  std::vector<uint32_t> unacked_;
  bool connect_requested_ = false;
  bool online_ = true;
  bool ack_publishes_ = true;
  int reboots_ = 0;
  uint32_t now_ = 1000;
  uint32_t breaker_ma_ = 4200;
};

TEST_F(UplinkTest, ConnectsWithWillSubscribesForItselfAndItsOutletsAndAnnouncesThem) {
  ASSERT_FALSE(sent_.empty());
  EXPECT_EQ(sent_[0].kind, NodeActionKind::kConnect);
  EXPECT_EQ(sent_[0].topic, "sw/d/CCU-1/status");
  EXPECT_EQ(sent_[0].payload, R"({"online":false})");
  EXPECT_TRUE(sent_[0].retain);
  Run(3000);
  EXPECT_EQ(Topics(NodeActionKind::kSubscribe),
            (std::vector<std::string>{"sw/d/CCU-1/cmd", "sw/d/CCU-1.01/cmd", "sw/d/CCU-1.1A/cmd"}));
  const auto status = Payloads("sw/d/CCU-1/status");
  ASSERT_FALSE(status.empty());
  EXPECT_EQ(status[0],
            R"({"online":true,"fw":"1.0.0","uptime_s":0,"ip":"10.0.0.7","outlets_rev":0})");
  // The outlets answered the gateway's polls: online, retained.
  EXPECT_EQ(Payloads("sw/d/CCU-1.01/status"),
            (std::vector<std::string>{R"({"online":true,"fw":"2.0.0"})"}));
  EXPECT_EQ(Payloads("sw/d/CCU-1.1A/status").size(), 1u);
  const auto events = Payloads("sw/d/CCU-1/event");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0],
            R"({"ts":)" + std::to_string(kEpochMs + 10) + R"(,"type":"boot","fw":"1.0.0"})");
}

TEST_F(UplinkTest, RelayCommandIsAnsweredWithTheMeasuredCurrentAndNeverRunTwice) {
  Run(3000);
  const std::string cmd = R"({"id":"c-1","name":"relay","params":{"socket":"a","on":true},)"
                          R"("expires_at":)" +
                          std::to_string(kEpochMs + 60000) + "}";
  Command("CCU-1.01", cmd);
  EXPECT_EQ(uplink_->jobs_in_progress(), 1u);
  Run(1000);
  EXPECT_TRUE(outlets_[0].status.relay_on[0]);
  auto results = Payloads("sw/d/CCU-1.01/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], R"({"id":"c-1","ok":true,"detail":"relay a on","current_ma":520})");
  // The new state shows in telemetry at once.
  const auto telemetry = Payloads("sw/d/CCU-1.01/telemetry");
  ASSERT_FALSE(telemetry.empty());
  EXPECT_NE(telemetry.back().find(R"("current_a_ma":520,"current_b_ma":0,"relay_a":1)"),
            std::string::npos)
      << telemetry.back();
  // With the outlet's protection: trip flags, and its threshold when it reports one.
  EXPECT_NE(telemetry.back().find(R"("tripped_a":0,"tripped_b":0)"), std::string::npos)
      << telemetry.back();

  // Re-delivered: the first answer again; the outlet is not switched again.
  outlets_[0].status.relay_on[0] = false;  // (a person switched it off locally)
  Command("CCU-1.01", cmd);
  Run(1000);
  results = Payloads("sw/d/CCU-1.01/cmd/result");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1], results[0]);
  EXPECT_FALSE(outlets_[0].status.relay_on[0]);
  EXPECT_EQ(uplink_->counters().duplicates, 1u);
}

// The CCU's own readings carry the breaker limit in force beside the breaker current.
TEST_F(UplinkTest, OwnReadingsCarryTheBreakerLimit) {
  Run(65000);
  const auto own = Payloads("sw/d/CCU-1/telemetry");
  ASSERT_FALSE(own.empty());
  EXPECT_NE(own.back().find(R"("breaker_limit_ma":20000)"), std::string::npos) << own.back();
}

TEST_F(UplinkTest, FailuresAreAnsweredWithTheirReason) {
  Run(3000);
  Command("CCU-1.1A", R"({"id":"u-1","name":"dance"})");
  Command("CCU-1.1A", R"({"id":"u-2","name":"relay","params":{"socket":"c","on":true}})");
  Command("CCU-1.1A", R"({"id":"u-3","name":"relay","params":{"socket":"a","on":true},)"
                      R"("expires_at":1})");
  Command("CCU-1.77", R"({"id":"u-4","name":"relay","params":{"socket":"a","on":true}})");
  Command("CCU-1.1A", R"({"name":"relay"})");
  outlets_[0].mute = true;
  Command("CCU-1.01", R"({"id":"u-5","name":"set_threshold","params":{"ma":9000}})");
  Run(10000);
  const auto results = Payloads("sw/d/CCU-1.1A/cmd/result");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0], R"({"id":"u-1","ok":false,"detail":"unknown command"})");
  EXPECT_NE(results[1].find(R"("ok":false,"detail":"relay needs socket)"), std::string::npos);
  EXPECT_NE(results[2].find("expired"), std::string::npos);
  EXPECT_EQ(uplink_->counters().unanswerable, 2u);  // not ours; no id
  const auto timeout = Payloads("sw/d/CCU-1.01/cmd/result");
  ASSERT_EQ(timeout.size(), 1u);
  EXPECT_EQ(timeout[0],
            R"({"id":"u-5","ok":false,"detail":"no answer from outlet CCU-1.01 on the radio"})");
  EXPECT_EQ(Payloads("sw/d/CCU-1.01/status").back(), R"({"online":false})");
}

TEST_F(UplinkTest, GatewayCutSwitchesOffEverySocketOfEveryOutlet) {
  outlets_[0].status.relay_on[0] = outlets_[1].status.relay_on[0] = true;
  outlets_[1].status.relay_on[1] = true;
  Run(3000);
  Command("CCU-1", R"({"id":"k-1","name":"cut","params":{"sockets":"all"}})");
  Run(2000);
  for (const FakeOutlet& o : outlets_) {
    EXPECT_FALSE(o.status.relay_on[0]);
    EXPECT_FALSE(o.status.relay_on[1]);
  }
  EXPECT_EQ(
      Payloads("sw/d/CCU-1/cmd/result"),
      (std::vector<std::string>{R"({"id":"k-1","ok":true,"detail":"switched off 4 sockets"})"}));
}

TEST_F(UplinkTest, SetBreakerLimitIsBoundedAndPersistedThroughTheGatewaysStore) {
  Run(3000);
  Command("CCU-1", R"({"id":"b-1","name":"set_breaker_limit","params":{"ma":16000}})");
  Command("CCU-1", R"({"id":"b-2","name":"set_breaker_limit","params":{"ma":500}})");
  Command("CCU-1", R"({"id":"b-3","name":"set_breaker_limit","params":{}})");
  auto results = Payloads("sw/d/CCU-1/cmd/result");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0], R"({"id":"b-1","ok":true,"detail":"breaker limit 16000 mA"})");
  EXPECT_EQ(results[1], R"({"id":"b-2","ok":false,"detail":"ma must be between 1000 and 100000"})");
  EXPECT_NE(results[2].find(R"("ok":false)"), std::string::npos);
  EXPECT_EQ(gateway_->breaker_limit_ma(), 16000u);

  // A failed write keeps the previous limit in force.
  nvm_.TearNextWriteAfter(3);
  Command("CCU-1", R"({"id":"b-4","name":"set_breaker_limit","params":{"ma":25000}})");
  results = Payloads("sw/d/CCU-1/cmd/result");
  EXPECT_NE(results.back().find(R"("ok":false,"detail":"setting could not be stored)"),
            std::string::npos)
      << results.back();
  EXPECT_EQ(gateway_->breaker_limit_ma(), 16000u);

  // After a reboot the gateway loads the limit (and its registry) from the store.
  Start();
  EXPECT_EQ(gateway_->breaker_limit_ma(), 16000u);
  EXPECT_EQ(gateway_->outlet_count(), 2u);
  // And sheds against it: 17 A is over the new limit.
  outlets_[1].status.relay_on[0] = true;
  Run(3000);
  GatewayEffects fx;
  gateway_->OnBreakerCurrent(now_, 17000, &fx);
  Feed(fx);
  Run(500);
  EXPECT_FALSE(outlets_[1].status.relay_on[0]);
  const auto events = Payloads("sw/d/CCU-1/event");
  ASSERT_FALSE(events.empty());
  EXPECT_NE(
      events.back().find(R"("action":"shed","outlet":"CCU-1.1A","socket":"a","breaker_ma":17000,)"
                         R"("limit_ma":16000)"),
      std::string::npos)
      << events.back();
}

TEST_F(UplinkTest, RestartIsAnsweredThenRebootsOnceTheAnswerIsAcknowledged) {
  Run(3000);
  ack_publishes_ = false;
  Command("CCU-1", R"({"id":"r-1","name":"restart"})");
  EXPECT_EQ(Payloads("sw/d/CCU-1/cmd/result"),
            (std::vector<std::string>{R"({"id":"r-1","ok":true,"detail":"restarting"})"}));
  Run(100);
  EXPECT_EQ(reboots_, 0);
  ack_publishes_ = true;
  Run(400);
  EXPECT_EQ(reboots_, 1);
}

TEST_F(UplinkTest, OfflineReadingsAreBoundedAndFlushedInBatchesWithTheirOriginalTime) {
  online_ = false;
  Run(2000);
  const uint32_t first_reading_at = now_;
  // Long enough for more than the ring holds: 3 readings per 5 s interval.
  const uint32_t intervals = GatewayUplink::kMaxBufferedReadings / 3 + 10;
  Run(intervals * 5000);
  EXPECT_EQ(uplink_->buffered(), GatewayUplink::kMaxBufferedReadings);
  EXPECT_GT(uplink_->counters().dropped_readings, 0u);
  EXPECT_EQ(uplink_->counters().readings - uplink_->counters().dropped_readings,
            GatewayUplink::kMaxBufferedReadings);
  EXPECT_TRUE(Payloads("sw/d/CCU-1/telemetry").empty());

  // Back online, batches are not acknowledged: one in flight, nothing leaves the ring.
  online_ = true;
  ack_publishes_ = false;
  for (int i = 0; i < 100 && !uplink_->connected(); ++i) Run(1000);
  ASSERT_TRUE(uplink_->connected());
  const uint32_t reconnected_at = now_;
  Run(5000);
  std::vector<std::string> telemetry;
  for (const Sent& x : sent_) {
    if (x.topic.find("/telemetry") != std::string::npos) telemetry.push_back(x.payload);
  }
  ASSERT_EQ(telemetry.size(), 1u);
  EXPECT_EQ(telemetry[0].front(), '[');
  // The oldest kept readings, with the time they were taken (long before the reconnect).
  const size_t at = telemetry[0].find("\"ts\":");
  ASSERT_NE(at, std::string::npos);
  const int64_t first_ts = std::stoll(telemetry[0].substr(at + 5, 13));
  EXPECT_GT(first_ts, kEpochMs + (first_reading_at - 1000));
  EXPECT_LT(first_ts, kEpochMs + (reconnected_at - 1000) - 800 * 1000);
  EXPECT_GE(uplink_->buffered(), GatewayUplink::kMaxBufferedReadings);

  ack_publishes_ = true;
  Run(20000);
  EXPECT_LT(uplink_->buffered(), 10u);
  EXPECT_GT(Payloads("sw/d/CCU-1/telemetry").size(), GatewayUplink::kMaxBufferedReadings / 3 / 10);
}

TEST_F(UplinkTest, SyncOutletsAddsAndRemovesOutletsWithoutARebootAndReportsTheRevision) {
  outlets_.push_back(FakeOutlet{0x0B, {}, {300, 0}, false});  // on the channel, not registered
  Run(3000);
  EXPECT_TRUE(Payloads("sw/d/CCU-1.0B/status").empty());
  Command("CCU-1", R"({"id":"s-1","name":"sync_outlets","params":{"rev":5,"outlets":[)"
                   R"({"uid":"CCU-1.01","address":1},{"uid":"CCU-1.0B","address":11,"protocol":2,)"
                   R"("priority_a":10}]}})");
  auto results = Payloads("sw/d/CCU-1/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], R"({"id":"s-1","ok":true,"detail":"outlets rev 5 applied: 2 outlets"})");
  EXPECT_EQ(gateway_->registry_revision(), 5u);
  EXPECT_EQ(gateway_->FindOutlet(0x1A), nullptr);
  ASSERT_NE(gateway_->FindOutlet(0x0B), nullptr);
  EXPECT_EQ(gateway_->FindOutlet(0x0B)->shed_priority[0], 10);
  EXPECT_EQ(gateway_->FindOutlet(0x0B)->shed_priority[1], 128);
  EXPECT_EQ(gateway_->FindOutlet(0x01)->shed_priority[0], 100);  // kept
  EXPECT_TRUE(gateway_->FindOutlet(0x01)->online);               // state kept
  // The new outlet: subscribed, polled, online, telemetry; the status says rev 5 at once.
  const auto status = Payloads("sw/d/CCU-1/status");
  EXPECT_NE(status.back().find(R"("outlets_rev":5)"), std::string::npos) << status.back();
  Run(6000);
  const auto subscribed = Topics(NodeActionKind::kSubscribe);
  EXPECT_NE(std::find(subscribed.begin(), subscribed.end(), "sw/d/CCU-1.0B/cmd"), subscribed.end());
  EXPECT_EQ(Payloads("sw/d/CCU-1.0B/status").size(), 1u);
  EXPECT_FALSE(Payloads("sw/d/CCU-1.0B/telemetry").empty());
  // The removed outlet is no longer spoken for: its commands are not ours any more.
  const uint32_t unanswerable = uplink_->counters().unanswerable;
  Command("CCU-1.1A", R"({"id":"x-1","name":"relay","params":{"socket":"a","on":true}})");
  EXPECT_EQ(uplink_->counters().unanswerable, unanswerable + 1);
  const size_t telemetry_1a = Payloads("sw/d/CCU-1.1A/telemetry").size();
  Run(6000);
  EXPECT_EQ(Payloads("sw/d/CCU-1.1A/telemetry").size(), telemetry_1a);
  // A command for the new outlet runs on the radio.
  Command("CCU-1.0B", R"({"id":"c-9","name":"relay","params":{"socket":"a","on":true}})");
  Run(1000);
  EXPECT_TRUE(outlets_[2].status.relay_on[0]);

  // After a reboot the registry and its revision come from the store.
  Start();
  EXPECT_EQ(gateway_->registry_revision(), 5u);
  EXPECT_EQ(gateway_->outlet_count(), 3u);  // (the test harness registers 0x1A again)
  Run(3000);
  EXPECT_NE(Payloads("sw/d/CCU-1/status").back().find(R"("outlets_rev":5)"), std::string::npos);
}

TEST_F(UplinkTest, SyncOutletsRefusesBadListsAndChangesNothing) {
  Run(3000);
  std::string many = R"({"id":"m-1","name":"sync_outlets","params":{"rev":9,"outlets":[)";
  for (int a = 1; a <= 33; ++a) {
    many += (a > 1 ? "," : "") + std::string(R"({"address":)") + std::to_string(a + 2) + "}";
  }
  many += "]}}";
  Command("CCU-1", many);
  Command("CCU-1", R"({"id":"m-2","name":"sync_outlets","params":{"rev":9,"outlets":[)"
                   R"({"address":1},{"address":1}]}})");
  Command("CCU-1", R"({"id":"m-3","name":"sync_outlets","params":{"rev":9,"outlets":[)"
                   R"({"address":2}]}})");
  Command("CCU-1", R"({"id":"m-4","name":"sync_outlets","params":{"rev":9,"outlets":[)"
                   R"({"address":300}]}})");
  Command("CCU-1", R"({"id":"m-5","name":"sync_outlets","params":{"rev":9,"outlets":[)"
                   R"({"uid":"CCU-9.05","address":5}]}})");
  Command("CCU-1", R"({"id":"m-6","name":"sync_outlets","params":{"outlets":[]}})");
  Command("CCU-1", R"({"id":"m-7","name":"sync_outlets","params":{"rev":9,"outlets":[)"
                   R"({"address":5,"protocol":3}]}})");
  const auto results = Payloads("sw/d/CCU-1/cmd/result");
  ASSERT_EQ(results.size(), 7u);
  EXPECT_EQ(results[0],
            R"x({"id":"m-1","ok":false,"detail":"more than 32 outlets (the gateway's limit)"})x");
  EXPECT_EQ(results[1], R"({"id":"m-2","ok":false,"detail":"address 0x01 is listed twice"})");
  EXPECT_EQ(results[2],
            R"({"id":"m-3","ok":false,"detail":"address 0x02 is reserved or the gateway's own"})");
  EXPECT_EQ(results[3],
            R"({"id":"m-4","ok":false,"detail":"outlets[0].address must be between 1 and 254"})");
  EXPECT_NE(results[4].find(R"("ok":false,"detail":"outlets[0].uid is not)"), std::string::npos);
  EXPECT_NE(results[5].find(R"("ok":false,"detail":"sync_outlets needs rev)"), std::string::npos);
  EXPECT_NE(results[6].find(R"("ok":false,"detail":"outlets[0].protocol)"), std::string::npos);
  EXPECT_EQ(gateway_->registry_revision(), 0u);
  EXPECT_EQ(gateway_->outlet_count(), 2u);

  // An older revision than the applied one is refused; the same one is applied again.
  Command("CCU-1", R"({"id":"r-1","name":"sync_outlets","params":{"rev":4,"outlets":[]}})");
  Command("CCU-1", R"({"id":"r-2","name":"sync_outlets","params":{"rev":3,"outlets":[)"
                   R"({"address":1}]}})");
  Command("CCU-1", R"({"id":"r-3","name":"sync_outlets","params":{"rev":4,"outlets":[)"
                   R"({"address":1}]}})");
  const auto later = Payloads("sw/d/CCU-1/cmd/result");
  ASSERT_EQ(later.size(), 10u);
  EXPECT_EQ(later[7], R"({"id":"r-1","ok":true,"detail":"outlets rev 4 applied: 0 outlets"})");
  EXPECT_EQ(later[8],
            R"({"id":"r-2","ok":false,"detail":"rev 3 is older than the applied rev 4"})");
  EXPECT_EQ(later[9], R"({"id":"r-3","ok":true,"detail":"outlets rev 4 applied: 1 outlets"})");
}

TEST_F(UplinkTest, SyncOutletsThatCannotBeStoredKeepsTheOldRegistry) {
  Run(3000);
  nvm_.TearNextWriteAfter(20);
  Command("CCU-1", R"({"id":"t-1","name":"sync_outlets","params":{"rev":2,"outlets":[]}})");
  const auto results = Payloads("sw/d/CCU-1/cmd/result");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0],
            R"({"id":"t-1","ok":false,"detail":"registry could not be stored; rev 0 stays"})");
  EXPECT_EQ(gateway_->outlet_count(), 2u);
  EXPECT_EQ(gateway_->registry_revision(), 0u);
  // The outlets are still driven.
  Command("CCU-1.1A", R"({"id":"c-1","name":"relay","params":{"socket":"b","on":true}})");
  Run(1000);
  EXPECT_TRUE(outlets_[1].status.relay_on[1]);
}

TEST_F(UplinkTest, CommandsInProgressForARemovedOutletAreAnswered) {
  Run(3000);
  outlets_[1].mute = true;  // the relay command waits for its radio retries
  Command("CCU-1.1A", R"({"id":"p-1","name":"relay","params":{"socket":"a","on":true}})");
  Command("CCU-1", R"({"id":"s-2","name":"sync_outlets","params":{"rev":1,"outlets":[)"
                   R"({"address":1}]}})");
  EXPECT_EQ(uplink_->jobs_in_progress(), 0u);
  EXPECT_EQ(Payloads("sw/d/CCU-1.1A/cmd/result"),
            (std::vector<std::string>{
                R"({"id":"p-1","ok":false,"detail":"outlet removed from the gateway"})"}));
  Run(3000);  // the radio's late results find no job
  EXPECT_EQ(Payloads("sw/d/CCU-1.1A/cmd/result").size(), 1u);
}

}  // namespace
}  // namespace sw::fw
