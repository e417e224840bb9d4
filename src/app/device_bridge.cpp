#include "app/device_bridge.hpp"

#include "common/log.hpp"
#include "http/device_payload.hpp"

namespace sw::app {
namespace {

constexpr std::size_t kMaxCachedDevices = 200'000;

}  // namespace

std::shared_ptr<const core::Device> DeviceDirectory::Load(const std::string& uid) {
  if (auto d = devices_.GetDevice(core::Scope::All(), uid); d.ok()) {
    return std::make_shared<const core::Device>(std::move(d).value());
  }
  return nullptr;
}

std::shared_ptr<const core::Device> DeviceDirectory::Find(const std::string& uid) {
  const SysTime now = clock_.Now();
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(uid);
    if (it != entries_.end()) {
      Entry& e = it->second;
      e.used = now;
      if (now - e.fetched >= ttl_ && !e.queued) {
        e.queued = true;
        stale_.push_back(uid);
      }
      return e.device;
    }
  }
  std::shared_ptr<const core::Device> device = Load(uid);
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxCachedDevices) {
    entries_.clear();
    stale_.clear();
  }
  Entry& e = entries_[uid];
  if (e.queued) std::erase(stale_, uid);
  e = Entry{device, now, now, false};
  return device;
}

void DeviceDirectory::Forget(const std::string& uid) {
  std::lock_guard lock(mutex_);
  if (entries_.erase(uid)) std::erase(stale_, uid);
}

std::size_t DeviceDirectory::Refresh() {
  const SysTime now = clock_.Now();
  std::vector<std::string> uids;
  {
    std::lock_guard lock(mutex_);
    uids.swap(stale_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (!it->second.queued && now - it->second.used >= idle_) {
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::string& uid : uids) {
    std::shared_ptr<const core::Device> device = Load(uid);
    std::lock_guard lock(mutex_);
    auto it = entries_.find(uid);
    if (it == entries_.end() || !it->second.queued) continue;  // forgotten meanwhile
    it->second.device = std::move(device);
    it->second.fetched = clock_.Now();
    it->second.queued = false;
  }
  return uids.size();
}

std::size_t DeviceDirectory::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

DeviceBridge::DeviceBridge(broker::Broker& broker, DeviceAuthenticator& authenticator,
                           core::DeviceStore& devices, core::IngestService& ingest,
                           core::PresenceTracker& presence, const Clock& clock,
                           metrics::Registry& metrics)
    : broker_(broker),
      authenticator_(authenticator),
      devices_(devices),
      ingest_(ingest),
      presence_(presence),
      clock_(clock),
      directory_(devices, clock),
      messages_(metrics.GetCounter("sitewatch_device_messages_total",
                                   "Device messages received from the broker")),
      bad_payloads_(metrics.GetCounter("sitewatch_device_bad_payloads_total",
                                       "Device messages that could not be decoded")),
      unknown_devices_(metrics.GetCounter("sitewatch_device_unknown_total",
                                          "Device messages for unknown or retired devices")),
      refused_(metrics.GetCounter("sitewatch_device_telemetry_refused_total",
                                  "Telemetry messages refused by the ingest pipeline")) {}

DeviceBridge::~DeviceBridge() {
  Stop();
}

void DeviceBridge::Start() {
  authenticator_.SetConnectionHook(
      [this](const std::string& uid, bool connected) { OnConnection(uid, connected); });
  subscriptions_.push_back(broker_.AddInternalSubscriber(
      "sw/d/+/telemetry",
      [this](const broker::Message& m, const broker::AckToken& ack) { OnTelemetry(m, ack); }));
  subscriptions_.push_back(broker_.AddInternalSubscriber(
      "sw/d/+/status", [this](const broker::Message& m, const broker::AckToken&) { OnStatus(m); }));
  subscriptions_.push_back(broker_.AddInternalSubscriber(
      "sw/d/+/event", [this](const broker::Message& m, const broker::AckToken&) { OnEvent(m); }));
  started_ = true;
}

void DeviceBridge::Stop() {
  if (!started_) return;
  started_ = false;
  for (std::uint64_t id : subscriptions_) broker_.RemoveInternalSubscriber(id);
  subscriptions_.clear();
  authenticator_.SetConnectionHook(nullptr);
  FlushPresence();
}

std::shared_ptr<const core::Device> DeviceBridge::DeviceOf(const broker::Message& m) {
  messages_.Inc();
  const std::string uid(DeviceTopicUid(m.topic));
  auto device = uid.empty() ? nullptr : directory_.Find(uid);
  if (!device) {
    unknown_devices_.Inc();
    log::Debug("message for an unknown device", {{"topic", m.topic}});
  }
  return device;
}

void DeviceBridge::OnTelemetry(const broker::Message& m, const broker::AckToken& ack) {
  auto device = DeviceOf(m);
  if (!device) return;
  presence_.Seen(*device, clock_.Now());
  auto decoded = http::DecodeTelemetry(m.payload);
  if (!decoded.ok()) {
    bad_payloads_.Inc();
    log::Debug("bad telemetry payload",
               {{"device", device->uid}, {"error", decoded.error().message}});
    return;  // acknowledged: sending it again would not make it better
  }
  if (decoded->rejected) ingest_.CountRejected(decoded->rejected);
  // The acknowledgement waits for the commit; a failed commit closes the connection without
  // acknowledging, so the device sends it again.
  auto submitted = ingest_.Submit(device, std::move(decoded->samples), [ack](const Status& s) {
    if (ack && !s.ok() && s.error().code == Errc::kUnavailable) {
      ack->Fail();
    }
  });
  if (!submitted.ok()) {
    refused_.Inc();
    log::Debug("telemetry refused",
               {{"device", device->uid}, {"error", submitted.error().message}});
  }
}

void DeviceBridge::OnStatus(const broker::Message& m) {
  auto device = DeviceOf(m);
  if (!device) return;
  if (m.payload.empty()) return;  // a retained status being cleared
  auto status = http::DecodeStatus(m.payload);
  if (!status.ok()) {
    bad_payloads_.Inc();
    return;
  }
  core::StatusFields fields;
  fields.online = status->online;
  fields.firmware = status->firmware;
  fields.ip = status->ip;
  fields.uptime_s = status->uptime_s;
  fields.rssi = status->rssi;
  presence_.Reported(*device, fields, clock_.Now());
  if (status->outlets_rev && device->kind == core::DeviceKind::kGateway) {
    std::lock_guard lock(hook_mutex_);
    if (outlets_revision_hook_) outlets_revision_hook_(*device, *status->outlets_rev);
  }
}

void DeviceBridge::SetOutletsRevisionHook(OutletsRevisionHook hook) {
  std::lock_guard lock(hook_mutex_);
  outlets_revision_hook_ = std::move(hook);
}

void DeviceBridge::OnEvent(const broker::Message& m) {
  auto device = DeviceOf(m);
  if (!device) return;
  const SysTime now = clock_.Now();
  presence_.Seen(*device, now);
  auto event = http::DecodeEvent(m.payload);
  if (!event.ok()) {
    bad_payloads_.Inc();
    return;
  }
  core::DeviceEvent e;
  e.device = device->id;
  e.workshop = device->workshop_id;
  e.ts_ms = event->ts_ms.value_or(ToUnixMillis(now));
  e.type = event->type;
  e.detail_json = event->detail_json;
  if (auto s = ingest_.RecordEvent(e); !s.ok()) {
    log::Warn("device event not stored", {{"device", device->uid}, {"error", s.error().message}});
  }
}

void DeviceBridge::OnConnection(const std::string& uid, bool connected) {
  int open = 0;
  {
    std::lock_guard lock(connections_mutex_);
    int& n = connections_[uid];
    n += connected ? 1 : -1;
    open = n;
    if (n <= 0) connections_.erase(uid);
  }
  auto device = directory_.Find(uid);
  if (!device) return;
  // A takeover opens the new connection before the old one closes: offline only at zero.
  if (connected) {
    presence_.Connected(*device, clock_.Now());
  } else if (open <= 0) {
    presence_.Disconnected(*device, clock_.Now());
  }
}

void DeviceBridge::FlushPresence() {
  std::vector<core::PresenceState> dirty = presence_.TakeDirty();
  if (dirty.empty()) return;
  std::vector<core::PresenceRecord> records;
  records.reserve(dirty.size());
  for (const core::PresenceState& s : dirty) {
    records.push_back(core::PresenceRecord{s.device, s.online, s.last_seen, s.firmware});
  }
  if (auto s = devices_.SavePresence(records); !s.ok()) {
    presence_.ReturnDirty(dirty);
    log::Warn("presence not saved", {{"error", s.error().message}});
  }
}

}  // namespace sw::app
