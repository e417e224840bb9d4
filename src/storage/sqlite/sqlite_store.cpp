#include "storage/sqlite/sqlite_store.hpp"

#include <chrono>

namespace sw::storage::sqlite {
namespace {

using core::Scope;

constexpr std::string_view kWorkshopCols =
    "id, name, slug, timezone, address, phone, email, active, nominal_voltage_v, power_factor, "
    "tariff_per_kwh, created_at, updated_at";
constexpr std::string_view kPitCols =
    "id, workshop_id, number, name, description, status, created_at, updated_at";
constexpr std::string_view kUserCols =
    "id, workshop_id, username, email, full_name, role, password_hash, active, "
    "temporary_password, failed_logins, locked_until, last_login, created_at, updated_at";

std::string Sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

// Binds the scope to parameters `all_index` (0/1) and `all_index + 1` (workshop id or NULL).
void BindScope(Stmt& st, int all_index, const Scope& scope) {
  st.Bind(all_index, scope.all);
  st.Bind(all_index + 1,
          scope.workshop ? std::optional<std::int64_t>(scope.workshop->value) : std::nullopt);
}

std::optional<std::int64_t> OptMillis(const std::optional<SysTime>& t) {
  return t ? std::optional<std::int64_t>(ToUnixMillis(*t)) : std::nullopt;
}
std::optional<SysTime> ColTime(const Stmt& st, int col) {
  return st.IsNull(col) ? std::nullopt : std::optional<SysTime>(FromUnixMillis(st.Int(col)));
}

core::Workshop ReadWorkshop(const Stmt& st) {
  core::Workshop w;
  w.id = WorkshopId{st.Int(0)};
  w.name = st.Text(1);
  w.slug = st.Text(2);
  w.timezone = st.Text(3);
  w.address = st.Text(4);
  w.phone = st.Text(5);
  w.email = st.Text(6);
  w.active = st.Int(7) != 0;
  w.nominal_voltage_v = st.Real(8);
  w.power_factor = st.Real(9);
  w.tariff_per_kwh = st.Real(10);
  w.created_at = FromUnixMillis(st.Int(11));
  w.updated_at = FromUnixMillis(st.Int(12));
  return w;
}

core::Pit ReadPit(const Stmt& st) {
  core::Pit p;
  p.id = PitId{st.Int(0)};
  p.workshop_id = WorkshopId{st.Int(1)};
  p.number = static_cast<int>(st.Int(2));
  p.name = st.Text(3);
  p.description = st.Text(4);
  p.status = core::ParsePitStatus(st.Text(5)).value_or(core::PitStatus::kActive);
  p.created_at = FromUnixMillis(st.Int(6));
  p.updated_at = FromUnixMillis(st.Int(7));
  return p;
}

core::User ReadUser(const Stmt& st) {
  core::User u;
  u.id = UserId{st.Int(0)};
  if (!st.IsNull(1)) u.workshop_id = WorkshopId{st.Int(1)};
  u.username = st.Text(2);
  u.email = st.Text(3);
  u.full_name = st.Text(4);
  u.role = core::ParseRole(st.Text(5)).value_or(core::Role::kCustomer);
  u.password_hash = st.Text(6);
  u.active = st.Int(7) != 0;
  u.temporary_password = st.Int(8) != 0;
  u.failed_logins = static_cast<int>(st.Int(9));
  u.locked_until = ColTime(st, 10);
  u.last_login = ColTime(st, 11);
  u.created_at = FromUnixMillis(st.Int(12));
  u.updated_at = FromUnixMillis(st.Int(13));
  return u;
}

Error NotFound(const std::string& what) {
  return MakeError(Errc::kNotFound, what + " not found", "NOT_FOUND");
}

// Rewrites a unique-constraint failure into the domain's conflict code.
template <typename T>
Result<T> OnConflict(Result<T> r, std::string machine_code, std::string message,
                     std::string field) {
  if (!r.ok() && r.error().code == Errc::kConflict) {
    return MakeError(Errc::kConflict, std::move(message), std::move(machine_code),
                     std::move(field));
  }
  return r;
}

}  // namespace

class SqliteStore::Timed {
 public:
  Timed(SqliteStore& s, const char* op)
      : lock_(s.mutex_), store_(s), op_(op), start_(std::chrono::steady_clock::now()) {}
  ~Timed() {
    if (!store_.metrics_) return;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    store_.metrics_
        ->GetHistogram("sitewatch_storage_seconds", "Storage call duration by operation",
                       {{"backend", "sqlite"}, {"op", op_}})
        .Observe(secs);
  }

 private:
  std::lock_guard<std::mutex> lock_;
  SqliteStore& store_;
  const char* op_;
  std::chrono::steady_clock::time_point start_;
};

SqliteStore::SqliteStore(std::unique_ptr<Database> db, std::string path, int busy_timeout_ms,
                         const Clock& clock, metrics::Registry* metrics)
    : db_(std::move(db)),
      path_(std::move(path)),
      busy_timeout_ms_(busy_timeout_ms),
      clock_(clock),
      metrics_(metrics) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, int busy_timeout_ms,
                                                       const Clock& clock,
                                                       metrics::Registry* metrics) {
  SW_ASSIGN_OR_RETURN(auto db, Database::Open(path, busy_timeout_ms));
  SW_TRY(db->Migrate());
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(db), path, busy_timeout_ms, clock, metrics));
}

Status SqliteStore::Ping() {
  Timed t(*this, "ping");
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT 1"));
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return MakeError(Errc::kUnavailable, "storage did not answer");
  return Ok{};
}

Status SqliteStore::BackupTo(const std::string& path) {
  Timed t(*this, "backup");
  return db_->BackupTo(path);
}

Status SqliteStore::Checkpoint() {
  Timed t(*this, "checkpoint");
  return db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

Status SqliteStore::DeferCheckpoints() {
  if (path_.empty() || path_ == ":memory:") return Ok{};  // no WAL
  std::lock_guard checkpoint_lock(checkpoint_mutex_);
  if (checkpointer_) return Ok{};
  SW_ASSIGN_OR_RETURN(checkpointer_, Database::Open(path_, busy_timeout_ms_));
  Timed t(*this, "checkpoint.defer");
  return db_->Exec("PRAGMA wal_autocheckpoint=0");
}

Status SqliteStore::CheckpointPassive() {
  std::lock_guard checkpoint_lock(checkpoint_mutex_);
  if (!checkpointer_) return Ok{};
  const auto start = std::chrono::steady_clock::now();
  Status s = checkpointer_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
  if (metrics_) {
    metrics_
        ->GetHistogram("sitewatch_storage_seconds", "Storage call duration by operation",
                       {{"backend", "sqlite"}, {"op", "checkpoint.passive"}})
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return s;
}

// ---- workshops ----

Result<core::Workshop> SqliteStore::CreateWorkshop(const core::Workshop& w) {
  Timed t(*this, "workshop.create");
  const auto now = ToUnixMillis(clock_.Now());
  SW_ASSIGN_OR_RETURN(
      Stmt st,
      db_->Prepare("INSERT INTO workshops (name, slug, timezone, address, phone, email, "
                   "active, nominal_voltage_v, power_factor, tariff_per_kwh, created_at, "
                   "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"));
  st.Bind(1, w.name).Bind(2, w.slug).Bind(3, w.timezone).Bind(4, w.address).Bind(5, w.phone);
  st.Bind(6, w.email).Bind(7, w.active).Bind(8, w.nominal_voltage_v).Bind(9, w.power_factor);
  st.Bind(10, w.tariff_per_kwh).Bind(11, now);
  if (!st.Run().ok()) {
    return OnConflict(Result<core::Workshop>(db_->LastError("insert workshop")), "SLUG_TAKEN",
                      "a workshop with this slug exists", "name");
  }
  return GetWorkshopLocked(Scope::All(), WorkshopId{db_->LastInsertId()});
}

Result<core::Workshop> SqliteStore::GetWorkshopLocked(const Scope& scope, WorkshopId id) {
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare(Sql({"SELECT ", kWorkshopCols,
                                        " FROM workshops WHERE id = ?1 AND (?2 OR id = ?3)"})));
  st.Bind(1, id.value);
  BindScope(st, 2, scope);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("workshop");
  return ReadWorkshop(st);
}

Result<core::Workshop> SqliteStore::GetWorkshop(const Scope& scope, WorkshopId id) {
  Timed t(*this, "workshop.get");
  return GetWorkshopLocked(scope, id);
}

Result<core::Page<core::Workshop>> SqliteStore::ListWorkshops(const Scope& scope,
                                                              core::PageRequest page,
                                                              bool active_only) {
  Timed t(*this, "workshop.list");
  core::Page<core::Workshop> out;
  out.request = page;
  {
    SW_ASSIGN_OR_RETURN(Stmt st,
                        db_->Prepare("SELECT COUNT(*) FROM workshops WHERE (?1 OR id = ?2) "
                                     "AND (NOT ?3 OR active)"));
    BindScope(st, 1, scope);
    st.Bind(3, active_only);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    out.total = row ? st.Int(0) : 0;
  }
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare(Sql({"SELECT ", kWorkshopCols,
                                        " FROM workshops WHERE (?1 OR id = ?2) AND (NOT ?3 "
                                        "OR active) ORDER BY id LIMIT ?4 OFFSET ?5"})));
  BindScope(st, 1, scope);
  st.Bind(3, active_only).Bind(4, page.page_size).Bind(5, page.Offset());
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.items.push_back(ReadWorkshop(st));
  }
  return out;
}

Result<core::Workshop> SqliteStore::UpdateWorkshop(const Scope& scope, const core::Workshop& w) {
  Timed t(*this, "workshop.update");
  SW_ASSIGN_OR_RETURN(
      Stmt st,
      db_->Prepare("UPDATE workshops SET name = ?1, timezone = ?2, address = ?3, phone = ?4, "
                   "email = ?5, active = ?6, nominal_voltage_v = ?7, power_factor = ?8, "
                   "tariff_per_kwh = ?9, updated_at = ?10 WHERE id = ?11 AND (?12 OR id = ?13)"));
  st.Bind(1, w.name).Bind(2, w.timezone).Bind(3, w.address).Bind(4, w.phone).Bind(5, w.email);
  st.Bind(6, w.active).Bind(7, w.nominal_voltage_v).Bind(8, w.power_factor);
  st.Bind(9, w.tariff_per_kwh).Bind(10, ToUnixMillis(clock_.Now())).Bind(11, w.id.value);
  BindScope(st, 12, scope);
  SW_TRY(st.Run());
  if (db_->Changes() == 0) return NotFound("workshop");
  return GetWorkshopLocked(scope, w.id);
}

Result<bool> SqliteStore::SlugExists(std::string_view slug) {
  Timed t(*this, "workshop.slug_exists");
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT 1 FROM workshops WHERE slug = ?1"));
  st.Bind(1, slug);
  return st.Step();
}

// ---- pits ----

Result<core::Pit> SqliteStore::CreatePit(const Scope& scope, const core::Pit& p) {
  Timed t(*this, "pit.create");
  if (!scope.Allows(p.workshop_id)) return NotFound("workshop");
  const auto now = ToUnixMillis(clock_.Now());
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("INSERT INTO pits (workshop_id, number, name, description, "
                            "status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)"));
  st.Bind(1, p.workshop_id.value).Bind(2, p.number).Bind(3, p.name).Bind(4, p.description);
  st.Bind(5, core::PitStatusName(p.status)).Bind(6, now);
  if (!st.Run().ok()) {
    return OnConflict(Result<core::Pit>(db_->LastError("insert pit")), "PIT_NUMBER_TAKEN",
                      "a pit with this number exists in the workshop", "number");
  }
  return GetPitLocked(scope, PitId{db_->LastInsertId()});
}

Result<core::Pit> SqliteStore::GetPitLocked(const Scope& scope, PitId id) {
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare(Sql({"SELECT ", kPitCols,
                                        " FROM pits WHERE id = ?1 AND (?2 OR workshop_id = ?3)"})));
  st.Bind(1, id.value);
  BindScope(st, 2, scope);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("pit");
  return ReadPit(st);
}

Result<core::Pit> SqliteStore::GetPit(const Scope& scope, PitId id) {
  Timed t(*this, "pit.get");
  return GetPitLocked(scope, id);
}

Result<std::vector<core::Pit>> SqliteStore::ListPits(const Scope& scope, WorkshopId workshop) {
  Timed t(*this, "pit.list");
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Sql({"SELECT ", kPitCols,
                                                 " FROM pits WHERE workshop_id = ?1 AND (?2 OR "
                                                 "workshop_id = ?3) ORDER BY number"})));
  st.Bind(1, workshop.value);
  BindScope(st, 2, scope);
  std::vector<core::Pit> out;
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadPit(st));
  }
  return out;
}

Result<core::Pit> SqliteStore::UpdatePit(const Scope& scope, const core::Pit& p) {
  Timed t(*this, "pit.update");
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("UPDATE pits SET number = ?1, name = ?2, description = ?3, "
                                   "status = ?4, updated_at = ?5 WHERE id = ?6 AND (?7 OR "
                                   "workshop_id = ?8)"));
  st.Bind(1, p.number).Bind(2, p.name).Bind(3, p.description);
  st.Bind(4, core::PitStatusName(p.status)).Bind(5, ToUnixMillis(clock_.Now())).Bind(6, p.id.value);
  BindScope(st, 7, scope);
  if (!st.Run().ok()) {
    return OnConflict(Result<core::Pit>(db_->LastError("update pit")), "PIT_NUMBER_TAKEN",
                      "a pit with this number exists in the workshop", "number");
  }
  if (db_->Changes() == 0) return NotFound("pit");
  return GetPitLocked(scope, p.id);
}

Status SqliteStore::DeletePit(const Scope& scope, PitId id) {
  Timed t(*this, "pit.delete");
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("DELETE FROM pits WHERE id = ?1 AND (?2 OR workshop_id = ?3)"));
  st.Bind(1, id.value);
  BindScope(st, 2, scope);
  SW_TRY(st.Run());
  if (db_->Changes() == 0) return NotFound("pit");
  return Ok{};
}

// ---- users ----

Result<core::User> SqliteStore::CreateUser(const core::User& u) {
  Timed t(*this, "user.create");
  const auto now = ToUnixMillis(clock_.Now());
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("INSERT INTO users (workshop_id, username, email, full_name, "
                                   "role, password_hash, active, temporary_password, "
                                   "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                                   "?7, ?8, ?9, ?9)"));
  st.Bind(1, u.workshop_id ? std::optional<std::int64_t>(u.workshop_id->value) : std::nullopt);
  st.Bind(2, u.username).Bind(3, u.email).Bind(4, u.full_name).Bind(5, core::RoleName(u.role));
  st.Bind(6, u.password_hash).Bind(7, u.active).Bind(8, u.temporary_password).Bind(9, now);
  if (!st.Run().ok()) {
    return OnConflict(Result<core::User>(db_->LastError("insert user")), "USERNAME_TAKEN",
                      "this username is taken", "username");
  }
  return GetUserLocked(Scope::All(), UserId{db_->LastInsertId()});
}

Result<core::User> SqliteStore::GetUserLocked(const Scope& scope, UserId id) {
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare(Sql({"SELECT ", kUserCols,
                                 " FROM users WHERE id = ?1 AND (?2 OR workshop_id = ?3)"})));
  st.Bind(1, id.value);
  BindScope(st, 2, scope);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("user");
  return ReadUser(st);
}

Result<core::User> SqliteStore::GetUser(const Scope& scope, UserId id) {
  Timed t(*this, "user.get");
  return GetUserLocked(scope, id);
}

Result<std::optional<core::User>> SqliteStore::FindUserByUsername(std::string_view username) {
  Timed t(*this, "user.find_by_username");
  SW_ASSIGN_OR_RETURN(
      Stmt st,
      db_->Prepare(Sql({"SELECT ", kUserCols, " FROM users WHERE username = ?1 COLLATE NOCASE"})));
  st.Bind(1, username);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<core::User>{};
  return std::optional<core::User>{ReadUser(st)};
}

Result<core::Page<core::User>> SqliteStore::ListUsers(const Scope& scope,
                                                      const core::UserFilter& filter,
                                                      core::PageRequest page) {
  Timed t(*this, "user.list");
  constexpr std::string_view kWhere =
      " FROM users WHERE (?1 OR workshop_id = ?2) AND (?3 IS NULL OR workshop_id = ?3) AND "
      "(?4 IS NULL OR role = ?4)";
  const auto bind = [&](Stmt& st) {
    BindScope(st, 1, scope);
    st.Bind(3, filter.workshop_id ? std::optional<std::int64_t>(filter.workshop_id->value)
                                  : std::nullopt);
    st.Bind(4, filter.role ? std::optional<std::string>(std::string(core::RoleName(*filter.role)))
                           : std::nullopt);
  };
  core::Page<core::User> out;
  out.request = page;
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Sql({"SELECT COUNT(*)", kWhere})));
    bind(st);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    out.total = row ? st.Int(0) : 0;
  }
  SW_ASSIGN_OR_RETURN(
      Stmt st,
      db_->Prepare(Sql({"SELECT ", kUserCols, kWhere, " ORDER BY id LIMIT ?5 OFFSET ?6"})));
  bind(st);
  st.Bind(5, page.page_size).Bind(6, page.Offset());
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.items.push_back(ReadUser(st));
  }
  return out;
}

Result<core::User> SqliteStore::UpdateUser(const Scope& scope, const core::User& u) {
  Timed t(*this, "user.update");
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("UPDATE users SET email = ?1, full_name = ?2, password_hash = ?3, "
                            "active = ?4, temporary_password = ?5, failed_logins = ?6, "
                            "locked_until = ?7, updated_at = ?8 WHERE id = ?9 AND (?10 "
                            "OR workshop_id = ?11)"));
  st.Bind(1, u.email).Bind(2, u.full_name).Bind(3, u.password_hash).Bind(4, u.active);
  st.Bind(5, u.temporary_password).Bind(6, u.failed_logins).Bind(7, OptMillis(u.locked_until));
  st.Bind(8, ToUnixMillis(clock_.Now())).Bind(9, u.id.value);
  BindScope(st, 10, scope);
  SW_TRY(st.Run());
  if (db_->Changes() == 0) return NotFound("user");
  return GetUserLocked(scope, u.id);
}

Result<core::User> SqliteStore::RecordLoginFailure(UserId id, int threshold, SysTime lock_until) {
  Timed t(*this, "user.login_failure");
  // One statement: count the failure, and at the threshold lock and start counting afresh.
  SW_ASSIGN_OR_RETURN(
      Stmt st,
      db_->Prepare(
          "UPDATE users SET "
          "locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END, "
          "failed_logins = CASE WHEN failed_logins + 1 >= ?2 THEN 0 ELSE failed_logins + 1 END "
          "WHERE id = ?1"));
  st.Bind(1, id.value).Bind(2, threshold).Bind(3, ToUnixMillis(lock_until));
  SW_TRY(st.Run());
  return GetUserLocked(Scope::All(), id);
}

Status SqliteStore::RecordLoginSuccess(UserId id, SysTime at) {
  Timed t(*this, "user.login_success");
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("UPDATE users SET failed_logins = 0, locked_until = NULL, "
                                   "last_login = ?2 WHERE id = ?1"));
  return st.Bind(1, id.value).Bind(2, ToUnixMillis(at)).Run();
}

Result<std::int64_t> SqliteStore::CountUsers() {
  Timed t(*this, "user.count");
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT COUNT(*) FROM users"));
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

// ---- sessions ----

Status SqliteStore::CreateSession(const core::Session& s, std::string_view refresh_hash,
                                  SysTime refresh_expires) {
  Timed t(*this, "session.create");
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st,
        db_->Prepare("INSERT INTO sessions (id, user_id, created_at) VALUES (?1, ?2, ?3)"));
    SW_TRY(st.Bind(1, s.id).Bind(2, s.user_id.value).Bind(3, ToUnixMillis(s.created_at)).Run());
  }
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st, db_->Prepare("INSERT INTO refresh_tokens (token_hash, session_id, expires_at) "
                              "VALUES (?1, ?2, ?3)"));
    SW_TRY(st.Bind(1, refresh_hash).Bind(2, s.id).Bind(3, ToUnixMillis(refresh_expires)).Run());
  }
  return tx.Commit();
}

Result<std::optional<core::RefreshRecord>> SqliteStore::FindRefresh(std::string_view refresh_hash) {
  Timed t(*this, "session.find_refresh");
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("SELECT r.token_hash, r.session_id, s.user_id, r.expires_at, "
                                   "r.used_at IS NOT NULL, s.revoked_at IS NOT NULL FROM "
                                   "refresh_tokens r JOIN sessions s ON s.id = r.session_id "
                                   "WHERE r.token_hash = ?1"));
  st.Bind(1, refresh_hash);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<core::RefreshRecord>{};
  return std::optional<core::RefreshRecord>{
      core::RefreshRecord{st.Text(0), st.Text(1), UserId{st.Int(2)}, FromUnixMillis(st.Int(3)),
                          st.Int(4) != 0, st.Int(5) != 0}};
}

Result<bool> SqliteStore::RotateRefresh(std::string_view old_hash, std::string_view new_hash,
                                        SysTime new_expires) {
  Timed t(*this, "session.rotate_refresh");
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  const auto now = ToUnixMillis(clock_.Now());
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st,
        db_->Prepare(
            "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND "
            "session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL)"));
    SW_TRY(st.Bind(1, old_hash).Bind(2, now).Run());
    if (db_->Changes() == 0) return false;
  }
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO refresh_tokens (token_hash, session_id, "
                                              "expires_at) SELECT ?2, session_id, "
                                              "?3 FROM refresh_tokens WHERE token_hash = ?1"));
    SW_TRY(st.Bind(1, old_hash).Bind(2, new_hash).Bind(3, ToUnixMillis(new_expires)).Run());
  }
  SW_TRY(tx.Commit());
  return true;
}

Status SqliteStore::RevokeSession(std::string_view session_id, SysTime at) {
  Timed t(*this, "session.revoke");
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND "
                                            "revoked_at IS NULL"));
  return st.Bind(1, session_id).Bind(2, ToUnixMillis(at)).Run();
}

Status SqliteStore::RevokeUserSessions(UserId user, SysTime at) {
  Timed t(*this, "session.revoke_user");
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND "
                                   "revoked_at IS NULL"));
  return st.Bind(1, user.value).Bind(2, ToUnixMillis(at)).Run();
}

Result<std::optional<core::User>> SqliteStore::FindSessionUser(std::string_view session_id) {
  Timed t(*this, "session.user");
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare(Sql({"SELECT ", kUserCols,
                                        " FROM users WHERE id = (SELECT user_id FROM sessions "
                                        "WHERE id = ?1 AND revoked_at IS NULL)"})));
  st.Bind(1, session_id);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<core::User>{};
  return std::optional<core::User>{ReadUser(st)};
}

// ---- audit ----

Status SqliteStore::AppendAudit(const core::AuditEntry& e) {
  Timed t(*this, "audit.append");
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("INSERT INTO audit_log (at, actor_id, actor_name, workshop_id, "
                            "action, resource_type, resource_id, before_json, "
                            "after_json, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
  st.Bind(1, ToUnixMillis(e.at));
  st.Bind(2, e.actor_id ? std::optional<std::int64_t>(e.actor_id->value) : std::nullopt);
  st.Bind(3, e.actor_name);
  st.Bind(4, e.workshop_id ? std::optional<std::int64_t>(e.workshop_id->value) : std::nullopt);
  st.Bind(5, e.action).Bind(6, e.resource_type).Bind(7, e.resource_id);
  st.Bind(8, e.before_json.empty() ? std::optional<std::string>() : e.before_json);
  st.Bind(9, e.after_json.empty() ? std::optional<std::string>() : e.after_json);
  st.Bind(10, e.ip);
  return st.Run();
}

Result<core::Page<core::AuditEntry>> SqliteStore::ListAudit(const Scope& scope,
                                                            const core::AuditFilter& f,
                                                            core::PageRequest page) {
  Timed t(*this, "audit.list");
  constexpr std::string_view kWhere =
      " FROM audit_log WHERE (?1 OR workshop_id = ?2) AND (?3 IS NULL OR action = ?3) AND "
      "(?4 IS NULL OR resource_type = ?4) AND (?5 IS NULL OR actor_id = ?5) AND (?6 IS NULL OR "
      "workshop_id = ?6) AND (?7 IS NULL OR at >= ?7) AND (?8 IS NULL OR at < ?8)";
  const auto bind = [&](Stmt& st) {
    BindScope(st, 1, scope);
    st.Bind(3, f.action).Bind(4, f.resource_type);
    st.Bind(5, f.actor_id ? std::optional<std::int64_t>(f.actor_id->value) : std::nullopt);
    st.Bind(6, f.workshop_id ? std::optional<std::int64_t>(f.workshop_id->value) : std::nullopt);
    st.Bind(7, OptMillis(f.from)).Bind(8, OptMillis(f.to));
  };
  core::Page<core::AuditEntry> out;
  out.request = page;
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Sql({"SELECT COUNT(*)", kWhere})));
    bind(st);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    out.total = row ? st.Int(0) : 0;
  }
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare(Sql({"SELECT id, at, actor_id, actor_name, workshop_id, action, "
                                        "resource_type, resource_id, before_json, after_json, ip",
                                        kWhere, " ORDER BY id DESC LIMIT ?9 OFFSET ?10"})));
  bind(st);
  st.Bind(9, page.page_size).Bind(10, page.Offset());
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    core::AuditEntry e;
    e.id = st.Int(0);
    e.at = FromUnixMillis(st.Int(1));
    if (!st.IsNull(2)) e.actor_id = UserId{st.Int(2)};
    e.actor_name = st.Text(3);
    if (!st.IsNull(4)) e.workshop_id = WorkshopId{st.Int(4)};
    e.action = st.Text(5);
    e.resource_type = st.Text(6);
    e.resource_id = st.Text(7);
    e.before_json = st.Text(8);
    e.after_json = st.Text(9);
    e.ip = st.Text(10);
    out.items.push_back(std::move(e));
  }
  return out;
}

// ---- devices ----

namespace {

constexpr std::string_view kDeviceSelect =
    "SELECT d.id, d.uid, d.kind, d.workshop_id, d.pit_id, d.parent_id, p.uid, d.radio_address, "
    "d.name, d.status, d.online, d.last_seen, d.firmware_version, d.secret_hash, "
    "d.report_interval_s, d.created_at, d.updated_at, l.key, l.plan, l.status, l.starts_at, "
    "l.expires_at, l.grace_days, d.radio_protocol FROM devices d JOIN licences l ON "
    "l.device_id = d.id "
    "LEFT JOIN devices p ON p.id = d.parent_id ";

core::Device ReadDevice(const Stmt& st) {
  core::Device d;
  d.id = core::DeviceId{st.Int(0)};
  d.uid = st.Text(1);
  d.kind = core::ParseDeviceKind(st.Text(2)).value_or(core::DeviceKind::kSensorNode);
  d.workshop_id = WorkshopId{st.Int(3)};
  if (!st.IsNull(4)) d.pit_id = PitId{st.Int(4)};
  if (!st.IsNull(5)) d.parent_id = core::DeviceId{st.Int(5)};
  d.parent_uid = st.Text(6);
  if (!st.IsNull(7)) d.radio_address = static_cast<int>(st.Int(7));
  d.name = st.Text(8);
  d.status = core::ParseDeviceStatus(st.Text(9)).value_or(core::DeviceStatus::kDisabled);
  d.online = st.Int(10) != 0;
  d.last_seen = ColTime(st, 11);
  d.firmware_version = st.Text(12);
  d.secret_hash = st.Text(13);
  d.report_interval_s = static_cast<int>(st.Int(14));
  d.created_at = FromUnixMillis(st.Int(15));
  d.updated_at = FromUnixMillis(st.Int(16));
  d.licence.key = st.Text(17);
  d.licence.plan = st.Text(18);
  d.licence.status = core::ParseLicenceStatus(st.Text(19)).value_or(core::LicenceStatus::kExpired);
  d.licence.starts_at = FromUnixMillis(st.Int(20));
  d.licence.expires_at = FromUnixMillis(st.Int(21));
  d.licence.grace_days = static_cast<int>(st.Int(22));
  d.radio_protocol = static_cast<int>(st.Int(23));
  return d;
}

// Names the unique index a device write ran into.
Error DeviceConflict(const Error& e) {
  if (e.code != Errc::kConflict) return e;
  if (e.message.find("licences.key") != std::string::npos) {
    return MakeError(Errc::kConflict, "licence key collision", "LICENCE_KEY_TAKEN");
  }
  if (e.message.find("radio_address") != std::string::npos) {
    return MakeError(Errc::kConflict, "the gateway has a device at this radio address",
                     "RADIO_ADDRESS_TAKEN", "radio_address");
  }
  if (e.message.find("devices.uid") != std::string::npos) {
    return MakeError(Errc::kConflict, "a device with this uid exists", "DEVICE_UID_TAKEN", "uid");
  }
  return e;
}

}  // namespace

Result<core::Device> SqliteStore::GetDeviceLocked(const Scope& scope, std::string_view uid) {
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Sql({kDeviceSelect,
                                                 "WHERE d.uid = ?1 AND d.deleted_at IS NULL AND "
                                                 "(?2 OR d.workshop_id = ?3)"})));
  st.Bind(1, uid);
  BindScope(st, 2, scope);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("device");
  return ReadDevice(st);
}

Status SqliteStore::InsertLicenceLocked(std::int64_t device_id, const core::Licence& l) {
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("INSERT INTO licences (device_id, key, plan, status, starts_at, "
                                   "expires_at, grace_days) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  st.Bind(1, device_id).Bind(2, l.key).Bind(3, l.plan);
  st.Bind(4, core::LicenceStatusName(l.status));
  st.Bind(5, ToUnixMillis(l.starts_at)).Bind(6, ToUnixMillis(l.expires_at));
  st.Bind(7, l.grace_days);
  if (!st.Run().ok()) return DeviceConflict(db_->LastError("insert licence"));
  return Ok{};
}

Result<core::Device> SqliteStore::CreateDevice(const Scope& scope, const core::Device& d) {
  Timed t(*this, "device.create");
  if (!scope.Allows(d.workshop_id)) return NotFound("workshop");
  const auto now = ToUnixMillis(clock_.Now());
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st, db_->Prepare("INSERT INTO devices (uid, kind, workshop_id, pit_id, parent_id, "
                              "radio_address, name, status, secret_hash, report_interval_s, "
                              "created_at, updated_at, radio_protocol) VALUES (?1, ?2, ?3, ?4, "
                              "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)"));
    st.Bind(1, d.uid).Bind(2, core::DeviceKindName(d.kind)).Bind(3, d.workshop_id.value);
    st.Bind(4, d.pit_id ? std::optional<std::int64_t>(d.pit_id->value) : std::nullopt);
    st.Bind(5, d.parent_id ? std::optional<std::int64_t>(d.parent_id->value) : std::nullopt);
    st.Bind(6, d.radio_address ? std::optional<std::int64_t>(*d.radio_address) : std::nullopt);
    st.Bind(7, d.name).Bind(8, core::DeviceStatusName(d.status)).Bind(9, d.secret_hash);
    st.Bind(10, d.report_interval_s).Bind(11, now).Bind(12, d.radio_protocol);
    if (!st.Run().ok()) return DeviceConflict(db_->LastError("insert device"));
  }
  const std::int64_t id = db_->LastInsertId();
  SW_TRY(InsertLicenceLocked(id, d.licence));
  SW_TRY(tx.Commit());
  return GetDeviceLocked(scope, d.uid);
}

Result<core::Device> SqliteStore::GetDevice(const Scope& scope, std::string_view uid) {
  Timed t(*this, "device.get");
  return GetDeviceLocked(scope, uid);
}

Result<core::Device> SqliteStore::GetRetiredDevice(const Scope& scope, std::string_view uid) {
  Timed t(*this, "device.get_retired");
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Sql({kDeviceSelect,
                                                 "WHERE d.uid = ?1 AND d.deleted_at IS NOT NULL "
                                                 "AND (?2 OR d.workshop_id = ?3)"})));
  st.Bind(1, uid);
  BindScope(st, 2, scope);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("device");
  return ReadDevice(st);
}

Result<core::Page<core::Device>> SqliteStore::ListDevices(const Scope& scope, WorkshopId workshop,
                                                          const core::DeviceFilter& f,
                                                          core::PageRequest page) {
  Timed t(*this, "device.list");
  constexpr std::string_view kWhere =
      "WHERE d.workshop_id = ?1 AND d.deleted_at IS NULL AND (?2 OR d.workshop_id = ?3) AND "
      "(?4 IS NULL OR d.kind = ?4) AND (?5 IS NULL OR d.status = ?5) AND (?6 IS NULL OR "
      "d.pit_id = ?6) AND (?9 IS NULL OR d.parent_id = ?9)";
  const auto bind = [&](Stmt& st) {
    st.Bind(1, workshop.value);
    BindScope(st, 2, scope);
    st.Bind(4, f.kind ? std::optional<std::string>(std::string(core::DeviceKindName(*f.kind)))
                      : std::nullopt);
    st.Bind(5, f.status ? std::optional<std::string>(std::string(core::DeviceStatusName(*f.status)))
                        : std::nullopt);
    st.Bind(6, f.pit_id ? std::optional<std::int64_t>(f.pit_id->value) : std::nullopt);
    st.Bind(9, f.parent_id ? std::optional<std::int64_t>(f.parent_id->value) : std::nullopt);
  };
  core::Page<core::Device> out;
  out.request = page;
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Sql({"SELECT COUNT(*) FROM devices d ", kWhere})));
    bind(st);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    out.total = row ? st.Int(0) : 0;
  }
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare(Sql({kDeviceSelect, kWhere, " ORDER BY d.uid LIMIT ?7 OFFSET ?8"})));
  bind(st);
  st.Bind(7, page.page_size).Bind(8, page.Offset());
  for (;;) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.items.push_back(ReadDevice(st));
  }
  return out;
}

Result<core::Device> SqliteStore::UpdateDevice(const Scope& scope, const core::Device& d) {
  Timed t(*this, "device.update");
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("UPDATE devices SET name = ?1, pit_id = ?2, status = ?3, "
                            "report_interval_s = ?4, secret_hash = ?5, updated_at = ?6, "
                            "radio_protocol = ?10 WHERE id = ?7 AND deleted_at IS NULL AND (?8 OR "
                            "workshop_id = ?9)"));
  st.Bind(1, d.name);
  st.Bind(2, d.pit_id ? std::optional<std::int64_t>(d.pit_id->value) : std::nullopt);
  st.Bind(3, core::DeviceStatusName(d.status)).Bind(4, d.report_interval_s);
  st.Bind(5, d.secret_hash).Bind(6, ToUnixMillis(clock_.Now())).Bind(7, d.id.value);
  BindScope(st, 8, scope);
  st.Bind(10, d.radio_protocol);
  SW_TRY(st.Run());
  if (db_->Changes() == 0) return NotFound("device");
  return GetDeviceLocked(scope, d.uid);
}

Status SqliteStore::SavePresence(const std::vector<core::PresenceRecord>& records) {
  if (records.empty()) return Ok{};
  Timed t(*this, "device.presence");
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  for (const core::PresenceRecord& r : records) {
    SW_ASSIGN_OR_RETURN(
        Stmt st,
        db_->Prepare("UPDATE devices SET online = ?1, last_seen = COALESCE(?2, last_seen), "
                     "firmware_version = CASE WHEN ?3 = '' THEN firmware_version ELSE ?3 END "
                     "WHERE id = ?4"));
    st.Bind(1, r.online);
    st.Bind(2,
            r.last_seen ? std::optional<std::int64_t>(ToUnixMillis(*r.last_seen)) : std::nullopt);
    st.Bind(3, r.firmware_version).Bind(4, r.id.value);
    SW_TRY(st.Run());
  }
  return tx.Commit();
}

Status SqliteStore::DeleteDevice(const Scope& scope, core::DeviceId id, bool purge) {
  Timed t(*this, "device.delete");
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT COUNT(*) FROM devices WHERE parent_id = ?1 "
                                              "AND (deleted_at IS NULL OR ?2)"));
    st.Bind(1, id.value).Bind(2, purge);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && st.Int(0) > 0) {
      return MakeError(Errc::kConflict, "retire the gateway's outlets first",
                       "DEVICE_HAS_CHILDREN");
    }
  }
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  if (purge) {
    SW_ASSIGN_OR_RETURN(Stmt lic, db_->Prepare("DELETE FROM licences WHERE device_id = ?1"));
    SW_TRY(lic.Bind(1, id.value).Run());
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM devices WHERE id = ?1 AND (?2 OR "
                                              "workshop_id = ?3)"));
    st.Bind(1, id.value);
    BindScope(st, 2, scope);
    SW_TRY(st.Run());
  } else {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("UPDATE devices SET deleted_at = ?2, online = 0, "
                                              "updated_at = ?2 WHERE id = ?1 AND deleted_at IS "
                                              "NULL AND (?3 OR workshop_id = ?4)"));
    st.Bind(1, id.value).Bind(2, ToUnixMillis(clock_.Now()));
    BindScope(st, 3, scope);
    SW_TRY(st.Run());
  }
  if (db_->Changes() == 0) return NotFound("device");
  return tx.Commit();
}

// ---- provisioning ----

namespace {

Error NotPending() {
  return MakeError(Errc::kConflict, "the device is not pending", "DEVICE_NOT_PENDING");
}

}  // namespace

Status SqliteStore::SetProvisioningKey(const Scope& scope, WorkshopId workshop,
                                       std::string_view key_hash, SysTime at) {
  Timed t(*this, "provisioning.set_key");
  if (!scope.Allows(workshop)) return NotFound("workshop");
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("INSERT INTO workshop_provisioning (workshop_id, key_hash, rotated_at) "
                            "VALUES (?1, ?2, ?3) ON CONFLICT (workshop_id) DO UPDATE SET "
                            "key_hash = excluded.key_hash, rotated_at = excluded.rotated_at"));
  st.Bind(1, workshop.value).Bind(2, key_hash).Bind(3, ToUnixMillis(at));
  return st.Run();
}

Result<std::optional<core::ProvisioningKey>> SqliteStore::FindProvisioningKey(
    std::string_view slug) {
  Timed t(*this, "provisioning.find_key");
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("SELECT k.workshop_id, k.key_hash, k.rotated_at FROM "
                            "workshop_provisioning k JOIN workshops w ON w.id = k.workshop_id "
                            "WHERE w.slug = ?1 AND w.active = 1"));
  st.Bind(1, slug);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<core::ProvisioningKey>();
  core::ProvisioningKey k;
  k.workshop_id = WorkshopId{st.Int(0)};
  k.key_hash = st.Text(1);
  k.rotated_at = FromUnixMillis(st.Int(2));
  return std::optional<core::ProvisioningKey>(std::move(k));
}

Result<core::Device> SqliteStore::SavePendingDevice(const core::Device& d,
                                                    std::string_view announce_json,
                                                    int max_pending) {
  Timed t(*this, "provisioning.save_pending");
  const auto now = ToUnixMillis(clock_.Now());
  const Scope scope = Scope::Of(d.workshop_id);
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  {
    // Any row with this uid, retired ones included: their uid stays reserved.
    SW_ASSIGN_OR_RETURN(Stmt st,
                        db_->Prepare("SELECT id, workshop_id, status, deleted_at FROM devices "
                                     "WHERE uid = ?1"));
    st.Bind(1, d.uid);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      const std::int64_t id = st.Int(0);
      if (st.Int(1) != d.workshop_id.value || st.Text(2) != "pending" || !st.IsNull(3)) {
        return MakeError(Errc::kConflict, "a device with this uid exists", "DEVICE_UID_TAKEN",
                         "uid");
      }
      SW_ASSIGN_OR_RETURN(Stmt up,
                          db_->Prepare("UPDATE devices SET kind = ?1, firmware_version = ?2, "
                                       "announce = ?3, updated_at = ?4 WHERE id = ?5"));
      up.Bind(1, core::DeviceKindName(d.kind)).Bind(2, d.firmware_version);
      up.Bind(3, announce_json).Bind(4, now).Bind(5, id);
      SW_TRY(up.Run());
      SW_TRY(tx.Commit());
      return GetDeviceLocked(scope, d.uid);
    }
  }
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT COUNT(*) FROM devices WHERE workshop_id = ?1 "
                                              "AND status = 'pending' AND deleted_at IS NULL"));
    st.Bind(1, d.workshop_id.value);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && st.Int(0) >= max_pending) {
      return MakeError(Errc::kConflict, "too many pending devices in this workshop",
                       "PENDING_LIMIT");
    }
  }
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st, db_->Prepare("INSERT INTO devices (uid, kind, workshop_id, name, status, "
                              "firmware_version, secret_hash, report_interval_s, announce, "
                              "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, "
                              "?7, ?8, ?9, ?9)"));
    st.Bind(1, d.uid).Bind(2, core::DeviceKindName(d.kind)).Bind(3, d.workshop_id.value);
    st.Bind(4, d.name).Bind(5, d.firmware_version).Bind(6, d.secret_hash);
    st.Bind(7, d.report_interval_s).Bind(8, announce_json).Bind(9, now);
    if (!st.Run().ok()) return DeviceConflict(db_->LastError("insert pending device"));
  }
  const std::int64_t id = db_->LastInsertId();
  SW_TRY(InsertLicenceLocked(id, d.licence));
  SW_TRY(tx.Commit());
  return GetDeviceLocked(scope, d.uid);
}

Result<core::Device> SqliteStore::ActivatePendingDevice(const Scope& scope, const core::Device& d) {
  Timed t(*this, "provisioning.activate");
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st,
        db_->Prepare("UPDATE devices SET name = ?1, pit_id = ?2, status = ?3, secret_hash = ?4, "
                     "updated_at = ?5 WHERE id = ?6 AND status = 'pending' AND deleted_at IS "
                     "NULL AND (?7 OR workshop_id = ?8)"));
    st.Bind(1, d.name);
    st.Bind(2, d.pit_id ? std::optional<std::int64_t>(d.pit_id->value) : std::nullopt);
    st.Bind(3, core::DeviceStatusName(d.status)).Bind(4, d.secret_hash);
    st.Bind(5, ToUnixMillis(clock_.Now())).Bind(6, d.id.value);
    BindScope(st, 7, scope);
    SW_TRY(st.Run());
    if (db_->Changes() == 0) return NotPending();
  }
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("UPDATE licences SET starts_at = ?1, expires_at = ?2 "
                                              "WHERE device_id = ?3"));
    st.Bind(1, ToUnixMillis(d.licence.starts_at)).Bind(2, ToUnixMillis(d.licence.expires_at));
    st.Bind(3, d.id.value);
    SW_TRY(st.Run());
  }
  SW_TRY(tx.Commit());
  return GetDeviceLocked(scope, d.uid);
}

Status SqliteStore::DeletePendingDevice(const Scope& scope, core::DeviceId id) {
  Timed t(*this, "provisioning.delete_pending");
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM licences WHERE device_id = (SELECT id "
                                              "FROM devices WHERE id = ?1 AND status = 'pending' "
                                              "AND (?2 OR workshop_id = ?3))"));
    st.Bind(1, id.value);
    BindScope(st, 2, scope);
    SW_TRY(st.Run());
  }
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("DELETE FROM devices WHERE id = ?1 AND status = "
                                            "'pending' AND (?2 OR workshop_id = ?3)"));
  st.Bind(1, id.value);
  BindScope(st, 2, scope);
  SW_TRY(st.Run());
  if (db_->Changes() == 0) return NotPending();
  return tx.Commit();
}

}  // namespace sw::storage::sqlite
