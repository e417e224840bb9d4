#include "core/permissions.hpp"

#include <array>

namespace sw::core {
namespace {

struct Row {
  Action action;
  std::string_view name;
  std::string_view description;
  std::array<Grant, 4> grants;  // super_admin, owner, staff, customer
};

constexpr Grant N = Grant::kNone, S = Grant::kSelf, O = Grant::kOwn, A = Grant::kAll;

// clang-format off
constexpr std::array<Row, kActionCount> kTable{{
  {Action::kWorkshopList,       "workshop.list",       "List workshops",                      {A, O, O, O}},
  {Action::kWorkshopCreate,     "workshop.create",     "Create a workshop",                   {A, N, N, N}},
  {Action::kWorkshopRead,       "workshop.read",       "Read a workshop",                     {A, O, O, O}},
  {Action::kWorkshopUpdate,     "workshop.update",     "Change a workshop's settings",        {A, O, N, N}},
  {Action::kWorkshopDeactivate, "workshop.deactivate", "Deactivate a workshop",               {A, N, N, N}},
  {Action::kPitList,            "pit.list",            "List a workshop's pits",              {A, O, O, O}},
  {Action::kPitRead,            "pit.read",            "Read a pit",                          {A, O, O, O}},
  {Action::kPitCreate,          "pit.create",          "Create a pit",                        {A, O, N, N}},
  {Action::kPitUpdate,          "pit.update",          "Change a pit",                        {A, O, N, N}},
  {Action::kPitDelete,          "pit.delete",          "Delete a pit",                        {A, O, N, N}},
  {Action::kUserList,           "user.list",           "List users",                          {A, O, N, N}},
  {Action::kUserRead,           "user.read",           "Read a user",                         {A, O, S, S}},
  {Action::kUserCreate,         "user.create",         "Create a user (owner: staff, customer)", {A, O, N, N}},
  {Action::kUserUpdate,         "user.update",         "Change a user's profile",             {A, O, S, S}},
  {Action::kUserResetPassword,  "user.reset_password", "Set a temporary password",            {A, O, N, N}},
  {Action::kUserDeactivate,     "user.deactivate",     "Deactivate a user",                   {A, O, N, N}},
  {Action::kAuditRead,          "audit.read",          "Read the audit log",                  {A, O, N, N}},
  {Action::kDeviceList,         "device.list",         "List a workshop's devices",           {A, O, O, N}},
  {Action::kDeviceRead,         "device.read",         "Read a device and its licence",       {A, O, O, N}},
  {Action::kDeviceCreate,       "device.create",       "Register a device",                   {A, O, N, N}},
  {Action::kDeviceUpdate,       "device.update",       "Change a device (name, pit, status)", {A, O, N, N}},
  {Action::kDeviceRotateSecret, "device.rotate_secret", "Issue a new device secret",          {A, O, N, N}},
  {Action::kDeviceDelete,       "device.delete",       "Retire or purge a device",            {A, O, N, N}},
  {Action::kTelemetryRead,      "telemetry.read",      "Read readings, statistics, events",   {A, O, O, N}},
  {Action::kWorkshopProvisioningKey, "workshop.provisioning_key", "Create or rotate the provisioning key", {A, O, N, N}},
  {Action::kDeviceApprove,      "device.approve",      "Approve or reject a pending device",  {A, O, N, N}},
  {Action::kCommandSend,        "command.send",        "Send or cancel an operational command (relay, cut, restart, identify)", {A, O, O, N}},
  {Action::kCommandConfigure,   "command.configure",   "Send or cancel a configuration command (enable, disable, set_interval, set_threshold, set_breaker_limit)", {A, O, N, N}},
  {Action::kCommandRead,        "command.read",        "Read a device's commands",            {A, O, O, N}},
  {Action::kIntegrationList,    "integration.list",    "List a workshop's MQTT integrations", {A, O, N, N}},
  {Action::kIntegrationRead,    "integration.read",    "Read an MQTT integration",            {A, O, N, N}},
  {Action::kIntegrationCreate,  "integration.create",  "Create an MQTT integration (its secret is shown once)", {A, O, N, N}},
  {Action::kIntegrationUpdate,  "integration.update",  "Rename, change the access of, disable or enable an MQTT integration", {A, O, N, N}},
  {Action::kIntegrationRotateSecret, "integration.rotate_secret", "Issue a new MQTT integration secret", {A, O, N, N}},
  {Action::kIntegrationDelete,  "integration.delete",  "Delete an MQTT integration",          {A, O, N, N}},
}};
// clang-format on

const Row& RowFor(Action action) {
  return kTable[static_cast<std::size_t>(action)];
}

}  // namespace

std::string_view ActionName(Action action) {
  return RowFor(action).name;
}

std::string_view GrantName(Grant grant) {
  switch (grant) {
    case Grant::kNone: return "-";
    case Grant::kSelf: return "self";
    case Grant::kOwn: return "own";
    case Grant::kAll: return "all";
  }
  return "-";
}

Grant GrantFor(Role role, Action action) {
  return RowFor(action).grants[static_cast<std::size_t>(role)];
}

Status Authorize(const Principal& principal, Action action,
                 std::optional<WorkshopId> resource_workshop, std::optional<UserId> target_user) {
  const Grant grant = GrantFor(principal.role, action);
  if (grant == Grant::kAll) return Ok{};
  // Outside the caller's workshop: the resource does not exist for them.
  if (resource_workshop && resource_workshop != principal.workshop_id) {
    return MakeError(Errc::kNotFound, "not found");
  }
  switch (grant) {
    case Grant::kOwn:
      if (principal.workshop_id) return Ok{};
      break;
    case Grant::kSelf:
      if (target_user && *target_user == principal.user_id) return Ok{};
      break;
    default: break;
  }
  return MakeError(Errc::kForbidden, "your role may not " + std::string(ActionName(action)),
                   "INSUFFICIENT_PERMISSIONS");
}

bool MayManageRole(Role actor, Role target) {
  if (actor == Role::kSuperAdmin) return true;
  if (actor == Role::kOwner) return target == Role::kStaff || target == Role::kCustomer;
  return false;
}

std::string RenderPermissionTable() {
  std::string out =
      "| action | what | super_admin | owner | staff | customer |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const Row& row : kTable) {
    out += "| `" + std::string(row.name) + "` | " + std::string(row.description) + " |";
    for (Grant g : row.grants) out += " " + std::string(GrantName(g)) + " |";
    out += "\n";
  }
  return out;
}

}  // namespace sw::core
