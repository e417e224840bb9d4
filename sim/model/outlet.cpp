#include "model/outlet.hpp"

namespace sw::sim {

SimOutlet::SimOutlet(const OutletOptions& options, RadioChannel& radio)
    : options_(options),
      radio_(radio),
      station_(radio.Attach()),
      store_(nvm_),
      controller_(store_, Acs712SensorSpec()),
      rng_(options.seed) {
  // As installed: adopted by its CCU (address and master set), threshold and power-cut
  // policy written to its EEPROM.
  fw::OutletSettings s;
  s.device_id = options_.address;
  s.master_id = options_.master;
  s.threshold_ma = options_.threshold_ma;
  for (int i = 0; i < 2; ++i) {
    s.policy[i] = options_.relays_on_at_boot ? fw::PowerPolicy::kRestore : fw::PowerPolicy::kOff;
    s.last_on[i] = options_.relays_on_at_boot;
  }
  std::uint8_t bytes[fw::kOutletSettingsSize];
  fw::EncodeOutletSettings(s, fw::MutableByteSpan(bytes));
  store_.Save(fw::ByteSpan(bytes));
  loads_[0] = Load(LoadKind::kNone, options.seed * 31 + 1);
  loads_[1] = Load(LoadKind::kNone, options.seed * 31 + 2);
}

void SimOutlet::Plug(int index, LoadKind kind) {
  const bool on = loads_[index].switched_on();
  loads_[index] = Load(kind, options_.seed * 31 + static_cast<std::uint64_t>(index) + 7);
  loads_[index].SetSwitch(on);
}

void SimOutlet::Boot(SimTime now) {
  fw::OutletEffects fx;
  controller_.Boot(Tick32(now), &fx);
  parser_.Reset();
  next_window_ = now + kWindowLength;
  Handle(now, fx);
}

double SimOutlet::SocketAmps(int index, SimTime t) const {
  return controller_.relay_on(index) ? loads_[index].CurrentA(t) : 0.0;
}

void SimOutlet::Advance(SimTime now) {
  for (int i = 0; i < 2; ++i) loads_[i].Advance(now, controller_.relay_on(i));
  fw::OutletEffects fx;
  if (now >= next_window_) {
    next_window_ = now + kWindowLength;
    const AdcFrontEnd fe = Acs712FrontEnd();
    SynthesizeWindow(
        fe, now, [this](SimTime t) { return SocketAmps(0, t); }, rng_, &window_a_);
    SynthesizeWindow(
        fe, now, [this](SimTime t) { return SocketAmps(1, t); }, rng_, &window_b_);
    controller_.OnAdcWindows(Tick32(now), fw::Span<const std::uint16_t>(window_a_),
                             fw::Span<const std::uint16_t>(window_b_), &fx);
    // A trip switched a relay off: the appliance stops drawing at once.
    for (int i = 0; i < 2; ++i) loads_[i].Advance(now, controller_.relay_on(i));
  }
  controller_.Tick(Tick32(now), false, &fx);
  Handle(now, fx);
}

void SimOutlet::OnRadio(SimTime now, const std::vector<std::uint8_t>& bytes) {
  for (std::uint8_t b : bytes) {
    parser_.Push(b);
    fw::RadioFrame frame;
    while (parser_.Poll(&frame)) {
      if (frame.kind != fw::RadioFrame::Kind::kV2) continue;  // legacy frames: not for us
      ++stats_.frames_received;
      fw::OutletEffects fx;
      controller_.OnFrame(Tick32(now), frame.v2, &fx);
      Handle(now, fx);
    }
  }
}

void SimOutlet::Handle(SimTime now, const fw::OutletEffects& fx) {
  for (const fw::FrameBuffer& f : fx.transmit) {
    ++stats_.frames_sent;
    radio_.Transmit(now, station_, f.View());
  }
  for (const fw::OutletEvent& e : fx.events) {
    if (e.kind == fw::OutletEventKind::kOverloadTrip) ++stats_.trips;
    if (e.kind == fw::OutletEventKind::kOverloadRetry) ++stats_.retries;
  }
}

}  // namespace sw::sim
