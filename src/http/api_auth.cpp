#include <boost/json.hpp>

#include "common/time_format.hpp"
#include "http/api.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

json::object SessionJson(const core::LoginResult& r, SysTime now) {
  return json::object{
      {"access_token", r.tokens.access_token},
      {"token_type", "Bearer"},
      {"expires_in",
       std::chrono::duration_cast<std::chrono::seconds>(r.tokens.access_expires_at - now).count()},
      {"refresh_token", r.tokens.refresh_token},
      {"refresh_expires_at", FormatTime(r.tokens.refresh_expires_at)},
      {"user", ToJson(r.user)}};
}

}  // namespace

void RegisterAuthRoutes(Router& router, const ApiDeps& deps) {
  core::AuthService& auth = deps.auth;

  router.Add("POST", "/api/v1/auth/login", "auth.login", Access::kPublic, [&auth](Call& call) {
    auto body = Body::Parse(call.req.body, {"username", "password"});
    if (!body.ok()) return Failure(body.error());
    auto username = body->RequiredString("username");
    if (!username.ok()) return Failure(username.error());
    auto password = body->RequiredString("password");
    if (!password.ok()) return Failure(password.error());
    auto result = auth.Login(*username, *password, call.req.remote_ip);
    if (!result.ok()) {
      if (result.error().code == Errc::kUnauthenticated) {
        // Failed logins are audited by name as typed, not by whether the user exists.
        call.Audit("auth.login_failed", "session", "", std::nullopt);
        call.audit_entries().back().actor_name = username->substr(0, 64);
      }
      Response r = Failure(result.error());
      if (result.error().code == Errc::kRateLimited) {
        r.headers.emplace_back("Retry-After", std::to_string(auth.LoginRetryAfterSeconds()));
      }
      return r;
    }
    call.Audit("auth.login", "session", "", result->user.workshop_id);
    call.audit_entries().back().actor_id = result->user.id;
    call.audit_entries().back().actor_name = result->user.username;
    return Success(SessionJson(*result, SystemClock().Now()));
  });

  router.Add("POST", "/api/v1/auth/refresh", "auth.refresh", Access::kPublic, [&auth](Call& call) {
    auto body = Body::Parse(call.req.body, {"refresh_token"});
    if (!body.ok()) return Failure(body.error());
    auto token = body->RequiredString("refresh_token");
    if (!token.ok()) return Failure(token.error());
    auto result = auth.Refresh(*token);
    if (!result.ok()) return Failure(result.error());
    call.Audit("auth.refresh", "session", "", result->user.workshop_id);
    call.audit_entries().back().actor_id = result->user.id;
    call.audit_entries().back().actor_name = result->user.username;
    return Success(SessionJson(*result, SystemClock().Now()));
  });

  router.Add("POST", "/api/v1/auth/logout", "auth.logout", Access::kUserWithTemporaryPassword,
             [&auth](Call& call) {
               std::string refresh;
               if (!call.req.body.empty()) {
                 auto body = Body::Parse(call.req.body, {"refresh_token"});
                 if (!body.ok()) return Failure(body.error());
                 auto token = body->String("refresh_token");
                 if (!token.ok()) return Failure(token.error());
                 refresh = token->value_or("");
               }
               if (auto s = auth.Logout(&*call.principal, refresh); !s.ok()) {
                 return Failure(s.error());
               }
               call.Audit("auth.logout", "session", "", call.principal->workshop_id);
               return Success(json::object{{"logged_out", true}});
             });

  router.Add("GET", "/api/v1/auth/me", "auth.me", Access::kUserWithTemporaryPassword,
             [&tenancy = deps.tenancy](Call& call) {
               auto user = tenancy.GetUser(core::TenancyService::System(), call.principal->user_id);
               if (!user.ok()) return Failure(user.error());
               return Success(ToJson(*user));
             });

  router.Add("POST", "/api/v1/auth/change-password", "auth.change_password",
             Access::kUserWithTemporaryPassword, [&auth](Call& call) {
               auto body = Body::Parse(call.req.body, {"current_password", "new_password"});
               if (!body.ok()) return Failure(body.error());
               auto current = body->RequiredString("current_password");
               if (!current.ok()) return Failure(current.error());
               auto next = body->RequiredString("new_password");
               if (!next.ok()) return Failure(next.error());
               auto result = auth.ChangePassword(*call.principal, *current, *next);
               if (!result.ok()) return Failure(result.error());
               call.Audit("auth.change_password", "user",
                          std::to_string(call.principal->user_id.value),
                          call.principal->workshop_id);
               return Success(SessionJson(*result, SystemClock().Now()));
             });
}

}  // namespace sw::http
