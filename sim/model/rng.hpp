// Rng: a small deterministic pseudo-random generator (SplitMix64) for the simulation, so a
// run with the same seed produces the same physics, radio losses and collisions.
// Thread-safety: none; one generator per model object.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace sw::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 1) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  bool Chance(double p) { return p > 0 && Uniform() < p; }
  // Standard normal (Box-Muller).
  double Normal() {
    const double u1 = Uniform() + 1e-300;
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t state_;
};

// A stable 64-bit hash (FNV-1a) for seeding per-device generators from a uid.
inline std::uint64_t HashSeed(std::string_view text, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ull ^ seed;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace sw::sim
