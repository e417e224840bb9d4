#include "http/device_payload.hpp"

#include <array>
#include <boost/json.hpp>
#include <cmath>

namespace sw::http {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxProblems = 5;
constexpr std::size_t kMaxEventDetail = 4096;

Error BadPayload(std::string message) {
  return MakeError(Errc::kInvalidArgument, std::move(message), "BAD_PAYLOAD");
}

Result<json::value> ParseJson(std::string_view payload) {
  json::parse_options options;
  options.max_depth = 8;
  std::error_code ec;
  json::value v = json::parse(payload, ec, {}, options);
  if (ec) return BadPayload("payload is not valid JSON: " + ec.message());
  return v;
}

Result<std::optional<std::int64_t>> Timestamp(const json::object& o) {
  const json::value* ts = o.if_contains("ts");
  if (!ts || ts->is_null()) return std::optional<std::int64_t>{};
  if (ts->is_int64()) return std::optional<std::int64_t>{ts->as_int64()};
  if (ts->is_uint64() && ts->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return std::optional<std::int64_t>{static_cast<std::int64_t>(ts->as_uint64())};
  }
  if (ts->is_double() && std::isfinite(ts->as_double()) && std::abs(ts->as_double()) < 1e15) {
    return std::optional<std::int64_t>{static_cast<std::int64_t>(ts->as_double())};
  }
  return BadPayload("ts must be unix milliseconds (an integer)");
}

void Reject(DecodedTelemetry& out, std::string problem) {
  ++out.rejected;
  if (out.problems.size() < kMaxProblems) out.problems.push_back(std::move(problem));
}

Status DecodeSample(const json::value& v, DecodedTelemetry& out) {
  if (!v.is_object()) return BadPayload("each sample must be an object with \"values\"");
  const json::object& o = v.as_object();
  for (const auto& kv : o) {
    if (kv.key() != "ts" && kv.key() != "values") {
      return BadPayload("unknown field \"" + std::string(kv.key()) + "\" (expected ts, values)");
    }
  }
  SW_ASSIGN_OR_RETURN(auto ts, Timestamp(o));
  const json::value* values = o.if_contains("values");
  if (!values || !values->is_object()) return BadPayload("\"values\" must be an object");
  core::TelemetrySample sample;
  sample.ts_ms = ts;
  sample.values.reserve(values->as_object().size());
  for (const auto& kv : values->as_object()) {
    const json::value& x = kv.value();
    double d = 0;
    if (x.is_double()) {
      d = x.as_double();
    } else if (x.is_int64()) {
      d = static_cast<double>(x.as_int64());
    } else if (x.is_uint64()) {
      d = static_cast<double>(x.as_uint64());
    } else if (x.is_bool()) {
      d = x.as_bool() ? 1.0 : 0.0;
    } else {
      Reject(out, std::string(kv.key()) + ": not a number");
      continue;
    }
    if (!std::isfinite(d)) {
      Reject(out, std::string(kv.key()) + ": not a finite number");
      continue;
    }
    sample.values.emplace_back(std::string(kv.key()), d);
  }
  out.samples.push_back(std::move(sample));
  return Ok{};
}

Result<const json::object*> TopObject(const json::value& v, const char* what) {
  if (!v.is_object()) return BadPayload(std::string(what) + " must be a JSON object");
  return &v.as_object();
}

Result<std::optional<std::string>> OptString(const json::object& o, std::string_view key,
                                             std::size_t max) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string>{};
  if (!v->is_string()) return BadPayload(std::string(key) + " must be a string");
  if (v->as_string().size() > max) return BadPayload(std::string(key) + " is too long");
  return std::optional<std::string>{std::string(v->as_string())};
}

Result<std::optional<std::int64_t>> OptInt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::int64_t>{};
  if (v->is_int64()) return std::optional<std::int64_t>{v->as_int64()};
  if (v->is_double() && std::isfinite(v->as_double()) && std::abs(v->as_double()) < 1e15) {
    return std::optional<std::int64_t>{static_cast<std::int64_t>(v->as_double())};
  }
  return BadPayload(std::string(key) + " must be an integer");
}

}  // namespace

Result<DecodedTelemetry> DecodeTelemetry(std::string_view payload) {
  SW_ASSIGN_OR_RETURN(json::value v, ParseJson(payload));
  DecodedTelemetry out;
  if (v.is_array()) {
    if (v.as_array().empty()) return BadPayload("empty batch");
    out.samples.reserve(v.as_array().size());
    for (const json::value& s : v.as_array()) SW_TRY(DecodeSample(s, out));
  } else {
    SW_TRY(DecodeSample(v, out));
  }
  return out;
}

Result<StatusReport> DecodeStatus(std::string_view payload) {
  SW_ASSIGN_OR_RETURN(json::value v, ParseJson(payload));
  SW_ASSIGN_OR_RETURN(const json::object* o, TopObject(v, "status"));
  StatusReport r;
  if (const json::value* online = o->if_contains("online"); online && !online->is_null()) {
    if (!online->is_bool()) return BadPayload("online must be true or false");
    r.online = online->as_bool();
  }
  SW_ASSIGN_OR_RETURN(r.firmware, OptString(*o, "fw", 32));
  SW_ASSIGN_OR_RETURN(r.ip, OptString(*o, "ip", 64));
  SW_ASSIGN_OR_RETURN(r.uptime_s, OptInt(*o, "uptime_s"));
  SW_ASSIGN_OR_RETURN(r.rssi, OptInt(*o, "rssi"));
  SW_ASSIGN_OR_RETURN(r.outlets_rev, OptInt(*o, "outlets_rev"));
  if (r.outlets_rev && *r.outlets_rev < 0) return BadPayload("outlets_rev must not be negative");
  return r;
}

bool KnownEventType(std::string_view type) {
  static constexpr std::array<std::string_view, 7> kTypes = {
      "boot",           "overload_trip", "overload_retry", "button",
      "config_changed", "ota_progress",  "breaker_cutoff"};
  for (std::string_view t : kTypes) {
    if (t == type) return true;
  }
  return false;
}

Result<EventReport> DecodeEvent(std::string_view payload) {
  SW_ASSIGN_OR_RETURN(json::value v, ParseJson(payload));
  SW_ASSIGN_OR_RETURN(const json::object* o, TopObject(v, "event"));
  EventReport r;
  SW_ASSIGN_OR_RETURN(r.ts_ms, Timestamp(*o));
  SW_ASSIGN_OR_RETURN(auto type, OptString(*o, "type", 32));
  if (!type || type->empty()) return BadPayload("type is required");
  if (!KnownEventType(*type)) return BadPayload("unknown event type \"" + *type + "\"");
  r.type = *type;
  json::object detail;
  for (const auto& kv : *o) {
    if (kv.key() != "ts" && kv.key() != "type") detail.emplace(kv.key(), kv.value());
  }
  r.detail_json = json::serialize(detail);
  if (r.detail_json.size() > kMaxEventDetail) return BadPayload("event is too large");
  return r;
}

}  // namespace sw::http
