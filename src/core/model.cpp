#include "core/model.hpp"

namespace sw::core {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSuperAdmin: return "super_admin";
    case Role::kOwner: return "owner";
    case Role::kStaff: return "staff";
    case Role::kCustomer: return "customer";
  }
  return "customer";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : kAllRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view PitStatusName(PitStatus status) {
  switch (status) {
    case PitStatus::kActive: return "active";
    case PitStatus::kDisabled: return "disabled";
    case PitStatus::kMaintenance: return "maintenance";
  }
  return "active";
}

std::optional<PitStatus> ParsePitStatus(std::string_view name) {
  for (PitStatus s : {PitStatus::kActive, PitStatus::kDisabled, PitStatus::kMaintenance}) {
    if (PitStatusName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace sw::core
