// Encoding and decoding of the MQTT 5.0 property block (length + properties).
//
// The decoder enforces which properties each packet may carry (else Malformed Packet),
// that only user properties (and subscription identifiers in PUBLISH) repeat (else Protocol
// Error), and the value ranges the specification fixes (else Protocol Error). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "protocol/packets.hpp"
#include "protocol/wire.hpp"

namespace sw::mqtt {

// Where a property block appears: a packet type, or the will properties inside CONNECT.
struct PropertyContext {
  PacketType packet_type;
  bool will = false;
};

// Reads the property length and the properties from `reader` into `out`.
Status DecodeProperties(Reader& reader, PropertyContext context, Properties& out);

// Appends the property length and the properties. Fails when a string is too long or a
// value does not fit its wire type.
Status EncodeProperties(const Properties& properties, std::string& out);

}  // namespace sw::mqtt
