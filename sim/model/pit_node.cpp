#include "model/pit_node.hpp"

#include <cmath>

#include "model/rng.hpp"
#include "model/scenario.hpp"
#include "model/sensors.hpp"

namespace sw::sim {

PitNode::PitNode(const PitNodeOptions& options, const WallClock& wall)
    : options_(options), wall_(wall), store_(nvm_), pit_(options.pit, options.seed) {}

double PitNode::LocalHour(SimTime now) const {
  const std::int64_t local_s = wall_.UnixMs(now) / 1000 + options_.utc_offset_s;
  const std::int64_t day_s = ((local_s % 86400) + 86400) % 86400;
  return static_cast<double>(day_s) / 3600.0;
}

void PitNode::Start(SimTime now, Actions& out) {
  fw::SensorNodeConfig c;
  c.uid = options_.uid;
  c.firmware_version = options_.firmware;
  c.default_interval_s = options_.interval_s;
  c.min_interval_s = std::min<std::uint32_t>(5, options_.interval_s);
  c.jitter_seed = static_cast<std::uint32_t>(HashSeed(options_.uid, options_.seed));
  node_ = std::make_unique<fw::SensorNode>(c, &store_);
  actions_.Clear();
  node_->Boot(Tick32(now), &actions_);
  Convert(now, out);
  node_->SetWallClock(Tick32(now), wall_.UnixMs(now));
  next_dht_ = now + SimTime(500);
  next_pms_ = now + SimTime(1000);
  next_bme_ = now + SimTime(300);
}

void PitNode::Boot(SimTime now, Actions& out) {
  last_pit_ = now;
  pit_.Step(SimTime(0), LocalHour(now));
  Start(now, out);
}

void PitNode::Convert(SimTime now, Actions& out) {
  for (const fw::NodeAction& a : actions_) {
    LinkAction l;
    switch (a.kind) {
      case fw::NodeActionKind::kConnect: l.kind = LinkAction::Kind::kConnect; break;
      case fw::NodeActionKind::kSubscribe: l.kind = LinkAction::Kind::kSubscribe; break;
      case fw::NodeActionKind::kPublish: l.kind = LinkAction::Kind::kPublish; break;
      case fw::NodeActionKind::kSetLed: continue;
      case fw::NodeActionKind::kReboot:
        l.kind = LinkAction::Kind::kAbort;
        down_ = true;
        up_at_ = now + kRebootTime;
        ++reboots_;
        out.push_back(std::move(l));
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

void PitNode::Advance(SimTime now, Actions& out) {
  if (now - last_pit_ >= SimTime(1000)) {
    pit_.Step(now - last_pit_, LocalHour(now));
    last_pit_ = now;
  }
  if (down_) {
    if (now < up_at_) return;
    down_ = false;
    Start(now, out);
  }
  const PitConditions& c = pit_.conditions();
  if (now >= next_dht_) {
    next_dht_ = now + SimTime(2500);
    const auto f = Dht22Frame(c.temperature_c, c.humidity_pct);
    node_->OnDht22Frame(Tick32(now), fw::ByteSpan(f.data(), f.size()));
  }
  if (now >= next_pms_) {
    next_pms_ = now + SimTime(1000);
    const auto f = Pms5003Frame(c);
    node_->OnPms5003Bytes(Tick32(now), fw::ByteSpan(f.data(), f.size()));
  }
  if (now >= next_bme_) {
    next_bme_ = now + SimTime(3000);
    node_->OnBme680(Tick32(now), Bme680From(c));
  }
  actions_.Clear();
  node_->Tick(Tick32(now), &actions_);
  Convert(now, out);
}

void PitNode::OnConnected(SimTime now, Actions& out) {
  if (down_) {
    LinkAction abort;
    abort.kind = LinkAction::Kind::kAbort;
    out.push_back(abort);
    return;
  }
  actions_.Clear();
  node_->OnConnected(Tick32(now), fw::NodeLinkInfo{"127.0.0.1", true, -61}, &actions_);
  Convert(now, out);
}

void PitNode::OnDisconnected(SimTime now, Actions& out) {
  if (down_) return;
  actions_.Clear();
  node_->OnDisconnected(Tick32(now), &actions_);
  Convert(now, out);
}

void PitNode::OnPublishAcked(SimTime now, std::uint32_t token, Actions& out) {
  if (down_) return;
  actions_.Clear();
  node_->OnPublishAcked(Tick32(now), token, &actions_);
  Convert(now, out);
}

void PitNode::OnMessage(SimTime now, std::string_view topic, std::string_view payload,
                        Actions& out) {
  if (down_ || topic != "sw/d/" + options_.uid + "/cmd") return;
  actions_.Clear();
  node_->OnCommand(Tick32(now), payload, &actions_);
  Convert(now, out);
}

bool PitNode::Apply(SimTime now, const Command& c, std::string* error) {
  (void)now;
  const auto& w = c.words;
  const auto on = w.size() == 2 ? ParseOnOff(w[1]) : std::nullopt;
  if (!on) {
    *error = "expected sanding|fan|heater on|off";
    return false;
  }
  if (w[0] == "sanding") {
    pit_.SetSanding(*on);
  } else if (w[0] == "fan") {
    pit_.SetFan(*on);
  } else if (w[0] == "heater") {
    pit_.SetHeater(*on);
  } else {
    *error = "expected sanding|fan|heater on|off";
    return false;
  }
  return true;
}

}  // namespace sw::sim
