// OutletSync: keeps each gateway's outlet registry (the one it persists and drives, firmware
// CcuGateway) equal to the server's, with the `sync_outlets` command (docs/DEVICE_PROTOCOL.md).
//
//  - The desired registry of a gateway is its outlets in the device registry (not retired),
//    by radio address: params {"rev": N, "outlets": [{"uid", "address"}, ...]}. The server
//    stores no protocol, shed priority, threshold or power-cut policy per outlet, so none is
//    sent: the gateway keeps its own for the outlets that stay.
//  - The revision is monotonic per gateway without a column of its own: it is derived from
//    the command log (the rev of the gateway's newest sync_outlets command; commands are only
//    removed with the device) and from what the gateway reports, next = max(both) + 1.
//  - OutletsChanged (an outlet registered or retired through the API) issues a sync with a
//    new revision at once; an open (queued or sent) older one is cancelled ("superseded"),
//    so at most one is pending per gateway.
//  - Reported (the gateway's retained status carries "outlets_rev") only records the report;
//    RunReported (the periodic jobs, off the broker's threads) then issues a sync when the
//    gateway is out of date and none is open: its revision differs from the newest succeeded
//    sync, or the outlets changed since (e.g. a sync refused while the licence had lapsed), or
//    the newest sync expired or was cancelled. A sync the gateway refused (ok=false) is sent
//    again for the same outlets only after kRetryRefusedAfter (it would most likely be refused
//    again; the reason is in its result), or at once if the gateway was restarting or busy.
//
// Commands are platform-issued (CommandService::IssueSystem): no user, no rate limit; the
// device's status and licence still apply. Thread-safe (one mutex orders the syncs).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "core/command_service.hpp"
#include "core/ports.hpp"

namespace sw::core {

inline constexpr std::string_view kSyncOutletsCommand = "sync_outlets";

// {"rev":N,"outlets":[{"uid":"GW.0A","address":10},...]} with the outlets by address.
std::string SyncOutletsParams(std::int64_t rev, std::vector<Device> outlets);
// The rev of such params; nullopt if absent.
std::optional<std::int64_t> SyncOutletsRevision(std::string_view params_json);

class OutletSync {
 public:
  static constexpr std::chrono::hours kRetryRefusedAfter{1};

  OutletSync(DeviceStore& devices, CommandStore& commands, CommandService& service,
             const Clock& clock);

  // The outlets of this gateway changed: a sync with a new revision, superseding an open one.
  // nullopt when the device is not a gateway (or is gone).
  Result<std::optional<Command>> OutletsChanged(std::string_view gateway_uid);
  // The gateway's status says it applied `revision`. Cheap (no storage): for RunReported.
  void Reported(std::string_view gateway_uid, std::int64_t revision);
  // Handles the reports since the last call; returns how many syncs it issued.
  int RunReported();
  // The sync (if any) one report leads to; RunReported calls it for every report.
  Result<std::optional<Command>> CheckReported(std::string_view gateway_uid, std::int64_t revision);

 private:
  struct Latest {
    std::optional<Command> command;  // the gateway's newest sync_outlets command
    std::int64_t rev = 0;
  };
  Result<Latest> FindLatest(const Device& gateway);
  Result<std::vector<Device>> Outlets(const Device& gateway);
  Result<std::optional<Command>> Issue(const Device& gateway, const Latest& latest,
                                       std::int64_t reported, const std::vector<Device>& outlets,
                                       std::string_view why);

  DeviceStore& devices_;
  CommandStore& commands_;
  CommandService& service_;
  const Clock& clock_;
  std::mutex mutex_;  // one sync decision at a time (revisions stay monotonic)
  std::map<std::int64_t, std::string> latest_ids_;  // gateway id -> newest sync command id

  std::mutex reports_mutex_;
  std::map<std::string, std::int64_t, std::less<>> reports_;  // uid -> revision
};

}  // namespace sw::core
