#include "core/auth_service.hpp"

#include "common/strings.hpp"
#include "core/password_policy.hpp"

namespace sw::core {
namespace {

constexpr std::size_t kMaxUnknownTracked = 50000;
constexpr std::size_t kMaxUsernameLength = 64;

Error Locked() {
  return MakeError(Errc::kUnauthenticated,
                   "too many failed attempts; the account is locked for a while", "ACCOUNT_LOCKED");
}

Error TokenInvalid(std::string message = "invalid or expired token") {
  return MakeError(Errc::kUnauthenticated, std::move(message), "TOKEN_INVALID");
}

}  // namespace

Error InvalidCredentials() {
  return MakeError(Errc::kUnauthenticated, "invalid username or password", "INVALID_CREDENTIALS");
}

AuthService::AuthService(Stores stores, Crypto& crypto, AccessTokenCodec& codec, const Clock& clock,
                         AuthConfig config)
    : stores_(stores),
      crypto_(crypto),
      codec_(codec),
      clock_(clock),
      config_(config),
      login_limiter_(config.login_rate_per_minute) {
  auto dummy = crypto_.HashPassword(crypto_.RandomToken(16));
  if (dummy.ok()) dummy_hash_ = std::move(dummy).value();
}

Result<LoginResult> AuthService::Login(std::string_view username_in, std::string_view password,
                                       std::string_view client_ip) {
  const SysTime now = clock_.Now();
  if (!login_limiter_.Allow("ip:" + std::string(client_ip), now)) {
    return MakeError(Errc::kRateLimited, "too many login attempts; try again shortly",
                     "RATE_LIMITED");
  }
  const std::string_view username = Trim(username_in);
  if (username.empty()) return InvalidField("username", "username is required");
  if (password.empty()) return InvalidField("password", "password is required");
  if (username.size() > kMaxUsernameLength || password.size() > kMaxPasswordLength) {
    crypto_.VerifyPassword(dummy_hash_, password.substr(0, kMaxPasswordLength));
    return InvalidCredentials();
  }

  SW_ASSIGN_OR_RETURN(auto found, stores_.users.FindUserByUsername(username));
  if (!found) {
    const std::string key = ToLower(username);
    if (UnknownUserLocked(key, now)) return Locked();
    crypto_.VerifyPassword(dummy_hash_, password);  // same cost as a real check
    RecordUnknownFailure(key, now);
    return UnknownUserLocked(key, now) ? Locked() : InvalidCredentials();
  }
  User user = std::move(*found);
  if (user.locked_until && *user.locked_until > now) return Locked();

  if (!crypto_.VerifyPassword(user.password_hash, password)) {
    SW_ASSIGN_OR_RETURN(User updated,
                        stores_.users.RecordLoginFailure(user.id, config_.lockout_threshold,
                                                         now + config_.lockout_duration));
    if (updated.locked_until && *updated.locked_until > now) return Locked();
    return InvalidCredentials();
  }
  if (!user.active) {
    return MakeError(Errc::kUnauthenticated, "this account is disabled", "ACCOUNT_DISABLED");
  }
  SW_TRY(stores_.users.RecordLoginSuccess(user.id, now));
  user.failed_logins = 0;
  user.locked_until.reset();
  user.last_login = now;
  return StartSession(user);
}

Result<LoginResult> AuthService::StartSession(const User& user) {
  const SysTime now = clock_.Now();
  Session session{crypto_.RandomToken(18), user.id, now, std::nullopt};
  const std::string refresh = crypto_.RandomToken(32);
  SW_TRY(stores_.sessions.CreateSession(session, crypto_.Sha256Hex(refresh),
                                        now + config_.refresh_ttl));
  SW_ASSIGN_OR_RETURN(TokenPair tokens, IssueTokens(user, session.id, refresh));
  return LoginResult{std::move(tokens), user};
}

Result<TokenPair> AuthService::IssueTokens(const User& user, const std::string& session_id,
                                           const std::string& refresh_token) {
  const SysTime now = clock_.Now();
  AccessClaims claims{user.id,          session_id, user.role,
                      user.workshop_id, now,        now + config_.access_ttl};
  return TokenPair{codec_.Issue(claims), claims.expires_at, refresh_token,
                   now + config_.refresh_ttl};
}

Result<LoginResult> AuthService::Refresh(std::string_view refresh_token) {
  if (refresh_token.empty() || refresh_token.size() > 256) return TokenInvalid();
  const SysTime now = clock_.Now();
  const std::string hash = crypto_.Sha256Hex(refresh_token);
  SW_ASSIGN_OR_RETURN(auto record, stores_.sessions.FindRefresh(hash));
  if (!record) return TokenInvalid();
  if (record->session_revoked) return TokenInvalid("session has ended");
  if (record->used) {
    // A refresh token is good for one use. Seeing it again means it was copied: end the
    // session for both holders.
    SW_TRY(stores_.sessions.RevokeSession(record->session_id, now));
    return MakeError(Errc::kUnauthenticated, "refresh token reused; session revoked",
                     "TOKEN_REUSED");
  }
  if (record->expires_at <= now) return TokenInvalid("refresh token expired");
  SW_ASSIGN_OR_RETURN(auto user, stores_.sessions.FindSessionUser(record->session_id));
  if (!user || !user->active) return TokenInvalid("session has ended");

  const std::string next = crypto_.RandomToken(32);
  SW_ASSIGN_OR_RETURN(bool rotated, stores_.sessions.RotateRefresh(hash, crypto_.Sha256Hex(next),
                                                                   now + config_.refresh_ttl));
  if (!rotated) {
    // Lost a race with another use of the same token: that is reuse too.
    SW_TRY(stores_.sessions.RevokeSession(record->session_id, now));
    return MakeError(Errc::kUnauthenticated, "refresh token reused; session revoked",
                     "TOKEN_REUSED");
  }
  SW_ASSIGN_OR_RETURN(TokenPair tokens, IssueTokens(*user, record->session_id, next));
  return LoginResult{std::move(tokens), std::move(*user)};
}

Status AuthService::Logout(const Principal* principal, std::string_view refresh_token) {
  const SysTime now = clock_.Now();
  if (!refresh_token.empty()) {
    SW_ASSIGN_OR_RETURN(auto record,
                        stores_.sessions.FindRefresh(crypto_.Sha256Hex(refresh_token)));
    if (!record) return TokenInvalid();
    if (principal && record->user_id != principal->user_id) return TokenInvalid();
    return stores_.sessions.RevokeSession(record->session_id, now);
  }
  if (principal) return stores_.sessions.RevokeSession(principal->session_id, now);
  return MakeError(Errc::kUnauthenticated, "no session to end", "NOT_AUTHENTICATED");
}

Result<LoginResult> AuthService::ChangePassword(const Principal& principal,
                                                std::string_view current,
                                                std::string_view replacement) {
  SW_ASSIGN_OR_RETURN(User user, stores_.users.GetUser(Scope::All(), principal.user_id));
  if (current.size() > kMaxPasswordLength || !crypto_.VerifyPassword(user.password_hash, current)) {
    return MakeError(Errc::kInvalidArgument, "current password is wrong",
                     "INVALID_CURRENT_PASSWORD", "current_password");
  }
  SW_TRY(CheckPasswordPolicy(replacement, user.username, "new_password"));
  if (replacement == current) {
    return MakeError(Errc::kInvalidArgument, "new password must differ from the current one",
                     "PASSWORD_TOO_WEAK", "new_password");
  }
  SW_ASSIGN_OR_RETURN(user.password_hash, crypto_.HashPassword(replacement));
  user.temporary_password = false;
  SW_ASSIGN_OR_RETURN(user, stores_.users.UpdateUser(Scope::All(), user));
  SW_TRY(stores_.sessions.RevokeUserSessions(user.id, clock_.Now()));
  return StartSession(user);
}

Result<Principal> AuthService::Authenticate(std::string_view access_token) {
  SW_ASSIGN_OR_RETURN(AccessClaims claims, codec_.Verify(access_token, clock_.Now()));
  SW_ASSIGN_OR_RETURN(auto user, stores_.sessions.FindSessionUser(claims.session_id));
  if (!user || user->id != claims.user_id) return TokenInvalid("session has ended");
  if (!user->active) {
    return MakeError(Errc::kUnauthenticated, "this account is disabled", "ACCOUNT_DISABLED");
  }
  return Principal{user->id,          user->username,    user->role,
                   user->workshop_id, claims.session_id, user->temporary_password};
}

Result<std::optional<std::string>> AuthService::EnsureInitialAdmin(std::string_view password) {
  SW_ASSIGN_OR_RETURN(std::int64_t count, stores_.users.CountUsers());
  if (count > 0) return std::optional<std::string>{};
  std::string chosen = password.empty() ? crypto_.RandomToken(12) : std::string(password);
  SW_TRY(CheckPasswordPolicy(chosen, "admin", "init_admin_password"));
  User admin;
  admin.username = "admin";
  admin.full_name = "Platform administrator";
  admin.role = Role::kSuperAdmin;
  SW_ASSIGN_OR_RETURN(admin.password_hash, crypto_.HashPassword(chosen));
  admin.temporary_password = password.empty();
  SW_TRY(stores_.users.CreateUser(admin));
  return std::optional<std::string>{std::move(chosen)};
}

bool AuthService::UnknownUserLocked(const std::string& key, SysTime now) {
  std::lock_guard lock(unknown_mutex_);
  auto it = unknown_failures_.find(key);
  return it != unknown_failures_.end() && it->second.locked_until > now;
}

void AuthService::RecordUnknownFailure(const std::string& key, SysTime now) {
  std::lock_guard lock(unknown_mutex_);
  if (unknown_failures_.size() >= kMaxUnknownTracked && !unknown_failures_.contains(key)) {
    std::erase_if(unknown_failures_, [&](const auto& kv) {
      return kv.second.locked_until <= now && now - kv.second.last > config_.lockout_duration;
    });
    if (unknown_failures_.size() >= kMaxUnknownTracked) unknown_failures_.clear();
  }
  auto& f = unknown_failures_[key];
  if (f.locked_until != SysTime{} && f.locked_until <= now) f = {};
  f.last = now;
  if (++f.count >= config_.lockout_threshold) {
    f.count = 0;
    f.locked_until = now + config_.lockout_duration;
  }
}

}  // namespace sw::core
