// Radio frame codecs for the outlet link (HC-12, 9600 8N1).
//
// Legacy frame (existing PIC16F88 outlets, byte-compatible):
//   AA target sender cmd dataH dataL xor BB      xor = target^sender^cmd^dataH^dataL
// REPORT_DATA frames carry the socket number (1/2) in `sender`, and 0xFFFF means "tripped".
//
// v2 frame (Sitewatch outlets):
//   A5 len target sender seq cmd socket payload[len] crcH crcL 5A
//   len <= 8; crc = CRC-16/CCITT-FALSE over bytes [1, 7 + len) (len .. last payload byte).
// `sender` is always the transmitter's own address (an outlet's reply carries its device
// address, never a socket number); `socket` is 0 (none/both), 1 (A) or 2 (B); `seq` is
// chosen by the CCU per command and echoed in the reply, so a late reply is never credited
// to a newer command. Refusals are answered with NACK + reason instead of silence.
//
// Thread-safety: pure functions and value types, safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "fw/span.h"

namespace sw::fw {

// Command codes. 0x01..0x09 are the legacy codes (same meaning in v2); the rest are v2 only.
// The enum has uint8_t as underlying type, so any received byte is a valid value.
enum class RadioCommand : uint8_t {
  kPing = 0x01,
  kRelayOn = 0x02,
  kRelayOff = 0x03,
  kReadCurrent = 0x04,  // legacy: answered by two REPORT_DATA; v2: by one STATUS_REPORT
  kReportData = 0x05,   // legacy only
  kAck = 0x06,
  kSetThreshold = 0x07,
  kSetDeviceId = 0x08,     // needs config mode; the ACK comes from the new address
  kSetIdMaster = 0x09,     // needs config mode
  kStatus = 0x0A,          // v2: query relay states, trip flags, threshold, currents
  kStatusReport = 0x0B,    // v2: reply to kStatus / kReadCurrent
  kSetPowerPolicy = 0x0C,  // v2: socket + payload[0] = PowerPolicy
  kNack = 0x15,            // v2: payload = {echoed command, NackReason}
};

enum class NackReason : uint8_t {
  kNotAuthorized = 0x01,   // sender is not this outlet's master
  kConfigRequired = 0x02,  // command needs config mode (button hold)
  kBadParameter = 0x03,    // socket/value out of range
  kUnknownCommand = 0x04,
  kSocketTripped = 0x05,  // RELAY_ON refused: socket is in overload cool-down
  kNotReady = 0x06,       // still calibrating after boot
  kStorageFailed = 0x07,  // setting could not be persisted; nothing changed
};

enum class FrameError : uint8_t {
  kOk = 0,
  kTooShort,
  kBadStart,
  kBadEnd,
  kBadLength,
  kBadChecksum,
};

inline constexpr uint8_t kSocketNone = 0x00;
inline constexpr uint8_t kSocketA = 0x01;
inline constexpr uint8_t kSocketB = 0x02;

// ---------------------------------------------------------------------------------------
// Legacy frame.

inline constexpr uint8_t kLegacySof = 0xAA;
inline constexpr uint8_t kLegacyEof = 0xBB;
inline constexpr size_t kLegacyFrameSize = 8;
inline constexpr uint16_t kLegacyOverloadSentinel = 0xFFFF;

struct LegacyFrame {
  uint8_t target = 0;
  uint8_t sender = 0;
  RadioCommand command = RadioCommand::kPing;
  uint16_t data = 0;  // DATA_H:DATA_L, big-endian on the wire

  uint8_t data_high() const { return static_cast<uint8_t>(data >> 8); }
  uint8_t data_low() const { return static_cast<uint8_t>(data & 0xFF); }
  friend bool operator==(const LegacyFrame& a, const LegacyFrame& b) {
    return a.target == b.target && a.sender == b.sender && a.command == b.command &&
           a.data == b.data;
  }
};

using LegacyFrameBytes = std::array<uint8_t, kLegacyFrameSize>;

LegacyFrameBytes EncodeLegacy(const LegacyFrame& frame);
// Decodes exactly kLegacyFrameSize bytes (extra bytes are an error: kBadLength).
FrameError DecodeLegacy(ByteSpan bytes, LegacyFrame* out);

// Builders for the frames a master sends to a legacy outlet.
LegacyFrame LegacyPing(uint8_t target, uint8_t master);
LegacyFrame LegacyRelay(uint8_t target, uint8_t master, uint8_t socket, bool on);
LegacyFrame LegacyReadCurrent(uint8_t target, uint8_t master);
LegacyFrame LegacySetThreshold(uint8_t target, uint8_t master, uint16_t threshold_ma);
LegacyFrame LegacySetDeviceId(uint8_t target, uint8_t master, uint8_t new_id);
LegacyFrame LegacySetIdMaster(uint8_t target, uint8_t master, uint8_t new_master);
// Frames a legacy outlet sends.
LegacyFrame LegacyAck(uint8_t master, uint8_t device, uint8_t socket_or_zero, RadioCommand acked);
LegacyFrame LegacyReport(uint8_t master, uint8_t socket, uint16_t current_ma);

// A legacy ACK is expected for `sent` (sent to `device`) when it comes from `device`
// (for SET_DEVICE_ID: from the new ID carried in the command) and echoes the command and
// socket. Returns false for anything else (wrong outlet, wrong command, wrong socket).
bool LegacyAckMatches(const LegacyFrame& sent, const LegacyFrame& ack);

// ---------------------------------------------------------------------------------------
// v2 frame.

inline constexpr uint8_t kV2Sof = 0xA5;
inline constexpr uint8_t kV2Eof = 0x5A;
inline constexpr size_t kV2MaxPayload = 8;
inline constexpr size_t kV2Overhead = 10;  // sof len target sender seq cmd socket crc2 eof
inline constexpr size_t kV2MaxFrameSize = kV2Overhead + kV2MaxPayload;
inline constexpr size_t kMaxRadioFrameSize = kV2MaxFrameSize;

struct V2Frame {
  uint8_t target = 0;
  uint8_t sender = 0;
  uint8_t seq = 0;
  RadioCommand command = RadioCommand::kPing;
  uint8_t socket = kSocketNone;
  uint8_t payload_size = 0;
  std::array<uint8_t, kV2MaxPayload> payload = {};

  ByteSpan PayloadView() const { return ByteSpan(payload.data(), payload_size); }
  friend bool operator==(const V2Frame& a, const V2Frame& b);
};

// Encoded bytes of one radio frame (either version), for transmit queues.
struct FrameBuffer {
  std::array<uint8_t, kMaxRadioFrameSize> bytes = {};
  size_t size = 0;

  ByteSpan View() const { return ByteSpan(bytes.data(), size); }
};

// Returns the encoded size (kV2Overhead + payload_size) or 0 if payload_size is too big.
size_t EncodeV2(const V2Frame& frame, MutableByteSpan out);
FrameBuffer EncodeV2(const V2Frame& frame);
FrameBuffer EncodeLegacyBuffer(const LegacyFrame& frame);
// Decodes exactly one complete frame (the size must match its length byte).
FrameError DecodeV2(ByteSpan bytes, V2Frame* out);

// Outlet state as carried by STATUS_REPORT (7 payload bytes) and, as flags, in ACKs.
struct OutletStatus {
  bool relay_on[2] = {false, false};
  bool tripped[2] = {false, false};
  bool config_mode = false;
  bool restore_after_power_cut[2] = {false, false};
  uint16_t threshold_ma = 0;
  uint16_t current_ma[2] = {0, 0};
};

uint8_t EncodeStatusFlags(const OutletStatus& status);
void DecodeStatusFlags(uint8_t flags, OutletStatus* status);
inline constexpr size_t kStatusPayloadSize = 7;
void EncodeStatusPayload(const OutletStatus& status, V2Frame* frame);
bool DecodeStatusPayload(const V2Frame& frame, OutletStatus* status);

// Reply builders (outlet side). `request` is the command being answered.
V2Frame V2Ack(const V2Frame& request, uint8_t own_address, uint8_t status_flags);
V2Frame V2Nack(const V2Frame& request, uint8_t own_address, NackReason reason);
V2Frame V2StatusReport(const V2Frame& request, uint8_t own_address, const OutletStatus& status);

}  // namespace sw::fw
