// BrokerStore: the port through which the broker persists retained messages and persistent
// sessions. The broker serialises both into opaque blobs (persist.hpp), so a backend stores
// keyed byte strings and knows nothing of MQTT. The SQLite implementation lives in
// src/storage/sqlite/broker_store.hpp and is adapted to this port in src/app.
//
// Retained messages are written through on every change. Persistent sessions are written
// incrementally (UpdateSessions, about once a second, only the changed ones) and as one
// snapshot (ReplaceSessions) when the broker stops, so a crash loses at most the last second
// of session changes (and what connections had in flight), never retained messages.
// Implementations must be thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace sw::broker {

using KeyedBlob = std::pair<std::string, std::string>;  // key, blob

class BrokerStore {
 public:
  virtual ~BrokerStore() = default;
  virtual Status PutRetained(std::string_view topic, std::string_view blob) = 0;
  virtual Status DeleteRetained(std::string_view topic) = 0;
  virtual Result<std::vector<KeyedBlob>> LoadRetained() = 0;
  // Replaces every stored session with `sessions` (client id, blob) in one transaction.
  virtual Status ReplaceSessions(const std::vector<KeyedBlob>& sessions) = 0;
  // Inserts or replaces `put` and deletes `removed` (client ids; absent ones are fine), in
  // one transaction.
  virtual Status UpdateSessions(const std::vector<KeyedBlob>& put,
                                const std::vector<std::string>& removed) = 0;
  virtual Result<std::vector<KeyedBlob>> LoadSessions() = 0;
};

}  // namespace sw::broker
