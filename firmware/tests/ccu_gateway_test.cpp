// Tests for the CCU gateway core: polling, reply matching, retries with back-off, command
// de-duplication, registry persistence and sync (ApplyRegistry: all or nothing, torn writes),
// and local breaker shedding. The end-to-end tests
// run real OutletControllers behind a simulated radio channel (bytes through parsers).
#include "fw/ccu_gateway.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "fw/nvm.h"
#include "fw/outlet_controller.h"
#include "fw/radio_stream.h"
#include "test_signals.h"

namespace sw::fw {
namespace {

constexpr uint8_t kGw = 0x02;

V2Frame Decode(const FrameBuffer& buffer) {
  V2Frame f;
  EXPECT_EQ(DecodeV2(buffer.View(), &f), FrameError::kOk);
  return f;
}

V2Frame StatusReply(const V2Frame& request, bool relay_a, bool relay_b, bool trip_a = false) {
  OutletStatus s;
  s.relay_on[0] = relay_a;
  s.relay_on[1] = relay_b;
  s.tripped[0] = trip_a;
  s.threshold_ma = 3000;
  return V2StatusReport(request, request.target, s);
}

// ---- unit tests with hand-made replies ----

class GatewayTest : public ::testing::Test {
 protected:
  GatewayTest() : gw_(Config(), &store_) {
    fx_.Clear();
    gw_.Boot(now_, &fx_);
  }
  static GatewayConfig Config() {
    GatewayConfig c;
    c.own_address = kGw;
    c.poll_interval_ms = 2000;
    c.reply_timeout_ms = 120;
    c.max_attempts = 4;
    c.backoff_base_ms = 50;
    return c;
  }
  // Advances time in 10 ms steps until the gateway transmits (or `limit` ms pass).
  bool RunUntilTransmit(V2Frame* sent, uint32_t limit = 10000) {
    for (uint32_t t = 0; t <= limit; t += 10) {
      fx_.Clear();
      gw_.Tick(now_, &fx_);
      Collect();
      if (!fx_.transmit.empty()) {
        *sent = Decode(fx_.transmit[0]);
        return true;
      }
      now_ += 10;
    }
    return false;
  }
  void Reply(const V2Frame& frame) {
    fx_.Clear();
    gw_.OnFrame(now_, frame, &fx_);
    Collect();
  }
  void Collect() {
    for (const auto& r : fx_.results) results_.push_back(r);
    for (const auto& e : fx_.events) events_.push_back(e);
  }
  int Count(GatewayEventKind kind) const {
    int n = 0;
    for (const auto& e : events_) n += e.kind == kind ? 1 : 0;
    return n;
  }

  MemoryNvm<512> nvm_;
  ConfigStore store_{nvm_};
  CcuGateway gw_;
  GatewayEffects fx_;
  uint32_t now_ = 5000;
  std::vector<CommandResult> results_;
  std::vector<GatewayEvent> events_;
};

TEST_F(GatewayTest, PollsEveryRegisteredOutletRoundRobin) {
  for (uint8_t a : {0x10, 0x11, 0x12}) ASSERT_TRUE(gw_.AddOutlet(a, 100, 100, &fx_));
  std::vector<uint8_t> polled;
  for (int i = 0; i < 3; ++i) {
    V2Frame sent;
    ASSERT_TRUE(RunUntilTransmit(&sent));
    EXPECT_EQ(sent.command, RadioCommand::kStatus);
    EXPECT_EQ(sent.sender, kGw);
    polled.push_back(sent.target);
    Reply(StatusReply(sent, true, false));
  }
  EXPECT_EQ(polled, (std::vector<uint8_t>{0x10, 0x11, 0x12}));
  EXPECT_EQ(Count(GatewayEventKind::kOutletOnline), 3);
  ASSERT_NE(gw_.FindOutlet(0x11), nullptr);
  EXPECT_TRUE(gw_.FindOutlet(0x11)->status.relay_on[0]);
  // Nothing is due until the poll interval has passed.
  fx_.Clear();
  gw_.Tick(now_ + 100, &fx_);
  EXPECT_TRUE(fx_.transmit.empty());
  V2Frame sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent.target, 0x10);
}

TEST_F(GatewayTest, RegistryIsBoundedAndValidated) {
  EXPECT_FALSE(gw_.AddOutlet(0x00, 1, 1, &fx_));
  EXPECT_FALSE(gw_.AddOutlet(0xFF, 1, 1, &fx_));
  EXPECT_FALSE(gw_.AddOutlet(kGw, 1, 1, &fx_));
  for (int a = 0x10; a < 0x10 + static_cast<int>(CcuGateway::kMaxOutlets); ++a) {
    ASSERT_TRUE(gw_.AddOutlet(static_cast<uint8_t>(a), 1, 1, &fx_));
  }
  EXPECT_FALSE(gw_.AddOutlet(0x80, 1, 1, &fx_));
  EXPECT_EQ(gw_.outlet_count(), CcuGateway::kMaxOutlets);
  EXPECT_TRUE(gw_.AddOutlet(0x10, 5, 6, &fx_));  // update, not a new entry
  EXPECT_EQ(gw_.outlet_count(), CcuGateway::kMaxOutlets);
}

OutletSpec Spec(uint8_t address, int priority_a = -1, bool legacy = false) {
  OutletSpec s;
  s.address = address;
  s.legacy = legacy;
  if (priority_a >= 0) {
    s.priority_given[0] = true;
    s.shed_priority[0] = static_cast<uint8_t>(priority_a);
  }
  return s;
}

TEST_F(GatewayTest, ApplyRegistryAddsRemovesAndUpdatesKeepingTheStateOfOutletsThatStay) {
  for (uint8_t a : {0x10, 0x11, 0x12}) ASSERT_TRUE(gw_.AddOutlet(a, 100, 90, &fx_));
  for (int i = 0; i < 3; ++i) {  // every outlet polled once: online, status known
    V2Frame sent;
    ASSERT_TRUE(RunUntilTransmit(&sent));
    Reply(StatusReply(sent, true, false));
  }
  const OutletSpec wanted[] = {Spec(0x12, 5), Spec(0x20), Spec(0x10)};
  EXPECT_EQ(gw_.ApplyRegistry(7, Span<const OutletSpec>(wanted), &fx_), RegistryResult::kOk);
  EXPECT_EQ(gw_.registry_revision(), 7u);
  EXPECT_EQ(gw_.outlet_count(), 3u);
  EXPECT_EQ(gw_.FindOutlet(0x11), nullptr);
  const OutletRecord* kept = gw_.FindOutlet(0x12);
  ASSERT_NE(kept, nullptr);
  EXPECT_TRUE(kept->online);
  EXPECT_TRUE(kept->status.relay_on[0]);
  EXPECT_EQ(kept->shed_priority[0], 5);   // updated
  EXPECT_EQ(kept->shed_priority[1], 90);  // not given: kept
  const OutletRecord* added = gw_.FindOutlet(0x20);
  ASSERT_NE(added, nullptr);
  EXPECT_FALSE(added->online);
  EXPECT_EQ(added->shed_priority[0], 128);
  // The new outlet is polled; the removed one never again.
  std::vector<uint8_t> polled;
  for (int i = 0; i < 6; ++i) {
    V2Frame sent;
    ASSERT_TRUE(RunUntilTransmit(&sent));
    polled.push_back(sent.target);
    Reply(StatusReply(sent, false, false));
  }
  EXPECT_NE(std::find(polled.begin(), polled.end(), 0x20), polled.end());
  EXPECT_EQ(std::find(polled.begin(), polled.end(), 0x11), polled.end());
  // A command for the removed outlet is refused.
  fx_.Clear();
  EXPECT_FALSE(gw_.SubmitCommand(1, 0x11, RadioCommand::kRelayOn, kSocketA, ByteSpan(), &fx_));

  // Persisted with its revision.
  ConfigStore store(nvm_);
  CcuGateway rebooted(Config(), &store);
  rebooted.Boot(now_, &fx_);
  EXPECT_EQ(rebooted.registry_revision(), 7u);
  EXPECT_EQ(rebooted.outlet_count(), 3u);
  ASSERT_NE(rebooted.FindOutlet(0x12), nullptr);
  EXPECT_EQ(rebooted.FindOutlet(0x12)->shed_priority[0], 5);
  EXPECT_EQ(rebooted.FindOutlet(0x12)->shed_priority[1], 90);
}

TEST_F(GatewayTest, ApplyRegistryRefusesBadListsAsAWhole) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  OutletSpec many[CcuGateway::kMaxOutlets + 1];
  for (size_t i = 0; i < CcuGateway::kMaxOutlets + 1; ++i) {
    many[i] = Spec(static_cast<uint8_t>(0x20 + i));
  }
  EXPECT_EQ(gw_.ApplyRegistry(1, Span<const OutletSpec>(many), &fx_), RegistryResult::kTooMany);
  EXPECT_EQ(gw_.ApplyRegistry(1, Span<const OutletSpec>(many, CcuGateway::kMaxOutlets), &fx_),
            RegistryResult::kOk);  // exactly the capacity is fine
  uint8_t bad = 0;
  const OutletSpec duplicate[] = {Spec(0x30), Spec(0x31), Spec(0x30)};
  EXPECT_EQ(gw_.ApplyRegistry(2, Span<const OutletSpec>(duplicate), &fx_, &bad),
            RegistryResult::kDuplicateAddress);
  EXPECT_EQ(bad, 0x30);
  const OutletSpec own[] = {Spec(0x30), Spec(kGw)};
  EXPECT_EQ(gw_.ApplyRegistry(2, Span<const OutletSpec>(own), &fx_, &bad),
            RegistryResult::kBadAddress);
  EXPECT_EQ(bad, kGw);
  const OutletSpec zero[] = {Spec(0x00)};
  EXPECT_EQ(gw_.ApplyRegistry(2, Span<const OutletSpec>(zero), &fx_), RegistryResult::kBadAddress);
  const OutletSpec one[] = {Spec(0x30)};
  EXPECT_EQ(gw_.ApplyRegistry(0, Span<const OutletSpec>(one), &fx_), RegistryResult::kStale);
  // Nothing of the refused lists was applied.
  EXPECT_EQ(gw_.registry_revision(), 1u);
  EXPECT_EQ(gw_.outlet_count(), CcuGateway::kMaxOutlets);
}

TEST_F(GatewayTest, TornWriteDuringARegistrySaveKeepsTheOldRegistry) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  ASSERT_TRUE(gw_.AddOutlet(0x11, 1, 1, &fx_));
  const OutletSpec first[] = {Spec(0x10), Spec(0x11), Spec(0x12)};
  ASSERT_EQ(gw_.ApplyRegistry(3, Span<const OutletSpec>(first), &fx_), RegistryResult::kOk);
  const OutletSpec second[] = {Spec(0x20)};
  nvm_.TearNextWriteAfter(17);  // power fails in the middle of the slot
  fx_.Clear();
  EXPECT_EQ(gw_.ApplyRegistry(4, Span<const OutletSpec>(second), &fx_),
            RegistryResult::kStorageFailed);
  Collect();
  EXPECT_EQ(Count(GatewayEventKind::kRegistryStorageError), 1);
  // In RAM: unchanged.
  EXPECT_EQ(gw_.registry_revision(), 3u);
  EXPECT_EQ(gw_.outlet_count(), 3u);
  EXPECT_EQ(gw_.FindOutlet(0x20), nullptr);
  // After the reboot: the old registry.
  ConfigStore store(nvm_);
  CcuGateway rebooted(Config(), &store);
  rebooted.Boot(now_, &fx_);
  EXPECT_EQ(rebooted.registry_revision(), 3u);
  EXPECT_EQ(rebooted.outlet_count(), 3u);
  EXPECT_NE(rebooted.FindOutlet(0x12), nullptr);
  EXPECT_EQ(rebooted.FindOutlet(0x20), nullptr);
}

// A registry entry with protocol 1 (sync_outlets) is a PIC outlet: spoken to in legacy 8-byte
// frames (ccu_gateway_legacy_test.cpp has the protocol), and the flag survives a reboot.
TEST_F(GatewayTest, LegacyOutletsFromTheRegistryAreDrivenInLegacyFrames) {
  const OutletSpec wanted[] = {Spec(0x10, -1, true)};
  ASSERT_EQ(gw_.ApplyRegistry(1, Span<const OutletSpec>(wanted), &fx_), RegistryResult::kOk);
  bool sent = false;
  for (uint32_t t = 0; t <= 5000 && !sent; t += 10) {
    fx_.Clear();
    gw_.Tick(now_, &fx_);
    if (!fx_.transmit.empty()) {
      sent = true;
      LegacyFrame frame;
      ASSERT_EQ(DecodeLegacy(fx_.transmit[0].View(), &frame), FrameError::kOk);
      EXPECT_EQ(frame, LegacyReadCurrent(0x10, kGw)) << "a PIC is polled with READ_CURRENT";
    }
    now_ += 10;
  }
  EXPECT_TRUE(sent);
  fx_.Clear();
  EXPECT_TRUE(gw_.SubmitCommand(1, 0x10, RadioCommand::kRelayOn, kSocketA, ByteSpan(), &fx_));
  ConfigStore store(nvm_);
  CcuGateway rebooted(Config(), &store);
  rebooted.Boot(now_, &fx_);
  ASSERT_NE(rebooted.FindOutlet(0x10), nullptr);
  EXPECT_TRUE(rebooted.FindOutlet(0x10)->legacy);
}

TEST_F(GatewayTest, AVersion2RegistryStillLoads) {
  // Written by the previous firmware: version 2, 1 outlet, limit 16 A, (0x10, 7, 9).
  const uint8_t v2[] = {2, 1, 0x80, 0x3E, 0x00, 0x00, 0x10, 7, 9};
  ConfigStore writer(nvm_);
  ASSERT_TRUE(writer.Save(ByteSpan(v2, sizeof v2)));
  ConfigStore store(nvm_);
  CcuGateway rebooted(Config(), &store);
  rebooted.Boot(now_, &fx_);
  EXPECT_EQ(rebooted.breaker_limit_ma(), 16000u);
  EXPECT_EQ(rebooted.registry_revision(), 0u);
  ASSERT_NE(rebooted.FindOutlet(0x10), nullptr);
  EXPECT_EQ(rebooted.FindOutlet(0x10)->shed_priority[1], 9);
}

TEST_F(GatewayTest, RegistryPersistsAcrossReboot) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 7, 9, &fx_));
  ASSERT_TRUE(gw_.AddOutlet(0x11, 1, 2, &fx_));
  ASSERT_TRUE(gw_.RemoveOutlet(0x10, &fx_));
  ASSERT_TRUE(gw_.AddOutlet(0x12, 3, 4, &fx_));
  ConfigStore store(nvm_);
  CcuGateway rebooted(Config(), &store);
  rebooted.Boot(now_, &fx_);
  EXPECT_EQ(rebooted.outlet_count(), 2u);
  EXPECT_EQ(rebooted.FindOutlet(0x10), nullptr);
  ASSERT_NE(rebooted.FindOutlet(0x12), nullptr);
  EXPECT_EQ(rebooted.FindOutlet(0x12)->shed_priority[1], 4);
}

TEST_F(GatewayTest, LateOrForeignFramesAreNeverCreditedToTheWrongOutlet) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  ASSERT_TRUE(gw_.AddOutlet(0x11, 1, 1, &fx_));
  V2Frame to_a;
  ASSERT_TRUE(RunUntilTransmit(&to_a));
  ASSERT_EQ(to_a.target, 0x10);
  // 0x10 never answers in time: the gateway gives up and polls 0x11.
  V2Frame to_b;
  do {
    now_ += 10;
    ASSERT_TRUE(RunUntilTransmit(&to_b));
  } while (to_b.target == 0x10);
  ASSERT_EQ(to_b.target, 0x11);
  ASSERT_NE(to_b.seq, to_a.seq);
  const uint32_t strays = gw_.stray_frames();
  Reply(StatusReply(to_a, true, true, true));  // 0x10's late answer to the old request
  V2Frame wrong_seq = StatusReply(to_b, true, true);
  wrong_seq.seq = static_cast<uint8_t>(to_b.seq + 1);
  Reply(wrong_seq);
  V2Frame foreign = StatusReply(to_b, true, true);
  foreign.sender = 0x33;  // right seq, wrong outlet
  Reply(foreign);
  V2Frame other_master = StatusReply(to_b, true, true);
  other_master.target = 0x07;  // meant for another gateway
  Reply(other_master);
  EXPECT_EQ(gw_.stray_frames(), strays + 4);
  EXPECT_FALSE(gw_.FindOutlet(0x10)->status_known);
  EXPECT_FALSE(gw_.FindOutlet(0x11)->status_known);
  EXPECT_EQ(Count(GatewayEventKind::kOverloadTrip), 0);
  Reply(StatusReply(to_b, false, true));  // the real answer
  EXPECT_TRUE(gw_.FindOutlet(0x11)->status_known);
  EXPECT_TRUE(gw_.FindOutlet(0x11)->status.relay_on[1]);
}

TEST_F(GatewayTest, CommandIsRetriedWithBackoffThenTimesOut) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  const uint8_t on[] = {};
  ASSERT_TRUE(gw_.SubmitCommand(42, 0x10, RadioCommand::kRelayOn, kSocketA, ByteSpan(on, 0), &fx_));
  std::vector<uint32_t> sent_at;
  V2Frame first;
  ASSERT_TRUE(RunUntilTransmit(&first));
  ASSERT_EQ(first.command, RadioCommand::kRelayOn);  // commands go before polls
  sent_at.push_back(now_);
  for (int i = 0; i < 3; ++i) {
    now_ += 10;
    V2Frame again;
    ASSERT_TRUE(RunUntilTransmit(&again));
    EXPECT_EQ(again, first);  // same request, same sequence number
    sent_at.push_back(now_);
  }
  // timeout 120 ms, then back-off 50, 100, 200 ms.
  EXPECT_EQ(sent_at[1] - sent_at[0], 170u);
  EXPECT_EQ(sent_at[2] - sent_at[1], 220u);
  EXPECT_EQ(sent_at[3] - sent_at[2], 320u);
  ASSERT_TRUE(results_.empty());
  now_ += 120;
  fx_.Clear();
  gw_.Tick(now_, &fx_);
  Collect();
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].id, 42u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kTimedOut);
}

TEST_F(GatewayTest, CommandAckedOnSecondAttemptIsReportedOnce) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  ASSERT_TRUE(gw_.SubmitCommand(7, 0x10, RadioCommand::kRelayOn, kSocketB, ByteSpan(), &fx_));
  V2Frame sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  now_ += 10;
  ASSERT_TRUE(RunUntilTransmit(&sent));  // the retry
  OutletStatus s;
  s.relay_on[1] = true;
  Reply(V2Ack(sent, 0x10, EncodeStatusFlags(s)));
  Reply(V2Ack(sent, 0x10, EncodeStatusFlags(s)));  // the first attempt's late ACK
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kAcked);
  EXPECT_TRUE(results_[0].status.relay_on[1]);
  EXPECT_FALSE(gw_.busy());
  // The server re-sends the same command id: answered again, not executed again.
  results_.clear();
  fx_.Clear();
  ASSERT_TRUE(gw_.SubmitCommand(7, 0x10, RadioCommand::kRelayOn, kSocketB, ByteSpan(), &fx_));
  Collect();
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kAcked);
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent.command, RadioCommand::kStatus);  // a poll, not the relay command again
}

TEST_F(GatewayTest, NackReasonIsReportedAndUnknownOutletRejected) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  EXPECT_FALSE(gw_.SubmitCommand(1, 0x44, RadioCommand::kPing, 0, ByteSpan(), &fx_));
  Collect();
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kRejected);
  results_.clear();
  ASSERT_TRUE(gw_.SubmitCommand(2, 0x10, RadioCommand::kRelayOn, kSocketA, ByteSpan(), &fx_));
  V2Frame sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  Reply(V2Nack(sent, 0x10, NackReason::kSocketTripped));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kNacked);
  EXPECT_EQ(results_[0].reason, NackReason::kSocketTripped);
}

TEST_F(GatewayTest, QueueIsBounded) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  for (uint32_t id = 1; id <= CcuGateway::kCommandQueue; ++id) {
    ASSERT_TRUE(gw_.SubmitCommand(id, 0x10, RadioCommand::kPing, 0, ByteSpan(), &fx_));
  }
  EXPECT_FALSE(gw_.SubmitCommand(99, 0x10, RadioCommand::kPing, 0, ByteSpan(), &fx_));
}

TEST_F(GatewayTest, SetDeviceIdAckFromNewAddressRekeysTheRegistry) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  const uint8_t new_id[] = {0x20};
  ASSERT_TRUE(gw_.SubmitCommand(5, 0x10, RadioCommand::kSetDeviceId, 0, ByteSpan(new_id), &fx_));
  V2Frame sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  Reply(V2Ack(sent, 0x20, 0));
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kAcked);
  EXPECT_EQ(gw_.FindOutlet(0x10), nullptr);
  EXPECT_NE(gw_.FindOutlet(0x20), nullptr);
}

TEST_F(GatewayTest, OutletGoesOfflineAfterRepeatedFailures) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  V2Frame sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  Reply(StatusReply(sent, false, false));
  ASSERT_TRUE(gw_.FindOutlet(0x10)->online);
  for (int i = 0; i < 40 && gw_.FindOutlet(0x10)->online; ++i) {
    now_ += 500;
    fx_.Clear();
    gw_.Tick(now_, &fx_);
    Collect();
  }
  EXPECT_FALSE(gw_.FindOutlet(0x10)->online);
  EXPECT_EQ(Count(GatewayEventKind::kOutletOffline), 1);
}

// ---- end to end: gateway and real outlet cores over a simulated radio ----

class Workshop {
 public:
  struct Node {
    MemoryNvm<256> nvm;
    std::unique_ptr<ConfigStore> store;
    std::unique_ptr<OutletController> outlet;
    RadioStreamParser rx;
    double amps[2] = {0, 0};
  };

  Workshop() : gw_(GatewayTest_Config(), nullptr) { gw_.Boot(now_, &fx_); }

  static GatewayConfig GatewayTest_Config() {
    GatewayConfig c;
    c.own_address = kGw;
    c.poll_interval_ms = 500;
    c.breaker_threshold_ma = 15000;
    c.shed_settle_ms = 1000;
    return c;
  }

  Node& AddNode(uint8_t address, uint8_t prio_a, uint8_t prio_b) {
    nodes_.push_back(std::make_unique<Node>());
    Node& n = *nodes_.back();
    n.store = std::make_unique<ConfigStore>(n.nvm);
    OutletSettings adopted;  // as if adopted earlier
    adopted.device_id = address;
    adopted.master_id = kGw;
    uint8_t bytes[kOutletSettingsSize];
    EncodeOutletSettings(adopted, MutableByteSpan(bytes));
    EXPECT_TRUE(n.store->Save(ByteSpan(bytes)));
    n.outlet = std::make_unique<OutletController>(*n.store, Acs712Spec(100, 5000, 1023, 100));
    OutletEffects ofx;
    n.outlet->Boot(now_, &ofx);
    Windows(n);
    EXPECT_TRUE(gw_.AddOutlet(address, prio_a, prio_b, &fx_));
    return n;
  }

  void Windows(Node& n) {
    OutletEffects ofx;
    const auto a = testing::Acs712Window(n.outlet->relay_on(0) ? n.amps[0] : 0);
    const auto b = testing::Acs712Window(n.outlet->relay_on(1) ? n.amps[1] : 0);
    n.outlet->OnAdcWindows(now_, testing::View(a), testing::View(b), &ofx);
  }

  // Total current through the main breaker: the sum over ON sockets.
  uint32_t BreakerMa() const {
    double total = 0;
    for (const auto& n : nodes_) {
      for (int i = 0; i < 2; ++i) total += n->outlet->relay_on(i) ? n->amps[i] : 0;
    }
    return static_cast<uint32_t>(total * 1000);
  }

  void Run(uint32_t ms) {
    for (uint32_t t = 0; t < ms; t += 10) {
      now_ += 10;
      fx_.Clear();
      gw_.Tick(now_, &fx_);
      if (now_ % 200 == 0) {
        for (auto& n : nodes_) Windows(*n);
        gw_.OnBreakerCurrent(now_, BreakerMa(), &fx_);
      }
      const FixedVector<FrameBuffer, 1> sent = fx_.transmit;
      for (const FrameBuffer& f : sent) Air(f, nullptr);  // replies land in fx_ too
      Collect();
      for (auto& n : nodes_) {
        OutletEffects ofx;
        n->outlet->Tick(now_, false, &ofx);
      }
    }
  }

  GatewayEffects fx_;
  CcuGateway gw_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<CommandResult> results_;
  std::vector<GatewayEvent> events_;
  uint32_t now_ = 1000;

 private:
  void Collect() {
    for (const auto& r : fx_.results) results_.push_back(r);
    for (const auto& e : fx_.events) events_.push_back(e);
  }

  // Broadcast medium: every node and the gateway hear every frame (not their own).
  void Air(const FrameBuffer& frame, Node* from) {
    for (auto& n : nodes_) {
      if (n.get() == from) continue;
      for (size_t i = 0; i < frame.size; ++i) n->rx.Push(frame.bytes[i]);
      RadioFrame rf;
      while (n->rx.Poll(&rf)) {
        if (rf.kind != RadioFrame::Kind::kV2) continue;
        OutletEffects ofx;
        n->outlet->OnFrame(now_, rf.v2, &ofx);
        for (const FrameBuffer& reply : ofx.transmit) Air(reply, n.get());
      }
    }
    if (from == nullptr) return;
    for (size_t i = 0; i < frame.size; ++i) gw_rx_.Push(frame.bytes[i]);
    RadioFrame rf;
    while (gw_rx_.Poll(&rf)) {
      if (rf.kind == RadioFrame::Kind::kV2) gw_.OnFrame(now_, rf.v2, &fx_);
    }
  }

  RadioStreamParser gw_rx_;
};

TEST(GatewayEndToEndTest, RelayCommandAndOverloadReachTheGateway) {
  Workshop w;
  Workshop::Node& n = w.AddNode(0x10, 1, 1);
  w.AddNode(0x11, 1, 1);
  w.Run(1000);
  ASSERT_TRUE(w.gw_.FindOutlet(0x10)->online);
  ASSERT_TRUE(w.gw_.FindOutlet(0x11)->online);
  ASSERT_TRUE(w.gw_.SubmitCommand(1, 0x10, RadioCommand::kRelayOn, kSocketA, ByteSpan(), &w.fx_));
  w.Run(300);
  ASSERT_EQ(w.results_.size(), 1u);
  EXPECT_EQ(w.results_[0].outcome, CommandOutcome::kAcked);
  EXPECT_TRUE(n.outlet->relay_on(0));
  EXPECT_TRUE(w.gw_.FindOutlet(0x10)->status.relay_on[0]);
  EXPECT_FALSE(w.nodes_[1]->outlet->relay_on(0));  // the other outlet did not react
  n.amps[0] = 4.0;                                 // over the 3 A outlet threshold
  w.Run(1000);
  EXPECT_TRUE(w.gw_.FindOutlet(0x10)->status.tripped[0]);
  int trips = 0;
  for (const auto& e : w.events_) {
    trips += e.kind == GatewayEventKind::kOverloadTrip && e.address == 0x10 && e.socket == kSocketA;
  }
  EXPECT_EQ(trips, 1);
}

TEST(GatewayEndToEndTest, BreakerShedsByPriorityThenCutsAllWithoutUplink) {
  Workshop w;  // the gateway has no uplink at all: protection is local
  Workshop::Node& a = w.AddNode(0x10, 10, 200);
  Workshop::Node& b = w.AddNode(0x11, 50, 100);
  a.amps[0] = a.amps[1] = b.amps[0] = b.amps[1] = 2.5;  // 10 A total, under 15 A
  uint32_t id = 1;
  for (uint8_t addr : {0x10, 0x11}) {
    for (uint8_t s : {kSocketA, kSocketB}) {
      ASSERT_TRUE(w.gw_.SubmitCommand(id++, addr, RadioCommand::kRelayOn, s, ByteSpan(), &w.fx_));
    }
  }
  w.Run(2000);
  ASSERT_EQ(w.BreakerMa(), 10000u);
  for (const auto& r : w.results_) EXPECT_EQ(r.outcome, CommandOutcome::kAcked);

  std::vector<std::pair<uint8_t, uint8_t>> shed_order;
  auto record = [&]() {
    shed_order.clear();
    for (const auto& e : w.events_) {
      if (e.kind == GatewayEventKind::kSocketShed) shed_order.emplace_back(e.address, e.socket);
    }
  };
  // Raise the outlets' own overload threshold to 10 A so that only the breaker limit acts.
  for (uint8_t addr : {0x10, 0x11}) {
    const uint8_t ma[] = {0x27, 0x10};  // 10000 mA
    ASSERT_TRUE(
        w.gw_.SubmitCommand(id++, addr, RadioCommand::kSetThreshold, 0, ByteSpan(ma), &w.fx_));
  }
  w.Run(500);
  a.amps[0] = a.amps[1] = b.amps[0] = b.amps[1] = 4.5;  // 18 A > 15 A
  w.Run(1500);
  record();
  ASSERT_EQ(shed_order.size(), 1u);
  EXPECT_EQ(shed_order[0], std::make_pair(uint8_t{0x10}, kSocketA));  // priority 10
  EXPECT_FALSE(a.outlet->relay_on(0));
  EXPECT_EQ(w.BreakerMa(), 13500u);  // back under the limit: shedding stops
  w.Run(5000);
  record();
  EXPECT_EQ(shed_order.size(), 1u);
  EXPECT_TRUE(b.outlet->relay_on(0));

  // Load grows: 9 A on each of the three ON sockets (27 A) -> shed 0x11 A (priority 50),
  // still 18 A -> after the settle time shed 0x11 B (100) -> 9 A, under the limit.
  a.amps[1] = b.amps[0] = b.amps[1] = 9.0;
  w.Run(10000);
  record();
  ASSERT_EQ(shed_order.size(), 3u);
  EXPECT_EQ(shed_order[1], std::make_pair(uint8_t{0x11}, kSocketA));
  EXPECT_EQ(shed_order[2], std::make_pair(uint8_t{0x11}, kSocketB));
  EXPECT_FALSE(b.outlet->relay_on(0));
  EXPECT_FALSE(b.outlet->relay_on(1));
  EXPECT_TRUE(a.outlet->relay_on(1));  // 9 A on the most important socket is allowed
  EXPECT_EQ(w.BreakerMa(), 9000u);
  for (const auto& e : w.events_) EXPECT_NE(e.kind, GatewayEventKind::kBreakerCutAll);
}

TEST(GatewayEndToEndTest, CutsAllWhenNoKnownOnSocketIsLeft) {
  Workshop w;
  Workshop::Node& a = w.AddNode(0x10, 1, 1);
  w.Run(1000);
  // The breaker sees 20 A that no known-ON socket explains (e.g. a relay welded shut while
  // reported off, or load on an unmonitored circuit): last resort, cut everything.
  GatewayEffects fx;
  w.gw_.OnBreakerCurrent(w.now_, 20000, &fx);
  int cut_all = 0;
  for (const auto& e : fx.events) cut_all += e.kind == GatewayEventKind::kBreakerCutAll;
  EXPECT_EQ(cut_all, 1);
  w.Run(2000);
  EXPECT_FALSE(a.outlet->relay_on(0));
  EXPECT_FALSE(a.outlet->relay_on(1));
}

}  // namespace
}  // namespace sw::fw
