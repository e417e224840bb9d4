// live_load: publish -> browser latency for bench/live_bench.sh.
//
//   live_load --mqtt-port P --http-port H --token T --workshop W --credentials FILE
//             [--rate 20000] [--seconds 10] [--interval-ms 300]
//
// One WebSocket client (Boost.Beast, like a browser tab: token in the first message,
// subscribed to workshop W) and one MQTT 3.1.1 connection per device of FILE ("uid secret"
// lines; rate x interval / 1000 of them are used). Each device publishes a telemetry message
// every `interval-ms` (QoS 0, phases spread evenly), so the total is `rate` messages/s and
// no device publishes twice within the hub's 250 ms coalescing window: every message is
// delivered at once, and the latency measured is the pipeline's own (broker -> ingest ->
// accepted -> hub -> WebSocket). Each message carries its send time (monotonic clock, µs) as the
// custom metric `bench_us`; the client subtracts it from the arrival time.
// Prints one JSON object. Bounded: `seconds` of load plus 2 s to drain.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "protocol/codec.hpp"
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
  std::fprintf(stderr, "live_load: %s\n", what.c_str());
  std::exit(1);
}

int MqttConnect(int port, const std::string& uid, const std::string& secret) {
  const int fd = sw::bench::RawMqttConnect(port, uid, uid, secret);
  if (fd < 0) Die("connect failed (file descriptor limit?)");
  return fd;
}

void ReadConnack(int fd) {
  const int code = sw::bench::ReadConnackCode(fd);
  if (code != 0) Die("CONNECT refused or no CONNACK");
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = ParseArgs(argc, argv);
  const int mqtt_port = static_cast<int>(Arg(args, "--mqtt-port", 1883));
  const int http_port = static_cast<int>(Arg(args, "--http-port", 8080));
  const long rate = Arg(args, "--rate", 20000);
  const long seconds = Arg(args, "--seconds", 10);
  const long interval_ms = Arg(args, "--interval-ms", 300);
  const long workshop = Arg(args, "--workshop", 1);
  const std::string token = args.count("--token") ? args.at("--token") : "";
  const long wanted = rate * interval_ms / 1000;

  std::vector<std::pair<std::string, std::string>> creds;
  std::ifstream in(args.count("--credentials") ? args.at("--credentials") : "");
  for (std::string uid, secret; in >> uid >> secret && static_cast<long>(creds.size()) < wanted;) {
    creds.emplace_back(uid, secret);
  }
  if (static_cast<long>(creds.size()) < wanted) {
    Die("need " + std::to_string(wanted) + " devices in --credentials, have " +
        std::to_string(creds.size()));
  }

  // The browser: authenticate in the first message, subscribe to the workshop.
  asio::io_context io;
  beast::websocket::stream<asio::ip::tcp::socket> ws(io);
  ws.next_layer().connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(http_port)});
  ws.handshake("127.0.0.1:" + std::to_string(http_port), "/api/v1/ws");
  ws.text(true);
  auto call = [&](const json::value& message) {
    ws.write(asio::buffer(json::serialize(message)));
    beast::flat_buffer b;
    ws.read(b);
    return json::parse(beast::buffers_to_string(b.data()));
  };
  if (call(json::object{{"type", "auth"}, {"token", token}}).at("type") != "ready") {
    Die("websocket authentication failed");
  }
  if (call(json::object{{"type", "subscribe"}, {"workshops", {workshop}}}).at("type") !=
      "subscribed") {
    Die("websocket subscribe failed");
  }

  // Stamps are the monotonic clock in µs (system-wide on Linux), so a server-side probe can
  // compare them too.
  auto now_us = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
        .count();
  };
  std::mutex samples_mutex;
  std::vector<double> latencies_ms;
  std::atomic<long> events{0};
  std::atomic<bool> stop{false};
  std::string close_reason;  // written by the reader before it returns
  std::thread reader([&] {
    beast::flat_buffer b;
    for (;;) {
      beast::error_code ec;
      b.clear();
      ws.read(b, ec);
      if (ec) {
        if (!stop) {
          close_reason = ec.message() + " (close code " +
                         std::to_string(static_cast<int>(ws.reason().code)) + ")";
        }
        return;
      }
      const long long arrived = now_us();
      std::error_code jec;
      json::value v = json::parse(beast::buffers_to_string(b.data()), jec);
      if (jec || !v.is_object() || v.as_object().if_contains("type") == nullptr ||
          v.at("type") != "telemetry") {
        continue;
      }
      const auto* values = v.as_object().if_contains("values");
      const auto* sent =
          values && values->is_object() ? values->as_object().if_contains("bench_us") : nullptr;
      if (!sent) continue;
      ++events;
      std::lock_guard lock(samples_mutex);
      latencies_ms.push_back(static_cast<double>(arrived - sent->to_number<long long>()) / 1000.0);
    }
  });

  std::vector<int> fds;
  for (std::size_t i = 0; i < creds.size(); ++i) {
    fds.push_back(MqttConnect(mqtt_port, creds[i].first, creds[i].second));
    if ((i + 1) % 200 == 0 || i + 1 == creds.size()) {
      for (std::size_t k = i - (i % 200); k <= i; ++k) ReadConnack(fds[k]);
    }
  }
  std::vector<std::string> topics;
  for (const auto& c : creds) topics.push_back("sw/d/" + c.first + "/telemetry");

  // Device d publishes at d * interval / N + k * interval.
  const long n = static_cast<long>(fds.size());
  const auto load_start = Clock::now();
  long sent = 0;
  long slot = 0;
  const long total_slots = seconds * 1000 / interval_ms * n;
  const auto wall_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  while (slot < total_slots) {
    // Wake once a millisecond and send what is due: 20 sends per wake-up at 20,000/s instead
    // of a sleep per message, so the load tool takes less of the shared CPUs. Each message is
    // stamped just before its send, so the latency measured stays per message.
    const auto due = load_start + std::chrono::microseconds(slot * interval_ms * 1000 / n);
    if (Clock::now() < due) {
      std::this_thread::sleep_until(std::max(due, Clock::now() + 1ms));
    }
    const long d = slot % n;
    sw::mqtt::Publish p;
    p.topic = topics[static_cast<std::size_t>(d)];
    p.payload = "{\"ts\":" + std::to_string(wall_ms()) +
                ",\"values\":{\"temperature\":21.5,\"bench_us\":" + std::to_string(now_us()) + "}}";
    std::string bytes;
    if (!sw::mqtt::Encode(p, sw::mqtt::ProtocolVersion::kV311, bytes).ok()) Die("encode");
    if (::send(fds[static_cast<std::size_t>(d)], bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(bytes.size())) {
      ++sent;
    }
    ++slot;
  }
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  std::this_thread::sleep_for(2s);  // let the last events arrive
  stop = true;
  beast::error_code ec;
  ws.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  ws.next_layer().close(ec);
  reader.join();
  for (int fd : fds) ::close(fd);

  std::vector<double> lat;
  {
    std::lock_guard lock(samples_mutex);
    lat = latencies_ms;
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    if (lat.empty()) return 0.0;
    const auto i = static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1));
    return lat[i];
  };
  std::printf(
      "{\"devices\":%ld,\"sent\":%ld,\"seconds\":%.3f,\"rate\":%.0f,\"events\":%ld,"
      "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"closed\":\"%s\"}\n",
      n, sent, load_seconds, load_seconds > 0 ? sent / load_seconds : 0.0, events.load(), pct(0.50),
      pct(0.90), pct(0.99), lat.empty() ? 0.0 : lat.back(), close_reason.c_str());
  return 0;
}
