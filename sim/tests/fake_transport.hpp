// Test helper: a Transport that records what the devices ask for, with helpers to play the
// broker's part (accept connections, acknowledge publishes, deliver commands).
#pragma once

#include <string>
#include <vector>

#include "model/device.hpp"
#include "model/world.hpp"

namespace sw::sim::testing {

struct Sent {
  std::size_t client = 0;
  LinkAction action;
};

class FakeTransport final : public Transport {
 public:
  void Execute(std::size_t client, const LinkAction& action) override {
    sent.push_back(Sent{client, action});
  }
  // Publishes on `topic` so far (payloads), optionally from one client.
  std::vector<std::string> Payloads(const std::string& topic) const {
    std::vector<std::string> out;
    for (const Sent& s : sent) {
      if (s.action.kind == LinkAction::Kind::kPublish && s.action.topic == topic) {
        out.push_back(s.action.payload);
      }
    }
    return out;
  }
  std::size_t Count(LinkAction::Kind kind) const {
    std::size_t n = 0;
    for (const Sent& s : sent) n += s.action.kind == kind ? 1 : 0;
    return n;
  }
  std::vector<Sent> sent;
};

// Plays a well-behaved broker for a World: every connect succeeds and every QoS 1 publish
// is acknowledged on the next call to Serve().
class FakeBroker {
 public:
  FakeBroker(World& world, FakeTransport& transport) : world_(world), transport_(transport) {}
  void Serve(SimTime now) {
    // Handling an event can append more sends: iterate by index.
    for (; served_ < transport_.sent.size(); ++served_) {
      const Sent s = transport_.sent[served_];
      switch (s.action.kind) {
        case LinkAction::Kind::kConnect:
          if (online_) {
            world_.OnConnected(now, s.client);
          } else {
            world_.OnDisconnected(now, s.client);  // refused
          }
          break;
        case LinkAction::Kind::kPublish:
          if (s.action.token != 0) world_.OnPublishAcked(now, s.client, s.action.token);
          break;
        case LinkAction::Kind::kAbort:
        case LinkAction::Kind::kDisconnect: world_.OnDisconnected(now, s.client); break;
        case LinkAction::Kind::kSubscribe: break;
      }
    }
  }
  // Steps the world from `from` to `to` in 5 ms steps, serving after each.
  SimTime Run(SimTime from, SimTime to) {
    for (SimTime t = from + SimTime(5); t <= to; t += SimTime(5)) {
      world_.Advance(t);
      Serve(t);
    }
    return to;
  }
  void set_online(bool online) { online_ = online; }

 private:
  World& world_;
  FakeTransport& transport_;
  std::size_t served_ = 0;
  bool online_ = true;
};

}  // namespace sw::sim::testing
