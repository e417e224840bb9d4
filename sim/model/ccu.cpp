#include "model/ccu.hpp"

#include <algorithm>
#include <cmath>

#include "model/scenario.hpp"

namespace sw::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

SocketPlan Socket(LoadKind kind, bool on) {
  return SocketPlan{kind, on, ShedPriority(kind)};
}

}  // namespace

std::uint8_t ShedPriority(LoadKind kind) {
  switch (kind) {
    case LoadKind::kFaulty: return 20;
    case LoadKind::kCharger: return 40;
    case LoadKind::kHeatGun: return 60;
    case LoadKind::kCompressor: return 100;
    case LoadKind::kExtractor: return 120;
    case LoadKind::kLights: return 220;
    case LoadKind::kNone: return 128;
  }
  return 128;
}

OutletPlan DefaultOutletPlan(std::size_t ccu_index, std::size_t outlet_index,
                             std::uint8_t address) {
  OutletPlan p;
  p.address = address;
  const bool first_kind = ccu_index % 2 == 0;
  if (outlet_index == 0 && first_kind) {
    p.sockets[0] = Socket(LoadKind::kHeatGun, false);
    p.sockets[1] = Socket(LoadKind::kLights, true);
  } else if (outlet_index == 1 && first_kind) {
    p.sockets[0] = Socket(LoadKind::kCompressor, true);
    p.sockets[1] = Socket(LoadKind::kCharger, true);
  } else if (outlet_index == 0) {
    p.sockets[0] = Socket(LoadKind::kLights, true);
    p.sockets[1] = Socket(LoadKind::kFaulty, true);
  } else if (outlet_index == 1) {
    p.sockets[0] = Socket(LoadKind::kExtractor, false);
    p.sockets[1] = Socket(LoadKind::kHeatGun, false);
  } else {
    p.sockets[0] = Socket(LoadKind::kLights, true);
    p.sockets[1] = Socket(LoadKind::kCharger, true);
  }
  return p;
}

Ccu::Ccu(const CcuOptions& options, const WallClock& wall)
    : options_(options),
      wall_(wall),
      radio_(options.radio, options.seed * 7 + 3),
      station_(radio_.Attach()),
      store_(nvm_),
      breaker_meter_(Sct013SensorSpec()),
      rng_(options.seed) {
  // The gateway's own radio address: the first one no outlet uses.
  for (std::uint8_t a = 0x02; a < 0xFF; ++a) {
    const bool used = std::any_of(options_.outlets.begin(), options_.outlets.end(),
                                  [a](const OutletPlan& p) { return p.address == a; });
    if (!used) {
      own_address_ = a;
      break;
    }
  }
  for (const OutletPlan& plan : options_.outlets) {
    if (plan.legacy) {
      AddLegacyOutlet(plan);
    } else {
      AddPhysicalOutlet(plan);
    }
  }
  // Zero point and noise of the clamp, measured once with the clamp open (no current).
  std::vector<std::uint16_t> zero;
  SynthesizeWindow(
      Sct013FrontEnd(), kWindowLength, [](SimTime) { return 0.0; }, rng_, &zero);
  breaker_meter_.Calibrate(fw::Span<const std::uint16_t>(zero));
}

void Ccu::StartFirmware(SimTime now) {
  fw::GatewayConfig gc;
  gc.own_address = own_address_;
  gc.breaker_threshold_ma = options_.breaker_limit_ma;
  gateway_ = std::make_unique<fw::CcuGateway>(gc, &store_);
  fw::GatewayUplinkConfig uc;
  uc.uid = options_.uid;
  uc.firmware_version = kCcuFirmwareVersion;
  uc.outlet_firmware_version = "outlet-sim-2.0.0";
  uc.interval_ms = static_cast<std::uint32_t>(options_.interval.count());
  uc.jitter_seed = static_cast<std::uint32_t>(options_.seed * 13 + reboots_) | 1u;
  uplink_ = std::make_unique<fw::GatewayUplink>(uc, *gateway_);
  fw::GatewayEffects fx;
  gateway_->Boot(Tick32(now), &fx);
  // The registry comes from the EEPROM; the server fills it (sync_outlets). Until the server
  // has synced it once (revision 0: factory-fresh), the installer's initial set-up stands in:
  // the outlets of the devices file, with the shed priorities of their appliances. After the
  // first sync only the server's list counts, across restarts too.
  if (gateway_->registry_revision() == 0) {
    for (const OutletPlan& plan : options_.outlets) {
      if (gateway_->FindOutlet(plan.address) == nullptr) {
        gateway_->AddOutlet(plan.address, plan.sockets[0].shed_priority,
                            plan.sockets[1].shed_priority, &fx);
      }
      if (plan.legacy) gateway_->SetLegacy(plan.address, true, &fx);
    }
  }
  actions_.Clear();
  uplink_->Boot(Tick32(now), &actions_);
  uplink_->SetWallClock(Tick32(now), wall_.UnixMs(now));
  parser_.Reset();
  next_breaker_ = now;
}

SimOutlet& Ccu::AddPhysicalOutlet(const OutletPlan& plan) {
  OutletOptions o;
  o.address = plan.address;
  o.master = own_address_;
  o.threshold_ma = options_.outlet_threshold_ma;
  o.relays_on_at_boot = options_.relays_on_at_boot;
  o.seed = options_.seed * 101 + outlets_.size() + legacy_outlets_.size() + 1;
  auto outlet = std::make_unique<SimOutlet>(o, radio_);
  for (int i = 0; i < 2; ++i) {
    outlet->Plug(i, plan.sockets[i].kind);
    outlet->load(i).SetSwitch(plan.sockets[i].switched_on);
    if (plan.sockets[i].kind == LoadKind::kCompressor) outlet->load(i).SetAirUse(0.03);
  }
  outlets_.push_back(std::move(outlet));
  return *outlets_.back();
}

SimLegacyOutlet& Ccu::AddLegacyOutlet(const OutletPlan& plan) {
  LegacyOutletOptions o;
  o.address = plan.address;
  o.master = own_address_;
  o.threshold_ma = options_.outlet_threshold_ma;
  o.seed = options_.seed * 101 + outlets_.size() + legacy_outlets_.size() + 1;
  auto outlet = std::make_unique<SimLegacyOutlet>(o, radio_);
  for (int i = 0; i < 2; ++i) {
    outlet->Plug(i, plan.sockets[i].kind);
    outlet->load(i).SetSwitch(plan.sockets[i].switched_on);
    if (plan.sockets[i].kind == LoadKind::kCompressor) outlet->load(i).SetAirUse(0.03);
  }
  legacy_outlets_.push_back(std::move(outlet));
  return *legacy_outlets_.back();
}

void Ccu::InstallRegisteredOutlets(SimTime now) {
  for (std::size_t i = 0; i < gateway_->outlet_count(); ++i) {
    const fw::OutletRecord& r = gateway_->outlet_at(i);
    if (outlet(r.address) != nullptr || legacy_outlet(r.address) != nullptr) continue;
    // An outlet the server registered that this CCU has never seen: an installer plugs in an
    // outlet adopted by this CCU at that address (a PIC one if registered as legacy), with a
    // lamp and a charger.
    const OutletPlan plan = DefaultOutletPlan(0, outlets_.size() + 2, r.address);
    if (r.legacy) {
      AddLegacyOutlet(plan).Boot(now);
    } else {
      AddPhysicalOutlet(plan).Boot(now);
    }
  }
}

void Ccu::Convert(SimTime now, Actions& out) {
  for (const fw::NodeAction& a : actions_) {
    LinkAction l;
    switch (a.kind) {
      case fw::NodeActionKind::kConnect: l.kind = LinkAction::Kind::kConnect; break;
      case fw::NodeActionKind::kSubscribe: l.kind = LinkAction::Kind::kSubscribe; break;
      case fw::NodeActionKind::kPublish: l.kind = LinkAction::Kind::kPublish; break;
      case fw::NodeActionKind::kSetLed: continue;
      case fw::NodeActionKind::kReboot:
        actions_.Clear();
        Reboot(now, out);
        return;  // nothing after a reboot happens
    }
    l.topic = std::string(a.topic);
    l.payload = std::string(a.payload);
    l.qos = a.qos;
    l.retain = a.retain;
    l.token = a.token;
    out.push_back(std::move(l));
  }
  actions_.Clear();
}

void Ccu::Reboot(SimTime now, Actions& out) {
  // The session dies without DISCONNECT (the broker sends the will); RAM is lost.
  LinkAction abort;
  abort.kind = LinkAction::Kind::kAbort;
  out.push_back(abort);
  down_ = true;
  up_at_ = now + kRebootTime;
  ++reboots_;
}

void Ccu::Boot(SimTime now, Actions& out) {
  StartFirmware(now);
  Convert(now, out);
  for (auto& o : outlets_) o->Boot(now);
  for (auto& o : legacy_outlets_) o->Boot(now);
}

SimLegacyOutlet* Ccu::legacy_outlet(std::uint8_t address) {
  for (auto& o : legacy_outlets_) {
    if (o->address() == address) return o.get();
  }
  return nullptr;
}

SimOutlet* Ccu::outlet(std::uint8_t address) {
  for (auto& o : outlets_) {
    if (o->address() == address) return o.get();
  }
  return nullptr;
}

double Ccu::BaseAmps(SimTime t) const {
  const double s = static_cast<double>(t.count()) / 1000.0;
  return std::max(0.0, options_.base_load_a * (1.0 + 0.15 * std::sin(2 * kPi * s / 900.0)));
}

double Ccu::BreakerAmps(SimTime t) const {
  double a = BaseAmps(t);
  for (const auto& o : outlets_) a += o->SocketAmps(0, t) + o->SocketAmps(1, t);
  for (const auto& o : legacy_outlets_) a += o->SocketAmps(0, t) + o->SocketAmps(1, t);
  return a;
}

void Ccu::Handle(SimTime now, const fw::GatewayEffects& fx, Actions& out) {
  for (const fw::FrameBuffer& f : fx.transmit) radio_.Transmit(now, station_, f.View());
  if (down_) return;
  uplink_->OnGatewayEffects(Tick32(now), fx, &actions_);
  Convert(now, out);
}

void Ccu::Advance(SimTime now, Actions& out) {
  if (down_ && now >= up_at_) {
    down_ = false;
    StartFirmware(now);
    Convert(now, out);
  }
  deliveries_.clear();
  radio_.Deliver(now, &deliveries_);
  for (const RadioDelivery& d : deliveries_) {
    if (d.station != station_) {
      for (auto& o : outlets_) {
        if (o->station() == d.station) o->OnRadio(now, d.bytes);
      }
      for (auto& o : legacy_outlets_) {
        if (o->station() == d.station) o->OnRadio(now, d.bytes);
      }
      continue;
    }
    if (down_) continue;
    for (std::uint8_t b : d.bytes) {
      parser_.Push(b);
      fw::RadioFrame frame;
      while (parser_.Poll(&frame)) {
        fw::GatewayEffects fx;
        if (frame.kind == fw::RadioFrame::Kind::kLegacy) {
          gateway_->OnLegacyFrame(Tick32(now), frame.legacy, &fx);
        } else {
          gateway_->OnFrame(Tick32(now), frame.v2, &fx);
        }
        Handle(now, fx, out);
      }
    }
  }
  for (auto& o : outlets_) o->Advance(now);
  for (auto& o : legacy_outlets_) o->Advance(now);
  if (down_) return;
  if (now >= next_breaker_) {
    next_breaker_ = now + kBreakerPeriod;
    SynthesizeWindow(
        Sct013FrontEnd(), now, [this](SimTime t) { return BreakerAmps(t); }, rng_, &window_);
    breaker_ma_ = breaker_meter_.MeasureMilliamps(fw::Span<const std::uint16_t>(window_));
    fw::GatewayEffects fx;
    gateway_->OnBreakerCurrent(Tick32(now), breaker_ma_, &fx);
    Handle(now, fx, out);
  }
  fw::GatewayEffects fx;
  gateway_->Tick(Tick32(now), &fx);
  Handle(now, fx, out);
  if (down_) return;
  uplink_->Tick(Tick32(now), breaker_ma_, &actions_);
  Convert(now, out);
  if (reboot_requested_ && !down_) {
    reboot_requested_ = false;
    Reboot(now, out);
  }
}

void Ccu::OnConnected(SimTime now, Actions& out) {
  if (!down_) {
    fw::NodeLinkInfo link;
    link.ip = "127.0.0.1";
    link.has_rssi = true;
    link.rssi = -48;
    uplink_->OnConnected(Tick32(now), link, &actions_);
    Convert(now, out);
    return;
  }
  LinkAction abort;  // a session that completed while the CCU was rebooting
  abort.kind = LinkAction::Kind::kAbort;
  out.push_back(abort);
}

void Ccu::OnDisconnected(SimTime now, Actions& out) {
  (void)out;
  if (!down_) uplink_->OnDisconnected(Tick32(now));
}

void Ccu::OnPublishAcked(SimTime now, std::uint32_t token, Actions& out) {
  if (down_) return;
  uplink_->OnPublishAcked(Tick32(now), token, &actions_);
  Convert(now, out);
}

void Ccu::OnMessage(SimTime now, std::string_view topic, std::string_view payload, Actions& out) {
  if (down_) return;
  uplink_->OnMessage(Tick32(now), topic, payload, &actions_);
  InstallRegisteredOutlets(now);  // after a sync_outlets
  Convert(now, out);
}

bool Ccu::Owns(std::string_view uid) const {
  if (uid == options_.uid) return true;
  for (const auto& o : outlets_) {
    if (OutletUidOf(o->address()) == uid) return true;
  }
  return false;
}

bool Ccu::Apply(SimTime now, const Command& c, std::string* error) {
  const auto& w = c.words;
  if (c.target != options_.uid) {
    for (auto& o : outlets_) {
      if (OutletUidOf(o->address()) == c.target) return ApplyToOutlet(*o, c, error);
    }
    for (auto& o : legacy_outlets_) {
      if (OutletUidOf(o->address()) == c.target) return ApplyToOutlet(*o, c, error);
    }
    *error = "no such outlet";
    return false;
  }
  if (w.size() == 2 && w[0] == "base") {
    const auto ma = ParseNumber(w[1]);
    if (!ma || *ma < 0 || *ma > 200000) {
      *error = "base needs a current in mA (0..200000)";
      return false;
    }
    options_.base_load_a = *ma / 1000.0;
    return true;
  }
  if (w.size() == 1 && w[0] == "restart") {
    reboot_requested_ = true;
    return true;
  }
  if (w.size() == 3 && w[0] == "radio") {
    if (w[1] == "loss" || w[1] == "interference") {
      const auto p = ParseNumber(w[2]);
      if (!p || *p < 0 || *p > 1) {
        *error = "a probability between 0 and 1";
        return false;
      }
      (w[1] == "loss" ? radio_.params().loss : radio_.params().interference) = *p;
      return true;
    }
    const auto d = ParseDuration(w[2]);
    if (!d || *d > SimTime(24 * 3600 * 1000)) {
      *error = "a duration such as 500ms or 30s";
      return false;
    }
    if (w[1] == "delay") {
      radio_.params().delay = *d;
      return true;
    }
    if (w[1] == "outage") {
      radio_.SetOutageUntil(now + *d);
      return true;
    }
  }
  *error = "expected base <mA> | restart | radio loss|interference <p> | radio delay|outage <d>";
  return false;
}

template <typename Outlet>
bool Ccu::ApplyToOutlet(Outlet& outlet, const Command& c, std::string* error) {
  const auto& w = c.words;
  if (w.size() != 3 || (w[0] != "a" && w[0] != "b")) {
    *error = "expected <a|b> plug <kind> | switch on|off | fault on|off | air <bar/s>";
    return false;
  }
  const int i = w[0] == "a" ? 0 : 1;
  if (w[1] == "plug") {
    const auto kind = ParseLoadKind(w[2]);
    if (!kind) {
      *error = "unknown load kind";
      return false;
    }
    outlet.Plug(i, *kind);
    if (*kind == LoadKind::kCompressor) outlet.load(i).SetAirUse(0.03);
    return true;
  }
  if (w[1] == "air") {
    const auto rate = ParseNumber(w[2]);
    if (!rate || *rate < 0 || *rate > 1) {
      *error = "air use in bar per second (0..1)";
      return false;
    }
    outlet.load(i).SetAirUse(*rate);
    return true;
  }
  const auto on = ParseOnOff(w[2]);
  if (!on || (w[1] != "switch" && w[1] != "fault")) {
    *error = "expected switch|fault on|off";
    return false;
  }
  if (w[1] == "switch") {
    outlet.load(i).SetSwitch(*on);
  } else {
    outlet.load(i).SetFault(*on);
  }
  return true;
}

}  // namespace sw::sim
