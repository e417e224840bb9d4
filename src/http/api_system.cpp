#include <boost/json.hpp>

#include "http/api.hpp"
#include "http/json_api.hpp"

namespace sw::http {

void RegisterSystemRoutes(Router& router, const ApiDeps& deps) {
  router.Add("GET", "/health", "health", Access::kPublic, [](Call&) {
    return Success(json::object{{"status", "ok"}});
  });
  router.Add("GET", "/ready", "ready", Access::kPublic, [ready = deps.ready](Call&) {
    const Status s = ready();
    if (!s.ok()) {
      return Failure(MakeError(Errc::kUnavailable, s.error().message, "NOT_READY"));
    }
    return Success(json::object{{"status", "ready"}});
  });
  router.Add("GET", "/metrics", "metrics", Access::kPublic, [&metrics = deps.metrics](Call&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.Render();
    return r;
  });
  router.Add("GET", "/api/v1/openapi.json", "openapi", Access::kPublic,
             [doc = deps.openapi_json](Call&) {
               Response r;
               r.body = std::string(doc);
               return r;
             });
}

}  // namespace sw::http
