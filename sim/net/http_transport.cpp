#include "net/http_transport.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <stdexcept>
#include <vector>

#include "model/http_mapping.hpp"

namespace sw::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr auto kConnectTimeout = 5s;
constexpr auto kRequestTimeout = 10s;
constexpr auto kPollTimeout = std::chrono::seconds(HttpTransport::kPollWaitS + 10);
constexpr auto kMaxBackoff = 30s;
constexpr std::uint64_t kBodyLimit = 1 << 20;

struct Pending {
  HttpPost post;
  std::uint32_t token = 0;
};

struct Client {
  std::size_t index = 0;
  std::string uid;
  std::string authorization;
  bool connected = false;
  bool connecting = false;
  bool posting = false;
  bool polling = false;
  bool unsupported_logged = false;
  std::uint64_t generation = 0;  // bumped when the session ends: stale coroutines stop
  std::shared_ptr<beast::tcp_stream> post_stream;
  std::shared_ptr<beast::tcp_stream> poll_stream;
  std::deque<Pending> queue;
};

struct Event {
  enum class Kind : std::uint8_t { kConnected, kDisconnected, kAcked, kMessage };
  Kind kind = Kind::kConnected;
  std::size_t client = 0;
  std::uint32_t token = 0;
  std::string topic;
  std::string payload;
};

using Response = http::response<http::string_body>;

}  // namespace

struct HttpTransport::Impl {
  Impl(TransportStats& s, LogFn l) : stats(s), log(std::move(l)) {}

  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  tcp::endpoint endpoint;
  std::string host_header;
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<Event> events;
  TransportStats& stats;
  LogFn log;

  void Log(const std::string& line) {
    if (log) log(line);
  }

  void Push(Event e) { events.push_back(std::move(e)); }

  // Ends the session: both connections closed, the queue dropped; OnDisconnected when
  // `report` and a session was open or being opened.
  void Drop(Client& c, bool report = true) {
    ++c.generation;
    if (c.post_stream) c.post_stream->close();
    if (c.poll_stream) c.poll_stream->close();
    c.post_stream.reset();
    c.poll_stream.reset();
    c.queue.clear();
    c.posting = false;
    c.polling = false;
    const bool had_session = c.connected || c.connecting;
    c.connecting = false;
    if (!had_session) return;
    const bool was_connected = c.connected;
    c.connected = false;
    if (!report) return;
    if (was_connected) ++stats.disconnects;
    Push(Event{Event::Kind::kDisconnected, c.index, 0, {}, {}});
  }

  asio::awaitable<std::shared_ptr<beast::tcp_stream>> Open() {
    auto stream = std::make_shared<beast::tcp_stream>(io);
    stream->expires_after(kConnectTimeout);
    auto [ec] = co_await stream->async_connect(endpoint, kUse);
    if (ec) co_return nullptr;
    stream->expires_never();
    co_return stream;
  }

  // One request/response on `stream`; false on any I/O error or timeout.
  asio::awaitable<bool> Exchange(beast::tcp_stream& stream, http::request<http::string_body>& req,
                                 std::chrono::steady_clock::duration timeout, Response* res) {
    stream.expires_after(timeout);
    auto [wec, wn] = co_await http::async_write(stream, req, kUse);
    if (wec) co_return false;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kUse);
    if (rec) co_return false;
    stream.expires_never();
    *res = parser.release();
    co_return true;
  }

  http::request<http::string_body> Request(const Client& c, http::verb verb, std::string target,
                                           std::string body) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host_header);
    req.set(http::field::authorization, c.authorization);
    req.set(http::field::user_agent, "sitewatch-sim");
    req.keep_alive(true);
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return req;
  }

  asio::awaitable<void> Connect(Client& c, std::uint64_t gen) {
    auto stream = co_await Open();
    if (c.generation != gen) co_return;
    c.connecting = false;
    if (!stream) {
      ++stats.connect_failures;
      Push(Event{Event::Kind::kDisconnected, c.index, 0, {}, {}});
      co_return;
    }
    c.post_stream = std::move(stream);
    c.connected = true;
    Push(Event{Event::Kind::kConnected, c.index, 0, {}, {}});
    if (!c.queue.empty()) StartPosting(c);
  }

  void StartPosting(Client& c) {
    if (c.posting || !c.connected) return;
    c.posting = true;
    asio::co_spawn(io, PostLoop(c, c.generation), asio::detached);
  }

  asio::awaitable<void> PostLoop(Client& c, std::uint64_t gen) {
    while (c.generation == gen && !c.queue.empty()) {
      Pending p = std::move(c.queue.front());
      c.queue.pop_front();
      auto req = Request(c, http::verb::post, p.post.target, std::move(p.post.body));
      Response res;
      bool ok = false;
      // A kept-alive connection the server has closed meanwhile gets one fresh try.
      for (int attempt = 0; attempt < 2 && !ok && c.generation == gen; ++attempt) {
        std::shared_ptr<beast::tcp_stream> stream = c.post_stream;
        if (!stream) {
          stream = co_await Open();
          if (c.generation != gen) co_return;
          if (!stream) break;
          c.post_stream = stream;
        }
        ok = co_await Exchange(*stream, req, kRequestTimeout, &res);
        if (c.generation != gen) co_return;
        if (!ok) {
          stream->close();
          c.post_stream.reset();
        }
      }
      const unsigned status = ok ? res.result_int() : 0;
      if (!ok || status >= 500) {
        Log(c.uid + ": POST " + std::string(req.target()) + " " +
            (ok ? "answered " + std::to_string(status) : std::string("failed")) +
            "; the session ends and the device sends again after reconnecting");
        Drop(c);
        co_return;
      }
      if (status >= 300) {
        ++stats.refused;
        if (stats.refused <= 20 || stats.refused % 100 == 0) {
          Log(c.uid + ": POST " + std::string(req.target()) + " refused (" +
              std::to_string(status) + "): " + res.body().substr(0, 300));
        }
      }
      if (p.token != 0) {
        ++stats.acks;
        Push(Event{Event::Kind::kAcked, c.index, p.token, {}, {}});
      }
      if (!res.keep_alive() && c.post_stream) {
        c.post_stream->close();
        c.post_stream.reset();
      }
    }
    if (c.generation == gen) c.posting = false;
  }

  asio::awaitable<void> PollLoop(Client& c, std::uint64_t gen) {
    auto backoff = std::chrono::steady_clock::duration(1s);
    const std::string target =
        "/api/v1/device/commands?wait=" + std::to_string(HttpTransport::kPollWaitS);
    while (c.generation == gen) {
      bool ok = false;
      Response res;
      if (!c.poll_stream) {
        auto stream = co_await Open();
        if (c.generation != gen) co_return;
        c.poll_stream = std::move(stream);
      }
      if (c.poll_stream) {
        auto stream = c.poll_stream;
        auto req = Request(c, http::verb::get, target, {});
        ok = co_await Exchange(*stream, req, kPollTimeout, &res);
        if (c.generation != gen) co_return;
        if (!ok || !res.keep_alive()) {
          stream->close();
          c.poll_stream.reset();
        }
      }
      std::optional<std::vector<TopicMessage>> commands;
      if (ok && res.result_int() == 200) commands = CommandsFromPoll(c.uid, res.body());
      if (commands) {
        backoff = 1s;
        for (TopicMessage& m : *commands) {
          ++stats.messages;
          Push(Event{Event::Kind::kMessage, c.index, 0, std::move(m.topic), std::move(m.payload)});
        }
        continue;
      }
      Log(c.uid + ": long poll " +
          (ok ? "answered " + std::to_string(res.result_int()) + ": " + res.body().substr(0, 300)
              : std::string("failed")) +
          "; again in " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(backoff).count()) + " s");
      asio::steady_timer timer(io, backoff);
      co_await timer.async_wait(kUse);
      backoff = std::min<std::chrono::steady_clock::duration>(backoff * 2, kMaxBackoff);
    }
  }
};

HttpTransport::HttpTransport(std::string host, int port, LogFn log)
    : impl_(std::make_unique<Impl>(stats_, std::move(log))) {
  tcp::resolver resolver(impl_->io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) throw std::runtime_error("cannot resolve " + host);
  impl_->endpoint = results.begin()->endpoint();
  impl_->host_header = host + ":" + std::to_string(port);
}

HttpTransport::~HttpTransport() {
  for (auto& c : impl_->clients) impl_->Drop(*c, false);
  impl_->events.clear();
  // The aborted coroutines see their generation has passed and end.
  impl_->work.reset();
  impl_->io.restart();
  impl_->io.run_for(200ms);
}

std::size_t HttpTransport::AddClient(const std::string& uid, const std::string& secret) {
  if (impl_->clients.size() >= kMaxClients) {
    throw std::runtime_error("more than " + std::to_string(kMaxClients) + " HTTP devices");
  }
  auto c = std::make_unique<Client>();
  c->index = impl_->clients.size();
  c->uid = uid;
  c->authorization = BasicAuthorization(uid, secret);
  impl_->clients.push_back(std::move(c));
  return impl_->clients.size() - 1;
}

std::size_t HttpTransport::size() const {
  return impl_->clients.size();
}

bool HttpTransport::connected(std::size_t client) const {
  return client < impl_->clients.size() && impl_->clients[client]->connected;
}

void HttpTransport::Execute(std::size_t client, const LinkAction& a) {
  if (client >= impl_->clients.size()) return;
  Client& c = *impl_->clients[client];
  switch (a.kind) {
    case LinkAction::Kind::kConnect:
      ++stats_.connect_attempts;
      impl_->Drop(c, false);  // a new session replaces the old one
      c.connecting = true;
      asio::co_spawn(impl_->io, impl_->Connect(c, c.generation), asio::detached);
      return;
    case LinkAction::Kind::kAbort:
    case LinkAction::Kind::kDisconnect: impl_->Drop(c); return;
    case LinkAction::Kind::kSubscribe:
      if (c.connected && !c.polling && a.topic == "sw/d/" + c.uid + "/cmd") {
        c.polling = true;
        asio::co_spawn(impl_->io, impl_->PollLoop(c, c.generation), asio::detached);
      }
      return;
    case LinkAction::Kind::kPublish: {
      if (!c.connected || c.queue.size() >= kMaxQueue) {
        ++stats_.publish_errors;
        return;
      }
      HttpPost post = MapPublish(c.uid, a.topic, a.payload);
      const bool acked = a.token != 0 && a.qos > 0;
      if (post.kind == HttpPost::Kind::kSkip || post.kind == HttpPost::Kind::kUnsupported) {
        if (post.kind == HttpPost::Kind::kSkip) {
          ++stats_.skipped;
        } else {
          ++stats_.refused;
          if (!c.unsupported_logged) {
            c.unsupported_logged = true;
            impl_->Log(c.uid + ": " + a.topic + " has no HTTP device API endpoint; dropped");
          }
        }
        if (acked) {
          ++stats_.acks;
          impl_->Push(Event{Event::Kind::kAcked, c.index, a.token, {}, {}});
        }
        return;
      }
      ++stats_.publishes;
      c.queue.push_back(Pending{std::move(post), acked ? a.token : 0});
      impl_->StartPosting(c);
      return;
    }
  }
}

void HttpTransport::Poll(std::chrono::milliseconds timeout) {
  if (timeout.count() > 0) {
    impl_->io.run_for(timeout);
  } else {
    impl_->io.poll();
  }
  if (sink_ == nullptr) {
    impl_->events.clear();
    return;
  }
  std::vector<Event> events;
  events.swap(impl_->events);
  for (const Event& e : events) {
    switch (e.kind) {
      case Event::Kind::kConnected: sink_->OnConnected(e.client); break;
      case Event::Kind::kDisconnected: sink_->OnDisconnected(e.client); break;
      case Event::Kind::kAcked: sink_->OnPublishAcked(e.client, e.token); break;
      case Event::Kind::kMessage: sink_->OnMessage(e.client, e.topic, e.payload); break;
    }
  }
}

}  // namespace sw::sim
