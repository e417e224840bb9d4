// The REST envelope and JSON helpers shared by every handler (PRODUCT.md §5):
//   success: {"success": true, "data": ...}  (+ "meta": {"page","page_size","total"})
//   failure: {"success": false, "error": {"code","message","details"}}
// and a strict request-body reader: the body must be a JSON object, unknown fields are
// rejected, wrong types name the field. Stateless; thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/device.hpp"
#include "core/model.hpp"
#include "http/message.hpp"

namespace sw::http {

namespace json = boost::json;

int HttpStatusFor(Errc code);
Response JsonResponse(int status, const json::value& body);
Response Success(const json::value& data, int status = 200);
Response SuccessPage(const json::array& items, const core::PageRequest& page, std::int64_t total);
Response Failure(const Error& error);

// Reads `page` (>= 1) and `page_size` (1..max, default def) from the query string.
Result<core::PageRequest> ReadPage(const Request& req, int def = 20, int max = 100);
// Optional integer / time query parameters, validated.
Result<std::optional<std::int64_t>> QueryInt(const Request& req, const std::string& name);
Result<std::optional<SysTime>> QueryTime(const Request& req, const std::string& name);
Result<std::optional<bool>> QueryBool(const Request& req, const std::string& name);

class Body {
 public:
  // Parses `text` as a JSON object whose keys are all in `allowed`.
  static Result<Body> Parse(std::string_view text, std::initializer_list<std::string_view> allowed);

  Result<std::optional<std::string>> String(std::string_view field) const;
  Result<std::string> RequiredString(std::string_view field) const;
  Result<std::optional<std::int64_t>> Int(std::string_view field) const;
  Result<std::optional<double>> Number(std::string_view field) const;
  Result<std::optional<bool>> Bool(std::string_view field) const;
  bool Has(std::string_view field) const { return object_.contains(field); }

 private:
  explicit Body(json::object o) : object_(std::move(o)) {}
  json::object object_;
};

// Domain -> JSON.
json::value ToJson(const core::Workshop& w);
json::value ToJson(const core::Pit& p);
json::value ToJson(const core::User& u);  // never includes the password hash
json::value ToJson(const core::AuditEntry& e);
json::value ToJson(const core::Device& d);  // never includes the secret or its hash
json::value TimeJson(const std::optional<SysTime>& t);

}  // namespace sw::http
