// Helpers for the broker integration tests: the MQTT port from the ready file, child
// processes (mosquitto_pub/_sub, Debian's mosquitto) with bounded waits, and a raw-socket MQTT
// client for byte-level tests. Test-only.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace sw::testing {

// The mqtt_port the server wrote to its ready file.
int MqttPort(const ServerProcess& server);

// The value of one sample in a Prometheus text page ("name{labels}"), or -1 when absent.
double MetricValue(const std::string& metrics_text, const std::string& sample);

// A child process with stdout+stderr captured into a file.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Waits up to `timeout` for exit; returns the exit code, or -1 after killing it.
  int Wait(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  void Kill(int signal);
  std::string Output() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
};

// Runs to completion (bounded); returns {exit code, output}.
std::pair<int, std::string> RunChild(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

// A blocking TCP client on 127.0.0.1 with receive timeouts.
class RawClient {
 public:
  explicit RawClient(int port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool Send(const std::string& bytes);
  // Reads until `n` bytes arrived, the peer closed or `timeout` passed.
  std::string Read(std::size_t n,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  // True when the peer closes the connection within `timeout` (draining what it sends).
  bool ClosedByPeer(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  void Close();

 private:
  int fd_ = -1;
};

// ---- raw MQTT bytes (the robustness tests write packets by hand) ----

// The variable byte integer of a remaining length.
inline std::string Varint(std::size_t n) {
  std::string out;
  do {
    auto b = static_cast<unsigned char>(n & 0x7F);
    n >>= 7;
    if (n != 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (n != 0);
  return out;
}
// A big-endian 16-bit integer.
inline std::string U16(int n) {
  return std::string{static_cast<char>(n >> 8), static_cast<char>(n & 0xFF)};
}
// A length-prefixed UTF-8 string.
inline std::string Str(const std::string& s) {
  return U16(static_cast<int>(s.size())) + s;
}
// A whole packet: the first byte, the remaining length, the body.
inline std::string Packet(unsigned char first, const std::string& body) {
  return std::string(1, static_cast<char>(first)) + Varint(body.size()) + body;
}

// Polls `predicate` every 10 ms until it holds or `timeout` passes.
template <typename F>
bool Eventually(F&& predicate,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

// ---- definitions ----

namespace broker_util_detail {

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace broker_util_detail
using broker_util_detail::Slurp;

inline int MqttPort(const ServerProcess& server) {
  const std::string text = Slurp(server.data_dir() + ".ready");
  auto v = boost::json::parse(text);
  return static_cast<int>(v.at("mqtt_port").as_int64());
}

inline double MetricValue(const std::string& text, const std::string& sample) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  }
  return -1;
}

inline Child::Child(const std::vector<std::string>& argv) {
  output_path_ = MakeTempDir("sw-child") + "/out.log";
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    const int fd = ::open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

inline Child::~Child() {
  if (pid_ > 0) {
    Kill(SIGKILL);
    Wait();
  }
}

inline int Child::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
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

inline void Child::Kill(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

inline std::string Child::Output() const {
  return Slurp(output_path_);
}

inline std::pair<int, std::string> RunChild(const std::vector<std::string>& argv,
                                            std::chrono::milliseconds timeout) {
  Child child(argv);
  const int code = child.Wait(timeout);
  return {code, child.Output()};
}

inline RawClient::RawClient(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect failed");
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

inline RawClient::~RawClient() {
  Close();
}

inline void RawClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

inline bool RawClient::Send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

inline std::string RawClient::Read(std::size_t n, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(left.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((left.count() % 1000) * 1000 + 1);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    const auto got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
    if (got <= 0) break;
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

inline bool RawClient::ClosedByPeer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    const auto got = ::recv(fd_, buf, sizeof buf, 0);
    if (got == 0) return true;
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;
  }
  return false;
}

}  // namespace sw::testing
