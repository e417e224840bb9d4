#include "core/presence.hpp"

#include <algorithm>

namespace sw::core {

PresenceTracker::Entry& PresenceTracker::EntryFor(const Device& d) {
  auto [it, inserted] = entries_.try_emplace(d.id.value);
  Entry& e = it->second;
  if (inserted) {
    e.state.device = d.id;
    e.state.online = d.online;
    e.state.last_seen = d.last_seen;
    e.state.firmware = d.firmware_version;
  }
  e.state.workshop = d.workshop_id;
  e.state.pit = d.pit_id;
  e.state.uid = d.uid;
  e.parent_uid = d.parent_uid;
  e.offline_after = std::max<std::chrono::seconds>(min_offline_after_,
                                                   std::chrono::seconds(3 * d.report_interval_s));
  return e;
}

bool PresenceTracker::Set(Entry& e, bool online, SysTime now, std::string reason) {
  if (online) e.state.last_seen = now;
  e.dirty = true;
  if (e.state.online == online) return false;
  e.state.online = online;
  e.state.reason = std::move(reason);
  return true;
}

void PresenceTracker::Notify(const std::vector<PresenceState>& changes) {
  for (const PresenceState& s : changes) {
    for (const Listener& l : listeners_) l(s);
  }
}

void PresenceTracker::CascadeOffline(const std::string& uid, std::vector<PresenceState>& changes) {
  for (auto& [id, e] : entries_) {
    if (e.state.online && !e.parent_uid.empty() && e.parent_uid == uid) {
      e.state.online = false;
      e.state.reason = "gateway_offline";
      e.dirty = true;
      changes.push_back(e.state);
    }
  }
}

void PresenceTracker::Apply(const Device& d, bool online, SysTime now, const char* reason) {
  std::vector<PresenceState> changes;
  {
    std::lock_guard lock(mutex_);
    Entry& e = EntryFor(d);
    if (Set(e, online, now, reason)) {
      changes.push_back(e.state);
      if (!online) CascadeOffline(d.uid, changes);
    }
  }
  Notify(changes);
}

void PresenceTracker::Seen(const Device& d, SysTime now) {
  Apply(d, true, now, "message");
}

void PresenceTracker::Connected(const Device& d, SysTime now) {
  Apply(d, true, now, "connected");
}

void PresenceTracker::Disconnected(const Device& d, SysTime now) {
  Apply(d, false, now, "disconnected");
}

void PresenceTracker::Reported(const Device& d, const StatusFields& status, SysTime now) {
  std::vector<PresenceState> changes;
  {
    std::lock_guard lock(mutex_);
    Entry& e = EntryFor(d);
    bool changed = false;
    if (status.firmware && *status.firmware != e.state.firmware) {
      e.state.firmware = *status.firmware;
      e.dirty = true;
      changed = true;
    }
    if (status.ip) e.state.ip = *status.ip;
    if (status.rssi) e.state.rssi = status.rssi;
    if (status.uptime_s) e.state.uptime_s = status.uptime_s;
    const bool online = status.online.value_or(true);
    const bool transition = Set(e, online, now, online ? "status" : "will");
    if (transition || changed) changes.push_back(e.state);
    if (transition && !online) CascadeOffline(d.uid, changes);
  }
  Notify(changes);
}

void PresenceTracker::Sweep(SysTime now) {
  std::vector<PresenceState> changes;
  {
    std::lock_guard lock(mutex_);
    std::vector<std::string> silent;
    for (auto& [id, e] : entries_) {
      if (!e.state.online || !e.state.last_seen) continue;
      if (now - *e.state.last_seen > e.offline_after) {
        e.state.online = false;
        e.state.reason = "silent";
        e.dirty = true;
        changes.push_back(e.state);
        silent.push_back(e.state.uid);
      }
    }
    for (const std::string& uid : silent) CascadeOffline(uid, changes);
  }
  Notify(changes);
}

std::optional<PresenceState> PresenceTracker::Get(DeviceId id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id.value);
  if (it == entries_.end()) return std::nullopt;
  return it->second.state;
}

std::vector<PresenceState> PresenceTracker::TakeDirty() {
  std::vector<PresenceState> out;
  std::lock_guard lock(mutex_);
  for (auto& [id, e] : entries_) {
    if (!e.dirty) continue;
    e.dirty = false;
    out.push_back(e.state);
  }
  return out;
}

void PresenceTracker::ReturnDirty(const std::vector<PresenceState>& states) {
  std::lock_guard lock(mutex_);
  for (const PresenceState& s : states) {
    auto it = entries_.find(s.device.value);
    if (it != entries_.end()) it->second.dirty = true;
  }
}

}  // namespace sw::core
