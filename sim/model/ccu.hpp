// Ccu: a simulated Central Control Unit with its outlets — the fw::CcuGateway radio core
// and the fw::GatewayUplink network side (its actions carried as LinkActions), SimOutlets and
// legacy PIC outlets (SimLegacyOutlet, OutletPlan::legacy) on one RadioChannel, and the main
// breaker's SCT013 clamp measuring the sum of every powered load plus the building's base load
// (lights, office, machines not on smart outlets), which wanders slowly.
//
// The gateway's registry is the server's (`sync_outlets`, docs/DEVICE_PROTOCOL.md). Until the
// server has synced it once (revision 0), the CCU starts with the outlets of its options (the
// devices file) as an installer would set it up; an address the server registers that has no
// simulated outlet yet gets one (a lamp and a charger, adopted by this CCU) when the sync
// arrives; an outlet the server removes stays plugged in but is no longer polled or reported.
//
// Scenario commands (Apply):
//   <ccu> base <mA>                        the base load
//   <ccu> radio loss|interference <0..1>    per-frame probabilities
//   <ccu> radio delay <duration>            extra delay before a frame is heard
//   <ccu> radio outage <duration>           nothing gets through for that long
//   <ccu> restart                           power-cycles the CCU (outlets keep running)
//   <outlet> <a|b> plug <kind>              kinds: see load.hpp (none to unplug)
//   <outlet> <a|b> switch on|off            the appliance's own switch
//   <outlet> <a|b> fault on|off             the faulty appliance overloads
//   <outlet> <a|b> air <bar/s>              the compressor's air use
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fw/ccu_gateway.h"
#include "fw/gateway_uplink.h"
#include "fw/nvm.h"
#include "fw/radio_stream.h"
#include "fw/rms_current.h"
#include "model/fleet.hpp"
#include "model/legacy_outlet.hpp"
#include "model/outlet.hpp"
#include "model/radio.hpp"

namespace sw::sim {

// The simulated CCU's firmware version (its status and its provisioning announce).
inline constexpr const char* kCcuFirmwareVersion = "ccu-sim-1.0.0";

struct SocketPlan {
  LoadKind kind = LoadKind::kNone;
  bool switched_on = false;
  std::uint8_t shed_priority = 128;  // lower is shed first
};

struct OutletPlan {
  std::uint8_t address = 0;
  SocketPlan sockets[2];
  bool legacy = false;  // a legacy PIC outlet (protocol 1) instead of a Sitewatch one
};

// The appliances the simulator plugs in by default: which depends on the CCU's position in
// the fleet (`ccu_index`) and the outlet's (`outlet_index`), so a demo workshop has a heat
// gun, a compressor, lights and a faulty dehumidifier somewhere.
OutletPlan DefaultOutletPlan(std::size_t ccu_index, std::size_t outlet_index, std::uint8_t address);
std::uint8_t ShedPriority(LoadKind kind);

struct CcuOptions {
  std::string uid;
  std::vector<OutletPlan> outlets;
  SimTime interval{5000};
  std::uint32_t breaker_limit_ma = 20000;
  std::uint16_t outlet_threshold_ma = 12000;
  bool relays_on_at_boot = false;
  double base_load_a = 2.0;
  RadioParams radio;
  std::uint64_t seed = 1;
};

class Ccu final : public Device {
 public:
  static constexpr SimTime kBreakerPeriod{500};
  static constexpr SimTime kRebootTime{2000};

  Ccu(const CcuOptions& options, const WallClock& wall);

  const std::string& uid() const override { return options_.uid; }
  void Boot(SimTime now, Actions& out) override;
  void Advance(SimTime now, Actions& out) override;
  void OnConnected(SimTime now, Actions& out) override;
  void OnDisconnected(SimTime now, Actions& out) override;
  void OnPublishAcked(SimTime now, std::uint32_t token, Actions& out) override;
  void OnMessage(SimTime now, std::string_view topic, std::string_view payload,
                 Actions& out) override;
  bool Owns(std::string_view uid) const override;
  bool Apply(SimTime now, const Command& command, std::string* error) override;

  SimOutlet* outlet(std::uint8_t address);
  std::string OutletUidOf(std::uint8_t address) const { return OutletUid(options_.uid, address); }
  std::vector<std::unique_ptr<SimOutlet>>& outlets() { return outlets_; }
  SimLegacyOutlet* legacy_outlet(std::uint8_t address);
  std::vector<std::unique_ptr<SimLegacyOutlet>>& legacy_outlets() { return legacy_outlets_; }
  RadioChannel& radio() { return radio_; }
  fw::CcuGateway& gateway() { return *gateway_; }
  fw::GatewayUplink& uplink() { return *uplink_; }
  std::uint8_t radio_address() const { return own_address_; }
  // The latest breaker reading of the gateway's meter (mA).
  std::uint32_t breaker_ma() const { return breaker_ma_; }
  // The physical breaker current (A) at time t: base load + every powered load.
  double BreakerAmps(SimTime t) const;
  double BaseAmps(SimTime t) const;
  void SetBaseLoad(double amps) { options_.base_load_a = amps; }
  std::uint32_t reboots() const { return reboots_; }

 private:
  void StartFirmware(SimTime now);
  void Handle(SimTime now, const fw::GatewayEffects& fx, Actions& out);
  // Carries the uplink core's actions (cleared afterwards) as LinkActions; a reboot action
  // takes the CCU down.
  void Convert(SimTime now, Actions& out);
  void Reboot(SimTime now, Actions& out);
  template <typename Outlet>
  bool ApplyToOutlet(Outlet& outlet, const Command& command, std::string* error);
  SimOutlet& AddPhysicalOutlet(const OutletPlan& plan);
  SimLegacyOutlet& AddLegacyOutlet(const OutletPlan& plan);
  // Plugs in a simulated outlet (legacy or ours, as registered) for every registered address
  // that has none yet.
  void InstallRegisteredOutlets(SimTime now);

  CcuOptions options_;
  WallClock wall_;
  std::uint8_t own_address_ = 0x02;
  RadioChannel radio_;
  int station_;
  fw::MemoryNvm<fw::ConfigStore::kFootprint> nvm_;
  fw::ConfigStore store_;
  std::unique_ptr<fw::CcuGateway> gateway_;
  std::unique_ptr<fw::GatewayUplink> uplink_;
  fw::UplinkActions actions_;
  fw::RadioStreamParser parser_;
  fw::RmsCurrentMeter breaker_meter_;
  std::vector<std::unique_ptr<SimOutlet>> outlets_;
  std::vector<std::unique_ptr<SimLegacyOutlet>> legacy_outlets_;
  Rng rng_;
  std::vector<std::uint16_t> window_;
  std::vector<RadioDelivery> deliveries_;
  SimTime next_breaker_{0};
  std::uint32_t breaker_ma_ = 0;
  bool down_ = false;
  bool reboot_requested_ = false;
  SimTime up_at_{0};
  std::uint32_t reboots_ = 0;
};

}  // namespace sw::sim
