// Provisioning (PRODUCT.md §4, `sitewatch-sim --provision`): new devices that have no
// credentials yet log in with their workshop's provisioning key (username
// "provision:{slug}", client id = the device's uid), listen on sw/provision/{uid}/config,
// announce themselves on sw/provision/{uid}/announce and wait for the credentials an owner's
// approval sends (or {"rejected": true}).
//
// The announce payload, the reading of the reply and Provisioner — the state machine of
// every device's provisioning session over a Transport (client index = position in the
// target list) — are sans-I/O: time is an argument, the tests drive them with a fake
// transport. Thread-safety: none; one thread drives a Provisioner.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/device.hpp"
#include "model/fleet.hpp"

namespace sw::sim {

inline constexpr std::string_view kProvisioningUserPrefix = "provision:";

std::string ProvisioningAnnounceTopic(std::string_view uid);
std::string ProvisioningConfigTopic(std::string_view uid);

// What a new device says about itself; the server accepts exactly these fields.
struct Announcement {
  std::string kind;  // sensor_node or gateway (the simulated kinds)
  std::string mac;
  std::string fw;
  std::vector<std::string> sensors;
};
// The simulated device of `kind` (firmware version and sensors as the sim runs it), with a
// locally administered MAC derived from the uid. nullopt for kinds the sim does not run.
std::optional<Announcement> AnnouncementFor(std::string_view uid, std::string_view kind);
std::string AnnouncePayload(const Announcement& announcement);

// The server's reply on the config topic: credentials after an approval, or a rejection.
struct ProvisioningReply {
  bool rejected = false;
  Credential credential;  // when approved: uid, secret, kind (the caller's)
};
// `uid` is the device's own (a reply for another uid is refused); `kind` goes into the
// credential. nullopt with *error for anything else, e.g. a secret the credentials file
// could not hold (empty, whitespace, longer than 256).
std::optional<ProvisioningReply> ParseProvisioningReply(std::string_view payload,
                                                        std::string_view uid, std::string_view kind,
                                                        std::string* error);

// One line of the credentials file: "uid secret kind\n".
std::string CredentialLine(const Credential& credential);

struct ProvisionTarget {
  std::string uid;
  std::string kind;
};

class Provisioner {
 public:
  enum class State : std::uint8_t { kConnecting, kWaiting, kApproved, kRejected, kTimedOut };
  static constexpr SimTime kRetryDelay{2000};
  static constexpr SimTime kRefusedRetryDelay{5000};

  // `log` gets one human-readable line per event worth telling (waiting for approval,
  // refused login, approved, rejected, timed out).
  Provisioner(std::vector<ProvisionTarget> targets, SimTime timeout, Transport& transport,
              std::function<void(const std::string&)> log);

  void Start(SimTime now);    // connects every device
  void Advance(SimTime now);  // retries and the timeout
  void OnConnected(SimTime now, std::size_t client);
  void OnDisconnected(SimTime now, std::size_t client);  // also: a refused login
  void OnMessage(SimTime now, std::size_t client, std::string_view topic, std::string_view payload);

  bool finished() const;  // every device approved, rejected or timed out
  std::size_t size() const { return devices_.size(); }
  State state(std::size_t client) const { return devices_[client].state; }
  // The device's credentials once approved (kind = the target's).
  const Credential& credential(std::size_t client) const { return devices_[client].credential; }
  // Devices approved since the last call (their client indices), for the caller to store.
  std::vector<std::size_t> TakeApproved();

 private:
  struct Slot {
    ProvisionTarget target;
    State state = State::kConnecting;
    bool session = false;  // a connect was executed and not yet reported ended
    bool was_connected = false;
    SimTime retry_at{-1};
    Credential credential;
  };
  void Connect(Slot& slot, std::size_t client);
  void Finish(std::size_t client, State state);
  bool Done(const Slot& slot) const { return slot.state >= State::kApproved; }

  std::vector<Slot> devices_;
  SimTime timeout_;
  SimTime deadline_{0};
  Transport& transport_;
  std::function<void(const std::string&)> log_;
  std::vector<std::size_t> approved_;
};

}  // namespace sw::sim
