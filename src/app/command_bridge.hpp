// CommandBridge: delivers commands to devices over the built-in broker (issue 7, PRODUCT.md §4).
//
//  - A command queued for a device that is online (PresenceTracker; an outlet is reachable
//    when it or its gateway is online) is claimed (state sent) and published at once to
//    sw/d/{uid}/cmd at QoS 1 as {"id","name","params","expires_at"}.
//  - Tick() (serve's periodic jobs, every second) expires what is past its expiry, then
//    delivers everything due to devices that are online: queued commands (an offline device
//    gets them, oldest first, on the first tick after it is back) and unanswered sent ones
//    whose back-off (2 s, 4 s, 8 s ... up to 60 s) has passed. A re-send carries the same id;
//    devices de-duplicate. Nothing is sent after its expiry (the store's claim checks it).
//  - Results on sw/d/+/cmd/result go to CommandService::ApplyResult for the topic's device
//    (a gateway answers for its outlets on their topics, as the broker's ACL allows).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "app/device_bridge.hpp"
#include "broker/broker.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "core/command_service.hpp"
#include "core/presence.hpp"

namespace sw::app {

class CommandBridge {
 public:
  // Registers a listener on `commands` (immediate delivery of new commands): construct before
  // the HTTP server takes requests.
  CommandBridge(broker::Broker& broker, core::CommandService& commands, core::DeviceStore& devices,
                core::PresenceTracker& presence, const Clock& clock, metrics::Registry& metrics);
  ~CommandBridge();
  CommandBridge(const CommandBridge&) = delete;
  CommandBridge& operator=(const CommandBridge&) = delete;

  void Start();  // subscribes to sw/d/+/cmd/result
  void Stop();
  // Expires, then delivers what is due. Run about once a second.
  void Tick();

 private:
  void Deliver(const core::Command& c);
  bool Reachable(const core::Device& d) const;
  void OnResult(const broker::Message& m);

  broker::Broker& broker_;
  core::CommandService& commands_;
  core::PresenceTracker& presence_;
  const Clock& clock_;
  DeviceDirectory directory_;
  metrics::Counter& published_;
  metrics::Counter& results_;
  metrics::Counter& bad_results_;
  std::uint64_t subscription_ = 0;
  std::atomic<bool> started_{false};  // the service listener delivers only while started
};

}  // namespace sw::app
