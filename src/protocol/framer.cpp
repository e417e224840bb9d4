#include "protocol/framer.hpp"

#include <algorithm>

#include "protocol/reason_code.hpp"
#include "protocol/wire.hpp"

namespace sw::mqtt {

Status Framer::Feed(std::string_view bytes, std::vector<std::string>& packets) {
  if (!failed_.ok()) return failed_;
  while (!bytes.empty()) {
    if (expected_ == 0) {
      // Header phase: at most 5 bytes (type byte + up to 4 varint bytes) are buffered.
      partial_.push_back(bytes.front());
      bytes.remove_prefix(1);
      if (partial_.size() < 2) continue;
      std::uint32_t remaining = 0;
      std::size_t used = 0;
      const VarintParse parse = ParseVarint(std::string_view(partial_).substr(1), remaining, used);
      if (parse == VarintParse::kNeedMore) continue;
      if (parse == VarintParse::kMalformed) {
        failed_ = MqttError(ReasonCode::kMalformedPacket, "invalid remaining length");
        return failed_;
      }
      const std::size_t total = 1 + used + remaining;
      if (total > max_packet_size_) {
        failed_ = MqttError(ReasonCode::kPacketTooLarge,
                            "packet of " + std::to_string(total) + " bytes exceeds the " +
                                std::to_string(max_packet_size_) + " byte limit");
        return failed_;
      }
      expected_ = total;
    } else {
      const std::size_t take = std::min(bytes.size(), expected_ - partial_.size());
      partial_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
    }
    if (partial_.size() == expected_) {
      packets.push_back(std::move(partial_));
      partial_.clear();
      expected_ = 0;
    }
  }
  return Ok{};
}

}  // namespace sw::mqtt
