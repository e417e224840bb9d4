#include "core/command_service.hpp"

#include <algorithm>
#include <array>

#include "core/ingest.hpp"
#include "core/permissions.hpp"

namespace sw::core {
namespace {

constexpr std::array<std::string_view, 6> kStateNames = {"queued", "sent",    "succeeded",
                                                         "failed", "expired", "cancelled"};

// What a parameter may be.
struct ParamRule {
  std::string_view name;
  enum Type { kInt, kBool, kEnum } type;
  bool required = true;
  std::int64_t min = 0, max = 0;              // kInt
  std::vector<std::string_view> values = {};  // kEnum
  std::string_view default_value = {};        // kEnum, when not required
};

struct CommandRule {
  std::string_view name;
  std::vector<DeviceKind> kinds;
  bool configuration;
  bool short_lived;  // relay and cut: a stale one must never fire
  std::vector<ParamRule> params;
};

const std::vector<CommandRule>& Rules() {
  using K = DeviceKind;
  static const std::vector<CommandRule> rules = {
      {"disable", {K::kSensorNode}, true, false, {}},
      {"enable", {K::kSensorNode}, true, false, {}},
      {"restart", {K::kSensorNode, K::kGateway}, false, false, {}},
      {"identify", {K::kSensorNode}, false, false, {}},
      {"set_interval",
       {K::kSensorNode},
       true,
       false,
       {{"seconds", ParamRule::kInt, true, 1, 86400}}},
      {"set_breaker_limit",
       {K::kGateway},
       true,
       false,
       {{"ma", ParamRule::kInt, true, 100, 200000}}},
      {"set_threshold", {K::kOutlet}, true, false, {{"ma", ParamRule::kInt, true, 10, 30000}}},
      {"cut",
       {K::kGateway, K::kOutlet},
       false,
       true,
       {{"sockets", ParamRule::kEnum, false, 0, 0, {"all"}, "all"}}},
      {"relay",
       {K::kOutlet},
       false,
       true,
       {{"socket", ParamRule::kEnum, true, 0, 0, {"a", "b"}}, {"on", ParamRule::kBool, true}}},
  };
  return rules;
}

std::string Join(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

Error NotFoundCommand() {
  return MakeError(Errc::kNotFound, "command not found", "NOT_FOUND");
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKey) {
    return InvalidField("idempotency_key", "must be 1 to 128 characters");
  }
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidField("idempotency_key", "printable ASCII without spaces only");
    }
  }
  return Ok{};
}

std::string_view CommandStateName(CommandState state) {
  return kStateNames[static_cast<std::size_t>(state)];
}

std::optional<CommandState> ParseCommandState(std::string_view name) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == name) return static_cast<CommandState>(i);
  }
  return std::nullopt;
}

Result<ValidatedCommand> ValidateCommand(DeviceKind kind, std::string_view name,
                                         const CommandParams& params) {
  const CommandRule* rule = nullptr;
  std::vector<std::string_view> allowed;
  for (const CommandRule& r : Rules()) {
    if (std::find(r.kinds.begin(), r.kinds.end(), kind) == r.kinds.end()) continue;
    allowed.push_back(r.name);
    if (r.name == name) rule = &r;
  }
  if (!rule) {
    if (allowed.empty()) {
      return InvalidField("name", "a " + std::string(DeviceKindName(kind)) + " takes no commands");
    }
    return InvalidField("name",
                        "a " + std::string(DeviceKindName(kind)) + " accepts " + Join(allowed));
  }
  for (const auto& entry : params) {
    const std::string& key = entry.first;
    const bool known = std::any_of(rule->params.begin(), rule->params.end(),
                                   [&key](const ParamRule& p) { return p.name == key; });
    if (!known) return InvalidField("params." + key, "unknown parameter of " + std::string(name));
  }
  std::string json = "{";
  for (const ParamRule& p : rule->params) {  // in name order: the canonical form
    const std::string field = "params." + std::string(p.name);
    auto it = params.find(p.name);
    std::string text;
    if (it == params.end()) {
      if (p.required) return InvalidField(field, "required");
      text = "\"" + std::string(p.default_value) + "\"";
    } else if (p.type == ParamRule::kInt) {
      const auto* v = std::get_if<std::int64_t>(&it->second);
      if (!v) return InvalidField(field, "must be an integer");
      if (*v < p.min || *v > p.max) {
        return InvalidField(
            field, "must be between " + std::to_string(p.min) + " and " + std::to_string(p.max));
      }
      text = std::to_string(*v);
    } else if (p.type == ParamRule::kBool) {
      const auto* v = std::get_if<bool>(&it->second);
      if (!v) return InvalidField(field, "must be true or false");
      text = *v ? "true" : "false";
    } else {
      const auto* v = std::get_if<std::string>(&it->second);
      if (!v || std::find(p.values.begin(), p.values.end(), *v) == p.values.end()) {
        return InvalidField(field, "must be one of " + Join(p.values));
      }
      text = "\"" + *v + "\"";
    }
    json += (json.size() > 1 ? "," : "") + ("\"" + std::string(p.name) + "\":") + text;
  }
  json += "}";
  ValidatedCommand out;
  out.name = std::string(name);
  out.params_json = std::move(json);
  out.configuration = rule->configuration;
  out.short_lived = rule->short_lived;
  return out;
}

std::optional<bool> VerifyByCurrent(const Command& c, DeviceKind kind,
                                    std::optional<std::int64_t> current_ma,
                                    std::int64_t noise_floor_ma) {
  if (kind != DeviceKind::kOutlet || c.name != "relay" || !current_ma) return std::nullopt;
  const bool on = c.params_json.find("\"on\":true") != std::string::npos;
  return on ? *current_ma >= noise_floor_ma : *current_ma < noise_floor_ma;
}

CommandService::CommandService(DeviceStore& devices, CommandStore& commands, Crypto& crypto,
                               const Clock& clock, CommandOptions options)
    : devices_(devices),
      commands_(commands),
      crypto_(crypto),
      clock_(clock),
      options_(options),
      rate_(options.per_user_per_minute) {}

Result<Device> CommandService::Visible(const Principal& p, std::string_view uid, Action action) {
  if (!ValidateDeviceUid(uid).ok()) return MakeError(Errc::kNotFound, "device not found");
  SW_ASSIGN_OR_RETURN(Device d, devices_.GetDevice(Scope::For(p), uid));
  SW_TRY(Authorize(p, action, d.workshop_id));
  return d;
}

void CommandService::Notify(const Command& c, const CommandTransition& t) {
  for (const auto& l : listeners_) l(c, t);
}

SysTime CommandService::NextAttempt(int attempts_after, SysTime now) const {
  auto delay = options_.first_retry;
  for (int i = 1; i < attempts_after && delay < options_.max_retry; ++i) delay *= 2;
  return now + std::min(delay, options_.max_retry);
}

Result<IssuedCommand> CommandService::Issue(const Principal& p, std::string_view uid,
                                            const CommandRequest& r) {
  SW_ASSIGN_OR_RETURN(Device device, Visible(p, uid, Action::kCommandSend));
  return IssueTo(p, device, r);
}

Result<IssuedCommand> CommandService::IssueTo(const Principal& p, const Device& device,
                                              const CommandRequest& r, Batch* batch) {
  SW_TRY(Authorize(p, Action::kCommandSend, device.workshop_id));
  SW_ASSIGN_OR_RETURN(ValidatedCommand v, ValidateCommand(device.kind, r.name, r.params));
  if (v.configuration) SW_TRY(Authorize(p, Action::kCommandConfigure, device.workshop_id));
  return Create(
      Issuer{p.user_id, std::nullopt, p.username, "command:" + std::to_string(p.user_id.value)},
      device, v, r, batch);
}

Result<IssuedCommand> CommandService::IssueAsIntegration(const Integration& integration,
                                                         std::string_view uid,
                                                         const CommandRequest& r) {
  if (!ValidateDeviceUid(uid).ok()) return MakeError(Errc::kNotFound, "device not found");
  SW_ASSIGN_OR_RETURN(Device device, devices_.GetDevice(Scope::Of(integration.workshop_id), uid));
  if (!integration.enabled || integration.access != IntegrationAccess::kReadWrite) {
    return MakeError(Errc::kForbidden, "the integration may only read", "INSUFFICIENT_PERMISSIONS");
  }
  SW_ASSIGN_OR_RETURN(ValidatedCommand v, ValidateCommand(device.kind, r.name, r.params));
  if (v.configuration) {
    return MakeError(Errc::kForbidden, "an integration sends operational commands only",
                     "INSUFFICIENT_PERMISSIONS", "name");
  }
  return Create(Issuer{std::nullopt, integration.id, "integration " + integration.username,
                       "command:integration:" + std::to_string(integration.id.value)},
                device, v, r, nullptr);
}

Result<IssuedCommand> CommandService::IssueSystem(const Device& device, const ValidatedCommand& v,
                                                  std::string_view why,
                                                  const std::vector<Command>& supersede) {
  for (const Command& old : supersede) {
    const CommandOutcome outcome{CommandState::kCancelled, clock_.Now(),
                                 "superseded: " + std::string(why), std::nullopt, std::nullopt};
    SW_ASSIGN_OR_RETURN(
        auto done,
        commands_.FinishCommand(old.id, {CommandState::kQueued, CommandState::kSent}, outcome));
    if (done) Notify(*done, CommandTransition{outcome.state, outcome.at, outcome.detail});
  }
  Batch uncharged{true};  // system commands are not rate-limited
  return Create(Issuer{std::nullopt, std::nullopt, "the platform (" + std::string(why) + ")", ""},
                device, v, CommandRequest{}, &uncharged);
}

Result<IssuedCommand> CommandService::Create(const Issuer& issuer, const Device& device,
                                             const ValidatedCommand& v, const CommandRequest& r,
                                             Batch* batch) {
  if (r.expires_in_s && (*r.expires_in_s < 1 || *r.expires_in_s > options_.max_expiry.count())) {
    return InvalidField("expires_in_s",
                        "must be between 1 and " + std::to_string(options_.max_expiry.count()));
  }
  if (r.idempotency_key) {
    SW_TRY(ValidateIdempotencyKey(*r.idempotency_key));
    std::optional<Command> existing;
    if (issuer.user) {
      SW_ASSIGN_OR_RETURN(
          existing, commands_.FindByIdempotencyKey(*issuer.user, device.id, *r.idempotency_key));
    }
    if (existing) {
      if (existing->name != v.name || existing->params_json != v.params_json) {
        return MakeError(Errc::kConflict, "this idempotency key was used for a different command",
                         "IDEMPOTENCY_KEY_REUSED", "idempotency_key");
      }
      return IssuedCommand{std::move(*existing), false};
    }
  }
  const SysTime now = clock_.Now();
  if (auto why = IngestBlockedReason(device, now)) {
    return MakeError(Errc::kConflict, "the device cannot take commands: " + *why, Upper(*why));
  }
  if (!batch || !batch->charged) {
    if (!rate_.Allow(issuer.rate_key, now)) {
      return MakeError(Errc::kRateLimited, "too many commands; try again in a minute",
                       "COMMAND_RATE_LIMITED");
    }
    if (batch) batch->charged = true;
  }
  Command c;
  c.id = crypto_.RandomToken(16);
  c.device_id = device.id;
  c.device_uid = device.uid;
  c.pit_id = device.pit_id;
  c.workshop_id = device.workshop_id;
  c.name = v.name;
  c.params_json = v.params_json;
  c.issued_by = issuer.user;
  c.issued_by_integration = issuer.integration;
  c.idempotency_key = r.idempotency_key;
  c.created_at = now;
  const auto default_expiry = v.short_lived ? options_.relay_expiry : options_.default_expiry;
  c.expires_at = now + (r.expires_in_s ? std::chrono::seconds(*r.expires_in_s) : default_expiry);
  c.transitions = {CommandTransition{CommandState::kQueued, now, "issued by " + issuer.name}};
  SW_ASSIGN_OR_RETURN(auto created, commands_.CreateCommand(c, options_.max_open_per_device));
  if (!created.second &&
      (created.first.name != v.name || created.first.params_json != v.params_json)) {
    // An integration's replay is found by the store (no look-up before the rate limit).
    return MakeError(Errc::kConflict, "this idempotency key was used for a different command",
                     "IDEMPOTENCY_KEY_REUSED", "idempotency_key");
  }
  if (created.second) {
    {
      std::lock_guard lock(wait_mutex_);
      ++generation_;
    }
    wait_cv_.notify_all();
    Notify(created.first, created.first.transitions.front());
    // A listener may have delivered it already (CommandBridge): answer with what is true now.
    if (auto now_stored = commands_.GetCommand(Scope::All(), created.first.id); now_stored.ok()) {
      created.first = std::move(now_stored).value();
    }
  }
  return IssuedCommand{std::move(created.first), created.second};
}

Result<Page<Command>> CommandService::List(const Principal& p, std::string_view uid,
                                           PageRequest page) {
  SW_ASSIGN_OR_RETURN(Device device, Visible(p, uid, Action::kCommandRead));
  return commands_.ListCommands(Scope::For(p), device.id, page);
}

Result<Command> CommandService::Get(const Principal& p, std::string_view id) {
  SW_ASSIGN_OR_RETURN(Command c, commands_.GetCommand(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kCommandRead, c.workshop_id));
  return c;
}

Result<Command> CommandService::Cancel(const Principal& p, std::string_view id) {
  SW_ASSIGN_OR_RETURN(Command c, commands_.GetCommand(Scope::For(p), id));
  SW_TRY(Authorize(p, Action::kCommandSend, c.workshop_id));
  // The rules of the command itself: staff cannot cancel a configuration command either.
  const auto configuration = std::any_of(Rules().begin(), Rules().end(), [&](const auto& r) {
    return r.name == c.name && r.configuration;
  });
  if (configuration) SW_TRY(Authorize(p, Action::kCommandConfigure, c.workshop_id));
  const CommandOutcome outcome{CommandState::kCancelled, clock_.Now(), "cancelled by " + p.username,
                               std::nullopt, std::nullopt};
  SW_ASSIGN_OR_RETURN(auto done, commands_.FinishCommand(id, {CommandState::kQueued}, outcome));
  if (!done) {
    return MakeError(Errc::kConflict,
                     "only a queued command can be cancelled; this one is " +
                         std::string(CommandStateName(c.state)),
                     "COMMAND_NOT_QUEUED");
  }
  Notify(*done, CommandTransition{outcome.state, outcome.at, outcome.detail});
  return std::move(*done);
}

Result<std::vector<Command>> CommandService::Due(int limit) {
  return commands_.ListDueCommands(std::nullopt, clock_.Now(), limit);
}

Result<bool> CommandService::MarkSent(const Command& c) {
  const SysTime now = clock_.Now();
  SW_ASSIGN_OR_RETURN(bool claimed,
                      commands_.MarkCommandSent(c.id, now, NextAttempt(c.attempts + 1, now)));
  if (claimed) {
    Command sent = c;
    sent.state = CommandState::kSent;
    sent.attempts = c.attempts + 1;
    if (!sent.sent_at) sent.sent_at = now;
    const CommandTransition t{CommandState::kSent, now, "attempt " + std::to_string(sent.attempts)};
    sent.transitions.push_back(t);
    Notify(sent, t);
  }
  return claimed;
}

Result<std::vector<Command>> CommandService::ClaimFor(const Device& device, int limit) {
  SW_ASSIGN_OR_RETURN(auto due, commands_.ListDueCommands(device.id, clock_.Now(), limit));
  std::vector<Command> out;
  for (Command& c : due) {
    SW_ASSIGN_OR_RETURN(bool claimed, MarkSent(c));
    if (claimed) out.push_back(std::move(c));
  }
  return out;
}

Result<int> CommandService::ExpireDue() {
  const SysTime now = clock_.Now();
  SW_ASSIGN_OR_RETURN(auto expired, commands_.ExpireCommands(now, 1000));
  for (const Command& c : expired) {
    Notify(c, c.transitions.empty() ? CommandTransition{CommandState::kExpired, now, "expired"}
                                    : c.transitions.back());
  }
  return static_cast<int>(expired.size());
}

Result<Command> CommandService::ApplyResult(const Device& device, const CommandResult& r) {
  if (r.id.empty() || r.id.size() > 64) return NotFoundCommand();
  auto found = commands_.GetCommand(Scope::All(), r.id);
  if (!found.ok()) {
    if (found.error().code == Errc::kNotFound) return NotFoundCommand();
    return found.take_error();
  }
  Command c = std::move(found).value();
  Device target = device;
  if (c.device_id != device.id) {
    // A gateway answers for its outlets; anything else is another device's command.
    auto outlet = devices_.GetDevice(Scope::All(), c.device_uid);
    if (!outlet.ok() || outlet->id != c.device_id || outlet->parent_id != device.id) {
      return NotFoundCommand();
    }
    target = std::move(outlet).value();
  }
  std::string detail = r.detail.substr(0, kMaxResultDetail);
  const SysTime now = clock_.Now();
  if (c.state == CommandState::kSent && now >= c.expires_at) {
    // Not swept yet: it expired before this answer came.
    auto expired = ExpireDue();
    if (!expired.ok()) return expired.take_error();
    SW_ASSIGN_OR_RETURN(c, commands_.GetCommand(Scope::All(), r.id));
  }
  if (c.state == CommandState::kSent) {
    CommandOutcome o{r.ok ? CommandState::kSucceeded : CommandState::kFailed, now, detail,
                     std::nullopt, r.current_ma};
    if (r.ok) {
      o.verified = VerifyByCurrent(c, target.kind, r.current_ma, options_.noise_floor_ma);
      if (o.verified == false) {
        o.detail = "current mismatch: " + std::to_string(*r.current_ma) + " mA" +
                   (detail.empty() ? "" : "; " + detail);
      }
    }
    SW_ASSIGN_OR_RETURN(auto done, commands_.FinishCommand(c.id, {CommandState::kSent}, o));
    if (done) {
      Notify(*done, CommandTransition{o.state, o.at, o.detail});
      return std::move(*done);
    }
    SW_ASSIGN_OR_RETURN(c, commands_.GetCommand(Scope::All(), r.id));  // ended meanwhile
  }
  // A late or repeated answer: recorded, the state stays.
  const CommandTransition t{c.state, now,
                            std::string("late result (") + (r.ok ? "ok" : "failed") + ")" +
                                (detail.empty() ? "" : ": " + detail)};
  SW_TRY(commands_.AppendCommandTransition(c.id, t));
  c.transitions.push_back(t);
  Notify(c, t);
  return c;
}

std::uint64_t CommandService::Generation() const {
  std::lock_guard lock(wait_mutex_);
  return generation_;
}

bool CommandService::WaitForNew(std::uint64_t seen, std::chrono::milliseconds max) {
  std::unique_lock lock(wait_mutex_);
  wait_cv_.wait_for(lock, max, [&] { return stopping_ || generation_ != seen; });
  return !stopping_;
}

void CommandService::Shutdown() {
  {
    std::lock_guard lock(wait_mutex_);
    stopping_ = true;
  }
  wait_cv_.notify_all();
}

bool CommandService::TryEnterLongPoll() {
  std::lock_guard lock(wait_mutex_);
  if (stopping_ || long_polls_ >= options_.max_long_polls) return false;
  ++long_polls_;
  return true;
}

void CommandService::LeaveLongPoll() {
  std::lock_guard lock(wait_mutex_);
  --long_polls_;
}

}  // namespace sw::core
