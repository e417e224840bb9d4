// Commands (issue 7) as JSON: the REST representation (also the live `command` event), the
// message to the device on sw/d/{uid}/cmd and the device's result, on MQTT and on the HTTP
// device API alike (PRODUCT.md §4). Stateless; thread-safe. Defined in api_commands.cpp.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/command_service.hpp"

namespace sw::http {

// {id, device_uid, workshop_id, name, params, state, attempts, issued_by,
//  issued_by_integration, idempotency_key,
//  created_at, expires_at, sent_at, finished_at, result_detail, verified, measured_ma,
//  transitions: [{state, at, detail}]}
boost::json::object CommandToJson(const core::Command& c);
// The live event's data: the command plus the transition that caused it.
boost::json::object CommandEventJson(const core::Command& c, const core::CommandTransition& t);
// {"id", "name", "params", "expires_at": unix ms}
boost::json::object CommandMessage(const core::Command& c);
std::string EncodeCommandMessage(const core::Command& c);
inline constexpr std::int64_t kMaxResultCurrentMa = 1'000'000;
inline constexpr std::size_t kMaxCommandIdLength = 64;

// The device's result on sw/d/{uid}/cmd/result: {"id": string of 1..64, "ok": bool,
// "detail"?: string, "current_ma"?: integer 0..1000000, "ts"?: any}; other fields refused.
Result<core::CommandResult> DecodeCommandResult(std::string_view payload);
// The body of POST /api/v1/device/commands/{id}/result: the same without "id" and "ts".
Result<core::CommandResult> DecodeCommandResultBody(std::string_view id, std::string_view body);

// An integration's request on sw/d/{uid}/cmd/request: {"name": string, "params"?: object of
// scalars, "id"?: string (the idempotency key: a re-sent request makes no second command),
// "expires_in_s"?: integer}; other fields refused.
Result<core::CommandRequest> DecodeCommandRequestMessage(std::string_view payload);

}  // namespace sw::http
