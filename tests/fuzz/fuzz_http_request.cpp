// Fuzzes what the REST layer does with untrusted request bytes: the target parser and the
// strict JSON body reader with every accessor.
#include <cstdint>
#include <string_view>

#include "http/json_api.hpp"
#include "http/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\n');
  sw::http::Request req;
  if (sw::http::ParseTarget(input.substr(0, split), req.path, req.query)) {
    (void)sw::http::ReadPage(req);
    (void)sw::http::QueryTime(req, "from");
    (void)sw::http::QueryBool(req, "active_only");
  }
  if (split == std::string_view::npos) return 0;
  auto body = sw::http::Body::Parse(input.substr(split + 1),
                                    {"name", "number", "active", "power_factor", "email"});
  if (body.ok()) {
    (void)body->String("name");
    (void)body->Int("number");
    (void)body->Bool("active");
    (void)body->Number("power_factor");
    (void)body->RequiredString("email");
  }
  return 0;
}
