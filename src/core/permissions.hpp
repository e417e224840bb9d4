// The permission table: which role may do what, and over which workshops. The one place in
// code that says so (docs/PERMISSIONS.md is generated from it by `sitewatch permissions`
// and a test keeps the two equal). Pure and thread-safe.
//
// Resolution order for a request on a resource of workshop W:
//   1. the resource is looked up through the caller's Scope: outside it -> 404 NOT_FOUND
//      (a user of workshop A never learns that B's resource exists);
//   2. the role's grant for the action is checked -> 403 FORBIDDEN when it does not cover it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model.hpp"

namespace sw::core {

enum class Action {
  kWorkshopList,
  kWorkshopCreate,
  kWorkshopRead,
  kWorkshopUpdate,
  kWorkshopDeactivate,
  kPitList,
  kPitRead,
  kPitCreate,
  kPitUpdate,
  kPitDelete,
  kUserList,
  kUserRead,
  kUserCreate,
  kUserUpdate,
  kUserResetPassword,
  kUserDeactivate,
  kAuditRead,
  kDeviceList,
  kDeviceRead,
  kDeviceCreate,
  kDeviceUpdate,
  kDeviceRotateSecret,
  kDeviceDelete,
  kTelemetryRead,
  kWorkshopProvisioningKey,
  kDeviceApprove,
  kCommandSend,
  kCommandConfigure,
  kCommandRead,
  kIntegrationList,
  kIntegrationRead,
  kIntegrationCreate,
  kIntegrationUpdate,
  kIntegrationRotateSecret,
  kIntegrationDelete,
};
inline constexpr int kActionCount = static_cast<int>(Action::kIntegrationDelete) + 1;

enum class Grant {
  kNone,  // never
  kSelf,  // only the caller's own user record
  kOwn,   // resources of the caller's workshop
  kAll,   // every workshop
};

std::string_view ActionName(Action action);
std::string_view GrantName(Grant grant);
Grant GrantFor(Role role, Action action);

// Checks `principal` may perform `action` on a resource of `resource_workshop` (nullopt for
// platform-level resources); `target_user` is the user record acted on, for user actions.
// Returns NotFound when the resource lies outside the caller's workshop, Forbidden when the
// role lacks the grant.
Status Authorize(const Principal& principal, Action action,
                 std::optional<WorkshopId> resource_workshop,
                 std::optional<UserId> target_user = std::nullopt);

// Which roles `actor` may create or manage: super_admin any; owner staff and customer.
bool MayManageRole(Role actor, Role target);

// The table as Markdown, for docs/PERMISSIONS.md.
std::string RenderPermissionTable();

}  // namespace sw::core
