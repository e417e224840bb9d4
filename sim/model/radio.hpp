// RadioChannel: a shared half-duplex radio channel (HC-12 at 9600 baud) between a CCU and
// its outlets, carrying the real frame bytes.
//
// A transmission occupies the air for its length in bytes × 10 bits / baud. Every other
// station receives it `delay` after it ends, unless:
//   * it overlapped another transmission on the channel (both are garbled: a collision),
//   * an interference burst hit it (probability `interference` per frame; garbled),
//   * the receiver missed it (probability `loss` per frame and receiver; nothing arrives),
//   * the channel is in an outage (nothing arrives; e.g. a jammed band or a dead antenna).
// Garbled frames are delivered with a few bytes corrupted, so the receivers' stream parsers
// (CRC, resynchronisation) decide what survives — as on the real link.
// Sans-I/O: Transmit() and Deliver() take the simulation time. Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "fw/span.h"
#include "model/device.hpp"
#include "model/rng.hpp"

namespace sw::sim {

struct RadioParams {
  double loss = 0.0;          // per frame and receiver, 0..1
  double interference = 0.0;  // per frame, 0..1
  SimTime delay{2};           // from the end of a frame to its delivery
  int baud = 9600;
};

struct RadioStats {
  std::uint64_t frames = 0;      // transmissions
  std::uint64_t collided = 0;    // garbled by overlapping another transmission
  std::uint64_t interfered = 0;  // garbled by an interference burst
  std::uint64_t lost = 0;        // receptions missed (loss or outage)
  std::uint64_t delivered = 0;   // receptions delivered (garbled ones included)
};

struct RadioDelivery {
  int station = 0;
  std::vector<std::uint8_t> bytes;
};

class RadioChannel {
 public:
  static constexpr std::size_t kMaxPending = 256;

  RadioChannel(const RadioParams& params, std::uint64_t seed) : params_(params), rng_(seed) {}

  int Attach() { return stations_++; }
  RadioParams& params() { return params_; }
  void SetOutageUntil(SimTime until) { outage_until_ = until; }
  bool InOutage(SimTime now) const { return now < outage_until_; }

  // Starts a transmission at `now`. A full pending list drops it (counted as lost).
  void Transmit(SimTime now, int station, fw::ByteSpan bytes);
  // Appends the receptions due at or before `now`, in time order.
  void Deliver(SimTime now, std::vector<RadioDelivery>* out);

  SimTime Airtime(std::size_t bytes) const;
  bool busy(SimTime now) const;
  const RadioStats& stats() const { return stats_; }

 private:
  struct Tx {
    int station = 0;
    SimTime start{0};
    SimTime end{0};
    std::vector<std::uint8_t> bytes;
    bool garbled = false;
    bool dropped = false;
  };
  void Garble(std::vector<std::uint8_t>* bytes);

  RadioParams params_;
  Rng rng_;
  int stations_ = 0;
  SimTime outage_until_{0};
  std::vector<Tx> pending_;
  RadioStats stats_;
};

}  // namespace sw::sim
