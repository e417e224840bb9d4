// Framer: splits a byte stream into complete MQTT packets (fixed header + body).
//
// Bytes may arrive in chunks split anywhere, including inside the remaining-length varint.
// The size check (1 + varint + remaining length <= max_packet_size) happens as soon as the
// varint is complete, before any of the body is buffered, so the framer never holds more
// than one partial packet of at most max_packet_size bytes. After an error the framer stays
// failed and returns the same error. Single owner; not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sw::mqtt {

class Framer {
 public:
  // max_packet_size counts the whole packet, fixed header included (as MQTT 5.0 does).
  explicit Framer(std::size_t max_packet_size) : max_packet_size_(max_packet_size) {}

  // Consumes `bytes`, appending each completed packet to `packets`. Fails with
  // kMalformedPacket for a bad remaining length (more than 4 bytes, non-minimal) and with
  // kPacketTooLarge for a packet above the limit.
  Status Feed(std::string_view bytes, std::vector<std::string>& packets);

  // Bytes of the current partial packet.
  std::size_t Buffered() const { return partial_.size(); }
  std::size_t max_packet_size() const { return max_packet_size_; }
  void set_max_packet_size(std::size_t size) { max_packet_size_ = size; }

 private:
  std::size_t max_packet_size_;
  std::string partial_;       // the packet being assembled, fixed header first
  std::size_t expected_ = 0;  // its total size, once the varint is complete; else 0
  Status failed_;
};

}  // namespace sw::mqtt
