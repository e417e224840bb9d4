// SqliteBrokerStore: the MQTT broker's retained messages and persistent sessions in SQLite
// (tables mqtt_retained and mqtt_sessions, migration 2), as opaque keyed blobs. It knows
// nothing of MQTT; src/app adapts it to broker::BrokerStore.
//
// Thread-safe: one mutex around its own connection to the database file.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "storage/sqlite/database.hpp"

namespace sw::storage::sqlite {

class SqliteBrokerStore {
 public:
  using KeyedBlob = std::pair<std::string, std::string>;

  // Opens its own connection to a database already migrated (SqliteStore::Open does that);
  // ":memory:" migrates a private in-memory database (tests).
  static Result<std::unique_ptr<SqliteBrokerStore>> Open(const std::string& path,
                                                         int busy_timeout_ms);

  Status PutRetained(std::string_view topic, std::string_view blob);
  Status DeleteRetained(std::string_view topic);
  Result<std::vector<KeyedBlob>> LoadRetained();
  Status ReplaceSessions(const std::vector<KeyedBlob>& sessions);
  // Upserts `put` and deletes `removed` in one transaction.
  Status UpdateSessions(const std::vector<KeyedBlob>& put, const std::vector<std::string>& removed);
  Result<std::vector<KeyedBlob>> LoadSessions();

 private:
  explicit SqliteBrokerStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Result<std::vector<KeyedBlob>> LoadAll(std::string_view sql);

  std::mutex mutex_;
  std::unique_ptr<Database> db_;
};

}  // namespace sw::storage::sqlite
