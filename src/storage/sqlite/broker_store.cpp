#include "storage/sqlite/broker_store.hpp"

namespace sw::storage::sqlite {

Result<std::unique_ptr<SqliteBrokerStore>> SqliteBrokerStore::Open(const std::string& path,
                                                                   int busy_timeout_ms) {
  SW_ASSIGN_OR_RETURN(auto db, Database::Open(path, busy_timeout_ms));
  if (path == ":memory:") {
    SW_TRY(db->Migrate());
  } else {
    // The broker's tables come with a migration that SqliteStore::Open has applied.
    SW_ASSIGN_OR_RETURN(Stmt st, db->Prepare("SELECT count(*) FROM sqlite_master WHERE type = "
                                             "'table' AND name IN ('mqtt_retained', "
                                             "'mqtt_sessions')"));
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row || st.Int(0) != 2) {
      return MakeError(Errc::kUnavailable,
                       "the database has no MQTT broker tables (run `sitewatch migrate`)");
    }
  }
  return std::unique_ptr<SqliteBrokerStore>(new SqliteBrokerStore(std::move(db)));
}

Status SqliteBrokerStore::PutRetained(std::string_view topic, std::string_view blob) {
  std::lock_guard lock(mutex_);
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("INSERT INTO mqtt_retained (topic, blob) VALUES (?, ?) "
                                   "ON CONFLICT (topic) DO UPDATE SET blob = excluded.blob"));
  st.Bind(1, topic).Bind(2, blob);
  return st.Run();
}

Status SqliteBrokerStore::DeleteRetained(std::string_view topic) {
  std::lock_guard lock(mutex_);
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM mqtt_retained WHERE topic = ?"));
  st.Bind(1, topic);
  return st.Run();
}

Result<std::vector<SqliteBrokerStore::KeyedBlob>> SqliteBrokerStore::LoadAll(std::string_view sql) {
  std::lock_guard lock(mutex_);
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(sql));
  std::vector<KeyedBlob> out;
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.emplace_back(st.Text(0), st.Text(1));
  }
  return out;
}

Result<std::vector<SqliteBrokerStore::KeyedBlob>> SqliteBrokerStore::LoadRetained() {
  return LoadAll("SELECT topic, blob FROM mqtt_retained ORDER BY topic");
}

Result<std::vector<SqliteBrokerStore::KeyedBlob>> SqliteBrokerStore::LoadSessions() {
  return LoadAll("SELECT client_id, blob FROM mqtt_sessions ORDER BY client_id");
}

Status SqliteBrokerStore::ReplaceSessions(const std::vector<KeyedBlob>& sessions) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  SW_TRY(db_->Exec("DELETE FROM mqtt_sessions"));
  for (const auto& [client_id, blob] : sessions) {
    SW_ASSIGN_OR_RETURN(Stmt st,
                        db_->Prepare("INSERT INTO mqtt_sessions (client_id, blob) VALUES (?, ?)"));
    st.Bind(1, client_id).Bind(2, blob);
    SW_TRY(st.Run());
  }
  return tx.Commit();
}

Status SqliteBrokerStore::UpdateSessions(const std::vector<KeyedBlob>& put,
                                         const std::vector<std::string>& removed) {
  if (put.empty() && removed.empty()) return Ok{};
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  SW_ASSIGN_OR_RETURN(Stmt upsert, db_->Prepare("INSERT INTO mqtt_sessions (client_id, blob) "
                                                "VALUES (?, ?) ON CONFLICT (client_id) DO "
                                                "UPDATE SET blob = excluded.blob"));
  for (const auto& [client_id, blob] : put) {
    upsert.Reset();
    upsert.Bind(1, client_id).Bind(2, blob);
    SW_TRY(upsert.Run());
  }
  SW_ASSIGN_OR_RETURN(Stmt erase, db_->Prepare("DELETE FROM mqtt_sessions WHERE client_id = ?"));
  for (const std::string& client_id : removed) {
    erase.Reset();
    erase.Bind(1, client_id);
    SW_TRY(erase.Run());
  }
  return tx.Commit();
}

}  // namespace sw::storage::sqlite
