// Framer: splits a byte stream into complete MQTT packets (fixed header + body).
//
// Bytes may arrive in chunks split anywhere, including inside the remaining-length varint.
// The size check (1 + varint + remaining length <= max_packet_size) happens as soon as the
// varint is complete, before any of the body is buffered, so the framer never holds more
// than one partial packet of at most max_packet_size bytes. A packet that arrives whole in
// one chunk is handed out as a view of that chunk, without a copy. After an error the framer
// stays failed and returns the same error. Single owner; not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sw::mqtt {

class Framer {
 public:
  // max_packet_size counts the whole packet, fixed header included (as MQTT 5.0 does).
  explicit Framer(std::size_t max_packet_size) : max_packet_size_(max_packet_size) {}

  // Takes bytes from the front of `bytes` (advancing it) until a packet is complete and
  // returns it: a view into `bytes`, or into the framer's own buffer when the packet was split
  // across chunks. The view is valid until the next call. Returns an empty view when `bytes`
  // is used up without completing a packet (what is left is kept for the next chunk). Fails
  // with kMalformedPacket for a bad remaining length (more than 4 bytes, non-minimal) and
  // with kPacketTooLarge for a packet above the limit.
  Result<std::string_view> Next(std::string_view& bytes);

  // Consumes all of `bytes`, appending a copy of each completed packet to `packets`.
  Status Feed(std::string_view bytes, std::vector<std::string>& packets);

  // Bytes of the current partial packet.
  std::size_t Buffered() const { return handed_out_ ? 0 : partial_.size(); }
  std::size_t max_packet_size() const { return max_packet_size_; }
  void set_max_packet_size(std::size_t size) { max_packet_size_ = size; }

 private:
  Status Fail(Error error);
  // The total size of the packet whose fixed header starts `header`, 0 when the remaining
  // length is not complete yet.
  Result<std::size_t> PacketSize(std::string_view header);

  std::size_t max_packet_size_;
  std::string partial_;            // the packet being assembled, fixed header first
  std::size_t expected_ = 0;       // its total size, once the varint is complete; else 0
  bool handed_out_ = false;        // partial_ is a complete packet the last Next returned
  std::unique_ptr<Error> failed_;  // set once a Feed failed (rare: kept off the object)
};

}  // namespace sw::mqtt
