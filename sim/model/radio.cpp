#include "model/radio.hpp"

#include <algorithm>

namespace sw::sim {

SimTime RadioChannel::Airtime(std::size_t bytes) const {
  const int baud = std::max(params_.baud, 300);
  return SimTime(static_cast<std::int64_t>((bytes * 10 * 1000 + baud - 1) / baud));
}

bool RadioChannel::busy(SimTime now) const {
  return std::any_of(pending_.begin(), pending_.end(),
                     [now](const Tx& t) { return t.start <= now && now < t.end; });
}

void RadioChannel::Transmit(SimTime now, int station, fw::ByteSpan bytes) {
  ++stats_.frames;
  if (pending_.size() >= kMaxPending) {
    ++stats_.lost;
    return;
  }
  Tx tx;
  tx.station = station;
  tx.start = now;
  tx.end = now + Airtime(bytes.size());
  tx.bytes.assign(bytes.begin(), bytes.end());
  tx.dropped = InOutage(now);
  for (Tx& other : pending_) {
    if (other.start < tx.end && tx.start < other.end) {
      if (!other.garbled) ++stats_.collided;
      if (!tx.garbled) ++stats_.collided;
      other.garbled = true;
      tx.garbled = true;
    }
  }
  if (!tx.garbled && rng_.Chance(params_.interference)) {
    tx.garbled = true;
    ++stats_.interfered;
  }
  pending_.push_back(std::move(tx));
}

void RadioChannel::Garble(std::vector<std::uint8_t>* bytes) {
  if (bytes->empty()) return;
  const std::size_t hits = 1 + rng_.Next() % 3;
  for (std::size_t i = 0; i < hits; ++i) {
    (*bytes)[rng_.Next() % bytes->size()] ^= static_cast<std::uint8_t>(1 + rng_.Next() % 255);
  }
}

void RadioChannel::Deliver(SimTime now, std::vector<RadioDelivery>* out) {
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const Tx& a, const Tx& b) { return a.end < b.end; });
  std::size_t done = 0;
  for (; done < pending_.size(); ++done) {
    Tx& tx = pending_[done];
    if (tx.end + params_.delay > now) break;
    for (int s = 0; s < stations_; ++s) {
      if (s == tx.station) continue;
      if (tx.dropped || rng_.Chance(params_.loss)) {
        ++stats_.lost;
        continue;
      }
      RadioDelivery d;
      d.station = s;
      d.bytes = tx.bytes;
      if (tx.garbled) Garble(&d.bytes);
      ++stats_.delivered;
      out->push_back(std::move(d));
    }
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
}

}  // namespace sw::sim
