// SqliteStore's CommandStore (issue 7): commands and their transitions on the store's
// connection, under the store's mutex.
#include <chrono>

#include "storage/sqlite/sqlite_store.hpp"

namespace sw::storage::sqlite {
namespace {

using core::Command;
using core::CommandState;
using core::CommandTransition;
using core::Scope;

constexpr std::string_view kCols =
    "c.id, c.device_id, d.uid, d.pit_id, c.workshop_id, c.name, c.params, c.state, c.attempts, "
    "c.issued_by, c.idempotency_key, c.created_at, c.expires_at, c.sent_at, c.next_attempt_at, "
    "c.finished_at, c.result_detail, c.verified, c.measured_ma, c.issued_by_integration "
    "FROM commands c JOIN devices d ON d.id = c.device_id ";
constexpr int kMaxTransitions = 32;

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

 private:
  std::lock_guard<std::mutex> lock_;
  metrics::Registry* metrics_;
  const char* op_;
  std::chrono::steady_clock::time_point start_;
};

std::string Sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

std::optional<SysTime> ColTime(const Stmt& st, int col) {
  return st.IsNull(col) ? std::nullopt : std::optional<SysTime>(FromUnixMillis(st.Int(col)));
}
std::optional<std::int64_t> ScopeWorkshop(const Scope& s) {
  return s.workshop ? std::optional<std::int64_t>(s.workshop->value) : std::nullopt;
}

Command ReadCommand(const Stmt& st) {
  Command c;
  c.id = st.Text(0);
  c.device_id = core::DeviceId{st.Int(1)};
  c.device_uid = st.Text(2);
  if (!st.IsNull(3)) c.pit_id = PitId{st.Int(3)};
  c.workshop_id = WorkshopId{st.Int(4)};
  c.name = st.Text(5);
  c.params_json = st.Text(6);
  c.state = core::ParseCommandState(st.Text(7)).value_or(CommandState::kFailed);
  c.attempts = static_cast<int>(st.Int(8));
  if (!st.IsNull(9)) c.issued_by = UserId{st.Int(9)};
  if (!st.IsNull(10)) c.idempotency_key = st.Text(10);
  c.created_at = FromUnixMillis(st.Int(11));
  c.expires_at = FromUnixMillis(st.Int(12));
  c.sent_at = ColTime(st, 13);
  c.next_attempt_at = ColTime(st, 14);
  c.finished_at = ColTime(st, 15);
  c.result_detail = st.Text(16);
  if (!st.IsNull(17)) c.verified = st.Int(17) != 0;
  if (!st.IsNull(18)) c.measured_ma = st.Int(18);
  if (!st.IsNull(19)) c.issued_by_integration = core::IntegrationId{st.Int(19)};
  return c;
}

Status LoadTransitions(Database& db, Command& c) {
  SW_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT state, at, detail FROM command_transitions "
                                          "WHERE command_id = ?1 ORDER BY id"));
  st.Bind(1, c.id);
  c.transitions.clear();
  while (true) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    c.transitions.push_back(
        CommandTransition{core::ParseCommandState(st.Text(0)).value_or(CommandState::kFailed),
                          FromUnixMillis(st.Int(1)), st.Text(2)});
  }
  return Ok{};
}

Result<std::optional<Command>> FindLocked(Database& db, const Scope& scope, std::string_view id) {
  std::optional<Command> c;
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st,
        db.Prepare(Sql({"SELECT ", kCols, "WHERE c.id = ?1 AND (?2 OR c.workshop_id = ?3)"})));
    st.Bind(1, id).Bind(2, scope.all).Bind(3, ScopeWorkshop(scope));
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) c = ReadCommand(st);
  }
  if (c) SW_TRY(LoadTransitions(db, *c));
  return c;
}

Result<Command> GetLocked(Database& db, const Scope& scope, std::string_view id) {
  SW_ASSIGN_OR_RETURN(auto c, FindLocked(db, scope, id));
  if (!c) return MakeError(Errc::kNotFound, "command not found", "NOT_FOUND");
  return std::move(*c);
}

Status InsertTransition(Database& db, std::string_view id, const CommandTransition& t) {
  SW_ASSIGN_OR_RETURN(Stmt st, db.Prepare("INSERT INTO command_transitions (command_id, state, "
                                          "at, detail) VALUES (?1, ?2, ?3, ?4)"));
  st.Bind(1, id).Bind(2, core::CommandStateName(t.state)).Bind(3, ToUnixMillis(t.at));
  st.Bind(4, t.detail);
  return st.Run();
}

Result<std::optional<Command>> FindByKeyLocked(Database& db, UserId issuer, core::DeviceId device,
                                               std::string_view key) {
  std::optional<std::string> id;
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT id FROM commands WHERE issued_by = ?1 AND "
                                            "device_id = ?2 AND idempotency_key = ?3"));
    st.Bind(1, issuer.value).Bind(2, device.value).Bind(3, key);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) id = st.Text(0);
  }
  if (!id) return std::optional<Command>{};
  return FindLocked(db, Scope::All(), *id);
}

Result<std::optional<Command>> FindByIntegrationKeyLocked(Database& db,
                                                          core::IntegrationId integration,
                                                          core::DeviceId device,
                                                          std::string_view key) {
  std::optional<std::string> id;
  {
    SW_ASSIGN_OR_RETURN(Stmt st,
                        db.Prepare("SELECT id FROM commands WHERE issued_by_integration = ?1 AND "
                                   "device_id = ?2 AND idempotency_key = ?3"));
    st.Bind(1, integration.value).Bind(2, device.value).Bind(3, key);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) id = st.Text(0);
  }
  if (!id) return std::optional<Command>{};
  return FindLocked(db, Scope::All(), *id);
}

}  // namespace

Result<std::pair<Command, bool>> SqliteStore::CreateCommand(const Command& c, int max_open) {
  Locked t(mutex_, metrics_, "command.create");
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  if (c.idempotency_key && c.issued_by) {
    SW_ASSIGN_OR_RETURN(auto existing,
                        FindByKeyLocked(*db_, *c.issued_by, c.device_id, *c.idempotency_key));
    if (existing) return std::pair{std::move(*existing), false};
  }
  if (c.idempotency_key && c.issued_by_integration) {
    SW_ASSIGN_OR_RETURN(auto existing, FindByIntegrationKeyLocked(*db_, *c.issued_by_integration,
                                                                  c.device_id, *c.idempotency_key));
    if (existing) return std::pair{std::move(*existing), false};
  }
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT count(*) FROM commands WHERE device_id = ?1 "
                                              "AND state IN ('queued', 'sent')"));
    st.Bind(1, c.device_id.value);
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && st.Int(0) >= max_open) {
      return MakeError(Errc::kConflict,
                       "the device has " + std::to_string(max_open) +
                           " open commands; wait for them to finish or cancel some",
                       "COMMAND_QUEUE_FULL");
    }
  }
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st,
        db_->Prepare("INSERT INTO commands (id, device_id, workshop_id, name, params, state, "
                     "attempts, issued_by, idempotency_key, created_at, expires_at, "
                     "issued_by_integration) VALUES "
                     "(?1, ?2, ?3, ?4, ?5, 'queued', 0, ?6, ?7, ?8, ?9, ?10)"));
    st.Bind(1, c.id).Bind(2, c.device_id.value).Bind(3, c.workshop_id.value).Bind(4, c.name);
    st.Bind(5, c.params_json);
    st.Bind(6, c.issued_by ? std::optional<std::int64_t>(c.issued_by->value) : std::nullopt);
    st.Bind(7, c.idempotency_key).Bind(8, ToUnixMillis(c.created_at));
    st.Bind(9, ToUnixMillis(c.expires_at));
    st.Bind(10, c.issued_by_integration
                    ? std::optional<std::int64_t>(c.issued_by_integration->value)
                    : std::nullopt);
    if (auto s = st.Run(); !s.ok()) return s.take_error();
  }
  SW_TRY(InsertTransition(*db_, c.id,
                          c.transitions.empty()
                              ? CommandTransition{CommandState::kQueued, c.created_at, ""}
                              : c.transitions.front()));
  SW_TRY(tx.Commit());
  SW_ASSIGN_OR_RETURN(Command stored, GetLocked(*db_, Scope::All(), c.id));
  return std::pair{std::move(stored), true};
}

Result<std::optional<Command>> SqliteStore::FindByIdempotencyKey(UserId issuer,
                                                                 core::DeviceId device,
                                                                 std::string_view key) {
  Locked t(mutex_, metrics_, "command.find_key");
  return FindByKeyLocked(*db_, issuer, device, key);
}

Result<Command> SqliteStore::GetCommand(const Scope& scope, std::string_view id) {
  Locked t(mutex_, metrics_, "command.get");
  return GetLocked(*db_, scope, id);
}

Result<core::Page<Command>> SqliteStore::ListCommands(const Scope& scope, core::DeviceId device,
                                                      core::PageRequest page) {
  Locked t(mutex_, metrics_, "command.list");
  core::Page<Command> out;
  out.request = page;
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT count(*) FROM commands WHERE device_id = ?1 "
                                              "AND (?2 OR workshop_id = ?3)"));
    st.Bind(1, device.value).Bind(2, scope.all).Bind(3, ScopeWorkshop(scope));
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    out.total = row ? st.Int(0) : 0;
  }
  {
    SW_ASSIGN_OR_RETURN(Stmt st,
                        db_->Prepare(Sql({"SELECT ", kCols,
                                          "WHERE c.device_id = ?1 AND (?2 OR c.workshop_id = ?3) "
                                          "ORDER BY c.rowid DESC LIMIT ?4 OFFSET ?5"})));
    st.Bind(1, device.value).Bind(2, scope.all).Bind(3, ScopeWorkshop(scope));
    st.Bind(4, page.page_size).Bind(5, page.Offset());
    while (true) {
      SW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.items.push_back(ReadCommand(st));
    }
  }
  for (Command& c : out.items) SW_TRY(LoadTransitions(*db_, c));
  return out;
}

Result<std::vector<Command>> SqliteStore::ListDueCommands(std::optional<core::DeviceId> device,
                                                          SysTime now, int limit) {
  Locked t(mutex_, metrics_, "command.due");
  SW_ASSIGN_OR_RETURN(
      Stmt st,
      db_->Prepare(
          Sql({"SELECT ", kCols,
               "WHERE c.state IN ('queued', 'sent') AND c.expires_at > ?1 AND "
               "(c.state = 'queued' OR c.next_attempt_at <= ?1) AND "
               "(?2 IS NULL OR c.device_id = ?2 OR d.parent_id = ?2) ORDER BY c.rowid LIMIT ?3"})));
  st.Bind(1, ToUnixMillis(now));
  st.Bind(2, device ? std::optional<std::int64_t>(device->value) : std::nullopt);
  st.Bind(3, limit);
  std::vector<Command> out;
  while (true) {
    SW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadCommand(st));
  }
  return out;
}

Result<bool> SqliteStore::MarkCommandSent(std::string_view id, SysTime now, SysTime next_attempt) {
  Locked t(mutex_, metrics_, "command.sent");
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st,
        db_->Prepare("UPDATE commands SET state = 'sent', attempts = attempts + 1, "
                     "sent_at = COALESCE(sent_at, ?2), next_attempt_at = ?3 WHERE id = ?1 AND "
                     "expires_at > ?2 AND (state = 'queued' OR (state = 'sent' AND "
                     "next_attempt_at <= ?2))"));
    st.Bind(1, id).Bind(2, ToUnixMillis(now)).Bind(3, ToUnixMillis(next_attempt));
    SW_TRY(st.Run());
  }
  if (db_->Changes() != 1) return false;
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO command_transitions (command_id, state, "
                                              "at, detail) SELECT id, 'sent', ?2, 'attempt ' || "
                                              "attempts FROM commands WHERE id = ?1"));
    st.Bind(1, id).Bind(2, ToUnixMillis(now));
    SW_TRY(st.Run());
  }
  SW_TRY(tx.Commit());
  return true;
}

Result<std::optional<Command>> SqliteStore::FinishCommand(std::string_view id,
                                                          const std::vector<CommandState>& from,
                                                          const core::CommandOutcome& o) {
  Locked t(mutex_, metrics_, "command.finish");
  if (from.empty()) return std::optional<Command>{};
  std::string states;
  for (CommandState s : from) {
    states += (states.empty() ? "'" : ", '") + std::string(core::CommandStateName(s)) + "'";
  }
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  {
    SW_ASSIGN_OR_RETURN(
        Stmt st, db_->Prepare("UPDATE commands SET state = ?2, finished_at = ?3, result_detail = "
                              "?4, verified = ?5, measured_ma = ?6 WHERE id = ?1 AND state IN (" +
                              states + ")"));
    st.Bind(1, id).Bind(2, core::CommandStateName(o.state)).Bind(3, ToUnixMillis(o.at));
    st.Bind(4, o.detail).Bind(5, o.verified).Bind(6, o.measured_ma);
    SW_TRY(st.Run());
  }
  if (db_->Changes() != 1) return std::optional<Command>{};
  SW_TRY(InsertTransition(*db_, id, CommandTransition{o.state, o.at, o.detail}));
  SW_TRY(tx.Commit());
  SW_ASSIGN_OR_RETURN(Command c, GetLocked(*db_, Scope::All(), id));
  return std::optional<Command>(std::move(c));
}

Status SqliteStore::AppendCommandTransition(std::string_view id, const CommandTransition& tr) {
  Locked t(mutex_, metrics_, "command.transition");
  SW_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare("INSERT INTO command_transitions (command_id, state, at, detail) "
                            "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM commands WHERE "
                            "id = ?1) AND (SELECT count(*) FROM command_transitions WHERE "
                            "command_id = ?1) < ?5"));
  st.Bind(1, id).Bind(2, core::CommandStateName(tr.state)).Bind(3, ToUnixMillis(tr.at));
  st.Bind(4, tr.detail).Bind(5, kMaxTransitions);
  return st.Run();
}

Result<std::vector<Command>> SqliteStore::ExpireCommands(SysTime now, int limit) {
  Locked t(mutex_, metrics_, "command.expire");
  std::vector<std::pair<std::string, bool>> due;  // id, was sent
  {
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT id, state FROM commands WHERE state IN "
                                              "('queued', 'sent') AND expires_at <= ?1 "
                                              "ORDER BY rowid LIMIT ?2"));
    st.Bind(1, ToUnixMillis(now)).Bind(2, limit);
    while (true) {
      SW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      due.emplace_back(st.Text(0), st.Text(1) == "sent");
    }
  }
  std::vector<Command> out;
  if (due.empty()) return out;
  std::vector<std::string> expired;  // by this call (the ids whose update took)
  Transaction tx(*db_);
  SW_TRY(tx.Begin());
  for (const auto& [id, sent] : due) {
    const std::string detail =
        sent ? "no result before expiry" : "expired before it could be delivered";
    {
      SW_ASSIGN_OR_RETURN(
          Stmt st,
          db_->Prepare("UPDATE commands SET state = 'expired', finished_at = ?2, "
                       "result_detail = ?3 WHERE id = ?1 AND state IN ('queued', 'sent')"));
      st.Bind(1, id).Bind(2, ToUnixMillis(now)).Bind(3, detail);
      SW_TRY(st.Run());
    }
    if (db_->Changes() != 1) continue;
    SW_TRY(InsertTransition(*db_, id, CommandTransition{CommandState::kExpired, now, detail}));
    expired.push_back(id);
  }
  SW_TRY(tx.Commit());
  // (Comparing finished_at with `now` would miss them all: times are stored in milliseconds.)
  for (const std::string& id : expired) {
    SW_ASSIGN_OR_RETURN(Command c, GetLocked(*db_, Scope::All(), id));
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::vector<Command>> SqliteStore::ListSocketCommands(
    std::span<const core::DeviceId> devices, int recent) {
  Locked t(mutex_, metrics_, "command.sockets");
  std::vector<Command> out;
  for (const core::DeviceId device : devices) {
    {
      SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Sql({"SELECT ", kCols,
                                                     "WHERE c.device_id = ?1 AND c.name IN "
                                                     "('relay', 'cut') AND c.state IN ('queued', "
                                                     "'sent') ORDER BY c.rowid"})));
      st.Bind(1, device.value);
      while (true) {
        SW_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back(ReadCommand(st));
      }
    }
    SW_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(Sql({"SELECT ", kCols,
                                                   "WHERE c.device_id = ?1 AND c.name IN "
                                                   "('relay', 'cut') AND c.state = 'succeeded' "
                                                   "ORDER BY c.finished_at DESC LIMIT ?2"})));
    st.Bind(1, device.value).Bind(2, recent);
    while (true) {
      SW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadCommand(st));
    }
  }
  return out;
}

}  // namespace sw::storage::sqlite
