#include "core/tenancy_service.hpp"

#include "common/strings.hpp"
#include "core/password_policy.hpp"

namespace sw::core {
namespace {

constexpr int kMaxPitNumber = 999;

bool IsTzChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '+' || c == '/';
}

Status ValidatePower(const WorkshopPatch& patch) {
  if (patch.nominal_voltage_v &&
      (*patch.nominal_voltage_v < 90 || *patch.nominal_voltage_v > 480)) {
    return InvalidField("nominal_voltage_v", "must be between 90 and 480");
  }
  if (patch.power_factor && (*patch.power_factor <= 0 || *patch.power_factor > 1)) {
    return InvalidField("power_factor", "must be in (0, 1]");
  }
  if (patch.tariff_per_kwh && (*patch.tariff_per_kwh < 0 || *patch.tariff_per_kwh > 1000)) {
    return InvalidField("tariff_per_kwh", "must be between 0 and 1000");
  }
  return Ok{};
}

Status ValidatePitFields(const std::optional<int>& number, const std::optional<std::string>& name,
                         const std::optional<std::string>& description) {
  if (number && (*number < 1 || *number > kMaxPitNumber)) {
    return InvalidField("number", "must be between 1 and " + std::to_string(kMaxPitNumber));
  }
  if (name) SW_TRY(ValidateText("name", *name, 0, 50));
  if (description) SW_TRY(ValidateText("description", *description, 0, 500));
  return Ok{};
}

}  // namespace

Status ValidateText(std::string_view field, std::string_view value, std::size_t min_len,
                    std::size_t max_len) {
  if (!IsCleanUtf8(value)) {
    return InvalidField(std::string(field), "must be valid UTF-8 without control characters");
  }
  if (Trim(value).size() < min_len) {
    return InvalidField(std::string(field),
                        min_len == 1
                            ? "is required"
                            : "must be at least " + std::to_string(min_len) + " characters");
  }
  if (value.size() > max_len) {
    return InvalidField(std::string(field),
                        "must be at most " + std::to_string(max_len) + " characters");
  }
  return Ok{};
}

Status ValidateEmail(std::string_view field, std::string_view value) {
  if (value.empty()) return Ok{};
  SW_TRY(ValidateText(field, value, 3, 254));
  const auto at = value.find('@');
  if (at == 0 || at == std::string_view::npos || at != value.rfind('@') ||
      value.find('.', at) == std::string_view::npos || value.back() == '.' ||
      value.find(' ') != std::string_view::npos) {
    return InvalidField(std::string(field), "is not an e-mail address");
  }
  return Ok{};
}

Status ValidateUsername(std::string_view value) {
  if (value.size() < 3 || value.size() > 50) {
    return InvalidField("username", "must be 3 to 50 characters");
  }
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return InvalidField("username", "may contain letters, digits and . _ - @ only");
  }
  return Ok{};
}

Status ValidateTimezone(std::string_view value) {
  if (value.empty() || value.size() > 64 || value.front() == '/' || value.back() == '/' ||
      value.find("..") != std::string_view::npos) {
    return InvalidField("timezone", "must be an IANA time zone such as Europe/Berlin");
  }
  for (char c : value) {
    if (!IsTzChar(c)) {
      return InvalidField("timezone", "must be an IANA time zone such as Europe/Berlin");
    }
  }
  return Ok{};
}

TenancyService::TenancyService(Stores stores, Crypto& crypto, const Clock& clock)
    : stores_(stores), crypto_(crypto), clock_(clock) {}

Principal TenancyService::System() {
  return Principal{UserId{}, "system", Role::kSuperAdmin, std::nullopt, "", false};
}

// ---- workshops ----

Result<Page<Workshop>> TenancyService::ListWorkshops(const Principal& p, PageRequest page,
                                                     bool active_only) {
  SW_TRY(Authorize(p, Action::kWorkshopList, p.workshop_id));
  return stores_.workshops.ListWorkshops(Scope::For(p), page, active_only);
}

Result<std::string> TenancyService::UniqueSlug(const std::string& name) {
  const std::string base = Slugify(name, 50);
  for (int n = 0; n < 1000; ++n) {
    std::string candidate = n == 0 ? base : base.substr(0, 44) + "-" + std::to_string(n);
    SW_ASSIGN_OR_RETURN(bool taken, stores_.workshops.SlugExists(candidate));
    if (!taken) return candidate;
  }
  return MakeError(Errc::kConflict, "no free slug for this name", "SLUG_TAKEN", "name");
}

Result<Workshop> TenancyService::CreateWorkshop(const Principal& p, const WorkshopDraft& draft) {
  SW_TRY(Authorize(p, Action::kWorkshopCreate, std::nullopt));
  SW_TRY(ValidateText("name", draft.name, 2, 100));
  SW_TRY(ValidateTimezone(draft.timezone));
  SW_TRY(ValidateText("address", draft.address, 0, 500));
  SW_TRY(ValidateText("phone", draft.phone, 0, 32));
  SW_TRY(ValidateEmail("email", draft.email));
  Workshop w;
  w.name = std::string(Trim(draft.name));
  w.timezone = draft.timezone;
  w.address = draft.address;
  w.phone = draft.phone;
  w.email = draft.email;
  // Two creators racing for one slug: the loser retries with the next free one.
  for (int attempt = 0; attempt < 3; ++attempt) {
    SW_ASSIGN_OR_RETURN(w.slug, UniqueSlug(w.name));
    auto created = stores_.workshops.CreateWorkshop(w);
    if (created.ok() || created.error().code != Errc::kConflict) return created;
  }
  return MakeError(Errc::kConflict, "could not reserve a slug", "SLUG_TAKEN", "name");
}

Result<Workshop> TenancyService::GetWorkshop(const Principal& p, WorkshopId id) {
  SW_ASSIGN_OR_RETURN(Workshop w, stores_.workshops.GetWorkshop(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kWorkshopRead, w.id));
  return w;
}

Result<Change<Workshop>> TenancyService::UpdateWorkshop(const Principal& p, WorkshopId id,
                                                        const WorkshopPatch& patch) {
  SW_ASSIGN_OR_RETURN(Workshop before, stores_.workshops.GetWorkshop(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kWorkshopUpdate, before.id));
  if (patch.active && p.role != Role::kSuperAdmin) {
    return MakeError(Errc::kForbidden, "only a platform administrator may change `active`",
                     "INSUFFICIENT_PERMISSIONS", "active");
  }
  Workshop after = before;
  if (patch.name) {
    SW_TRY(ValidateText("name", *patch.name, 2, 100));
    after.name = std::string(Trim(*patch.name));
  }
  if (patch.timezone) {
    SW_TRY(ValidateTimezone(*patch.timezone));
    after.timezone = *patch.timezone;
  }
  if (patch.address) {
    SW_TRY(ValidateText("address", *patch.address, 0, 500));
    after.address = *patch.address;
  }
  if (patch.phone) {
    SW_TRY(ValidateText("phone", *patch.phone, 0, 32));
    after.phone = *patch.phone;
  }
  if (patch.email) {
    SW_TRY(ValidateEmail("email", *patch.email));
    after.email = *patch.email;
  }
  SW_TRY(ValidatePower(patch));
  if (patch.active) after.active = *patch.active;
  if (patch.nominal_voltage_v) after.nominal_voltage_v = *patch.nominal_voltage_v;
  if (patch.power_factor) after.power_factor = *patch.power_factor;
  if (patch.tariff_per_kwh) after.tariff_per_kwh = *patch.tariff_per_kwh;
  SW_ASSIGN_OR_RETURN(after, stores_.workshops.UpdateWorkshop(Scope::For(p), after));
  return Change<Workshop>{std::move(before), std::move(after)};
}

Result<Change<Workshop>> TenancyService::DeactivateWorkshop(const Principal& p, WorkshopId id) {
  SW_ASSIGN_OR_RETURN(Workshop before, stores_.workshops.GetWorkshop(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kWorkshopDeactivate, before.id));
  Workshop after = before;
  after.active = false;
  SW_ASSIGN_OR_RETURN(after, stores_.workshops.UpdateWorkshop(Scope::For(p), after));
  return Change<Workshop>{std::move(before), std::move(after)};
}

// ---- pits ----

Result<std::vector<Pit>> TenancyService::ListPits(const Principal& p, WorkshopId workshop) {
  SW_ASSIGN_OR_RETURN(Workshop w, stores_.workshops.GetWorkshop(Scope::For(p), workshop));
  SW_TRY(Authorize(p, Action::kPitList, w.id));
  return stores_.pits.ListPits(Scope::For(p), w.id);
}

Result<Pit> TenancyService::CreatePit(const Principal& p, WorkshopId workshop,
                                      const PitDraft& draft) {
  SW_ASSIGN_OR_RETURN(Workshop w, stores_.workshops.GetWorkshop(Scope::For(p), workshop));
  SW_TRY(Authorize(p, Action::kPitCreate, w.id));
  SW_TRY(ValidatePitFields(draft.number, draft.name, draft.description));
  Pit pit;
  pit.workshop_id = w.id;
  pit.number = draft.number;
  pit.name = draft.name.empty() ? "Pit " + std::to_string(draft.number) : draft.name;
  pit.description = draft.description;
  pit.status = draft.status;
  return stores_.pits.CreatePit(Scope::For(p), pit);
}

Result<Pit> TenancyService::GetPit(const Principal& p, PitId id) {
  SW_ASSIGN_OR_RETURN(Pit pit, stores_.pits.GetPit(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kPitRead, pit.workshop_id));
  return pit;
}

Result<Change<Pit>> TenancyService::UpdatePit(const Principal& p, PitId id, const PitPatch& patch) {
  SW_ASSIGN_OR_RETURN(Pit before, stores_.pits.GetPit(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kPitUpdate, before.workshop_id));
  SW_TRY(ValidatePitFields(patch.number, patch.name, patch.description));
  Pit after = before;
  if (patch.number) after.number = *patch.number;
  if (patch.name) after.name = *patch.name;
  if (patch.description) after.description = *patch.description;
  if (patch.status) after.status = *patch.status;
  SW_ASSIGN_OR_RETURN(after, stores_.pits.UpdatePit(Scope::For(p), after));
  return Change<Pit>{std::move(before), std::move(after)};
}

Result<Pit> TenancyService::DeletePit(const Principal& p, PitId id) {
  SW_ASSIGN_OR_RETURN(Pit pit, stores_.pits.GetPit(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kPitDelete, pit.workshop_id));
  // Jobs do not exist yet; once they do, a pit with an active job is refused here.
  SW_TRY(stores_.pits.DeletePit(Scope::For(p), id));
  return pit;
}

// ---- users ----

Result<Page<User>> TenancyService::ListUsers(const Principal& p, const UserFilter& filter_in,
                                             PageRequest page) {
  UserFilter filter = filter_in;
  if (p.role != Role::kSuperAdmin) {
    if (filter.workshop_id && filter.workshop_id != p.workshop_id) {
      return MakeError(Errc::kNotFound, "workshop not found", "NOT_FOUND", "workshop_id");
    }
    filter.workshop_id = p.workshop_id;
  }
  SW_TRY(Authorize(p, Action::kUserList, filter.workshop_id));
  return stores_.users.ListUsers(Scope::For(p), filter, page);
}

Result<CreatedUser> TenancyService::CreateUser(const Principal& p, const UserDraft& draft) {
  UserDraft d = draft;
  if (p.role != Role::kSuperAdmin) {
    if (d.workshop_id && d.workshop_id != p.workshop_id) {
      return MakeError(Errc::kNotFound, "workshop not found", "NOT_FOUND", "workshop_id");
    }
    d.workshop_id = p.workshop_id;
  }
  SW_TRY(Authorize(p, Action::kUserCreate, d.workshop_id));
  if (!MayManageRole(p.role, d.role)) {
    return MakeError(Errc::kForbidden,
                     "your role may not create a " + std::string(RoleName(d.role)),
                     "INSUFFICIENT_PERMISSIONS", "role");
  }
  if (d.role == Role::kSuperAdmin) {
    if (d.workshop_id) {
      return InvalidField("workshop_id", "a super_admin belongs to no workshop");
    }
  } else {
    if (!d.workshop_id) return InvalidField("workshop_id", "is required for this role");
    SW_TRY(stores_.workshops.GetWorkshop(Scope::For(p), *d.workshop_id));
  }
  d.username = ToLower(Trim(d.username));
  SW_TRY(ValidateUsername(d.username));
  SW_TRY(ValidateEmail("email", d.email));
  SW_TRY(ValidateText("full_name", d.full_name, 0, 100));

  CreatedUser out;
  std::string password = d.password;
  if (password.empty()) {
    password = crypto_.RandomToken(12);
    out.temporary_password = password;
  }
  SW_TRY(CheckPasswordPolicy(password, d.username));
  User u;
  u.workshop_id = d.workshop_id;
  u.username = d.username;
  u.email = d.email;
  u.full_name = d.full_name;
  u.role = d.role;
  u.temporary_password = out.temporary_password.has_value();
  SW_ASSIGN_OR_RETURN(u.password_hash, crypto_.HashPassword(password));
  SW_ASSIGN_OR_RETURN(out.user, stores_.users.CreateUser(u));
  return out;
}

Result<User> TenancyService::GetUser(const Principal& p, UserId id) {
  SW_ASSIGN_OR_RETURN(User u, stores_.users.GetUser(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kUserRead, u.workshop_id, u.id));
  return u;
}

Result<User> TenancyService::ManagedUser(const Principal& p, Action action, UserId id) {
  SW_ASSIGN_OR_RETURN(User u, stores_.users.GetUser(Scope::For(p), id));
  SW_TRY(Authorize(p, action, u.workshop_id, u.id));
  const bool self = u.id == p.user_id;
  if (!self && !MayManageRole(p.role, u.role)) {
    return MakeError(Errc::kForbidden,
                     "your role may not manage a " + std::string(RoleName(u.role)),
                     "INSUFFICIENT_PERMISSIONS");
  }
  return u;
}

Result<Change<User>> TenancyService::UpdateUser(const Principal& p, UserId id,
                                                const UserPatch& patch) {
  SW_ASSIGN_OR_RETURN(User before, ManagedUser(p, Action::kUserUpdate, id));
  if (patch.active && before.id == p.user_id) {
    return MakeError(Errc::kForbidden, "you may not change your own `active` flag",
                     "INSUFFICIENT_PERMISSIONS", "active");
  }
  if (patch.active && GrantFor(p.role, Action::kUserDeactivate) == Grant::kNone) {
    return MakeError(Errc::kForbidden, "your role may not change `active`",
                     "INSUFFICIENT_PERMISSIONS", "active");
  }
  User after = before;
  if (patch.email) {
    SW_TRY(ValidateEmail("email", *patch.email));
    after.email = *patch.email;
  }
  if (patch.full_name) {
    SW_TRY(ValidateText("full_name", *patch.full_name, 0, 100));
    after.full_name = *patch.full_name;
  }
  if (patch.active) after.active = *patch.active;
  SW_ASSIGN_OR_RETURN(after, stores_.users.UpdateUser(Scope::For(p), after));
  if (!after.active) SW_TRY(stores_.sessions.RevokeUserSessions(after.id, clock_.Now()));
  return Change<User>{std::move(before), std::move(after)};
}

Result<CreatedUser> TenancyService::ResetPassword(const Principal& p, UserId id,
                                                  const std::optional<std::string>& password) {
  SW_ASSIGN_OR_RETURN(User u, ManagedUser(p, Action::kUserResetPassword, id));
  if (u.id == p.user_id) {
    // Resetting one's own password would skip the current-password check.
    return MakeError(Errc::kInvalidArgument,
                     "to change your own password use POST /api/v1/auth/change-password",
                     "USE_CHANGE_PASSWORD");
  }
  CreatedUser out;
  std::string chosen;
  if (password) {
    SW_TRY(CheckPasswordPolicy(*password, u.username));
    chosen = *password;
  } else {
    chosen = crypto_.RandomToken(12);
    out.temporary_password = chosen;
  }
  SW_ASSIGN_OR_RETURN(u.password_hash, crypto_.HashPassword(chosen));
  u.temporary_password = true;  // the user picks their own at next login
  u.failed_logins = 0;
  u.locked_until.reset();
  SW_ASSIGN_OR_RETURN(out.user, stores_.users.UpdateUser(Scope::For(p), u));
  SW_TRY(stores_.sessions.RevokeUserSessions(u.id, clock_.Now()));
  return out;
}

Result<Change<User>> TenancyService::DeactivateUser(const Principal& p, UserId id) {
  SW_ASSIGN_OR_RETURN(User before, ManagedUser(p, Action::kUserDeactivate, id));
  if (before.id == p.user_id) {
    return MakeError(Errc::kInvalidArgument, "you may not deactivate yourself",
                     "CANNOT_DEACTIVATE_SELF");
  }
  User after = before;
  after.active = false;
  SW_ASSIGN_OR_RETURN(after, stores_.users.UpdateUser(Scope::For(p), after));
  SW_TRY(stores_.sessions.RevokeUserSessions(after.id, clock_.Now()));
  return Change<User>{std::move(before), std::move(after)};
}

}  // namespace sw::core
