// Device payloads (PRODUCT.md §4): the JSON a device publishes on sw/d/{uid}/telemetry,
// .../status and .../event, or POSTs to the HTTP device API — decoded into core types.
// Shared by the HTTP device routes and the MQTT bridge (src/app/device_bridge.*).
//
// Strict: the top level must be the documented shape, nesting is bounded, and a value that
// is not a finite number (a string, null, an object) is rejected and counted, while the
// other values of the message are kept. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/ingest.hpp"

namespace sw::http {

struct DecodedTelemetry {
  std::vector<core::TelemetrySample> samples;
  std::size_t rejected = 0;           // values that were not numbers
  std::vector<std::string> problems;  // the first few reasons, for the reply
};

// {"ts": <unix ms, optional>, "values": {"temperature": 23.4, ...}} or an array of such
// objects. Booleans count as 1/0 (relay states). InvalidArgument (BAD_PAYLOAD) when the
// payload is not JSON or not that shape.
Result<DecodedTelemetry> DecodeTelemetry(std::string_view payload);

// sw/d/{uid}/status: {"online": true, "fw": "1.4.0", "ip": "...", "uptime_s": 12, "rssi": -61}.
struct StatusReport {
  std::optional<bool> online;
  std::optional<std::string> firmware;
  std::optional<std::string> ip;
  std::optional<std::int64_t> uptime_s;
  std::optional<std::int64_t> rssi;
  std::optional<std::int64_t> outlets_rev;  // a gateway: the outlet registry it applied
};
Result<StatusReport> DecodeStatus(std::string_view payload);

// sw/d/{uid}/event: {"ts": ..., "type": "overload_trip", ...fields}. The fields other than
// ts and type are kept as a JSON object text.
struct EventReport {
  std::optional<std::int64_t> ts_ms;
  std::string type;
  std::string detail_json = "{}";
};
Result<EventReport> DecodeEvent(std::string_view payload);

// The device event types PRODUCT.md §4 defines.
bool KnownEventType(std::string_view type);

}  // namespace sw::http
