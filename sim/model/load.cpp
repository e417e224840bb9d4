#include "model/load.hpp"

#include <algorithm>
#include <cmath>

namespace sw::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kCutInBar = 6.0;
constexpr double kCutOutBar = 8.0;
constexpr double kFillBarPerS = 0.12;
constexpr double kLeakBarPerS = 0.002;

bool IsMotor(LoadKind k) {
  return k == LoadKind::kCompressor || k == LoadKind::kExtractor || k == LoadKind::kFaulty;
}

}  // namespace

std::string_view LoadKindName(LoadKind kind) {
  switch (kind) {
    case LoadKind::kNone: return "none";
    case LoadKind::kHeatGun: return "heat_gun";
    case LoadKind::kCompressor: return "compressor";
    case LoadKind::kExtractor: return "extractor";
    case LoadKind::kLights: return "lights";
    case LoadKind::kCharger: return "charger";
    case LoadKind::kFaulty: return "faulty";
  }
  return "none";
}

std::optional<LoadKind> ParseLoadKind(std::string_view name) {
  for (LoadKind k :
       {LoadKind::kNone, LoadKind::kHeatGun, LoadKind::kCompressor, LoadKind::kExtractor,
        LoadKind::kLights, LoadKind::kCharger, LoadKind::kFaulty}) {
    if (LoadKindName(k) == name) return k;
  }
  return std::nullopt;
}

Load::Load(LoadKind kind, std::uint64_t seed) : kind_(kind), rng_(seed) {
  phase_ = rng_.Uniform(0.0, 2 * kPi);
}

double Load::RatedA() const {
  switch (kind_) {
    case LoadKind::kNone: return 0.0;
    case LoadKind::kHeatGun: return 8.7;
    case LoadKind::kCompressor: return 5.2;
    case LoadKind::kExtractor: return 4.5;
    case LoadKind::kLights: return 0.52;
    case LoadKind::kCharger: return 0.3;
    case LoadKind::kFaulty: return 2.2;
  }
  return 0.0;
}

void Load::Advance(SimTime now, bool powered) {
  const double dt_s =
      advanced_ ? std::clamp(static_cast<double>((now - last_).count()) / 1000.0, 0.0, 3600.0)
                : 0.0;
  advanced_ = true;
  last_ = now;
  powered_ = powered;
  if (kind_ == LoadKind::kCompressor) {
    tank_bar_ -= (air_use_ + kLeakBarPerS) * dt_s;
    if (running_) tank_bar_ += kFillBarPerS * dt_s;
    tank_bar_ = std::clamp(tank_bar_, 0.0, kCutOutBar + 0.2);
  }
  bool want = kind_ != LoadKind::kNone && powered && switch_on_;
  if (want && kind_ == LoadKind::kCompressor) {
    // The pressure switch: on below cut-in, off at cut-out, hysteresis in between.
    want = running_ ? tank_bar_ < kCutOutBar : tank_bar_ < kCutInBar;
  }
  if (want && !running_) started_ = now;
  running_ = want;
}

double Load::CurrentA(SimTime t) const {
  if (!running_ || t < started_) return 0.0;
  const double since_s = static_cast<double>((t - started_).count()) / 1000.0;
  double a = RatedA();
  if (kind_ == LoadKind::kFaulty && fault_) a = 12.8;
  if (kind_ == LoadKind::kHeatGun) {
    a *= 1.0 + 0.02 * std::sin(2 * kPi * since_s / 7.0 + phase_);
  }
  if (IsMotor(kind_)) a *= 1.0 + (kInrushFactor - 1.0) * std::exp(-since_s / kInrushTauS);
  return a;
}

}  // namespace sw::sim
