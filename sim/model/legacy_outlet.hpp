// SimLegacyOutlet: one legacy smart outlet (PIC16F88 firmware v5.3.1) as the reference
// describes it (/work/shared/reference/smart-outlet-system.md §2-3), on its CCU's channel,
// driving the same simulated appliances as SimOutlet through two ACS712-20A front ends.
//
// Its firmware is not ours (no fw core): this model is the PIC's documented behaviour.
//   * Reception: waits for 0xAA, takes the next 8 bytes as one frame, checks EOF and XOR,
//     and drops a bad window whole (no resynchronisation inside it); v2 frames are noise.
//   * Accepts a frame only if target = its ID and sender = its master; anything else,
//     and the config-mode commands (SET_DEVICE_ID, SET_ID_MASTER: no button in the sim),
//     is dropped silently — no NACK exists.
//   * READ_CURRENT: measures socket A, then B (one blocking mains period each), then sends
//     two REPORT_DATA frames whose SENDER is the socket number; 0xFFFF while tripped. The
//     RMS is the PIC's: zero point from a no-load window at boot, no noise floor (idle
//     reads 1-2 counts = 49/98 mA).
//   * RELAY_ON/OFF: ACK(socket, cmd); RELAY_ON on a tripped socket is ACKed and does
//     nothing. SET_THRESHOLD: ACK(0, 0x07), kept. PING: ACK(0, 0x01).
//   * Overload check every 200 ms per socket: above the threshold the relay opens (trip);
//     5 s later it closes again (auto-retry), also after a RELAY_OFF sent during the trip
//     (the reference does not say that OFF cancels it; the PIC's retry timer runs on).
//   * Boot: both relays OFF (NC wiring, nothing persisted but ID, master and threshold).
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "fw/radio_frame.h"
#include "model/adc.hpp"
#include "model/load.hpp"
#include "model/outlet.hpp"
#include "model/radio.hpp"

namespace sw::sim {

struct LegacyOutletOptions {
  std::uint8_t address = 0x01;
  std::uint8_t master = 0x02;  // the CCU's radio address (as re-mastered at installation)
  std::uint16_t threshold_ma = 12000;
  std::uint64_t seed = 1;
};

class SimLegacyOutlet {
 public:
  static constexpr SimTime kCheckPeriod{200};
  static constexpr SimTime kRetryDelay{5000};
  static constexpr SimTime kReadTime{17};  // one mains period per socket (60 Hz)

  SimLegacyOutlet(const LegacyOutletOptions& options, RadioChannel& radio);
  SimLegacyOutlet(const SimLegacyOutlet&) = delete;
  SimLegacyOutlet& operator=(const SimLegacyOutlet&) = delete;

  void Boot(SimTime now);
  void Advance(SimTime now);
  void OnRadio(SimTime now, const std::vector<std::uint8_t>& bytes);

  std::uint8_t address() const { return options_.address; }
  int station() const { return station_; }
  Load& load(int index) { return loads_[index]; }
  const Load& load(int index) const { return loads_[index]; }
  void Plug(int index, LoadKind kind);
  double SocketAmps(int index, SimTime t) const;
  bool relay_on(int index) const { return relay_[index]; }
  bool tripped(int index) const { return tripped_[index]; }
  std::uint16_t threshold_ma() const { return options_.threshold_ma; }
  const OutletStats& stats() const { return stats_; }

 private:
  void OnFrame(SimTime now, const fw::LegacyFrame& frame);
  std::uint16_t Measure(int index, SimTime now);
  void Send(SimTime at, const fw::LegacyFrame& frame);

  struct Pending {
    SimTime at{0};
    fw::LegacyFrameBytes bytes;
  };

  LegacyOutletOptions options_;
  RadioChannel& radio_;
  int station_;
  Load loads_[2];
  Rng rng_;
  bool relay_[2] = {false, false};
  bool tripped_[2] = {false, false};
  SimTime tripped_at_[2] = {SimTime(0), SimTime(0)};
  double zero_[2] = {511.5, 511.5};
  SimTime next_check_{0};
  std::vector<std::uint8_t> window_;  // the 8-byte receive window after 0xAA
  std::vector<Pending> outbox_;
  std::vector<std::uint16_t> samples_;
  OutletStats stats_;
};

}  // namespace sw::sim
