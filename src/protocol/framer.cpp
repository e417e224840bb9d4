#include "protocol/framer.hpp"

#include <algorithm>

#include "protocol/reason_code.hpp"
#include "protocol/wire.hpp"

namespace sw::mqtt {

Status Framer::Fail(Error error) {
  failed_ = std::make_unique<Error>(std::move(error));
  return *failed_;
}

Result<std::size_t> Framer::PacketSize(std::string_view header) {
  if (header.size() < 2) return std::size_t{0};
  std::uint32_t remaining = 0;
  std::size_t used = 0;
  switch (ParseVarint(header.substr(1), remaining, used)) {
    case VarintParse::kNeedMore: return std::size_t{0};
    case VarintParse::kMalformed:
      return Fail(MqttError(ReasonCode::kMalformedPacket, "invalid remaining length")).error();
    case VarintParse::kOk: break;
  }
  const std::size_t total = 1 + used + remaining;
  if (total > max_packet_size_) {
    return Fail(MqttError(ReasonCode::kPacketTooLarge,
                          "packet of " + std::to_string(total) + " bytes exceeds the " +
                              std::to_string(max_packet_size_) + " byte limit"))
        .error();
  }
  return total;
}

Result<std::string_view> Framer::Next(std::string_view& bytes) {
  if (failed_) return *failed_;
  if (handed_out_) {
    partial_.clear();
    expected_ = 0;
    handed_out_ = false;
  }
  if (partial_.empty() && !bytes.empty()) {
    // The usual case: a whole packet at the front of the chunk.
    SW_ASSIGN_OR_RETURN(const std::size_t total,
                        PacketSize(bytes.substr(0, std::min<std::size_t>(bytes.size(), 5))));
    if (total != 0 && bytes.size() >= total) {
      const std::string_view packet = bytes.substr(0, total);
      bytes.remove_prefix(total);
      return packet;
    }
  }
  while (!bytes.empty()) {
    if (expected_ == 0) {
      // Header phase: at most 5 bytes (type byte + up to 4 varint bytes) are buffered.
      partial_.push_back(bytes.front());
      bytes.remove_prefix(1);
      SW_ASSIGN_OR_RETURN(expected_, PacketSize(partial_));
    } else {
      const std::size_t take = std::min(bytes.size(), expected_ - partial_.size());
      partial_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
    }
    if (expected_ != 0 && partial_.size() == expected_) {
      handed_out_ = true;
      return std::string_view(partial_);
    }
  }
  return std::string_view();
}

Status Framer::Feed(std::string_view bytes, std::vector<std::string>& packets) {
  while (true) {
    SW_ASSIGN_OR_RETURN(const std::string_view packet, Next(bytes));
    if (packet.empty()) return Ok{};
    packets.emplace_back(packet);
  }
}

}  // namespace sw::mqtt
