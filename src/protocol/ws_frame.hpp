// WebSocket framing (RFC 6455 §5), server side, for MQTT over WebSocket (MQTT 5.0 §6):
// sans-I/O. The HTTP server completes the opening handshake; the broker then reads the
// client's frames with WsFrameReader and writes its own with the Append* functions.
//
// MQTT uses binary frames as a byte stream: a packet may span frames and a frame may hold
// several packets, so the payload of a binary frame (and of its continuations) is handed on
// in pieces as it arrives, unmasked in place, never buffered whole; only a control frame's
// payload (at most 125 bytes) is collected. Refused, each with the close code to send:
// a text frame (1003: MQTT is binary, MQTT-6.0.0-1); an unmasked client frame, RSV bits (no
// extension is negotiated), an unknown opcode, a fragmented or oversized control frame, a
// continuation outside a fragmented message or a new data frame inside one, a non-minimal or
// 2^63+ length, a malformed close payload (all 1002).
// Single owner; not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sw::mqtt {

enum class WsOpcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes (RFC 6455 §7.4.1) the broker sends.
constexpr std::uint16_t kWsCloseNormal = 1000;
constexpr std::uint16_t kWsCloseGoingAway = 1001;
constexpr std::uint16_t kWsCloseProtocolError = 1002;
constexpr std::uint16_t kWsCloseUnsupportedData = 1003;
constexpr std::uint16_t kWsCloseNoStatus = 1005;  // received only: a close without a code

struct WsEvent {
  enum class Kind {
    kNeedMore,  // the input is used up
    kData,      // a piece of a binary message's payload: `data`, unmasked
    kPing,      // answer with a pong carrying `data`
    kPong,
    kClose,  // the peer's close: `code` (kWsCloseNoStatus when it sent none), reason in `data`
    kError,  // the peer broke the framing rules: close with `code`; `data` says why
  };
  Kind kind = Kind::kNeedMore;
  std::string_view data;  // valid until the next call (points into the input or the reader)
  std::uint16_t code = 0;
};

class WsFrameReader {
 public:
  // Consumes bytes from the front of `in` until it has one event, unmasking payload bytes in
  // place; returns kNeedMore once `in` is empty. After kClose or kError it consumes nothing
  // more and keeps returning kNeedMore.
  WsEvent Next(std::span<char>& in);

 private:
  WsEvent Fail(std::string_view why, std::uint16_t code = kWsCloseProtocolError);
  // Validates the complete header in header_; sets up the payload state.
  WsEvent StartFrame();
  WsEvent FinishControl();
  void Unmask(std::span<char> bytes);

  std::array<std::uint8_t, 14> header_{};  // 2 + 8 (length) + 4 (mask) at most
  std::size_t header_size_ = 0;
  bool in_payload_ = false;
  std::uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
  WsOpcode opcode_ = WsOpcode::kBinary;
  std::array<std::uint8_t, 4> mask_{};
  std::uint8_t mask_pos_ = 0;
  bool in_message_ = false;  // a binary message without FIN is going on
  bool done_ = false;        // close or error seen
  std::string control_;      // the current control frame's payload (<= 125 bytes)
};

// Appends the header of one unfragmented, unmasked server frame of `payload_size` bytes.
void AppendWsFrameHeader(WsOpcode opcode, std::size_t payload_size, std::string& out);
// Appends a whole close frame (the reason is cut to fit the 125-byte control payload).
void AppendWsClose(std::uint16_t code, std::string_view reason, std::string& out);
// Appends a pong echoing a ping's payload (at most 125 bytes).
void AppendWsPong(std::string_view payload, std::string& out);

}  // namespace sw::mqtt
