#include "model/legacy_outlet.hpp"

#include <cmath>

namespace sw::sim {

SimLegacyOutlet::SimLegacyOutlet(const LegacyOutletOptions& options, RadioChannel& radio)
    : options_(options), radio_(radio), station_(radio.Attach()), rng_(options.seed) {
  loads_[0] = Load(LoadKind::kNone, options.seed * 31 + 1);
  loads_[1] = Load(LoadKind::kNone, options.seed * 31 + 2);
}

void SimLegacyOutlet::Plug(int index, LoadKind kind) {
  const bool on = loads_[index].switched_on();
  loads_[index] = Load(kind, options_.seed * 31 + static_cast<std::uint64_t>(index) + 7);
  loads_[index].SetSwitch(on);
}

double SimLegacyOutlet::SocketAmps(int index, SimTime t) const {
  return relay_[index] ? loads_[index].CurrentA(t) : 0.0;
}

void SimLegacyOutlet::Boot(SimTime now) {
  relay_[0] = relay_[1] = false;  // pins LOW: both sockets OFF
  tripped_[0] = tripped_[1] = false;
  window_.clear();
  outbox_.clear();
  // "Cal": the zero point of each sensor, sampled with no load.
  for (int i = 0; i < 2; ++i) {
    SynthesizeWindow(
        Acs712FrontEnd(), now, [](SimTime) { return 0.0; }, rng_, &samples_);
    double sum = 0;
    for (std::uint16_t s : samples_) sum += s;
    zero_[i] = samples_.empty() ? 511.5 : sum / static_cast<double>(samples_.size());
  }
  next_check_ = now + kCheckPeriod;
}

std::uint16_t SimLegacyOutlet::Measure(int index, SimTime now) {
  SynthesizeWindow(
      Acs712FrontEnd(), now, [this, index](SimTime t) { return SocketAmps(index, t); }, rng_,
      &samples_);
  double sum = 0;
  for (std::uint16_t s : samples_) sum += (s - zero_[index]) * (s - zero_[index]);
  const double rms_counts = std::sqrt(sum / static_cast<double>(samples_.size()));
  const double ma = rms_counts * (5000.0 / 1023.0) / 100.0 * 1000.0;
  return static_cast<std::uint16_t>(std::fmin(ma, 65534.0));
}

void SimLegacyOutlet::Send(SimTime at, const fw::LegacyFrame& frame) {
  outbox_.push_back(Pending{at, fw::EncodeLegacy(frame)});
}

void SimLegacyOutlet::Advance(SimTime now) {
  for (int i = 0; i < 2; ++i) loads_[i].Advance(now, relay_[i]);
  // The UART sends one frame after the other.
  while (!outbox_.empty() && outbox_.front().at <= now) {
    ++stats_.frames_sent;
    radio_.Transmit(now, station_, fw::ByteSpan(outbox_.front().bytes));
    outbox_.erase(outbox_.begin());
    if (!outbox_.empty() && outbox_.front().at < now + radio_.Airtime(fw::kLegacyFrameSize)) {
      outbox_.front().at = now + radio_.Airtime(fw::kLegacyFrameSize);
    }
  }
  if (now < next_check_) return;
  next_check_ = now + kCheckPeriod;
  for (int i = 0; i < 2; ++i) {
    if (tripped_[i]) {
      if (now - tripped_at_[i] >= kRetryDelay) {  // "Rty": switch back on
        tripped_[i] = false;
        relay_[i] = true;
        ++stats_.retries;
      }
      continue;
    }
    if (relay_[i] && Measure(i, now) > options_.threshold_ma) {  // "OVL"
      relay_[i] = false;
      tripped_[i] = true;
      tripped_at_[i] = now;
      ++stats_.trips;
    }
  }
  for (int i = 0; i < 2; ++i) loads_[i].Advance(now, relay_[i]);
}

void SimLegacyOutlet::OnRadio(SimTime now, const std::vector<std::uint8_t>& bytes) {
  for (std::uint8_t b : bytes) {
    if (window_.empty() && b != fw::kLegacySof) continue;  // debug text, v2 frames: ignored
    window_.push_back(b);
    if (window_.size() < fw::kLegacyFrameSize) continue;
    fw::LegacyFrame frame;
    const bool ok = fw::DecodeLegacy(fw::ByteSpan(window_.data(), window_.size()), &frame) ==
                    fw::FrameError::kOk;
    window_.clear();  // "CRC!": the whole window is dropped
    if (ok) OnFrame(now, frame);
  }
}

void SimLegacyOutlet::OnFrame(SimTime now, const fw::LegacyFrame& f) {
  if (f.target != options_.address || f.sender != options_.master) return;
  ++stats_.frames_received;
  const std::uint8_t me = options_.address;
  const std::uint8_t master = options_.master;
  const SimTime reply_at = now + SimTime(1);
  switch (f.command) {
    case fw::RadioCommand::kPing: Send(reply_at, fw::LegacyAck(master, me, 0, f.command)); break;
    case fw::RadioCommand::kRelayOn:
    case fw::RadioCommand::kRelayOff: {
      const std::uint8_t socket = f.data_low();
      if (socket != fw::kSocketA && socket != fw::kSocketB) return;
      const int i = socket - 1;
      if (f.command == fw::RadioCommand::kRelayOff) {
        relay_[i] = false;
      } else if (!tripped_[i]) {
        relay_[i] = true;  // while tripped: ACKed, stays off
      }
      loads_[i].Advance(now, relay_[i]);
      Send(reply_at, fw::LegacyAck(master, me, socket, f.command));
      break;
    }
    case fw::RadioCommand::kReadCurrent: {
      const std::uint16_t a = tripped_[0] ? fw::kLegacyOverloadSentinel : Measure(0, now);
      const std::uint16_t b = tripped_[1] ? fw::kLegacyOverloadSentinel : Measure(1, now);
      Send(now + 2 * kReadTime, fw::LegacyReport(master, fw::kSocketA, a));
      Send(now + 2 * kReadTime, fw::LegacyReport(master, fw::kSocketB, b));
      break;
    }
    case fw::RadioCommand::kSetThreshold:
      options_.threshold_ma = f.data;
      Send(reply_at, fw::LegacyAck(master, me, 0, f.command));
      break;
    default: break;  // SET_DEVICE_ID / SET_ID_MASTER need config mode ("Cfg?"); others unknown
  }
}

}  // namespace sw::sim
