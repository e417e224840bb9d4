// AuthService: login with lockout, access/refresh tokens with rotation and reuse detection,
// logout, password change, and authentication of access tokens. Thread-safe; the stores do
// the atomic parts.
//
// Answers never tell an unknown username from a wrong password: both fail the same way,
// both count towards a lockout (unknown names in memory), and both cost one password-hash
// verification.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "core/model.hpp"
#include "core/ports.hpp"
#include "core/rate_limiter.hpp"

namespace sw::core {

struct AuthConfig {
  std::chrono::seconds access_ttl{900};
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  int lockout_threshold = 5;
  std::chrono::seconds lockout_duration{900};
  int login_rate_per_minute = 20;
};

struct TokenPair {
  std::string access_token;
  SysTime access_expires_at{};
  std::string refresh_token;
  SysTime refresh_expires_at{};
};

struct LoginResult {
  TokenPair tokens;
  User user;
};

class AuthService {
 public:
  AuthService(Stores stores, Crypto& crypto, AccessTokenCodec& codec, const Clock& clock,
              AuthConfig config);

  // Unauthenticated INVALID_CREDENTIALS for unknown user or wrong password; ACCOUNT_LOCKED
  // while locked; ACCOUNT_DISABLED for a deactivated user with the right password;
  // RateLimited when the client IP exceeds its login rate.
  Result<LoginResult> Login(std::string_view username, std::string_view password,
                            std::string_view client_ip);
  // Rotates the refresh token. A token used twice revokes its whole session (TOKEN_REUSED).
  Result<LoginResult> Refresh(std::string_view refresh_token);
  // Revokes the session of `refresh_token`, or of the caller's access token when empty.
  Status Logout(const Principal* principal, std::string_view refresh_token);
  // Verifies the current password, applies the policy, revokes every session of the user and
  // returns a fresh token pair for the caller.
  Result<LoginResult> ChangePassword(const Principal& principal, std::string_view current,
                                     std::string_view replacement);
  // Access token -> Principal, checking the session is live and the user active.
  Result<Principal> Authenticate(std::string_view access_token);

  // Creates the first super_admin `admin` when no user exists. Returns the password used
  // (the given one, or a generated one) or nullopt when users already exist.
  Result<std::optional<std::string>> EnsureInitialAdmin(std::string_view password);

  int LoginRetryAfterSeconds() const { return login_limiter_.RetryAfterSeconds(); }

 private:
  Result<LoginResult> StartSession(const User& user);
  Result<TokenPair> IssueTokens(const User& user, const std::string& session_id,
                                const std::string& refresh_token);
  // In-memory failure counter for usernames that do not exist.
  bool UnknownUserLocked(const std::string& key, SysTime now);
  void RecordUnknownFailure(const std::string& key, SysTime now);

  Stores stores_;
  Crypto& crypto_;
  AccessTokenCodec& codec_;
  const Clock& clock_;
  AuthConfig config_;
  RateLimiter login_limiter_;
  std::string dummy_hash_;

  struct UnknownFailures {
    int count = 0;
    SysTime locked_until{};
    SysTime last{};
  };
  std::mutex unknown_mutex_;
  std::unordered_map<std::string, UnknownFailures> unknown_failures_;
};

// "Invalid username or password" — the one answer for both cases.
Error InvalidCredentials();

}  // namespace sw::core
