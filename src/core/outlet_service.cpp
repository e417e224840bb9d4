#include "core/outlet_service.hpp"

#include <cmath>

#include "core/permissions.hpp"

namespace sw::core {
namespace {

constexpr int kListPage = 500;

// Which sockets a relay or cut command sets, and to what. params_json is canonical
// (ValidateCommand): {"socket":"a","on":true} or {"sockets":"all"}.
struct SocketEffect {
  bool a = false;
  bool b = false;
  bool on = false;
  bool Covers(std::size_t socket) const { return socket == 0 ? a : b; }
};

std::optional<SocketEffect> EffectOf(const Command& c) {
  if (c.name == "cut") return SocketEffect{true, true, false};
  if (c.name != "relay") return std::nullopt;
  const bool a = c.params_json.find("\"socket\":\"a\"") != std::string::npos;
  const bool b = c.params_json.find("\"socket\":\"b\"") != std::string::npos;
  if (a == b) return std::nullopt;
  return SocketEffect{a, b, c.params_json.find("\"on\":true") != std::string::npos};
}

const LatestValue* FindLatest(std::span<const LatestValue> latest, std::string_view metric) {
  const LatestValue* found = nullptr;
  for (const LatestValue& v : latest) {
    if (v.metric == metric && (!found || v.ts_ms > found->ts_ms)) found = &v;
  }
  return found;
}

Reported<bool> Flag(const LatestValue& v) {
  return {v.value >= 0.5, FromUnixMillis(v.ts_ms)};
}

Reported<std::int64_t> Milliamps(const LatestValue& v) {
  return {static_cast<std::int64_t>(std::llround(v.value)), FromUnixMillis(v.ts_ms)};
}

}  // namespace

std::string_view RelaySourceName(RelaySource source) {
  return source == RelaySource::kCommandResult ? "command_result" : "telemetry";
}

OutletState ComposeOutletState(const Device& outlet, std::span<const LatestValue> latest,
                               std::span<const Command> commands) {
  OutletState out;
  out.device = outlet;
  out.online = outlet.online;
  out.last_seen = outlet.last_seen;
  const LatestValue* threshold = FindLatest(latest, "threshold_ma");
  for (std::size_t i = 0; i < out.sockets.size(); ++i) {
    SocketState& s = out.sockets[i];
    s.socket = i == 0 ? "a" : "b";
    if (const auto* v = FindLatest(latest, "relay_" + s.socket)) s.relay = Flag(*v);
    if (const auto* v = FindLatest(latest, "current_" + s.socket + "_ma")) {
      s.current_ma = Milliamps(*v);
    }
    if (const auto* v = FindLatest(latest, "tripped_" + s.socket)) s.tripped = Flag(*v);
    if (threshold) s.threshold_ma = Milliamps(*threshold);

    // The newest confirmed command and the newest open one for this socket.
    const Command* confirmed = nullptr;
    const Command* open = nullptr;
    for (const Command& c : commands) {
      if (c.device_id != outlet.id) continue;
      const auto effect = EffectOf(c);
      if (!effect || !effect->Covers(i)) continue;
      if (IsOpen(c.state)) {
        if (!open || c.created_at >= open->created_at) open = &c;
      } else if (c.state == CommandState::kSucceeded && c.finished_at) {
        if (!confirmed || *c.finished_at > *confirmed->finished_at) confirmed = &c;
      }
    }
    // The device's own answer to a command is a report too: newer than the reading, it wins.
    if (confirmed && (!s.relay || *confirmed->finished_at > s.relay->at)) {
      s.relay = Reported<bool>{EffectOf(*confirmed)->on, *confirmed->finished_at};
      s.relay_source = RelaySource::kCommandResult;
      s.relay_verified = confirmed->verified;
      if (confirmed->name == "relay" && confirmed->measured_ma &&
          (!s.current_ma || *confirmed->finished_at > s.current_ma->at)) {
        s.current_ma = Reported<std::int64_t>{*confirmed->measured_ma, *confirmed->finished_at};
      }
    }
    if (open) {
      s.commanded =
          CommandedRelay{EffectOf(*open)->on, open->id, open->name, open->state, open->created_at};
    }
  }
  return out;
}

int CutResult::Created() const {
  int n = 0;
  for (const CutItem& item : items) n += item.issued && item.issued->created ? 1 : 0;
  return n;
}

OutletService::OutletService(WorkshopStore& workshops, DeviceStore& devices,
                             CommandStore& command_store, CommandService& commands,
                             IngestService& ingest, PresenceTracker& presence)
    : workshops_(workshops),
      devices_(devices),
      command_store_(command_store),
      commands_(commands),
      ingest_(ingest),
      presence_(presence) {}

Result<Device> OutletService::Visible(const Principal& p, std::string_view uid) {
  if (!ValidateDeviceUid(uid).ok()) return MakeError(Errc::kNotFound, "device not found");
  SW_ASSIGN_OR_RETURN(Device d, devices_.GetDevice(Scope::For(p), uid));
  SW_TRY(Authorize(p, Action::kTelemetryRead, d.workshop_id));
  SW_TRY(Authorize(p, Action::kCommandRead, d.workshop_id));
  return d;
}

Result<std::vector<Device>> OutletService::Outlets(const Scope& scope, WorkshopId workshop,
                                                   std::optional<DeviceId> gateway) {
  DeviceFilter filter;
  filter.kind = DeviceKind::kOutlet;
  filter.parent_id = gateway;
  std::vector<Device> out;
  for (int page = 1;; ++page) {
    SW_ASSIGN_OR_RETURN(auto listed,
                        devices_.ListDevices(scope, workshop, filter, {page, kListPage}));
    const bool last = listed.items.size() < static_cast<std::size_t>(kListPage);
    for (Device& d : listed.items) out.push_back(std::move(d));
    if (last || static_cast<std::int64_t>(out.size()) >= listed.total) break;
  }
  return out;
}

Result<std::vector<OutletState>> OutletService::States(const std::vector<Device>& outlets) {
  std::vector<DeviceId> ids;
  ids.reserve(outlets.size());
  for (const Device& d : outlets) ids.push_back(d.id);
  SW_ASSIGN_OR_RETURN(auto commands, command_store_.ListSocketCommands(ids, kRecentSocketCommands));
  std::vector<OutletState> out;
  out.reserve(outlets.size());
  for (const Device& d : outlets) {
    const auto latest = ingest_.Latest(d);
    OutletState s = ComposeOutletState(d, latest, commands);
    if (auto live = presence_.Get(d.id)) {
      s.online = live->online;
      s.last_seen = live->last_seen;
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<OutletState> OutletService::Sockets(const Principal& p, std::string_view uid) {
  SW_ASSIGN_OR_RETURN(Device d, Visible(p, uid));
  if (d.kind != DeviceKind::kOutlet) {
    return InvalidField("uid", "a " + std::string(DeviceKindName(d.kind)) +
                                   " has no sockets; only outlets do (a gateway lists its "
                                   "outlets at /outlets)");
  }
  std::vector<Device> one;
  one.push_back(std::move(d));
  SW_ASSIGN_OR_RETURN(auto states, States(one));
  return std::move(states.front());
}

Result<std::vector<OutletState>> OutletService::GatewayOutlets(const Principal& p,
                                                               std::string_view uid) {
  SW_ASSIGN_OR_RETURN(Device gw, Visible(p, uid));
  if (gw.kind != DeviceKind::kGateway) {
    return InvalidField(
        "uid", "a " + std::string(DeviceKindName(gw.kind)) + " has no outlets; only gateways do");
  }
  SW_ASSIGN_OR_RETURN(auto outlets, Outlets(Scope::For(p), gw.workshop_id, gw.id));
  return States(outlets);
}

Status OutletService::CheckCutRequest(const CutRequest& r) const {
  if (r.idempotency_key) SW_TRY(ValidateIdempotencyKey(*r.idempotency_key));
  const auto max = commands_.options().max_expiry.count();
  if (r.expires_in_s && (*r.expires_in_s < 1 || *r.expires_in_s > max)) {
    return InvalidField("expires_in_s", "must be between 1 and " + std::to_string(max));
  }
  return Ok{};
}

Result<CutResult> OutletService::CutDevice(const Principal& p, std::string_view uid,
                                           const CutRequest& r) {
  if (!ValidateDeviceUid(uid).ok()) return MakeError(Errc::kNotFound, "device not found");
  SW_ASSIGN_OR_RETURN(Device d, devices_.GetDevice(Scope::For(p), uid));
  SW_TRY(Authorize(p, Action::kCommandSend, d.workshop_id));
  SW_TRY(CheckCutRequest(r));
  CutResult result;
  result.workshop_id = d.workshop_id;
  result.target_uid = d.uid;
  std::vector<Device> outlets;
  if (d.kind == DeviceKind::kOutlet) {
    result.target = "outlet";
    outlets.push_back(std::move(d));
  } else if (d.kind == DeviceKind::kGateway) {
    result.target = "gateway";
    SW_ASSIGN_OR_RETURN(outlets, Outlets(Scope::For(p), d.workshop_id, d.id));
  } else {
    return InvalidField("uid", "a " + std::string(DeviceKindName(d.kind)) +
                                   " cannot be cut; cut an outlet, a gateway or a workshop");
  }
  const bool single = result.target == "outlet";
  SW_ASSIGN_OR_RETURN(result, Cut(p, std::move(outlets), r, std::move(result)));
  // One outlet asked for by name: its refusal is the answer (409 DEVICE_DISABLED, ...).
  if (single && result.items.front().refused) return *result.items.front().refused;
  return result;
}

Result<CutResult> OutletService::CutWorkshop(const Principal& p, WorkshopId workshop,
                                             const CutRequest& r) {
  SW_TRY(Authorize(p, Action::kCommandSend, workshop));
  SW_ASSIGN_OR_RETURN(Workshop w, workshops_.GetWorkshop(Scope::For(p), workshop));
  SW_TRY(CheckCutRequest(r));
  CutResult result;
  result.workshop_id = w.id;
  result.target = "workshop";
  SW_ASSIGN_OR_RETURN(auto outlets, Outlets(Scope::For(p), w.id, std::nullopt));
  return Cut(p, std::move(outlets), r, std::move(result));
}

Result<CutResult> OutletService::Cut(const Principal& p, std::vector<Device> outlets,
                                     const CutRequest& r, CutResult result) {
  CommandService::Batch batch;
  const CommandRequest request{"cut", {}, r.idempotency_key, r.expires_in_s};
  for (Device& d : outlets) {
    CutItem item;
    auto issued = commands_.IssueTo(p, d, request, &batch);
    if (issued.ok()) {
      item.issued = std::move(issued).value();
    } else if (issued.error().code == Errc::kRateLimited) {
      return issued.take_error();  // the request as a whole is one too many
    } else {
      item.refused = issued.error();
    }
    item.device = std::move(d);
    result.items.push_back(std::move(item));
  }
  return result;
}

}  // namespace sw::core
