#include "http/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/json_api.hpp"

namespace sw::http {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxFileSize = std::uintmax_t{16} * 1024 * 1024;

std::string ContentType(const std::string& ext) {
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".webp") return "image/webp";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".webmanifest") return "application/manifest+json";
  return "application/octet-stream";
}

bool SafeRelative(const std::string& path) {
  // `path` is percent-decoded already; refuse anything that could climb out or confuse.
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos ||
      (!path.empty() && path.front() == '/')) {
    return false;
  }
  std::size_t i = 0;
  while (i <= path.size()) {
    const auto j = path.find('/', i);
    const std::string seg = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (seg == ".." || seg == ".") return false;
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return true;
}

}  // namespace

StaticFiles::StaticFiles(const std::string& root) {
  std::error_code ec;
  if (root.empty()) return;
  const fs::path canonical = fs::canonical(root, ec);
  if (!ec && fs::is_regular_file(canonical / "index.html", ec)) root_ = canonical.string();
}

void StaticFiles::AddSecurityHeaders(Response& r) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'self'; style-src 'self'; "
                         "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                         "object-src 'none'; base-uri 'none'; form-action 'self'; "
                         "frame-ancestors 'none'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

std::optional<Response> StaticFiles::File(const std::string& relative, bool is_index) const {
  std::error_code ec;
  const fs::path full = fs::weakly_canonical(fs::path(root_) / relative, ec);
  if (ec) return std::nullopt;
  // Symlinks inside the root must not lead outside it.
  const std::string full_str = full.string();
  if (full_str.compare(0, root_.size(), root_) != 0 ||
      (full_str.size() > root_.size() && full_str[root_.size()] != '/')) {
    return std::nullopt;
  }
  if (!fs::is_regular_file(full, ec) || fs::file_size(full, ec) > kMaxFileSize) {
    return std::nullopt;
  }
  std::ifstream in(full, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  Response r;
  r.body = body.str();
  r.content_type = ContentType(full.extension().string());
  const bool hashed = relative.rfind("assets/", 0) == 0;
  r.headers.emplace_back("Cache-Control", is_index ? "no-cache"
                                          : hashed ? "public, max-age=31536000, immutable"
                                                   : "public, max-age=300");
  AddSecurityHeaders(r);
  return r;
}

std::optional<Response> StaticFiles::Serve(const Request& req) const {
  if ((req.method != "GET" && req.method != "HEAD") || req.path.rfind("/api/", 0) == 0 ||
      req.path == "/api") {
    return std::nullopt;
  }
  if (root_.empty()) {
    if (req.path != "/") return std::nullopt;
    Response r = Failure(MakeError(Errc::kNotFound,
                                   "the web console is not built or http.web_root is not set; "
                                   "the API is at /api/v1 (see /api/v1/openapi.json)",
                                   "CONSOLE_NOT_BUILT"));
    return r;
  }
  std::string relative = req.path.substr(1);
  if (!SafeRelative(relative)) {
    return Failure(MakeError(Errc::kNotFound, "not found", "NOT_FOUND"));
  }
  if (relative.empty() || relative == "index.html") return File("index.html", true);
  if (auto file = File(relative, false)) return file;
  // A client-side route (no extension in the last segment) gets the app shell.
  const auto last =
      relative.substr(relative.rfind('/') == std::string::npos ? 0 : relative.rfind('/') + 1);
  if (last.find('.') == std::string::npos) return File("index.html", true);
  Response r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "not found\n";
  AddSecurityHeaders(r);
  return r;
}

}  // namespace sw::http
