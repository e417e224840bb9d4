// Radio frame codecs: see fw/radio_frame.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/radio_frame.h"

#include "fw/checksum.h"

namespace sw::fw {

namespace {

LegacyFrame MakeLegacy(uint8_t target, uint8_t sender, RadioCommand command, uint16_t data) {
  LegacyFrame f;
  f.target = target;
  f.sender = sender;
  f.command = command;
  f.data = data;
  return f;
}

}  // namespace

LegacyFrameBytes EncodeLegacy(const LegacyFrame& frame) {
  LegacyFrameBytes b = {kLegacySof,
                        frame.target,
                        frame.sender,
                        static_cast<uint8_t>(frame.command),
                        frame.data_high(),
                        frame.data_low(),
                        0,
                        kLegacyEof};
  b[6] = Xor8(ByteSpan(b.data() + 1, 5));
  return b;
}

FrameError DecodeLegacy(ByteSpan bytes, LegacyFrame* out) {
  if (bytes.size() < kLegacyFrameSize) return FrameError::kTooShort;
  if (bytes.size() > kLegacyFrameSize) return FrameError::kBadLength;
  if (bytes[0] != kLegacySof) return FrameError::kBadStart;
  if (bytes[7] != kLegacyEof) return FrameError::kBadEnd;
  if (Xor8(ByteSpan(bytes.data() + 1, 5)) != bytes[6]) return FrameError::kBadChecksum;
  *out = MakeLegacy(bytes[1], bytes[2], static_cast<RadioCommand>(bytes[3]),
                    ReadBe16(bytes.data() + 4));
  return FrameError::kOk;
}

LegacyFrame LegacyPing(uint8_t target, uint8_t master) {
  return MakeLegacy(target, master, RadioCommand::kPing, 0);
}
LegacyFrame LegacyRelay(uint8_t target, uint8_t master, uint8_t socket, bool on) {
  return MakeLegacy(target, master, on ? RadioCommand::kRelayOn : RadioCommand::kRelayOff, socket);
}
LegacyFrame LegacyReadCurrent(uint8_t target, uint8_t master) {
  return MakeLegacy(target, master, RadioCommand::kReadCurrent, 0);
}
LegacyFrame LegacySetThreshold(uint8_t target, uint8_t master, uint16_t threshold_ma) {
  return MakeLegacy(target, master, RadioCommand::kSetThreshold, threshold_ma);
}
LegacyFrame LegacySetDeviceId(uint8_t target, uint8_t master, uint8_t new_id) {
  return MakeLegacy(target, master, RadioCommand::kSetDeviceId, new_id);
}
LegacyFrame LegacySetIdMaster(uint8_t target, uint8_t master, uint8_t new_master) {
  return MakeLegacy(target, master, RadioCommand::kSetIdMaster, new_master);
}
LegacyFrame LegacyAck(uint8_t master, uint8_t device, uint8_t socket_or_zero, RadioCommand acked) {
  return MakeLegacy(master, device, RadioCommand::kAck,
                    static_cast<uint16_t>((socket_or_zero << 8) | static_cast<uint8_t>(acked)));
}
LegacyFrame LegacyReport(uint8_t master, uint8_t socket, uint16_t current_ma) {
  return MakeLegacy(master, socket, RadioCommand::kReportData, current_ma);
}

bool LegacyAckMatches(const LegacyFrame& sent, const LegacyFrame& ack) {
  if (ack.command != RadioCommand::kAck || ack.target != sent.sender) return false;
  if (ack.data_low() != static_cast<uint8_t>(sent.command)) return false;
  const bool is_relay =
      sent.command == RadioCommand::kRelayOn || sent.command == RadioCommand::kRelayOff;
  const uint8_t socket = is_relay ? sent.data_low() : 0;
  if (ack.data_high() != socket) return false;
  const uint8_t expected_sender =
      sent.command == RadioCommand::kSetDeviceId ? sent.data_low() : sent.target;
  return ack.sender == expected_sender;
}

bool operator==(const V2Frame& a, const V2Frame& b) {
  if (a.target != b.target || a.sender != b.sender || a.seq != b.seq || a.command != b.command ||
      a.socket != b.socket || a.payload_size != b.payload_size) {
    return false;
  }
  for (size_t i = 0; i < a.payload_size && i < kV2MaxPayload; ++i) {
    if (a.payload[i] != b.payload[i]) return false;
  }
  return true;
}

size_t EncodeV2(const V2Frame& frame, MutableByteSpan out) {
  const size_t size = kV2Overhead + frame.payload_size;
  if (frame.payload_size > kV2MaxPayload || out.size() < size) return 0;
  out[0] = kV2Sof;
  out[1] = frame.payload_size;
  out[2] = frame.target;
  out[3] = frame.sender;
  out[4] = frame.seq;
  out[5] = static_cast<uint8_t>(frame.command);
  out[6] = frame.socket;
  for (size_t i = 0; i < frame.payload_size; ++i) out[7 + i] = frame.payload[i];
  const size_t crc_at = 7 + frame.payload_size;
  WriteBe16(out.data() + crc_at, Crc16Ccitt(ByteSpan(out.data() + 1, crc_at - 1)));
  out[crc_at + 2] = kV2Eof;
  return size;
}

FrameBuffer EncodeV2(const V2Frame& frame) {
  FrameBuffer buffer;
  buffer.size = EncodeV2(frame, MutableByteSpan(buffer.bytes.data(), buffer.bytes.size()));
  return buffer;
}

FrameBuffer EncodeLegacyBuffer(const LegacyFrame& frame) {
  FrameBuffer buffer;
  const LegacyFrameBytes bytes = EncodeLegacy(frame);
  for (size_t i = 0; i < bytes.size(); ++i) buffer.bytes[i] = bytes[i];
  buffer.size = bytes.size();
  return buffer;
}

FrameError DecodeV2(ByteSpan bytes, V2Frame* out) {
  if (bytes.size() < kV2Overhead) return FrameError::kTooShort;
  if (bytes[0] != kV2Sof) return FrameError::kBadStart;
  const size_t payload_size = bytes[1];
  if (payload_size > kV2MaxPayload || bytes.size() != kV2Overhead + payload_size) {
    return FrameError::kBadLength;
  }
  const size_t crc_at = 7 + payload_size;
  if (bytes[crc_at + 2] != kV2Eof) return FrameError::kBadEnd;
  if (Crc16Ccitt(ByteSpan(bytes.data() + 1, crc_at - 1)) != ReadBe16(bytes.data() + crc_at)) {
    return FrameError::kBadChecksum;
  }
  V2Frame f;
  f.target = bytes[2];
  f.sender = bytes[3];
  f.seq = bytes[4];
  f.command = static_cast<RadioCommand>(bytes[5]);
  f.socket = bytes[6];
  f.payload_size = static_cast<uint8_t>(payload_size);
  for (size_t i = 0; i < payload_size; ++i) f.payload[i] = bytes[7 + i];
  *out = f;
  return FrameError::kOk;
}

uint8_t EncodeStatusFlags(const OutletStatus& s) {
  return static_cast<uint8_t>(
      (s.relay_on[0] ? 0x01 : 0) | (s.relay_on[1] ? 0x02 : 0) | (s.tripped[0] ? 0x04 : 0) |
      (s.tripped[1] ? 0x08 : 0) | (s.config_mode ? 0x10 : 0) |
      (s.restore_after_power_cut[0] ? 0x20 : 0) | (s.restore_after_power_cut[1] ? 0x40 : 0));
}

void DecodeStatusFlags(uint8_t flags, OutletStatus* s) {
  s->relay_on[0] = (flags & 0x01) != 0;
  s->relay_on[1] = (flags & 0x02) != 0;
  s->tripped[0] = (flags & 0x04) != 0;
  s->tripped[1] = (flags & 0x08) != 0;
  s->config_mode = (flags & 0x10) != 0;
  s->restore_after_power_cut[0] = (flags & 0x20) != 0;
  s->restore_after_power_cut[1] = (flags & 0x40) != 0;
}

void EncodeStatusPayload(const OutletStatus& status, V2Frame* frame) {
  frame->payload_size = kStatusPayloadSize;
  frame->payload[0] = EncodeStatusFlags(status);
  WriteBe16(&frame->payload[1], status.threshold_ma);
  WriteBe16(&frame->payload[3], status.current_ma[0]);
  WriteBe16(&frame->payload[5], status.current_ma[1]);
}

bool DecodeStatusPayload(const V2Frame& frame, OutletStatus* status) {
  if (frame.command != RadioCommand::kStatusReport || frame.payload_size != kStatusPayloadSize) {
    return false;
  }
  DecodeStatusFlags(frame.payload[0], status);
  status->threshold_ma = ReadBe16(&frame.payload[1]);
  status->current_ma[0] = ReadBe16(&frame.payload[3]);
  status->current_ma[1] = ReadBe16(&frame.payload[5]);
  return true;
}

namespace {

V2Frame ReplyTo(const V2Frame& request, uint8_t own_address, RadioCommand command) {
  V2Frame f;
  f.target = request.sender;
  f.sender = own_address;
  f.seq = request.seq;
  f.command = command;
  f.socket = request.socket;
  return f;
}

}  // namespace

V2Frame V2Ack(const V2Frame& request, uint8_t own_address, uint8_t status_flags) {
  V2Frame f = ReplyTo(request, own_address, RadioCommand::kAck);
  f.payload_size = 2;
  f.payload[0] = static_cast<uint8_t>(request.command);
  f.payload[1] = status_flags;
  return f;
}

V2Frame V2Nack(const V2Frame& request, uint8_t own_address, NackReason reason) {
  V2Frame f = ReplyTo(request, own_address, RadioCommand::kNack);
  f.payload_size = 2;
  f.payload[0] = static_cast<uint8_t>(request.command);
  f.payload[1] = static_cast<uint8_t>(reason);
  return f;
}

V2Frame V2StatusReport(const V2Frame& request, uint8_t own_address, const OutletStatus& status) {
  V2Frame f = ReplyTo(request, own_address, RadioCommand::kStatusReport);
  EncodeStatusPayload(status, &f);
  return f;
}

}  // namespace sw::fw
