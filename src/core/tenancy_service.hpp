// TenancyService: workshops, pits and users, with the permission table applied and every
// storage call scoped to what the caller may see. Handlers stay thin: they map JSON to the
// drafts and patches below and back. Thread-safe (state lives in the stores).
#pragma once

#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "core/model.hpp"
#include "core/permissions.hpp"
#include "core/ports.hpp"

namespace sw::core {

// A change, for the audit log: the record before and after.
template <typename T>
struct Change {
  T before;
  T after;
};

struct WorkshopDraft {
  std::string name;
  std::string timezone = "UTC";
  std::string address;
  std::string phone;
  std::string email;
};

struct WorkshopPatch {
  std::optional<std::string> name;
  std::optional<std::string> timezone;
  std::optional<std::string> address;
  std::optional<std::string> phone;
  std::optional<std::string> email;
  std::optional<bool> active;  // super_admin only
  std::optional<double> nominal_voltage_v;
  std::optional<double> power_factor;
  std::optional<double> tariff_per_kwh;
};

struct PitDraft {
  int number = 0;
  std::string name;
  std::string description;
  PitStatus status = PitStatus::kActive;
};

struct PitPatch {
  std::optional<int> number;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<PitStatus> status;
};

struct UserDraft {
  std::string username;
  std::string email;
  std::string full_name;
  Role role = Role::kStaff;
  std::optional<WorkshopId> workshop_id;  // owner: forced to their own
  std::string password;                   // empty: a temporary password is generated
};

struct UserPatch {
  std::optional<std::string> email;
  std::optional<std::string> full_name;
  std::optional<bool> active;  // managers only, never on oneself
};

struct CreatedUser {
  User user;
  std::optional<std::string> temporary_password;  // when generated
};

class TenancyService {
 public:
  TenancyService(Stores stores, Crypto& crypto, const Clock& clock);

  Result<Page<Workshop>> ListWorkshops(const Principal& p, PageRequest page, bool active_only);
  Result<Workshop> CreateWorkshop(const Principal& p, const WorkshopDraft& draft);
  Result<Workshop> GetWorkshop(const Principal& p, WorkshopId id);
  Result<Change<Workshop>> UpdateWorkshop(const Principal& p, WorkshopId id,
                                          const WorkshopPatch& patch);
  Result<Change<Workshop>> DeactivateWorkshop(const Principal& p, WorkshopId id);

  Result<std::vector<Pit>> ListPits(const Principal& p, WorkshopId workshop);
  Result<Pit> CreatePit(const Principal& p, WorkshopId workshop, const PitDraft& draft);
  Result<Pit> GetPit(const Principal& p, PitId id);
  Result<Change<Pit>> UpdatePit(const Principal& p, PitId id, const PitPatch& patch);
  Result<Pit> DeletePit(const Principal& p, PitId id);

  Result<Page<User>> ListUsers(const Principal& p, const UserFilter& filter, PageRequest page);
  Result<CreatedUser> CreateUser(const Principal& p, const UserDraft& draft);
  Result<User> GetUser(const Principal& p, UserId id);
  Result<Change<User>> UpdateUser(const Principal& p, UserId id, const UserPatch& patch);
  // Sets `password` (policy applies) or a generated temporary one; revokes the user's sessions.
  Result<CreatedUser> ResetPassword(const Principal& p, UserId id,
                                    const std::optional<std::string>& password);
  Result<Change<User>> DeactivateUser(const Principal& p, UserId id);

  // For operators (`sitewatch user ...`) and the demo: acts as the platform itself.
  static Principal System();

 private:
  Result<User> ManagedUser(const Principal& p, Action action, UserId id);
  Result<std::string> UniqueSlug(const std::string& name);

  Stores stores_;
  Crypto& crypto_;
  const Clock& clock_;
};

// Field validators shared by the services (also used by the API layer for query params).
Status ValidateText(std::string_view field, std::string_view value, std::size_t min_len,
                    std::size_t max_len);
Status ValidateEmail(std::string_view field, std::string_view value);
Status ValidateUsername(std::string_view value);
Status ValidateTimezone(std::string_view value);

}  // namespace sw::core
