// DeviceBridge: the platform's side of the device protocol (PRODUCT.md §4) on the built-in
// broker. It subscribes in-process to sw/d/+/telemetry, sw/d/+/status and sw/d/+/event,
// resolves the topic's device (a short-lived cache over the registry), and hands:
//   telemetry -> IngestService (the MQTT acknowledgement waits for the commit: the AckToken
//                travels with the submission and is released after it),
//   status    -> PresenceTracker (retained status and last will); a gateway's "outlets_rev"
//                also to the outlets-revision hook (OutletSync),
//   event     -> the device's event log,
// and any message -> PresenceTracker::Seen. Connections of devices (open/close) come from the
// DeviceAuthenticator. FlushPresence() (run periodically by serve's jobs) persists presence
// (online, last_seen, firmware) in one transaction, so a reading costs no device-row write.
//
// Bad payloads and unknown devices are counted and logged at debug level, never fatal.
// Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "app/device_authenticator.hpp"
#include "broker/broker.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "core/ingest.hpp"
#include "core/ports.hpp"
#include "core/presence.hpp"

namespace sw::app {

// uid -> device, so a message costs no registry read on the broker's threads.
//
// Find reads the registry only on a miss (a device's first message). An entry older than
// `ttl` is still answered from memory — the broker thread never waits for the database,
// which other work (a presence flush, an HTTP request) may hold — and is queued for
// Refresh(), which the periodic jobs run off the broker's threads. So a change to a device
// (disabled, retired, moved to another pit) reaches the message path within ttl plus one
// refresh period; Forget() makes it immediate. Entries not used for `idle` are dropped.
// Thread-safe.
class DeviceDirectory {
 public:
  DeviceDirectory(core::DeviceStore& devices, const Clock& clock,
                  std::chrono::seconds ttl = std::chrono::seconds(5),
                  std::chrono::seconds idle = std::chrono::seconds(600))
      : devices_(devices), clock_(clock), ttl_(ttl), idle_(idle) {}
  // nullptr when the uid is unknown or retired.
  std::shared_ptr<const core::Device> Find(const std::string& uid);
  void Forget(const std::string& uid);
  // Re-reads the entries Find found stale and drops idle ones. Returns how many it re-read.
  std::size_t Refresh();
  std::size_t size() const;

 private:
  struct Entry {
    std::shared_ptr<const core::Device> device;
    SysTime fetched{};
    SysTime used{};
    bool queued = false;  // in stale_
  };
  std::shared_ptr<const core::Device> Load(const std::string& uid);

  core::DeviceStore& devices_;
  const Clock& clock_;
  const std::chrono::seconds ttl_;
  const std::chrono::seconds idle_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<std::string> stale_;
};

class DeviceBridge {
 public:
  DeviceBridge(broker::Broker& broker, DeviceAuthenticator& authenticator,
               core::DeviceStore& devices, core::IngestService& ingest,
               core::PresenceTracker& presence, const Clock& clock, metrics::Registry& metrics);
  ~DeviceBridge();
  DeviceBridge(const DeviceBridge&) = delete;
  DeviceBridge& operator=(const DeviceBridge&) = delete;

  void Start();
  void Stop();

  DeviceDirectory& directory() { return directory_; }
  // Told the outlet registry revision a gateway's status reports ("outlets_rev"), on the
  // broker's threads: must not block (OutletSync::Reported only records it).
  using OutletsRevisionHook = std::function<void(const core::Device& gateway, std::int64_t rev)>;
  void SetOutletsRevisionHook(OutletsRevisionHook hook);
  // Persists the presence changes since the last call.
  void FlushPresence();

 private:
  void OnTelemetry(const broker::Message& m, const broker::AckToken& ack);
  void OnStatus(const broker::Message& m);
  void OnEvent(const broker::Message& m);
  void OnConnection(const std::string& uid, bool connected);
  std::shared_ptr<const core::Device> DeviceOf(const broker::Message& m);

  broker::Broker& broker_;
  DeviceAuthenticator& authenticator_;
  core::DeviceStore& devices_;
  core::IngestService& ingest_;
  core::PresenceTracker& presence_;
  const Clock& clock_;
  DeviceDirectory directory_;

  metrics::Counter& messages_;
  metrics::Counter& bad_payloads_;
  metrics::Counter& unknown_devices_;
  metrics::Counter& refused_;

  std::mutex hook_mutex_;
  OutletsRevisionHook outlets_revision_hook_;
  std::vector<std::uint64_t> subscriptions_;
  std::mutex connections_mutex_;
  std::unordered_map<std::string, int> connections_;  // uid -> open MQTT connections
  bool started_ = false;
};

}  // namespace sw::app
