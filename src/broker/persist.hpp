// Serialisation of retained messages and persistent sessions into the opaque blobs that a
// BrokerStore keeps. A message is a small header (format version, expiry, origin) followed by
// its 5.0 PUBLISH encoding, so every property survives. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/auth.hpp"
#include "broker/message.hpp"
#include "broker/subscription_trie.hpp"
#include "common/result.hpp"

namespace sw::broker {

struct StoredSession {
  ClientIdentity identity;
  std::uint32_t expiry_s = 0;
  std::optional<SysTime> expires_at;
  std::vector<std::pair<std::string, SubscriptionOptions>> subscriptions;  // full filters
  std::vector<Delivery> queue;
};

std::string EncodeMessage(const Message& message);
Result<MessagePtr> DecodeMessage(std::string_view blob);

std::string EncodeSession(const StoredSession& session);
Result<StoredSession> DecodeSession(std::string_view blob);

}  // namespace sw::broker
