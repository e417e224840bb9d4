// Fuzzes the WebSocket frame reader of MQTT over WebSocket (src/protocol/ws_frame.*): any
// client bytes, split anywhere, must give the same events as when read whole — the same
// unmasked data stream, the same control frames, the same final close or error — and never
// more data than came in. The first input byte picks the chunk size.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "protocol/ws_frame.hpp"

namespace {

struct Outcome {
  std::string data;
  std::vector<std::string> controls;  // kind letter + payload of every non-data event
  bool ended = false;
};

Outcome Read(std::string bytes, std::size_t chunk) {
  sw::mqtt::WsFrameReader reader;
  Outcome out;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    std::span<char> in(bytes.data() + at, std::min(chunk, bytes.size() - at));
    for (;;) {
      const sw::mqtt::WsEvent e = reader.Next(in);
      using Kind = sw::mqtt::WsEvent::Kind;
      if (e.kind == Kind::kNeedMore) break;
      if (out.ended) std::abort();  // nothing after a close or an error
      if (e.kind == Kind::kData) {
        if (e.data.empty()) std::abort();
        out.data.append(e.data);
        continue;
      }
      out.controls.push_back(std::to_string(static_cast<int>(e.kind)) + ":" +
                             std::to_string(e.code) + ":" + std::string(e.data));
      if (e.kind == Kind::kClose || e.kind == Kind::kError) out.ended = true;
    }
    // kNeedMore only once the input is used up (or, after the end, for good).
    if (!in.empty() && !out.ended) std::abort();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 16;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = Read(bytes, bytes.size() + 1);
  const Outcome pieces = Read(bytes, chunk);
  if (whole.data.size() > bytes.size()) std::abort();
  if (whole.data != pieces.data || whole.controls != pieces.controls ||
      whole.ended != pieces.ended) {
    std::abort();
  }
  return 0;
}
