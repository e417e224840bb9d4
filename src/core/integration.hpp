// MQTT integration accounts (issue 4): a workshop's credentials for Home Assistant, Node-RED,
// mosquitto_sub and the like. The server generates the username (`int:` + 16 hex digits — a
// `:` never appears in a device uid, so it cannot collide with a device login) and the secret
// (256 random bits, shown once, stored as SHA-256 like a device secret). Plain data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace sw::core {

using IntegrationId = Id<struct IntegrationTag>;

// read: subscribe to the workshop's device topics (telemetry, status, event, cmd/result).
// read_write: also request commands on sw/d/{uid}/cmd/request (operational commands only).
enum class IntegrationAccess { kRead, kReadWrite };
std::string_view IntegrationAccessName(IntegrationAccess access);
std::optional<IntegrationAccess> ParseIntegrationAccess(std::string_view name);

inline constexpr std::string_view kIntegrationUserPrefix = "int:";

struct Integration {
  IntegrationId id;
  WorkshopId workshop_id;
  std::string name;
  std::string username;  // kIntegrationUserPrefix + 16 lower-case hex digits; unique
  IntegrationAccess access = IntegrationAccess::kRead;
  bool enabled = true;
  std::string secret_hash;  // SHA-256 hex of the secret; never leaves the server
  std::optional<UserId> created_by;
  SysTime created_at{};
  SysTime updated_at{};
  SysTime secret_rotated_at{};
};

}  // namespace sw::core
