#include "net/load_runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "model/rng.hpp"

namespace sw::sim {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kLatencySamples = 200000;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t i =
      std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())));
  return v[i];
}

std::string Fixed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

LoadRunner::LoadRunner(const LoadOptions& options, MqttTransport& transport,
                       const std::vector<Credential>& credentials)
    : options_(options), transport_(transport), rng_state_(options.seed) {
  const std::size_t n = std::min(options_.devices, credentials.size());
  nodes_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    PitParams p;
    p.mean_temperature_c = 19.0 + static_cast<double>(i % 7);
    transport_.AddClient(credentials[i].uid, credentials[i].secret);
    nodes_.push_back(Node{credentials[i].uid,
                          PitModel(p, HashSeed(credentials[i].uid, options.seed)),
                          {},
                          false,
                          {}});
  }
  transport_.SetSink(this);
}

void LoadRunner::OnConnected(std::size_t client) {
  if (client >= nodes_.size() || nodes_[client].up) return;
  nodes_[client].up = true;
  ++up_;
}

void LoadRunner::OnDisconnected(std::size_t client) {
  if (client >= nodes_.size()) return;
  if (nodes_[client].up) {
    nodes_[client].up = false;
    --up_;
    if (!closing_) ++disconnects_;
  }
  nodes_[client].in_flight.clear();
}

void LoadRunner::OnPublishAcked(std::size_t client, std::uint32_t token) {
  if (client >= nodes_.size()) return;
  ++acked_;
  auto& q = nodes_[client].in_flight;
  const auto it =
      std::find_if(q.begin(), q.end(), [token](const auto& e) { return e.first == token; });
  if (it == q.end()) return;
  const double ms = Seconds(Clock::now() - it->second) * 1000.0;
  q.erase(it);
  ++latency_seen_;
  if (latencies_ms_.size() < kLatencySamples) {
    latencies_ms_.push_back(ms);
  } else {
    // Reservoir sampling keeps the sample representative of the whole run.
    rng_state_ = rng_state_ * 6364136223846793005ull + 1442695040888963407ull;
    const std::uint64_t j = (rng_state_ >> 11) % latency_seen_;
    if (j < kLatencySamples) latencies_ms_[j] = ms;
  }
}

void LoadRunner::OnMessage(std::size_t, std::string_view, std::string_view) {}

std::string LoadRunner::Payload(Node& n, Clock::time_point now) {
  const auto dt = n.last_step == Clock::time_point{}
                      ? std::chrono::milliseconds(0)
                      : std::chrono::duration_cast<std::chrono::milliseconds>(now - n.last_step);
  n.last_step = now;
  const std::int64_t unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  n.pit.Step(dt, static_cast<double>((unix_ms / 1000) % 86400) / 3600.0);
  const PitConditions& c = n.pit.conditions();
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"ts\":%lld,\"values\":{\"temperature\":%.2f,\"humidity\":%.1f,"
                "\"pressure\":%.1f,\"pm25\":%.0f,\"pm10\":%.0f}}",
                static_cast<long long>(unix_ms), c.temperature_c, c.humidity_pct, c.pressure_hpa,
                c.pm25, c.pm10);
  return buf;
}

std::string LoadRunner::Run(const volatile std::sig_atomic_t& stop) {
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  const std::size_t n = nodes_.size();

  // Connect.
  const auto connect_start = Clock::now();
  std::size_t issued = 0;
  while (!stop && up_ < n && Clock::now() - connect_start < options_.connect_timeout) {
    const double elapsed = Seconds(Clock::now() - connect_start);
    const auto due =
        std::min<std::size_t>(n, static_cast<std::size_t>(elapsed * options_.connect_rate) + 1);
    for (; issued < due; ++issued) {
      LinkAction a;
      a.kind = LinkAction::Kind::kConnect;
      a.topic = "sw/d/" + nodes_[issued].uid + "/status";
      a.payload = R"({"online":false})";
      a.qos = 1;
      a.retain = true;
      transport_.Execute(issued, a);
    }
    transport_.Poll(std::chrono::milliseconds(1));
  }
  const double connect_s = Seconds(Clock::now() - connect_start);
  const std::size_t connected = up_;

  // Send.
  const auto t0 = Clock::now();
  const std::uint64_t total = static_cast<std::uint64_t>(
      std::llround(options_.rate * std::chrono::duration<double>(options_.duration).count()));
  std::uint64_t k = 0;
  while (!stop && k < total && n > 0) {
    const auto now = Clock::now();
    const auto due = std::min<std::uint64_t>(
        total, static_cast<std::uint64_t>(Seconds(now - t0) * options_.rate) + 1);
    for (; k < due; ++k) {
      const std::size_t i = static_cast<std::size_t>(k % n);
      Node& node = nodes_[i];
      if (!node.up) {
        ++skipped_;
        continue;
      }
      LinkAction a;
      a.kind = LinkAction::Kind::kPublish;
      a.topic = "sw/d/" + node.uid + "/telemetry";
      a.payload = Payload(node, now);
      a.qos = options_.qos;
      if (options_.qos > 0) {
        if (next_token_ == 0) next_token_ = 1;  // 0 means "no acknowledgement wanted"
        a.token = next_token_++;
      }
      transport_.Execute(i, a);
      ++sent_;
      if (a.token != 0) node.in_flight.emplace_back(a.token, now);
    }
    transport_.Poll(std::chrono::milliseconds(1));
  }
  const double send_s = Seconds(Clock::now() - t0);

  // Drain.
  const auto drain_start = Clock::now();
  const auto outstanding = [&] {
    std::size_t o = 0;
    for (const Node& node : nodes_) o += node.in_flight.size();
    return o;
  };
  while (!stop && options_.qos > 0 && outstanding() > 0 &&
         Clock::now() - drain_start < options_.drain_timeout) {
    transport_.Poll(std::chrono::milliseconds(5));
  }
  const double drain_s = Seconds(Clock::now() - drain_start);
  const std::size_t unacked = options_.qos > 0 ? outstanding() : 0;

  closing_ = true;
  for (std::size_t i = 0; i < n; ++i) {
    LinkAction a;
    a.kind = LinkAction::Kind::kDisconnect;
    transport_.Execute(i, a);
  }
  transport_.Poll(std::chrono::milliseconds(50));

  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  const auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  const double user_s = tv(after.ru_utime) - tv(before.ru_utime);
  const double sys_s = tv(after.ru_stime) - tv(before.ru_stime);
  const TransportStats& ts = transport_.stats();

  std::string j = "{\"mode\":\"load\"";
  j += ",\"devices\":" + std::to_string(n);
  j += ",\"connected\":" + std::to_string(connected);
  j += ",\"connect_s\":" + Fixed(connect_s);
  j += ",\"qos\":" + std::to_string(options_.qos);
  j += ",\"target_rate\":" + Fixed(options_.rate);
  j += ",\"duration_s\":" + Fixed(send_s);
  j += ",\"sent\":" + std::to_string(sent_);
  j += ",\"skipped_not_connected\":" + std::to_string(skipped_);
  j += ",\"publish_errors\":" + std::to_string(ts.publish_errors);
  j += ",\"acked\":" + std::to_string(acked_);
  j += ",\"unacked\":" + std::to_string(unacked);
  j += ",\"disconnects\":" + std::to_string(disconnects_);
  j += ",\"achieved_rate\":" + Fixed(send_s > 0 ? static_cast<double>(sent_) / send_s : 0.0);
  j += ",\"drain_s\":" + Fixed(drain_s);
  j += ",\"ack_latency_ms\":{\"p50\":" + Fixed(Percentile(latencies_ms_, 50)) +
       ",\"p90\":" + Fixed(Percentile(latencies_ms_, 90)) +
       ",\"p99\":" + Fixed(Percentile(latencies_ms_, 99)) +
       ",\"max\":" + Fixed(Percentile(latencies_ms_, 100)) + "}";
  j += ",\"sim_cpu_s\":{\"user\":" + Fixed(user_s) + ",\"system\":" + Fixed(sys_s) + "}";
  j += "}";
  return j;
}

}  // namespace sw::sim
