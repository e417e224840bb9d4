// SqliteStore's IntegrationStore (issue 4): MQTT integration accounts on the store's
// connection, under the store's mutex. Tenant scoping in the SQL, like every other table.
#include <chrono>

#include "storage/sqlite/sqlite_store.hpp"

namespace sw::storage::sqlite {
namespace {

using core::Integration;
using core::IntegrationId;
using core::Scope;

constexpr std::string_view kCols =
    "id, workshop_id, name, username, access, enabled, secret_hash, secret_rotated_at, "
    "created_by, created_at, updated_at FROM integrations ";

// Locks the store's mutex and records the call's duration (like SqliteStore::Timed).
class Locked {
 public:
  Locked(std::mutex& m, metrics::Registry* metrics, const char* op)
      : lock_(m), metrics_(metrics), op_(op), start_(std::chrono::steady_clock::now()) {}
  ~Locked() {
    if (!metrics_) return;
    metrics_
        ->GetHistogram("sitewatch_storage_seconds", "Storage call duration by operation",
                       {{"backend", "sqlite"}, {"op", op_}})
        .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;
  metrics::Registry* metrics_;
  const char* op_;
  std::chrono::steady_clock::time_point start_;
};

std::string Select(std::string_view where) {
  return "SELECT " + std::string(kCols) + std::string(where);
}

std::optional<std::int64_t> ScopeWorkshop(const Scope& s) {
  return s.workshop ? std::optional<std::int64_t>(s.workshop->value) : std::nullopt;
}

Integration ReadIntegration(const Stmt& st) {
  Integration i;
  i.id = IntegrationId{st.Int(0)};
  i.workshop_id = WorkshopId{st.Int(1)};
  i.name = st.Text(2);
  i.username = st.Text(3);
  i.access = core::ParseIntegrationAccess(st.Text(4)).value_or(core::IntegrationAccess::kRead);
  i.enabled = st.Int(5) != 0;
  i.secret_hash = st.Text(6);
  i.secret_rotated_at = FromUnixMillis(st.Int(7));
  if (!st.IsNull(8)) i.created_by = UserId{st.Int(8)};
  i.created_at = FromUnixMillis(st.Int(9));
  i.updated_at = FromUnixMillis(st.Int(10));
  return i;
}

Error NotFoundIntegration() {
  return MakeError(Errc::kNotFound, "integration not found", "NOT_FOUND");
}

Result<Integration> GetLocked(Database& db, const Scope& scope, IntegrationId id) {
  SW_ASSIGN_OR_RETURN(Stmt st, db.Prepare(Select("WHERE id = ?1 AND (?2 OR workshop_id = ?3)")));
  st.Bind(1, id.value).Bind(2, scope.all).Bind(3, ScopeWorkshop(scope));
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundIntegration();
  return ReadIntegration(st);
}

}  // namespace

Result<Integration> SqliteStore::CreateIntegration(const Scope& scope, const Integration& i) {
  Locked t(mutex_, metrics_, "integration.create");
  if (!scope.Allows(i.workshop_id)) return NotFoundIntegration();
  const auto now = ToUnixMillis(clock_.Now());
  SW_ASSIGN_OR_RETURN(
      Stmt st,
      db_->Prepare("INSERT INTO integrations (workshop_id, name, username, access, enabled, "
                   "secret_hash, secret_rotated_at, created_by, created_at, updated_at) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"));
  st.Bind(1, i.workshop_id.value).Bind(2, i.name).Bind(3, i.username);
  st.Bind(4, core::IntegrationAccessName(i.access)).Bind(5, i.enabled).Bind(6, i.secret_hash);
  st.Bind(7, ToUnixMillis(i.secret_rotated_at));
  st.Bind(8, i.created_by ? std::optional<std::int64_t>(i.created_by->value) : std::nullopt);
  st.Bind(9, now);
  if (!st.Run().ok()) {
    Error e = db_->LastError("insert integration");
    if (e.code == Errc::kConflict) {
      return MakeError(Errc::kConflict, "integration username collision",
                       "INTEGRATION_USERNAME_TAKEN");
    }
    return e;
  }
  return GetLocked(*db_, Scope::All(), IntegrationId{db_->LastInsertId()});
}

Result<Integration> SqliteStore::GetIntegration(const Scope& scope, IntegrationId id) {
  Locked t(mutex_, metrics_, "integration.get");
  return GetLocked(*db_, scope, id);
}

Result<core::Page<Integration>> SqliteStore::ListIntegrations(const Scope& scope,
                                                              WorkshopId workshop,
                                                              core::PageRequest page) {
  Locked t(mutex_, metrics_, "integration.list");
  core::Page<Integration> out;
  out.request = page;
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT count(*) FROM integrations WHERE "
                                              "workshop_id = ?1 AND (?2 OR workshop_id = ?3)"));
    st.Bind(1, workshop.value).Bind(2, scope.all).Bind(3, ScopeWorkshop(scope));
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) out.total = st.Int(0);
  }
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Select("WHERE workshop_id = ?1 AND (?2 OR "
                                                   "workshop_id = ?3) ORDER BY id "
                                                   "LIMIT ?4 OFFSET ?5")));
  st.Bind(1, workshop.value).Bind(2, scope.all).Bind(3, ScopeWorkshop(scope));
  st.Bind(4, page.page_size).Bind(5, page.Offset());
  while (true) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.items.push_back(ReadIntegration(st));
  }
  return out;
}

Result<Integration> SqliteStore::UpdateIntegration(const Scope& scope, const Integration& i) {
  Locked t(mutex_, metrics_, "integration.update");
  SW_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("UPDATE integrations SET name = ?1, access = ?2, enabled = ?3, "
                                   "secret_hash = ?4, secret_rotated_at = ?5, updated_at = ?6 "
                                   "WHERE id = ?7 AND (?8 OR workshop_id = ?9)"));
  st.Bind(1, i.name).Bind(2, core::IntegrationAccessName(i.access)).Bind(3, i.enabled);
  st.Bind(4, i.secret_hash).Bind(5, ToUnixMillis(i.secret_rotated_at));
  st.Bind(6, ToUnixMillis(clock_.Now())).Bind(7, i.id.value).Bind(8, scope.all);
  st.Bind(9, ScopeWorkshop(scope));
  SW_TRY(st.Run());
  if (db_->Changes() == 0) return NotFoundIntegration();
  return GetLocked(*db_, Scope::All(), i.id);
}

Status SqliteStore::DeleteIntegration(const Scope& scope, IntegrationId id) {
  Locked t(mutex_, metrics_, "integration.delete");
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("DELETE FROM integrations WHERE id = ?1 AND (?2 OR workshop_id = ?3)"));
  st.Bind(1, id.value).Bind(2, scope.all).Bind(3, ScopeWorkshop(scope));
  SW_TRY(st.Run());
  if (db_->Changes() == 0) return NotFoundIntegration();
  return Ok{};
}

Result<std::optional<Integration>> SqliteStore::FindIntegrationByUsername(
    std::string_view username) {
  Locked t(mutex_, metrics_, "integration.find");
  SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Select("WHERE username = ?1")));
  st.Bind(1, username);
  SW_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<Integration>{};
  return std::optional<Integration>(ReadIntegration(st));
}

}  // namespace sw::storage::sqlite
