// DeviceService: the device registry — register (secret generated, shown once, stored
// hashed; licence key and trial created), read, change, rotate the secret, retire or purge.
// Applies the permission table and the per-kind rules (outlets hang off a gateway of the
// same workshop at a unique radio address; pits belong to the device's workshop).
// Provisioning (PRODUCT.md §4): a workshop's provisioning key (shown once, stored hashed),
// devices announcing themselves with it (kept as `pending`, bounded per workshop), and an
// owner approving (credentials generated and returned, for the caller to deliver) or
// rejecting them.
// Thread-safe (state lives in the stores).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "core/device.hpp"
#include "core/ports.hpp"
#include "core/tenancy_service.hpp"

namespace sw::core {

struct DeviceDraft {
  std::string uid;  // outlets: derived from the gateway and radio address when empty
  DeviceKind kind = DeviceKind::kSensorNode;
  std::optional<PitId> pit_id;
  std::string parent_uid;  // outlets only: their gateway
  std::optional<int> radio_address;
  std::optional<int> radio_protocol;  // outlets only: 1 (legacy PIC) or 2 (default)
  std::string name;
  int report_interval_s = 30;
};

struct DevicePatch {
  std::optional<std::string> name;
  std::optional<std::optional<PitId>> pit_id;  // engaged + nullopt: take it out of its pit
  std::optional<DeviceStatus> status;          // active, disabled or maintenance
  std::optional<int> report_interval_s;
  std::optional<int> radio_protocol;  // outlets only; a change re-syncs the gateway
};

struct DeviceWithSecret {
  Device device;
  std::string secret;  // shown once; only its hash is stored
};

struct ProvisioningKeyIssued {
  WorkshopId workshop_id;
  std::string slug;
  std::string key;  // shown once; only its hash is stored
  SysTime rotated_at{};
};

// What a new device says about itself on sw/provision/{uid}/announce (decoded by the app).
struct DeviceAnnouncement {
  DeviceKind kind = DeviceKind::kSensorNode;  // sensor_node, gateway or camera
  std::string mac;
  std::string firmware;
  std::vector<std::string> sensors;
  std::string json;  // the announce as kept with the pending device (opaque to the core)
};

struct DeviceApproval {
  std::optional<PitId> pit_id;
  std::optional<std::string> name;
};

// Pending devices per workshop: a leaked provisioning key cannot flood the registry.
inline constexpr int kMaxPendingDevices = 200;

class DeviceService {
 public:
  // Told the gateway's uid after an outlet of it was registered or retired (OutletSync).
  using OutletsChangedListener = std::function<void(const std::string& gateway_uid)>;

  DeviceService(Stores stores, Crypto& crypto, const Clock& clock);

  // Set once, before use.
  void SetOutletsChangedListener(OutletsChangedListener l) { outlets_changed_ = std::move(l); }

  Result<Page<Device>> List(const Principal& p, WorkshopId workshop, const DeviceFilter& filter,
                            PageRequest page);
  Result<DeviceWithSecret> Register(const Principal& p, WorkshopId workshop,
                                    const DeviceDraft& draft);
  Result<Device> Get(const Principal& p, std::string_view uid);
  Result<Change<Device>> Update(const Principal& p, std::string_view uid, const DevicePatch& patch);
  Result<DeviceWithSecret> RotateSecret(const Principal& p, std::string_view uid);
  Result<Device> Delete(const Principal& p, std::string_view uid, bool purge);

  // Checks a device's credentials (for the broker and the HTTP device API). Unauthenticated
  // for an unknown uid, a wrong secret, or a device that is not allowed to connect.
  Result<Device> Authenticate(std::string_view uid, std::string_view secret);

  // Creates or replaces the workshop's provisioning key (the old one stops working).
  Result<ProvisioningKeyIssued> RotateProvisioningKey(const Principal& p, WorkshopId workshop);
  // For the broker: the workshop (by slug) whose provisioning key is `key`, when a device
  // `uid` may be provisioned through it — a valid uid that is not a device already, or one
  // still pending in that workshop. Unauthenticated for an unknown slug or a wrong key,
  // Forbidden (DEVICE_EXISTS) for a uid that is taken.
  Result<WorkshopId> CheckProvisioningKey(std::string_view slug, std::string_view key,
                                          std::string_view uid);
  // A device announcing itself through a provisioning client of `workshop` (a platform call,
  // no principal): stored as pending, or a pending one updated. Conflict DEVICE_UID_TAKEN or
  // PENDING_LIMIT; invalid input for a bad uid or announce.
  Result<Device> Announce(WorkshopId workshop, std::string_view uid,
                          const DeviceAnnouncement& announce);
  // Approves a pending device: a secret is generated (returned, stored hashed), its trial
  // starts now, it becomes active. Conflict DEVICE_NOT_PENDING for any other device.
  Result<DeviceWithSecret> Approve(const Principal& p, std::string_view uid,
                                   const DeviceApproval& approval);
  // Rejects a pending device: it is removed (its uid may announce again).
  Result<Device> Reject(const Principal& p, std::string_view uid);

 private:
  Result<Device> Visible(const Principal& p, Action action, std::string_view uid);
  Result<Device> VisiblePending(const Principal& p, std::string_view uid);

  Stores stores_;
  Crypto& crypto_;
  const Clock& clock_;
  OutletsChangedListener outlets_changed_;
};

}  // namespace sw::core
