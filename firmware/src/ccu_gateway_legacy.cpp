// CCU gateway core, legacy (v1, PIC16F88) outlets: see "Legacy outlets" in fw/ccu_gateway.h
// and the PIC's protocol in /work/shared/reference/smart-outlet-system.md §2-3.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/ccu_gateway.h"

namespace sw::fw {

namespace {

bool Elapsed(uint32_t now_ms, uint32_t since_ms, uint32_t duration_ms) {
  return static_cast<uint32_t>(now_ms - since_ms) >= duration_ms;
}

int IndexOf(uint8_t socket) {
  return socket == kSocketA ? 0 : (socket == kSocketB ? 1 : -1);
}

}  // namespace

bool CcuGateway::SetLegacy(uint8_t address, bool legacy, GatewayEffects* fx) {
  OutletRecord* o = Find(address);
  if (o == nullptr) return false;
  if (o->legacy == legacy) return true;
  o->legacy = legacy;
  o->status_known = false;  // what was learned in the other protocol does not carry over
  o->relay_known[0] = o->relay_known[1] = false;
  SaveRegistry(fx);
  return true;
}

bool CcuGateway::StartLegacy(uint32_t now_ms, GatewayEffects* fx) {
  const Request& req = in_flight_.request;
  const uint8_t own = config_.own_address;
  LegacyFrame f;
  bool ok = true;
  NackReason reason = NackReason::kBadParameter;
  switch (req.command) {
    case RadioCommand::kStatus:
    case RadioCommand::kReadCurrent: f = LegacyReadCurrent(req.address, own); break;
    case RadioCommand::kPing: f = LegacyPing(req.address, own); break;
    case RadioCommand::kRelayOn:
    case RadioCommand::kRelayOff:
      ok = IndexOf(req.socket) >= 0;  // no "both sockets" in the legacy protocol
      f = LegacyRelay(req.address, own, req.socket, req.command == RadioCommand::kRelayOn);
      break;
    case RadioCommand::kSetThreshold:
      ok = req.payload_size == 2;
      f = LegacySetThreshold(req.address, own, ReadBe16(req.payload));
      break;
    case RadioCommand::kSetDeviceId:
      ok = req.payload_size == 1;
      f = LegacySetDeviceId(req.address, own, req.payload[0]);
      break;
    case RadioCommand::kSetIdMaster:
      ok = req.payload_size == 1;
      f = LegacySetIdMaster(req.address, own, req.payload[0]);
      break;
    default:  // STATUS_REPORT, SET_POWER_POLICY, ...: the PIC has no such command
      ok = false;
      reason = NackReason::kUnknownCommand;
      break;
  }
  if (!ok) {
    // Answered by the gateway for the PIC, which would drop it silently (no NACK in v1).
    in_flight_.active = false;
    if (req.kind == RequestKind::kCommand) {
      CommandResult result;
      result.id = req.id;
      result.address = req.address;
      result.outcome = CommandOutcome::kNacked;
      result.reason = reason;
      if (const OutletRecord* o = Find(req.address)) result.status = o->status;
      Report(result, fx);
    }
    return false;
  }
  in_flight_.legacy = true;
  in_flight_.legacy_frame = f;
  in_flight_.legacy_reports = 0;
  in_flight_.frame = EncodeLegacyBuffer(f);
  Transmit(now_ms, fx);
  return true;
}

bool CcuGateway::InLegacyReplyWindow(uint32_t now_ms) const {
  return in_flight_.active && in_flight_.legacy && !in_flight_.backing_off &&
         Elapsed(now_ms, in_flight_.sent_ms, kLegacyMinReplyMs) &&
         !Elapsed(now_ms, in_flight_.sent_ms, config_.reply_timeout_ms);
}

void CcuGateway::MarkAnswered(OutletRecord* o, uint32_t now_ms, GatewayEffects* fx) {
  o->failures = 0;
  o->last_seen_ms = now_ms;
  if (!o->online) {
    o->online = true;
    Emit(fx, GatewayEventKind::kOutletOnline, o->address);
  }
}

void CcuGateway::ApplyLegacyReport(OutletRecord* o, int index, uint16_t value, GatewayEffects* fx) {
  OutletStatus& s = o->status;
  if (value == kLegacyOverloadSentinel) {
    if (!s.tripped[index]) {
      Emit(fx, GatewayEventKind::kOverloadTrip, o->address, static_cast<uint8_t>(index + 1));
    }
    s.tripped[index] = true;
    s.current_ma[index] = 0;  // the PIC switched the relay off
  } else {
    s.tripped[index] = false;
    s.current_ma[index] = value <= kLegacyNoiseFloorMa ? 0 : value;
    if (s.current_ma[index] > 0) {  // current flows only through a closed relay
      s.relay_on[index] = true;
      o->relay_known[index] = true;
    }
  }
  o->status_known = true;
}

void CcuGateway::OnLegacyFrame(uint32_t now_ms, const LegacyFrame& frame, GatewayEffects* fx) {
  if (!InLegacyReplyWindow(now_ms) || frame.target != config_.own_address) {
    ++stray_frames_;
    return;
  }
  const LegacyFrame& sent = in_flight_.legacy_frame;
  if (frame.command == RadioCommand::kReportData) {
    // SENDER is the socket number: the outlet is known only by the timing window.
    const int i = IndexOf(frame.sender);
    const uint8_t bit = i >= 0 ? static_cast<uint8_t>(1u << i) : 0;
    if (sent.command != RadioCommand::kReadCurrent || bit == 0 ||
        (in_flight_.legacy_reports & bit) != 0) {
      ++stray_frames_;  // not asked for, or a second report for the same socket
      return;
    }
    in_flight_.legacy_reports |= bit;
    if (OutletRecord* o = Find(in_flight_.request.address)) {
      MarkAnswered(o, now_ms, fx);
      ApplyLegacyReport(o, i, frame.data, fx);
    }
    if (in_flight_.legacy_reports == 0x03) CompleteLegacy(now_ms, fx);
    return;
  }
  if (sent.command == RadioCommand::kReadCurrent || !LegacyAckMatches(sent, frame)) {
    ++stray_frames_;
    return;
  }
  CompleteLegacy(now_ms, fx);
}

void CcuGateway::CompleteLegacy(uint32_t now_ms, GatewayEffects* fx) {
  const Request req = in_flight_.request;
  const LegacyFrame sent = in_flight_.legacy_frame;
  in_flight_.active = false;
  CommandResult result;
  result.id = req.id;
  result.address = req.address;
  result.outcome = CommandOutcome::kAcked;
  OutletRecord* o = Find(req.address);
  if (o != nullptr) {
    MarkAnswered(o, now_ms, fx);
    const int i = IndexOf(req.socket);
    switch (sent.command) {
      case RadioCommand::kRelayOn:
      case RadioCommand::kRelayOff:
        if (i >= 0) {
          const bool on = sent.command == RadioCommand::kRelayOn;
          o->status.relay_on[i] = on;
          o->relay_known[i] = true;
          if (on) o->shed[i] = false;
        }
        break;
      case RadioCommand::kSetThreshold: o->status.threshold_ma = sent.data; break;
      case RadioCommand::kSetDeviceId:
        if (Find(sent.data_low()) == nullptr) {
          o->address = sent.data_low();
          SaveRegistry(fx);
        }
        break;
      default: break;
    }
    result.status = o->status;
  }
  if (req.kind == RequestKind::kCommand) Report(result, fx);
}

}  // namespace sw::fw
