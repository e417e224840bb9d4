// sitewatch-sim: simulated Sitewatch devices (the firmware cores of firmware/ with simulated
// physics, loads and radio) against a server over real MQTT or, for pit nodes that poll, the
// HTTP device API. See sim/README.md.
//
//   sitewatch-sim --demo --devices-file FILE [--port 1883] [--transport http --http-port 8080]
//   sitewatch-sim --scenario FILE --devices-file FILE [--port 1883]
//   sitewatch-sim --load --devices-file FILE --devices N --rate R [--duration 10s] [--qos 1]
//   sitewatch-sim --provision --workshop-slug S --provisioning-key K --credentials-out FILE
//                 --nodes N [--ccus M] [--demo | --scenario FILE]
#include <fcntl.h>
#include <mosquitto.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model/ccu.hpp"
#include "model/demo.hpp"
#include "model/fleet.hpp"
#include "model/pit_node.hpp"
#include "model/provision.hpp"
#include "model/scenario.hpp"
#include "model/world.hpp"
#include "net/http_transport.hpp"
#include "net/load_runner.hpp"
#include "net/mqtt_transport.hpp"

namespace sw::sim {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop = 0;

void OnSignal(int) {
  g_stop = 1;
}

constexpr const char* kUsage =
    "usage: sitewatch-sim MODE [options]\n"
    "modes:\n"
    "  --demo                 the demo workshop's devices, live, until stopped\n"
    "  --scenario FILE        run FILE (\"at <time> <target> <command>\" lines) to its end\n"
    "  --load                 --devices N sessions at --rate R messages/s for --duration\n"
    "  --provision            new devices get their credentials through the provisioning\n"
    "                         flow, then run (with --demo, --scenario FILE, or live until\n"
    "                         stopped or --duration)\n"
    "provisioning:\n"
    "  --workshop-slug S --provisioning-key K   the workshop's provisioning login\n"
    "  --credentials-out FILE approved devices are appended to FILE (\"uid secret kind\");\n"
    "                         devices already in it are not provisioned again\n"
    "  --nodes N --ccus M     how many pit nodes (PREFIX-NODE-i) and CCUs (PREFIX-CCU-i)\n"
    "  --uid-prefix PREFIX    the new devices' uids (SIM)\n"
    "  --approval-timeout D   how long a device waits for an owner's approval (10m)\n"
    "options:\n"
    "  --devices-file FILE    credentials, \"uid secret kind\" per line (sitewatch demo writes "
    "it)\n"
    "  --host H --port P      the server's MQTT listener (127.0.0.1:1883)\n"
    "  --transport mqtt|http  how pit nodes talk to the server (mqtt; a devices file line may\n"
    "                         say transport=http per node); CCUs always use MQTT\n"
    "  --http-port P          the server's HTTP API port, for HTTP nodes (8080)\n"
    "  --interval S           telemetry interval of nodes and CCUs in seconds (5)\n"
    "  --duration D           stop after D (scenario default 1h; load default 10s; demo and\n"
    "                         live: none)\n"
    "  --relays on|off        outlets' sockets on after boot (demo: on, otherwise off)\n"
    "  --breaker-limit-ma N   the CCUs' local breaker limit (20000)\n"
    "  --radio-loss P --radio-interference P --radio-delay D   the outlets' radio channel\n"
    "                         (demo default: 2 % loss, 1 % interference; otherwise none)\n"
    "  --seed N               for reproducible physics and radio (1)\n"
    "  --devices N --rate R --qos 0|1 --connect-rate R        load mode\n"
    "  --exit-with-parent     stop when the parent process exits (make run)\n"
    "  --verbose              log every scenario command and connection change\n";

struct Options {
  std::string mode;
  std::string scenario_file;
  std::string devices_file;
  std::string host = "127.0.0.1";
  int port = 1883;
  int http_port = 8080;
  bool http_nodes = false;  // --transport http: every pit node polls over HTTP
  std::uint32_t interval_s = 5;
  std::optional<SimTime> duration;
  std::optional<bool> relays;
  std::uint32_t breaker_limit_ma = 20000;
  RadioParams radio;
  bool radio_set = false;  // any --radio-* option given
  std::uint64_t seed = 1;
  LoadOptions load;
  bool exit_with_parent = false;
  bool verbose = false;
  // --provision
  bool provision = false;
  std::string workshop_slug;
  std::string provisioning_key;
  std::string credentials_out;
  std::size_t nodes = 0;
  std::size_t ccus = 0;
  std::string uid_prefix = "SIM";
  SimTime approval_timeout{10 * 60 * 1000};
};

bool ValidPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > 40) return false;
  for (char c : prefix) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void Log(const char* fmt, const std::string& text) {
  std::fprintf(stderr, "sitewatch-sim: ");
  std::fprintf(stderr, fmt, text.c_str());
  std::fputc('\n', stderr);
}

std::optional<std::string> ReadFile(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > 16u * 1024 * 1024) {
    *error = path + " is larger than 16 MiB";
    return std::nullopt;
  }
  return ss.str();
}

std::optional<Options> ParseArgs(int argc, char** argv, std::string* error) {
  Options o;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) {
        *error = a + " needs a value";
        return std::nullopt;
      }
      return args[++i];
    };
    const auto number = [&](double lo, double hi) -> std::optional<double> {
      auto v = value();
      if (!v) return std::nullopt;
      auto n = ParseNumber(*v);
      if (!n || *n < lo || *n > hi) {
        *error = a + " must be a number from " + std::to_string(lo) + " to " + std::to_string(hi);
        return std::nullopt;
      }
      return n;
    };
    const auto duration = [&]() -> std::optional<SimTime> {
      auto v = value();
      if (!v) return std::nullopt;
      auto d = ParseDuration(*v);
      if (!d || *d > Scenario::kMaxTime) {
        *error = a + " must be a duration such as 90s or 10m";
        return std::nullopt;
      }
      return d;
    };
    if (a == "--demo" || a == "--load") {
      o.mode = a.substr(2);
    } else if (a == "--scenario") {
      auto v = value();
      if (!v) return std::nullopt;
      o.mode = "scenario";
      o.scenario_file = *v;
    } else if (a == "--devices-file") {
      auto v = value();
      if (!v) return std::nullopt;
      o.devices_file = *v;
    } else if (a == "--host") {
      auto v = value();
      if (!v) return std::nullopt;
      o.host = *v;
    } else if (a == "--port") {
      auto v = number(1, 65535);
      if (!v) return std::nullopt;
      o.port = static_cast<int>(*v);
    } else if (a == "--http-port") {
      auto v = number(1, 65535);
      if (!v) return std::nullopt;
      o.http_port = static_cast<int>(*v);
    } else if (a == "--transport") {
      auto v = value();
      if (!v) return std::nullopt;
      if (*v != "mqtt" && *v != "http") {
        *error = "--transport must be mqtt or http";
        return std::nullopt;
      }
      o.http_nodes = *v == "http";
    } else if (a == "--interval") {
      auto v = number(1, 86400);
      if (!v) return std::nullopt;
      o.interval_s = static_cast<std::uint32_t>(*v);
    } else if (a == "--duration") {
      auto v = duration();
      if (!v) return std::nullopt;
      o.duration = *v;
    } else if (a == "--relays") {
      auto v = value();
      if (!v) return std::nullopt;
      o.relays = ParseOnOff(*v);
      if (!o.relays) {
        *error = "--relays must be on or off";
        return std::nullopt;
      }
    } else if (a == "--breaker-limit-ma") {
      auto v = number(100, 200000);
      if (!v) return std::nullopt;
      o.breaker_limit_ma = static_cast<std::uint32_t>(*v);
    } else if (a == "--radio-loss" || a == "--radio-interference") {
      auto v = number(0, 1);
      if (!v) return std::nullopt;
      (a == "--radio-loss" ? o.radio.loss : o.radio.interference) = *v;
      o.radio_set = true;
    } else if (a == "--radio-delay") {
      auto v = duration();
      if (!v) return std::nullopt;
      o.radio.delay = *v;
      o.radio_set = true;
    } else if (a == "--seed") {
      auto v = number(0, 1e15);
      if (!v) return std::nullopt;
      o.seed = static_cast<std::uint64_t>(*v);
    } else if (a == "--devices") {
      auto v = number(1, static_cast<double>(LoadOptions::kMaxDevices));
      if (!v) return std::nullopt;
      o.load.devices = static_cast<std::size_t>(*v);
    } else if (a == "--rate") {
      auto v = number(0.1, LoadOptions::kMaxRate);
      if (!v) return std::nullopt;
      o.load.rate = *v;
    } else if (a == "--qos") {
      auto v = number(0, 1);
      if (!v) return std::nullopt;
      o.load.qos = static_cast<int>(*v);
    } else if (a == "--connect-rate") {
      auto v = number(1, 100000);
      if (!v) return std::nullopt;
      o.load.connect_rate = *v;
    } else if (a == "--provision") {
      o.provision = true;
    } else if (a == "--workshop-slug" || a == "--provisioning-key" || a == "--credentials-out" ||
               a == "--uid-prefix") {
      auto v = value();
      if (!v) return std::nullopt;
      (a == "--workshop-slug"      ? o.workshop_slug
       : a == "--provisioning-key" ? o.provisioning_key
       : a == "--credentials-out"  ? o.credentials_out
                                   : o.uid_prefix) = *v;
    } else if (a == "--nodes" || a == "--ccus") {
      auto v = number(0, 1000);
      if (!v) return std::nullopt;
      (a == "--nodes" ? o.nodes : o.ccus) = static_cast<std::size_t>(*v);
    } else if (a == "--approval-timeout") {
      auto v = duration();
      if (!v) return std::nullopt;
      o.approval_timeout = *v;
    } else if (a == "--exit-with-parent") {
      o.exit_with_parent = true;
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      *error = "unknown option " + a;
      return std::nullopt;
    }
  }
  if (o.http_nodes && o.mode == "load") {
    // Two connections per device for up to 50 000 devices, and telemetry answered only after
    // the commit: the load mode measures the MQTT path only.
    *error = "--transport http does not run with --load (the load mode is MQTT only)";
    return std::nullopt;
  }
  if (o.provision) {
    if (o.mode == "load") {
      *error = "--provision runs with --demo, --scenario FILE or alone, not with --load";
      return std::nullopt;
    }
    if (o.mode.empty()) o.mode = "live";
    if (o.workshop_slug.empty() || o.provisioning_key.empty() || o.credentials_out.empty()) {
      *error = "--provision needs --workshop-slug, --provisioning-key and --credentials-out";
      return std::nullopt;
    }
    if (!o.devices_file.empty()) {
      *error = "--provision reads and appends --credentials-out; leave out --devices-file";
      return std::nullopt;
    }
    if (o.nodes + o.ccus == 0) {
      *error = "--provision needs --nodes N and/or --ccus M";
      return std::nullopt;
    }
    if (!ValidPrefix(o.uid_prefix)) {
      *error = "--uid-prefix may hold 1 to 40 letters, digits, _ and -";
      return std::nullopt;
    }
    return o;
  }
  if (o.nodes + o.ccus > 0 || !o.credentials_out.empty()) {
    *error = "--nodes, --ccus and --credentials-out belong to --provision";
    return std::nullopt;
  }
  if (o.mode.empty()) {
    *error = "choose a mode: --demo, --scenario FILE, --load or --provision";
    return std::nullopt;
  }
  if (o.devices_file.empty()) {
    *error = "--devices-file is required";
    return std::nullopt;
  }
  return o;
}

std::int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Forwards the transport's events to the world at the current simulation time.
class WorldSink final : public TransportSink {
 public:
  WorldSink(World& world, const SimTime& now, bool verbose)
      : world_(world), now_(now), verbose_(verbose) {}
  void OnConnected(std::size_t c) override {
    if (verbose_) Log("%s connected", world_.device(c).uid());
    world_.OnConnected(now_, c);
  }
  void OnDisconnected(std::size_t c) override {
    if (verbose_) Log("%s disconnected", world_.device(c).uid());
    world_.OnDisconnected(now_, c);
  }
  void OnPublishAcked(std::size_t c, std::uint32_t token) override {
    world_.OnPublishAcked(now_, c, token);
  }
  void OnMessage(std::size_t c, std::string_view topic, std::string_view payload) override {
    if (verbose_) Log("received %s", std::string(topic) + " " + std::string(payload));
    world_.OnMessage(now_, c, topic, payload);
  }

 private:
  World& world_;
  const SimTime& now_;
  bool verbose_;
};

// Routes each device (the world's client index) to its transport, MQTT or HTTP, and the
// transports' events back to the world under the world's index.
class NetRouter final : public Transport {
 public:
  NetRouter(MqttTransport& mqtt, HttpTransport& http)
      : mqtt_(mqtt), http_(http), mqtt_sink_(*this, false), http_sink_(*this, true) {}
  ~NetRouter() override {
    mqtt_.SetSink(nullptr);
    http_.SetSink(nullptr);
  }
  NetRouter(const NetRouter&) = delete;
  NetRouter& operator=(const NetRouter&) = delete;

  // Adds the next device (world index = routes_.size()).
  void Add(const Credential& c, bool http) {
    const std::size_t local =
        http ? http_.AddClient(c.uid, c.secret) : mqtt_.AddClient(c.uid, c.secret);
    (http ? http_global_ : mqtt_global_).push_back(routes_.size());
    routes_.push_back(Route{http, local});
  }
  void Execute(std::size_t client, const LinkAction& action) override {
    if (client >= routes_.size()) return;
    const Route& r = routes_[client];
    if (r.http) {
      http_.Execute(r.local, action);
    } else {
      mqtt_.Execute(r.local, action);
    }
  }
  void Poll(std::chrono::milliseconds timeout) {
    if (http_.size() == 0) {
      mqtt_.Poll(timeout);
    } else if (mqtt_.size() == 0) {
      http_.Poll(timeout);
    } else {
      mqtt_.Poll(std::chrono::milliseconds(0));
      http_.Poll(timeout);
    }
  }
  // Where the events go (world indices); nullptr: nowhere (the goodbye at the end).
  void SetSink(TransportSink* world) {
    world_ = world;
    mqtt_.SetSink(world ? &mqtt_sink_ : nullptr);
    http_.SetSink(world ? &http_sink_ : nullptr);
  }
  std::size_t http_devices() const { return http_.size(); }
  TransportStats stats() const {
    TransportStats t = mqtt_.stats();
    const TransportStats& h = http_.stats();
    t.connect_attempts += h.connect_attempts;
    t.connect_failures += h.connect_failures;
    t.publishes += h.publishes;
    t.publish_errors += h.publish_errors;
    t.acks += h.acks;
    t.messages += h.messages;
    t.disconnects += h.disconnects;
    t.refused += h.refused;
    t.skipped += h.skipped;
    return t;
  }

 private:
  struct Route {
    bool http = false;
    std::size_t local = 0;
  };
  class LocalSink final : public TransportSink {
   public:
    LocalSink(NetRouter& router, bool http) : router_(router), http_(http) {}
    void OnConnected(std::size_t c) override { router_.world_->OnConnected(Global(c)); }
    void OnDisconnected(std::size_t c) override { router_.world_->OnDisconnected(Global(c)); }
    void OnPublishAcked(std::size_t c, std::uint32_t token) override {
      router_.world_->OnPublishAcked(Global(c), token);
    }
    void OnMessage(std::size_t c, std::string_view topic, std::string_view payload) override {
      router_.world_->OnMessage(Global(c), topic, payload);
    }

   private:
    std::size_t Global(std::size_t local) const {
      return (http_ ? router_.http_global_ : router_.mqtt_global_)[local];
    }
    NetRouter& router_;
    bool http_;
  };

  MqttTransport& mqtt_;
  HttpTransport& http_;
  LocalSink mqtt_sink_;
  LocalSink http_sink_;
  TransportSink* world_ = nullptr;
  std::vector<Route> routes_;
  std::vector<std::size_t> mqtt_global_;
  std::vector<std::size_t> http_global_;
};

struct Fleet {
  std::vector<PitNode*> nodes;
  std::vector<Ccu*> ccus;
};

Fleet Populate(const Options& o, const FleetPlan& plan, const WallClock& wall, NetRouter& net,
               World& world) {
  Fleet fleet;
  const bool relays_on = o.relays.value_or(o.mode == "demo");
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    PitNodeOptions n;
    n.uid = plan.nodes[i].uid;
    n.interval_s = o.interval_s;
    n.seed = HashSeed(n.uid, o.seed);
    n.pit.mean_temperature_c = 20.5 + 0.8 * static_cast<double>(i % 4);
    n.pit.background_pm10 = 7.0 + 2.0 * static_cast<double>(i % 3);
    net.Add(plan.nodes[i], o.http_nodes || plan.nodes[i].http);
    auto node = std::make_unique<PitNode>(n, wall);
    fleet.nodes.push_back(node.get());
    world.Add(std::move(node));
  }
  for (std::size_t g = 0; g < plan.gateways.size(); ++g) {
    const GatewayPlan& gp = plan.gateways[g];
    CcuOptions c;
    c.uid = gp.credential.uid;
    for (std::size_t k = 0; k < gp.outlets.size(); ++k) {
      c.outlets.push_back(DefaultOutletPlan(g, k, gp.outlets[k]));
      for (std::uint8_t a : gp.legacy_outlets) c.outlets.back().legacy |= a == gp.outlets[k];
    }
    c.interval = SimTime(o.interval_s * 1000LL);
    c.breaker_limit_ma = o.breaker_limit_ma;
    c.relays_on_at_boot = relays_on;
    c.base_load_a = g % 2 == 0 ? 2.2 : 1.2;
    c.radio = o.radio;
    if (o.mode == "demo" && !o.radio_set) {
      c.radio.loss = 0.02;  // a real workshop's radio: a frame lost now and then (retried)
      c.radio.interference = 0.01;
    }
    c.seed = HashSeed(c.uid, o.seed);
    net.Add(gp.credential, false);  // the HTTP API cannot carry its outlets' telemetry
    auto ccu = std::make_unique<Ccu>(c, wall);
    fleet.ccus.push_back(ccu.get());
    world.Add(std::move(ccu));
  }
  return fleet;
}

std::string Summary(const std::string& mode, SimTime now, World& world, const Fleet& fleet,
                    const NetRouter& net) {
  RadioStats radio;
  OutletStats outlets;
  fw::UplinkCounters uplink;
  std::uint64_t stray = 0;
  for (Ccu* c : fleet.ccus) {
    const RadioStats& r = c->radio().stats();
    radio.frames += r.frames;
    radio.collided += r.collided;
    radio.interfered += r.interfered;
    radio.lost += r.lost;
    radio.delivered += r.delivered;
    stray += c->gateway().stray_frames();
    for (auto& o : c->outlets()) {
      outlets.trips += o->stats().trips;
      outlets.retries += o->stats().retries;
    }
    for (auto& o : c->legacy_outlets()) {
      outlets.trips += o->stats().trips;
      outlets.retries += o->stats().retries;
    }
    uplink.commands += c->uplink().counters().commands;
    uplink.answered += c->uplink().counters().answered;
    uplink.dropped_readings += c->uplink().counters().dropped_readings;
  }
  const WorldStats& w = world.stats();
  const TransportStats t = net.stats();
  std::string j = "{\"mode\":\"" + mode + "\"";
  j += ",\"sim_time_s\":" + std::to_string(now.count() / 1000);
  j += ",\"nodes\":" + std::to_string(fleet.nodes.size());
  j += ",\"ccus\":" + std::to_string(fleet.ccus.size());
  j += ",\"connects\":" + std::to_string(t.connect_attempts);
  j += ",\"connect_failures\":" + std::to_string(t.connect_failures);
  j += ",\"published\":" + std::to_string(t.publishes);
  j += ",\"acked\":" + std::to_string(t.acks);
  j += ",\"received\":" + std::to_string(t.messages);
  j += ",\"http_nodes\":" + std::to_string(net.http_devices());
  j += ",\"http_refused\":" + std::to_string(t.refused);
  j += ",\"http_skipped\":" + std::to_string(t.skipped);
  j += ",\"scenario_steps\":" + std::to_string(w.steps_applied);
  j += ",\"gateway_commands\":" + std::to_string(uplink.commands);
  j += ",\"gateway_answers\":" + std::to_string(uplink.answered);
  j += ",\"dropped_readings\":" + std::to_string(uplink.dropped_readings);
  j += ",\"radio\":{\"frames\":" + std::to_string(radio.frames) +
       ",\"collided\":" + std::to_string(radio.collided) +
       ",\"interfered\":" + std::to_string(radio.interfered) +
       ",\"lost\":" + std::to_string(radio.lost) + ",\"stray\":" + std::to_string(stray) + "}";
  j += ",\"outlet_trips\":" + std::to_string(outlets.trips);
  j += ",\"outlet_retries\":" + std::to_string(outlets.retries);
  j += ",\"errors\":[";
  for (std::size_t i = 0; i < world.errors().size(); ++i) {
    std::string e = world.errors()[i];
    for (char& ch : e) {
      if (ch == '"' || ch == '\\') ch = '\'';
    }
    j += (i ? ",\"" : "\"") + e + "\"";
  }
  j += "]}";
  return j;
}

int RunWorld(const Options& o, const FleetPlan& plan, std::optional<Scenario> scenario) {
  MqttTransport mqtt(o.host, o.port);
  HttpTransport http(o.host, o.http_port, [](const std::string& line) { Log("%s", line); });
  NetRouter transport(mqtt, http);
  World world(transport);
  const WallClock wall{UnixNowMs()};
  Fleet fleet = Populate(o, plan, wall, transport, world);
  SimTime now{0};
  WorldSink sink(world, now, o.verbose);
  transport.SetSink(&sink);
  if (scenario) world.SetScenario(std::move(*scenario));

  std::unique_ptr<DemoDirector> director;
  if (o.mode == "demo") {
    director = std::make_unique<DemoDirector>(o.seed);
    for (std::size_t i = 0; i < fleet.nodes.size(); ++i) {
      // The third pit of the demo workshop is its sanding and prep bay.
      const bool prep = i == 2 || (fleet.nodes.size() < 3 && i + 1 == fleet.nodes.size());
      director->AddPit(fleet.nodes[i]->uid(), prep);
    }
    for (std::size_t g = 0; g < fleet.ccus.size(); ++g) {
      DemoCcu d;
      Ccu& ccu = *fleet.ccus[g];
      d.uid = ccu.uid();
      d.base_min_a = g % 2 == 0 ? 1.5 : 0.8;
      d.base_max_a = g % 2 == 0 ? 3.0 : 1.5;
      for (auto& out : ccu.outlets()) {
        for (int i = 0; i < 2; ++i) {
          d.sockets.push_back(
              DemoSocket{ccu.OutletUidOf(out->address()), i == 0 ? "a" : "b", out->load(i).kind()});
        }
      }
      director->AddCcu(d);
    }
  }
  const SimTime limit =
      o.duration.value_or(o.mode == "scenario" ? SimTime(3600 * 1000) : Scenario::kMaxTime);
  constexpr SimTime kStep{5};
  constexpr int kMaxCatchUp = 200;
  const auto start = Clock::now();
  world.Boot(now);
  Log("%s",
      std::to_string(fleet.nodes.size()) + " pit nodes and " + std::to_string(fleet.ccus.size()) +
          " CCUs against " + o.host + ":" + std::to_string(o.port) +
          (transport.http_devices() > 0
               ? " (" + std::to_string(transport.http_devices()) +
                     " nodes over the HTTP device API on port " + std::to_string(o.http_port) + ")"
               : std::string()));
  std::vector<Command> commands;
  SimTime next_report = SimTime(60000);
  while (!g_stop && !world.finished() && now < limit) {
    const auto real = std::chrono::duration_cast<SimTime>(Clock::now() - start);
    int steps = 0;
    while (now + kStep <= real && steps < kMaxCatchUp) {
      now += kStep;
      ++steps;
      if (director) {
        commands.clear();
        director->Poll(now, &commands);
        for (const Command& c : commands) {
          std::string error;
          if (!world.Apply(now, c, &error)) Log("demo: %s", c.target + ": " + error);
          if (o.verbose) {
            std::string words;
            for (const auto& w : c.words) words += " " + w;
            Log("demo: %s", c.target + words);
          }
        }
      }
      world.Advance(now);
    }
    if (steps == kMaxCatchUp) now = real;  // far behind (suspended): skip ahead
    if (o.mode == "demo" && now >= next_report) {
      next_report = now + SimTime(60000);
      std::string line;
      for (Ccu* c : fleet.ccus) {
        line += c->uid() + " breaker " + std::to_string(c->breaker_ma()) + " mA; ";
      }
      for (PitNode* n : fleet.nodes) {
        line += n->uid() + " pm10 " + std::to_string(static_cast<int>(n->pit().conditions().pm10)) +
                "; ";
      }
      Log("%s", line);
    }
    const auto next = start + now + kStep;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
    transport.Poll(std::max(wait, std::chrono::milliseconds(0)));
  }
  for (const std::string& e : world.errors()) Log("scenario: %s", e);
  // A clean goodbye: DISCONNECT for every session (no wills), then a moment to send it.
  for (std::size_t i = 0; i < world.size(); ++i) {
    LinkAction a;
    a.kind = LinkAction::Kind::kDisconnect;
    transport.Execute(i, a);
  }
  transport.SetSink(nullptr);
  for (int i = 0; i < 10; ++i) transport.Poll(std::chrono::milliseconds(10));
  std::printf("%s\n", Summary(o.mode, now, world, fleet, transport).c_str());
  std::fflush(stdout);
  return world.errors().empty() ? 0 : 3;
}

// Forwards the provisioning sessions' events to the Provisioner.
class ProvisionSink final : public TransportSink {
 public:
  ProvisionSink(Provisioner& provisioner, const SimTime& now)
      : provisioner_(provisioner), now_(now) {}
  void OnConnected(std::size_t c) override { provisioner_.OnConnected(now_, c); }
  void OnDisconnected(std::size_t c) override { provisioner_.OnDisconnected(now_, c); }
  void OnPublishAcked(std::size_t, std::uint32_t) override {}
  void OnMessage(std::size_t c, std::string_view topic, std::string_view payload) override {
    provisioner_.OnMessage(now_, c, topic, payload);
  }

 private:
  Provisioner& provisioner_;
  const SimTime& now_;
};

// Appends one line to the credentials file (created 0600: it holds secrets).
bool AppendCredential(const std::string& path, const std::string& line, std::string* error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot open " + path;
    return false;
  }
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) *error = "cannot write " + path;
  return ok;
}

// --provision: the devices to simulate, PREFIX-NODE-i and PREFIX-CCU-i. Those already in
// --credentials-out keep their credentials; the others go through the provisioning flow
// (all at once, each waiting up to --approval-timeout) and each approved device is appended
// to the file as its credentials arrive. Returns the credentials of every device that has
// them (target order); nullopt with *error when the file cannot be read.
std::optional<std::vector<Credential>> Provision(const Options& o, std::string* error) {
  std::vector<Credential> existing;
  std::string text;
  if (::access(o.credentials_out.c_str(), F_OK) == 0) {
    auto read = ReadFile(o.credentials_out, error);
    if (!read) return std::nullopt;
    text = std::move(*read);
    auto parsed = ParseCredentials(text, error);
    if (!parsed) {
      *error = o.credentials_out + ": " + *error;
      return std::nullopt;
    }
    existing = std::move(*parsed);
  }
  std::vector<ProvisionTarget> all;
  for (std::size_t i = 1; i <= o.nodes; ++i) {
    all.push_back({o.uid_prefix + "-NODE-" + std::to_string(i), "sensor_node"});
  }
  for (std::size_t i = 1; i <= o.ccus; ++i) {
    all.push_back({o.uid_prefix + "-CCU-" + std::to_string(i), "gateway"});
  }
  std::map<std::string, Credential> have;
  std::vector<ProvisionTarget> todo;
  for (const ProvisionTarget& t : all) {
    auto it = std::find_if(existing.begin(), existing.end(),
                           [&](const Credential& c) { return c.uid == t.uid; });
    if (it != existing.end()) {
      Log("%s", t.uid + ": already in " + o.credentials_out + ", not provisioned again");
      have[t.uid] = *it;
    } else {
      todo.push_back(t);
    }
  }
  if (!todo.empty()) {
    // A file without a final newline would glue the first appended line to its last one.
    bool need_newline = !text.empty() && text.back() != '\n';
    MqttTransport transport(o.host, o.port);
    const std::string username = std::string(kProvisioningUserPrefix) + o.workshop_slug;
    for (const ProvisionTarget& t : todo) transport.AddClient(t.uid, username, o.provisioning_key);
    Provisioner provisioner(todo, o.approval_timeout, transport,
                            [](const std::string& line) { Log("%s", line); });
    SimTime now{0};
    ProvisionSink sink(provisioner, now);
    transport.SetSink(&sink);
    Log("%s", "provisioning " + std::to_string(todo.size()) + " devices as " + username + " on " +
                  o.host + ":" + std::to_string(o.port));
    const auto start = Clock::now();
    provisioner.Start(now);
    while (!g_stop && !provisioner.finished()) {
      transport.Poll(std::chrono::milliseconds(100));
      now = std::chrono::duration_cast<SimTime>(Clock::now() - start);
      provisioner.Advance(now);
      for (std::size_t i : provisioner.TakeApproved()) {
        const Credential& c = provisioner.credential(i);
        std::string line = CredentialLine(c);
        if (need_newline) line.insert(line.begin(), '\n');
        std::string write_error;
        if (AppendCredential(o.credentials_out, line, &write_error)) {
          need_newline = false;
          Log("%s", c.uid + ": credentials appended to " + o.credentials_out);
        } else {
          Log("%s", c.uid + ": " + write_error + "; its secret is lost when the sim stops");
        }
        have[c.uid] = c;
      }
    }
    // Let the DISCONNECTs of the provisioning sessions go out before the devices log in.
    transport.SetSink(nullptr);
    for (int i = 0; i < 10; ++i) transport.Poll(std::chrono::milliseconds(10));
  }
  std::vector<Credential> out;
  for (const ProvisionTarget& t : all) {
    auto it = have.find(t.uid);
    if (it != have.end()) out.push_back(it->second);
  }
  return out;
}

int Main(int argc, char** argv) {
  std::string error;
  const auto options = ParseArgs(argc, argv, &error);
  if (!options) {
    std::fprintf(stderr, "sitewatch-sim: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  const Options& o = *options;
  if (o.exit_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);

  std::optional<Scenario> scenario;
  if (o.mode == "scenario") {
    const auto scenario_text = ReadFile(o.scenario_file, &error);
    if (scenario_text) scenario = ParseScenario(*scenario_text, &error);
    if (!scenario) {
      std::fprintf(stderr, "sitewatch-sim: %s: %s\n", o.scenario_file.c_str(), error.c_str());
      return 2;
    }
  }
  mosquitto_lib_init();
  std::optional<std::vector<Credential>> credentials;
  if (o.provision) {
    credentials = Provision(o, &error);
  } else {
    const auto text = ReadFile(o.devices_file, &error);
    if (text) credentials = ParseCredentials(*text, &error);
  }
  if (!credentials) {
    std::fprintf(stderr, "sitewatch-sim: %s\n", error.c_str());
    mosquitto_lib_cleanup();
    return 2;
  }
  if (o.provision && (credentials->empty() || g_stop)) {
    if (!g_stop) Log("%s", "no device has credentials; nothing to run");
    mosquitto_lib_cleanup();
    return g_stop ? 0 : 4;
  }
  int code = 0;
  if (o.mode == "load") {
    std::vector<Credential> nodes;
    for (const Credential& c : *credentials) {
      if (c.kind == "sensor_node") nodes.push_back(c);
    }
    if (nodes.size() < o.load.devices) {
      std::fprintf(stderr, "sitewatch-sim: --devices %zu but %s has %zu sensor nodes\n",
                   o.load.devices, o.devices_file.c_str(), nodes.size());
      mosquitto_lib_cleanup();
      return 2;
    }
    LoadOptions lo = o.load;
    lo.duration = o.duration.value_or(SimTime(10000));
    if (lo.duration > LoadOptions::kMaxDuration) lo.duration = LoadOptions::kMaxDuration;
    lo.seed = o.seed;
    {
      MqttTransport transport(o.host, o.port);
      LoadRunner runner(lo, transport, nodes);
      std::printf("%s\n", runner.Run(g_stop).c_str());
      std::fflush(stdout);
    }
  } else {
    const FleetPlan plan = PlanFleet(*credentials);
    for (const std::string& s : plan.skipped) Log("skipped %s", s);
    code = RunWorld(o, plan, std::move(scenario));
  }
  mosquitto_lib_cleanup();
  return code;
}

}  // namespace
}  // namespace sw::sim

int main(int argc, char** argv) {
  return sw::sim::Main(argc, argv);
}
