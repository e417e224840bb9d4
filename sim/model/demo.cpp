#include "model/demo.hpp"

namespace sw::sim {
namespace {

Command Cmd(std::string target, std::vector<std::string> words) {
  return Command{std::move(target), std::move(words)};
}

}  // namespace

SimTime DemoDirector::Between(double lo_s, double hi_s) {
  return SimTime(static_cast<std::int64_t>(rng_.Uniform(lo_s, hi_s) * 1000.0));
}

void DemoDirector::AddPit(const std::string& node_uid, bool prep_bay) {
  Actor a;
  a.role = Role::kPit;
  a.target = node_uid;
  a.prep_bay = prep_bay;
  a.next = Between(5, prep_bay ? 20 : 90);
  actors_.push_back(a);
  if (!prep_bay) {
    Actor h;
    h.role = Role::kHeater;
    h.target = node_uid;
    h.next = Between(30, 300);
    actors_.push_back(h);
  }
}

void DemoDirector::AddCcu(const DemoCcu& ccu) {
  const int index = static_cast<int>(ccus_.size());
  ccus_.push_back(ccu);
  heat_on_.push_back(false);
  fault_on_.push_back(false);
  Actor base;
  base.role = Role::kBase;
  base.target = ccu.uid;
  base.ccu = index;
  actors_.push_back(base);
  for (const DemoSocket& s : ccu.sockets) {
    Actor a;
    a.target = s.outlet_uid;
    a.socket = s.socket;
    a.ccu = index;
    switch (s.kind) {
      case LoadKind::kHeatGun:
      case LoadKind::kExtractor:
        a.role = Role::kBurst;
        a.next = Between(10, 60);
        break;
      case LoadKind::kFaulty:
        a.role = Role::kFault;
        a.next = Between(60, 240);
        break;
      case LoadKind::kCompressor:
        a.role = Role::kAir;
        a.next = Between(20, 60);
        break;
      case LoadKind::kLights:
      case LoadKind::kCharger:
      case LoadKind::kNone: continue;
    }
    a.kind = s.kind;
    actors_.push_back(a);
  }
}

bool DemoDirector::Busy(int ccu, Role role, LoadKind kind) const {
  // The heat gun and a stalled motor on the same breaker together would cross its limit.
  if (role == Role::kFault) return heat_on_[ccu];
  return kind == LoadKind::kHeatGun && fault_on_[ccu];
}

void DemoDirector::Poll(SimTime now, std::vector<Command>* out) {
  for (Actor& a : actors_) {
    if (a.next <= now) Act(now, a, out);
  }
}

void DemoDirector::Act(SimTime now, Actor& a, std::vector<Command>* out) {
  switch (a.role) {
    case Role::kPit: {
      // phase 0 idle -> 1 sanding -> 2 fan running on -> 0
      if (a.phase == 0) {
        const bool with_fan = a.prep_bay || rng_.Chance(0.5);
        out->push_back(Cmd(a.target, {"sanding", "on"}));
        if (with_fan) out->push_back(Cmd(a.target, {"fan", "on"}));
        a.phase = 1;
        a.next = now + (a.prep_bay ? Between(40, 120) : Between(15, 40));
      } else if (a.phase == 1) {
        out->push_back(Cmd(a.target, {"sanding", "off"}));
        a.phase = 2;
        a.next = now + Between(60, 180);
      } else {
        out->push_back(Cmd(a.target, {"fan", "off"}));
        a.phase = 0;
        a.next = now + (a.prep_bay ? Between(60, 240) : Between(300, 900));
      }
      return;
    }
    case Role::kHeater: {
      a.on = !a.on;
      out->push_back(Cmd(a.target, {"heater", a.on ? "on" : "off"}));
      a.next = now + (a.on ? Between(300, 900) : Between(600, 1800));
      return;
    }
    case Role::kBase: {
      const DemoCcu& c = ccus_[static_cast<std::size_t>(a.ccu)];
      const double ma = rng_.Uniform(c.base_min_a, c.base_max_a) * 1000.0;
      out->push_back(Cmd(a.target, {"base", std::to_string(static_cast<int>(ma))}));
      a.next = now + Between(60, 180);
      return;
    }
    case Role::kAir: {
      out->push_back(Cmd(a.target, {a.socket, "air", std::to_string(rng_.Uniform(0.0, 0.08))}));
      a.next = now + Between(30, 90);
      return;
    }
    case Role::kBurst: {
      const bool on = !a.on;
      if (on && Busy(a.ccu, a.role, a.kind)) {
        a.next = now + Between(10, 30);
        return;
      }
      out->push_back(Cmd(a.target, {a.socket, "switch", on ? "on" : "off"}));
      if (a.kind == LoadKind::kHeatGun) heat_on_[static_cast<std::size_t>(a.ccu)] = on;
      a.on = on;
      a.next = now + (on ? Between(30, 90) : Between(60, 180));
      return;
    }
    case Role::kFault: {
      const bool start = !a.on;
      if (start && Busy(a.ccu, a.role, a.kind)) {
        a.next = now + Between(10, 30);
        return;
      }
      out->push_back(Cmd(a.target, {a.socket, "fault", start ? "on" : "off"}));
      fault_on_[static_cast<std::size_t>(a.ccu)] = start;
      a.on = start;
      a.next = now + (start ? Between(8, 15) : Between(240, 480));
      return;
    }
  }
}

}  // namespace sw::sim
