// DeviceService: the device registry — register (secret generated, shown once, stored
// hashed; licence key and trial created), read, change, rotate the secret, retire or purge.
// Applies the permission table and the per-kind rules (outlets hang off a gateway of the
// same workshop at a unique radio address; pits belong to the device's workshop).
// Thread-safe (state lives in the stores).
#pragma once

#include <optional>
#include <string>

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
  std::string name;
  int report_interval_s = 30;
};

struct DevicePatch {
  std::optional<std::string> name;
  std::optional<std::optional<PitId>> pit_id;  // engaged + nullopt: take it out of its pit
  std::optional<DeviceStatus> status;          // active, disabled or maintenance
  std::optional<int> report_interval_s;
};

struct DeviceWithSecret {
  Device device;
  std::string secret;  // shown once; only its hash is stored
};

class DeviceService {
 public:
  DeviceService(Stores stores, Crypto& crypto, const Clock& clock);

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

 private:
  Result<Device> Visible(const Principal& p, Action action, std::string_view uid);

  Stores stores_;
  Crypto& crypto_;
  const Clock& clock_;
};

}  // namespace sw::core
