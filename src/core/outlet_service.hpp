// OutletService: outlets and their sockets for users (issue 7, PRODUCT.md §3 and §6).
//
//  - The socket view ("truth about state"): per socket, the relay state the device last
//    reported and when — from its newest `relay_a`/`relay_b` reading, or from a relay or cut
//    command the device confirmed (its result), whichever is newer — its current draw, its
//    trip flag and the outlet's overload threshold, each with the time it was reported; and,
//    separately, the commanded state while a relay or cut command for that socket is queued or
//    sent. The commanded state disappears when the command ends (succeeded, failed, expired,
//    cancelled); it never overwrites what the device reported.
//  - Bulk cut: one request that cuts one outlet, every outlet behind a gateway, or every
//    outlet of a workshop — one `cut` command per outlet through CommandService (so each is
//    validated, refused for a disabled or unlicensed device, bounded, delivered, audited and
//    sent as a live event like any other), the request counted once by the per-user rate
//    limit, and an idempotency key honoured per outlet.
//
// Permissions: the views need telemetry.read and command.read, a cut command.send; tenancy by
// the Scope (another workshop's device or workshop does not exist). Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/command_service.hpp"
#include "core/ingest.hpp"
#include "core/ports.hpp"
#include "core/presence.hpp"
#include "core/telemetry.hpp"

namespace sw::core {

// A value as a device reported it, with the time of the report.
template <typename T>
struct Reported {
  T value{};
  SysTime at{};
};

enum class RelaySource {
  kTelemetry,      // the relay_a / relay_b reading
  kCommandResult,  // a relay or cut command the device confirmed
};
std::string_view RelaySourceName(RelaySource source);

// What a relay or cut command still open (queued or sent) will set the socket to.
struct CommandedRelay {
  bool on = false;
  std::string command_id;
  std::string command_name;  // relay | cut
  CommandState state = CommandState::kQueued;
  SysTime since{};  // when it was issued
};

struct SocketState {
  std::string socket;                   // "a" | "b"
  std::optional<Reported<bool>> relay;  // nullopt: unknown (never reported)
  RelaySource relay_source = RelaySource::kTelemetry;
  // From a command result: whether the current measured after switching agreed (a welded
  // relay or an unplugged load shows as false); nullopt when not checked or from telemetry.
  std::optional<bool> relay_verified;
  std::optional<Reported<std::int64_t>> current_ma;
  std::optional<Reported<bool>> tripped;
  std::optional<Reported<std::int64_t>> threshold_ma;  // the outlet's overload threshold
  std::optional<CommandedRelay> commanded;
};

struct OutletState {
  Device device;
  bool online = false;
  std::optional<SysTime> last_seen;
  std::array<SocketState, 2> sockets;
};

// How many recent succeeded commands per outlet the view considers for the reported state.
inline constexpr int kRecentSocketCommands = 8;

// Pure: the sockets of `outlet` from its newest readings and its relay/cut commands (open
// ones and recent succeeded ones, as CommandStore::ListSocketCommands returns them; other
// devices' commands are ignored). Online state is left to the caller.
OutletState ComposeOutletState(const Device& outlet, std::span<const LatestValue> latest,
                               std::span<const Command> commands);

struct CutRequest {
  std::optional<std::string> idempotency_key;
  std::optional<std::int64_t> expires_in_s;  // default: CommandOptions::relay_expiry
};

// One outlet of a bulk cut: its command (new, or an idempotent replay), or why it was refused.
struct CutItem {
  Device device;
  std::optional<IssuedCommand> issued;
  std::optional<Error> refused;
};

struct CutResult {
  WorkshopId workshop_id;
  std::string target;      // outlet | gateway | workshop
  std::string target_uid;  // the device cut; empty for a workshop
  std::vector<CutItem> items;
  int Created() const;
};

class OutletService {
 public:
  OutletService(WorkshopStore& workshops, DeviceStore& devices, CommandStore& command_store,
                CommandService& commands, IngestService& ingest, PresenceTracker& presence);

  // An outlet's sockets (InvalidArgument for a device that is not an outlet).
  Result<OutletState> Sockets(const Principal& p, std::string_view uid);
  // A gateway's outlets with their sockets, by uid (InvalidArgument for a non-gateway).
  Result<std::vector<OutletState>> GatewayOutlets(const Principal& p, std::string_view uid);

  // Cuts an outlet, or every outlet of a gateway (InvalidArgument for other kinds). A single
  // outlet that may not be commanded is refused with the reason (the error itself); a
  // gateway's or a workshop's refused outlets are listed in the result.
  Result<CutResult> CutDevice(const Principal& p, std::string_view uid, const CutRequest& r);
  // Cuts every outlet of a workshop.
  Result<CutResult> CutWorkshop(const Principal& p, WorkshopId workshop, const CutRequest& r);

 private:
  Result<Device> Visible(const Principal& p, std::string_view uid);
  Result<std::vector<Device>> Outlets(const Scope& scope, WorkshopId workshop,
                                      std::optional<DeviceId> gateway);
  Result<std::vector<OutletState>> States(const std::vector<Device>& outlets);
  Status CheckCutRequest(const CutRequest& r) const;
  Result<CutResult> Cut(const Principal& p, std::vector<Device> outlets, const CutRequest& r,
                        CutResult result);

  WorkshopStore& workshops_;
  DeviceStore& devices_;
  CommandStore& command_store_;
  CommandService& commands_;
  IngestService& ingest_;
  PresenceTracker& presence_;
};

}  // namespace sw::core
