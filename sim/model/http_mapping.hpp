// HTTP device API mapping (PRODUCT.md §4, "HTTP device API, for devices that poll"): what a
// device's MQTT-shaped publishes become as HTTP requests, and what a long poll's answer
// becomes as command messages on the device's cmd topic. Pure functions over strings; the
// sockets live in net/http_transport.*.
//
//   sw/d/{uid}/telemetry    -> POST /api/v1/device/telemetry            (payload as is)
//   sw/d/{uid}/event        -> POST /api/v1/device/events               (payload as is)
//   sw/d/{uid}/cmd/result   -> POST /api/v1/device/commands/{id}/result (without "id", "ts")
//   sw/d/{uid}/status       -> nothing: no endpoint (presence is the server's last_seen)
//   anything else           -> unsupported (another device's topic: the HTTP API acts for
//                              the authenticated device only, except command results)
//   GET /api/v1/device/commands answer {"success":true,"data":[{..., "device_uid"}, ...]}
//                           -> one message per command on sw/d/{device_uid}/cmd, in order,
//                              the command object without "device_uid"
// Thread-safety: pure, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sw::sim {

struct HttpPost {
  enum class Kind : std::uint8_t { kTelemetry, kEvent, kResult, kSkip, kUnsupported };
  Kind kind = Kind::kUnsupported;
  std::string target;  // request target (path), empty for kSkip / kUnsupported
  std::string body;
};

// The request for a publish by device `uid` on `topic`.
HttpPost MapPublish(std::string_view uid, std::string_view topic, std::string_view payload);

struct TopicMessage {
  std::string topic;
  std::string payload;
};
// The commands in a long poll's answer; nullopt when the body is not the expected envelope.
std::optional<std::vector<TopicMessage>> CommandsFromPoll(std::string_view uid,
                                                          std::string_view body);

// "Basic base64(uid:secret)".
std::string BasicAuthorization(std::string_view uid, std::string_view secret);

// A JSON object's top-level members as raw text (key without quotes, value as written);
// nullopt when `text` is not one well-formed object. Bounded: 64 members, depth 32.
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> JsonMembers(
    std::string_view text);

}  // namespace sw::sim
