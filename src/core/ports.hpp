// Ports: the interfaces the core needs from the outside world. Storage adapters
// (src/storage/sqlite, later postgres) and crypto (src/security) implement them; src/app
// wires them. Implementations must be thread-safe: the HTTP server calls them from several
// threads. Every tenant-data method takes a Scope and treats rows outside it as absent.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "core/command.hpp"
#include "core/device.hpp"
#include "core/integration.hpp"
#include "core/model.hpp"

namespace sw::core {

class WorkshopStore {
 public:
  virtual ~WorkshopStore() = default;
  // Conflict (machine code SLUG_TAKEN) when the slug exists.
  virtual Result<Workshop> CreateWorkshop(const Workshop& w) = 0;
  virtual Result<Workshop> GetWorkshop(const Scope& scope, WorkshopId id) = 0;
  virtual Result<Page<Workshop>> ListWorkshops(const Scope& scope, PageRequest page,
                                               bool active_only) = 0;
  virtual Result<Workshop> UpdateWorkshop(const Scope& scope, const Workshop& w) = 0;
  virtual Result<bool> SlugExists(std::string_view slug) = 0;
};

class PitStore {
 public:
  virtual ~PitStore() = default;
  // Conflict (PIT_NUMBER_TAKEN) when the number exists in the workshop.
  virtual Result<Pit> CreatePit(const Scope& scope, const Pit& p) = 0;
  virtual Result<Pit> GetPit(const Scope& scope, PitId id) = 0;
  virtual Result<std::vector<Pit>> ListPits(const Scope& scope, WorkshopId workshop) = 0;
  virtual Result<Pit> UpdatePit(const Scope& scope, const Pit& p) = 0;
  virtual Status DeletePit(const Scope& scope, PitId id) = 0;
};

struct UserFilter {
  std::optional<WorkshopId> workshop_id;
  std::optional<Role> role;
};

class UserStore {
 public:
  virtual ~UserStore() = default;
  // Conflict (USERNAME_TAKEN) when the username exists, compared case-insensitively.
  virtual Result<User> CreateUser(const User& u) = 0;
  virtual Result<User> GetUser(const Scope& scope, UserId id) = 0;
  // Login lookup: not tenant-scoped (a username is global). nullopt when unknown.
  virtual Result<std::optional<User>> FindUserByUsername(std::string_view username) = 0;
  virtual Result<Page<User>> ListUsers(const Scope& scope, const UserFilter& filter,
                                       PageRequest page) = 0;
  virtual Result<User> UpdateUser(const Scope& scope, const User& u) = 0;
  // Records a failed login; locks the account when failures reach `threshold`.
  virtual Result<User> RecordLoginFailure(UserId id, int threshold, SysTime lock_until) = 0;
  virtual Status RecordLoginSuccess(UserId id, SysTime at) = 0;
  virtual Result<std::int64_t> CountUsers() = 0;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;
  // Creates a session with its first refresh token (hash only).
  virtual Status CreateSession(const Session& s, std::string_view refresh_hash,
                               SysTime refresh_expires) = 0;
  // The token record with its session's state; nullopt when the hash is unknown.
  virtual Result<std::optional<RefreshRecord>> FindRefresh(std::string_view refresh_hash) = 0;
  // Atomically marks `old_hash` used and stores `new_hash` in the same session. Returns
  // false (and changes nothing) if `old_hash` was already used or the session revoked.
  virtual Result<bool> RotateRefresh(std::string_view old_hash, std::string_view new_hash,
                                     SysTime new_expires) = 0;
  virtual Status RevokeSession(std::string_view session_id, SysTime at) = 0;
  virtual Status RevokeUserSessions(UserId user, SysTime at) = 0;
  // The active (not revoked) session's user, for authenticating an access token.
  virtual Result<std::optional<User>> FindSessionUser(std::string_view session_id) = 0;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;
  virtual Status AppendAudit(const AuditEntry& e) = 0;
  virtual Result<Page<AuditEntry>> ListAudit(const Scope& scope, const AuditFilter& filter,
                                             PageRequest page) = 0;
};

struct DeviceFilter {
  std::optional<DeviceKind> kind;
  std::optional<DeviceStatus> status;
  std::optional<PitId> pit_id;
  std::optional<DeviceId> parent_id;  // a gateway's outlets
};

class DeviceStore {
 public:
  virtual ~DeviceStore() = default;
  // Creates the device and its licence in one transaction. Conflict with machine code
  // DEVICE_UID_TAKEN, RADIO_ADDRESS_TAKEN or LICENCE_KEY_TAKEN.
  virtual Result<Device> CreateDevice(const Scope& scope, const Device& d) = 0;
  virtual Result<Device> GetDevice(const Scope& scope, std::string_view uid) = 0;
  // A retired device by its uid (to purge it later); NotFound when none is retired.
  virtual Result<Device> GetRetiredDevice(const Scope& scope, std::string_view uid) = 0;
  virtual Result<Page<Device>> ListDevices(const Scope& scope, WorkshopId workshop,
                                           const DeviceFilter& filter, PageRequest page) = 0;
  // Name, pit, status, report interval and secret hash.
  virtual Result<Device> UpdateDevice(const Scope& scope, const Device& d) = 0;
  // Retires the device: it disappears from reads and can no longer connect, its uid stays
  // reserved and its history is kept. `purge` removes the row (and, later, its history) and
  // frees the uid. DEVICE_HAS_CHILDREN while outlets still hang off a gateway.
  virtual Status DeleteDevice(const Scope& scope, DeviceId id, bool purge) = 0;
  // Stores online, last_seen and firmware of many devices in one transaction (platform
  // bookkeeping: not tenant-scoped, not audited, does not touch updated_at).
  virtual Status SavePresence(const std::vector<PresenceRecord>& records) = 0;
};

// A workshop's provisioning key: only its SHA-256 is kept (the key is shown once).
struct ProvisioningKey {
  WorkshopId workshop_id;
  std::string key_hash;  // SHA-256 hex
  SysTime rotated_at{};
};

// Device provisioning (PRODUCT.md §4): the workshops' provisioning keys and the pending
// devices that announced themselves with one.
class ProvisioningStore {
 public:
  virtual ~ProvisioningStore() = default;
  // Creates or replaces the workshop's key hash.
  virtual Status SetProvisioningKey(const Scope& scope, WorkshopId workshop,
                                    std::string_view key_hash, SysTime at) = 0;
  // The key of the active workshop with this slug; nullopt when there is no such active
  // workshop or it has no key. Platform lookup: not tenant-scoped.
  virtual Result<std::optional<ProvisioningKey>> FindProvisioningKey(std::string_view slug) = 0;
  // Creates `d` (status pending, with its licence and the announce JSON) or, when a pending
  // device with d.uid exists in d.workshop_id, updates its kind, firmware and announce.
  // Conflict DEVICE_UID_TAKEN when the uid is otherwise taken (a device that is not pending,
  // retired, or of another workshop); PENDING_LIMIT when creating would exceed
  // `max_pending` pending devices in the workshop; LICENCE_KEY_TAKEN on a key collision.
  virtual Result<Device> SavePendingDevice(const Device& d, std::string_view announce_json,
                                           int max_pending) = 0;
  // Turns a pending device into `d`: status, name, pit, secret hash, licence dates — only
  // while it is still pending (Conflict DEVICE_NOT_PENDING otherwise).
  virtual Result<Device> ActivatePendingDevice(const Scope& scope, const Device& d) = 0;
  // Removes a device (and its licence) only while it is pending (DEVICE_NOT_PENDING).
  virtual Status DeletePendingDevice(const Scope& scope, DeviceId id) = 0;
};

// Commands to devices (issue 7). User-facing reads are tenant-scoped; the delivery methods
// (due, sent, outcome, expiry) are platform calls, keyed by the command id.
class CommandStore {
 public:
  virtual ~CommandStore() = default;
  // Stores `c` (state queued) with its first transition, in one transaction. With an
  // idempotency key, an existing command of the same issuer, device and key is returned
  // instead (second: false). Conflict COMMAND_QUEUE_FULL when the device already has
  // `max_open` open (queued or sent) commands.
  virtual Result<std::pair<Command, bool>> CreateCommand(const Command& c, int max_open) = 0;
  // nullopt when the issuer has no command with this key for the device.
  virtual Result<std::optional<Command>> FindByIdempotencyKey(UserId issuer, DeviceId device,
                                                              std::string_view key) = 0;
  // With its transitions. NotFound outside the scope.
  virtual Result<Command> GetCommand(const Scope& scope, std::string_view id) = 0;
  // A device's commands, newest first, with their transitions.
  virtual Result<Page<Command>> ListCommands(const Scope& scope, DeviceId device,
                                             PageRequest page) = 0;
  // Open, unexpired commands due for a delivery at `now` (queued, or sent with
  // next_attempt_at <= now), oldest first; of one device (and its outlets) or of all.
  virtual Result<std::vector<Command>> ListDueCommands(std::optional<DeviceId> device, SysTime now,
                                                       int limit) = 0;
  // Claims one delivery: attempts + 1, state sent, sent_at (first time), next_attempt_at —
  // only while the command is still due and unexpired at `now` (false: someone else claimed it
  // or it ended). Records the transition.
  virtual Result<bool> MarkCommandSent(std::string_view id, SysTime now, SysTime next_attempt) = 0;
  // Moves the command to `outcome.state` only from one of `from`; nullopt (and nothing
  // changed) otherwise. Records the transition. Returns the command as updated.
  virtual Result<std::optional<Command>> FinishCommand(std::string_view id,
                                                       const std::vector<CommandState>& from,
                                                       const CommandOutcome& outcome) = 0;
  // Records a transition that does not change the state (a late result), at most a bounded
  // number per command.
  virtual Status AppendCommandTransition(std::string_view id, const CommandTransition& t) = 0;
  // Open commands with expires_at <= now become expired (transition recorded); returned.
  virtual Result<std::vector<Command>> ExpireCommands(SysTime now, int limit) = 0;
  // What the socket view of outlets needs (OutletService): per device, every open `relay` and
  // `cut` command and the `recent` last succeeded ones (by finish time), without transitions.
  virtual Result<std::vector<Command>> ListSocketCommands(std::span<const DeviceId> devices,
                                                          int recent) = 0;
};

// MQTT integration accounts (issue 4). User-facing methods are tenant-scoped; the broker's
// lookup by username is a platform call.
class IntegrationStore {
 public:
  virtual ~IntegrationStore() = default;
  // Conflict INTEGRATION_USERNAME_TAKEN on a username collision.
  virtual Result<Integration> CreateIntegration(const Scope& scope, const Integration& i) = 0;
  virtual Result<Integration> GetIntegration(const Scope& scope, IntegrationId id) = 0;
  // A workshop's integrations, oldest first.
  virtual Result<Page<Integration>> ListIntegrations(const Scope& scope, WorkshopId workshop,
                                                     PageRequest page) = 0;
  // Name, access, enabled, secret hash and its rotation time.
  virtual Result<Integration> UpdateIntegration(const Scope& scope, const Integration& i) = 0;
  // Removes the row; the commands it issued keep their history (issuer set to null).
  virtual Status DeleteIntegration(const Scope& scope, IntegrationId id) = 0;
  // Broker lookup: nullopt when no integration has this username.
  virtual Result<std::optional<Integration>> FindIntegrationByUsername(
      std::string_view username) = 0;
};

// Everything the core reads and writes, as one bundle of references.
struct Stores {
  WorkshopStore& workshops;
  PitStore& pits;
  UserStore& users;
  SessionStore& sessions;
  AuditStore& audit;
  DeviceStore& devices;
  ProvisioningStore& provisioning;
  CommandStore& commands;
};

// Password hashing, randomness and digests (libsodium/OpenSSL behind it).
class Crypto {
 public:
  virtual ~Crypto() = default;
  virtual Result<std::string> HashPassword(std::string_view password) = 0;
  virtual bool VerifyPassword(std::string_view hash, std::string_view password) = 0;
  // `bytes` random bytes from a CSPRNG, base64url without padding.
  virtual std::string RandomToken(std::size_t bytes) = 0;
  // `bytes` raw random bytes from a CSPRNG.
  virtual std::string RandomBytes(std::size_t bytes) = 0;
  virtual std::string Sha256Hex(std::string_view data) = 0;
};

struct AccessClaims {
  UserId user_id;
  std::string session_id;
  Role role = Role::kCustomer;
  std::optional<WorkshopId> workshop_id;
  SysTime issued_at{};
  SysTime expires_at{};
};

// Signs and verifies access tokens (JWT HS256 in src/security).
class AccessTokenCodec {
 public:
  virtual ~AccessTokenCodec() = default;
  virtual std::string Issue(const AccessClaims& claims) = 0;
  // Unauthenticated (TOKEN_INVALID / TOKEN_EXPIRED) for anything but a valid, unexpired token.
  virtual Result<AccessClaims> Verify(std::string_view token, SysTime now) = 0;
};

}  // namespace sw::core
