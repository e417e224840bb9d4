#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "http/json_api.hpp"

namespace sw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kHeaderLimit = std::size_t{16} * 1024;

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

  class Session;

  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void Register(const std::shared_ptr<Session>& s);
  void Unregister(Session* s);

  Router& router;
  metrics::Registry& metrics;
  ServerOptions options;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  metrics::Gauge& open_connections;
  metrics::Counter& rejected_connections;
  metrics::Counter& bad_requests;

  std::mutex sessions_mutex;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;
  std::size_t session_count = 0;
  std::condition_variable done_cv;
  bool stopped = false;
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket&& socket) : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
  }

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

  // Called at shutdown: an idle connection is closed now; a busy one after its response.
  void Drain() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
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
    for (const auto& field : msg) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    const bool keep_alive = msg.keep_alive();
    Response resp = server_.router.Handle(req);
    Write(std::move(resp), keep_alive && !server_.draining, msg.version());
  }

  void SendError(const Error& e) { Write(Failure(e), false, 11); }

  void Write(Response resp, bool keep_alive, unsigned version) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(version);
    out->result(static_cast<bhttp::status>(resp.status));
    out->set(bhttp::field::server, "sitewatch");
    out->set(bhttp::field::content_type, resp.content_type);
    for (auto& [k, v] : resp.headers) out->insert(k, v);
    out->body() = std::move(resp.body);
    out->keep_alive(keep_alive);
    out->prepare_payload();
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
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_ip_;
  bool idle_ = false;
  bool closed_ = false;
};

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
      auto session = std::make_shared<Session>(*this, std::move(socket));
      Register(session);
      session->Run();
    }
  }
  Accept();
}

void HttpServer::Impl::Register(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(sessions_mutex);
  sessions.insert(s);
  ++session_count;
  open_connections.Add(1);
}

void HttpServer::Impl::Unregister(Session* s) {
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
  const int n = std::max(1, impl_->options.threads);
  for (int i = 0; i < n; ++i) {
    impl_->threads.emplace_back([this] {
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
  std::vector<std::shared_ptr<Impl::Session>> live;
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
