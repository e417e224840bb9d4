// ProvisioningBridge: the platform's side of device provisioning (PRODUCT.md §4) on the
// built-in broker.
//
//  - It subscribes in-process to sw/provision/+/announce. An announce counts only when its
//    publisher is the provisioning client whose client id is the topic's uid (the broker's
//    policy already allows nothing else); the workshop is the one that client logged in to
//    (DeviceAuthenticator::ProvisioningWorkshop). The payload is decoded strictly
//    (DecodeAnnounce) and handed to DeviceService::Announce, which keeps the device pending.
//  - PublishCredentials() sends the approval's credentials (or the rejection) to
//    sw/provision/{uid}/config at QoS 1, never retained: only that uid's provisioning client
//    may subscribe to it.
//
// Refused announces (bad payload, uid taken, too many pending) are counted by reason and
// logged; they are never fatal. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/device_authenticator.hpp"
#include "broker/broker.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "core/device_service.hpp"

namespace sw::app {

// Decodes `{"kind": ..., "mac": ..., "fw": ..., "sensors": [...]}` (kind required and one of
// sensor_node, gateway, camera; unknown fields refused; bounded sizes). The result's `json`
// is the canonical re-serialisation, kept with the pending device.
Result<core::DeviceAnnouncement> DecodeAnnounce(std::string_view payload);

class ProvisioningBridge {
 public:
  ProvisioningBridge(broker::Broker& broker, DeviceAuthenticator& authenticator,
                     core::DeviceService& devices, const Clock& clock, metrics::Registry& metrics);
  ~ProvisioningBridge();
  ProvisioningBridge(const ProvisioningBridge&) = delete;
  ProvisioningBridge& operator=(const ProvisioningBridge&) = delete;

  void Start();
  void Stop();

  // Publishes `payload` to sw/provision/{uid}/config (QoS 1, not retained). Returns the
  // number of sessions it reached (0: the device is not listening).
  std::size_t PublishCredentials(const std::string& uid, const std::string& payload);

 private:
  void OnAnnounce(const broker::Message& m);

  broker::Broker& broker_;
  DeviceAuthenticator& authenticator_;
  core::DeviceService& devices_;
  const Clock& clock_;
  metrics::Counter& accepted_;
  metrics::Counter& bad_payload_;
  metrics::Counter& refused_;
  std::uint64_t subscription_ = 0;
  bool started_ = false;
};

}  // namespace sw::app
