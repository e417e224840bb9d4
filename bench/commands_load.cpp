// commands_load: click -> device -> result latency for bench/commands_bench.sh.
//
//   commands_load --mqtt-port P --http-port H --token T --workshop W --credentials FILE
//                 [--rate 100] [--seconds 10] [--connections 2]
//
// FILE: "gateway_uid secret outlet_uid" per line. One raw MQTT 3.1.1 connection per gateway
// (the CCU answering for its outlet, as in the field), subscribed at QoS 1 to
// sw/d/{outlet}/cmd, answering every command at once: a PUBACK, then at QoS 1 on
// sw/d/{outlet}/cmd/result {"id","ok":true,"detail","current_ma":1500} — an outlet whose load
// draws current after switching on, so the server verifies the relay. One WebSocket client
// (a browser tab: token in the first message) subscribed to the workshop. `connections`
// HTTP/1.1 keep-alive clients send POST /api/v1/devices/{outlet}/commands (relay a on) at
// `rate` per second in all, to the outlets in turn, for `seconds`.
//
// Per command (one monotonic clock, one process):
//   deliver  = the device has the PUBLISH      - the request was sent
//   response = the HTTP response has been read - the request was sent
//   visible  = the WebSocket `command` event with transition `succeeded` - the request was sent
//   result   = that event - the device sent its result (the server's result path alone)
// References, measured first, at the same rate, in the same run:
//   http_floor = GET /health round trip on the same HTTP clients (HTTP and loopback alone)
//   mqtt_floor = a gateway publishes QoS 1 on its outlet's cmd topic -> it has the PUBLISH
//                (the broker's route from a publish to a subscribed device)
// Prints one JSON object. Bounded: every wait gives up after 10 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/framer.hpp"
#include "raw_mqtt.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::map<std::string, std::string> ParseArgs(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 1; i + 1 < argc; i += 2) out[argv[i]] = argv[i + 1];
  return out;
}

long Arg(const std::map<std::string, std::string>& args, const std::string& name, long def) {
  auto it = args.find(name);
  return it == args.end() ? def : std::atol(it->second.c_str());
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "commands_load: %s\n", what.c_str());
  std::exit(1);
}

std::string Encode(const sw::mqtt::Packet& p) {
  std::string bytes;
  if (!sw::mqtt::Encode(p, sw::mqtt::ProtocolVersion::kV311, bytes).ok()) Die("encode");
  return bytes;
}

// The value of "id" in a command message (the server writes compact JSON).
std::string IdOf(const std::string& payload) {
  constexpr std::string_view kKey = "\"id\":\"";
  const auto start = payload.find(kKey);
  if (start == std::string::npos) return {};
  const auto from = start + kKey.size();
  const auto end = payload.find('"', from);
  return end == std::string::npos ? std::string() : payload.substr(from, end - from);
}

// Times by command (or reference) id, from every thread.
class Times {
 public:
  void Set(const std::string& id, Clock::time_point t) {
    std::lock_guard lock(mutex_);
    times_.emplace(id, t);
  }
  std::optional<Clock::time_point> Get(const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto it = times_.find(id);
    return it == times_.end() ? std::nullopt : std::optional<Clock::time_point>(it->second);
  }
  std::size_t Size() const {
    std::lock_guard lock(mutex_);
    return times_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Clock::time_point> times_;
};

// One gateway's MQTT connection.
struct Device {
  std::string gateway;
  std::string outlet;
  int fd = -1;
  sw::mqtt::Framer framer{1 << 20};
  std::mutex write_mutex;
  std::uint16_t next_packet_id = 1;

  void Write(const std::string& bytes) {
    std::lock_guard lock(write_mutex);
    std::size_t done = 0;
    while (done < bytes.size()) {
      const auto n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) Die("send to the broker failed");
      done += static_cast<std::size_t>(n);
    }
  }
  std::uint16_t PacketId() {
    std::lock_guard lock(write_mutex);
    if (++next_packet_id == 0) next_packet_id = 1;
    return next_packet_id;
  }
  void PublishQos1(const std::string& topic, const std::string& payload) {
    sw::mqtt::Publish p;
    p.topic = topic;
    p.payload = payload;
    p.qos = sw::mqtt::QoS::kAtLeastOnce;
    p.packet_id = PacketId();
    Write(Encode(p));
  }
};

// Blocks for the next packet of `d` during set-up.
sw::mqtt::Packet ReadPacket(Device& d) {
  std::vector<std::string> frames;
  char buf[4096];
  while (frames.empty()) {
    const auto n = ::recv(d.fd, buf, sizeof buf, 0);
    if (n <= 0) Die("connection closed during set-up");
    if (!d.framer.Feed(std::string_view(buf, static_cast<std::size_t>(n)), frames).ok()) {
      Die("bad bytes from the broker");
    }
  }
  if (frames.size() != 1) Die("unexpected packets during set-up");
  auto p = sw::mqtt::Decode(frames[0], sw::mqtt::ProtocolVersion::kV311);
  if (!p.ok()) Die("undecodable packet during set-up");
  return *p;
}

// A blocking HTTP/1.1 keep-alive client on 127.0.0.1.
class HttpConnection {
 public:
  explicit HttpConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Die("HTTP connect failed");
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~HttpConnection() { ::close(fd_); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends a request; returns {status, body}.
  std::pair<int, std::string> Call(const std::string& method, const std::string& target,
                                   const std::string& token, const std::string& body) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (!body.empty()) {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      Die("HTTP send failed");
    }
    std::size_t header_end;
    while ((header_end = in_.find("\r\n\r\n")) == std::string::npos) Fill();
    const std::string head = in_.substr(0, header_end);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto cl = lower.find("content-length:");
    const std::size_t length =
        cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 15, nullptr, 10);
    while (in_.size() < header_end + 4 + length) Fill();
    const int status = std::atoi(head.c_str() + 9);  // "HTTP/1.1 NNN"
    std::string out = in_.substr(header_end + 4, length);
    in_.erase(0, header_end + 4 + length);
    return {status, std::move(out)};
  }

 private:
  void Fill() {
    char buf[16384];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) Die("HTTP connection closed");
    in_.append(buf, static_cast<std::size_t>(n));
  }
  int fd_ = -1;
  std::string in_;
};

struct Stats {
  std::vector<double> ms;
  void Add(Clock::duration d) {
    ms.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  double Pct(double p) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[static_cast<std::size_t>(p * static_cast<double>(ms.size() - 1))];
  }
  std::string Json(const std::string& name) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "\"%s\":{\"n\":%zu,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
                  "\"max_ms\":%.3f}",
                  name.c_str(), ms.size(), Pct(0.5), Pct(0.9), Pct(0.99), Pct(1.0));
    return buf;
  }
};

// Runs `count` operations at `rate` per second over `threads` threads: op i is due at
// start + i / rate and runs on thread i % threads (which may fall behind: it then runs late).
template <typename Op>
void AtRate(long count, long rate, int threads, Op op) {
  const auto start = Clock::now() + 50ms;
  std::vector<std::thread> pool;
  for (int k = 0; k < threads; ++k) {
    pool.emplace_back([&, k] {
      for (long i = k; i < count; i += threads) {
        std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1'000'000 / rate));
        op(k, i);
      }
    });
  }
  for (auto& t : pool) t.join();
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = ParseArgs(argc, argv);
  const int mqtt_port = static_cast<int>(Arg(args, "--mqtt-port", 1883));
  const int http_port = static_cast<int>(Arg(args, "--http-port", 8080));
  const long rate = std::max(1L, Arg(args, "--rate", 100));
  const long seconds = std::max(1L, Arg(args, "--seconds", 10));
  const int connections = static_cast<int>(std::max(1L, Arg(args, "--connections", 2)));
  const long workshop = Arg(args, "--workshop", 1);
  const std::string token = args.count("--token") ? args.at("--token") : "";

  std::vector<std::unique_ptr<Device>> devices;
  {
    std::ifstream in(args.count("--credentials") ? args.at("--credentials") : "");
    std::string gateway, secret, outlet;
    while (in >> gateway >> secret >> outlet) {
      auto d = std::make_unique<Device>();
      d->gateway = gateway;
      d->outlet = outlet;
      d->fd = sw::bench::RawMqttConnect(mqtt_port, gateway, gateway, secret);
      if (d->fd < 0) Die("MQTT connect failed (file descriptor limit?)");
      devices.push_back(std::move(d));
    }
  }
  if (devices.empty()) Die("no devices in --credentials");
  for (auto& d : devices) {
    if (sw::bench::ReadConnackCode(d->fd) != 0) Die("CONNECT refused for " + d->gateway);
  }
  for (auto& d : devices) {
    sw::mqtt::Subscribe s;
    s.packet_id = 1;
    s.subscriptions.push_back({"sw/d/" + d->outlet + "/cmd", sw::mqtt::QoS::kAtLeastOnce});
    d->Write(Encode(s));
  }
  for (auto& d : devices) {
    auto p = ReadPacket(*d);
    const auto* suback = std::get_if<sw::mqtt::Suback>(&p);
    if (!suback || suback->reason_codes.empty() || suback->reason_codes[0] >= 0x80) {
      Die("SUBSCRIBE refused for " + d->gateway);
    }
  }

  Times sent, received, answered, visible;

  // The browser: authenticate in the first message, subscribe to the workshop.
  asio::io_context io;
  beast::websocket::stream<asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(http_port)});
  ws.handshake("127.0.0.1:" + std::to_string(http_port), "/api/v1/ws");
  ws.text(true);
  auto ws_call = [&](const json::value& message) {
    ws.write(asio::buffer(json::serialize(message)));
    beast::flat_buffer b;
    ws.read(b);
    return json::parse(beast::buffers_to_string(b.data()));
  };
  if (ws_call(json::object{{"type", "auth"}, {"token", token}}).at("type") != "ready") {
    Die("websocket authentication failed");
  }
  if (ws_call(json::object{{"type", "subscribe"}, {"workshops", {workshop}}}).at("type") !=
      "subscribed") {
    Die("websocket subscribe failed");
  }
  std::atomic<bool> stop{false};
  std::thread ws_reader([&] {
    beast::flat_buffer b;
    for (;;) {
      beast::error_code ec;
      b.clear();
      ws.read(b, ec);
      if (ec) return;
      const auto now = Clock::now();
      std::error_code jec;
      const json::value v = json::parse(beast::buffers_to_string(b.data()), jec);
      if (jec || !v.is_object()) continue;
      const auto& o = v.as_object();
      const auto* type = o.if_contains("type");
      const auto* transition = o.if_contains("transition");
      const auto* id = o.if_contains("id");
      if (!type || *type != "command" || !transition || !transition->is_object() || !id ||
          !id->is_string()) {
        continue;
      }
      const auto* state = transition->as_object().if_contains("state");
      if (state && *state == "succeeded") visible.Set(std::string(id->as_string()), now);
    }
  });

  // The devices: answer every command at once; note the reference messages.
  const int ep = ::epoll_create1(0);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, devices[i]->fd, &ev) != 0) Die("epoll_ctl");
  }
  std::thread device_thread([&] {
    std::vector<epoll_event> events(256);
    std::vector<std::string> frames;
    char buf[16384];
    while (!stop) {
      const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
      for (int e = 0; e < n; ++e) {
        Device& d = *devices[events[e].data.u64];
        const auto got = ::recv(d.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got <= 0) continue;
        const auto now = Clock::now();
        frames.clear();
        if (!d.framer.Feed(std::string_view(buf, static_cast<std::size_t>(got)), frames).ok()) {
          Die("bad bytes from the broker");
        }
        for (const auto& frame : frames) {
          auto p = sw::mqtt::Decode(frame, sw::mqtt::ProtocolVersion::kV311);
          if (!p.ok()) Die("undecodable packet");
          const auto* publish = std::get_if<sw::mqtt::Publish>(&*p);
          if (!publish) continue;  // PUBACKs of our results
          const std::string id = IdOf(publish->payload);
          received.Set(id, now);
          if (publish->qos == sw::mqtt::QoS::kAtLeastOnce) {
            d.Write(Encode(sw::mqtt::Puback{publish->packet_id, 0, {}}));
          }
          if (id.rfind("ref-", 0) == 0) continue;
          answered.Set(id, Clock::now());
          d.PublishQos1(
              "sw/d/" + d.outlet + "/cmd/result",
              "{\"id\":\"" + id + "\",\"ok\":true,\"detail\":\"on\",\"current_ma\":1500}");
        }
      }
    }
  });

  std::vector<std::unique_ptr<HttpConnection>> http;
  for (int k = 0; k < connections; ++k) http.push_back(std::make_unique<HttpConnection>(http_port));
  const long count = rate * seconds;
  std::atomic<long> errors{0};
  std::string first_error;
  std::mutex error_mutex;

  // References at the same rate: the HTTP floor and the broker's route to a device.
  const long reference_count = std::min(count, rate * 3);
  Stats http_floor;
  std::mutex floor_mutex;
  AtRate(reference_count, rate, connections, [&](int k, long) {
    const auto t0 = Clock::now();
    auto [status, body] = http[static_cast<std::size_t>(k)]->Call("GET", "/health", "", "");
    const auto t1 = Clock::now();
    if (status != 200) ++errors;
    std::lock_guard lock(floor_mutex);
    http_floor.Add(t1 - t0);
  });
  AtRate(reference_count, rate, connections, [&](int, long i) {
    Device& d = *devices[static_cast<std::size_t>(i) % devices.size()];
    const std::string id = "ref-" + std::to_string(i);
    sent.Set(id, Clock::now());
    d.PublishQos1("sw/d/" + d.outlet + "/cmd", "{\"id\":\"" + id + "\"}");
  });

  // The commands.
  std::vector<std::string> ids(static_cast<std::size_t>(count));
  std::vector<Clock::time_point> responded(static_cast<std::size_t>(count));
  const std::string body = R"({"name":"relay","params":{"socket":"a","on":true}})";
  const auto load_start = Clock::now();
  AtRate(count, rate, connections, [&](int k, long i) {
    const Device& d = *devices[static_cast<std::size_t>(i) % devices.size()];
    const auto t0 = Clock::now();
    auto [status, text] = http[static_cast<std::size_t>(k)]->Call(
        "POST", "/api/v1/devices/" + d.outlet + "/commands", token, body);
    responded[static_cast<std::size_t>(i)] = Clock::now();
    if (status != 202) {
      ++errors;
      std::lock_guard lock(error_mutex);
      if (first_error.empty()) first_error = std::to_string(status) + " " + text;
      return;
    }
    const std::string id = IdOf(text.substr(text.find("\"data\"")));
    ids[static_cast<std::size_t>(i)] = id;
    sent.Set(id, t0);
  });
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  // Let the last results and events arrive.
  for (const auto deadline = Clock::now() + 10s;
       Clock::now() < deadline && visible.Size() < static_cast<std::size_t>(count - errors);) {
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  device_thread.join();
  beast::error_code ec;
  ws.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  ws.next_layer().close(ec);
  ws_reader.join();
  for (auto& d : devices) ::close(d->fd);
  ::close(ep);

  Stats mqtt_floor, deliver, response, visible_stats, result;
  for (long i = 0; i < reference_count; ++i) {
    const std::string id = "ref-" + std::to_string(i);
    auto t0 = sent.Get(id);
    auto t1 = received.Get(id);
    if (t0 && t1) mqtt_floor.Add(*t1 - *t0);
  }
  long delivered = 0, succeeded = 0;
  for (long i = 0; i < count; ++i) {
    const std::string& id = ids[static_cast<std::size_t>(i)];
    if (id.empty()) continue;
    const auto t0 = *sent.Get(id);
    response.Add(responded[static_cast<std::size_t>(i)] - t0);
    if (auto t = received.Get(id)) {
      ++delivered;
      deliver.Add(*t - t0);
    }
    if (auto t = visible.Get(id)) {
      ++succeeded;
      visible_stats.Add(*t - t0);
      if (auto a = answered.Get(id)) result.Add(*t - *a);
    }
  }
  std::string escaped;
  for (char c : first_error.substr(0, 200)) {
    if (c == '"' || c == '\\') escaped += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) escaped += c;
  }
  std::printf(
      "{\"devices\":%zu,\"rate\":%ld,\"seconds\":%ld,\"connections\":%d,\"commands\":%ld,"
      "\"achieved_rate\":%.1f,\"errors\":%ld,\"first_error\":\"%s\",\"delivered\":%ld,"
      "\"succeeded\":%ld,%s,%s,%s,%s,%s,%s}\n",
      devices.size(), rate, seconds, connections, count,
      load_seconds > 0 ? static_cast<double>(count) / load_seconds : 0.0, errors.load(),
      escaped.c_str(), delivered, succeeded, deliver.Json("deliver").c_str(),
      response.Json("response").c_str(), visible_stats.Json("visible").c_str(),
      result.Json("result").c_str(), http_floor.Json("http_floor").c_str(),
      mqtt_floor.Json("mqtt_floor").c_str());
  return errors == 0 && delivered == count - errors && succeeded == delivered ? 0 : 2;
}
