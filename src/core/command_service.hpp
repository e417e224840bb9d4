// CommandService: commands to devices (issue 7, PRODUCT.md §4). Validates a command against
// the device kind, applies the permission table (command.send for operational commands,
// command.configure for the rest, command.read), refuses devices that may not be commanded
// (pending, disabled, suspended, unlicensed: the ingest rule), honours an idempotency key,
// bounds the open commands per device and the commands per user and minute, and runs the
// lifecycle: claims deliveries (MQTT bridge, HTTP long poll) with back-off, expires, applies
// the device's result and checks a relay's result against the measured current.
//
// Every transition is stored with its time and told to the listeners (live `command`
// events), outside any lock. Time comes from the Clock. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/clock.hpp"
#include "core/command.hpp"
#include "core/permissions.hpp"
#include "core/ports.hpp"
#include "core/rate_limiter.hpp"

namespace sw::core {

// A parameter value as sent by the caller (the HTTP layer decodes JSON into these).
using CommandParam = std::variant<bool, std::int64_t, double, std::string>;
using CommandParams = std::map<std::string, CommandParam, std::less<>>;

struct CommandRequest {
  std::string name;
  CommandParams params;
  std::optional<std::string> idempotency_key;
  std::optional<std::int64_t> expires_in_s;
};

// A command checked against a device kind: its canonical params and the rules it falls under.
struct ValidatedCommand {
  std::string name;
  std::string params_json;
  bool configuration = false;  // needs command.configure (else command.send)
  bool short_lived = false;    // relay and cut: CommandOptions::relay_expiry by default
};

// What a device answers (cmd/result, or POST /device/commands/{id}/result).
struct CommandResult {
  std::string id;
  bool ok = false;
  std::string detail;
  std::optional<std::int64_t> current_ma;
};

struct CommandOptions {
  int max_open_per_device = 32;
  int per_user_per_minute = 60;
  std::chrono::seconds relay_expiry{60};      // relay and cut
  std::chrono::seconds default_expiry{3600};  // every other command
  std::chrono::seconds max_expiry{86400};
  std::chrono::seconds first_retry{2};  // then doubled, up to max_retry
  std::chrono::seconds max_retry{60};
  std::int64_t noise_floor_ma = 50;  // below: a socket draws nothing
  int max_long_polls = 1;            // concurrent HTTP long polls (each holds an HTTP thread)
};

struct IssuedCommand {
  Command command;
  bool created = true;  // false: an idempotent replay returned the existing command
};

inline constexpr std::size_t kMaxIdempotencyKey = 128;
inline constexpr std::size_t kMaxResultDetail = 500;

// 1 to 128 printable ASCII characters without spaces.
Status ValidateIdempotencyKey(std::string_view key);
// Checks name and params for `kind` (unknown names or params refused).
Result<ValidatedCommand> ValidateCommand(DeviceKind kind, std::string_view name,
                                         const CommandParams& params);
// For a relay command on an outlet with a measured current: whether it agrees (on: at least
// the noise floor, off: below it); nullopt when there is nothing to check.
std::optional<bool> VerifyByCurrent(const Command& c, DeviceKind kind,
                                    std::optional<std::int64_t> current_ma,
                                    std::int64_t noise_floor_ma);

class CommandService {
 public:
  using Listener = std::function<void(const Command& c, const CommandTransition& t)>;

  CommandService(DeviceStore& devices, CommandStore& commands, Crypto& crypto, const Clock& clock,
                 CommandOptions options = {});

  // Add listeners before use.
  void AddListener(Listener l) { listeners_.push_back(std::move(l)); }
  const CommandOptions& options() const { return options_; }

  // Several commands issued by one request (a bulk cut): the per-user rate limit counts the
  // request once, when its first command is about to be created.
  struct Batch {
    bool charged = false;
  };

  // ---- users ----
  Result<IssuedCommand> Issue(const Principal& p, std::string_view uid, const CommandRequest& r);
  // Issue for a device the caller has already looked up within its Scope (the permission
  // table is still applied). With a `batch`, the rate limit is charged once per batch.
  Result<IssuedCommand> IssueTo(const Principal& p, const Device& device, const CommandRequest& r,
                                Batch* batch = nullptr);
  // A command requested by a read_write MQTT integration (IntegrationBridge) for a device of its
  // workshop (NotFound otherwise): operational commands only (Forbidden for configuration
  // ones and for a read integration); `r.idempotency_key` is the request's optional id,
  // per integration and device. Rate-limited per integration; otherwise as Issue.
  Result<IssuedCommand> IssueAsIntegration(const Integration& integration, std::string_view uid,
                                           const CommandRequest& r);
  // A command the platform issues itself (OutletSync's sync_outlets): no user, so no
  // permission check and no rate limit; `v` is trusted (built by the caller); the device's
  // status and licence still apply. The open commands in `supersede` are cancelled first
  // ("superseded: why"), so that a newer command replaces them.
  Result<IssuedCommand> IssueSystem(const Device& device, const ValidatedCommand& v,
                                    std::string_view why, const std::vector<Command>& supersede);
  Result<Page<Command>> List(const Principal& p, std::string_view uid, PageRequest page);
  Result<Command> Get(const Principal& p, std::string_view id);
  // Queued commands only (Conflict COMMAND_NOT_QUEUED otherwise).
  Result<Command> Cancel(const Principal& p, std::string_view id);

  // ---- delivery (platform) ----
  // Due deliveries of every device, oldest first, for the MQTT bridge.
  Result<std::vector<Command>> Due(int limit);
  // Claims one delivery of `c` (see CommandStore::MarkCommandSent); true when it is this
  // caller's to send now.
  Result<bool> MarkSent(const Command& c);
  // Claims the due deliveries of one device and of its outlets (the HTTP long poll of a
  // device or a gateway): marked sent and returned.
  Result<std::vector<Command>> ClaimFor(const Device& device, int limit);
  // Expires what is past its expiry; returns how many.
  Result<int> ExpireDue();
  // Applies a device's result: NotFound for an id that is not a command of `device` or of one
  // of its outlets (a gateway answers for them).
  Result<Command> ApplyResult(const Device& device, const CommandResult& r);

  // Long poll support: a counter bumped by every new command; WaitForNew blocks until it
  // differs from `seen`, `max` passes, or Shutdown (then it returns false at once).
  std::uint64_t Generation() const;
  bool WaitForNew(std::uint64_t seen, std::chrono::milliseconds max);
  void Shutdown();
  // Bounds the concurrent long polls: TryEnterLongPoll false when all slots are taken.
  bool TryEnterLongPoll();
  void LeaveLongPoll();

 private:
  // Who issues a command: a user or an integration.
  struct Issuer {
    std::optional<UserId> user;
    std::optional<IntegrationId> integration;
    std::string name;      // for the transition's detail
    std::string rate_key;  // the rate limiter's key
  };
  // The common part of IssueTo and IssueAsIntegration, after the permission checks.
  Result<IssuedCommand> Create(const Issuer& issuer, const Device& device,
                               const ValidatedCommand& v, const CommandRequest& r, Batch* batch);
  Result<Device> Visible(const Principal& p, std::string_view uid, Action action);
  void Notify(const Command& c, const CommandTransition& t);
  SysTime NextAttempt(int attempts_after, SysTime now) const;

  DeviceStore& devices_;
  CommandStore& commands_;
  Crypto& crypto_;
  const Clock& clock_;
  const CommandOptions options_;
  RateLimiter rate_;
  std::vector<Listener> listeners_;

  mutable std::mutex wait_mutex_;
  std::condition_variable wait_cv_;
  std::uint64_t generation_ = 0;
  bool stopping_ = false;
  int long_polls_ = 0;
};

}  // namespace sw::core
