// Tests for the outlet controller: relays, overload trip and retry, commands, config mode,
// persistence and power-cut policy.
#include "fw/outlet_controller.h"

#include <gtest/gtest.h>

#include "fw/nvm.h"
#include "test_signals.h"

namespace sw::fw {
namespace {

constexpr uint8_t kCcu = 0x02;

class OutletTest : public ::testing::Test {
 protected:
  OutletTest() { Reboot(); }

  // Power cycle: a new controller on the same NVM, booted and calibrated at no load.
  void Reboot() {
    store_ = std::make_unique<ConfigStore>(nvm_);
    outlet_ = std::make_unique<OutletController>(*store_, Acs712Spec(100, 5000, 1023, 100));
    fx_.Clear();
    outlet_->Boot(now_, &fx_);
    Windows(0, 0);
  }

  void Windows(double amps_a, double amps_b) {
    fx_.Clear();
    const auto a = testing::Acs712Window(amps_a);
    const auto b = testing::Acs712Window(amps_b);
    outlet_->OnAdcWindows(now_, testing::View(a), testing::View(b), &fx_);
  }

  void Advance(uint32_t ms, bool button = false) {
    for (uint32_t t = 0; t < ms; t += 10) {
      now_ += 10;
      fx_.Clear();
      outlet_->Tick(now_, button, &fx_);
      for (const OutletEvent& e : fx_.events) events_.push_back(e);
    }
  }

  V2Frame Request(RadioCommand command, uint8_t socket = kSocketNone,
                  std::initializer_list<uint8_t> payload = {}, uint8_t sender = kCcu) {
    V2Frame f;
    f.target = outlet_->settings().device_id;
    f.sender = sender;
    f.seq = ++seq_;
    f.command = command;
    f.socket = socket;
    for (uint8_t b : payload) f.payload[f.payload_size++] = b;
    return f;
  }

  // Delivers a frame and returns the single reply (or a frame with command kPing and
  // sender 0 when there was none).
  V2Frame Deliver(const V2Frame& request) {
    fx_.Clear();
    outlet_->OnFrame(now_, request, &fx_);
    for (const OutletEvent& e : fx_.events) events_.push_back(e);
    V2Frame reply;
    reply.sender = 0;
    if (fx_.transmit.empty()) return reply;
    EXPECT_EQ(fx_.transmit.size(), 1u);
    EXPECT_EQ(DecodeV2(fx_.transmit[0].View(), &reply), FrameError::kOk);
    return reply;
  }

  V2Frame Send(RadioCommand command, uint8_t socket = kSocketNone,
               std::initializer_list<uint8_t> payload = {}, uint8_t sender = kCcu) {
    return Deliver(Request(command, socket, payload, sender));
  }

  // Factory-fresh outlets answer master 0x01; adopt this one as 0xFE under master kCcu.
  void Adopt() {
    Advance(3100, true);
    Advance(100, false);
    ASSERT_EQ(Send(RadioCommand::kSetIdMaster, 0, {kCcu}).command, RadioCommand::kAck);
    Advance(3100, true);
    Advance(100, false);
    ASSERT_EQ(Send(RadioCommand::kSetDeviceId, 0, {0xFE}).command, RadioCommand::kAck);
  }

  static void ExpectAck(const V2Frame& reply, RadioCommand acked) {
    EXPECT_EQ(reply.command, RadioCommand::kAck);
    EXPECT_EQ(reply.payload[0], static_cast<uint8_t>(acked));
  }
  static void ExpectNack(const V2Frame& reply, NackReason reason) {
    EXPECT_EQ(reply.command, RadioCommand::kNack);
    EXPECT_EQ(reply.payload[1], static_cast<uint8_t>(reason));
  }
  bool HasEvent(OutletEventKind kind, uint8_t socket = kSocketNone) const {
    for (const OutletEvent& e : events_) {
      if (e.kind == kind && (socket == kSocketNone || e.socket == socket)) return true;
    }
    for (const OutletEvent& e : fx_.events) {
      if (e.kind == kind && (socket == kSocketNone || e.socket == socket)) return true;
    }
    return false;
  }

  MemoryNvm<256> nvm_;
  std::unique_ptr<ConfigStore> store_;
  std::unique_ptr<OutletController> outlet_;
  OutletEffects fx_;
  std::vector<OutletEvent> events_;
  uint32_t now_ = 1000;
  uint8_t seq_ = 0;
};

TEST_F(OutletTest, BootsOffAndRefusesSwitchingUntilCalibrated) {
  OutletController fresh(*store_, Acs712Spec(100, 5000, 1023, 100));
  fx_.Clear();
  fresh.Boot(now_, &fx_);
  EXPECT_FALSE(fresh.RelayPinHigh(0));
  EXPECT_FALSE(fresh.RelayPinHigh(1));
  V2Frame on = Request(RadioCommand::kRelayOn, kSocketA, {}, 0x01);
  fx_.Clear();
  fresh.OnFrame(now_, on, &fx_);
  V2Frame reply;
  ASSERT_EQ(DecodeV2(fx_.transmit[0].View(), &reply), FrameError::kOk);
  ExpectNack(reply, NackReason::kNotReady);
  EXPECT_FALSE(fresh.calibrated());
}

TEST_F(OutletTest, RelayCommandsDriveNormallyClosedPinsAndAckWithState) {
  Adopt();
  const V2Frame ack = Send(RadioCommand::kRelayOn, kSocketA);
  ExpectAck(ack, RadioCommand::kRelayOn);
  EXPECT_EQ(ack.sender, 0xFE);
  EXPECT_EQ(ack.target, kCcu);
  EXPECT_EQ(ack.seq, seq_);
  EXPECT_EQ(ack.socket, kSocketA);
  OutletStatus flags;
  DecodeStatusFlags(ack.payload[1], &flags);
  EXPECT_TRUE(flags.relay_on[0]);
  EXPECT_FALSE(flags.relay_on[1]);
  EXPECT_TRUE(outlet_->RelayPinHigh(0));  // NC contact: ON = coil released = pin HIGH
  EXPECT_FALSE(outlet_->RelayPinHigh(1));
  ExpectAck(Send(RadioCommand::kRelayOff, kSocketA), RadioCommand::kRelayOff);
  EXPECT_FALSE(outlet_->RelayPinHigh(0));
  ExpectNack(Send(RadioCommand::kRelayOn, 3), NackReason::kBadParameter);
  ExpectNack(Send(static_cast<RadioCommand>(0x7E)), NackReason::kUnknownCommand);
}

TEST_F(OutletTest, OverloadTripsWithinOneCheckPeriodPerSocket) {
  Adopt();
  Send(RadioCommand::kRelayOn, kSocketA);
  Send(RadioCommand::kRelayOn, kSocketB);
  Windows(2.0, 1.0);
  EXPECT_TRUE(outlet_->relay_on(0));
  EXPECT_NEAR(outlet_->current_ma(0), 2000, 40);
  Windows(4.0, 1.0);  // one window over the 3000 mA default threshold
  EXPECT_FALSE(outlet_->relay_on(0));
  EXPECT_TRUE(outlet_->tripped(0));
  EXPECT_TRUE(outlet_->relay_on(1));  // per-socket: B keeps running
  EXPECT_FALSE(outlet_->tripped(1));
  ASSERT_EQ(fx_.events.size(), 1u);
  EXPECT_EQ(fx_.events[0].kind, OutletEventKind::kOverloadTrip);
  EXPECT_EQ(fx_.events[0].socket, kSocketA);
  EXPECT_NEAR(fx_.events[0].current_ma, 4000, 80);
  OutletStatus status;
  ASSERT_TRUE(DecodeStatusPayload(Send(RadioCommand::kStatus), &status));
  EXPECT_TRUE(status.tripped[0]);
  EXPECT_FALSE(status.relay_on[0]);
  EXPECT_TRUE(status.relay_on[1]);
  EXPECT_EQ(status.threshold_ma, 3000);
  EXPECT_EQ(status.current_ma[0], 0);
  EXPECT_NEAR(status.current_ma[1], 1000, 20);
}

TEST_F(OutletTest, RetriesAfterFiveSecondsAndTripsAgainIfStillOverloaded) {
  Adopt();
  Send(RadioCommand::kRelayOn, kSocketA);
  Windows(5.0, 0);
  ASSERT_TRUE(outlet_->tripped(0));
  const uint32_t trip_at = now_;
  Advance(4990);
  EXPECT_FALSE(outlet_->relay_on(0));
  EXPECT_FALSE(HasEvent(OutletEventKind::kOverloadRetry));
  Advance(10);
  ASSERT_EQ(now_ - trip_at, 5000u);
  EXPECT_TRUE(outlet_->relay_on(0));
  EXPECT_FALSE(outlet_->tripped(0));
  EXPECT_TRUE(HasEvent(OutletEventKind::kOverloadRetry, kSocketA));
  Windows(5.0, 0);
  EXPECT_TRUE(outlet_->tripped(0));
}

TEST_F(OutletTest, UserOffCancelsPendingRetry) {
  Adopt();
  Send(RadioCommand::kRelayOn, kSocketA);
  Windows(5.0, 0);
  ASSERT_TRUE(outlet_->tripped(0));
  ExpectNack(Send(RadioCommand::kRelayOn, kSocketA), NackReason::kSocketTripped);
  ExpectAck(Send(RadioCommand::kRelayOff, kSocketA), RadioCommand::kRelayOff);
  EXPECT_TRUE(HasEvent(OutletEventKind::kRetryCancelled, kSocketA));
  EXPECT_FALSE(outlet_->tripped(0));
  Advance(10000);
  EXPECT_FALSE(outlet_->relay_on(0));
  EXPECT_FALSE(HasEvent(OutletEventKind::kOverloadRetry));
}

TEST_F(OutletTest, ThresholdIsSetPersistedAndApplied) {
  Adopt();
  ExpectAck(Send(RadioCommand::kSetThreshold, 0, {0x13, 0x88}), RadioCommand::kSetThreshold);
  EXPECT_EQ(outlet_->settings().threshold_ma, 5000);
  Send(RadioCommand::kRelayOn, kSocketB);
  Windows(0, 4.0);
  EXPECT_FALSE(outlet_->tripped(1));
  Windows(0, 5.5);
  EXPECT_TRUE(outlet_->tripped(1));
  ExpectNack(Send(RadioCommand::kSetThreshold, 0, {0x00, 0x00}), NackReason::kBadParameter);
  ExpectNack(Send(RadioCommand::kSetThreshold, 0, {0x13}), NackReason::kBadParameter);
  Reboot();
  EXPECT_EQ(outlet_->settings().threshold_ma, 5000);
  EXPECT_EQ(outlet_->settings().device_id, 0xFE);
}

TEST_F(OutletTest, StorageFailureIsNackedAndNothingChanges) {
  Adopt();
  nvm_.TearNextWriteAfter(3);
  ExpectNack(Send(RadioCommand::kSetThreshold, 0, {0x07, 0xD0}), NackReason::kStorageFailed);
  EXPECT_EQ(outlet_->settings().threshold_ma, 3000);
  Reboot();
  EXPECT_EQ(outlet_->settings().device_id, 0xFE);  // older slot survived the torn write
  EXPECT_EQ(outlet_->settings().master_id, kCcu);
}

TEST_F(OutletTest, PowerCutPolicyOffAndRestore) {
  Adopt();
  ExpectAck(Send(RadioCommand::kSetPowerPolicy, kSocketA, {1}), RadioCommand::kSetPowerPolicy);
  ExpectNack(Send(RadioCommand::kSetPowerPolicy, kSocketB, {2}), NackReason::kBadParameter);
  Send(RadioCommand::kRelayOn, kSocketA);
  Send(RadioCommand::kRelayOn, kSocketB);
  Reboot();
  EXPECT_TRUE(outlet_->relay_on(0));   // restore: back on
  EXPECT_FALSE(outlet_->relay_on(1));  // off policy: stays off
  Send(RadioCommand::kRelayOff, kSocketA);
  Reboot();
  EXPECT_FALSE(outlet_->relay_on(0));  // the user's last command was OFF
  OutletStatus status;
  ASSERT_TRUE(DecodeStatusPayload(Send(RadioCommand::kStatus), &status));
  EXPECT_TRUE(status.restore_after_power_cut[0]);
  EXPECT_FALSE(status.restore_after_power_cut[1]);
}

TEST_F(OutletTest, RestoredSocketWaitsForCalibrationBeforeSwitchingOn) {
  Adopt();
  Send(RadioCommand::kSetPowerPolicy, kSocketB, {1});
  Send(RadioCommand::kRelayOn, kSocketB);
  store_ = std::make_unique<ConfigStore>(nvm_);
  outlet_ = std::make_unique<OutletController>(*store_, Acs712Spec(100, 5000, 1023, 100));
  fx_.Clear();
  outlet_->Boot(now_, &fx_);
  EXPECT_FALSE(outlet_->relay_on(1));  // not before the zero point is known
  Windows(0, 0);
  EXPECT_TRUE(outlet_->relay_on(1));
}

TEST_F(OutletTest, AddressingNeedsConfigModeAndAckComesFromNewAddress) {
  // Factory fresh: device 0x01, master 0x01.
  ExpectNack(Send(RadioCommand::kPing, 0, {}, kCcu), NackReason::kNotAuthorized);
  ExpectNack(Send(RadioCommand::kSetDeviceId, 0, {0x21}, 0x01), NackReason::kConfigRequired);
  Advance(3100, true);
  EXPECT_TRUE(outlet_->config_mode());
  EXPECT_EQ(outlet_->Led(), LedPattern::kConfigMode);
  const V2Frame ack = Send(RadioCommand::kSetDeviceId, 0, {0x21}, 0x01);
  ExpectAck(ack, RadioCommand::kSetDeviceId);
  EXPECT_EQ(ack.sender, 0x21);  // from the new address
  EXPECT_FALSE(outlet_->config_mode());
  V2Frame to_old = Request(RadioCommand::kPing, 0, {}, 0x01);
  to_old.target = 0x01;
  EXPECT_EQ(Deliver(to_old).sender, 0);  // no longer answers the old address
  ExpectAck(Send(RadioCommand::kPing, 0, {}, 0x01), RadioCommand::kPing);
  EXPECT_EQ(outlet_->Led(), LedPattern::kAdopted);
}

TEST_F(OutletTest, RetransmittedSetDeviceIdIsAnsweredFromCacheByTheNewAddress) {
  Advance(3100, true);
  const V2Frame request = Request(RadioCommand::kSetDeviceId, 0, {0x33}, 0x01);
  EXPECT_EQ(Deliver(request).sender, 0x33);
  const uint32_t writes = nvm_.writes();
  const V2Frame again = Deliver(request);  // the gateway missed the ACK and retries
  ExpectAck(again, RadioCommand::kSetDeviceId);
  EXPECT_EQ(again.sender, 0x33);
  EXPECT_EQ(again.seq, request.seq);
  EXPECT_EQ(nvm_.writes(), writes);  // not executed twice
}

TEST_F(OutletTest, AdoptionInConfigModeAcceptsANewMaster) {
  ExpectNack(Send(RadioCommand::kPing, 0, {}, kCcu), NackReason::kNotAuthorized);
  Advance(3100, true);
  Advance(100, false);
  ExpectAck(Send(RadioCommand::kSetIdMaster, 0, {kCcu}, kCcu), RadioCommand::kSetIdMaster);
  ExpectAck(Send(RadioCommand::kPing, 0, {}, kCcu), RadioCommand::kPing);
  ExpectNack(Send(RadioCommand::kPing, 0, {}, 0x01), NackReason::kNotAuthorized);
  ExpectNack(Send(RadioCommand::kSetIdMaster, 0, {0x05}, kCcu), NackReason::kConfigRequired);
}

TEST_F(OutletTest, IgnoresFramesForOtherOutletsAndReplies) {
  V2Frame other = Request(RadioCommand::kPing, 0, {}, 0x01);
  other.target = 0x42;
  EXPECT_EQ(Deliver(other).sender, 0);
  V2Frame reply = Request(RadioCommand::kAck, 0, {0x01, 0x00}, 0x01);
  EXPECT_EQ(Deliver(reply).sender, 0);
}

TEST_F(OutletTest, ConfigModeEndsOnShortPressOrTimeout) {
  Advance(3100, true);
  Advance(100, false);
  ASSERT_TRUE(outlet_->config_mode());
  Advance(200, true);
  Advance(100, false);
  EXPECT_FALSE(outlet_->config_mode());
  Advance(3100, true);
  Advance(100, false);
  ASSERT_TRUE(outlet_->config_mode());
  Advance(60000);
  EXPECT_FALSE(outlet_->config_mode());
}

TEST_F(OutletTest, ButtonIsDebounced) {
  for (int i = 0; i < 100; ++i) {  // 20 ms glitches for 3+ s never make a hold
    Advance(20, true);
    Advance(20, false);
  }
  EXPECT_FALSE(outlet_->config_mode());
}

TEST_F(OutletTest, LongHoldFactoryResets) {
  Adopt();
  Send(RadioCommand::kSetThreshold, 0, {0x13, 0x88});
  Send(RadioCommand::kRelayOn, kSocketA);
  Advance(10100, true);
  EXPECT_TRUE(HasEvent(OutletEventKind::kFactoryReset));
  EXPECT_FALSE(outlet_->relay_on(0));
  EXPECT_FALSE(outlet_->config_mode());
  EXPECT_EQ(outlet_->settings().device_id, 0x01);
  EXPECT_EQ(outlet_->settings().master_id, 0x01);
  EXPECT_EQ(outlet_->settings().threshold_ma, 3000);
  Advance(100, false);
  Reboot();
  EXPECT_EQ(outlet_->settings().device_id, 0x01);
  EXPECT_EQ(outlet_->Led(), LedPattern::kUnadopted);
}

TEST(OutletSettingsTest, RoundTripAndValidation) {
  OutletSettings s;
  s.device_id = 0xFE;
  s.master_id = 0x02;
  s.threshold_ma = 12345;
  s.policy[1] = PowerPolicy::kRestore;
  s.last_on[1] = true;
  uint8_t bytes[kOutletSettingsSize];
  ASSERT_EQ(EncodeOutletSettings(s, MutableByteSpan(bytes)), kOutletSettingsSize);
  OutletSettings back;
  ASSERT_TRUE(DecodeOutletSettings(ByteSpan(bytes), &back));
  EXPECT_EQ(back.device_id, 0xFE);
  EXPECT_EQ(back.master_id, 0x02);
  EXPECT_EQ(back.threshold_ma, 12345);
  EXPECT_EQ(back.policy[0], PowerPolicy::kOff);
  EXPECT_EQ(back.policy[1], PowerPolicy::kRestore);
  EXPECT_TRUE(back.last_on[1]);
  bytes[0] = 9;
  EXPECT_FALSE(DecodeOutletSettings(ByteSpan(bytes), &back));
}

}  // namespace
}  // namespace sw::fw
