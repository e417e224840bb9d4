// PresenceTracker: which devices are online, in memory, so that a reading costs no database
// write (PRODUCT.md §3 "online and last-seen").
//
// Sources: a direct device's MQTT connection (Connected / Disconnected), its retained status
// and last will (Reported), and any message from it or, for outlets, from its gateway on its
// behalf (Seen). Sweep() takes offline the devices that have been silent for longer than
// their threshold (3 report intervals, at least `min_offline_after`). A gateway's outlets
// are reached only through it: when the gateway goes offline (disconnect, will, silence) its
// outlets go offline with it (reason "gateway_offline"). TakeDirty() hands the
// changed states to a periodic writer that persists them in one transaction.
//
// Listeners hear every online/offline transition (live events, alerts later), outside the
// lock. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "core/device.hpp"

namespace sw::core {

struct PresenceState {
  DeviceId device;
  WorkshopId workshop;
  std::optional<PitId> pit;
  std::string uid;
  bool online = false;
  std::optional<SysTime> last_seen;
  std::string firmware;
  std::string ip;
  std::optional<std::int64_t> rssi;
  std::optional<std::int64_t> uptime_s;
  std::string reason;  // why the last transition happened: connected, will, silent, status...
};

struct StatusFields {
  std::optional<bool> online;
  std::optional<std::string> firmware;
  std::optional<std::string> ip;
  std::optional<std::int64_t> uptime_s;
  std::optional<std::int64_t> rssi;
};

class PresenceTracker {
 public:
  using Listener = std::function<void(const PresenceState&)>;

  explicit PresenceTracker(std::chrono::seconds min_offline_after = std::chrono::seconds(60))
      : min_offline_after_(min_offline_after) {}

  void AddListener(Listener l) { listeners_.push_back(std::move(l)); }

  void Seen(const Device& d, SysTime now);
  void Connected(const Device& d, SysTime now);
  void Disconnected(const Device& d, SysTime now);
  void Reported(const Device& d, const StatusFields& status, SysTime now);
  void Sweep(SysTime now);

  std::optional<PresenceState> Get(DeviceId id) const;
  std::vector<PresenceState> TakeDirty();
  // Puts states back that could not be persisted (they are retried on the next flush).
  void ReturnDirty(const std::vector<PresenceState>& states);

 private:
  struct Entry {
    PresenceState state;
    std::string parent_uid;  // an outlet's gateway
    std::chrono::seconds offline_after{60};
    bool dirty = false;
  };
  Entry& EntryFor(const Device& d);
  // Applies `online`; returns whether it was a transition.
  bool Set(Entry& e, bool online, SysTime now, std::string reason);
  void Notify(const std::vector<PresenceState>& changes);
  // Takes the online children of gateway `uid` offline; appends the transitions.
  void CascadeOffline(const std::string& uid, std::vector<PresenceState>& changes);
  // Seen / Connected / Disconnected: one online/offline input.
  void Apply(const Device& d, bool online, SysTime now, const char* reason);

  const std::chrono::seconds min_offline_after_;
  std::vector<Listener> listeners_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, Entry> entries_;
};

}  // namespace sw::core
