#include "net/mqtt_transport.hpp"

#include <fcntl.h>
#include <mosquitto.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace sw::sim {
namespace {

constexpr int kMaxEvents = 512;

}  // namespace

MqttTransport::MqttTransport(std::string host, int port)
    : host_(std::move(host)), port_(port), next_misc_(std::chrono::steady_clock::now()) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::runtime_error("epoll_create1 failed");
}

MqttTransport::~MqttTransport() {
  for (auto& c : clients_) {
    if (c->state != State::kIdle) mosquitto_disconnect(c->mosq);
    mosquitto_destroy(c->mosq);
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

std::size_t MqttTransport::AddClient(const std::string& client_id, const std::string& username,
                                     const std::string& password) {
  auto c = std::make_unique<Client>();
  c->index = clients_.size();
  c->owner = this;
  c->mosq = mosquitto_new(client_id.c_str(), true, c.get());
  if (c->mosq == nullptr) throw std::runtime_error("mosquitto_new failed for " + client_id);
  mosquitto_username_pw_set(c->mosq, username.c_str(), password.c_str());
  mosquitto_connect_callback_set(c->mosq, &MqttTransport::OnConnectCb);
  mosquitto_disconnect_callback_set(c->mosq, &MqttTransport::OnDisconnectCb);
  mosquitto_publish_callback_set(c->mosq, &MqttTransport::OnPublishCb);
  mosquitto_message_callback_set(c->mosq, &MqttTransport::OnMessageCb);
  clients_.push_back(std::move(c));
  return clients_.size() - 1;
}

bool MqttTransport::connected(std::size_t client) const {
  return client < clients_.size() && clients_[client]->state == State::kConnected;
}

std::size_t MqttTransport::ConnectedCount() const {
  std::size_t n = 0;
  for (const auto& c : clients_) n += c->state == State::kConnected ? 1 : 0;
  return n;
}

void MqttTransport::OnConnectCb(mosquitto*, void* self, int rc) {
  auto* c = static_cast<Client*>(self);
  if (c->state != State::kConnecting) return;
  if (rc == 0) {
    c->state = State::kConnected;
    c->owner->events_.push_back(Event{Event::Kind::kConnected, c->index, 0, {}, {}});
    return;
  }
  ++c->owner->stats_.connect_failures;
  c->state = State::kIdle;  // the broker closes the connection after a refusal
  c->owner->events_.push_back(Event{Event::Kind::kDisconnected, c->index, 0, {}, {}});
}

void MqttTransport::OnDisconnectCb(mosquitto*, void* self, int) {
  auto* c = static_cast<Client*>(self);
  if (c->state == State::kIdle) return;  // already reported (abort, refusal, disconnect)
  c->state = State::kIdle;
  ++c->owner->stats_.disconnects;
  c->owner->events_.push_back(Event{Event::Kind::kDisconnected, c->index, 0, {}, {}});
}

void MqttTransport::OnPublishCb(mosquitto*, void* self, int mid) {
  auto* c = static_cast<Client*>(self);
  auto it = c->tokens.find(mid);
  if (it == c->tokens.end()) return;
  const std::uint32_t token = it->second;
  c->tokens.erase(it);
  ++c->owner->stats_.acks;
  c->owner->events_.push_back(Event{Event::Kind::kAcked, c->index, token, {}, {}});
}

void MqttTransport::OnMessageCb(mosquitto*, void* self, const mosquitto_message* m) {
  auto* c = static_cast<Client*>(self);
  ++c->owner->stats_.messages;
  c->owner->events_.push_back(
      Event{Event::Kind::kMessage, c->index, 0, m->topic ? m->topic : "",
            std::string(static_cast<const char*>(m->payload),
                        static_cast<std::size_t>(m->payloadlen > 0 ? m->payloadlen : 0))});
}

void MqttTransport::Connect(Client& c, const LinkAction& a) {
  ++stats_.connect_attempts;
  if (c.state != State::kIdle) {
    // A new session replaces the old one (as a rebooted device's would).
    const int fd = mosquitto_socket(c.mosq);
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    c.state = State::kIdle;
  }
  c.tokens.clear();
  mosquitto_will_clear(c.mosq);
  if (!a.topic.empty()) {
    mosquitto_will_set(c.mosq, a.topic.c_str(), static_cast<int>(a.payload.size()),
                       a.payload.data(), a.qos, a.retain);
  }
  c.registered_fd = -1;  // the old socket (if any) is closed by the connect below
  const int rc = mosquitto_connect(c.mosq, host_.c_str(), port_, kKeepAliveS);
  if (rc != MOSQ_ERR_SUCCESS) {
    ++stats_.connect_failures;
    events_.push_back(Event{Event::Kind::kDisconnected, c.index, 0, {}, {}});
    return;
  }
  c.state = State::kConnecting;
  Rearm(c);
}

void MqttTransport::Drop(Client& c) {
  if (c.state == State::kIdle) return;
  const int fd = mosquitto_socket(c.mosq);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // no DISCONNECT: the broker sends the will
  c.state = State::kIdle;
  c.tokens.clear();
  ++stats_.disconnects;
  events_.push_back(Event{Event::Kind::kDisconnected, c.index, 0, {}, {}});
}

void MqttTransport::Rearm(Client& c) {
  const int fd = mosquitto_socket(c.mosq);
  const bool want_write = fd >= 0 && mosquitto_want_write(c.mosq);
  if (fd != c.registered_fd) {
    // A closed socket left the epoll set by itself; a new one is added.
    c.registered_fd = -1;
    if (fd < 0) return;
    // libmosquitto's session reads must never block the one thread that drives everyone.
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && !(flags & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
    ev.data.u64 = c.index;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) {
      c.registered_fd = fd;
      c.want_write = want_write;
    }
    return;
  }
  if (fd >= 0 && want_write != c.want_write) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
    ev.data.u64 = c.index;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    c.want_write = want_write;
  }
}

void MqttTransport::Execute(std::size_t client, const LinkAction& a) {
  if (client >= clients_.size()) return;
  Client& c = *clients_[client];
  switch (a.kind) {
    case LinkAction::Kind::kConnect: Connect(c, a); return;
    case LinkAction::Kind::kAbort: Drop(c); return;
    case LinkAction::Kind::kDisconnect:
      if (c.state == State::kIdle) return;
      mosquitto_disconnect(c.mosq);
      c.state = State::kIdle;
      c.tokens.clear();
      ++stats_.disconnects;
      events_.push_back(Event{Event::Kind::kDisconnected, c.index, 0, {}, {}});
      Rearm(c);
      return;
    case LinkAction::Kind::kSubscribe:
      if (c.state == State::kConnected) {
        mosquitto_subscribe(c.mosq, nullptr, a.topic.c_str(), a.qos);
        Rearm(c);
      }
      return;
    case LinkAction::Kind::kPublish: {
      int mid = 0;
      const int rc =
          c.state == State::kConnected
              ? mosquitto_publish(c.mosq, &mid, a.topic.c_str(), static_cast<int>(a.payload.size()),
                                  a.payload.data(), a.qos, a.retain)
              : MOSQ_ERR_NO_CONN;
      if (rc != MOSQ_ERR_SUCCESS) {
        ++stats_.publish_errors;
        return;
      }
      ++stats_.publishes;
      if (a.token != 0 && a.qos > 0) c.tokens[mid] = a.token;
      Rearm(c);
      return;
    }
  }
}

void MqttTransport::Housekeeping() {
  for (auto& c : clients_) {
    if (mosquitto_socket(c->mosq) < 0) continue;
    mosquitto_loop_misc(c->mosq);
    Rearm(*c);
  }
}

void MqttTransport::Poll(std::chrono::milliseconds timeout) {
  epoll_event evs[kMaxEvents];
  const int ms = static_cast<int>(std::max<std::int64_t>(0, timeout.count()));
  const int n = ::epoll_wait(epoll_fd_, evs, kMaxEvents, ms);
  for (int i = 0; i < n; ++i) {
    const std::size_t index = static_cast<std::size_t>(evs[i].data.u64);
    if (index >= clients_.size()) continue;
    Client& c = *clients_[index];
    if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) mosquitto_loop_read(c.mosq, 1);
    if ((evs[i].events & EPOLLOUT) && mosquitto_socket(c.mosq) >= 0) {
      mosquitto_loop_write(c.mosq, 1);
    }
    Rearm(c);
  }
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_misc_) {
    next_misc_ = now + std::chrono::seconds(1);
    Housekeeping();
  }
  if (sink_ == nullptr) {
    events_.clear();
    return;
  }
  std::vector<Event> events;
  events.swap(events_);
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
