// ingest_load: the telemetry ingest load generator of bench/ingest_bench.sh.
//
//   ingest_load mqtt --port P --credentials FILE [--messages 100] [--window 32]
//       One MQTT 3.1.1 connection per device of FILE ("uid secret" per line), each sending
//       `messages` QoS 1 telemetry PUBLISHes of 8 sensor values (a realistic sensor-node
//       payload) with `window` unacknowledged at a time. Sitewatch acknowledges a QoS 1
//       telemetry message only after its readings are committed, so acknowledged readings/s
//       is durable readings/s. Prints one JSON object.
//   ingest_load ceiling --db PATH --devices N [--messages 100] [--batch 20000] [--sync full]
//       The same rows written straight into SQLite (one table with the readings' primary key,
//       prepared statement, each batch sorted by that key and committed in one transaction,
//       WAL): the ceiling for any SQLite-backed ingest of these rows.
//
// Bounded: every wait gives up after a stall of 10 s.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "protocol/codec.hpp"
#include "raw_mqtt.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kValuesPerMessage = 8;
// Readings of one device are 10 s apart (a sensor node's report interval): the load replays
// 10 s of a workshop chain's life per round as fast as the server takes it.
constexpr std::int64_t kIntervalMs = 10'000;
const char* const kMetrics[kValuesPerMessage] = {
    "temperature", "humidity", "pressure", "pm1", "pm25", "pm10", "iaq", "gas_resistance"};

std::map<std::string, std::string> ParseArgs(int argc, char** argv) {
  std::map<std::string, std::string> out;
  for (int i = 2; i + 1 < argc; i += 2) out[argv[i]] = argv[i + 1];
  return out;
}

long Arg(const std::map<std::string, std::string>& args, const std::string& name, long def) {
  auto it = args.find(name);
  return it == args.end() ? def : std::atol(it->second.c_str());
}

std::string StrArg(const std::map<std::string, std::string>& args, const std::string& name) {
  auto it = args.find(name);
  return it == args.end() ? std::string() : it->second;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "ingest_load: %s\n", what.c_str());
  std::exit(1);
}

std::int64_t BaseTs() {
  // Ten minutes ago, whole seconds: every message of a device gets its own second.
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return (now - 600'000) / 1000 * 1000;
}

// A plausible value of metric k for device d at message m.
double Value(int k, long d, long m) {
  const double wobble = static_cast<double>((d * 7 + m * 13) % 100) / 100.0;
  switch (k) {
    case 0: return 21.0 + wobble * 4;
    case 1: return 45.0 + wobble * 10;
    case 2: return 1005.0 + wobble * 5;
    case 3: return 3.0 + wobble;
    case 4: return 6.0 + wobble * 3;
    case 5: return 9.0 + wobble * 5;
    case 6: return 60.0 + wobble * 40;
    default: return 120000.0 + wobble * 1000;
  }
}

std::string Payload(long d, long m, std::int64_t ts) {
  std::string p = "{\"ts\":" + std::to_string(ts) + ",\"values\":{";
  char num[32];
  for (int k = 0; k < kValuesPerMessage; ++k) {
    std::snprintf(num, sizeof num, "%.2f", Value(k, d, m));
    if (k) p += ',';
    p += '"';
    p += kMetrics[k];
    p += "\":";
    p += num;
  }
  p += "}}";
  return p;
}

struct Device {
  std::string uid;
  std::string secret;
  int fd = -1;
  long sent = 0;
  long acked = 0;
  std::string in;
  std::string topic;
};

int Connect(int port, const Device& d) {
  const int fd = sw::bench::RawMqttConnect(port, d.uid, d.uid, d.secret);
  if (fd < 0) Die("connect failed (file descriptor limit?)");
  return fd;
}

void ReadConnack(int fd) {
  const int code = sw::bench::ReadConnackCode(fd);
  if (code < 0) Die("no CONNACK");
  if (code != 0) Die("CONNECT refused (code " + std::to_string(code) + ")");
}

bool SendPublish(Device& d, std::int64_t base, long index) {
  sw::mqtt::Publish p;
  p.topic = d.topic;
  p.qos = sw::mqtt::QoS::kAtLeastOnce;
  p.packet_id = static_cast<std::uint16_t>(index % 65000 + 1);
  const long device_number = std::atol(d.uid.c_str() + d.uid.find_last_of('-') + 1);
  p.payload = Payload(device_number, index, base + index * kIntervalMs);
  std::string bytes;
  if (!sw::mqtt::Encode(p, sw::mqtt::ProtocolVersion::kV311, bytes).ok()) Die("encode PUBLISH");
  std::size_t off = 0;
  while (off < bytes.size()) {
    const auto n = ::send(d.fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{d.fd, POLLOUT, 0};
      ::poll(&pfd, 1, 100);  // the window keeps this rare and short
      continue;
    }
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  ++d.sent;
  return true;
}

int Mqtt(const std::map<std::string, std::string>& args) {
  const int port = static_cast<int>(Arg(args, "--port", 1883));
  const long messages = Arg(args, "--messages", 100);
  const long window = Arg(args, "--window", 32);
  std::ifstream creds(StrArg(args, "--credentials"));
  if (!creds) Die("--credentials FILE is required");
  std::vector<Device> devices;
  for (Device d; creds >> d.uid >> d.secret;) {
    d.topic = "sw/d/" + d.uid + "/telemetry";
    devices.push_back(d);
  }
  if (devices.empty()) Die("no devices in the credentials file");
  for (std::size_t i = 0; i < devices.size(); ++i) {
    devices[i].fd = Connect(port, devices[i]);
    if ((i + 1) % 200 == 0 || i + 1 == devices.size()) {
      for (std::size_t k = i - (i % 200); k <= i; ++k) ReadConnack(devices[k].fd);
    }
  }
  const int ep = ::epoll_create1(0);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    ::fcntl(devices[i].fd, F_SETFL, ::fcntl(devices[i].fd, F_GETFL) | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, devices[i].fd, &ev);
  }
  const std::int64_t base = BaseTs() - messages * kIntervalMs;
  const long total = messages * static_cast<long>(devices.size());
  long acked_total = 0;
  const auto start = Clock::now();
  for (Device& d : devices) {
    while (d.sent < std::min(window, messages)) {
      if (!SendPublish(d, base, d.sent)) Die("send failed");
    }
  }
  auto last_progress = Clock::now();
  std::vector<epoll_event> events(256);
  char buf[65536];
  while (acked_total < total) {
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    if (n <= 0) {
      if (Clock::now() - last_progress > 10s) break;
      continue;
    }
    for (int e = 0; e < n; ++e) {
      Device& d = devices[events[static_cast<std::size_t>(e)].data.u64];
      for (;;) {
        const auto got = ::recv(d.fd, buf, sizeof buf, 0);
        if (got > 0) {
          d.in.append(buf, static_cast<std::size_t>(got));
          continue;
        }
        if (got == 0) Die("server closed a connection");
        break;
      }
      std::size_t off = 0;
      long acks = 0;
      while (d.in.size() - off >= 4 && static_cast<unsigned char>(d.in[off]) == 0x40) {
        ++acks;
        off += 4;
      }
      d.in.erase(0, off);
      if (acks == 0) continue;
      last_progress = Clock::now();
      d.acked += acks;
      acked_total += acks;
      while (d.sent < messages && d.sent - d.acked < window) {
        if (!SendPublish(d, base, d.sent)) Die("send failed");
      }
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const long readings = acked_total * kValuesPerMessage;
  std::printf(
      "{\"mode\":\"mqtt\",\"devices\":%zu,\"messages\":%ld,\"acked\":%ld,\"readings\":%ld,"
      "\"seconds\":%.3f,\"readings_per_s\":%.0f}\n",
      devices.size(), total, acked_total, readings, seconds, seconds > 0 ? readings / seconds : 0);
  for (Device& d : devices) ::close(d.fd);
  ::close(ep);
  return acked_total == total ? 0 : 1;
}

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    Die(std::string("sqlite: ") + (err ? err : "?"));
  }
}

int Ceiling(const std::map<std::string, std::string>& args) {
  const std::string path = StrArg(args, "--db");
  const long devices = Arg(args, "--devices", 1000);
  const long messages = Arg(args, "--messages", 100);
  const long batch = Arg(args, "--batch", 20000);
  const bool full = StrArg(args, "--sync") != "normal";
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("cannot open " + path);
  Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  // The telemetry store's writer settings (src/storage/sqlite/telemetry_store.hpp).
  Exec(db, "PRAGMA cache_size=-65536");
  Exec(db, "PRAGMA wal_autocheckpoint=10000");
  Exec(db,
       "CREATE TABLE readings (device_id INTEGER NOT NULL, metric_id INTEGER NOT NULL, "
       "ts INTEGER NOT NULL, value REAL NOT NULL, flags INTEGER NOT NULL DEFAULT 0, "
       "PRIMARY KEY (device_id, metric_id, ts)) WITHOUT ROWID");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO readings VALUES (?1, ?2, ?3, ?4, 0)", -1, &st,
                     nullptr);
  const std::int64_t base = BaseTs() - messages * kIntervalMs;
  struct Row {
    std::int64_t device, metric, ts;
    double value;
  };
  std::vector<Row> rows_buf;
  rows_buf.reserve(static_cast<std::size_t>(batch));
  long rows = 0;
  // A good bulk insert: each batch sorted by the primary key, like the store does.
  auto flush = [&] {
    std::sort(rows_buf.begin(), rows_buf.end(), [](const Row& a, const Row& b) {
      return std::tie(a.device, a.metric, a.ts) < std::tie(b.device, b.metric, b.ts);
    });
    Exec(db, "BEGIN");
    for (const Row& r : rows_buf) {
      sqlite3_bind_int64(st, 1, r.device);
      sqlite3_bind_int64(st, 2, r.metric);
      sqlite3_bind_int64(st, 3, r.ts);
      sqlite3_bind_double(st, 4, r.value);
      if (sqlite3_step(st) != SQLITE_DONE) Die("insert failed");
      sqlite3_reset(st);
    }
    Exec(db, "COMMIT");
    rows += static_cast<long>(rows_buf.size());
    rows_buf.clear();
  };
  const auto start = Clock::now();
  // The order the ingest sees: every device's message m, then m + 1.
  for (long m = 0; m < messages; ++m) {
    for (long d = 1; d <= devices; ++d) {
      for (int k = 0; k < kValuesPerMessage; ++k) {
        rows_buf.push_back(Row{d, k + 1, base + m * kIntervalMs, Value(k, d, m)});
        if (static_cast<long>(rows_buf.size()) == batch) flush();
      }
    }
  }
  if (!rows_buf.empty()) flush();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sqlite3_finalize(st);
  sqlite3_close(db);
  std::printf("{\"mode\":\"ceiling\",\"readings\":%ld,\"seconds\":%.3f,\"readings_per_s\":%.0f}\n",
              rows, seconds, seconds > 0 ? rows / seconds : 0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ingest_load mqtt|ceiling [options]\n");
    return 2;
  }
  const std::string mode = argv[1];
  const auto args = ParseArgs(argc, argv);
  if (mode == "mqtt") return Mqtt(args);
  if (mode == "ceiling") return Ceiling(args);
  std::fprintf(stderr, "ingest_load: unknown mode %s\n", mode.c_str());
  return 2;
}
