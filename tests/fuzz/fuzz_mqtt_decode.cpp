// libFuzzer target for the MQTT framer and codec (src/protocol).
//
// For both protocol versions: frames the input (once whole, once split at a point chosen by
// the input, which must give the same frames), decodes each frame, and for every packet that
// decodes, encodes it again and decodes that, aborting unless the result is equal.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/framer.hpp"

namespace {

constexpr std::size_t kMaxPacketSize = 64 * 1024;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_mqtt_decode: %s\n", what);
  std::abort();
}

void CheckVersion(std::string_view input, sw::mqtt::ProtocolVersion version) {
  std::vector<std::string> frames;
  sw::mqtt::Framer framer(kMaxPacketSize);
  const bool whole_ok = framer.Feed(input, frames).ok();

  // The same bytes split in two must give the same frames and the same outcome.
  const std::size_t split =
      input.empty() ? 0 : static_cast<unsigned char>(input[0]) % (input.size() + 1);
  std::vector<std::string> split_frames;
  sw::mqtt::Framer split_framer(kMaxPacketSize);
  bool split_ok = split_framer.Feed(input.substr(0, split), split_frames).ok();
  if (split_ok) split_ok = split_framer.Feed(input.substr(split), split_frames).ok();
  if (split_ok != whole_ok || split_frames != frames) Fail("framer depends on chunking");

  for (const std::string& frame : frames) {
    auto decoded = sw::mqtt::Decode(frame, version);
    if (!decoded.ok()) continue;
    const sw::mqtt::Packet& packet = *decoded;
    const sw::mqtt::ProtocolVersion encode_version =
        std::holds_alternative<sw::mqtt::Connect>(packet)
            ? std::get<sw::mqtt::Connect>(packet).protocol_version
            : version;
    std::string encoded;
    if (!sw::mqtt::Encode(packet, encode_version, encoded).ok())
      Fail("decoded packet does not encode");
    auto again = sw::mqtt::Decode(encoded, encode_version);
    if (!again.ok()) Fail("re-encoded packet does not decode");
    if (!(*again == packet)) Fail("round trip changed the packet");
    std::string encoded_again;
    if (!sw::mqtt::Encode(*again, encode_version, encoded_again).ok() || encoded_again != encoded) {
      Fail("encoding is not canonical");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckVersion(input, sw::mqtt::ProtocolVersion::kV311);
  CheckVersion(input, sw::mqtt::ProtocolVersion::kV5);
  return 0;
}
