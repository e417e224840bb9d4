#include "core/outlet_sync.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace sw::core {
namespace {

constexpr int kPageSize = 100;
constexpr int kMaxCommandPages = 50;  // the newest sync is almost always on the first page
constexpr std::string_view kRevPrefix = "{\"rev\":";
constexpr std::string_view kOutletsKey = ",\"outlets\":";

// The outlets part of the params (what the registry is, whatever its revision).
std::string_view OutletsPart(std::string_view params) {
  const auto at = params.find(kOutletsKey);
  return at == std::string_view::npos ? std::string_view() : params.substr(at);
}

}  // namespace

std::string SyncOutletsParams(std::int64_t rev, std::vector<Device> outlets) {
  std::sort(outlets.begin(), outlets.end(), [](const Device& a, const Device& b) {
    return a.radio_address.value_or(0) < b.radio_address.value_or(0);
  });
  // uids are [A-Za-z0-9._-]: nothing to escape.
  std::string json = std::string(kRevPrefix) + std::to_string(rev) + std::string(kOutletsKey) + "[";
  bool first = true;
  for (const Device& o : outlets) {
    if (!o.radio_address) continue;
    json += first ? "" : ",";
    json += "{\"uid\":\"" + o.uid + "\",\"address\":" + std::to_string(*o.radio_address);
    // Absent means 2 (docs/DEVICE_PROTOCOL.md): lists of v2 outlets read as before.
    if (o.radio_protocol == 1) json += ",\"protocol\":1";
    json += "}";
    first = false;
  }
  return json + "]}";
}

std::optional<std::int64_t> SyncOutletsRevision(std::string_view params_json) {
  if (params_json.substr(0, kRevPrefix.size()) != kRevPrefix) return std::nullopt;
  std::int64_t rev = 0;
  std::size_t i = kRevPrefix.size();
  const std::size_t start = i;
  while (i < params_json.size() && params_json[i] >= '0' && params_json[i] <= '9' &&
         i - start < 12) {
    rev = rev * 10 + (params_json[i] - '0');
    ++i;
  }
  if (i == start) return std::nullopt;
  return rev;
}

OutletSync::OutletSync(DeviceStore& devices, CommandStore& commands, CommandService& service,
                       const Clock& clock)
    : devices_(devices), commands_(commands), service_(service), clock_(clock) {}

Result<OutletSync::Latest> OutletSync::FindLatest(const Device& gateway) {
  Latest latest;
  if (auto cached = latest_ids_.find(gateway.id.value); cached != latest_ids_.end()) {
    auto c = commands_.GetCommand(Scope::All(), cached->second);
    if (c.ok()) {
      latest.rev = SyncOutletsRevision(c->params_json).value_or(0);
      latest.command = std::move(c).value();
      return latest;
    }
    latest_ids_.erase(cached);  // gone (the device was purged and its uid reused): look again
  }
  for (int page = 1; page <= kMaxCommandPages; ++page) {
    SW_ASSIGN_OR_RETURN(auto listed, commands_.ListCommands(Scope::All(), gateway.id,
                                                            PageRequest{page, kPageSize}));
    for (Command& c : listed.items) {
      if (c.name != kSyncOutletsCommand) continue;
      latest.rev = SyncOutletsRevision(c.params_json).value_or(0);
      latest_ids_[gateway.id.value] = c.id;
      latest.command = std::move(c);
      return latest;
    }
    if (static_cast<std::int64_t>(page) * kPageSize >= listed.total) break;
  }
  return latest;
}

Result<std::vector<Device>> OutletSync::Outlets(const Device& gateway) {
  DeviceFilter filter;
  filter.kind = DeviceKind::kOutlet;
  filter.parent_id = gateway.id;
  std::vector<Device> out;
  for (int page = 1;; ++page) {
    SW_ASSIGN_OR_RETURN(auto listed, devices_.ListDevices(Scope::All(), gateway.workshop_id, filter,
                                                          PageRequest{page, kPageSize}));
    for (Device& d : listed.items) out.push_back(std::move(d));
    if (listed.items.empty() || static_cast<std::int64_t>(out.size()) >= listed.total) break;
  }
  return out;
}

Result<std::optional<Command>> OutletSync::Issue(const Device& gateway, const Latest& latest,
                                                 std::int64_t reported,
                                                 const std::vector<Device>& outlets,
                                                 std::string_view why) {
  const std::int64_t rev = std::max(latest.rev, reported) + 1;
  ValidatedCommand v;
  v.name = std::string(kSyncOutletsCommand);
  v.params_json = SyncOutletsParams(rev, outlets);
  v.configuration = true;
  std::vector<Command> superseded;
  if (latest.command && IsOpen(latest.command->state)) superseded.push_back(*latest.command);
  SW_ASSIGN_OR_RETURN(IssuedCommand issued, service_.IssueSystem(gateway, v, why, superseded));
  latest_ids_[gateway.id.value] = issued.command.id;
  log::Info("outlet registry sync queued", {{"gateway", gateway.uid},
                                            {"rev", std::to_string(rev)},
                                            {"outlets", std::to_string(outlets.size())},
                                            {"why", std::string(why)}});
  return std::optional<Command>(std::move(issued.command));
}

Result<std::optional<Command>> OutletSync::OutletsChanged(std::string_view gateway_uid) {
  std::lock_guard lock(mutex_);
  auto gateway = devices_.GetDevice(Scope::All(), gateway_uid);
  if (!gateway.ok()) {
    if (gateway.error().code == Errc::kNotFound) return std::optional<Command>();
    return gateway.take_error();
  }
  if (gateway->kind != DeviceKind::kGateway) return std::optional<Command>();
  SW_ASSIGN_OR_RETURN(Latest latest, FindLatest(*gateway));
  SW_ASSIGN_OR_RETURN(std::vector<Device> outlets, Outlets(*gateway));
  std::int64_t reported = 0;
  {
    std::lock_guard reports(reports_mutex_);
    if (auto it = reports_.find(gateway_uid); it != reports_.end()) reported = it->second;
  }
  return Issue(*gateway, latest, reported, outlets, "outlets changed");
}

void OutletSync::Reported(std::string_view gateway_uid, std::int64_t revision) {
  std::lock_guard lock(reports_mutex_);
  if (reports_.size() >= 100'000) reports_.clear();  // bounded; a lost report comes again
  reports_.insert_or_assign(std::string(gateway_uid), revision);
}

int OutletSync::RunReported() {
  std::map<std::string, std::int64_t, std::less<>> reports;
  {
    std::lock_guard lock(reports_mutex_);
    reports.swap(reports_);
  }
  int issued = 0;
  for (const auto& [uid, revision] : reports) {
    auto synced = CheckReported(uid, revision);
    if (!synced.ok()) {
      log::Warn("outlet registry sync not queued",
                {{"gateway", uid}, {"error", synced.error().message}});
    } else if (*synced) {
      ++issued;
    }
  }
  return issued;
}

Result<std::optional<Command>> OutletSync::CheckReported(std::string_view gateway_uid,
                                                         std::int64_t revision) {
  std::lock_guard lock(mutex_);
  auto gateway = devices_.GetDevice(Scope::All(), gateway_uid);
  if (!gateway.ok() || gateway->kind != DeviceKind::kGateway || revision < 0) {
    return std::optional<Command>();
  }
  SW_ASSIGN_OR_RETURN(Latest latest, FindLatest(*gateway));
  if (latest.command && IsOpen(latest.command->state)) return std::optional<Command>();
  SW_ASSIGN_OR_RETURN(std::vector<Device> outlets, Outlets(*gateway));
  if (!latest.command) {
    if (outlets.empty() && revision == 0) return std::optional<Command>();  // nothing to say
    return Issue(*gateway, latest, revision, outlets, "gateway out of date");
  }
  const Command& c = *latest.command;
  const bool same_outlets =
      OutletsPart(c.params_json) == OutletsPart(SyncOutletsParams(latest.rev, outlets));
  if (same_outlets && c.state == CommandState::kSucceeded && revision == latest.rev) {
    return std::optional<Command>();  // in step
  }
  if (same_outlets && c.state == CommandState::kFailed && revision != latest.rev) {
    // Refused: the same list would be refused again (too many outlets, an address the gateway
    // cannot use). A gateway that was restarting or busy gets it again at once; anything else
    // is tried again after kRetryRefusedAfter (e.g. its store failed).
    const bool transient = c.result_detail.rfind("restarting", 0) == 0 ||
                           c.result_detail.rfind("gateway busy", 0) == 0;
    const bool retry_due = c.finished_at && clock_.Now() - *c.finished_at >= kRetryRefusedAfter;
    if (!transient && !retry_due) return std::optional<Command>();
  }
  return Issue(*gateway, latest, revision, outlets, "gateway out of date");
}

}  // namespace sw::core
