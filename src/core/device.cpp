#include "core/device.hpp"

#include <array>
#include <cstdio>

namespace sw::core {
namespace {

template <typename E, std::size_t N>
std::optional<E> ParseName(std::string_view name, const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 4> kKinds = {"sensor_node", "gateway", "outlet", "camera"};
constexpr std::array<std::string_view, 5> kStatuses = {"pending", "active", "disabled", "suspended",
                                                       "maintenance"};
constexpr std::array<std::string_view, 6> kLicenceStatuses = {"trial",     "active",  "grace",
                                                              "suspended", "expired", "cancelled"};

}  // namespace

std::string_view DeviceKindName(DeviceKind kind) {
  return kKinds[static_cast<std::size_t>(kind)];
}
std::optional<DeviceKind> ParseDeviceKind(std::string_view name) {
  return ParseName<DeviceKind>(name, kKinds);
}
std::string_view DeviceStatusName(DeviceStatus s) {
  return kStatuses[static_cast<std::size_t>(s)];
}
std::optional<DeviceStatus> ParseDeviceStatus(std::string_view name) {
  return ParseName<DeviceStatus>(name, kStatuses);
}
std::string_view LicenceStatusName(LicenceStatus s) {
  return kLicenceStatuses[static_cast<std::size_t>(s)];
}
std::optional<LicenceStatus> ParseLicenceStatus(std::string_view name) {
  return ParseName<LicenceStatus>(name, kLicenceStatuses);
}

Status ValidateDeviceUid(std::string_view uid, std::string_view field) {
  if (uid.empty() || uid.size() > 64) {
    return InvalidField(std::string(field), "must be 1 to 64 characters");
  }
  for (char c : uid) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return InvalidField(std::string(field), "may contain letters, digits and . _ - only");
  }
  return Ok{};
}

std::string OutletUid(std::string_view gateway_uid, int radio_address) {
  char hex[4];
  std::snprintf(hex, sizeof hex, "%02X", radio_address & 0xFF);
  return std::string(gateway_uid) + "." + hex;
}

std::string FormatLicenceKey(std::string_view random_bytes) {
  // No 0/O, 1/I/L: keys are read out over the phone.
  static constexpr std::string_view kAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
  std::string key = "LIC";
  for (std::size_t i = 0; i < 12; ++i) {
    if (i % 4 == 0) key += '-';
    const auto byte = static_cast<unsigned char>(i < random_bytes.size() ? random_bytes[i] : 0);
    key += kAlphabet[byte % kAlphabet.size()];
  }
  return key;
}

}  // namespace sw::core
