// SqliteStore: the core's storage ports on one SQLite database.
//
// Thread-safe: one mutex serialises every call (SQLite has one writer anyway); each method
// is one statement or one transaction, so it is atomic. Tenant scoping is done in the SQL
// of every query (`WHERE (?all OR workshop_id = ?ws)`), not left to callers.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "core/ports.hpp"
#include "storage/sqlite/database.hpp"

namespace sw::storage::sqlite {

class SqliteStore final : public core::WorkshopStore,
                          public core::PitStore,
                          public core::UserStore,
                          public core::SessionStore,
                          public core::AuditStore,
                          public core::DeviceStore,
                          public core::ProvisioningStore,
                          public core::CommandStore,
                          public core::IntegrationStore {
 public:
  // Opens and migrates. `metrics` may be null.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path, int busy_timeout_ms,
                                                   const Clock& clock, metrics::Registry* metrics);

  core::Stores Stores() {
    return core::Stores{*this, *this, *this, *this, *this, *this, *this, *this};
  }

  // Health check for /ready: a trivial query succeeds.
  Status Ping();
  Status BackupTo(const std::string& path);
  // Flushes the WAL into the main file (on shutdown).
  Status Checkpoint();
  // Takes WAL checkpoints off the request path (the server): this connection stops
  // checkpointing when a commit grows the WAL past SQLite's threshold — a checkpoint fsyncs,
  // which cost some unlucky request milliseconds — and CheckpointPassive(), run by a periodic
  // job, copies committed pages on a connection of its own, without the store's mutex and
  // without blocking writers. Other subcommands keep SQLite's automatic checkpoints.
  Status DeferCheckpoints();
  Status CheckpointPassive();

  Result<core::Workshop> CreateWorkshop(const core::Workshop& w) override;
  Result<core::Workshop> GetWorkshop(const core::Scope& scope, WorkshopId id) override;
  Result<core::Page<core::Workshop>> ListWorkshops(const core::Scope& scope, core::PageRequest page,
                                                   bool active_only) override;
  Result<core::Workshop> UpdateWorkshop(const core::Scope& scope, const core::Workshop& w) override;
  Result<bool> SlugExists(std::string_view slug) override;

  Result<core::Pit> CreatePit(const core::Scope& scope, const core::Pit& p) override;
  Result<core::Pit> GetPit(const core::Scope& scope, PitId id) override;
  Result<std::vector<core::Pit>> ListPits(const core::Scope& scope, WorkshopId workshop) override;
  Result<core::Pit> UpdatePit(const core::Scope& scope, const core::Pit& p) override;
  Status DeletePit(const core::Scope& scope, PitId id) override;

  Result<core::User> CreateUser(const core::User& u) override;
  Result<core::User> GetUser(const core::Scope& scope, UserId id) override;
  Result<std::optional<core::User>> FindUserByUsername(std::string_view username) override;
  Result<core::Page<core::User>> ListUsers(const core::Scope& scope, const core::UserFilter& filter,
                                           core::PageRequest page) override;
  Result<core::User> UpdateUser(const core::Scope& scope, const core::User& u) override;
  Result<core::User> RecordLoginFailure(UserId id, int threshold, SysTime lock_until) override;
  Status RecordLoginSuccess(UserId id, SysTime at) override;
  Result<std::int64_t> CountUsers() override;

  Status CreateSession(const core::Session& s, std::string_view refresh_hash,
                       SysTime refresh_expires) override;
  Result<std::optional<core::RefreshRecord>> FindRefresh(std::string_view refresh_hash) override;
  Result<bool> RotateRefresh(std::string_view old_hash, std::string_view new_hash,
                             SysTime new_expires) override;
  Status RevokeSession(std::string_view session_id, SysTime at) override;
  Status RevokeUserSessions(UserId user, SysTime at) override;
  Result<std::optional<core::User>> FindSessionUser(std::string_view session_id) override;

  Status AppendAudit(const core::AuditEntry& e) override;
  Result<core::Page<core::AuditEntry>> ListAudit(const core::Scope& scope,
                                                 const core::AuditFilter& filter,
                                                 core::PageRequest page) override;

  // Devices (sqlite_devices.cpp).
  Result<core::Device> CreateDevice(const core::Scope& scope, const core::Device& d) override;
  Result<core::Device> GetDevice(const core::Scope& scope, std::string_view uid) override;
  Result<core::Device> GetRetiredDevice(const core::Scope& scope, std::string_view uid) override;
  Result<core::Page<core::Device>> ListDevices(const core::Scope& scope, WorkshopId workshop,
                                               const core::DeviceFilter& filter,
                                               core::PageRequest page) override;
  Result<core::Device> UpdateDevice(const core::Scope& scope, const core::Device& d) override;
  Status SavePresence(const std::vector<core::PresenceRecord>& records) override;
  Status DeleteDevice(const core::Scope& scope, core::DeviceId id, bool purge) override;

  // Provisioning.
  Status SetProvisioningKey(const core::Scope& scope, WorkshopId workshop,
                            std::string_view key_hash, SysTime at) override;
  Result<std::optional<core::ProvisioningKey>> FindProvisioningKey(std::string_view slug) override;
  Result<core::Device> SavePendingDevice(const core::Device& d, std::string_view announce_json,
                                         int max_pending) override;
  Result<core::Device> ActivatePendingDevice(const core::Scope& scope,
                                             const core::Device& d) override;
  Status DeletePendingDevice(const core::Scope& scope, core::DeviceId id) override;

  // Commands (command_store.cpp).
  Result<std::pair<core::Command, bool>> CreateCommand(const core::Command& c,
                                                       int max_open) override;
  Result<std::optional<core::Command>> FindByIdempotencyKey(UserId issuer, core::DeviceId device,
                                                            std::string_view key) override;
  Result<core::Command> GetCommand(const core::Scope& scope, std::string_view id) override;
  Result<core::Page<core::Command>> ListCommands(const core::Scope& scope, core::DeviceId device,
                                                 core::PageRequest page) override;
  Result<std::vector<core::Command>> ListDueCommands(std::optional<core::DeviceId> device,
                                                     SysTime now, int limit) override;
  Result<bool> MarkCommandSent(std::string_view id, SysTime now, SysTime next_attempt) override;
  Result<std::optional<core::Command>> FinishCommand(std::string_view id,
                                                     const std::vector<core::CommandState>& from,
                                                     const core::CommandOutcome& o) override;
  Status AppendCommandTransition(std::string_view id, const core::CommandTransition& t) override;
  Result<std::vector<core::Command>> ExpireCommands(SysTime now, int limit) override;
  Result<std::vector<core::Command>> ListSocketCommands(std::span<const core::DeviceId> devices,
                                                        int recent) override;

  // MQTT integrations (integration_store.cpp).
  Result<core::Integration> CreateIntegration(const core::Scope& scope,
                                              const core::Integration& i) override;
  Result<core::Integration> GetIntegration(const core::Scope& scope,
                                           core::IntegrationId id) override;
  Result<core::Page<core::Integration>> ListIntegrations(const core::Scope& scope,
                                                         WorkshopId workshop,
                                                         core::PageRequest page) override;
  Result<core::Integration> UpdateIntegration(const core::Scope& scope,
                                              const core::Integration& i) override;
  Status DeleteIntegration(const core::Scope& scope, core::IntegrationId id) override;
  Result<std::optional<core::Integration>> FindIntegrationByUsername(
      std::string_view username) override;

 private:
  SqliteStore(std::unique_ptr<Database> db, std::string path, int busy_timeout_ms,
              const Clock& clock, metrics::Registry* metrics);
  class Timed;  // locks the mutex and records the call's duration

  Result<core::Workshop> GetWorkshopLocked(const core::Scope& scope, WorkshopId id);
  Result<core::Pit> GetPitLocked(const core::Scope& scope, PitId id);
  Result<core::User> GetUserLocked(const core::Scope& scope, UserId id);
  Result<core::Device> GetDeviceLocked(const core::Scope& scope, std::string_view uid);
  // A device's licence row, inside the caller's transaction.
  Status InsertLicenceLocked(std::int64_t device_id, const core::Licence& licence);

  std::unique_ptr<Database> db_;
  const std::string path_;
  const int busy_timeout_ms_;
  const Clock& clock_;
  metrics::Registry* metrics_;
  std::mutex mutex_;
  std::mutex checkpoint_mutex_;
  std::unique_ptr<Database> checkpointer_;  // DeferCheckpoints' own connection
};

}  // namespace sw::storage::sqlite
