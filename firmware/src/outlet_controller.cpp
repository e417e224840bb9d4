// Outlet controller: see fw/outlet_controller.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/outlet_controller.h"

namespace sw::fw {

namespace {

constexpr uint8_t kSettingsVersion = 1;

bool Elapsed(uint32_t now_ms, uint32_t since_ms, uint32_t duration_ms) {
  return static_cast<uint32_t>(now_ms - since_ms) >= duration_ms;
}

int IndexOf(uint8_t socket) {
  return socket == kSocketA ? 0 : (socket == kSocketB ? 1 : -1);
}
uint8_t SocketOf(int index) {
  return index == 0 ? kSocketA : kSocketB;
}

bool ValidAddress(uint8_t address) {
  return address != 0x00 && address != 0xFF;
}

}  // namespace

size_t EncodeOutletSettings(const OutletSettings& s, MutableByteSpan out) {
  if (out.size() < kOutletSettingsSize) return 0;
  out[0] = kSettingsVersion;
  out[1] = s.device_id;
  out[2] = s.master_id;
  WriteBe16(out.data() + 3, s.threshold_ma);
  out[5] = static_cast<uint8_t>((s.policy[0] == PowerPolicy::kRestore ? 0x01 : 0) |
                                (s.policy[1] == PowerPolicy::kRestore ? 0x02 : 0) |
                                (s.last_on[0] ? 0x04 : 0) | (s.last_on[1] ? 0x08 : 0));
  return kOutletSettingsSize;
}

bool DecodeOutletSettings(ByteSpan bytes, OutletSettings* s) {
  if (bytes.size() < kOutletSettingsSize || bytes[0] != kSettingsVersion) return false;
  OutletSettings out;
  out.device_id = bytes[1];
  out.master_id = bytes[2];
  out.threshold_ma = ReadBe16(bytes.data() + 3);
  out.policy[0] = (bytes[5] & 0x01) ? PowerPolicy::kRestore : PowerPolicy::kOff;
  out.policy[1] = (bytes[5] & 0x02) ? PowerPolicy::kRestore : PowerPolicy::kOff;
  out.last_on[0] = (bytes[5] & 0x04) != 0;
  out.last_on[1] = (bytes[5] & 0x08) != 0;
  if (!ValidAddress(out.device_id) || !ValidAddress(out.master_id) || out.threshold_ma == 0) {
    return false;
  }
  *s = out;
  return true;
}

OutletController::OutletController(ConfigStore& store, const CurrentSensorSpec& sensor,
                                   const OutletTiming& timing)
    : store_(store), meters_{RmsCurrentMeter(sensor), RmsCurrentMeter(sensor)}, timing_(timing) {}

void OutletController::Emit(OutletEffects* fx, OutletEventKind kind, uint8_t socket,
                            uint16_t current_ma) {
  OutletEvent e;
  e.kind = kind;
  e.socket = socket;
  e.current_ma = current_ma;
  fx->events.PushBack(e);  // a full list drops the event; relays/frames are unaffected
}

void OutletController::Boot(uint32_t now_ms, OutletEffects* fx) {
  (void)now_ms;
  relay_on_[0] = relay_on_[1] = false;
  tripped_[0] = tripped_[1] = false;
  current_ma_[0] = current_ma_[1] = 0;
  calibrated_ = false;
  config_mode_ = false;
  cache_ = ReplyCache();
  settings_ = OutletSettings();
  uint8_t buffer[ConfigStore::kMaxPayload];
  size_t size = 0;
  if (store_.Load(MutableByteSpan(buffer), &size) == ConfigStore::LoadResult::kLoaded) {
    OutletSettings loaded;
    if (DecodeOutletSettings(ByteSpan(buffer, size), &loaded)) settings_ = loaded;
  }
  Emit(fx, OutletEventKind::kBoot);
}

void OutletController::OnAdcWindows(uint32_t now_ms, Span<const uint16_t> window_a,
                                    Span<const uint16_t> window_b, OutletEffects* fx) {
  const Span<const uint16_t> windows[2] = {window_a, window_b};
  if (!calibrated_) {
    // Relays are still off: these windows are the no-load zero point.
    if (!meters_[0].Calibrate(window_a) || !meters_[1].Calibrate(window_b)) return;
    calibrated_ = true;
    Emit(fx, OutletEventKind::kCalibrated);
    for (int i = 0; i < 2; ++i) {
      SetRelay(i, settings_.policy[i] == PowerPolicy::kRestore && settings_.last_on[i]);
    }
    return;
  }
  for (int i = 0; i < 2; ++i) {
    const uint32_t ma = meters_[i].MeasureMilliamps(windows[i]);
    if (!relay_on_[i]) {
      current_ma_[i] = 0;  // an open contact carries no current; the window is noise
      continue;
    }
    current_ma_[i] = static_cast<uint16_t>(ma > 0xFFFE ? 0xFFFE : ma);
    if (ma > settings_.threshold_ma) {
      SetRelay(i, false);
      tripped_[i] = true;
      tripped_at_ms_[i] = now_ms;
      Emit(fx, OutletEventKind::kOverloadTrip, SocketOf(i), current_ma_[i]);
      current_ma_[i] = 0;
    }
  }
}

void OutletController::Tick(uint32_t now_ms, bool button_pressed, OutletEffects* fx) {
  for (int i = 0; i < 2; ++i) {
    if (tripped_[i] && Elapsed(now_ms, tripped_at_ms_[i], timing_.retry_delay_ms)) {
      tripped_[i] = false;
      SetRelay(i, true);
      Emit(fx, OutletEventKind::kOverloadRetry, SocketOf(i));
    }
  }
  if (config_mode_ && Elapsed(now_ms, config_mode_since_ms_, timing_.config_mode_timeout_ms)) {
    LeaveConfigMode(fx);
  }
  HandleButton(now_ms, button_pressed, fx);
}

void OutletController::HandleButton(uint32_t now_ms, bool pressed, OutletEffects* fx) {
  if (pressed != button_raw_) {
    button_raw_ = pressed;
    button_raw_since_ms_ = now_ms;
  }
  if (button_raw_ != button_down_ && Elapsed(now_ms, button_raw_since_ms_, timing_.debounce_ms)) {
    button_down_ = button_raw_;
    if (button_down_) {
      button_down_since_ms_ = button_raw_since_ms_;
      hold_config_done_ = false;
      hold_reset_done_ = false;
    } else if (!hold_config_done_ && !hold_reset_done_ && config_mode_) {
      LeaveConfigMode(fx);  // a short press cancels config mode
    }
  }
  if (!button_down_) return;
  if (!hold_reset_done_ && Elapsed(now_ms, button_down_since_ms_, timing_.factory_reset_hold_ms)) {
    hold_reset_done_ = true;
    FactoryReset(fx);
  } else if (!hold_config_done_ && Elapsed(now_ms, button_down_since_ms_, timing_.config_hold_ms)) {
    hold_config_done_ = true;
    EnterConfigMode(now_ms, fx);
  }
}

void OutletController::EnterConfigMode(uint32_t now_ms, OutletEffects* fx) {
  config_mode_ = true;
  config_mode_since_ms_ = now_ms;
  Emit(fx, OutletEventKind::kConfigModeEntered);
}

void OutletController::LeaveConfigMode(OutletEffects* fx) {
  if (!config_mode_) return;
  config_mode_ = false;
  Emit(fx, OutletEventKind::kConfigModeLeft);
}

void OutletController::FactoryReset(OutletEffects* fx) {
  config_mode_ = false;
  for (int i = 0; i < 2; ++i) {
    SetRelay(i, false);
    tripped_[i] = false;
  }
  cache_ = ReplyCache();
  settings_ = OutletSettings();
  uint8_t bytes[kOutletSettingsSize];
  EncodeOutletSettings(settings_, MutableByteSpan(bytes));
  if (!store_.Save(ByteSpan(bytes))) Emit(fx, OutletEventKind::kStorageError);
  Emit(fx, OutletEventKind::kFactoryReset);
}

bool OutletController::SaveSettings(const OutletSettings& next, OutletEffects* fx) {
  uint8_t bytes[kOutletSettingsSize];
  EncodeOutletSettings(next, MutableByteSpan(bytes));
  if (!store_.Save(ByteSpan(bytes))) {
    Emit(fx, OutletEventKind::kStorageError);
    return false;
  }
  settings_ = next;
  return true;
}

OutletStatus OutletController::Status() const {
  OutletStatus s;
  for (int i = 0; i < 2; ++i) {
    s.relay_on[i] = relay_on_[i];
    s.tripped[i] = tripped_[i];
    s.restore_after_power_cut[i] = settings_.policy[i] == PowerPolicy::kRestore;
    s.current_ma[i] = current_ma_[i];
  }
  s.config_mode = config_mode_;
  s.threshold_ma = settings_.threshold_ma;
  return s;
}

LedPattern OutletController::Led() const {
  if (config_mode_) return LedPattern::kConfigMode;
  const bool adopted = settings_.device_id != OutletSettings::kDefaultDeviceId ||
                       settings_.master_id != OutletSettings::kDefaultMasterId;
  return adopted ? LedPattern::kAdopted : LedPattern::kUnadopted;
}

void OutletController::OnFrame(uint32_t now_ms, const V2Frame& frame, OutletEffects* fx) {
  if (cache_.valid && frame.target == cache_.target && frame.sender == cache_.sender &&
      frame.seq == cache_.seq && frame.command == cache_.command) {
    fx->transmit.PushBack(cache_.reply);  // retransmission: same answer, no second effect
    return;
  }
  if (frame.target != settings_.device_id) return;  // for another outlet on the channel
  if (frame.command == RadioCommand::kAck || frame.command == RadioCommand::kNack ||
      frame.command == RadioCommand::kStatusReport) {
    return;  // replies are never answered (prevents ping-pong between two outlets)
  }
  const V2Frame request = frame;
  const V2Frame reply = Execute(now_ms, request, fx);
  cache_.valid = true;
  cache_.target = request.target;
  cache_.sender = request.sender;
  cache_.seq = request.seq;
  cache_.command = request.command;
  cache_.reply = EncodeV2(reply);
  fx->transmit.PushBack(cache_.reply);
}

V2Frame OutletController::ExecuteRelay(const V2Frame& request, bool on, OutletEffects* fx) {
  const uint8_t self = settings_.device_id;
  const int i = IndexOf(request.socket);
  if (i < 0 || request.payload_size != 0) {
    return V2Nack(request, self, NackReason::kBadParameter);
  }
  if (on && tripped_[i]) return V2Nack(request, self, NackReason::kSocketTripped);
  if (!on && tripped_[i]) {
    tripped_[i] = false;  // the user's OFF wins over the automatic retry
    Emit(fx, OutletEventKind::kRetryCancelled, request.socket);
  }
  SetRelay(i, on);
  if (!on) current_ma_[i] = 0;
  if (settings_.policy[i] == PowerPolicy::kRestore && settings_.last_on[i] != on) {
    OutletSettings next = settings_;
    next.last_on[i] = on;
    SaveSettings(next, fx);  // relay switched regardless; a failure is reported as an event
  } else {
    settings_.last_on[i] = on;
  }
  return V2Ack(request, self, EncodeStatusFlags(Status()));
}

V2Frame OutletController::Execute(uint32_t now_ms, const V2Frame& request, OutletEffects* fx) {
  (void)now_ms;
  const uint8_t self = settings_.device_id;
  const bool addressing = request.command == RadioCommand::kSetDeviceId ||
                          request.command == RadioCommand::kSetIdMaster;
  const bool from_master = request.sender == settings_.master_id;
  if (!from_master && !(addressing && config_mode_)) {
    return V2Nack(request, self, NackReason::kNotAuthorized);
  }
  const bool query = request.command == RadioCommand::kPing ||
                     request.command == RadioCommand::kStatus ||
                     request.command == RadioCommand::kReadCurrent;
  if (!calibrated_ && !query) return V2Nack(request, self, NackReason::kNotReady);

  switch (request.command) {
    case RadioCommand::kPing: return V2Ack(request, self, EncodeStatusFlags(Status()));
    case RadioCommand::kStatus:
    case RadioCommand::kReadCurrent: return V2StatusReport(request, self, Status());
    case RadioCommand::kRelayOn: return ExecuteRelay(request, true, fx);
    case RadioCommand::kRelayOff: return ExecuteRelay(request, false, fx);
    case RadioCommand::kSetThreshold: {
      if (request.payload_size != 2) return V2Nack(request, self, NackReason::kBadParameter);
      const uint16_t ma = ReadBe16(request.payload.data());
      if (ma == 0 || ma == 0xFFFF) return V2Nack(request, self, NackReason::kBadParameter);
      OutletSettings next = settings_;
      next.threshold_ma = ma;
      if (!SaveSettings(next, fx)) return V2Nack(request, self, NackReason::kStorageFailed);
      return V2Ack(request, self, EncodeStatusFlags(Status()));
    }
    case RadioCommand::kSetDeviceId:
    case RadioCommand::kSetIdMaster: {
      if (!config_mode_) return V2Nack(request, self, NackReason::kConfigRequired);
      if (request.payload_size != 1 || !ValidAddress(request.payload[0])) {
        return V2Nack(request, self, NackReason::kBadParameter);
      }
      OutletSettings next = settings_;
      if (request.command == RadioCommand::kSetDeviceId) {
        next.device_id = request.payload[0];
      } else {
        next.master_id = request.payload[0];
      }
      if (!SaveSettings(next, fx)) return V2Nack(request, self, NackReason::kStorageFailed);
      LeaveConfigMode(fx);
      // The ACK comes from the (possibly new) own address.
      return V2Ack(request, settings_.device_id, EncodeStatusFlags(Status()));
    }
    case RadioCommand::kSetPowerPolicy: {
      const int i = IndexOf(request.socket);
      if (i < 0 || request.payload_size != 1 || request.payload[0] > 1) {
        return V2Nack(request, self, NackReason::kBadParameter);
      }
      OutletSettings next = settings_;
      next.policy[i] = request.payload[0] == 1 ? PowerPolicy::kRestore : PowerPolicy::kOff;
      next.last_on[i] = relay_on_[i] || tripped_[i];
      if (!SaveSettings(next, fx)) return V2Nack(request, self, NackReason::kStorageFailed);
      return V2Ack(request, self, EncodeStatusFlags(Status()));
    }
    default: return V2Nack(request, self, NackReason::kUnknownCommand);
  }
}

}  // namespace sw::fw
