// What the pit node's sensors put on their wires for given air conditions: the DHT22's
// 40-bit frame, the PMS5003's 32-byte UART frame and the BME680's compensated reading. The
// node core decodes the first two itself, so the simulator exercises its decoders.
// Each sensor has a small fixed offset (no two sensors agree exactly). Pure functions.
#pragma once

#include <array>
#include <cstdint>

#include "fw/bme680.h"
#include "model/pit.hpp"

namespace sw::sim {

std::array<std::uint8_t, 5> Dht22Frame(double temperature_c, double humidity_pct);
std::array<std::uint8_t, 32> Pms5003Frame(const PitConditions& c);
fw::Bme680Reading Bme680From(const PitConditions& c);

}  // namespace sw::sim
