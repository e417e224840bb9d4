// Authenticator: the platform's say over who may connect and which topics they may use.
//
// The broker asks it at CONNECT (credentials), at every inbound PUBLISH, at every SUBSCRIBE
// filter and, for filters that start with a wildcard, before each delivery (so `#` never
// leaks a topic the client may not read). Implementations must be thread-safe and quick:
// they are called on I/O threads, sometimes with the routing lock held.
//
// DefaultAuthenticator is the policy until devices exist: no credentials are accepted;
// anonymous clients only when `mqtt.allow_anonymous` is on, and then only outside `sw/`.
#pragma once

#include <string>
#include <string_view>

#include "common/ids.hpp"
#include "protocol/packets.hpp"
#include "protocol/reason_code.hpp"

namespace sw::broker {

struct ClientIdentity {
  std::string client_id;
  std::string username;  // empty when anonymous
  std::string remote_ip;
  bool anonymous = true;
  // Set by the platform's policy for a client bound to one workshop without being a device (a
  // provisioning or integration client): that workshop's id; invalid (0) otherwise. Live
  // connections only: not persisted. An id, not a string: this object is part of every
  // connection's memory.
  WorkshopId workshop = {};
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // kSuccess, or the CONNACK reason: kBadUserNameOrPassword, kNotAuthorized, kBanned...
  // May fill identity.username / anonymous.
  virtual mqtt::ReasonCode Authenticate(const mqtt::Connect& connect, ClientIdentity& identity) = 0;
  virtual bool MayPublish(const ClientIdentity& identity, std::string_view topic) = 0;
  // `filter` is the plain filter (a `$share/{group}/` prefix removed).
  virtual bool MaySubscribe(const ClientIdentity& identity, std::string_view filter) = 0;
  // Whether a message on `topic` may reach the client through a wildcard subscription.
  virtual bool MayReceive(const ClientIdentity& identity, std::string_view topic) = 0;
  // A client authenticated by this policy is connected (after CONNACK) / has gone (its
  // connection closed, whatever the reason). For presence; called on I/O threads.
  virtual void Connected(const ClientIdentity& /*identity*/) {}
  virtual void Disconnected(const ClientIdentity& /*identity*/) {}
};

// Whether the first level of a topic or filter is exactly `level`.
bool FirstLevelIs(std::string_view topic, std::string_view level);

class DefaultAuthenticator final : public Authenticator {
 public:
  explicit DefaultAuthenticator(bool allow_anonymous) : allow_anonymous_(allow_anonymous) {}

  mqtt::ReasonCode Authenticate(const mqtt::Connect& connect, ClientIdentity& identity) override;
  bool MayPublish(const ClientIdentity& identity, std::string_view topic) override;
  bool MaySubscribe(const ClientIdentity& identity, std::string_view filter) override;
  bool MayReceive(const ClientIdentity& identity, std::string_view topic) override;

 private:
  const bool allow_anonymous_;
};

}  // namespace sw::broker
