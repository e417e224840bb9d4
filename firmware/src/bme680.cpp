// BME680/688 compensation: see fw/bme680.h. The arithmetic follows the integer formulas
// of the BME680 datasheet and the Bosch BME68x SensorAPI. The datasheet uses 32-bit
// ints with shifts of negative numbers; here every intermediate is int64_t, left shifts are
// written as multiplications (shifting a negative value left is undefined in C++17) and
// right shifts of negatives are arithmetic on every compiler we build with, matching the
// reference results bit for bit for real calibration data.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/bme680.h"

namespace sw::fw {

namespace {

constexpr int64_t Shr(int64_t v, int n) {
  return v >> n;
}  // arithmetic

}  // namespace

int32_t Bme680Temperature(const Bme680Calibration& cal, uint32_t temp_adc, int32_t* t_fine) {
  const int64_t var1 = Shr(temp_adc, 3) - int64_t{cal.par_t1} * 2;
  const int64_t var2 = Shr(var1 * cal.par_t2, 11);
  const int64_t var3 = Shr(Shr(Shr(var1, 1) * Shr(var1, 1), 12) * (int64_t{cal.par_t3} * 16), 14);
  const int64_t fine = var2 + var3;
  *t_fine = static_cast<int32_t>(fine);
  return static_cast<int32_t>(Shr(fine * 5 + 128, 8));
}

uint32_t Bme680Pressure(const Bme680Calibration& cal, uint32_t press_adc, int32_t t_fine) {
  int64_t var1 = Shr(t_fine, 1) - 64000;
  int64_t var2 = Shr(Shr(Shr(var1, 2) * Shr(var1, 2), 11) * cal.par_p6, 2);
  var2 = var2 + var1 * cal.par_p5 * 2;
  var2 = Shr(var2, 2) + int64_t{cal.par_p4} * 65536;
  var1 = Shr(Shr(Shr(var1, 2) * Shr(var1, 2), 13) * (int64_t{cal.par_p3} * 32), 3) +
         Shr(int64_t{cal.par_p2} * var1, 1);
  var1 = Shr(var1, 18);
  var1 = Shr((32768 + var1) * cal.par_p1, 15);
  if (var1 == 0) return 0;  // uncalibrated chip: avoid dividing by zero
  int64_t p = 1048576 - int64_t{press_adc};
  p = (p - Shr(var2, 12)) * 3125;
  if (p >= (int64_t{1} << 31)) {
    p = (p / var1) * 2;
  } else {
    p = (p * 2) / var1;
  }
  var1 = Shr(int64_t{cal.par_p9} * Shr(Shr(p, 3) * Shr(p, 3), 13), 12);
  var2 = Shr(Shr(p, 2) * cal.par_p8, 13);
  const int64_t var3 = Shr(Shr(p, 8) * Shr(p, 8) * Shr(p, 8) * cal.par_p10, 17);
  p = p + Shr(var1 + var2 + var3 + int64_t{cal.par_p7} * 128, 4);
  return p < 0 ? 0 : static_cast<uint32_t>(p);
}

uint32_t Bme680Humidity(const Bme680Calibration& cal, uint16_t hum_adc, int32_t t_fine) {
  const int64_t temp_scaled = Shr(int64_t{t_fine} * 5 + 128, 8);
  const int64_t var1 =
      (int64_t{hum_adc} - int64_t{cal.par_h1} * 16) - Shr((temp_scaled * cal.par_h3) / 100, 1);
  const int64_t var2 =
      Shr(int64_t{cal.par_h2} *
              ((temp_scaled * cal.par_h4) / 100 +
               Shr(temp_scaled * ((temp_scaled * cal.par_h5) / 100), 6) / 100 + (int64_t{1} << 14)),
          10);
  const int64_t var3 = var1 * var2;
  int64_t var4 = int64_t{cal.par_h6} * 128;
  var4 = Shr(var4 + (temp_scaled * cal.par_h7) / 100, 4);
  const int64_t var5 = Shr(Shr(var3, 14) * Shr(var3, 14), 10);
  const int64_t var6 = Shr(var4 * var5, 1);
  int64_t h = Shr(Shr(var3 + var6, 10) * 1000, 12);
  if (h > 100000) h = 100000;
  if (h < 0) h = 0;
  return static_cast<uint32_t>(h);
}

uint32_t Bme680GasResistance(const Bme680Calibration& cal, Bme68xVariant variant, uint16_t gas_adc,
                             uint8_t gas_range) {
  gas_range &= 0x0F;
  gas_adc &= 0x03FF;
  if (variant == Bme68xVariant::kBme688) {
    const uint32_t var1 = UINT32_C(262144) >> gas_range;
    const int32_t var2 = 4096 + (int32_t{gas_adc} - 512) * 3;  // always > 0 for 10-bit adc
    return static_cast<uint32_t>(((UINT64_C(10000) * var1) / static_cast<uint32_t>(var2)) * 100);
  }
  static constexpr uint32_t kConst1[16] = {2147483647u, 2147483647u, 2147483647u, 2147483647u,
                                           2147483647u, 2126008810u, 2147483647u, 2130303777u,
                                           2147483647u, 2147483647u, 2143188679u, 2136746228u,
                                           2147483647u, 2126008810u, 2147483647u, 2147483647u};
  static constexpr uint32_t kConst2[16] = {4096000000u, 2048000000u, 1024000000u, 512000000u,
                                           255744255u,  127110228u,  64000000u,   32258064u,
                                           16016016u,   8000000u,    4000000u,    2000000u,
                                           1000000u,    500000u,     250000u,     125000u};
  const int64_t var1 = Shr((1340 + 5 * int64_t{cal.range_sw_err}) * kConst1[gas_range], 16);
  const int64_t var2 = int64_t{gas_adc} * 32768 - 16777216 + var1;
  if (var2 <= 0) return 0;  // outside the sensor's range: no meaningful resistance
  const int64_t r = (Shr(int64_t{kConst2[gas_range]} * var1, 9) + Shr(var2, 1)) / var2;
  return r > 0xFFFFFFFF ? 0xFFFFFFFFu : static_cast<uint32_t>(r);
}

Bme680Reading CompensateBme680(const Bme680Calibration& cal, Bme68xVariant variant,
                               const Bme680Raw& raw) {
  Bme680Reading r;
  r.temperature_cdeg = Bme680Temperature(cal, raw.temp_adc, &r.t_fine);
  r.pressure_pa = Bme680Pressure(cal, raw.press_adc, r.t_fine);
  r.humidity_mpct = Bme680Humidity(cal, raw.hum_adc, r.t_fine);
  r.gas_ohm = raw.gas_valid ? Bme680GasResistance(cal, variant, raw.gas_adc, raw.gas_range) : 0;
  return r;
}

}  // namespace sw::fw
