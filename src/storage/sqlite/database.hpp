// Database: one SQLite connection (WAL, foreign keys on) with a cache of prepared
// statements, plus the schema migrations and online backup.
//
// Thread-safety: a Database is used by one thread at a time. SqliteStore serialises access
// with its own mutex; Lock() hands out that exclusive access.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sw::storage::sqlite {

class Database;

// A prepared statement borrowed from the cache; reset and unbound when it goes out of scope.
class Stmt {
 public:
  Stmt(sqlite3_stmt* stmt, Database* db) : stmt_(stmt), db_(db) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
  ~Stmt();

  Stmt& Bind(int index, std::int64_t v);
  Stmt& Bind(int index, int v) { return Bind(index, static_cast<std::int64_t>(v)); }
  Stmt& Bind(int index, bool v) { return Bind(index, static_cast<std::int64_t>(v ? 1 : 0)); }
  Stmt& Bind(int index, double v);
  Stmt& Bind(int index, std::string_view v);
  Stmt& Bind(int index, const char* v) { return Bind(index, std::string_view(v)); }
  Stmt& Bind(int index, const std::string& v) { return Bind(index, std::string_view(v)); }
  Stmt& BindNull(int index);
  template <typename T>
  Stmt& Bind(int index, const std::optional<T>& v) {
    return v ? Bind(index, *v) : BindNull(index);
  }

  // true: a row is ready; false: done. Errors become Result errors.
  Result<bool> Step();
  // Runs to completion, for statements that return no rows.
  Status Run();
  // Makes the statement ready to be bound and run again (bindings are kept), so a hot loop
  // can reuse one borrowed statement instead of borrowing it per row.
  void Reset();

  std::int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;
  bool IsNull(int col) const;

 private:
  sqlite3_stmt* stmt_;
  Database* db_;
};

class Database {
 public:
  // Opens (creating if needed) the database file; ":memory:" for tests.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, int busy_timeout_ms);
  ~Database();

  Result<Stmt> Prepare(std::string_view sql);
  Status Exec(std::string_view sql);  // one or more statements, no rows, no parameters
  std::int64_t LastInsertId() const;
  int Changes() const;
  Error LastError(std::string_view context) const;

  // Applies the migrations the database lacks, each in its own transaction. Refuses a
  // database whose schema is newer than this binary knows (DataLoss, SCHEMA_TOO_NEW).
  Result<int> Migrate();
  Result<int> SchemaVersion();
  static int LatestSchemaVersion();

  // Consistent copy of the live database into `path` (SQLite online backup API).
  Status BackupTo(const std::string& path);

  sqlite3* handle() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// RAII transaction: BEGIN IMMEDIATE; rolls back unless Commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction();
  Status Begin();
  Status Commit();

 private:
  Database& db_;
  bool open_ = false;
};

}  // namespace sw::storage::sqlite
