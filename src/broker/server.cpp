#include "broker/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"
#include "common/threads.hpp"
#include "protocol/connection.hpp"

namespace sw::broker {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::uint32_t kNeverExpires = 0xFFFFFFFF;
constexpr std::size_t kReadBufferSize = std::size_t{64} * 1024;
// Inbound QoS 1/2 publishes a connection may have waiting for the platform before the shell
// stops reading from it (3.1.1 clients have no receive maximum).
constexpr std::size_t kMaxPendingAcks = 256;
constexpr auto kCloseGrace = std::chrono::seconds(5);    // to flush a last packet on close
constexpr auto kStalledWrite = std::chrono::seconds(5);  // a write this old: slow consumer

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
        contexts(MakeContexts(std::max(1, options.threads))),
        acceptor(*contexts.front()),
        tick_timer(*contexts.front()) {
    for (auto& ioc : contexts) guards.emplace_back(ioc->get_executor());
  }

  static std::vector<std::unique_ptr<asio::io_context>> MakeContexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }
  void StopContexts() {
    for (auto& ioc : contexts) ioc->stop();
  }

  class Conn;

  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);
  void Tick();
  void Unregister(Conn* conn);
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
  // One single-threaded io_context per thread: a connection lives on one of them, so its
  // handlers never run concurrently (no strand needed) and it costs no strand state.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::size_t next_context = 0;
  tcp::acceptor acceptor;
  asio::steady_timer tick_timer;
  std::vector<std::thread> threads;
  std::atomic<bool> listening{false};
  std::atomic<bool> draining{false};
  std::atomic<std::uint64_t> next_client_number{1};

  std::mutex conns_mutex;
  std::unordered_map<Conn*, std::shared_ptr<Conn>> conns;
  std::condition_variable done_cv;

  struct FailureWindow {
    std::uint32_t count = 0;
    SysTime start;
  };
  std::mutex failures_mutex;
  std::unordered_map<std::string, FailureWindow> failures;
};

class MqttServer::Impl::Conn : public std::enable_shared_from_this<Conn>, public Outlet {
 public:
  Conn(Impl& server, tcp::socket&& socket)
      : server_(server),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        conn_(MakeOptions(), server.clock.Now()) {
    error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
    socket_.non_blocking(true, ec);
    socket_.set_option(tcp::no_delay(true), ec);
  }

  void Start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->ArmTimer();
      self->WaitRead();
    });
  }

  // Outlet: any thread, broker lock held.
  void Deliver(Delivery delivery) override {
    std::shared_ptr<Conn> self = weak_from_this().lock();
    if (!self) return;
    {
      std::lock_guard lock(inbox_mutex_);
      inbox_.push_back(std::move(delivery));
      if (drain_posted_) return;
      drain_posted_ = true;
    }
    asio::post(socket_.get_executor(), [self = std::move(self)] { self->DrainInbox(); });
  }

  void Evict(mqtt::ReasonCode reason) override {
    std::shared_ptr<Conn> self = weak_from_this().lock();
    if (!self) return;
    asio::post(socket_.get_executor(),
               [self = std::move(self), reason] { self->Handle(self->conn_.Close(reason)); });
  }

  // Called from Broker::Disconnect, which this connection calls on its own thread.
  std::vector<Delivery> TakeUnsent() override {
    std::vector<Delivery> out;
    for (auto& [id, d] : inflight_) out.push_back(std::move(d));
    inflight_.clear();
    for (std::size_t i = pending_head_; i < pending_.size(); ++i) {
      out.push_back(std::move(pending_[i]));
    }
    pending_.clear();
    pending_head_ = 0;
    std::lock_guard lock(inbox_mutex_);
    for (Delivery& d : inbox_) out.push_back(std::move(d));
    inbox_.clear();
    return out;
  }

  // Shutdown: close on the connection's thread.
  void CloseForShutdown() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->conn_.state() == mqtt::Connection::State::kClosed) {
        self->FinishClose();
        return;
      }
      self->Handle(self->conn_.Close(mqtt::ReasonCode::kServerShuttingDown));
    });
  }

 private:
  mqtt::ConnectionOptions MakeOptions() {
    mqtt::ConnectionOptions o;
    o.max_packet_size = server_.options.max_packet_size;
    o.receive_maximum = server_.options.receive_maximum;
    o.topic_alias_maximum = server_.options.topic_alias_maximum;
    o.connect_timeout = std::chrono::duration_cast<Millis>(server_.options.connect_timeout);
    o.publish_filter = [this](const mqtt::Publish& p) { return FilterPublish(p); };
    o.manual_acks = true;  // QoS 1/2 acknowledged when the platform has kept the message
    return o;
  }

  SysTime Now() const { return server_.clock.Now(); }

  mqtt::ReasonCode FilterPublish(const mqtt::Publish& publish) {
    if (!server_.auth.MayPublish(identity_, publish.topic)) {
      server_.metrics.publish_denied.Inc();
      return mqtt::ReasonCode::kNotAuthorized;
    }
    if (const std::uint32_t rate = server_.options.publish_rate_per_s; rate != 0) {
      const SysTime now = Now();
      const double elapsed = std::chrono::duration<double>(now - rate_updated_).count();
      rate_tokens_ = std::min<double>(rate, rate_tokens_ + std::max(0.0, elapsed) * rate);
      rate_updated_ = now;
      if (rate_tokens_ < 1.0) {
        server_.metrics.dropped_rate.Inc();
        return mqtt::ReasonCode::kQuotaExceeded;
      }
      rate_tokens_ -= 1.0;
    }
    return mqtt::ReasonCode::kSuccess;
  }

  // ---- reading ------------------------------------------------------------------------

  void WaitRead() {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](error_code ec) { self->OnReadable(ec); });
  }

  void OnReadable(error_code ec) {
    if (closed_ || reading_stopped_) return;
    if (ec) return Lost();
    thread_local std::array<char, kReadBufferSize> buffer;
    const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) return WaitRead();
    if (ec) return Lost();
    server_.metrics.bytes_in.Inc(n);
    Handle(conn_.OnBytes(std::string_view(buffer.data(), n), Now()));
    if (closed_ || reading_stopped_) return;
    if (conn_.PendingAcks() >= kMaxPendingAcks) {
      read_paused_ = true;  // back-pressure: the platform is behind; CompleteAck resumes
      return;
    }
    WaitRead();
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
                       inflight_.erase(a.packet_id);
                       Pump();
                     },
                     [&](mqtt::ProtocolViolation& a) {
                       server_.metrics.protocol_errors.Inc();
                       log::Debug("mqtt protocol violation",
                                  {{"client_id", client_id_},
                                   {"ip", remote_ip_},
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
    if (!server_.ReserveConnectAttempt(remote_ip_, now)) {
      server_.metrics.connect_rate_limited.Inc();
      Handle(conn_.Reject(mqtt::ReasonCode::kConnectionRateExceeded));
      return;
    }
    identity_.remote_ip = remote_ip_;
    identity_.client_id = connect.client_id;
    const mqtt::ReasonCode verdict = server_.auth.Authenticate(connect, identity_);
    if (verdict != mqtt::ReasonCode::kSuccess) {
      server_.metrics.auth_failures.Inc();  // the reserved attempt stays counted
      Handle(conn_.Reject(verdict));
      return;
    }
    server_.ReleaseConnectAttempt(remote_ip_);
    if (connect.will && !server_.auth.MayPublish(identity_, connect.will->topic)) {
      server_.metrics.publish_denied.Inc();
      Handle(conn_.Reject(mqtt::ReasonCode::kNotAuthorized));
      return;
    }
    std::string assigned;
    if (identity_.client_id.empty()) {
      assigned = "sw-auto-" + std::to_string(server_.next_client_number.fetch_add(1));
      identity_.client_id = assigned;
    }
    version_ = connect.protocol_version;
    client_id_ = identity_.client_id;
    ConnectRequest request;
    request.identity = identity_;
    request.version = version_;
    request.clean_start = connect.clean_start;
    if (version_ == mqtt::ProtocolVersion::kV5) {
      request.session_expiry_s = connect.properties.session_expiry_interval.value_or(0);
    } else {
      request.session_expiry_s = connect.clean_start ? 0 : kNeverExpires;
    }
    request.will = std::move(connect.will);
    ConnectResult result = server_.broker.Connect(request, this, now);
    generation_ = result.generation;
    attached_ = true;
    Handle(conn_.Accept(result.session_present, assigned));
    server_.auth.Connected(identity_);
    ArmTimer();  // from the connect timeout to the keep-alive deadline (often sooner)
    for (Delivery& d : result.queued) pending_.push_back(std::move(d));
    Pump();
  }

  void OnPublished(mqtt::Publish publish, bool ack_deferred) {
    if (!attached_) return;  // closed while earlier actions of the same read were handled
    server_.metrics.messages_in[static_cast<int>(publish.qos)]->Inc();
    const SysTime now = Now();
    AckToken ack;
    if (ack_deferred) {
      ack = std::make_shared<AckLatch>([weak = weak_from_this(), id = publish.packet_id,
                                        owner = std::this_thread::get_id()](bool ok) {
        std::shared_ptr<Conn> self = weak.lock();
        if (!self) return;
        if (std::this_thread::get_id() == owner && self->in_publish_) {
          self->sync_acks_.emplace_back(id, ok);  // nobody kept it: answered below
          return;
        }
        asio::post(self->socket_.get_executor(), [self, id, ok] { self->CompleteAck(id, ok); });
      });
    }
    in_publish_ = true;
    server_.broker.Publish(MakeMessage(std::move(publish), client_id_, now), now, ack);
    ack.reset();
    in_publish_ = false;
    while (!sync_acks_.empty()) {
      const auto [id, ok] = sync_acks_.front();
      sync_acks_.erase(sync_acks_.begin());
      CompleteAck(id, ok);
    }
  }

  // The platform kept (or failed to keep) inbound message `id`: acknowledge it, and read
  // again if reading was paused for too many unacknowledged messages.
  void CompleteAck(std::uint16_t id, bool ok) {
    if (closed_) return;
    Handle(conn_.Acknowledge(id, ok));
    if (read_paused_ && conn_.PendingAcks() < kMaxPendingAcks / 2 && !closed_ &&
        !reading_stopped_) {
      read_paused_ = false;
      WaitRead();
    }
  }

  void OnSubscribe(const mqtt::Subscribe& subscribe) {
    SubscribeResult result = server_.broker.Subscribe(client_id_, generation_, subscribe, Now());
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
    for (Delivery& d : result.retained) pending_.push_back(std::move(d));
    Pump();
  }

  void OnUnsubscribe(const mqtt::Unsubscribe& unsubscribe) {
    std::vector<std::uint8_t> codes =
        server_.broker.Unsubscribe(client_id_, generation_, unsubscribe);
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
    server_.broker.Disconnect(client_id_, generation_, *this,
                              publish_will && !server_.draining.load(), Now());
    server_.auth.Disconnected(identity_);
  }

  // ---- delivering ---------------------------------------------------------------------

  void DrainInbox() {
    std::vector<Delivery> batch;
    {
      std::lock_guard lock(inbox_mutex_);
      batch.swap(inbox_);
      drain_posted_ = false;
    }
    if (!attached_) return;  // detached meanwhile: TakeUnsent handed them back
    for (Delivery& d : batch) {
      // Pump first, so the byte budget reflects what is really waiting for the socket.
      if (pending_head_ < pending_.size()) Pump();
      if (d.qos == mqtt::QoS::kAtMostOnce && out_.size() >= server_.options.max_queued_bytes) {
        server_.metrics.dropped_slow.Inc();
        ++drops_since_write_;
      } else if (d.qos != mqtt::QoS::kAtMostOnce &&
                 pending_.size() - pending_head_ >= server_.options.max_queued_messages) {
        server_.metrics.dropped_queue.Inc();
        ++drops_since_write_;
      } else {
        pending_.push_back(std::move(d));
      }
      if (drops_since_write_ > server_.options.max_queued_messages && writing_ &&
          std::chrono::steady_clock::now() - write_started_ > kStalledWrite) {
        // More than a queue's worth dropped while one write has not finished for seconds:
        // the consumer stopped reading.
        server_.metrics.slow_disconnects.Inc();
        Handle(conn_.Close(mqtt::ReasonCode::kQuotaExceeded));
        return;
      }
    }
    Pump();
    StartWrite();
  }

  // Moves pending deliveries onto the wire while the window and the byte budget allow.
  void Pump() {
    if (closed_ || !attached_ || conn_.state() != mqtt::Connection::State::kConnected) return;
    const SysTime now = Now();
    while (pending_head_ < pending_.size()) {
      if (out_.size() >= server_.options.max_queued_bytes) break;
      Delivery& d = pending_[pending_head_];
      if (d.qos != mqtt::QoS::kAtMostOnce &&
          conn_.OutboundInflight() >= server_.options.max_inflight) {
        break;
      }
      std::optional<mqtt::Publish> publish = ToPublish(d, version_, now);
      if (!publish) {
        server_.metrics.dropped_expired.Inc();
        ++pending_head_;
        continue;
      }
      mqtt::Actions out;
      Result<std::uint16_t> id = conn_.Publish(std::move(*publish), out);
      if (!id.ok()) {
        if (id.error().code == Errc::kRateLimited) break;  // the client's receive maximum
        server_.metrics.dropped_too_large.Inc();           // above the client's packet size
        ++pending_head_;
        continue;
      }
      server_.metrics.messages_out[static_cast<int>(d.qos)]->Inc();
      if (d.qos != mqtt::QoS::kAtMostOnce) inflight_.emplace(*id, std::move(d));
      ++pending_head_;
      for (mqtt::Action& a : out) {
        if (auto* send = std::get_if<mqtt::SendBytes>(&a)) QueueWrite(send->bytes);
      }
    }
    if (pending_head_ == pending_.size()) {
      pending_.clear();
      pending_head_ = 0;
    } else if (pending_head_ > 1024 && pending_head_ * 2 > pending_.size()) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(pending_head_));
      pending_head_ = 0;
    }
  }

  // ---- writing ------------------------------------------------------------------------

  void QueueWrite(const std::string& bytes) {
    if (closed_ || peer_gone_) return;
    out_.append(bytes);
  }

  void StartWrite() {
    if (writing_ || closed_) return;
    if (out_.empty()) {
      if (closing_) FinishClose();
      return;
    }
    writing_ = true;
    write_started_ = std::chrono::steady_clock::now();
    sending_.swap(out_);
    asio::async_write(
        socket_, asio::buffer(sending_),
        [self = shared_from_this()](error_code ec, std::size_t n) { self->OnWrite(ec, n); });
  }

  void OnWrite(error_code ec, std::size_t n) {
    writing_ = false;
    drops_since_write_ = 0;
    server_.metrics.bytes_out.Inc(n);
    sending_.clear();
    if (sending_.capacity() > kReadBufferSize) sending_.shrink_to_fit();
    if (closed_) return;
    if (ec) {
      peer_gone_ = true;
      out_.clear();
      return Lost();
    }
    Pump();
    StartWrite();
  }

  // ---- closing ------------------------------------------------------------------------

  void CloseAfterFlush() {
    if (closing_ || closed_) return;
    closing_ = true;
    reading_stopped_ = true;
    Detach(false);  // no-op when the Disconnected action already detached
    timer_.expires_after(kCloseGrace);
    timer_.async_wait([self = shared_from_this()](error_code e) {
      if (!e) self->FinishClose();
    });
    if (!writing_ && out_.empty()) FinishClose();
  }

  void FinishClose() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    server_.Unregister(this);
  }

  // ---- timer --------------------------------------------------------------------------

  void ArmTimer() {
    if (closed_ || closing_) return;
    const std::optional<SysTime> deadline = conn_.NextDeadline();
    if (!deadline) {
      timer_.cancel();  // e.g. keep alive 0 after CONNECT: drop the connect-timeout wait
      return;
    }
    const auto wait = std::max<SysTime::duration>(*deadline - Now(), SysTime::duration::zero());
    timer_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait) +
                         std::chrono::milliseconds(1));
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->closed_ || self->closing_) return;
      self->Handle(self->conn_.OnTick(self->Now()));
      self->ArmTimer();
    });
  }

  Impl& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  mqtt::Connection conn_;
  std::string remote_ip_;
  ClientIdentity identity_;
  std::string client_id_;
  mqtt::ProtocolVersion version_ = mqtt::ProtocolVersion::kV5;
  std::uint64_t generation_ = 0;
  bool attached_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool reading_stopped_ = false;
  bool read_paused_ = false;  // too many publishes waiting for their acknowledgement
  bool in_publish_ = false;   // inside OnPublished's call to Broker::Publish
  std::vector<std::pair<std::uint16_t, bool>> sync_acks_;
  bool peer_gone_ = false;
  std::size_t drops_since_write_ = 0;
  std::chrono::steady_clock::time_point write_started_{};
  double rate_tokens_ = 0;
  SysTime rate_updated_{};

  std::string out_;      // queued bytes, written after the current write
  std::string sending_;  // the bytes of the write in flight
  std::vector<Delivery> pending_;
  std::size_t pending_head_ = 0;
  std::map<std::uint16_t, Delivery> inflight_;

  std::mutex inbox_mutex_;
  std::vector<Delivery> inbox_;
  bool drain_posted_ = false;
};

void MqttServer::Impl::Accept() {
  asio::io_context& target = *contexts[next_context++ % contexts.size()];
  acceptor.async_accept(
      target, [this](error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void MqttServer::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (draining || !acceptor.is_open()) return;
  if (!ec) {
    metrics.connections_accepted.Inc();
    bool room = false;
    {
      std::lock_guard lock(conns_mutex);
      room = conns.size() < options.max_connections;
    }
    if (!room) {
      metrics.connections_refused.Inc();
      error_code ignored;
      socket.close(ignored);
    } else {
      auto conn = std::make_shared<Conn>(*this, std::move(socket));
      {
        std::lock_guard lock(conns_mutex);
        conns.emplace(conn.get(), conn);
        metrics.connections.Set(static_cast<std::int64_t>(conns.size()));
      }
      conn->Start();
    }
  } else if (ec == asio::error::no_descriptors) {
    log::Warn("mqtt accept: out of file descriptors");
  }
  Accept();
}

void MqttServer::Impl::Unregister(Conn* conn) {
  // Keep the connection alive until the current handler returns.
  std::shared_ptr<Conn> keep;
  std::lock_guard lock(conns_mutex);
  if (auto it = conns.find(conn); it != conns.end()) {
    keep = std::move(it->second);
    conns.erase(it);
  }
  metrics.connections.Set(static_cast<std::int64_t>(conns.size()));
  if (conns.empty()) done_cv.notify_all();
  asio::post(*contexts.front(), [keep = std::move(keep)] {});
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

Result<std::uint16_t> MqttServer::Listen() {
  error_code ec;
  const auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) return MakeError(Errc::kInvalidArgument, "bad MQTT address " + impl_->options.address);
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
  impl_->listening = true;
  return acc.local_endpoint().port();
}

void MqttServer::Start() {
  impl_->Accept();
  asio::post(impl_->tick_timer.get_executor(), [this] { impl_->Tick(); });
  for (std::size_t i = 0; i < impl_->contexts.size(); ++i) {
    impl_->threads.emplace_back([ioc = impl_->contexts[i].get(), i] {
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
  });
  asio::post(impl_->tick_timer.get_executor(), [this] { impl_->tick_timer.cancel(); });
  std::vector<std::shared_ptr<Impl::Conn>> live;
  {
    std::lock_guard lock(impl_->conns_mutex);
    for (auto& [ptr, conn] : impl_->conns) live.push_back(conn);
  }
  for (auto& c : live) c->CloseForShutdown();
  live.clear();
  std::unique_lock lock(impl_->conns_mutex);
  impl_->done_cv.wait_for(lock, grace, [this] { return impl_->conns.empty(); });
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
