// Router: the REST route table and the request pipeline every API call goes through —
// match, authenticate, rate-limit, run the handler, audit, count. Handlers are plain
// functions of a Call; they never see sockets. The route table is also what the OpenAPI
// test compares against the document.
//
// Thread-safety: routes are added at start-up; Handle() is then safe from many threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "core/auth_service.hpp"
#include "core/ports.hpp"
#include "core/rate_limiter.hpp"
#include "http/message.hpp"

namespace sw::http {

enum class Access {
  kPublic,  // no token needed
  kUser,    // a valid access token; temporary-password users only reach auth routes
  kUserWithTemporaryPassword,  // also reachable before a temporary password is changed
};

// One request in flight, as a handler sees it.
class Call {
 public:
  Call(const Request& req, std::unordered_map<std::string, std::string> params)
      : req(req), params_(std::move(params)) {}

  const Request& req;
  std::optional<core::Principal> principal;

  // A positive integer path parameter ("{id}"); NotFound when malformed (an id that cannot
  // exist is simply absent).
  Result<std::int64_t> Id(const std::string& name) const;
  // A path parameter as text (already percent-decoded), or empty.
  std::string Param(const std::string& name) const {
    auto it = params_.find(name);
    return it == params_.end() ? std::string() : it->second;
  }
  // Records an audit entry, written by the router when the handler succeeds.
  void Audit(std::string action, std::string resource_type, std::string resource_id,
             std::optional<WorkshopId> workshop, std::string before_json = {},
             std::string after_json = {});
  std::vector<core::AuditEntry>& audit_entries() { return audit_; }

 private:
  std::unordered_map<std::string, std::string> params_;
  std::vector<core::AuditEntry> audit_;
};

using Handler = std::function<Response(Call&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/pits/{id}"
  std::string name;     // "pit.get" — metrics label and default audit action
  Access access = Access::kUser;
  Handler handler;
  std::vector<std::string> segments;
};

class Router {
 public:
  struct Deps {
    core::AuthService& auth;
    core::AuditStore& audit;
    metrics::Registry& metrics;
    const Clock& clock;
    int user_rate_per_minute = 1200;
  };
  explicit Router(Deps deps);

  void Add(std::string method, std::string pattern, std::string name, Access access,
           Handler handler);
  // Asked for requests no route matches (the web console's files); nullopt = 404.
  void SetFallback(std::function<std::optional<Response>(const Request&)> fallback) {
    fallback_ = std::move(fallback);
  }
  Response Handle(const Request& req);
  const std::vector<Route>& routes() const { return routes_; }

 private:
  const Route* Match(const Request& req, std::unordered_map<std::string, std::string>& params,
                     std::vector<std::string>& allowed_methods) const;
  Response Run(const Route& route, Call& call);
  void WriteAudit(Call& call, const Route& route);

  Deps deps_;
  core::RateLimiter user_limiter_;
  std::vector<Route> routes_;
  std::function<std::optional<Response>(const Request&)> fallback_;
};

}  // namespace sw::http
