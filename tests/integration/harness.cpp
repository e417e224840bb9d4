#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sw::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

json::value HttpResult::Json() const {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  return ec ? json::value(nullptr) : v;
}

std::string HttpResult::ErrorCode() const {
  auto v = Json();
  if (!v.is_object()) return "";
  const auto* err = v.as_object().if_contains("error");
  if (!err || !err->is_object()) return "";
  const auto* code = err->as_object().if_contains("code");
  return code && code->is_string() ? std::string(code->as_string()) : "";
}

HttpResult HttpClient::Request(const std::string& method, const std::string& target,
                               const std::string& body, const std::string& token,
                               const std::vector<std::pair<std::string, std::string>>& extra) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(15));
  stream.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)));
  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  req.set(bhttp::field::host, "127.0.0.1");
  if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : extra) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bhttp::read(stream, buffer, parser);
  auto res = parser.release();
  HttpResult out;
  out.status = res.result_int();
  out.body = std::move(res.body());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

std::string HttpClient::Raw(const std::string& bytes, std::chrono::milliseconds timeout) {
  // Plain POSIX socket: Asio's synchronous reads retry past SO_RCVTIMEO.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string SitewatchBinary() {
  return std::string(SW_BINARY_DIR) + "/sitewatch";
}
std::string SimBinary() {
  return std::string(SW_BINARY_DIR) + "/sitewatch-sim";
}
std::string SourceDir() {
  return SW_SOURCE_DIR;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

namespace {

pid_t Spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            const std::string& log_path) {
  std::vector<std::string> env_strings = {"PATH=/usr/bin:/bin", "HOME=/tmp"};
  bool has_argon = false, has_login_rate = false;
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
    has_argon = has_argon || k.rfind("SITEWATCH_AUTH_ARGON2", 0) == 0;
    has_login_rate = has_login_rate || k == "SITEWATCH_AUTH_LOGIN_RATE_PER_MINUTE";
  }
  if (!has_login_rate) {
    // Every test client is 127.0.0.1: one address making hundreds of logins on purpose.
    env_strings.push_back("SITEWATCH_AUTH_LOGIN_RATE_PER_MINUTE=100000");
  }
  if (!has_argon) {
    // Cheap password hashing keeps the suite fast; the production cost is a config value.
    env_strings.push_back("SITEWATCH_AUTH_ARGON2_MEMLIMIT_KIB=8192");
    env_strings.push_back("SITEWATCH_AUTH_ARGON2_OPSLIMIT=1");
  }
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // A test binary that crashes must not leave its servers running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

ServerProcess::ServerProcess(ServerOptions options) {
  data_dir_ = options.data_dir.empty() ? MakeTempDir("sw-it") : options.data_dir;
  log_path_ = data_dir_ + ".log";
  const std::string ready = data_dir_ + ".ready";
  std::filesystem::remove(ready);
  std::vector<std::string> args = {SitewatchBinary(), "serve",     "--data-dir",   data_dir_,
                                   "--http-address",  "127.0.0.1", "--http-port",  "0",
                                   "--mqtt-port",     "0",         "--ready-file", ready};
  for (auto& a : options.extra_args) args.push_back(a);
  auto env = options.env;
  env.emplace("SITEWATCH_INIT_ADMIN_PASSWORD", kAdminPassword);
  pid_ = Spawn(args, env, log_path_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("sitewatch exited during start-up:\n" + Log());
    }
    const std::string text = ReadFile(ready);
    if (!text.empty()) {
      auto v = json::parse(text);
      http_port_ = static_cast<int>(v.at("http_port").as_int64());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the ready file
  }
  Stop(SIGKILL);
  throw std::runtime_error("sitewatch did not become ready:\n" + Log());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

int ServerProcess::Stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

std::string ServerProcess::Log() const {
  return ReadFile(log_path_);
}

std::pair<int, std::string> RunSitewatch(const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env) {
  const std::string log = MakeTempDir("sw-run") + "/out.log";
  std::vector<std::string> full = {SitewatchBinary()};
  full.insert(full.end(), args.begin(), args.end());
  const pid_t pid = Spawn(full, env, log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), ReadFile(log)};
}

std::string Login(HttpClient& client, const std::string& username, const std::string& password) {
  auto r = client.Post("/api/v1/auth/login", {{"username", username}, {"password", password}});
  EXPECT_EQ(r.status, 200) << r.body;
  if (r.status != 200) return "";
  return std::string(r.Json().at("data").at("access_token").as_string());
}

}  // namespace sw::testing
