// Tests for the CCU gateway driving legacy (v1, PIC16F88) outlets: polls answered by two
// REPORT_DATA frames, the 0xFFFF overload sentinel, a lost report, ACK matching by target,
// sender, command, socket and timing window, retries and offline, shedding and cut-all, and
// v1 and v2 outlets on one bus. Frames are the reference's test vectors
// (smart-outlet-system.md §3.9) where one applies; received bytes go through the
// RadioStreamParser as on the CCU.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <vector>

#include "fw/ccu_gateway.h"
#include "fw/nvm.h"
#include "fw/outlet_controller.h"
#include "fw/radio_stream.h"
#include "test_signals.h"

namespace sw::fw {
namespace {

constexpr uint8_t kGw = 0x02;
constexpr uint8_t kPic = 0xFE;

using Bytes = std::vector<uint8_t>;

Bytes BytesOf(const FrameBuffer& f) {
  return Bytes(f.bytes.begin(), f.bytes.begin() + f.size);
}

class LegacyGatewayTest : public ::testing::Test {
 protected:
  LegacyGatewayTest() : gw_(Config(), &store_) {
    gw_.Boot(now_, &fx_);
    EXPECT_TRUE(gw_.AddOutlet(kPic, 20, 200, &fx_));
    EXPECT_TRUE(gw_.SetLegacy(kPic, true, &fx_));
  }
  static GatewayConfig Config() {
    GatewayConfig c;
    c.own_address = kGw;
    c.poll_interval_ms = 2000;
    c.reply_timeout_ms = 120;
    c.max_attempts = 4;
    c.backoff_base_ms = 50;
    c.breaker_threshold_ma = 15000;
    c.shed_settle_ms = 1000;
    return c;
  }
  // Advances time in 10 ms steps until the gateway transmits (or `limit` ms pass).
  bool RunUntilTransmit(Bytes* sent, uint32_t limit = 10000) {
    for (uint32_t t = 0; t <= limit; t += 10) {
      fx_.Clear();
      gw_.Tick(now_, &fx_);
      Collect();
      if (!fx_.transmit.empty()) {
        *sent = BytesOf(fx_.transmit[0]);
        return true;
      }
      now_ += 10;
    }
    return false;
  }
  // Received bytes, `after_ms` after now, through the CCU's stream parser.
  void Receive(const Bytes& bytes, uint32_t after_ms = 20) {
    now_ += after_ms;
    for (uint8_t b : bytes) {
      rx_.Push(b);
      RadioFrame f;
      while (rx_.Poll(&f)) {
        fx_.Clear();
        if (f.kind == RadioFrame::Kind::kLegacy) {
          gw_.OnLegacyFrame(now_, f.legacy, &fx_);
        } else {
          gw_.OnFrame(now_, f.v2, &fx_);
        }
        Collect();
      }
    }
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
  const OutletRecord& Pic() const { return *gw_.FindOutlet(kPic); }

  MemoryNvm<512> nvm_;
  ConfigStore store_{nvm_};
  CcuGateway gw_;
  GatewayEffects fx_;
  RadioStreamParser rx_;
  uint32_t now_ = 5000;
  std::vector<CommandResult> results_;
  std::vector<GatewayEvent> events_;
};

// Reference vectors (§3.9), master 0x02, outlet 0xFE.
const Bytes kReadCurrent = {0xAA, 0xFE, 0x02, 0x04, 0x00, 0x00, 0xF8, 0xBB};
const Bytes kReportA49 = {0xAA, 0x02, 0x01, 0x05, 0x00, 0x31, 0x37, 0xBB};
const Bytes kReportB2744 = {0xAA, 0x02, 0x02, 0x05, 0x0A, 0xB8, 0xB7, 0xBB};
const Bytes kReportAOverload = {0xAA, 0x02, 0x01, 0x05, 0xFF, 0xFF, 0x06, 0xBB};
const Bytes kRelayAOn = {0xAA, 0xFE, 0x02, 0x02, 0x00, 0x01, 0xFF, 0xBB};
const Bytes kRelayBOff = {0xAA, 0xFE, 0x02, 0x03, 0x00, 0x02, 0xFD, 0xBB};
const Bytes kSetThreshold5000 = {0xAA, 0xFE, 0x02, 0x07, 0x13, 0x88, 0x60, 0xBB};
const Bytes kAckRelayAOn = {0xAA, 0x02, 0xFE, 0x06, 0x01, 0x02, 0xF9, 0xBB};
const Bytes kAckThreshold = {0xAA, 0x02, 0xFE, 0x06, 0x00, 0x07, 0xFD, 0xBB};

Bytes Legacy(const LegacyFrame& f) {
  const LegacyFrameBytes b = EncodeLegacy(f);
  return Bytes(b.begin(), b.end());
}

TEST_F(LegacyGatewayTest, PollGetsBothCurrentsThroughGarbageAndV2Frames) {
  Bytes sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent, kReadCurrent);
  // Debug text, a truncated frame and a v2 frame for someone else on the same channel.
  Bytes noise = {'C', 'a', 'l', '\r', '\n', 0xAA, 0x02, 0x01};
  V2Frame other;
  other.target = 0x33;
  other.sender = 0x10;
  other.command = RadioCommand::kPing;
  const Bytes v2 = BytesOf(EncodeV2(other));
  noise.insert(noise.end(), v2.begin(), v2.end());
  Receive(noise, 18);
  Receive(kReportA49, 2);
  EXPECT_TRUE(gw_.busy());  // waiting for socket B
  Receive(kReportB2744, 10);
  EXPECT_FALSE(gw_.busy());
  EXPECT_TRUE(Pic().online);
  EXPECT_TRUE(Pic().status_known);
  EXPECT_EQ(Pic().status.current_ma[0], 0);  // 49 mA = 1 ADC count of noise
  EXPECT_EQ(Pic().status.current_ma[1], 2744);
  EXPECT_FALSE(Pic().relay_known[0]);  // nothing says whether A is on
  EXPECT_TRUE(Pic().relay_known[1]);   // B draws current: its relay is closed
  EXPECT_TRUE(Pic().status.relay_on[1]);
  EXPECT_EQ(Count(GatewayEventKind::kOutletOnline), 1);
  EXPECT_EQ(Count(GatewayEventKind::kOverloadTrip), 0);
  EXPECT_GE(gw_.stray_frames(), 1u);  // the v2 frame was not ours
  // Next poll on the same schedule as v2 outlets.
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent, kReadCurrent);
}

TEST_F(LegacyGatewayTest, OverloadSentinelMeansTripped) {
  Bytes sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  Receive(kReportAOverload);
  Receive(kReportB2744, 10);
  EXPECT_TRUE(Pic().status.tripped[0]);
  EXPECT_EQ(Pic().status.current_ma[0], 0);
  EXPECT_FALSE(Pic().status.tripped[1]);
  ASSERT_EQ(Count(GatewayEventKind::kOverloadTrip), 1);
  EXPECT_EQ(events_.back().socket, kSocketA);
  // Still tripped at the next poll: no second event. Then the PIC's retry: a value again.
  ASSERT_TRUE(RunUntilTransmit(&sent));
  Receive(kReportAOverload);
  Receive(kReportB2744, 10);
  EXPECT_EQ(Count(GatewayEventKind::kOverloadTrip), 1);
  ASSERT_TRUE(RunUntilTransmit(&sent));
  Receive(Legacy(LegacyReport(kGw, kSocketA, 1500)));
  Receive(kReportB2744, 10);
  EXPECT_FALSE(Pic().status.tripped[0]);
  EXPECT_EQ(Pic().status.current_ma[0], 1500);
}

TEST_F(LegacyGatewayTest, OneReportLostIsRetriedThenKeptWhenItNeverComes) {
  Bytes sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  Receive(kReportA49);                                     // B is lost
  Receive(Legacy(LegacyReport(kGw, kSocketB, 700)), 200);  // too late: stray
  EXPECT_TRUE(Pic().online);
  EXPECT_EQ(Pic().status.current_ma[1], 0);
  // The retry: B arrives this time (a second A would be a duplicate and is ignored).
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent, kReadCurrent);
  Receive(kReportA49);
  Receive(kReportB2744, 10);
  EXPECT_FALSE(gw_.busy());
  EXPECT_EQ(Pic().status.current_ma[1], 2744);

  // Only A ever arrives: after the last attempt the read completes with A; the outlet
  // answered, so it is neither failed nor offline.
  now_ += 2000;
  int transmissions = 0;
  while (RunUntilTransmit(&sent, 1000)) {
    ++transmissions;
    Receive(Legacy(LegacyReport(kGw, kSocketA, 900)));
  }
  EXPECT_EQ(transmissions, Config().max_attempts);
  EXPECT_FALSE(gw_.busy());
  EXPECT_EQ(Pic().status.current_ma[0], 900);
  EXPECT_EQ(Pic().status.current_ma[1], 2744);  // the last value B reported
  EXPECT_TRUE(Pic().online);
  EXPECT_EQ(Pic().failures, 0);
  EXPECT_EQ(Count(GatewayEventKind::kOutletOffline), 0);
}

TEST_F(LegacyGatewayTest, RelayAndThresholdCommandsAreAcked) {
  Bytes sent;
  ASSERT_TRUE(gw_.SubmitCommand(7, kPic, RadioCommand::kRelayOn, kSocketA, ByteSpan(), &fx_));
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent, kRelayAOn);
  Receive(kAckRelayAOn);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].id, 7u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kAcked);
  EXPECT_TRUE(results_[0].status.relay_on[0]);
  EXPECT_TRUE(Pic().relay_known[0]);
  EXPECT_TRUE(Pic().online);

  const uint8_t ma[] = {0x13, 0x88};  // 5000 mA
  ASSERT_TRUE(gw_.SubmitCommand(8, kPic, RadioCommand::kSetThreshold, 0, ByteSpan(ma), &fx_));
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent, kSetThreshold5000);
  Receive(kAckThreshold);
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_EQ(results_[1].outcome, CommandOutcome::kAcked);
  EXPECT_EQ(Pic().status.threshold_ma, 5000);

  ASSERT_TRUE(gw_.SubmitCommand(9, kPic, RadioCommand::kRelayOff, kSocketB, ByteSpan(), &fx_));
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent, kRelayBOff);
  Receive(Legacy(LegacyAck(kGw, kPic, kSocketB, RadioCommand::kRelayOff)));
  ASSERT_EQ(results_.size(), 3u);
  EXPECT_EQ(results_[2].outcome, CommandOutcome::kAcked);
  EXPECT_FALSE(Pic().status.relay_on[1]);
  EXPECT_TRUE(Pic().relay_known[1]);
}

TEST_F(LegacyGatewayTest, ForeignLateOrMismatchedAcksAreNotCredited) {
  ASSERT_TRUE(gw_.AddOutlet(0xFD, 1, 1, &fx_));
  ASSERT_TRUE(gw_.SetLegacy(0xFD, true, &fx_));
  Bytes sent;
  ASSERT_TRUE(gw_.SubmitCommand(1, kPic, RadioCommand::kRelayOn, kSocketA, ByteSpan(), &fx_));
  ASSERT_TRUE(RunUntilTransmit(&sent));
  ASSERT_EQ(sent, kRelayAOn);
  const uint32_t strays = gw_.stray_frames();
  Receive(kAckRelayAOn, 5);  // earlier than any answer to this frame can be: a stale ACK
  Receive(Legacy(LegacyAck(kGw, 0xFD, kSocketA, RadioCommand::kRelayOn)), 15);  // wrong outlet
  Receive(Legacy(LegacyAck(kGw, kPic, kSocketA, RadioCommand::kRelayOff)), 1);  // wrong command
  Receive(Legacy(LegacyAck(kGw, kPic, kSocketB, RadioCommand::kRelayOn)), 1);   // wrong socket
  Receive(Legacy(LegacyAck(0x01, kPic, kSocketA, RadioCommand::kRelayOn)), 1);  // other master
  Receive(kReportB2744, 1);  // a report nobody asked for
  EXPECT_EQ(gw_.stray_frames(), strays + 6);
  EXPECT_TRUE(results_.empty());
  EXPECT_TRUE(gw_.busy());
  EXPECT_FALSE(Pic().status.relay_on[0]);
  // The timeout passes; during the back-off the late right ACK is not credited either ...
  now_ += 100;
  fx_.Clear();
  gw_.Tick(now_, &fx_);
  Receive(kAckRelayAOn, 10);
  EXPECT_EQ(gw_.stray_frames(), strays + 7);
  EXPECT_TRUE(results_.empty());
  // ... the retry is, when its ACK comes in its window.
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent, kRelayAOn);
  Receive(kAckRelayAOn);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kAcked);
  // With nothing in flight, an ACK is stray; it is not kept for the next request.
  Receive(kAckRelayAOn);
  EXPECT_EQ(gw_.stray_frames(), strays + 8);
}

TEST_F(LegacyGatewayTest, RetriesWithBackoffThenTimesOutAndGoesOffline) {
  Bytes sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));  // a poll, answered: online
  Receive(kReportA49);
  Receive(kReportB2744, 10);
  ASSERT_TRUE(Pic().online);
  ASSERT_TRUE(gw_.SubmitCommand(3, kPic, RadioCommand::kRelayOn, kSocketA, ByteSpan(), &fx_));
  std::vector<uint32_t> times;
  while (times.size() < 4 && RunUntilTransmit(&sent, 2000)) {
    EXPECT_EQ(sent, kRelayAOn);
    times.push_back(now_);
    now_ += 10;
  }
  ASSERT_EQ(times.size(), 4u);
  for (int i = 0; i < 20 && results_.empty(); ++i) {
    fx_.Clear();
    gw_.Tick(now_, &fx_);
    Collect();
    now_ += 10;
  }
  // Reply timeout 120 ms, then back-off 50, 100, 200 ms (10 ms steps).
  EXPECT_NEAR(times[1] - times[0], 170, 10);
  EXPECT_NEAR(times[2] - times[1], 220, 10);
  EXPECT_NEAR(times[3] - times[2], 320, 10);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kTimedOut);
  // Polls go unanswered too: offline after offline_after_failures consecutive failures.
  for (int i = 0; i < 40 && Pic().online; ++i) RunUntilTransmit(&sent, 3000);
  EXPECT_FALSE(Pic().online);
  EXPECT_EQ(Count(GatewayEventKind::kOutletOffline), 1);
}

TEST_F(LegacyGatewayTest, CommandsThePicDoesNotHaveAreRefusedWithoutRadio) {
  const uint8_t policy[] = {1};
  ASSERT_TRUE(
      gw_.SubmitCommand(4, kPic, RadioCommand::kSetPowerPolicy, kSocketA, ByteSpan(policy), &fx_));
  ASSERT_TRUE(gw_.SubmitCommand(5, kPic, RadioCommand::kRelayOn, kSocketNone, ByteSpan(), &fx_));
  for (int i = 0; i < 3; ++i) {
    fx_.Clear();
    gw_.Tick(now_, &fx_);
    Collect();
    for (const auto& f : fx_.transmit) EXPECT_EQ(BytesOf(f), kReadCurrent);  // only the poll
    if (gw_.busy()) break;
  }
  ASSERT_EQ(results_.size(), 2u);
  EXPECT_EQ(results_[0].outcome, CommandOutcome::kNacked);
  EXPECT_EQ(results_[0].reason, NackReason::kUnknownCommand);
  EXPECT_EQ(results_[1].outcome, CommandOutcome::kNacked);
  EXPECT_EQ(results_[1].reason, NackReason::kBadParameter);
}

TEST_F(LegacyGatewayTest, LegacyFlagPersistsWithTheRegistry) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
  ASSERT_TRUE(gw_.RemoveOutlet(0x10, &fx_));
  ASSERT_TRUE(gw_.AddOutlet(0x11, 1, 1, &fx_));
  EXPECT_FALSE(gw_.SetLegacy(0x44, true, &fx_));  // not registered
  ConfigStore store(nvm_);
  CcuGateway rebooted(Config(), &store);
  rebooted.Boot(now_, &fx_);
  ASSERT_EQ(rebooted.outlet_count(), 2u);
  EXPECT_TRUE(rebooted.FindOutlet(kPic)->legacy);
  EXPECT_FALSE(rebooted.FindOutlet(0x11)->legacy);
  EXPECT_EQ(rebooted.FindOutlet(kPic)->shed_priority[1], 200);
}

TEST_F(LegacyGatewayTest, ShedsLegacySocketsByPriorityAndCutsThemAll) {
  ASSERT_TRUE(gw_.AddOutlet(0x10, 100, 100, &fx_));  // a v2 outlet
  std::vector<uint8_t> polled;
  for (int i = 0; i < 2; ++i) {
    Bytes sent;
    ASSERT_TRUE(RunUntilTransmit(&sent));
    if (sent[0] == kLegacySof) {
      Receive(kReportA49);
      Receive(kReportB2744, 10);  // B: 2.7 A, relay closed
    } else {
      V2Frame req;
      ASSERT_EQ(DecodeV2(ByteSpan(sent.data(), sent.size()), &req), FrameError::kOk);
      OutletStatus s;
      s.relay_on[0] = s.relay_on[1] = true;
      s.current_ma[0] = s.current_ma[1] = 6000;
      fx_.Clear();
      gw_.OnFrame(now_, V2StatusReport(req, 0x10, s), &fx_);
      Collect();
    }
  }
  ASSERT_TRUE(Pic().online);
  ASSERT_TRUE(gw_.FindOutlet(0x10)->online);
  // Over the limit: the legacy socket B (priority 200) is shed after v2's (100) ... the
  // legacy socket A (priority 20) is not known to be on, so the lowest known-ON is v2 A/B.
  fx_.Clear();
  gw_.OnBreakerCurrent(now_, 16000, &fx_);
  Collect();
  Bytes sent;
  ASSERT_TRUE(RunUntilTransmit(&sent));
  ASSERT_EQ(sent[0], kV2Sof);  // 0x10 A: priority 100, 6 A
  V2Frame req;
  ASSERT_EQ(DecodeV2(ByteSpan(sent.data(), sent.size()), &req), FrameError::kOk);
  EXPECT_EQ(req.command, RadioCommand::kRelayOff);
  fx_.Clear();
  gw_.OnFrame(now_, V2Ack(req, 0x10, 0x02), &fx_);  // A off, B on
  Collect();
  now_ += 1000;
  fx_.Clear();
  gw_.OnBreakerCurrent(now_, 16000, &fx_);
  Collect();
  ASSERT_TRUE(RunUntilTransmit(&sent));
  ASSERT_EQ(DecodeV2(ByteSpan(sent.data(), sent.size()), &req), FrameError::kOk);
  fx_.Clear();
  gw_.OnFrame(now_, V2Ack(req, 0x10, 0x00), &fx_);
  Collect();
  now_ += 1000;
  fx_.Clear();
  gw_.OnBreakerCurrent(now_, 16000, &fx_);
  Collect();
  ASSERT_TRUE(RunUntilTransmit(&sent));
  EXPECT_EQ(sent, kRelayBOff);  // the legacy outlet's B, in its own frame
  Receive(Legacy(LegacyAck(kGw, kPic, kSocketB, RadioCommand::kRelayOff)));
  std::vector<std::pair<uint8_t, uint8_t>> order;
  for (const auto& e : events_) {
    if (e.kind == GatewayEventKind::kSocketShed) order.emplace_back(e.address, e.socket);
  }
  const std::vector<std::pair<uint8_t, uint8_t>> expected = {
      {0x10, kSocketA}, {0x10, kSocketB}, {kPic, kSocketB}};
  EXPECT_EQ(order, expected);
  EXPECT_FALSE(Pic().status.relay_on[1]);
  // Still over: nothing known ON is left, so every socket is cut, legacy ones with legacy
  // frames.
  now_ += 1000;
  fx_.Clear();
  gw_.OnBreakerCurrent(now_, 16000, &fx_);
  Collect();
  EXPECT_EQ(Count(GatewayEventKind::kBreakerCutAll), 1);
  std::vector<Bytes> legacy_cuts;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(RunUntilTransmit(&sent));
    if (sent[0] == kLegacySof) {
      legacy_cuts.push_back(sent);
      LegacyFrame f;
      ASSERT_EQ(DecodeLegacy(ByteSpan(sent.data(), sent.size()), &f), FrameError::kOk);
      Receive(Legacy(LegacyAck(kGw, kPic, f.data_low(), RadioCommand::kRelayOff)));
    } else {
      ASSERT_EQ(DecodeV2(ByteSpan(sent.data(), sent.size()), &req), FrameError::kOk);
      fx_.Clear();
      gw_.OnFrame(now_, V2Ack(req, 0x10, 0x00), &fx_);
      Collect();
    }
  }
  ASSERT_EQ(legacy_cuts.size(), 2u);
  EXPECT_EQ(legacy_cuts[0], Legacy(LegacyRelay(kPic, kGw, kSocketA, false)));
  EXPECT_EQ(legacy_cuts[1], kRelayBOff);
}

TEST(LegacyStreamTest, InterleavedLegacyAndV2FramesSurviveGarbage) {
  // The same stream as the fuzz seed corpus/fuzz_radio_stream/legacy_v2_interleaved.
  V2Frame status;
  status.target = kGw;
  status.sender = 0x10;
  status.seq = 7;
  status.command = RadioCommand::kStatusReport;
  status.payload_size = 7;
  status.payload = {0x01, 0x0B, 0xB8, 0, 0, 0, 0};
  Bytes stream = kReadCurrent;
  const Bytes v2 = BytesOf(EncodeV2(status));
  stream.insert(stream.end(), v2.begin(), v2.end());
  const Bytes noise = {'C', 'a', 'l', '\r', '\n', 0xAA, 0x02, 0x01};
  stream.insert(stream.end(), noise.begin(), noise.end());
  stream.insert(stream.end(), kReportA49.begin(), kReportA49.end());
  stream.push_back(0xA5);
  for (const Bytes* f : {&kReportAOverload, &kReportB2744, &kAckRelayAOn}) {
    stream.insert(stream.end(), f->begin(), f->end());
  }
  RadioStreamParser rx;
  std::vector<RadioFrame> frames;
  for (uint8_t b : stream) {
    rx.Push(b);
    RadioFrame f;
    while (rx.Poll(&f)) frames.push_back(f);
  }
  ASSERT_EQ(frames.size(), 6u);
  EXPECT_EQ(frames[0].kind, RadioFrame::Kind::kLegacy);
  EXPECT_EQ(frames[0].legacy.command, RadioCommand::kReadCurrent);
  ASSERT_EQ(frames[1].kind, RadioFrame::Kind::kV2);
  EXPECT_EQ(frames[1].v2, status);
  EXPECT_EQ(frames[2].legacy.data, 49);
  EXPECT_EQ(frames[3].legacy.data, kLegacyOverloadSentinel);
  EXPECT_EQ(frames[4].legacy.sender, kSocketB);
  EXPECT_EQ(frames[5].legacy.command, RadioCommand::kAck);
}

// ---- a v2 outlet (the real core) and a legacy PIC on one bus ----

// A PIC16F88 outlet as the reference describes it (§2-3): answers only its master, READ_CURRENT
// with two REPORT_DATA frames (0xFFFF while tripped), relay and threshold commands with ACKs,
// trips above its threshold, and ACKs RELAY_ON while tripped without switching on.
struct FakePic {
  uint8_t address = kPic;
  uint8_t master = kGw;
  uint16_t threshold_ma = 3000;
  bool relay[2] = {false, false};
  bool tripped[2] = {false, false};
  double amps[2] = {0, 0};

  void OnFrame(const LegacyFrame& f, std::vector<LegacyFrame>* replies) {
    if (f.target != address || f.sender != master) return;  // dropped silently
    const uint8_t socket = f.data_low();
    const int i = socket == kSocketA ? 0 : (socket == kSocketB ? 1 : -1);
    switch (f.command) {
      case RadioCommand::kReadCurrent:
        for (int k = 0; k < 2; ++k) {
          const uint16_t ma = tripped[k] ? kLegacyOverloadSentinel : Current(k);
          replies->push_back(LegacyReport(master, static_cast<uint8_t>(k + 1), ma));
        }
        break;
      case RadioCommand::kRelayOn:
      case RadioCommand::kRelayOff:
        if (i < 0) return;
        if (!tripped[i]) relay[i] = f.command == RadioCommand::kRelayOn;
        replies->push_back(LegacyAck(master, address, socket, f.command));
        break;
      case RadioCommand::kSetThreshold:
        threshold_ma = f.data;
        replies->push_back(LegacyAck(master, address, 0, f.command));
        break;
      default: break;
    }
  }
  uint16_t Current(int k) const { return relay[k] ? static_cast<uint16_t>(amps[k] * 1000) : 0; }
  void Check() {  // every 200 ms
    for (int k = 0; k < 2; ++k) {
      if (relay[k] && Current(k) > threshold_ma) {
        relay[k] = false;
        tripped[k] = true;
      }
    }
  }
};

class MixedBus {
 public:
  MixedBus() : gw_(Config(), nullptr) {
    gw_.Boot(now_, &fx_);
    OutletSettings adopted;
    adopted.device_id = 0x10;
    adopted.master_id = kGw;
    uint8_t bytes[kOutletSettingsSize];
    EncodeOutletSettings(adopted, MutableByteSpan(bytes));
    EXPECT_TRUE(store_.Save(ByteSpan(bytes)));
    v2_ = std::make_unique<OutletController>(store_, Acs712Spec(100, 5000, 1023, 100));
    OutletEffects ofx;
    v2_->Boot(now_, &ofx);
    Windows();
    EXPECT_TRUE(gw_.AddOutlet(0x10, 1, 1, &fx_));
    EXPECT_TRUE(gw_.AddOutlet(kPic, 1, 1, &fx_));
    EXPECT_TRUE(gw_.SetLegacy(kPic, true, &fx_));
  }
  static GatewayConfig Config() {
    GatewayConfig c;
    c.own_address = kGw;
    c.poll_interval_ms = 500;
    return c;
  }
  void Windows() {
    OutletEffects ofx;
    const auto a = testing::Acs712Window(v2_->relay_on(0) ? v2_amps_[0] : 0);
    const auto b = testing::Acs712Window(v2_->relay_on(1) ? v2_amps_[1] : 0);
    v2_->OnAdcWindows(now_, testing::View(a), testing::View(b), &ofx);
  }
  // Every frame reaches every other station 20 ms after it was sent.
  void Run(uint32_t ms) {
    for (uint32_t t = 0; t < ms; t += 10) {
      now_ += 10;
      while (!air_.empty() && air_.front().at <= now_) {
        const Packet p = air_.front();
        air_.pop_front();
        Deliver(p);
      }
      fx_.Clear();
      gw_.Tick(now_, &fx_);
      for (const FrameBuffer& f : fx_.transmit) Send(BytesOf(f), kFromGateway);
      Collect();
      if (now_ % 200 == 0) {
        Windows();
        pic_.Check();
      }
      OutletEffects ofx;
      v2_->Tick(now_, false, &ofx);
    }
  }

  CcuGateway gw_;
  FakePic pic_;
  std::unique_ptr<OutletController> v2_;
  double v2_amps_[2] = {0, 0};
  std::vector<CommandResult> results_;
  std::vector<GatewayEvent> events_;
  GatewayEffects fx_;
  uint32_t now_ = 1000;

 private:
  enum From { kFromGateway, kFromV2, kFromPic };
  struct Packet {
    uint32_t at;
    From from;
    Bytes bytes;
  };
  void Send(const Bytes& bytes, From from) { air_.push_back(Packet{now_ + 20, from, bytes}); }
  void Collect() {
    for (const auto& r : fx_.results) results_.push_back(r);
    for (const auto& e : fx_.events) events_.push_back(e);
  }
  void Deliver(const Packet& p) {
    RadioFrame f;
    if (p.from != kFromV2) {
      for (uint8_t b : p.bytes) v2_rx_.Push(b);
      while (v2_rx_.Poll(&f)) {
        if (f.kind != RadioFrame::Kind::kV2) continue;  // our outlet ignores legacy frames
        OutletEffects ofx;
        v2_->OnFrame(now_, f.v2, &ofx);
        for (const FrameBuffer& r : ofx.transmit) Send(BytesOf(r), kFromV2);
      }
    }
    if (p.from != kFromPic) {
      for (uint8_t b : p.bytes) pic_rx_.Push(b);
      while (pic_rx_.Poll(&f)) {
        if (f.kind != RadioFrame::Kind::kLegacy) continue;  // the PIC waits for 0xAA only
        std::vector<LegacyFrame> replies;
        pic_.OnFrame(f.legacy, &replies);
        // Back to back, as the PIC sends them.
        for (const LegacyFrame& r : replies) Send(Legacy(r), kFromPic);
      }
    }
    if (p.from != kFromGateway) {
      for (uint8_t b : p.bytes) gw_rx_.Push(b);
      while (gw_rx_.Poll(&f)) {
        fx_.Clear();
        if (f.kind == RadioFrame::Kind::kLegacy) {
          gw_.OnLegacyFrame(now_, f.legacy, &fx_);
        } else {
          gw_.OnFrame(now_, f.v2, &fx_);
        }
        for (const FrameBuffer& fb : fx_.transmit) Send(BytesOf(fb), kFromGateway);
        Collect();
      }
    }
  }

  MemoryNvm<256> nvm_;
  ConfigStore store_{nvm_};
  RadioStreamParser v2_rx_, pic_rx_, gw_rx_;
  std::deque<Packet> air_;
};

TEST(LegacyMixedBusTest, V1AndV2OutletsShareTheChannel) {
  MixedBus bus;
  bus.pic_.relay[1] = true;  // as found: B on with 2.5 A
  bus.pic_.amps[1] = 2.5;
  bus.Run(2000);
  const OutletRecord* pic = bus.gw_.FindOutlet(kPic);
  const OutletRecord* v2 = bus.gw_.FindOutlet(0x10);
  ASSERT_TRUE(pic->online);
  ASSERT_TRUE(v2->online);
  EXPECT_EQ(pic->status.current_ma[1], 2500);
  EXPECT_TRUE(pic->status.relay_on[1]);
  EXPECT_EQ(bus.gw_.stray_frames(), 0u);

  ASSERT_TRUE(
      bus.gw_.SubmitCommand(1, kPic, RadioCommand::kRelayOn, kSocketA, ByteSpan(), &bus.fx_));
  ASSERT_TRUE(
      bus.gw_.SubmitCommand(2, 0x10, RadioCommand::kRelayOn, kSocketB, ByteSpan(), &bus.fx_));
  bus.Run(500);
  ASSERT_EQ(bus.results_.size(), 2u);
  for (const auto& r : bus.results_) EXPECT_EQ(r.outcome, CommandOutcome::kAcked);
  EXPECT_TRUE(bus.pic_.relay[0]);
  EXPECT_TRUE(bus.v2_->relay_on(1));
  EXPECT_FALSE(bus.v2_->relay_on(0));  // neither reacted to the other's command

  // The PIC's socket A overloads: it trips at its 3 A threshold; the gateway sees 0xFFFF.
  bus.pic_.amps[0] = 4.0;
  bus.Run(1500);
  EXPECT_TRUE(bus.pic_.tripped[0]);
  EXPECT_TRUE(bus.gw_.FindOutlet(kPic)->status.tripped[0]);
  int trips = 0;
  for (const auto& e : bus.events_) {
    trips += e.kind == GatewayEventKind::kOverloadTrip && e.address == kPic;
  }
  EXPECT_EQ(trips, 1);
  EXPECT_FALSE(bus.gw_.FindOutlet(0x10)->status.tripped[0]);
  EXPECT_EQ(bus.gw_.stray_frames(), 0u);
}

}  // namespace
}  // namespace sw::fw
