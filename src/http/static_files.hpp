// StaticFiles: serves the built web console (http.web_root) at /. Hashed assets under
// /assets/ are immutable for a year; index.html is never cached; any other GET path without
// a file extension falls back to index.html (client-side routes). Every response carries a
// strict Content-Security-Policy. Paths are confined to the root (no `..`, no symlink
// escapes). Files are read per request, so a rebuilt console is served without a restart.
// Thread-safe (no mutable state).
#pragma once

#include <optional>
#include <string>

#include "http/message.hpp"

namespace sw::http {

class StaticFiles {
 public:
  explicit StaticFiles(const std::string& root);

  // A response for GET `req` outside /api/, or nullopt when this is not a console path.
  std::optional<Response> Serve(const Request& req) const;

  // The security headers every console response carries (also used for tests).
  static void AddSecurityHeaders(Response& r);

 private:
  std::optional<Response> File(const std::string& relative, bool is_index) const;

  std::string root_;  // canonical; empty = no console configured or built
};

}  // namespace sw::http
