// Fuzzes the device payload decoders (telemetry, status, event — what any device may publish
// or POST): no input may crash them, and whatever they accept holds only finite numbers.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/device_payload.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = sw::http::DecodeTelemetry(text); t.ok()) {
    if (t->samples.empty()) std::abort();
    for (const auto& sample : t->samples) {
      for (const auto& [name, value] : sample.values) {
        if (!std::isfinite(value)) std::abort();
      }
    }
  }
  (void)sw::http::DecodeStatus(text);
  if (auto e = sw::http::DecodeEvent(text); e.ok()) {
    if (!sw::http::KnownEventType(e->type)) std::abort();
  }
  return 0;
}
