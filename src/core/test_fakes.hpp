// In-memory ports for the core's unit tests (command_service_test, outlet_service_test):
// just enough of the registry, the CommandStore contract, workshops and the latest readings.
// Test-only; not thread-safe.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/ports.hpp"
#include "core/telemetry.hpp"

namespace sw::core::fakes {

class FakeDevices final : public DeviceStore {
 public:
  Result<Device> CreateDevice(const Scope&, const Device& d) override {
    devices_[d.uid] = d;
    return d;
  }
  Result<Device> GetDevice(const Scope& scope, std::string_view uid) override {
    auto it = devices_.find(std::string(uid));
    if (it == devices_.end() || !scope.Allows(it->second.workshop_id)) {
      return MakeError(Errc::kNotFound, "device not found", "NOT_FOUND");
    }
    return it->second;
  }
  Result<Page<Device>> ListDevices(const Scope& scope, WorkshopId workshop, const DeviceFilter& f,
                                   PageRequest page) override {
    Page<Device> out;
    out.request = page;
    for (const auto& [uid, d] : devices_) {  // in uid order, like the store
      if (d.workshop_id != workshop || !scope.Allows(d.workshop_id)) continue;
      if ((f.kind && d.kind != *f.kind) || (f.status && d.status != *f.status) ||
          (f.pit_id && d.pit_id != f.pit_id) || (f.parent_id && d.parent_id != f.parent_id)) {
        continue;
      }
      ++out.total;
      if (out.total > page.Offset() &&
          out.items.size() < static_cast<std::size_t>(page.page_size)) {
        out.items.push_back(d);
      }
    }
    return out;
  }
  Result<Device> UpdateDevice(const Scope&, const Device& d) override { return d; }
  Result<Device> GetRetiredDevice(const Scope&, std::string_view) override {
    return MakeError(Errc::kNotFound, "device not found", "NOT_FOUND");
  }
  Status DeleteDevice(const Scope&, DeviceId, bool) override { return Ok{}; }
  Status SavePresence(const std::vector<PresenceRecord>&) override { return Ok{}; }

  std::map<std::string, Device> devices_;
};

class FakeCrypto final : public Crypto {
 public:
  Result<std::string> HashPassword(std::string_view p) override { return std::string(p); }
  bool VerifyPassword(std::string_view h, std::string_view p) override { return h == p; }
  std::string RandomToken(std::size_t) override { return "cmd-" + std::to_string(++n_); }
  std::string RandomBytes(std::size_t n) override { return std::string(n, 'x'); }
  std::string Sha256Hex(std::string_view d) override { return std::string(d); }

 private:
  int n_ = 0;
};

class MemoryCommands final : public CommandStore {
 public:
  Result<std::pair<Command, bool>> CreateCommand(const Command& c, int max_open) override {
    if (c.idempotency_key && c.issued_by) {
      auto found = Find(*c.issued_by, c.device_id, *c.idempotency_key);
      if (found) return std::pair{*found, false};
    }
    if (c.idempotency_key && c.issued_by_integration) {
      for (auto& [id, other] : commands_) {
        if (other.issued_by_integration == c.issued_by_integration &&
            other.device_id == c.device_id && other.idempotency_key == c.idempotency_key) {
          return std::pair{other, false};
        }
      }
    }
    const auto open = std::count_if(order_.begin(), order_.end(), [&](const std::string& id) {
      return commands_[id].device_id == c.device_id && IsOpen(commands_[id].state);
    });
    if (open >= max_open) return MakeError(Errc::kConflict, "full", "COMMAND_QUEUE_FULL");
    Command stored = c;
    stored.state = CommandState::kQueued;
    commands_[c.id] = stored;
    order_.push_back(c.id);
    return std::pair{stored, true};
  }
  Result<std::optional<Command>> FindByIdempotencyKey(UserId issuer, DeviceId device,
                                                      std::string_view key) override {
    return Find(issuer, device, key);
  }
  Result<Command> GetCommand(const Scope& scope, std::string_view id) override {
    auto it = commands_.find(std::string(id));
    if (it == commands_.end() || !scope.Allows(it->second.workshop_id)) {
      return MakeError(Errc::kNotFound, "command not found", "NOT_FOUND");
    }
    return it->second;
  }
  Result<Page<Command>> ListCommands(const Scope& scope, DeviceId device,
                                     PageRequest page) override {
    Page<Command> out;
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      const Command& c = commands_[*it];
      if (c.device_id == device && scope.Allows(c.workshop_id)) out.items.push_back(c);
    }
    out.total = static_cast<std::int64_t>(out.items.size());
    out.request = page;
    return out;
  }
  Result<std::vector<Command>> ListDueCommands(std::optional<DeviceId> device, SysTime now,
                                               int limit) override {
    std::vector<Command> out;
    for (const auto& id : order_) {
      const Command& c = commands_[id];
      if (device && c.device_id != *device) continue;
      if (Due(c, now) && static_cast<int>(out.size()) < limit) out.push_back(c);
    }
    return out;
  }
  Result<bool> MarkCommandSent(std::string_view id, SysTime now, SysTime next) override {
    Command& c = commands_[std::string(id)];
    if (!Due(c, now)) return false;
    c.state = CommandState::kSent;
    ++c.attempts;
    if (!c.sent_at) c.sent_at = now;
    c.next_attempt_at = next;
    c.transitions.push_back({CommandState::kSent, now, "attempt " + std::to_string(c.attempts)});
    return true;
  }
  Result<std::optional<Command>> FinishCommand(std::string_view id,
                                               const std::vector<CommandState>& from,
                                               const CommandOutcome& o) override {
    Command& c = commands_[std::string(id)];
    if (std::find(from.begin(), from.end(), c.state) == from.end()) {
      return std::optional<Command>{};
    }
    c.state = o.state;
    c.finished_at = o.at;
    c.result_detail = o.detail;
    c.verified = o.verified;
    c.measured_ma = o.measured_ma;
    c.transitions.push_back({o.state, o.at, o.detail});
    return std::optional<Command>(c);
  }
  Status AppendCommandTransition(std::string_view id, const CommandTransition& t) override {
    commands_[std::string(id)].transitions.push_back(t);
    return Ok{};
  }
  Result<std::vector<Command>> ExpireCommands(SysTime now, int) override {
    std::vector<Command> out;
    for (const auto& id : order_) {
      Command& c = commands_[id];
      if (IsOpen(c.state) && c.expires_at <= now) {
        c.state = CommandState::kExpired;
        c.finished_at = now;
        c.transitions.push_back({CommandState::kExpired, now, "expired"});
        out.push_back(c);
      }
    }
    return out;
  }
  Result<std::vector<Command>> ListSocketCommands(std::span<const DeviceId> devices,
                                                  int recent) override {
    std::vector<Command> out;
    for (DeviceId device : devices) {
      std::vector<Command> succeeded;
      for (const auto& id : order_) {
        const Command& c = commands_[id];
        if (c.device_id != device || (c.name != "relay" && c.name != "cut")) continue;
        if (IsOpen(c.state)) out.push_back(c);
        if (c.state == CommandState::kSucceeded) succeeded.push_back(c);
      }
      std::sort(succeeded.begin(), succeeded.end(),
                [](const Command& x, const Command& y) { return x.finished_at > y.finished_at; });
      if (static_cast<int>(succeeded.size()) > recent) succeeded.resize(recent);
      out.insert(out.end(), succeeded.begin(), succeeded.end());
    }
    return out;
  }

 private:
  static bool Due(const Command& c, SysTime now) {
    return IsOpen(c.state) && c.expires_at > now &&
           (c.state == CommandState::kQueued || (c.next_attempt_at && *c.next_attempt_at <= now));
  }
  std::optional<Command> Find(UserId issuer, DeviceId device, std::string_view key) {
    for (auto& [id, c] : commands_) {
      if (c.issued_by == issuer && c.device_id == device && c.idempotency_key == key) return c;
    }
    return std::nullopt;
  }

  std::map<std::string, Command> commands_;
  std::vector<std::string> order_;
};

class FakeWorkshops final : public WorkshopStore {
 public:
  Result<Workshop> CreateWorkshop(const Workshop& w) override {
    workshops_[w.id.value] = w;
    return w;
  }
  Result<Workshop> GetWorkshop(const Scope& scope, WorkshopId id) override {
    auto it = workshops_.find(id.value);
    if (it == workshops_.end() || !scope.Allows(id)) {
      return MakeError(Errc::kNotFound, "workshop not found", "NOT_FOUND");
    }
    return it->second;
  }
  Result<Page<Workshop>> ListWorkshops(const Scope&, PageRequest, bool) override {
    return Page<Workshop>{};
  }
  Result<Workshop> UpdateWorkshop(const Scope&, const Workshop& w) override { return w; }
  Result<bool> SlugExists(std::string_view) override { return false; }

  std::map<std::int64_t, Workshop> workshops_;
};

// Telemetry with fixed newest values (what IngestService::Latest loads on first use).
class FixedTelemetry final : public TelemetryStore {
 public:
  Status WriteReadings(std::span<const Reading>) override { return Ok{}; }
  Result<std::vector<SeriesPoint>> History(const HistoryQuery&) override {
    return std::vector<SeriesPoint>{};
  }
  Result<SeriesStats> Stats(DeviceId, std::string_view, std::int64_t, std::int64_t) override {
    return SeriesStats{};
  }
  Result<std::vector<Reading>> Raw(DeviceId, std::span<const std::string>, std::int64_t,
                                   std::int64_t, std::size_t) override {
    return std::vector<Reading>{};
  }
  Result<std::vector<LatestValue>> Latest(std::span<const DeviceId> devices) override {
    std::vector<LatestValue> out;
    for (const LatestValue& v : latest_) {
      if (std::find(devices.begin(), devices.end(), v.device) != devices.end()) out.push_back(v);
    }
    return out;
  }
  Result<std::vector<std::string>> Metrics(DeviceId) override { return std::vector<std::string>{}; }
  Result<std::vector<std::pair<DeviceId, std::string>>> MetricsOfAllDevices() override {
    return std::vector<std::pair<DeviceId, std::string>>{};
  }
  Result<std::int64_t> AppendEvent(const DeviceEvent&) override { return 1; }
  Result<std::vector<DeviceEvent>> Events(DeviceId, std::size_t,
                                          std::optional<std::int64_t>) override {
    return std::vector<DeviceEvent>{};
  }
  Result<RetentionResult> ApplyRetention(const RetentionPolicy&) override {
    return RetentionResult{};
  }
  Status PurgeDevice(DeviceId) override { return Ok{}; }

  std::vector<LatestValue> latest_;
};

}  // namespace sw::core::fakes
