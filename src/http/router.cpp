#include "http/router.hpp"

#include <chrono>
#include <exception>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const auto j = path.find('/', i);
    const auto end = j == std::string_view::npos ? path.size() : j;
    if (end > i) out.emplace_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

bool IsMutation(std::string_view method) {
  return method != "GET" && method != "HEAD";
}

}  // namespace

Result<std::int64_t> Call::Id(const std::string& name) const {
  auto it = params_.find(name);
  const auto v = it == params_.end() ? std::nullopt : ParseInt64(it->second);
  if (!v || *v <= 0) return MakeError(Errc::kNotFound, "not found", "NOT_FOUND");
  return *v;
}

void Call::Audit(std::string action, std::string resource_type, std::string resource_id,
                 std::optional<WorkshopId> workshop, std::string before_json,
                 std::string after_json) {
  core::AuditEntry e;
  e.action = std::move(action);
  e.resource_type = std::move(resource_type);
  e.resource_id = std::move(resource_id);
  e.workshop_id = workshop;
  e.before_json = std::move(before_json);
  e.after_json = std::move(after_json);
  audit_.push_back(std::move(e));
}

Router::Router(Deps deps) : deps_(deps), user_limiter_(deps.user_rate_per_minute) {}

void Router::Add(std::string method, std::string pattern, std::string name, Access access,
                 Handler handler) {
  Route r{std::move(method), std::move(pattern), std::move(name), access, std::move(handler), {}};
  r.segments = Split(r.pattern);
  routes_.push_back(std::move(r));
}

const Route* Router::Match(const Request& req, std::unordered_map<std::string, std::string>& params,
                           std::vector<std::string>& allowed_methods) const {
  const auto parts = Split(req.path);
  const Route* found = nullptr;
  for (const Route& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    std::unordered_map<std::string, std::string> p;
    bool ok = true;
    for (std::size_t i = 0; ok && i < parts.size(); ++i) {
      const auto& seg = r.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        p[seg.substr(1, seg.size() - 2)] = parts[i];
      } else {
        ok = seg == parts[i];
      }
    }
    if (!ok) continue;
    if (r.method == req.method && !found) {
      found = &r;
      params = std::move(p);
    }
    allowed_methods.push_back(r.method);
  }
  return found;
}

Response Router::Handle(const Request& req) {
  const auto start = std::chrono::steady_clock::now();
  std::unordered_map<std::string, std::string> params;
  std::vector<std::string> allowed;
  const Route* route = Match(req, params, allowed);
  Response resp;
  std::string route_name = "unmatched";
  if (!route) {
    if (!allowed.empty()) {
      resp = Failure(MakeError(Errc::kInvalidArgument, "method not allowed", "METHOD_NOT_ALLOWED"));
      resp.status = 405;
      std::string allow;
      for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
      resp.headers.emplace_back("Allow", allow);
    } else if (auto file = fallback_ ? fallback_(req) : std::nullopt) {
      route_name = "static";
      resp = std::move(*file);
    } else {
      resp = Failure(MakeError(Errc::kNotFound, "no such endpoint", "NOT_FOUND"));
    }
  } else {
    route_name = route->name;
    Call call(req, std::move(params));
    resp = Run(*route, call);
  }
  if (route_name != "static") {
    resp.headers.emplace_back("Cache-Control", "no-store");
    resp.headers.emplace_back("X-Content-Type-Options", "nosniff");
  }

  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  deps_.metrics
      .GetCounter(
          "sitewatch_http_requests_total", "HTTP requests by route, method and status",
          {{"route", route_name}, {"method", req.method}, {"status", std::to_string(resp.status)}})
      .Inc();
  deps_.metrics
      .GetHistogram("sitewatch_http_request_seconds", "HTTP request latency by route",
                    {{"route", route_name}})
      .Observe(secs);
  return resp;
}

Response Router::Run(const Route& route, Call& call) {
  const Request& req = call.req;
  if (route.access != Access::kPublic) {
    const std::string_view auth = req.Header("authorization");
    if (auth.size() < 8 || !IEquals(auth.substr(0, 7), "bearer ")) {
      return Failure(
          MakeError(Errc::kUnauthenticated, "a bearer token is required", "NOT_AUTHENTICATED"));
    }
    auto principal = deps_.auth.Authenticate(Trim(auth.substr(7)));
    if (!principal.ok()) return Failure(principal.error());
    if (principal->temporary_password && route.access == Access::kUser) {
      return Failure(MakeError(Errc::kForbidden,
                               "change your temporary password first (POST "
                               "/api/v1/auth/change-password)",
                               "PASSWORD_CHANGE_REQUIRED"));
    }
    if (!user_limiter_.Allow("u:" + std::to_string(principal->user_id.value), deps_.clock.Now())) {
      Response r = Failure(MakeError(Errc::kRateLimited, "too many requests", "RATE_LIMITED"));
      r.headers.emplace_back("Retry-After", std::to_string(user_limiter_.RetryAfterSeconds()));
      return r;
    }
    call.principal = std::move(principal).value();
  }
  Response resp;
  try {
    resp = route.handler(call);
  } catch (const std::exception& e) {
    log::Error("handler failed", {{"route", route.name}, {"error", e.what()}});
    resp = Failure(MakeError(Errc::kInternal, e.what()));
  }
  if (resp.status >= 500) {
    log::Error("request failed",
               {{"route", route.name}, {"status", resp.status}, {"body", resp.body}});
  }
  if (resp.status < 400 && IsMutation(req.method)) {
    if (call.audit_entries().empty()) {
      call.Audit(route.name, "request", req.path,
                 call.principal ? call.principal->workshop_id : std::nullopt);
    }
  }
  WriteAudit(call, route);
  return resp;
}

void Router::WriteAudit(Call& call, const Route& route) {
  for (core::AuditEntry& e : call.audit_entries()) {
    e.at = deps_.clock.Now();
    if (call.principal && !e.actor_id && call.principal->user_id.valid()) {
      e.actor_id = call.principal->user_id;
      e.actor_name = call.principal->username;
    }
    if (e.actor_name.empty()) e.actor_name = "anonymous";
    e.ip = call.req.remote_ip;
    if (auto s = deps_.audit.AppendAudit(e); !s.ok()) {
      log::Error("audit write failed", {{"route", route.name}, {"error", s.error().message}});
    }
  }
}

}  // namespace sw::http
