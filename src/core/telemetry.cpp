#include "core/telemetry.hpp"

#include <array>

namespace sw::core {
namespace {

constexpr std::optional<double> kNone;

// PRODUCT.md §3. Ranges without a stated bound use the sensor's physical limits.
constexpr std::array<MetricSpec, 29> kCatalogue = {{
    {"temperature", "°C", -40.0, 85.0},
    {"humidity", "%RH", 0.0, 100.0},
    {"pressure", "hPa", 300.0, 1100.0},
    {"gas_resistance", "Ω", 0.0, 1e9},
    {"iaq", "", 0.0, 500.0},
    {"iaq_accuracy", "", 0.0, 3.0},
    {"pm1", "µg/m³", 0.0, 1000.0},
    {"pm25", "µg/m³", 0.0, 1000.0},
    {"pm10", "µg/m³", 0.0, 1000.0},
    {"particles_03um", "/0.1L", 0.0, 65535.0},
    {"particles_05um", "/0.1L", 0.0, 65535.0},
    {"particles_10um", "/0.1L", 0.0, 65535.0},
    {"particles_25um", "/0.1L", 0.0, 65535.0},
    {"particles_50um", "/0.1L", 0.0, 65535.0},
    {"particles_100um", "/0.1L", 0.0, 65535.0},
    {"current_a_ma", "mA", 0.0, 100000.0},
    {"current_b_ma", "mA", 0.0, 100000.0},
    {"relay_a", "", 0.0, 1.0},
    {"relay_b", "", 0.0, 1.0},
    // An outlet's protection as it reports it: overload trip per socket, and its threshold.
    {"tripped_a", "", 0.0, 1.0},
    {"tripped_b", "", 0.0, 1.0},
    {"threshold_ma", "mA", 0.0, 100000.0},
    {"breaker_current_ma", "mA", 0.0, 1000000.0},
    {"breaker_limit_ma", "mA", 0.0, 1000000.0},  // the gateway's local cut-off limit
    {"power_w", "W", 0.0, 250000.0},
    {"energy_wh", "Wh", 0.0, kNone},
    {"rssi", "dBm", -130.0, 0.0},
    {"uptime_s", "s", 0.0, kNone},
    {"voltage_v", "V", 0.0, 500.0},
}};

}  // namespace

std::span<const MetricSpec> MetricCatalogue() {
  return kCatalogue;
}

const MetricSpec* FindMetric(std::string_view name) {
  for (const MetricSpec& m : kCatalogue) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

bool ValidMetricName(std::string_view name) {
  if (name.empty() || name.size() > 48) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string_view ResolutionName(Resolution r) {
  switch (r) {
    case Resolution::kRaw: return "raw";
    case Resolution::kMinute: return "minute";
    case Resolution::kHour: return "hour";
  }
  return "raw";
}

std::optional<Resolution> ParseResolution(std::string_view name) {
  if (name == "raw") return Resolution::kRaw;
  if (name == "minute") return Resolution::kMinute;
  if (name == "hour") return Resolution::kHour;
  return std::nullopt;
}

std::int64_t ResolutionMillis(Resolution r) {
  switch (r) {
    case Resolution::kRaw: return 0;
    case Resolution::kMinute: return 60'000;
    case Resolution::kHour: return 3'600'000;
  }
  return 0;
}

}  // namespace sw::core
