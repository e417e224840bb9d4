#include "model/sensors.hpp"

#include <algorithm>
#include <cmath>

namespace sw::sim {
namespace {

std::uint16_t Word(double v) {
  return static_cast<std::uint16_t>(std::clamp(std::lround(v), 0L, 65535L));
}

}  // namespace

std::array<std::uint8_t, 5> Dht22Frame(double temperature_c, double humidity_pct) {
  // The DHT22 reads a little warm and dry next to the BME680.
  const long rh = std::clamp(std::lround((humidity_pct - 1.5) * 10.0), 0L, 1000L);
  const long t = std::clamp(std::lround((temperature_c + 0.3) * 10.0), -400L, 800L);
  const std::uint16_t t_bits =
      static_cast<std::uint16_t>(t < 0 ? (0x8000 | static_cast<std::uint16_t>(-t)) : t);
  std::array<std::uint8_t, 5> f = {
      static_cast<std::uint8_t>(rh >> 8), static_cast<std::uint8_t>(rh & 0xFF),
      static_cast<std::uint8_t>(t_bits >> 8), static_cast<std::uint8_t>(t_bits & 0xFF), 0};
  f[4] = static_cast<std::uint8_t>(f[0] + f[1] + f[2] + f[3]);
  return f;
}

std::array<std::uint8_t, 32> Pms5003Frame(const PitConditions& c) {
  std::array<std::uint8_t, 32> f = {};
  f[0] = 0x42;
  f[1] = 0x4D;
  f[2] = 0;
  f[3] = 28;
  const std::uint16_t words[13] = {// CF=1 "standard particle" values read a little higher indoors.
                                   Word(c.pm1 * 1.05),
                                   Word(c.pm25 * 1.08),
                                   Word(c.pm10 * 1.1),
                                   Word(c.pm1),
                                   Word(c.pm25),
                                   Word(c.pm10),
                                   Word(c.particles[0]),
                                   Word(c.particles[1]),
                                   Word(c.particles[2]),
                                   Word(c.particles[3]),
                                   Word(c.particles[4]),
                                   Word(c.particles[5]),
                                   0};
  for (int i = 0; i < 13; ++i) {
    f[4 + 2 * i] = static_cast<std::uint8_t>(words[i] >> 8);
    f[5 + 2 * i] = static_cast<std::uint8_t>(words[i] & 0xFF);
  }
  std::uint16_t sum = 0;
  for (int i = 0; i < 30; ++i) sum = static_cast<std::uint16_t>(sum + f[i]);
  f[30] = static_cast<std::uint8_t>(sum >> 8);
  f[31] = static_cast<std::uint8_t>(sum & 0xFF);
  return f;
}

fw::Bme680Reading Bme680From(const PitConditions& c) {
  fw::Bme680Reading r;
  r.temperature_cdeg = static_cast<std::int32_t>(std::lround(c.temperature_c * 100.0));
  r.pressure_pa = static_cast<std::uint32_t>(std::lround(c.pressure_hpa * 100.0));
  r.humidity_mpct =
      static_cast<std::uint32_t>(std::clamp(std::lround(c.humidity_pct * 1000.0), 0L, 100000L));
  r.gas_ohm = static_cast<std::uint32_t>(std::max(0L, std::lround(c.gas_ohm)));
  return r;
}

}  // namespace sw::sim
