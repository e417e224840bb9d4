// Request and Response: plain HTTP messages, independent of Beast, so routing and handlers
// compile without the heavy headers and are unit-tested without sockets. Value types.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sw::http {

struct Request {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // raw request target: path and query
  std::string path;                                          // percent-decoded path, no query
  std::unordered_map<std::string, std::string> query;        // decoded; last value wins
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string remote_ip;

  // The first header named `name` (lower-case), or empty.
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Splits a target into path and query parameters, percent-decoding both. False when the
// target is malformed (bad escapes, not absolute, NUL bytes).
bool ParseTarget(std::string_view target, std::string& path,
                 std::unordered_map<std::string, std::string>& query);

}  // namespace sw::http
