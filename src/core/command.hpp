// Commands to devices (PRODUCT.md §3-§4, issue 7): the value types of a command and its
// lifecycle. Plain data; thread-safe.
//
//   queued -> sent -> succeeded | failed      (the device's result)
//   queued | sent -> expired                  (no result before expires_at; never sent after)
//   queued -> cancelled                       (by a user)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "core/device.hpp"
#include "core/integration.hpp"

namespace sw::core {

enum class CommandState { kQueued, kSent, kSucceeded, kFailed, kExpired, kCancelled };
std::string_view CommandStateName(CommandState state);
std::optional<CommandState> ParseCommandState(std::string_view name);
inline bool IsOpen(CommandState s) {
  return s == CommandState::kQueued || s == CommandState::kSent;
}

struct CommandTransition {
  CommandState state = CommandState::kQueued;
  SysTime at{};
  std::string detail;
};

struct Command {
  std::string id;  // 128 random bits, base64url
  DeviceId device_id;
  std::string device_uid;       // filled on read
  std::optional<PitId> pit_id;  // the device's pit, filled on read
  WorkshopId workshop_id;
  std::string name;
  std::string params_json;  // canonical JSON object text
  CommandState state = CommandState::kQueued;
  int attempts = 0;
  std::optional<UserId> issued_by;
  std::optional<IntegrationId> issued_by_integration;  // requested by an MQTT integration
  std::optional<std::string> idempotency_key;
  SysTime created_at{};
  SysTime expires_at{};
  std::optional<SysTime> sent_at;  // first delivery
  std::optional<SysTime> next_attempt_at;
  std::optional<SysTime> finished_at;
  std::string result_detail;
  std::optional<bool> verified;  // relay commands on outlets: the measured current agrees
  std::optional<std::int64_t> measured_ma;
  std::vector<CommandTransition> transitions;  // oldest first (filled by Get/List)
};

// A final state and what goes with it.
struct CommandOutcome {
  CommandState state = CommandState::kSucceeded;
  SysTime at{};
  std::string detail;
  std::optional<bool> verified;
  std::optional<std::int64_t> measured_ma;
};

}  // namespace sw::core
