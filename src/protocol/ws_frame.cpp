#include "protocol/ws_frame.hpp"

#include <algorithm>

namespace sw::mqtt {
namespace {

constexpr std::size_t kMaxControlPayload = 125;

bool IsControl(WsOpcode op) {
  return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

// The header's size once its second byte is known (client frames always carry a mask).
std::size_t HeaderSize(std::uint8_t second) {
  const std::uint8_t len7 = second & 0x7F;
  return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4;
}

// Codes a peer may send (RFC 6455 §7.4; 1012-1014 registered since).
bool ValidCloseCode(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

void AppendFrame(WsOpcode opcode, std::string_view payload, std::string& out) {
  AppendWsFrameHeader(opcode, payload.size(), out);
  out.append(payload);
}

}  // namespace

WsEvent WsFrameReader::Next(std::span<char>& in) {
  while (!done_ && !in.empty()) {
    if (!in_payload_) {
      std::size_t need = header_size_ >= 2 ? HeaderSize(header_[1]) : 2;
      while (header_size_ < need && !in.empty()) {
        header_[header_size_++] = static_cast<std::uint8_t>(in.front());
        in = in.subspan(1);
        if (header_size_ == 2) {
          // A server must close on an unmasked client frame (RFC 6455 §5.1).
          if ((header_[1] & 0x80) == 0) return Fail("unmasked client frame");
          need = HeaderSize(header_[1]);
        }
      }
      if (header_size_ < need) return {};
      if (WsEvent event = StartFrame(); event.kind != WsEvent::Kind::kNeedMore) return event;
      continue;
    }
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
    const std::span<char> piece = in.first(n);
    in = in.subspan(n);
    Unmask(piece);
    remaining_ -= n;
    if (remaining_ == 0) in_payload_ = false;
    if (!IsControl(opcode_)) {
      if (n != 0) return {WsEvent::Kind::kData, std::string_view(piece.data(), piece.size())};
      continue;
    }
    control_.append(piece.data(), piece.size());
    if (remaining_ == 0) return FinishControl();
  }
  return {};
}

WsEvent WsFrameReader::StartFrame() {
  const std::uint8_t first = header_[0];
  const std::uint8_t second = header_[1];
  header_size_ = 0;
  const bool fin = (first & 0x80) != 0;
  if ((first & 0x70) != 0) return Fail("reserved bits set (no extension was negotiated)");
  std::size_t pos = 2;
  std::uint64_t length = second & 0x7F;
  if (length == 126) {
    length = (std::uint64_t{header_[2]} << 8) | header_[3];
    pos += 2;
    if (length < 126) return Fail("non-minimal payload length");
  } else if (length == 127) {
    length = 0;
    for (std::size_t i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
    pos += 8;
    if ((length >> 63) != 0) return Fail("payload length with the top bit set");
    if (length <= 0xFFFF) return Fail("non-minimal payload length");
  }
  std::copy_n(header_.begin() + static_cast<std::ptrdiff_t>(pos), 4, mask_.begin());
  mask_pos_ = 0;
  const auto opcode = static_cast<WsOpcode>(first & 0x0F);
  switch (opcode) {
    case WsOpcode::kText:
      return Fail("text frame: MQTT travels in binary frames", kWsCloseUnsupportedData);
    case WsOpcode::kBinary:
      if (in_message_) return Fail("a new data frame inside a fragmented message");
      in_message_ = !fin;
      break;
    case WsOpcode::kContinuation:
      if (!in_message_) return Fail("continuation frame outside a fragmented message");
      in_message_ = !fin;
      break;
    case WsOpcode::kClose:
    case WsOpcode::kPing:
    case WsOpcode::kPong:
      if (!fin) return Fail("fragmented control frame");
      if (length > kMaxControlPayload) return Fail("control frame over 125 bytes");
      control_.clear();
      break;
    default: return Fail("unknown opcode");
  }
  opcode_ = opcode;
  remaining_ = length;
  in_payload_ = length != 0;
  if (length == 0 && IsControl(opcode)) return FinishControl();
  return {};
}

WsEvent WsFrameReader::FinishControl() {
  in_payload_ = false;
  switch (opcode_) {
    case WsOpcode::kPing: return {WsEvent::Kind::kPing, control_};
    case WsOpcode::kPong: return {WsEvent::Kind::kPong, control_};
    default: break;
  }
  // Close.
  if (control_.empty()) {
    done_ = true;
    return {WsEvent::Kind::kClose, {}, kWsCloseNoStatus};
  }
  if (control_.size() == 1) return Fail("close frame with a one-byte payload");
  const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(control_[0]) << 8) |
                                               static_cast<std::uint8_t>(control_[1]));
  if (!ValidCloseCode(code)) return Fail("invalid close code");
  done_ = true;
  return {WsEvent::Kind::kClose, std::string_view(control_).substr(2), code};
}

WsEvent WsFrameReader::Fail(std::string_view why, std::uint16_t code) {
  done_ = true;
  in_payload_ = false;
  return {WsEvent::Kind::kError, why, code};
}

void WsFrameReader::Unmask(std::span<char> bytes) {
  for (char& c : bytes) {
    c = static_cast<char>(static_cast<std::uint8_t>(c) ^ mask_[mask_pos_]);
    mask_pos_ = static_cast<std::uint8_t>((mask_pos_ + 1) & 3);
  }
}

void AppendWsFrameHeader(WsOpcode opcode, std::size_t payload_size, std::string& out) {
  out.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
  if (payload_size < 126) {
    out.push_back(static_cast<char>(payload_size));
  } else if (payload_size <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>((payload_size >> 8) & 0xFF));
    out.push_back(static_cast<char>(payload_size & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    const auto size = static_cast<std::uint64_t>(payload_size);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((size >> shift) & 0xFF));
    }
  }
}

void AppendWsClose(std::uint16_t code, std::string_view reason, std::string& out) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, kMaxControlPayload - 2));
  AppendFrame(WsOpcode::kClose, payload, out);
}

void AppendWsPong(std::string_view payload, std::string& out) {
  AppendFrame(WsOpcode::kPong, payload.substr(0, kMaxControlPayload), out);
}

}  // namespace sw::mqtt
