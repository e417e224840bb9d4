#include "broker/server.hpp"

#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <span>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"
#include "common/threads.hpp"
#include "protocol/connection.hpp"
#include "protocol/ws_frame.hpp"

namespace sw::broker {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
// Sockets and timers bound to a concrete io_context executor: smaller objects and smaller
// pending operations than with the type-erased any_io_executor.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                         asio::wait_traits<std::chrono::steady_clock>, Executor>;
using TlsStream = asio::ssl::stream<Socket&>;
using Descriptor = asio::posix::basic_stream_descriptor<Executor>;

constexpr std::uint32_t kNeverExpires = 0xFFFFFFFF;
constexpr std::size_t kReadBufferSize = std::size_t{64} * 1024;
// Deliveries are encoded about this far ahead of the socket (one write's worth).
constexpr std::size_t kEncodeAhead = std::size_t{64} * 1024;
// Decrypted bytes a TLS connection reads at a time (into its own buffer: a TLS read completes
// after other handlers may have run, so the per-thread buffer cannot be shared).
constexpr std::size_t kTlsReadBufferSize = std::size_t{8} * 1024;
// Inbound QoS 1/2 publishes a connection may have waiting for the platform before the shell
// stops reading from it (3.1.1 clients have no receive maximum).
constexpr std::size_t kMaxPendingAcks = 256;
constexpr auto kCloseGrace = std::chrono::seconds(5);  // to flush a last packet on close
// How often each thread looks for connections whose deadline (connect timeout, keep-alive,
// close grace) passed: one timer per thread instead of one per connection.
constexpr auto kSweepInterval = std::chrono::milliseconds(250);
constexpr auto kStalledWrite = std::chrono::seconds(5);  // a write this old: slow consumer
// Control frames (pongs) a WebSocket connection keeps waiting for the socket; pings beyond
// that go unanswered (RFC 6455 §5.5.3 allows answering only the latest).
constexpr std::size_t kWsMaxControlBytes = 512;

// How a connection's bytes travel.
enum class Transport : std::uint8_t { kTcp, kTls, kWebSocket };

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

struct MqttServer::Impl {
  Impl(Broker& b, Authenticator& a, BrokerMetrics& m, const Clock& c, ServerOptions o)
      : broker(b),
        auth(a),
        metrics(m),
        clock(c),
        options(std::move(o)),
        connection_options(MakeConnectionOptions(options)),
        workers(MakeWorkers(*this, std::max(1, options.threads))),
        acceptor(workers.front()->ioc.get_executor()),
        tls_acceptor(workers.front()->ioc.get_executor()),
        tick_timer(workers.front()->ioc.get_executor()) {
    for (auto& w : workers) guards.emplace_back(w->ioc.get_executor());
  }

  class Conn;

  // One thread: its io_context, its connections and their deadlines. Everything but
  // inbox_mutex is touched only on that thread.
  struct Worker {
    explicit Worker(Impl& s)
        : server(s), sweep_timer(ioc.get_executor()), poller(ioc.get_executor()) {
      const int fd = ::epoll_create1(EPOLL_CLOEXEC);
      if (fd < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
      poller.assign(fd);
    }
    Impl& server;
    asio::io_context ioc{1};
    Timer sweep_timer;
    // An epoll set with this thread's TCP and WebSocket connections (edge-triggered, in and
    // out, registered once): Asio waits on it, once for all of them (Poll), so that such a
    // connection costs Asio neither a descriptor state nor a pending operation.
    Descriptor poller;
    std::vector<std::shared_ptr<Conn>> conns;  // owns them; Conn::slot_ is the index
    std::vector<SysTime> deadlines;            // parallel to conns; max() = none
    // Guards the inboxes of this thread's connections (filled by other threads).
    std::mutex inbox_mutex;
  };

  // What every connection's protocol state machine is given (shared, never changed); the
  // publish filter is each connection's own (Conn::FilterPublish).
  static std::shared_ptr<const mqtt::ConnectionOptions> MakeConnectionOptions(
      const ServerOptions& options) {
    auto o = std::make_shared<mqtt::ConnectionOptions>();
    o->max_packet_size = options.max_packet_size;
    o->receive_maximum = options.receive_maximum;
    o->topic_alias_maximum = options.topic_alias_maximum;
    o->connect_timeout = std::chrono::duration_cast<Millis>(options.connect_timeout);
    o->manual_acks = true;  // QoS 1/2 acknowledged when the platform has kept the message
    return o;
  }

  static std::vector<std::unique_ptr<Worker>> MakeWorkers(Impl& server, int n) {
    std::vector<std::unique_ptr<Worker>> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<Worker>(server));
    return out;
  }
  void StopContexts() {
    for (auto& w : workers) w->ioc.stop();
  }

  // Accepts on the TCP listener, or the TLS one.
  void Accept(bool tls);
  void OnAccept(error_code ec, Socket socket, Worker& worker, bool tls);
  // MqttServer::AdoptWebSocket.
  void AdoptWebSocket(int native_socket, std::string early_bytes);
  Worker& NextWorker() { return *workers[next_worker.fetch_add(1) % workers.size()]; }
  // Loads the certificate and key and listens on options.tls_port.
  Result<std::uint16_t> ListenTls();
  void Tick();
  void Sweep(Worker& worker);
  // Waits for the worker's epoll set and hands each ready connection its events.
  void Poll(Worker& worker);
  void Register(Worker& worker, const std::shared_ptr<Conn>& conn);
  void Unregister(Worker& worker, Conn* conn);
  // Per-IP CONNECT failure window.
  // Counts a CONNECT attempt against the IP's failure budget before it is checked, so that
  // concurrent attempts cannot overshoot the limit; false when the budget is spent.
  bool ReserveConnectAttempt(const std::string& ip, SysTime now);
  // Gives the reservation back when the attempt succeeded.
  void ReleaseConnectAttempt(const std::string& ip);

  Broker& broker;
  Authenticator& auth;
  BrokerMetrics& metrics;
  const Clock& clock;
  ServerOptions options;
  std::shared_ptr<const mqtt::ConnectionOptions> connection_options;
  // Before the workers: it outlives the TLS connections.
  std::unique_ptr<asio::ssl::context> tls_context;
  // One single-threaded io_context per thread: a connection lives on one of them, so its
  // handlers never run concurrently (no strand needed) and it costs no strand state.
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<asio::executor_work_guard<Executor>> guards;
  std::atomic<std::size_t> next_worker{0};  // also advanced by the HTTP threads (WebSocket)
  Acceptor acceptor;
  Acceptor tls_acceptor;  // open when options.tls_port != 0
  std::uint16_t bound_tls_port = 0;
  Timer tick_timer;
  std::vector<std::thread> threads;
  std::atomic<bool> listening{false};
  std::atomic<bool> draining{false};
  std::atomic<std::uint64_t> next_client_number{1};

  // Open connections (each counted from accept to FinishClose); Shutdown waits for zero.
  std::atomic<std::size_t> connection_count{0};
  std::mutex done_mutex;
  std::condition_variable done_cv;

  struct FailureWindow {
    std::uint32_t count = 0;
    SysTime start;
  };
  std::mutex failures_mutex;
  std::unordered_map<std::string, FailureWindow> failures;
};

// What an idle connection holds is kept small (bench/broker_bench.sh measures it against
// mosquitto): no read buffer (reads go through a per-thread buffer when the socket is
// readable), no Asio socket for TCP and WebSocket (a descriptor in the thread's epoll set,
// read and written with plain system calls), no timer (the thread's sweep checks
// worker_.deadlines[slot_]), no mutex (its inbox is guarded by the thread's inbox_mutex), no
// outbox while quiet, the identity shared with the broker's session (src/broker/README.md,
// "Memory per connection").
class MqttServer::Impl::Conn : public std::enable_shared_from_this<Conn>,
                               public Outlet,
                               public mqtt::PublishFilter {
 public:
  Conn(Impl& server, Worker& worker, Socket&& socket, Transport transport,
       std::string early_bytes = {})
      : worker_(worker),
        conn_(server.connection_options, server.clock.Now(), this),
        identity_(std::make_shared<ClientIdentity>()) {
    error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) identity_->remote_ip = ep.address().to_string();
    socket.set_option(tcp::no_delay(true), ec);
    if (transport == Transport::kTls) {
      socket.non_blocking(true, ec);
      tls_ = std::make_unique<Tls>(std::move(socket), *server.tls_context);
      return;
    }
    // TCP and WebSocket: the descriptor leaves Asio (Start puts it in the thread's epoll set).
    const int fd = socket.release(ec);
    fd_ = ec ? -1 : fd;
    if (transport == Transport::kWebSocket) {
      ws_ = std::make_unique<Ws>();
      ws_->early = std::move(early_bytes);
    }
  }

  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() override {
    if (fd_ >= 0) ::close(fd_);
  }

  bool IsWebSocket() const { return ws_ != nullptr; }

  // On the connection's thread, once registered. A TLS connection first completes the
  // handshake (within the connect timeout, like the CONNECT); a WebSocket one first reads what
  // came with its handshake.
  void Start() {
    UpdateDeadline();
    if (!tls_) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
      ev.data.ptr = this;
      if (fd_ < 0 || ::epoll_ctl(worker_.poller.native_handle(), EPOLL_CTL_ADD, fd_, &ev) != 0) {
        log::Warn("mqtt: cannot watch the connection",
                  {{"error", error_code(errno, boost::system::system_category()).message()}});
        return Broken();
      }
    }
    if (ws_ && !ws_->early.empty()) {
      std::string early = std::move(ws_->early);
      return OnWsData(std::span<char>(early.data(), early.size()));
    }
    if (!tls_) return WaitRead();
    tls_->stream.async_handshake(
        asio::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
          if (self->closed_ || self->reading_stopped_) return;
          if (ec) {
            self->worker_.server.metrics.tls_handshake_failures.Inc();
            log::Debug("mqtt tls handshake failed",
                       {{"ip", self->identity_->remote_ip}, {"error", ec.message()}});
            return self->Lost();
          }
          self->ReadMore();
        });
  }

  // The thread's sweep: the deadline in worker_.deadlines[slot_] passed.
  void OnDeadline() {
    if (closed_) return;
    if (closing_) return FinishClose();  // the close grace is over
    Handle(conn_.OnTick(Now()));
    UpdateDeadline();
  }

  // Poll: the epoll set reported `events` (edge-triggered) for this TCP or WebSocket
  // connection. A connection is destroyed only from a posted handler (Unregister), so it is
  // alive for the whole batch of events it appears in; after FinishClose it ignores them.
  void OnReady(std::uint32_t events) {
    if (closed_) return;
    // The peer's FIN or an error reported with data: a read that returns the data does not
    // see the end, and no further edge will come for it.
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) peer_ended_ = true;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
      if (read_wanted_) {
        read_wanted_ = false;
        OnReadable();
      } else {
        read_ready_ = true;  // taken by the next WaitRead
      }
    }
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0 && write_blocked_ && !closed_) {
      write_blocked_ = false;
      ContinueWrite();
    }
  }

  // Outlet: any thread, broker lock held.
  void Deliver(Delivery delivery) override {
    {
      std::lock_guard lock(worker_.inbox_mutex);
      inbox_.push_back(std::move(delivery));
      if (drain_posted_) return;  // the drain already on its way takes this one too
      drain_posted_ = true;
    }
    std::shared_ptr<Conn> self = weak_from_this().lock();
    if (!self) return;
    asio::post(worker_.ioc, [self = std::move(self)] { self->DrainInbox(); });
  }

  void Evict(mqtt::ReasonCode reason) override {
    std::shared_ptr<Conn> self = weak_from_this().lock();
    if (!self) return;
    asio::post(worker_.ioc,
               [self = std::move(self), reason] { self->Handle(self->conn_.Close(reason)); });
  }

  // Called from Broker::Disconnect, which this connection calls on its own thread.
  std::vector<Delivery> TakeUnsent() override {
    std::vector<Delivery> out;
    if (box_) {
      Outbox& box = *box_;
      // Unfinished flows keep their packet id (and whether the PUBREC came) for the re-send
      // when the session resumes.
      for (auto& [id, d] : box.inflight) {
        d.packet_id = id;
        d.released = d.qos == mqtt::QoS::kExactlyOnce && conn_.OutboundReleased(id);
        out.push_back(std::move(d));
      }
      box.inflight = {};
      for (std::size_t i = box.pending_head; i < box.pending.size(); ++i) {
        out.push_back(std::move(box.pending[i]));
      }
      box.pending = {};
      box.pending_head = 0;
      box.pending_bytes = 0;
      box.pending_acked = 0;
    }
    std::lock_guard lock(worker_.inbox_mutex);
    for (Delivery& d : inbox_) out.push_back(std::move(d));
    inbox_ = {};
    return out;
  }

  // Shutdown: close on the connection's thread.
  void CloseForShutdown() {
    asio::post(worker_.ioc, [self = shared_from_this()] {
      if (self->ws_) self->ws_->close_code = mqtt::kWsCloseGoingAway;
      if (self->conn_.state() == mqtt::Connection::State::kClosed) {
        self->FinishClose();
        return;
      }
      self->Handle(self->conn_.Close(mqtt::ReasonCode::kServerShuttingDown));
    });
  }

 private:
  SysTime Now() const { return worker_.server.clock.Now(); }

  // mqtt::PublishFilter: every inbound PUBLISH, before it becomes a Published action.
  mqtt::ReasonCode FilterPublish(const mqtt::Publish& publish) override {
    if (!worker_.server.auth.MayPublish(*identity_, publish.topic)) {
      worker_.server.metrics.publish_denied.Inc();
      return mqtt::ReasonCode::kNotAuthorized;
    }
    if (const std::uint32_t rate = worker_.server.options.publish_rate_per_s; rate != 0) {
      const SysTime now = Now();
      const double elapsed = std::chrono::duration<double>(now - rate_updated_).count();
      rate_tokens_ = std::min<double>(rate, rate_tokens_ + std::max(0.0, elapsed) * rate);
      rate_updated_ = now;
      if (rate_tokens_ < 1.0) {
        worker_.server.metrics.dropped_rate.Inc();
        return mqtt::ReasonCode::kQuotaExceeded;
      }
      rate_tokens_ -= 1.0;
    }
    return mqtt::ReasonCode::kSuccess;
  }

  // ---- reading ------------------------------------------------------------------------

  void ReadMore() {
    if (!tls_) return WaitRead();
    tls_->stream.async_read_some(asio::buffer(tls_->buffer),
                                 [self = shared_from_this()](error_code ec, std::size_t n) {
                                   if (self->closed_ || self->reading_stopped_) return;
                                   if (ec) return self->Lost();
                                   self->OnData(std::string_view(self->tls_->buffer.data(), n));
                                 });
  }

  // TCP and WebSocket: wait until the socket is readable (OnReady), then read what is there
  // into the thread's buffer. The epoll set is edge-triggered: an edge that came while no read
  // was wanted (or a read that filled the buffer, or an edge that said the peer closed) means
  // read again now.
  void WaitRead() {
    if (!read_ready_) {
      read_wanted_ = true;
      return;
    }
    read_ready_ = false;
    asio::post(worker_.ioc, [self = shared_from_this()] { self->OnReadable(); });
  }

  void OnReadable() {
    if (closed_ || reading_stopped_) return;
    thread_local std::array<char, kReadBufferSize> buffer;
    ssize_t got = 0;
    do {
      got = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    } while (got < 0 && errno == EINTR);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return WaitRead();
    if (got <= 0) return Broken();  // an error, or the peer closed
    const auto n = static_cast<std::size_t>(got);
    // More may be waiting (or the end), with no new edge to say so.
    read_ready_ = n == buffer.size() || peer_ended_;
    if (ws_) return OnWsData(std::span<char>(buffer.data(), n));
    OnData(std::string_view(buffer.data(), n));
  }

  // WebSocket: the frames' payload is the MQTT byte stream (frames and packets need not line
  // up, MQTT 5.0 §6); unmasked in place in the read buffer and handed on piece by piece.
  void OnWsData(std::span<char> bytes) {
    worker_.server.metrics.bytes_in.Inc(bytes.size());
    while (!closed_ && !reading_stopped_) {
      const mqtt::WsEvent event = ws_->reader.Next(bytes);
      using Kind = mqtt::WsEvent::Kind;
      if (event.kind == Kind::kNeedMore) break;
      switch (event.kind) {
        case Kind::kData: Handle(conn_.OnBytes(event.data, Now())); break;
        case Kind::kPing:
          if (ws_->control.size() < kWsMaxControlBytes) {
            mqtt::AppendWsPong(event.data, ws_->control);
            StartWrite();
          }
          break;
        case Kind::kClose: WsPeerClosed(event.code); break;
        case Kind::kError: WsFailed(event.code, event.data); break;
        default: break;
      }
    }
    if (closed_ || reading_stopped_) return;
    if (conn_.PendingAcks() >= kMaxPendingAcks) {
      read_paused_ = true;  // back-pressure, as in OnData
      return;
    }
    ReadMore();
  }

  // The peer sent a close frame: answered with the same code; for MQTT it is the network
  // connection going away (the will is due unless a DISCONNECT came first).
  void WsPeerClosed(std::uint16_t code) {
    ws_->close_code = code == mqtt::kWsCloseNoStatus ? mqtt::kWsCloseNormal : code;
    reading_stopped_ = true;
    peer_gone_ = true;  // no more MQTT bytes; the close frame still goes out
    if (conn_.state() != mqtt::Connection::State::kClosed) {
      Handle(conn_.Close(mqtt::ReasonCode::kUnspecifiedError));
    } else {
      CloseAfterFlush();
      StartWrite();
    }
  }

  // The peer broke the WebSocket framing (a text frame, an unmasked frame, ...): a protocol
  // error, closed with the reader's close code after a DISCONNECT (5.0).
  void WsFailed(std::uint16_t code, std::string_view why) {
    worker_.server.metrics.protocol_errors.Inc();
    log::Debug(
        "mqtt websocket framing error",
        {{"client_id", ClientId()}, {"ip", identity_->remote_ip}, {"message", std::string(why)}});
    ws_->close_code = code;
    reading_stopped_ = true;
    if (conn_.state() != mqtt::Connection::State::kClosed) {
      Handle(conn_.Close(mqtt::ReasonCode::kProtocolError));
    } else {
      CloseAfterFlush();
      StartWrite();
    }
  }

  // A read or write failed: nothing more can be sent, not even a close frame.
  void Broken() {
    if (ws_) ws_->failed = true;
    Lost();
  }

  void OnData(std::string_view bytes) {
    worker_.server.metrics.bytes_in.Inc(bytes.size());
    Handle(conn_.OnBytes(bytes, Now()));
    if (closed_ || reading_stopped_) return;
    if (conn_.PendingAcks() >= kMaxPendingAcks) {
      read_paused_ = true;  // back-pressure: the platform is behind; CompleteAck resumes
      return;
    }
    ReadMore();
  }

  // The peer went away (or the socket failed): the will is due.
  void Lost() {
    reading_stopped_ = true;
    peer_gone_ = true;
    if (conn_.state() != mqtt::Connection::State::kClosed) {
      Handle(conn_.Close(mqtt::ReasonCode::kUnspecifiedError));
    } else {
      FinishClose();
    }
  }

  // ---- actions ------------------------------------------------------------------------

  void Handle(mqtt::Actions actions) {
    for (mqtt::Action& action : actions) {
      std::visit(Overloaded{
                     [&](mqtt::SendBytes& a) { QueueWrite(a.bytes); },
                     [&](mqtt::CloseConnection&) { CloseAfterFlush(); },
                     [&](mqtt::ConnectReceived& a) { OnConnect(std::move(a.connect)); },
                     [&](mqtt::Published& a) { OnPublished(std::move(a.publish), a.ack_deferred); },
                     [&](mqtt::SubscribeReceived& a) { OnSubscribe(a.subscribe); },
                     [&](mqtt::UnsubscribeReceived& a) { OnUnsubscribe(a.unsubscribe); },
                     [&](mqtt::PublishAcknowledged& a) {
                       EraseInflight(a.packet_id);
                       Pump();
                     },
                     [&](mqtt::ProtocolViolation& a) {
                       worker_.server.metrics.protocol_errors.Inc();
                       log::Debug("mqtt protocol violation",
                                  {{"client_id", ClientId()},
                                   {"ip", identity_->remote_ip},
                                   {"reason", mqtt::ReasonName(a.reason)},
                                   {"message", a.message}});
                     },
                     [&](mqtt::Disconnected& a) { Detach(a.publish_will); },
                 },
                 action);
    }
    StartWrite();
  }

  void OnConnect(mqtt::Connect connect) {
    const SysTime now = Now();
    const std::string& ip = identity_->remote_ip;
    if (!worker_.server.ReserveConnectAttempt(ip, now)) {
      worker_.server.metrics.connect_rate_limited.Inc();
      Handle(conn_.Reject(mqtt::ReasonCode::kConnectionRateExceeded));
      return;
    }
    identity_->client_id = connect.client_id;
    const mqtt::ReasonCode verdict = worker_.server.auth.Authenticate(connect, *identity_);
    if (verdict != mqtt::ReasonCode::kSuccess) {
      worker_.server.metrics.auth_failures.Inc();  // the reserved attempt stays counted
      Handle(conn_.Reject(verdict));
      return;
    }
    worker_.server.ReleaseConnectAttempt(ip);
    if (connect.will && !worker_.server.auth.MayPublish(*identity_, connect.will->topic)) {
      worker_.server.metrics.publish_denied.Inc();
      Handle(conn_.Reject(mqtt::ReasonCode::kNotAuthorized));
      return;
    }
    std::string assigned;
    if (identity_->client_id.empty()) {
      assigned = "sw-auto-" + std::to_string(worker_.server.next_client_number.fetch_add(1));
      identity_->client_id = assigned;
    }
    version_ = connect.protocol_version;
    ConnectRequest request;
    request.identity = identity_;  // from here on the identity is not changed
    request.version = version_;
    request.clean_start = connect.clean_start;
    if (version_ == mqtt::ProtocolVersion::kV5) {
      request.session_expiry_s = connect.properties.session_expiry_interval.value_or(0);
    } else {
      request.session_expiry_s = connect.clean_start ? 0 : kNeverExpires;
    }
    request.will = std::move(connect.will);
    ConnectResult result = worker_.server.broker.Connect(request, this, now);
    generation_ = result.generation;
    attached_ = true;
    Handle(conn_.Accept(result.session_present, assigned));
    worker_.server.auth.Connected(*identity_);
    UpdateDeadline();  // from the connect timeout to the keep-alive deadline (often sooner)
    for (Delivery& d : result.queued) AddPending(std::move(d));
    Pump();
  }

  void OnPublished(mqtt::Publish publish, bool ack_deferred) {
    if (!attached_) return;  // closed while earlier actions of the same read were handled
    worker_.server.metrics.messages_in[static_cast<int>(publish.qos)]->Inc();
    const SysTime now = Now();
    AckToken ack;
    if (ack_deferred) {
      ack = std::make_shared<AckLatch>([weak = weak_from_this(), id = publish.packet_id,
                                        owner = std::this_thread::get_id()](bool ok) {
        std::shared_ptr<Conn> self = weak.lock();
        if (!self) return;
        if (std::this_thread::get_id() == owner && self->in_publish_) {
          self->sync_ack_ = ok ? 1 : 0;  // nobody kept it: answered below
          return;
        }
        asio::post(self->worker_.ioc, [self, id, ok] { self->CompleteAck(id, ok); });
      });
    }
    const std::uint16_t id = publish.packet_id;
    in_publish_ = true;
    sync_ack_ = -1;
    worker_.server.broker.Publish(MakeMessage(std::move(publish), ClientId(), now), now, ack);
    ack.reset();
    in_publish_ = false;
    if (sync_ack_ >= 0) CompleteAck(id, sync_ack_ == 1);
  }

  // The platform kept (or failed to keep) inbound message `id`: acknowledge it, and read
  // again if reading was paused for too many unacknowledged messages.
  void CompleteAck(std::uint16_t id, bool ok) {
    if (closed_) return;
    Handle(conn_.Acknowledge(id, ok));
    if (read_paused_ && conn_.PendingAcks() < kMaxPendingAcks / 2 && !closed_ &&
        !reading_stopped_) {
      read_paused_ = false;
      ReadMore();
    }
  }

  void OnSubscribe(const mqtt::Subscribe& subscribe) {
    SubscribeResult result =
        worker_.server.broker.Subscribe(ClientId(), generation_, subscribe, Now());
    mqtt::Suback suback;
    suback.packet_id = subscribe.packet_id;
    bool denied = false;
    for (std::uint8_t code : result.reason_codes) {
      denied = denied || code >= 0x80;
      suback.reason_codes.push_back(
          version_ == mqtt::ProtocolVersion::kV5 || code < 0x80 ? code : std::uint8_t{0x80});
    }
    if (denied && version_ == mqtt::ProtocolVersion::kV5) {
      suback.properties.reason_string = "not authorized for this topic filter";
    }
    mqtt::Actions out;
    (void)conn_.Send(suback, out);
    Handle(std::move(out));
    for (Delivery& d : result.retained) AddPending(std::move(d));
    Pump();
  }

  void OnUnsubscribe(const mqtt::Unsubscribe& unsubscribe) {
    std::vector<std::uint8_t> codes =
        worker_.server.broker.Unsubscribe(ClientId(), generation_, unsubscribe);
    mqtt::Unsuback unsuback;
    unsuback.packet_id = unsubscribe.packet_id;
    if (version_ == mqtt::ProtocolVersion::kV5) unsuback.reason_codes = std::move(codes);
    mqtt::Actions out;
    (void)conn_.Send(unsuback, out);
    Handle(std::move(out));
  }

  void Detach(bool publish_will) {
    if (!attached_) return;
    attached_ = false;
    worker_.server.broker.Disconnect(ClientId(), generation_, *this,
                                     publish_will && !worker_.server.draining.load(), Now());
    worker_.server.auth.Disconnected(*identity_);
  }

  // ---- delivering ---------------------------------------------------------------------

  // Everything about sending, allocated while something is queued, being written or in
  // flight, and released when the connection is quiet again (StartWrite): an idle
  // connection holds no buffer and no container.
  struct Outbox {
    std::string out;                // queued bytes, written after the current write
    std::string sending;            // the bytes of the write in flight
    std::size_t written = 0;        // TCP and WebSocket: how much of it (head first) went out
    std::vector<Delivery> pending;  // waiting to be encoded, from pending_head on
    std::size_t pending_head = 0;
    std::size_t pending_bytes = 0;                             // ApproximateSize of those
    std::size_t pending_acked = 0;                             // how many of those are QoS 1/2
    std::vector<std::pair<std::uint16_t, Delivery>> inflight;  // sorted by packet id
    std::size_t drops_since_write = 0;
    std::chrono::steady_clock::time_point write_started{};

    bool Quiet() const {
      return out.empty() && sending.empty() && pending_head == pending.size() && inflight.empty();
    }
  };

  Outbox& Box() {
    if (!box_) box_ = std::make_unique<Outbox>();
    return *box_;
  }

  void DrainInbox() {
    std::vector<Delivery> batch;
    {
      std::lock_guard lock(worker_.inbox_mutex);
      batch.swap(inbox_);
      drain_posted_ = false;
    }
    if (!attached_) return;  // detached meanwhile: TakeUnsent handed them back
    Outbox& box = Box();
    for (Delivery& d : batch) {
      if (d.qos == mqtt::QoS::kAtMostOnce &&
          box.out.size() + box.pending_bytes >= worker_.server.options.max_queued_bytes) {
        worker_.server.metrics.dropped_slow.Inc();
        ++box.drops_since_write;
      } else if (d.qos != mqtt::QoS::kAtMostOnce &&
                 box.pending_acked >= worker_.server.options.max_queued_messages) {
        worker_.server.metrics.dropped_queue.Inc();
        ++box.drops_since_write;
      } else {
        AddPending(std::move(d));
      }
      if (box.drops_since_write > worker_.server.options.max_queued_messages && writing_ &&
          std::chrono::steady_clock::now() - box.write_started > kStalledWrite) {
        // More than a queue's worth dropped while one write has not finished for seconds:
        // the consumer stopped reading.
        worker_.server.metrics.slow_disconnects.Inc();
        Handle(conn_.Close(mqtt::ReasonCode::kQuotaExceeded));
        return;
      }
    }
    Pump();
    StartWrite();
  }

  void AddPending(Delivery d) {
    Outbox& box = Box();
    box.pending_bytes += ApproximateSize(d);
    if (d.qos != mqtt::QoS::kAtMostOnce) ++box.pending_acked;
    box.pending.push_back(std::move(d));
  }

  // Encodes pending deliveries into the outbox while the window allows, about kEncodeAhead
  // bytes ahead of the socket: a backlog waits as deliveries (pointers to shared messages),
  // not as one ever-growing buffer of copies.
  void Pump() {
    if (!box_ || closed_ || peer_gone_ || !attached_ ||
        conn_.state() != mqtt::Connection::State::kConnected) {
      return;
    }
    Outbox& box = *box_;
    const SysTime now = Now();
    while (box.pending_head < box.pending.size() && box.out.size() < kEncodeAhead) {
      Delivery& d = box.pending[box.pending_head];
      if (d.qos != mqtt::QoS::kAtMostOnce &&
          conn_.OutboundInflight() >= worker_.server.options.max_inflight) {
        break;
      }
      if (d.released) {  // the client has it: only the PUBREL is outstanding
        const Status s = conn_.ResendPubrel(d.packet_id, box.out);
        if (!s.ok() && s.error().code == Errc::kRateLimited) break;
        Delivery sent = TakePending(box);
        const std::uint16_t id = sent.packet_id;
        if (s.ok()) AddInflight(box, id, std::move(sent));
        continue;  // kConflict (a taken-over session's id already reused): the flow is gone
      }
      const std::optional<mqtt::PublishView> view = ViewOf(d, version_, now);
      if (!view) {
        worker_.server.metrics.dropped_expired.Inc();
        (void)TakePending(box);
        continue;
      }
      Result<std::uint16_t> id = d.packet_id != 0 ? conn_.Republish(*view, d.packet_id, box.out)
                                                  : conn_.Publish(*view, box.out);
      if (!id.ok() && id.error().code == Errc::kConflict) {
        d.packet_id = 0;  // its id went to a newer flow (takeover race): send it afresh
        id = conn_.Publish(*view, box.out);
      }
      if (!id.ok()) {
        if (id.error().code == Errc::kRateLimited) break;  // the client's receive maximum
        worker_.server.metrics.dropped_too_large.Inc();    // above the client's packet size
        (void)TakePending(box);
        continue;
      }
      worker_.server.metrics.messages_out[static_cast<int>(d.qos)]->Inc();
      Delivery sent = TakePending(box);
      if (sent.qos != mqtt::QoS::kAtMostOnce) AddInflight(box, *id, std::move(sent));
    }
    if (box.pending_head == box.pending.size()) {
      if (box.pending.capacity() > 16) {
        std::vector<Delivery>().swap(box.pending);  // a burst is over: give the memory back
      } else {
        box.pending.clear();
      }
      box.pending_head = 0;
    } else if (box.pending_head > 1024 && box.pending_head * 2 > box.pending.size()) {
      box.pending.erase(box.pending.begin(),
                        box.pending.begin() + static_cast<long>(box.pending_head));
      box.pending_head = 0;
    }
  }

  static Delivery TakePending(Outbox& box) {
    Delivery& d = box.pending[box.pending_head++];
    box.pending_bytes -= ApproximateSize(d);
    if (d.qos != mqtt::QoS::kAtMostOnce) --box.pending_acked;
    return std::move(d);
  }

  // ---- outbound QoS 1/2 in flight, by packet id ---------------------------------------

  static void AddInflight(Outbox& box, std::uint16_t id, Delivery d) {
    auto it = std::lower_bound(box.inflight.begin(), box.inflight.end(), id,
                               [](const auto& e, std::uint16_t k) { return e.first < k; });
    box.inflight.emplace(it, id, std::move(d));
  }
  void EraseInflight(std::uint16_t id) {
    if (!box_) return;
    auto& inflight = box_->inflight;
    auto it = std::lower_bound(inflight.begin(), inflight.end(), id,
                               [](const auto& e, std::uint16_t k) { return e.first < k; });
    if (it != inflight.end() && it->first == id) inflight.erase(it);
    if (inflight.empty()) std::vector<std::pair<std::uint16_t, Delivery>>().swap(inflight);
  }

  // ---- writing ------------------------------------------------------------------------

  void QueueWrite(const std::string& bytes) {
    if (closed_ || peer_gone_ || (ws_ && ws_->close_sent)) return;
    Box().out.append(bytes);
  }

  void StartWrite() {
    if (writing_ || closed_) return;
    if ((!box_ || box_->out.empty()) && !WsControlDue()) {
      if (closing_) return FinishClose();
      if (box_ && box_->Quiet()) box_.reset();
      return;
    }
    Outbox& box = Box();
    writing_ = true;
    box.write_started = std::chrono::steady_clock::now();
    box.sending.swap(box.out);
    if (tls_) {
      asio::async_write(
          tls_->stream, asio::buffer(box.sending),
          [self = shared_from_this()](error_code ec, std::size_t n) { self->OnWrite(ec, n); });
      return;
    }
    if (ws_) {
      // Control frames first (never inside a data frame), then everything queued as one
      // binary frame.
      ws_->head.clear();
      ws_->head.swap(ws_->control);
      if (!box.sending.empty()) {
        mqtt::AppendWsFrameHeader(mqtt::WsOpcode::kBinary, box.sending.size(), ws_->head);
      }
    }
    box.written = 0;
    ContinueWrite();
  }

  // TCP and WebSocket: writes the rest of the write in flight (the WebSocket head, then
  // box.sending) as far as the socket takes it; when the socket is full, OnReady continues
  // once it is writable again. OnWrite runs as a posted handler, as an Asio completion would.
  void ContinueWrite() {
    Outbox& box = *box_;  // kept while writing_
    std::string empty;
    std::string& head = ws_ ? ws_->head : empty;
    const std::size_t total = head.size() + box.sending.size();
    while (box.written < total) {
      std::array<iovec, 2> iov{};
      std::size_t count = 0;
      if (box.written < head.size()) {
        iov[count++] = {head.data() + box.written, head.size() - box.written};
      }
      const std::size_t from = std::max(box.written, head.size()) - head.size();
      if (from < box.sending.size()) {
        iov[count++] = {box.sending.data() + from, box.sending.size() - from};
      }
      msghdr msg{};
      msg.msg_iov = iov.data();
      msg.msg_iovlen = count;
      const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) {
        box.written += static_cast<std::size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        write_blocked_ = true;
        return;
      }
      const error_code ec(errno, boost::system::system_category());
      asio::post(worker_.ioc, [self = shared_from_this(), ec] { self->OnWrite(ec, 0); });
      return;
    }
    asio::post(worker_.ioc, [self = shared_from_this(), total] { self->OnWrite({}, total); });
  }

  void OnWrite(error_code ec, std::size_t n) {
    Outbox& box = *box_;  // kept while writing_
    writing_ = false;
    box.drops_since_write = 0;
    worker_.server.metrics.bytes_out.Inc(n);
    box.sending.clear();
    if (closed_) return;
    if (ec) {
      peer_gone_ = true;
      box.out.clear();
      return Broken();
    }
    Pump();
    if (box.out.empty()) {
      // Nothing more to send now: keep no buffer capacity (StartWrite drops the whole
      // outbox when nothing waits either).
      std::string().swap(box.sending);
      std::string().swap(box.out);
    }
    StartWrite();
  }

  // ---- closing ------------------------------------------------------------------------

  void CloseAfterFlush() {
    if (closing_ || closed_) return;
    closing_ = true;
    reading_stopped_ = true;
    Detach(false);  // no-op when the Disconnected action already detached
    if (!writing_ && (!box_ || box_->out.empty()) && !WsCloseDue()) return FinishClose();
    worker_.deadlines[slot_] = Now() + kCloseGrace;  // then the sweep closes it regardless
  }

  void FinishClose() {
    if (closed_) return;
    closed_ = true;
    if (tls_) {
      error_code ec;
      tls_->socket.shutdown(tcp::socket::shutdown_both, ec);
      tls_->socket.close(ec);
    } else if (fd_ >= 0) {
      ::epoll_ctl(worker_.poller.native_handle(), EPOLL_CTL_DEL, fd_, nullptr);
      ::shutdown(fd_, SHUT_RDWR);
      ::close(fd_);
      fd_ = -1;
    }
    worker_.server.Unregister(worker_, this);
  }

  // ---- deadlines ----------------------------------------------------------------------

  // The connect timeout or keep-alive deadline for the thread's sweep; none after close.
  void UpdateDeadline() {
    if (closed_ || closing_) return;
    worker_.deadlines[slot_] = conn_.NextDeadline().value_or(SysTime::max());
  }

  const std::string& ClientId() const { return identity_->client_id; }

  // ---- WebSocket ----------------------------------------------------------------------

  // A close frame is still to be sent before the socket is closed.
  bool WsCloseDue() const { return ws_ && !ws_->failed && !ws_->close_sent; }

  // Whether control frames wait to be written; once closing and nothing else is queued, the
  // close frame is queued here, as the last frame.
  bool WsControlDue() {
    if (!ws_ || ws_->failed) return false;
    if (closing_ && WsCloseDue()) {
      mqtt::AppendWsClose(ws_->close_code, {}, ws_->control);
      ws_->close_sent = true;
    }
    return !ws_->control.empty();
  }

  // A TLS connection's socket, its stream and its read buffer (~40 KiB with OpenSSL's and
  // Asio's record buffers); null for TCP and WebSocket.
  struct Tls {
    Tls(Socket&& s, asio::ssl::context& context) : socket(std::move(s)), stream(socket, context) {}
    Socket socket;
    TlsStream stream;
    std::array<char, kTlsReadBufferSize> buffer{};
  };

  // A WebSocket connection's framing state (null for TCP and TLS).
  struct Ws {
    mqtt::WsFrameReader reader;
    std::string early;    // read with the handshake; handled at Start
    std::string control;  // control frames waiting for the next write
    std::string head;     // the write in flight: its control frames and data frame header
    std::uint16_t close_code = mqtt::kWsCloseNormal;  // for the close frame we send
    bool close_sent = false;
    bool failed = false;  // the socket failed: nothing more to send
  };

  Worker& worker_;  // and worker_.server
  std::unique_ptr<Tls> tls_;
  std::unique_ptr<Ws> ws_;
  mqtt::Connection conn_;
  // Created at accept (remote_ip), completed at CONNECT, then shared with the broker's
  // session and never changed.
  std::shared_ptr<ClientIdentity> identity_;
  std::uint64_t generation_ = 0;
  SysTime rate_updated_{};
  double rate_tokens_ = 0;
  std::unique_ptr<Outbox> box_;  // null while there is nothing to send
  std::vector<Delivery> inbox_;  // guarded by worker_.inbox_mutex

  // The small fields packed together: this object is most of an idle connection's memory
  // (src/broker/README.md, "Memory per connection").
  int fd_ = -1;  // TCP and WebSocket (owned; -1 once closed); TLS: tls_->socket

 public:
  std::uint32_t slot_ = 0;  // index in worker_.conns / worker_.deadlines

 private:
  mqtt::ProtocolVersion version_ = mqtt::ProtocolVersion::kV5;
  std::int8_t sync_ack_ = -1;  // the latch answered inside Broker::Publish: 1 ok, 0 failed
  bool drain_posted_ = false;  // guarded by worker_.inbox_mutex: not in the bit-fields below
  // Touched only on the connection's thread.
  bool attached_ : 1 = false;
  bool writing_ : 1 = false;
  bool closing_ : 1 = false;
  bool closed_ : 1 = false;
  bool reading_stopped_ : 1 = false;
  bool read_paused_ : 1 = false;  // too many publishes waiting for their acknowledgement
  bool in_publish_ : 1 = false;   // inside OnPublished's call to Broker::Publish
  bool peer_gone_ : 1 = false;
  bool read_wanted_ : 1 = false;    // WaitRead: the next readable edge reads (TCP, WebSocket)
  bool read_ready_ : 1 = false;     // an edge came (or the buffer filled) while no read waited
  bool write_blocked_ : 1 = false;  // the socket was full: the next writable edge continues
  bool peer_ended_ : 1 = false;     // an edge said the peer closed or the socket failed
};

void MqttServer::Impl::Accept(bool tls) {
  Worker& target = NextWorker();
  (tls ? tls_acceptor : acceptor)
      .async_accept(target.ioc.get_executor(), [this, &target, tls](error_code ec, Socket socket) {
        OnAccept(ec, std::move(socket), target, tls);
      });
}

void MqttServer::Impl::OnAccept(error_code ec, Socket socket, Worker& worker, bool tls) {
  if (draining || !(tls ? tls_acceptor : acceptor).is_open()) return;
  if (!ec) {
    metrics.connections_accepted.Inc();
    if (connection_count.load() >= options.max_connections) {
      metrics.connections_refused.Inc();
      error_code ignored;
      socket.close(ignored);
    } else {
      metrics.connections.Set(static_cast<std::int64_t>(++connection_count));
      auto conn = std::make_shared<Conn>(*this, worker, std::move(socket),
                                         tls ? Transport::kTls : Transport::kTcp);
      asio::post(worker.ioc, [this, &worker, conn = std::move(conn)] { Register(worker, conn); });
    }
  } else if (ec == asio::error::no_descriptors) {
    log::Warn("mqtt accept: out of file descriptors");
  }
  Accept(tls);
}

void MqttServer::Impl::AdoptWebSocket(int native_socket, std::string early_bytes) {
  Worker& worker = NextWorker();
  Socket socket(worker.ioc.get_executor());
  sockaddr_storage local{};
  socklen_t local_size = sizeof local;
  error_code ec;
  if (::getsockname(native_socket, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) {
    ec = error_code(errno, boost::system::system_category());
  } else {
    socket.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), native_socket, ec);
  }
  if (ec) {
    log::Warn("mqtt websocket: cannot adopt the connection", {{"error", ec.message()}});
    ::close(native_socket);
    return;
  }
  metrics.websocket_accepted.Inc();
  if (draining || !listening || connection_count.load() >= options.max_connections) {
    metrics.connections_refused.Inc();
    socket.close(ec);
    return;
  }
  metrics.connections.Set(static_cast<std::int64_t>(++connection_count));
  metrics.websocket_connections.Add(1);
  auto conn = std::make_shared<Conn>(*this, worker, std::move(socket), Transport::kWebSocket,
                                     std::move(early_bytes));
  asio::post(worker.ioc, [this, &worker, conn = std::move(conn)] { Register(worker, conn); });
}

void MqttServer::Impl::Register(Worker& worker, const std::shared_ptr<Conn>& conn) {
  conn->slot_ = static_cast<std::uint32_t>(worker.conns.size());
  worker.deadlines.push_back(SysTime::max());
  worker.conns.push_back(conn);
  if (worker.conns.size() == 1) Sweep(worker);  // the first connection starts the sweep
  conn->Start();
  if (draining) conn->CloseForShutdown();  // accepted while Shutdown closed the others
}

void MqttServer::Impl::Unregister(Worker& worker, Conn* conn) {
  const std::uint32_t slot = conn->slot_;
  // Keep the connection alive until the current handler returns.
  std::shared_ptr<Conn> keep = std::move(worker.conns[slot]);
  if (slot + 1 != worker.conns.size()) {
    worker.conns[slot] = std::move(worker.conns.back());
    worker.deadlines[slot] = worker.deadlines.back();
    worker.conns[slot]->slot_ = slot;
  }
  worker.conns.pop_back();
  worker.deadlines.pop_back();
  if (worker.conns.empty()) {
    // A burst of connections is over: give the slots back.
    std::vector<std::shared_ptr<Conn>>().swap(worker.conns);
    std::vector<SysTime>().swap(worker.deadlines);
  }
  if (conn->IsWebSocket()) metrics.websocket_connections.Add(-1);
  const std::size_t left = --connection_count;
  metrics.connections.Set(static_cast<std::int64_t>(left));
  if (left == 0) {
    std::lock_guard lock(done_mutex);
    done_cv.notify_all();
  }
  asio::post(worker.ioc, [keep = std::move(keep)] {});
}

void MqttServer::Impl::Sweep(Worker& worker) {
  if (worker.conns.empty()) return;  // Register starts it again
  worker.sweep_timer.expires_after(kSweepInterval);
  worker.sweep_timer.async_wait([this, &worker](error_code ec) {
    if (ec) return;
    const SysTime now = clock.Now();
    std::vector<std::shared_ptr<Conn>> due;
    for (std::size_t i = 0; i < worker.deadlines.size(); ++i) {
      if (worker.deadlines[i] <= now) due.push_back(worker.conns[i]);
    }
    for (auto& conn : due) conn->OnDeadline();
    Sweep(worker);
  });
}

void MqttServer::Impl::Poll(Worker& worker) {
  worker.poller.async_wait(Descriptor::wait_read, [this, &worker](error_code ec) {
    if (ec) return;
    std::array<epoll_event, 128> events{};
    int n = 0;
    do {
      n = ::epoll_wait(worker.poller.native_handle(), events.data(),
                       static_cast<int>(events.size()), 0);
      for (int i = 0; i < n; ++i) {
        static_cast<Conn*>(events[static_cast<std::size_t>(i)].data.ptr)
            ->OnReady(events[static_cast<std::size_t>(i)].events);
      }
    } while (n == static_cast<int>(events.size()));
    Poll(worker);
  });
}

void MqttServer::Impl::Tick() {
  tick_timer.expires_after(std::chrono::seconds(1));
  tick_timer.async_wait([this](error_code ec) {
    if (ec || draining) return;
    broker.Tick(clock.Now());
    Tick();
  });
}

bool MqttServer::Impl::ReserveConnectAttempt(const std::string& ip, SysTime now) {
  std::lock_guard lock(failures_mutex);
  auto it = failures.find(ip);
  if (it == failures.end()) {
    if (failures.size() >= 100000) failures.clear();  // bounded; a flood resets the windows
    it = failures.emplace(ip, FailureWindow{}).first;
  }
  FailureWindow& w = it->second;
  if (w.count == 0 || now - w.start >= std::chrono::minutes(1)) {
    w.count = 0;
    w.start = now;
  }
  if (w.count >= options.connect_failures_per_minute) return false;
  ++w.count;
  return true;
}

void MqttServer::Impl::ReleaseConnectAttempt(const std::string& ip) {
  std::lock_guard lock(failures_mutex);
  auto it = failures.find(ip);
  if (it == failures.end()) return;
  if (it->second.count > 0) --it->second.count;
  if (it->second.count == 0) failures.erase(it);
}

MqttServer::MqttServer(Broker& broker, Authenticator& auth, BrokerMetrics& metrics,
                       const Clock& clock, ServerOptions options)
    : impl_(std::make_unique<Impl>(broker, auth, metrics, clock, std::move(options))) {}

MqttServer::~MqttServer() {
  if (!impl_->threads.empty()) {
    impl_->StopContexts();
    Wait();
  }
}

namespace {

Result<std::uint16_t> Bind(Acceptor& acceptor, const std::string& address_text,
                           std::uint16_t port) {
  error_code ec;
  const auto address = asio::ip::make_address(address_text, ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "bad MQTT address " + address_text);
  tcp::endpoint ep(address, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(Errc::kUnavailable, "cannot listen on " + address_text + ":" +
                                             std::to_string(port) + ": " + ec.message());
  }
  return acceptor.local_endpoint().port();
}

}  // namespace

Result<std::uint16_t> MqttServer::Impl::ListenTls() {
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return MakeError(Errc::kInvalidArgument,
                     "the MQTT TLS listener needs a certificate file and a key file "
                     "(mqtt.tls_cert_file, mqtt.tls_key_file)");
  }
  // TLS 1.2 or newer; the certificate chain and key are PEM files.
  tls_context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls_context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(tls_context->native_handle(), TLS1_2_VERSION);
  // Renegotiation is a client-triggered CPU cost and a source of bugs; nothing here needs it.
  SSL_CTX_set_options(tls_context->native_handle(), SSL_OP_NO_RENEGOTIATION);
  error_code ec;
  tls_context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) {
    return MakeError(Errc::kInvalidArgument, "cannot load the MQTT TLS certificate " +
                                                 options.tls_cert_file + ": " + ec.message());
  }
  tls_context->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return MakeError(Errc::kInvalidArgument,
                     "cannot load the MQTT TLS key " + options.tls_key_file + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(tls_context->native_handle()) != 1) {
    return MakeError(Errc::kInvalidArgument, "the MQTT TLS key " + options.tls_key_file +
                                                 " does not match the certificate");
  }
  return Bind(tls_acceptor, options.address, options.tls_port);
}

Result<std::uint16_t> MqttServer::Listen() {
  SW_ASSIGN_OR_RETURN(const std::uint16_t port,
                      Bind(impl_->acceptor, impl_->options.address, impl_->options.port));
  if (impl_->options.tls_port != 0) {
    SW_ASSIGN_OR_RETURN(impl_->bound_tls_port, impl_->ListenTls());
  }
  impl_->listening = true;
  return port;
}

void MqttServer::AdoptWebSocket(int native_socket, std::string early_bytes) {
  impl_->AdoptWebSocket(native_socket, std::move(early_bytes));
}

std::uint16_t MqttServer::TlsPort() const {
  return impl_->bound_tls_port;
}

void MqttServer::Start() {
  impl_->Accept(false);
  if (impl_->tls_acceptor.is_open()) impl_->Accept(true);
  asio::post(impl_->tick_timer.get_executor(), [this] { impl_->Tick(); });
  for (auto& worker : impl_->workers) {
    asio::post(worker->ioc, [this, w = worker.get()] { impl_->Poll(*w); });
  }
  for (std::size_t i = 0; i < impl_->workers.size(); ++i) {
    impl_->threads.emplace_back([ioc = &impl_->workers[i]->ioc, i] {
      SetThreadName("sw-mqtt-" + std::to_string(i));
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          log::Error("mqtt worker caught exception", {{"error", e.what()}});
        }
      }
    });
  }
}

void MqttServer::Shutdown(std::chrono::milliseconds grace) {
  impl_->draining = true;
  asio::post(impl_->acceptor.get_executor(), [this] {
    error_code ec;
    impl_->acceptor.close(ec);
    impl_->tls_acceptor.close(ec);
  });
  asio::post(impl_->tick_timer.get_executor(), [this] { impl_->tick_timer.cancel(); });
  for (auto& worker : impl_->workers) {
    asio::post(worker->ioc, [w = worker.get()] {
      const std::vector<std::shared_ptr<Impl::Conn>> live = w->conns;
      for (const auto& c : live) c->CloseForShutdown();
    });
  }
  std::unique_lock lock(impl_->done_mutex);
  impl_->done_cv.wait_for(lock, grace, [this] { return impl_->connection_count.load() == 0; });
  lock.unlock();
  impl_->guards.clear();
  impl_->StopContexts();
}

void MqttServer::Wait() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

bool MqttServer::Running() const {
  return impl_->listening && !impl_->draining;
}

}  // namespace sw::broker
