// The domain's value types: workshops, pits, users, sessions, audit entries, pages.
// Plain data; no behaviour beyond small helpers. Names follow PRODUCT.md §3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/ids.hpp"

namespace sw::core {

enum class Role { kSuperAdmin, kOwner, kStaff, kCustomer };
inline constexpr Role kAllRoles[] = {Role::kSuperAdmin, Role::kOwner, Role::kStaff,
                                     Role::kCustomer};
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct Workshop {
  WorkshopId id;
  std::string name;
  std::string slug;
  std::string timezone = "UTC";
  std::string address;
  std::string phone;
  std::string email;
  bool active = true;
  double nominal_voltage_v = 230.0;
  double power_factor = 0.95;
  double tariff_per_kwh = 0.0;
  SysTime created_at{};
  SysTime updated_at{};
};

enum class PitStatus { kActive, kDisabled, kMaintenance };
std::string_view PitStatusName(PitStatus status);
std::optional<PitStatus> ParsePitStatus(std::string_view name);

struct Pit {
  PitId id;
  WorkshopId workshop_id;
  int number = 0;
  std::string name;
  std::string description;
  PitStatus status = PitStatus::kActive;
  SysTime created_at{};
  SysTime updated_at{};
};

struct User {
  UserId id;
  std::optional<WorkshopId> workshop_id;  // empty for super_admin
  std::string username;                   // unique, case-insensitive
  std::string email;
  std::string full_name;
  Role role = Role::kStaff;
  std::string password_hash;
  bool active = true;
  bool temporary_password = false;
  int failed_logins = 0;
  std::optional<SysTime> locked_until;
  std::optional<SysTime> last_login;
  SysTime created_at{};
  SysTime updated_at{};
};

// The authenticated caller of a request.
struct Principal {
  UserId user_id;
  std::string username;
  Role role = Role::kCustomer;
  std::optional<WorkshopId> workshop_id;
  std::string session_id;
  bool temporary_password = false;
};

// Which workshops a storage query may touch. Every repository method that reads or writes
// tenant data takes one; `all` is only ever set for a super_admin.
struct Scope {
  std::optional<WorkshopId> workshop;
  bool all = false;

  static Scope All() { return Scope{std::nullopt, true}; }
  static Scope Of(WorkshopId id) { return Scope{id, false}; }
  static Scope For(const Principal& p) {
    return p.role == Role::kSuperAdmin ? All() : Scope{p.workshop_id, false};
  }
  bool Allows(std::optional<WorkshopId> id) const { return all || (id && workshop == id); }
};

struct PageRequest {
  int page = 1;        // 1-based
  int page_size = 20;  // bounded by the API layer
  std::int64_t Offset() const { return static_cast<std::int64_t>(page - 1) * page_size; }
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;
  PageRequest request;
};

// A login session: one refresh-token family. Revoking it kills the refresh tokens and the
// access tokens that carry its id.
struct Session {
  std::string id;
  UserId user_id;
  SysTime created_at{};
  std::optional<SysTime> revoked_at;
};

struct RefreshRecord {
  std::string token_hash;
  std::string session_id;
  UserId user_id;
  SysTime expires_at{};
  bool used = false;
  bool session_revoked = false;
};

struct AuditEntry {
  std::int64_t id = 0;
  SysTime at{};
  std::optional<UserId> actor_id;
  std::string actor_name;
  std::optional<WorkshopId> workshop_id;
  std::string action;         // e.g. "pit.create"
  std::string resource_type;  // e.g. "pit"
  std::string resource_id;
  std::string before_json;  // JSON text or empty
  std::string after_json;
  std::string ip;
};

struct AuditFilter {
  std::optional<std::string> action;
  std::optional<std::string> resource_type;
  std::optional<UserId> actor_id;
  std::optional<WorkshopId> workshop_id;
  std::optional<SysTime> from;
  std::optional<SysTime> to;
};

}  // namespace sw::core
