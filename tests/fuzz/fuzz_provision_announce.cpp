// Fuzzes the provisioning announce decoder (sw/provision/{uid}/announce, sent by a device
// holding only the workshop's key): no input may crash it.
#include <cstdint>
#include <string_view>

#include "app/provisioning_bridge.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sw::app::DecodeAnnounce(text);
  return 0;
}
