#include "storage/sqlite/database.hpp"

#include <sqlite3.h>

#include "common/clock.hpp"
#include "storage/sqlite/migrations.hpp"

namespace sw::storage::sqlite {

Stmt::~Stmt() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int index, std::int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}
Stmt& Stmt::Bind(int index, double v) {
  sqlite3_bind_double(stmt_, index, v);
  return *this;
}
Stmt& Stmt::Bind(int index, std::string_view v) {
  sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->LastError("step");
}

Status Stmt::Run() {
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Ok{};
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
}

std::int64_t Stmt::Int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double Stmt::Real(int col) const {
  return sqlite3_column_double(stmt_, col);
}
bool Stmt::IsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}
std::string Stmt::Text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return MakeError(Errc::kUnavailable, "cannot open database " + path + ": " + msg);
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  SW_TRY(db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return db;
}

Database::~Database() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<Stmt> Database::Prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      return LastError("prepare");
    }
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  return Stmt(it->second, this);
}

Status Database::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return MakeError(Errc::kInternal, "sqlite: " + msg);
  }
  return Ok{};
}

std::int64_t Database::LastInsertId() const {
  return sqlite3_last_insert_rowid(db_);
}
int Database::Changes() const {
  return sqlite3_changes(db_);
}

Error Database::LastError(std::string_view context) const {
  const int code = sqlite3_extended_errcode(db_);
  std::string msg = "sqlite " + std::string(context) + ": " + sqlite3_errmsg(db_);
  if ((code & 0xFF) == SQLITE_CONSTRAINT) return MakeError(Errc::kConflict, msg, "CONFLICT");
  if ((code & 0xFF) == SQLITE_BUSY || (code & 0xFF) == SQLITE_LOCKED) {
    return MakeError(Errc::kUnavailable, msg, "STORAGE_BUSY");
  }
  if ((code & 0xFF) == SQLITE_CORRUPT || (code & 0xFF) == SQLITE_NOTADB) {
    return MakeError(Errc::kDataLoss, msg, "STORAGE_CORRUPT");
  }
  return MakeError(Errc::kInternal, msg);
}

int Database::LatestSchemaVersion() {
  return static_cast<int>(Migrations().size());
}

Result<int> Database::SchemaVersion() {
  SW_TRY(
      Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
           "name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  SW_ASSIGN_OR_RETURN(Stmt st, Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? static_cast<int>(st.Int(0)) : 0;
}

Result<int> Database::Migrate() {
  SW_ASSIGN_OR_RETURN(int current, SchemaVersion());
  const auto& all = Migrations();
  if (current > static_cast<int>(all.size())) {
    return MakeError(Errc::kDataLoss,
                     "database schema version " + std::to_string(current) +
                         " is newer than this sitewatch knows (" + std::to_string(all.size()) +
                         "); run a newer sitewatch or restore a backup",
                     "SCHEMA_TOO_NEW");
  }
  int applied = 0;
  for (const Migration& m : all) {
    if (m.version <= current) continue;
    Transaction tx(*this);
    SW_TRY(tx.Begin());
    if (auto s = Exec(m.sql); !s.ok()) {
      return MakeError(Errc::kInternal, "migration " + std::to_string(m.version) + " (" +
                                            std::string(m.name) + ") failed: " + s.error().message);
    }
    SW_ASSIGN_OR_RETURN(Stmt st, Prepare("INSERT INTO schema_migrations(version, name, applied_at) "
                                         "VALUES (?1, ?2, ?3)"));
    SW_TRY(st.Bind(1, m.version).Bind(2, m.name).Bind(3, ToUnixMillis(SystemClock().Now())).Run());
    SW_TRY(tx.Commit());
    ++applied;
  }
  return applied;
}

Status Database::BackupTo(const std::string& path) {
  sqlite3* dest = nullptr;
  if (sqlite3_open_v2(path.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = dest ? sqlite3_errmsg(dest) : "out of memory";
    sqlite3_close(dest);
    return MakeError(Errc::kUnavailable, "cannot create backup " + path + ": " + msg);
  }
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", db_, "main");
  if (!backup) {
    std::string msg = sqlite3_errmsg(dest);
    sqlite3_close(dest);
    return MakeError(Errc::kInternal, "backup failed: " + msg);
  }
  int rc;
  do {
    rc = sqlite3_backup_step(backup, 256);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(5);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  const int final_rc = sqlite3_errcode(dest);
  std::string msg = sqlite3_errmsg(dest);
  sqlite3_close(dest);
  if (rc != SQLITE_DONE || final_rc != SQLITE_OK) {
    return MakeError(Errc::kInternal, "backup failed: " + msg);
  }
  return Ok{};
}

Transaction::~Transaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Begin() {
  SW_TRY(db_.Exec("BEGIN IMMEDIATE"));
  open_ = true;
  return Ok{};
}

Status Transaction::Commit() {
  SW_TRY(db_.Exec("COMMIT"));
  open_ = false;
  return Ok{};
}

}  // namespace sw::storage::sqlite
