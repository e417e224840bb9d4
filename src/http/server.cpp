#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/threads.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::size_t kHeaderLimit = std::size_t{16} * 1024;

// The live-event WebSocket (docs/LIVE.md).
constexpr std::string_view kLivePath = "/api/v1/ws";
constexpr std::size_t kWsMessageLimit = std::size_t{64} * 1024;  // incoming, per message
constexpr std::size_t kWsMaxReplies = 64;  // unsent replies before the client counts as too slow
constexpr auto kWsHandshakeTimeout = std::chrono::seconds(10);
constexpr auto kWsCloseTimeout = std::chrono::seconds(5);          // then the socket is cut
constexpr auto kLiveTickInterval = std::chrono::milliseconds(50);  // LiveHub::Tick

// MQTT over WebSocket (MQTT 5.0 §6): the handshake is done here, the rest by the broker.
constexpr std::string_view kMqttPath = "/mqtt";
constexpr std::string_view kMqttSubprotocol = "mqtt";

// Whether the request's Sec-WebSocket-Protocol lists (one or more headers, comma-separated
// tokens) `wanted`.
bool OffersSubprotocol(const bhttp::request<bhttp::string_body>& req, std::string_view wanted) {
  const auto [first, last] = req.equal_range(bhttp::field::sec_websocket_protocol);
  for (auto field = first; field != last; ++field) {
    std::string_view list = field->value();
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      if (Trim(list.substr(0, comma)) == wanted) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

}  // namespace

struct HttpServer::Impl {
  Impl(Router& r, metrics::Registry& m, ServerOptions o)
      : router(r),
        metrics(m),
        options(std::move(o)),
        acceptor(asio::make_strand(ioc)),
        open_connections(m.GetGauge("sitewatch_http_open_connections", "Open HTTP connections")),
        rejected_connections(m.GetCounter("sitewatch_http_rejected_connections_total",
                                          "Connections refused at the connection limit")),
        bad_requests(m.GetCounter("sitewatch_http_malformed_requests_total",
                                  "Requests refused before routing (malformed, too large)")) {}

  // What the server tracks of a connection (plain HTTP or WebSocket), for the drain.
  class Conn {
   public:
    virtual ~Conn() = default;
    // Called at shutdown: close when idle (HTTP) or with 1001 (WebSocket).
    virtual void Drain() = 0;
    // Called after the worker threads have stopped: let go of the LiveHub.
    virtual void Detach() {}
  };
  class Session;
  class WsSession;
  class MqttHandshake;

  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void Register(const std::shared_ptr<Conn>& s);
  void Unregister(Conn* s);
  void LiveTick();

  Router& router;
  metrics::Registry& metrics;
  ServerOptions options;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer live_timer{ioc};
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  metrics::Gauge& open_connections;
  metrics::Counter& rejected_connections;
  metrics::Counter& bad_requests;

  std::mutex sessions_mutex;
  std::set<std::weak_ptr<Conn>, std::owner_less<std::weak_ptr<Conn>>> sessions;
  std::size_t session_count = 0;
  std::condition_variable done_cv;
  bool stopped = false;
};

class HttpServer::Impl::Session : public Conn, public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket&& socket)
      : server_(server), stream_(std::move(socket)), executor_(stream_.get_executor()) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
  }

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

  // Called at shutdown: an idle connection is closed now; a busy one after its response.
  void Drain() override {
    asio::post(executor_, [self = shared_from_this()] {
      if (self->idle_) self->Close();
    });
  }

 private:
  void DoRead() {
    if (server_.draining) return Close();
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(kHeaderLimit);
    idle_ = true;
    stream_.expires_after(server_.options.idle_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    idle_ = false;
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == asio::error::bad_descriptor) {
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      server_.bad_requests.Inc();
      return SendError(
          MakeError(Errc::kPayloadTooLarge,
                    "request body exceeds " + std::to_string(server_.options.body_limit) + " bytes",
                    "PAYLOAD_TOO_LARGE"));
    }
    if (ec) {
      server_.bad_requests.Inc();
      return SendError(MakeError(Errc::kInvalidArgument, "malformed HTTP request: " + ec.message(),
                                 "BAD_REQUEST"));
    }
    auto msg = parser_->release();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.remote_ip = remote_ip_;
    if (!ParseTarget(req.target, req.path, req.query)) {
      server_.bad_requests.Inc();
      return SendError(
          MakeError(Errc::kInvalidArgument, "malformed request target", "BAD_REQUEST"));
    }
    if (server_.options.mqtt_websocket && req.path == kMqttPath) {
      return UpgradeMqtt(std::move(msg));
    }
    if (server_.options.live_hub && req.path == kLivePath) {
      if (websocket::is_upgrade(msg)) return Upgrade(std::move(msg));
      server_.bad_requests.Inc();
      return SendError(MakeError(Errc::kInvalidArgument,
                                 "this endpoint speaks WebSocket only (docs/LIVE.md)",
                                 "WEBSOCKET_REQUIRED"));
    }
    for (const auto& field : msg) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    const bool keep_alive = msg.keep_alive();
    Response resp = server_.router.Handle(req);
    Write(std::move(resp), keep_alive && !server_.draining, msg.version(),
          msg.method() == bhttp::verb::head);
  }

  void SendError(const Error& e) { Write(Failure(e), false, 11); }

  // The socket moves to a WebSocket session, which the server tracks from now on.
  void Upgrade(bhttp::request<bhttp::string_body> msg);
  // /mqtt: the socket moves to an MqttHandshake, then to the broker.
  void UpgradeMqtt(bhttp::request<bhttp::string_body> msg);

  // `head`: the response to a HEAD request — the headers a GET would get, no body.
  void Write(Response resp, bool keep_alive, unsigned version, bool head = false) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(version);
    out->result(static_cast<bhttp::status>(resp.status));
    out->set(bhttp::field::server, "sitewatch");
    out->set(bhttp::field::content_type, resp.content_type);
    for (auto& [k, v] : resp.headers) out->insert(k, v);
    out->body() = std::move(resp.body);
    out->keep_alive(keep_alive);
    out->prepare_payload();
    if (head) {
      const auto length = out->body().size();
      out->body().clear();
      out->content_length(length);
    }
    stream_.expires_after(server_.options.idle_timeout);
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
                         if (ec || !out->keep_alive()) return self->Close();
                         self->DoRead();
                       });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    server_.Unregister(this);
  }

  Impl& server_;
  beast::tcp_stream stream_;
  asio::any_io_executor executor_;  // the strand; stays valid after an upgrade
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_ip_;
  bool idle_ = false;
  bool closed_ = false;
};

// One live-event WebSocket session: frames in and out on the connection's strand, the
// protocol in LiveConnection. One write in flight; replies first, then events pulled from
// the hub's bounded queue one at a time (the hub's queue is the backlog, so a client that
// does not read overflows it and is closed with 4408).
class HttpServer::Impl::WsSession : public Conn, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(Impl& server, beast::tcp_stream&& stream)
      : server_(server), ws_(std::move(stream)), timer_(ws_.get_executor()) {}

  void Run(bhttp::request<bhttp::string_body> req) {
    std::string token;
    const std::string_view auth = req[bhttp::field::authorization];
    if (auth.size() > 7 && IEquals(auth.substr(0, 7), "bearer ")) {
      token = std::string(Trim(auth.substr(7)));
    }
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = kWsHandshakeTimeout;
    timeouts.idle_timeout = server_.options.ws_idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(bhttp::field::server, "sitewatch"); }));
    ws_.read_message_max(kWsMessageLimit);
    ws_.text(true);
    auto request = std::make_shared<bhttp::request<bhttp::string_body>>(std::move(req));
    ws_.async_accept(*request, [self = shared_from_this(), request, token = std::move(token)](
                                   beast::error_code ec) { self->OnAccept(ec, token); });
  }

  void Drain() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      if (!self->accepted_) {
        self->drain_requested_ = true;
        return;
      }
      self->StartClose(kCloseGoingAway, "server shutting down");
    });
  }

  void Detach() override { conn_.reset(); }

 private:
  static SysTime Now() { return std::chrono::system_clock::now(); }
  LiveMetrics& Metrics() { return server_.options.live_hub->metrics(); }

  void OnAccept(beast::error_code ec, const std::string& token) {
    accepted_ = true;
    if (ec) return Close();
    if (drain_requested_ || server_.draining) {
      return StartClose(kCloseGoingAway, "server shutting down");
    }
    // The hub wakes us from a publisher's thread: only post to the strand.
    std::weak_ptr<WsSession> weak = shared_from_this();
    auto wake = [weak, exec = ws_.get_executor()] {
      asio::post(exec, [weak] {
        if (auto self = weak.lock()) self->Pump();
      });
    };
    conn_.emplace(*server_.options.live_hub, server_.options.live_authenticate, std::move(wake),
                  Now(), server_.options.live);
    Apply(conn_->Start(token, Now()));
    if (closing_) return;
    ArmTimer();
    DoRead();
  }

  void DoRead() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == websocket::error::message_too_big) Metrics().bad_messages.Inc();
      return Close();  // closed by the peer, timed out, or our close completed
    }
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (closing_ || !conn_) return;
    Apply(conn_->OnMessage(text, ws_.got_text(), Now()));
    if (closing_) return;
    ArmTimer();
    DoRead();
  }

  // Sends the replies and closes if the protocol says so.
  void Apply(LiveOutput out) {
    for (std::string& m : out.messages) {
      if (replies_.size() >= kWsMaxReplies) {
        Metrics().dropped_slow.Inc();
        return StartClose(kCloseTooSlow, "too slow");
      }
      replies_.push_back(std::make_shared<const std::string>(std::move(m)));
    }
    if (out.close) return StartClose(out.close->code, out.close->reason);
    Pump();
  }

  // Writes the next reply or event when no write is in flight.
  void Pump() {
    if (closing_ || !conn_) return;
    if (conn_->Overflowed()) return StartClose(kCloseTooSlow, "too slow");  // counted by the hub
    if (writing_) return;
    LiveMessage next;
    if (!replies_.empty()) {
      next = std::move(replies_.front());
      replies_.pop_front();
    } else {
      next = conn_->NextEvent();
    }
    if (!next) return;
    writing_ = true;
    ws_.async_write(asio::buffer(*next),
                    [self = shared_from_this(), next](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) return self->Close();
                      self->Metrics().messages_sent.Inc();
                      self->Pump();
                    });
  }

  // The auth deadline or the token's expiry (LiveConnection::NextDeadline), or the limit
  // of a closing handshake.
  void ArmTimer() {
    const SysTime deadline = closing_ ? Now() + kWsCloseTimeout : conn_->NextDeadline();
    if (deadline == armed_) return;
    armed_ = deadline;
    const auto delay = std::max(SysTime::duration::zero(), deadline - Now());
    timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay));
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      self->OnTimer();
    });
  }

  void OnTimer() {
    armed_ = SysTime::max();
    if (closed_) return;
    if (closing_) return Close();  // the peer did not finish the closing handshake
    Apply(conn_->OnTimer(Now()));
    if (!closing_) ArmTimer();
  }

  void StartClose(std::uint16_t code, const std::string& reason) {
    if (closing_ || closed_) return;
    closing_ = true;
    replies_.clear();
    ArmTimer();
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                    [self = shared_from_this()](beast::error_code) { self->Close(); });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    closing_ = true;
    timer_.cancel();
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    conn_.reset();  // leaves the hub
    server_.Unregister(this);
  }

  Impl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<LiveConnection> conn_;
  std::deque<LiveMessage> replies_;
  SysTime armed_ = SysTime::max();
  bool accepted_ = false;
  bool drain_requested_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

// MQTT over WebSocket: completes the opening handshake (answering the subprotocol "mqtt"),
// then releases the socket from this io_context and hands its descriptor to the broker
// (ServerOptions::mqtt_websocket), which owns it from then on. Tracked by the server only
// until then; a handshake that has not finished when the server drains is closed.
class HttpServer::Impl::MqttHandshake : public Conn,
                                        public std::enable_shared_from_this<MqttHandshake> {
 public:
  MqttHandshake(Impl& server, beast::tcp_stream&& stream, std::string early_bytes)
      : server_(server), ws_(std::move(stream)), early_(std::move(early_bytes)) {}

  void Run(bhttp::request<bhttp::string_body> req) {
    beast::get_lowest_layer(ws_).expires_never();  // the handshake timeout takes over
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = kWsHandshakeTimeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(bhttp::field::server, "sitewatch");
      if (res.result() == bhttp::status::switching_protocols) {
        res.set(bhttp::field::sec_websocket_protocol, kMqttSubprotocol);
      }
    }));
    auto request = std::make_shared<bhttp::request<bhttp::string_body>>(std::move(req));
    ws_.async_accept(*request, [self = shared_from_this(), request](beast::error_code ec) {
      self->OnAccept(ec);
    });
  }

  // A handshake still under way at shutdown is cut (its handler then finds it closed).
  void Drain() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (done_) return;  // cut by Drain
    if (ec || server_.draining) return Close();
    tcp::socket socket = beast::get_lowest_layer(ws_).release_socket();
    const int native = socket.release(ec);  // leaves this io_context, stays open
    if (ec) {
      socket.close(ec);
      return Close();
    }
    done_ = true;
    server_.Unregister(this);
    server_.options.mqtt_websocket(native, std::move(early_));
  }

  void Close() {
    if (done_) return;
    done_ = true;
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    server_.Unregister(this);
  }

  Impl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  std::string early_;  // read after the request (a client that did not wait for the 101)
  bool done_ = false;  // handed over or closed
};

void HttpServer::Impl::Session::UpgradeMqtt(bhttp::request<bhttp::string_body> msg) {
  if (!websocket::is_upgrade(msg)) {
    server_.bad_requests.Inc();
    return SendError(MakeError(Errc::kInvalidArgument,
                               "/mqtt is MQTT over WebSocket: send a WebSocket upgrade with "
                               "Sec-WebSocket-Protocol: mqtt",
                               "WEBSOCKET_REQUIRED"));
  }
  if (!OffersSubprotocol(msg, kMqttSubprotocol)) {
    server_.bad_requests.Inc();
    return SendError(MakeError(Errc::kInvalidArgument,
                               "MQTT over WebSocket needs the subprotocol \"mqtt\" "
                               "(Sec-WebSocket-Protocol: mqtt)",
                               "WEBSOCKET_SUBPROTOCOL_REQUIRED"));
  }
  if (server_.draining) return Close();
  std::string early = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  auto handshake = std::make_shared<MqttHandshake>(server_, std::move(stream_), std::move(early));
  server_.Register(handshake);
  handshake->Run(std::move(msg));
  closed_ = true;  // the socket belongs to the handshake now
  server_.Unregister(this);
}

void HttpServer::Impl::Session::Upgrade(bhttp::request<bhttp::string_body> msg) {
  if (server_.draining) return Close();
  auto ws = std::make_shared<WsSession>(server_, std::move(stream_));
  server_.Register(ws);
  ws->Run(std::move(msg));
  closed_ = true;  // the socket belongs to the WebSocket session now
  server_.Unregister(this);
}

void HttpServer::Impl::LiveTick() {
  live_timer.expires_after(kLiveTickInterval);
  live_timer.async_wait([this](beast::error_code ec) {
    if (ec) return;
    options.live_hub->Tick();
    LiveTick();
  });
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(ioc), beast::bind_front_handler(&Impl::OnAccept, this));
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (draining || !acceptor.is_open()) return;
  if (!ec) {
    std::size_t count;
    {
      std::lock_guard lock(sessions_mutex);
      count = session_count;
    }
    if (count >= options.max_connections) {
      rejected_connections.Inc();
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      // Responses and live events are small writes that must leave at once: without
      // TCP_NODELAY, Nagle holds each one until the client's (delayed) ACK of the last.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto session = std::make_shared<Session>(*this, std::move(socket));
      Register(session);
      session->Run();
    }
  }
  Accept();
}

void HttpServer::Impl::Register(const std::shared_ptr<Conn>& s) {
  std::lock_guard lock(sessions_mutex);
  sessions.insert(s);
  ++session_count;
  open_connections.Add(1);
}

void HttpServer::Impl::Unregister(Conn* s) {
  std::lock_guard lock(sessions_mutex);
  // The session is still alive here (we are inside one of its handlers).
  for (auto it = sessions.begin(); it != sessions.end(); ++it) {
    if (auto sp = it->lock(); sp.get() == s) {
      sessions.erase(it);
      break;
    }
  }
  --session_count;
  open_connections.Add(-1);
  if (draining && session_count == 0) done_cv.notify_all();
}

HttpServer::HttpServer(Router& router, metrics::Registry& metrics, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, metrics, std::move(options))) {}

HttpServer::~HttpServer() {
  if (!impl_->threads.empty()) {
    impl_->ioc.stop();
    for (auto& t : impl_->threads) {
      if (t.joinable()) t.join();
    }
  }
  // No thread runs handlers any more: leave the hub before the io_context (and the strands
  // the hub's wakes post to) goes away.
  std::vector<std::shared_ptr<Impl::Conn>> live;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (const auto& w : impl_->sessions) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->Detach();
}

Result<std::uint16_t> HttpServer::Listen() {
  beast::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "bad HTTP address " + impl_->options.address);
  tcp::endpoint ep(address, impl_->options.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(Errc::kUnavailable, "cannot listen on " + impl_->options.address + ":" +
                                             std::to_string(impl_->options.port) + ": " +
                                             ec.message());
  }
  return acc.local_endpoint().port();
}

void HttpServer::Start() {
  impl_->Accept();
  if (impl_->options.live_hub) impl_->LiveTick();
  const int n = std::max(1, impl_->options.threads);
  for (int i = 0; i < n; ++i) {
    impl_->threads.emplace_back([this, i] {
      SetThreadName("sw-http-" + std::to_string(i));
      for (;;) {
        try {
          impl_->ioc.run();
          return;
        } catch (const std::exception& e) {
          log::Error("http worker caught exception", {{"error", e.what()}});
        }
      }
    });
  }
}

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  impl_->draining = true;
  asio::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  std::vector<std::shared_ptr<Impl::Conn>> live;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (const auto& w : impl_->sessions) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->Drain();
  live.clear();
  std::unique_lock lock(impl_->sessions_mutex);
  impl_->done_cv.wait_for(lock, grace, [this] { return impl_->session_count == 0; });
  lock.unlock();
  impl_->ioc.stop();
}

void HttpServer::Wait() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

}  // namespace sw::http
