// A small blocking WebSocket client for the integration tests (Boost.Beast), speaking to the
// server's live-event endpoint. Not thread-safe; one per test.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sw::testing {

struct WsFrame {
  enum class Kind { kText, kClosed, kTimeout, kError };
  Kind kind = Kind::kError;
  std::string text;                  // kText: the message
  int close_code = 0;                // kClosed: the server's close code
  std::string reason;                // kClosed: its reason; kError: the error
  boost::json::object Json() const;  // kText parsed (empty object when not JSON)
};

class WsClient {
 public:
  // Connects to 127.0.0.1:port and upgrades on `target`. Check ok()/error() afterwards.
  WsClient(int port, const std::string& target = "/api/v1/ws",
           const std::vector<std::pair<std::string, std::string>>& headers = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  bool Send(const std::string& text);
  bool Send(const boost::json::value& message) { return Send(boost::json::serialize(message)); }
  // The next message, the close (code and reason), or a timeout (which, as Beast's stream
  // timeouts do, ends the connection).
  WsFrame Read(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Sends `message` and returns the next frame.
  WsFrame Call(const boost::json::value& message,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    Send(message);
    return Read(timeout);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

}  // namespace sw::testing
