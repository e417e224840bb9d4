// Tests for the DHT22, PMS5003 and BME680 decoders and the IAQ estimator.
#include <gtest/gtest.h>

#include <cmath>

#include "fw/bme680.h"
#include "fw/dht22.h"
#include "fw/iaq.h"
#include "fw/pms5003.h"

namespace sw::fw {
namespace {

// ---- DHT22 ----

TEST(Dht22Test, DecodesDatasheetExample) {
  // AM2302 datasheet: RH 65.2 % = 0x028C, T 35.1 °C = 0x015F, checksum 0xEE.
  const uint8_t frame[] = {0x02, 0x8C, 0x01, 0x5F, 0xEE};
  Dht22Reading r;
  ASSERT_EQ(DecodeDht22(ByteSpan(frame), &r), Dht22Error::kOk);
  EXPECT_EQ(r.humidity_dpct, 652);
  EXPECT_EQ(r.temperature_dc, 351);
}

TEST(Dht22Test, NegativeTemperatureUsesSignBit) {
  // -10.1 °C = 0x8065 (sign-magnitude, not two's complement).
  const uint8_t frame[] = {0x01, 0xF4, 0x80, 0x65, static_cast<uint8_t>(0x01 + 0xF4 + 0x80 + 0x65)};
  Dht22Reading r;
  ASSERT_EQ(DecodeDht22(ByteSpan(frame), &r), Dht22Error::kOk);
  EXPECT_EQ(r.temperature_dc, -101);
  EXPECT_EQ(r.humidity_dpct, 500);
}

TEST(Dht22Test, RejectsBadChecksumLengthAndRange) {
  const uint8_t bad_sum[] = {0x02, 0x8C, 0x01, 0x5F, 0xED};
  Dht22Reading r;
  EXPECT_EQ(DecodeDht22(ByteSpan(bad_sum), &r), Dht22Error::kBadChecksum);
  EXPECT_EQ(DecodeDht22(ByteSpan(bad_sum, 4), &r), Dht22Error::kBadLength);
  const uint8_t too_wet[] = {0x03, 0xE9, 0x00, 0x00, 0xEC};  // 100.1 %
  EXPECT_EQ(DecodeDht22(ByteSpan(too_wet), &r), Dht22Error::kOutOfRange);
}

TEST(Dht22Test, DemodulatesPulseWidths) {
  const uint8_t expected[] = {0x02, 0x8C, 0x01, 0x5F, 0xEE};
  uint16_t pulses[kDht22FrameBits];
  for (size_t bit = 0; bit < kDht22FrameBits; ++bit) {
    const bool one = (expected[bit / 8] >> (7 - bit % 8)) & 1;
    pulses[bit] = one ? 70 : 27;
  }
  uint8_t bytes[kDht22FrameBytes];
  ASSERT_EQ(Dht22BitsFromPulses(Span<const uint16_t>(pulses), bytes), Dht22Error::kOk);
  for (size_t i = 0; i < kDht22FrameBytes; ++i) EXPECT_EQ(bytes[i], expected[i]);
}

// ---- PMS5003 ----

const uint8_t kPmsFrame[kPms5003FrameSize] = {
    0x42, 0x4D, 0x00, 0x1C, 0x00, 0x05, 0x00, 0x08, 0x00, 0x09, 0x00, 0x04, 0x00, 0x07, 0x00, 0x09,
    0x04, 0x26, 0x01, 0x36, 0x00, 0x34, 0x00, 0x06, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x01, 0x73};

void ExpectKnownFrame(const Pms5003Reading& r) {
  EXPECT_EQ(r.pm1_standard, 5);
  EXPECT_EQ(r.pm25_standard, 8);
  EXPECT_EQ(r.pm10_standard, 9);
  EXPECT_EQ(r.pm1, 4);
  EXPECT_EQ(r.pm25, 7);
  EXPECT_EQ(r.pm10, 9);
  EXPECT_EQ(r.particles_03um, 1062);
  EXPECT_EQ(r.particles_05um, 310);
  EXPECT_EQ(r.particles_10um, 52);
  EXPECT_EQ(r.particles_25um, 6);
  EXPECT_EQ(r.particles_50um, 2);
  EXPECT_EQ(r.particles_100um, 1);
}

TEST(Pms5003Test, DecodesAllFields) {
  Pms5003Reading r;
  ASSERT_EQ(DecodePms5003(ByteSpan(kPmsFrame), &r), Pms5003Error::kOk);
  ExpectKnownFrame(r);
}

TEST(Pms5003Test, RejectsCorruption) {
  Pms5003Reading r;
  uint8_t f[kPms5003FrameSize];
  for (size_t i = 0; i < sizeof f; ++i) f[i] = kPmsFrame[i];
  f[20] ^= 0x01;
  EXPECT_EQ(DecodePms5003(ByteSpan(f), &r), Pms5003Error::kBadChecksum);
  f[20] ^= 0x01;
  f[3] = 0x1D;
  EXPECT_EQ(DecodePms5003(ByteSpan(f), &r), Pms5003Error::kBadFrameLength);
  f[3] = 0x1C;
  f[1] = 0x4C;
  EXPECT_EQ(DecodePms5003(ByteSpan(f), &r), Pms5003Error::kBadStart);
  EXPECT_EQ(DecodePms5003(ByteSpan(kPmsFrame, 31), &r), Pms5003Error::kBadLength);
}

TEST(Pms5003Test, StreamParserResynchronises) {
  Pms5003Parser parser;
  Pms5003Reading r;
  int frames = 0;
  auto feed = [&](const uint8_t* bytes, size_t n) {
    for (size_t i = 0; i < n; ++i) frames += parser.Push(bytes[i], &r) ? 1 : 0;
  };
  const uint8_t garbage[] = {0x00, 0x42, 0x42, 0x4D, 0x00, 0x99, 0x42, 0x4D, 0x00, 0x1C, 0x01};
  feed(garbage, sizeof garbage);
  feed(kPmsFrame, 17);                // a frame cut in half ...
  feed(kPmsFrame, sizeof kPmsFrame);  // ... then a whole one
  EXPECT_EQ(frames, 1);
  ExpectKnownFrame(r);
  feed(kPmsFrame, sizeof kPmsFrame);
  EXPECT_EQ(frames, 2);
  EXPECT_GT(parser.bad_frames(), 0u);
}

// ---- BME680 ----

// Calibration dump of a real BME680 and the values the Bosch integer formulas give for it,
// as published with pimoroni/bme680-python's test-suite (issue #11).
Bme680Calibration RealCalibration() {
  Bme680Calibration c;
  c.par_t1 = 26041;
  c.par_t2 = 26469;
  c.par_t3 = 3;
  c.par_p1 = 36673;
  c.par_p2 = -10515;
  c.par_p3 = 88;
  c.par_p4 = 7310;
  c.par_p5 = -129;
  c.par_p6 = 30;
  c.par_p7 = 46;
  c.par_p8 = -3177;
  c.par_p9 = -2379;
  c.par_p10 = 30;
  c.par_h1 = 676;
  c.par_h2 = 1029;
  c.par_h3 = 0;
  c.par_h4 = 45;
  c.par_h5 = 20;
  c.par_h6 = 120;
  c.par_h7 = -100;
  c.range_sw_err = 0;
  return c;
}

TEST(Bme680Test, TemperatureMatchesReference) {
  int32_t t_fine = 0;
  EXPECT_EQ(Bme680Temperature(RealCalibration(), 501240, &t_fine), 2669);  // 26.69 °C
  EXPECT_EQ(t_fine, 136667);
}

TEST(Bme680Test, PressureMatchesReference) {
  EXPECT_EQ(Bme680Pressure(RealCalibration(), 353485, 136667), 98712u);  // 987.12 hPa
}

TEST(Bme680Test, HumidityMatchesReference) {
  EXPECT_EQ(Bme680Humidity(RealCalibration(), 19019, 136667), 42402u);  // 42.402 %RH
}

TEST(Bme680Test, HumidityIsClamped) {
  EXPECT_EQ(Bme680Humidity(RealCalibration(), 65535, 136667), 100000u);
  EXPECT_EQ(Bme680Humidity(RealCalibration(), 0, 136667), 0u);
}

TEST(Bme680Test, GasResistanceLowVariant) {
  // At adc 512 (mid-scale) the datasheet formula reduces to const_array2[range] / 512:
  // 1 / (125 ns × 2^range) = 8 MΩ at range 0; range 7 carries the -0.8 % k1 correction
  // (32258064 / 512 = 63004 Ω).
  const Bme680Calibration c = RealCalibration();
  EXPECT_NEAR(Bme680GasResistance(c, Bme68xVariant::kBme680, 512, 0), 8000000.0, 2.0);
  EXPECT_NEAR(Bme680GasResistance(c, Bme68xVariant::kBme680, 512, 7), 63004.0, 2.0);
  // Higher adc -> lower resistance, monotonic within a range.
  EXPECT_GT(Bme680GasResistance(c, Bme68xVariant::kBme680, 300, 5),
            Bme680GasResistance(c, Bme68xVariant::kBme680, 700, 5));
}

TEST(Bme680Test, GasResistanceHighVariantMatchesReference) {
  EXPECT_EQ(Bme680GasResistance(RealCalibration(), Bme68xVariant::kBme688, 0, 0), 102400000u);
  EXPECT_EQ(Bme680GasResistance(RealCalibration(), Bme68xVariant::kBme688, 512, 4), 4000000u);
}

TEST(Bme680Test, CompensateCombinesAll) {
  Bme680Raw raw;
  raw.temp_adc = 501240;
  raw.press_adc = 353485;
  raw.hum_adc = 19019;
  raw.gas_adc = 512;
  raw.gas_range = 0;
  raw.gas_valid = true;
  const Bme680Reading r = CompensateBme680(RealCalibration(), Bme68xVariant::kBme680, raw);
  EXPECT_EQ(r.temperature_cdeg, 2669);
  EXPECT_EQ(r.pressure_pa, 98712u);
  EXPECT_EQ(r.humidity_mpct, 42402u);
  EXPECT_GT(r.gas_ohm, 7900000u);
  raw.gas_valid = false;
  EXPECT_EQ(CompensateBme680(RealCalibration(), Bme68xVariant::kBme680, raw).gas_ohm, 0u);
}

// ---- IAQ ----

TEST(IaqTest, CleanAirAtOptimalHumidityIsBest) {
  IaqEstimator iaq;
  IaqOutput out;
  for (int i = 0; i < 40; ++i) out = iaq.Update(150000.0f, 40.0f);
  EXPECT_NEAR(out.iaq, 0.0f, 0.5f);
  EXPECT_EQ(out.accuracy, 1);
  out = iaq.Update(15000.0f, 40.0f);  // gas resistance falls tenfold: VOCs
  EXPECT_GT(out.iaq, 300.0f);
}

TEST(IaqTest, AccuracyZeroWhileWarmingUp) {
  IaqEstimator iaq;
  EXPECT_EQ(iaq.Update(100000.0f, 40.0f).accuracy, 0);
}

TEST(IaqTest, NewMaximumDoesNotMakeTheIndexJump) {
  // The PPF node set the baseline to every new maximum: one 300 kΩ spike moved the index of
  // an unchanged 100 kΩ reading from 0 to ~250. Here the baseline moves by a small step.
  IaqEstimator iaq;
  IaqOutput before;
  for (int i = 0; i < 100; ++i) before = iaq.Update(100000.0f, 40.0f);
  iaq.Update(300000.0f, 40.0f);
  const IaqOutput after = iaq.Update(100000.0f, 40.0f);
  EXPECT_LT(std::fabs(after.iaq - before.iaq), 20.0f);
}

TEST(IaqTest, SmallInputChangesGiveSmallOutputChanges) {
  IaqEstimator iaq;
  float gas = 200000.0f;
  float humidity = 20.0f;
  IaqOutput prev = iaq.Update(gas, humidity);
  float worst = 0.0f;
  for (int i = 0; i < 2000; ++i) {
    gas *= (i / 300) % 2 == 0 ? 0.995f : 1.005f;  // slow swings down and up
    humidity += (i / 500) % 2 == 0 ? 0.05f : -0.05f;
    const IaqOutput out = iaq.Update(gas, humidity);
    worst = std::fmax(worst, std::fabs(out.iaq - prev.iaq));
    prev = out;
  }
  EXPECT_LT(worst, 5.0f);
}

}  // namespace
}  // namespace sw::fw
