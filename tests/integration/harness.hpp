// Integration-test harness: starts the real `sitewatch serve` binary on port 0 with a
// temporary data dir, waits for its ready file (no sleeps), and talks HTTP to it.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sw::testing {

namespace json = boost::json;

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  json::value Json() const;                    // parsed body; null when not JSON
  std::string ErrorCode() const;               // error.code of a failure envelope
};

class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}
  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = {}, const std::string& token = {},
                     const std::vector<std::pair<std::string, std::string>>& extra_headers = {});
  HttpResult Get(const std::string& target, const std::string& token = {}) {
    return Request("GET", target, {}, token);
  }
  HttpResult Post(const std::string& target, const json::value& body,
                  const std::string& token = {}) {
    return Request("POST", target, json::serialize(body), token);
  }
  // Sends raw bytes on a fresh connection and returns whatever comes back before the server
  // closes or `timeout` passes.
  std::string Raw(const std::string& bytes,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

 private:
  int port_;
};

struct ServerOptions {
  std::vector<std::string> extra_args;
  std::map<std::string, std::string> env;  // added to a clean environment
  std::string data_dir;                    // empty: a fresh temporary directory
};

class ServerProcess {
 public:
  static constexpr const char* kAdminPassword = "integration-admin-pw";

  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int http_port() const { return http_port_; }
  pid_t pid() const { return pid_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  HttpClient Client() const { return HttpClient(http_port_); }

  // Sends `signal`, waits up to `timeout` for exit; returns the exit status (or -1 when it
  // had to be killed).
  int Stop(int signal, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  std::string Log() const;

 private:
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int http_port_ = 0;
};

// Runs the sitewatch binary to completion with `args`; returns {exit code, stdout+stderr}.
std::pair<int, std::string> RunSitewatch(const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env = {});

std::string SitewatchBinary();
// build/bin/sitewatch-sim (built with the firmware cores; absent when SW_FIRMWARE is off).
std::string SimBinary();
std::string SourceDir();
std::string MakeTempDir(const std::string& prefix);

// Logs in and returns the access token (fails the test when login fails).
std::string Login(HttpClient& client, const std::string& username, const std::string& password);

}  // namespace sw::testing
