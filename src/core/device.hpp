// Devices and their licences (PRODUCT.md §3): the registry's value types and validators.
// Plain data; pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "common/ids.hpp"
#include "common/result.hpp"

namespace sw::core {

using DeviceId = Id<struct DeviceTag>;

enum class DeviceKind { kSensorNode, kGateway, kOutlet, kCamera };
enum class DeviceStatus { kPending, kActive, kDisabled, kSuspended, kMaintenance };
enum class LicenceStatus { kTrial, kActive, kGrace, kSuspended, kExpired, kCancelled };

std::string_view DeviceKindName(DeviceKind kind);
std::optional<DeviceKind> ParseDeviceKind(std::string_view name);
std::string_view DeviceStatusName(DeviceStatus status);
std::optional<DeviceStatus> ParseDeviceStatus(std::string_view name);
std::string_view LicenceStatusName(LicenceStatus status);
std::optional<LicenceStatus> ParseLicenceStatus(std::string_view name);

struct Licence {
  std::string key;  // LIC-XXXX-XXXX-XXXX
  std::string plan = "trial";
  LicenceStatus status = LicenceStatus::kTrial;
  SysTime starts_at{};
  SysTime expires_at{};
  int grace_days = 7;
};

struct Device {
  DeviceId id;
  std::string uid;  // globally unique, [A-Za-z0-9._-]{1,64}
  DeviceKind kind = DeviceKind::kSensorNode;
  WorkshopId workshop_id;
  std::optional<PitId> pit_id;
  std::optional<DeviceId> parent_id;  // outlets: their gateway
  std::string parent_uid;             // filled on read when parent_id is set
  std::optional<int> radio_address;   // outlets: 1..254, unique per gateway
  // Outlets: the radio protocol the gateway must speak to it — 2: Sitewatch v2 frames, 1: a
  // legacy PIC outlet (the seed's 8-byte frames). Other kinds: 2, meaningless.
  int radio_protocol = 2;
  std::string name;
  DeviceStatus status = DeviceStatus::kActive;
  bool online = false;
  std::optional<SysTime> last_seen;
  std::string firmware_version;
  std::string secret_hash;  // SHA-256 of a 256-bit random secret; never leaves the server
  int report_interval_s = 30;
  Licence licence;
  SysTime created_at{};
  SysTime updated_at{};
};

// A device's presence as persisted now and then (PresenceTracker keeps the live state).
struct PresenceRecord {
  DeviceId id;
  bool online = false;
  std::optional<SysTime> last_seen;
  std::string firmware_version;
};

inline constexpr int kTrialDays = 30;

// [A-Za-z0-9._-]{1,64}
Status ValidateDeviceUid(std::string_view uid, std::string_view field = "uid");
// An outlet's uid is its gateway's uid, a dot, and its radio address in two hex digits.
std::string OutletUid(std::string_view gateway_uid, int radio_address);
// LIC-XXXX-XXXX-XXXX from 12 random symbols of an unambiguous alphabet.
std::string FormatLicenceKey(std::string_view random_bytes);

}  // namespace sw::core
