// broker_load: MQTT load generator for bench/broker_bench.sh. Measures one broker per run.
//
//   broker_load throughput --port P --qos Q [--count 200000] [--size 120]
//       1 publisher -> 1 subscriber (libmosquitto, MQTT 3.1.1); messages/s as the subscriber
//       sees them, from the first publish to the last message received.
//   broker_load fanin --port P [--publishers 1000] [--per-publisher 200] [--size 120]
//                     [--subscriber raw|libmosquitto]
//       N raw publishers (our codec, QoS 0) -> 1 subscriber: by default a raw one (reads 64 KiB
//       at a time, frames and decodes every PUBLISH with our codec). libmosquitto's client
//       reads one packet per select() with three read() calls, which caps it at ~200k
//       messages/s on the bench machine: below what either broker delivers, so the figure
//       would measure the client.
//   broker_load idle --port P [--connections 10000]
//       opens N connections (CONNECT, keep alive 0), prints "ready", holds them until stdin
//       closes or a line arrives.
// Prints one JSON object. Bounded: every wait gives up after a stall of 5 s.
#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/framer.hpp"
#include "raw_mqtt.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::map<std::string, std::string> ParseArgs(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 2; i + 1 < argc; i += 2) out[argv[i]] = argv[i + 1];
  return out;
}

long Arg(const std::map<std::string, std::string>& args, const std::string& name, long def) {
  auto it = args.find(name);
  return it == args.end() ? def : std::atol(it->second.c_str());
}

std::string StrArg(const std::map<std::string, std::string>& args, const std::string& name,
                   const std::string& def) {
  auto it = args.find(name);
  return it == args.end() ? def : it->second;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "broker_load: %s\n", what.c_str());
  std::exit(1);
}

struct SubState {
  std::atomic<long> received{0};
  std::atomic<bool> subscribed{false};
  std::atomic<bool> connected{false};
  std::atomic<long long> last_ns{0};
};

void OnConnect(mosquitto*, void* obj, int rc) {
  if (rc == 0) static_cast<SubState*>(obj)->connected = true;
}
void OnSubscribe(mosquitto*, void* obj, int, int, const int*) {
  static_cast<SubState*>(obj)->subscribed = true;
}
void OnMessage(mosquitto*, void* obj, const mosquitto_message*) {
  auto* s = static_cast<SubState*>(obj);
  s->received.fetch_add(1, std::memory_order_relaxed);
  s->last_ns.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

mosquitto* NewClient(const std::string& id, int port, SubState* state) {
  mosquitto* m = mosquitto_new(id.c_str(), true, state);
  if (!m) Die("mosquitto_new failed");
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(m, OnConnect);
  mosquitto_subscribe_callback_set(m, OnSubscribe);
  mosquitto_message_callback_set(m, OnMessage);
  mosquitto_max_inflight_messages_set(m, 64);
  if (mosquitto_connect(m, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) Die("connect failed");
  if (mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) Die("loop_start failed");
  return m;
}

template <typename F>
bool WaitFor(F&& done, std::chrono::milliseconds limit = 5000ms) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

// Waits until `expected` messages arrived or nothing arrived for 5 s; returns seconds from
// `start` to the last message.
double WaitReceived(SubState& s, long expected, Clock::time_point start) {
  long seen = -1;
  auto progress = Clock::now();
  while (s.received.load() < expected) {
    const long now_seen = s.received.load();
    if (now_seen != seen) {
      seen = now_seen;
      progress = Clock::now();
    } else if (Clock::now() - progress > 5s) {
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  const Clock::time_point last{Clock::duration{s.last_ns.load()}};
  return std::chrono::duration<double>(last - start).count();
}

std::string Payload(long size) {
  std::string p(static_cast<std::size_t>(size), 'x');
  const char* sample = "{\"ts\":1700000000000,\"values\":{\"temperature\":23.4,\"humidity\":51}}";
  std::memcpy(p.data(), sample, std::min<std::size_t>(p.size(), std::strlen(sample)));
  return p;
}

int Throughput(const std::map<std::string, std::string>& args) {
  const int port = static_cast<int>(Arg(args, "--port", 1883));
  const int qos = static_cast<int>(Arg(args, "--qos", 0));
  const long count = Arg(args, "--count", 200000);
  const std::string payload = Payload(Arg(args, "--size", 120));
  SubState sub_state, pub_state;
  mosquitto* sub = NewClient("bench-sub", port, &sub_state);
  if (!WaitFor([&] { return sub_state.connected.load(); })) Die("subscriber not connected");
  mosquitto_subscribe(sub, nullptr, "bench/t", qos);
  if (!WaitFor([&] { return sub_state.subscribed.load(); })) Die("not subscribed");
  mosquitto* pub = NewClient("bench-pub", port, &pub_state);
  if (!WaitFor([&] { return pub_state.connected.load(); })) Die("publisher not connected");
  const auto start = Clock::now();
  for (long i = 0; i < count; ++i) {
    const int rc = mosquitto_publish(pub, nullptr, "bench/t", static_cast<int>(payload.size()),
                                     payload.data(), qos, false);
    if (rc != MOSQ_ERR_SUCCESS) Die("publish failed: " + std::string(mosquitto_strerror(rc)));
  }
  const double seconds = WaitReceived(sub_state, count, start);
  const long received = sub_state.received.load();
  std::printf(
      "{\"mode\":\"throughput\",\"qos\":%d,\"sent\":%ld,\"received\":%ld,\"seconds\":%.3f,"
      "\"msgs_per_s\":%.0f}\n",
      qos, count, received, seconds, seconds > 0 ? received / seconds : 0.0);
  mosquitto_disconnect(pub);
  mosquitto_disconnect(sub);
  mosquitto_loop_stop(pub, true);
  mosquitto_loop_stop(sub, true);
  mosquitto_destroy(pub);
  mosquitto_destroy(sub);
  return 0;
}

// A subscriber on a raw socket: SUBSCRIBE (QoS 0), then a thread that reads 64 KiB at a time
// and decodes every PUBLISH with our codec (the work a client library does per message).
class RawSubscriber {
 public:
  RawSubscriber(int port, const std::string& client_id, const std::string& filter, SubState& state)
      : state_(state) {
    fd_ = sw::bench::RawMqttConnect(port, client_id);
    if (fd_ < 0 || sw::bench::ReadConnackCode(fd_) != 0) Die("raw subscriber not connected");
    sw::mqtt::Subscribe subscribe;
    subscribe.packet_id = 1;
    subscribe.subscriptions.push_back({filter, sw::mqtt::QoS::kAtMostOnce});
    std::string bytes;
    if (!sw::mqtt::Encode(subscribe, sw::mqtt::ProtocolVersion::kV311, bytes).ok()) Die("encode");
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(bytes.size())) {
      Die("raw subscriber: send failed");
    }
    reader_ = std::thread([this] { Read(); });
  }
  ~RawSubscriber() {
    ::shutdown(fd_, SHUT_RDWR);
    reader_.join();
    ::close(fd_);
  }

 private:
  void Read() {
    sw::mqtt::Framer framer(std::size_t{1} << 20);
    std::vector<char> buffer(std::size_t{64} * 1024);
    for (;;) {
      const auto n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n <= 0) return;
      std::string_view bytes(buffer.data(), static_cast<std::size_t>(n));
      long got = 0;
      for (;;) {
        auto packet = framer.Next(bytes);
        if (!packet.ok() || packet->empty()) break;
        const auto type = static_cast<unsigned char>(packet->front()) >> 4;
        if (type == 9) state_.subscribed = true;  // SUBACK
        if (type != 3) continue;
        if (sw::mqtt::Decode(*packet, sw::mqtt::ProtocolVersion::kV311).ok()) ++got;
      }
      if (got > 0) {
        state_.received.fetch_add(got, std::memory_order_relaxed);
        state_.last_ns.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
      }
    }
  }

  SubState& state_;
  int fd_ = -1;
  std::thread reader_;
};

int RawConnect(int port, const std::string& client_id) {
  const int fd = sw::bench::RawMqttConnect(port, client_id);
  if (fd < 0) Die("connect failed (file descriptor limit?)");
  return fd;
}

void ReadConnack(int fd) {
  const int code = sw::bench::ReadConnackCode(fd);
  if (code < 0) Die("no CONNACK");
  if (code != 0) Die("CONNECT refused");
}

int FanIn(const std::map<std::string, std::string>& args) {
  const int port = static_cast<int>(Arg(args, "--port", 1883));
  const long publishers = Arg(args, "--publishers", 1000);
  const long per = Arg(args, "--per-publisher", 200);
  const std::string payload = Payload(Arg(args, "--size", 120));
  const std::string subscriber = StrArg(args, "--subscriber", "raw");
  if (subscriber != "raw" && subscriber != "libmosquitto") Die("--subscriber raw|libmosquitto");
  SubState sub_state;
  mosquitto* sub = nullptr;
  std::unique_ptr<RawSubscriber> raw_sub;
  if (subscriber == "raw") {
    raw_sub = std::make_unique<RawSubscriber>(port, "fanin-sub", "fanin/#", sub_state);
  } else {
    sub = NewClient("fanin-sub", port, &sub_state);
    if (!WaitFor([&] { return sub_state.connected.load(); })) Die("subscriber not connected");
    mosquitto_subscribe(sub, nullptr, "fanin/#", 0);
  }
  if (!WaitFor([&] { return sub_state.subscribed.load(); })) Die("not subscribed");
  std::vector<int> fds;
  for (long i = 0; i < publishers; ++i)
    fds.push_back(RawConnect(port, "fanin-" + std::to_string(i)));
  for (int fd : fds) ReadConnack(fd);
  // Ten messages per send; publishers take turns.
  constexpr long kBatch = 10;
  std::vector<std::string> batches;
  for (long i = 0; i < publishers; ++i) {
    sw::mqtt::Publish p;
    p.topic = "fanin/" + std::to_string(i);
    p.payload = payload;
    std::string one, batch;
    if (!sw::mqtt::Encode(p, sw::mqtt::ProtocolVersion::kV311, one).ok()) Die("encode");
    for (long k = 0; k < kBatch; ++k) batch += one;
    batches.push_back(std::move(batch));
  }
  const auto start = Clock::now();
  for (long round = 0; round < per / kBatch; ++round) {
    for (long i = 0; i < publishers; ++i) {
      const std::string& b = batches[static_cast<std::size_t>(i)];
      std::size_t sent = 0;
      while (sent < b.size()) {
        const auto n = ::send(fds[static_cast<std::size_t>(i)], b.data() + sent, b.size() - sent,
                              MSG_NOSIGNAL);
        if (n <= 0) Die("send failed");
        sent += static_cast<std::size_t>(n);
      }
    }
  }
  const double send_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const long received_when_sent = sub_state.received.load();
  const long expected = publishers * (per / kBatch) * kBatch;
  const double seconds = WaitReceived(sub_state, expected, start);
  const long received = sub_state.received.load();
  std::printf(
      "{\"mode\":\"fanin\",\"subscriber\":\"%s\",\"publishers\":%ld,\"sent\":%ld,"
      "\"received\":%ld,\"seconds\":%.3f,\"send_seconds\":%.3f,"
      "\"received_when_sent\":%ld,\"msgs_per_s\":%.0f}\n",
      subscriber.c_str(), publishers, expected, received, seconds, send_seconds, received_when_sent,
      seconds > 0 ? received / seconds : 0.0);
  for (int fd : fds) ::close(fd);
  raw_sub.reset();
  if (sub) {
    mosquitto_disconnect(sub);
    mosquitto_loop_stop(sub, true);
    mosquitto_destroy(sub);
  }
  return 0;
}

int Idle(const std::map<std::string, std::string>& args) {
  const int port = static_cast<int>(Arg(args, "--port", 1883));
  const long n = Arg(args, "--connections", 10000);
  std::vector<int> fds;
  for (long i = 0; i < n; ++i) {
    fds.push_back(RawConnect(port, "idle-" + std::to_string(i)));
    if (fds.size() % 500 == 0) {  // keep the accept backlog short
      for (std::size_t k = fds.size() - 500; k < fds.size(); ++k) ReadConnack(fds[k]);
    }
  }
  for (std::size_t k = fds.size() - fds.size() % 500; k < fds.size(); ++k) ReadConnack(fds[k]);
  std::printf("{\"mode\":\"idle\",\"connections\":%zu}\n", fds.size());
  std::printf("ready\n");
  std::fflush(stdout);
  char line[16];
  (void)std::fgets(line, sizeof line, stdin);
  for (int fd : fds) ::close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: broker_load throughput|fanin|idle --port P [options]\n");
    return 2;
  }
  mosquitto_lib_init();
  const std::string mode = argv[1];
  const auto args = ParseArgs(argc, argv);
  int rc = 2;
  if (mode == "throughput") rc = Throughput(args);
  if (mode == "fanin") rc = FanIn(args);
  if (mode == "idle") rc = Idle(args);
  mosquitto_lib_cleanup();
  return rc;
}
