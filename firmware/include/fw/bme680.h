// Bosch BME680/BME688 compensation: raw ADC values + the chip's calibration parameters ->
// temperature, pressure, humidity and gas resistance, using the datasheet's integer
// formulas (evaluated in 64-bit so no intermediate overflows; no floating point).
// Reading the calibration registers and triggering measurements is the shell's job.
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstdint>

namespace sw::fw {

struct Bme680Calibration {
  uint16_t par_t1 = 0;
  int16_t par_t2 = 0;
  int8_t par_t3 = 0;
  uint16_t par_p1 = 0;
  int16_t par_p2 = 0;
  int8_t par_p3 = 0;
  int16_t par_p4 = 0;
  int16_t par_p5 = 0;
  int8_t par_p6 = 0;
  int8_t par_p7 = 0;
  int16_t par_p8 = 0;
  int16_t par_p9 = 0;
  uint8_t par_p10 = 0;
  uint16_t par_h1 = 0;
  uint16_t par_h2 = 0;
  int8_t par_h3 = 0;
  int8_t par_h4 = 0;
  int8_t par_h5 = 0;
  uint8_t par_h6 = 0;
  int8_t par_h7 = 0;
  int8_t range_sw_err = 0;  // signed 4-bit value from register 0x04
};

enum class Bme68xVariant : uint8_t { kBme680, kBme688 };

struct Bme680Raw {
  uint32_t temp_adc = 0;   // 20 bit
  uint32_t press_adc = 0;  // 20 bit
  uint16_t hum_adc = 0;    // 16 bit
  uint16_t gas_adc = 0;    // 10 bit
  uint8_t gas_range = 0;   // 4 bit
  bool gas_valid = false;  // gas_valid_r && heat_stab_r
};

struct Bme680Reading {
  int32_t temperature_cdeg = 0;  // 0.01 °C
  int32_t t_fine = 0;            // intermediate shared by pressure and humidity
  uint32_t pressure_pa = 0;
  uint32_t humidity_mpct = 0;  // 0.001 %RH, clamped to 0..100000
  uint32_t gas_ohm = 0;        // 0 when !gas_valid
};

// Each returns its value; temperature also yields t_fine, which the others take.
int32_t Bme680Temperature(const Bme680Calibration& cal, uint32_t temp_adc, int32_t* t_fine);
uint32_t Bme680Pressure(const Bme680Calibration& cal, uint32_t press_adc, int32_t t_fine);
uint32_t Bme680Humidity(const Bme680Calibration& cal, uint16_t hum_adc, int32_t t_fine);
uint32_t Bme680GasResistance(const Bme680Calibration& cal, Bme68xVariant variant, uint16_t gas_adc,
                             uint8_t gas_range);

Bme680Reading CompensateBme680(const Bme680Calibration& cal, Bme68xVariant variant,
                               const Bme680Raw& raw);

}  // namespace sw::fw
