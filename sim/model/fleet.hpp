// Fleet: which devices to simulate, from a credentials file in the format
// `sitewatch demo --devices-file` writes — one device per line, "uid secret kind" (kind:
// sensor_node, gateway, outlet, camera; a missing kind means sensor_node, so the load
// tools' "uid secret" files work too). Outlets ("GW.XX", XX = radio address in hex) are
// simulated behind their gateway and need no secret of their own; cameras are skipped.
// An outlet line may end with "protocol=1": a legacy PIC outlet (SimLegacyOutlet) instead
// of a Sitewatch (protocol 2, the default) one. A sensor node's line may end with
// "transport=http": it polls the HTTP device API instead of holding an MQTT session
// (gateways cannot: the HTTP API takes no telemetry for a gateway's outlets).
// Pure parsing; thread-safe. Bounded: kMaxDevices lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sw::sim {

struct Credential {
  std::string uid;
  std::string secret;
  std::string kind;
  int protocol = 2;   // outlets: 1 = legacy PIC, 2 = Sitewatch
  bool http = false;  // sensor nodes: the HTTP device API instead of MQTT ("transport=http")
};

struct GatewayPlan {
  Credential credential;
  std::vector<std::uint8_t> outlets;         // radio addresses, in file order
  std::vector<std::uint8_t> legacy_outlets;  // those of them that are legacy PIC outlets
};

struct FleetPlan {
  std::vector<Credential> nodes;
  std::vector<GatewayPlan> gateways;
  std::vector<std::string> skipped;  // uid: why
};

inline constexpr std::size_t kMaxDevices = 100000;

std::optional<std::vector<Credential>> ParseCredentials(std::string_view text, std::string* error);
FleetPlan PlanFleet(const std::vector<Credential>& credentials);
// The uid of the outlet at `address` behind gateway `gateway`: "GW.XX" (XX upper-case hex).
std::string OutletUid(std::string_view gateway, std::uint8_t address);
// "GW.XX" -> ("GW", 0xXX); nullopt when the uid is not an outlet uid.
std::optional<std::pair<std::string, std::uint8_t>> SplitOutletUid(std::string_view uid);

}  // namespace sw::sim
