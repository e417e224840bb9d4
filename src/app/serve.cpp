// `sitewatch serve`: wires the platform to the HTTP server and runs until SIGINT/SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "app/command_bridge.hpp"
#include "app/commands.hpp"
#include "app/device_authenticator.hpp"
#include "app/device_bridge.hpp"
#include "app/integration_bridge.hpp"
#include "app/jobs.hpp"
#include "app/live_wiring.hpp"
#include "app/platform.hpp"
#include "app/provisioning_bridge.hpp"
#include "app/settings.hpp"
#include "broker/auth.hpp"
#include "broker/broker.hpp"
#include "broker/server.hpp"
#include "common/log.hpp"
#include "core/outlet_sync.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "storage/sqlite/broker_store.hpp"

namespace sw::app {
namespace {

// Written atomically (temp file + rename) so a reader never sees half a file.
Status WriteReadyFile(const std::string& path, int http_port, int mqtt_port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "{\"http_port\": " << http_port << ", \"mqtt_port\": " << mqtt_port
        << ", \"pid\": " << ::getpid() << "}\n";
    if (!out) return MakeError(Errc::kUnavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeError(Errc::kUnavailable, "cannot rename " + tmp + " to " + path);
  }
  return Ok{};
}

// The broker's persistence port on the SQLite broker store (storage cannot see broker/).
class BrokerStoreAdapter final : public broker::BrokerStore {
 public:
  explicit BrokerStoreAdapter(storage::sqlite::SqliteBrokerStore& store) : store_(store) {}
  Status PutRetained(std::string_view topic, std::string_view blob) override {
    return store_.PutRetained(topic, blob);
  }
  Status DeleteRetained(std::string_view topic) override { return store_.DeleteRetained(topic); }
  Result<std::vector<broker::KeyedBlob>> LoadRetained() override { return store_.LoadRetained(); }
  Status ReplaceSessions(const std::vector<broker::KeyedBlob>& sessions) override {
    return store_.ReplaceSessions(sessions);
  }
  Status UpdateSessions(const std::vector<broker::KeyedBlob>& put,
                        const std::vector<std::string>& removed) override {
    return store_.UpdateSessions(put, removed);
  }
  Result<std::vector<broker::KeyedBlob>> LoadSessions() override { return store_.LoadSessions(); }

 private:
  storage::sqlite::SqliteBrokerStore& store_;
};

}  // namespace

int Serve(const Args& args, const Env& env) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs("usage: sitewatch serve [options]\n\n", stdout);
      std::fputs(RenderHelp().c_str(), stdout);
      return 0;
    }
  }
  auto loaded = LoadSettings(args, env);
  if (!loaded.ok()) {
    std::fprintf(stderr, "sitewatch serve: %s\n", loaded.error().message.c_str());
    return 2;
  }
  const Settings settings = std::move(loaded).value();
  if (!settings.positional_args.empty()) {
    std::fprintf(stderr, "sitewatch serve: unexpected argument '%s'\n",
                 settings.positional_args.front().c_str());
    return 2;
  }
  log::Level level = log::Level::kInfo;
  log::ParseLevel(settings.log_level, level);
  log::Configure(level, settings.log_format == "json" ? log::Format::kJson : log::Format::kText);

  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto opened = Platform::Open(settings);
  if (!opened.ok()) {
    log::Error("cannot start", {{"error", opened.error().message}});
    return 1;
  }
  auto platform = std::move(opened).value();
  auto admin = platform->auth().EnsureInitialAdmin(settings.init_admin_password);
  if (!admin.ok()) {
    log::Error("cannot create the first administrator", {{"error", admin.error().message}});
    return 1;
  }
  if (admin->has_value()) {
    if (settings.init_admin_password.empty()) {
      std::printf(
          "\nFirst start: created super_admin 'admin' with password %s\n"
          "(shown once; it must be changed at first login)\n\n",
          (*admin)->c_str());
    } else {
      std::printf(
          "\nFirst start: created super_admin 'admin' (password from init_admin_password)\n\n");
    }
    std::fflush(stdout);
  }

  // The MQTT broker: routing engine + Asio shell, started beside the HTTP server.
  broker::BrokerMetrics broker_metrics(platform->metrics());
  DeviceAuthenticator authenticator(platform->devices(), platform->clock(),
                                    settings.mqtt_allow_anonymous);
  broker::BrokerOptions broker_options;
  broker_options.max_queued_messages = static_cast<std::size_t>(settings.mqtt_max_queued_messages);
  broker_options.max_session_expiry_s =
      static_cast<std::uint32_t>(settings.mqtt_max_session_expiry_s);
  broker_options.sys_interval = std::chrono::seconds(settings.mqtt_sys_interval_s);
  broker_options.version = "sitewatch";
  auto sqlite_broker_store = storage::sqlite::SqliteBrokerStore::Open(
      Platform::DatabasePath(settings), static_cast<int>(settings.storage_sqlite_busy_timeout_ms));
  if (!sqlite_broker_store.ok()) {
    log::Error("cannot open the MQTT broker store",
               {{"error", sqlite_broker_store.error().message}});
    return 1;
  }
  BrokerStoreAdapter broker_store(**sqlite_broker_store);
  broker::Broker broker(authenticator, broker_metrics, broker_options, &broker_store);
  if (auto s = broker.Restore(platform->clock().Now()); !s.ok()) {
    log::Error("cannot restore the MQTT broker state", {{"error", s.error().message}});
    return 1;
  }
  broker::ServerOptions mqtt_options;
  mqtt_options.address = settings.mqtt_address;
  mqtt_options.port = static_cast<std::uint16_t>(settings.mqtt_port);
  mqtt_options.threads = static_cast<int>(settings.mqtt_threads);
  mqtt_options.max_connections = static_cast<std::size_t>(settings.mqtt_max_connections);
  mqtt_options.max_packet_size = static_cast<std::size_t>(settings.mqtt_max_packet_size);
  mqtt_options.max_inflight = static_cast<std::uint16_t>(settings.mqtt_max_inflight);
  mqtt_options.receive_maximum = static_cast<std::uint16_t>(settings.mqtt_receive_maximum);
  mqtt_options.max_queued_messages = static_cast<std::size_t>(settings.mqtt_max_queued_messages);
  mqtt_options.max_queued_bytes = static_cast<std::size_t>(settings.mqtt_max_queued_bytes);
  mqtt_options.publish_rate_per_s = static_cast<std::uint32_t>(settings.mqtt_publish_rate_per_s);
  mqtt_options.connect_failures_per_minute =
      static_cast<std::uint32_t>(settings.mqtt_connect_failures_per_minute);
  mqtt_options.tls_port = static_cast<std::uint16_t>(settings.mqtt_tls_port);
  mqtt_options.tls_cert_file = settings.mqtt_tls_cert_file;
  mqtt_options.tls_key_file = settings.mqtt_tls_key_file;
  http::ServerOptions options;
  options.address = settings.http_address;
  options.port = static_cast<std::uint16_t>(settings.http_port);
  options.threads = static_cast<int>(settings.http_threads);
  options.body_limit = static_cast<std::size_t>(settings.http_body_limit_bytes);
  options.idle_timeout = std::chrono::seconds(settings.http_idle_timeout_s);
  options.max_connections = static_cast<std::size_t>(settings.http_max_connections);
  // The live-event hub (/api/v1/ws, docs/LIVE.md) is fed by the ingest writer and presence.
  const auto live_hub = WireLiveEvents(*platform, options);
  ConnectLiveProducers(*platform, *live_hub);

  // The device data path: broker -> bridge -> ingest (writer thread) -> telemetry store.
  platform->ingest().Start();
  struct StopIngest {  // on every way out, before the hub it feeds goes away
    Platform& platform;
    ~StopIngest() { platform.ingest().Stop(); }
  } stop_ingest{*platform};
  DeviceBridge bridge(broker, authenticator, platform->store(), platform->ingest(),
                      platform->presence(), platform->clock(), platform->metrics());
  bridge.Start();
  // New devices announcing with the workshop's provisioning key (sw/provision/...).
  ProvisioningBridge provisioning(broker, authenticator, platform->devices(), platform->clock(),
                                  platform->metrics());
  provisioning.Start();
  // Commands to devices: stored, delivered on sw/d/{uid}/cmd with re-sends, results back.
  core::CommandOptions command_options;
  command_options.max_long_polls = std::max(1, static_cast<int>(settings.http_threads) - 1);
  command_options.per_user_per_minute = static_cast<int>(settings.commands_per_user_per_minute);
  core::CommandService commands(platform->store(), platform->store(), platform->crypto(),
                                platform->clock(), command_options);
  core::OutletService outlets(platform->store(), platform->store(), platform->store(), commands,
                              platform->ingest(), platform->presence());
  ConnectCommandEvents(commands, *live_hub);
  // The gateways' outlet registries follow the device registry (sync_outlets): at once when an
  // outlet is registered or retired, and when a gateway reports an outdated "outlets_rev".
  core::OutletSync outlet_sync(platform->store(), platform->store(), commands, platform->clock());
  platform->devices().SetOutletsChangedListener([&outlet_sync](const std::string& gateway_uid) {
    if (auto s = outlet_sync.OutletsChanged(gateway_uid); !s.ok()) {
      log::Warn("outlet registry sync not queued",
                {{"gateway", gateway_uid}, {"error", s.error().message}});
    }
  });
  bridge.SetOutletsRevisionHook([&outlet_sync](const core::Device& gateway, std::int64_t rev) {
    outlet_sync.Reported(gateway.uid, rev);
  });
  CommandBridge command_bridge(broker, commands, platform->store(), platform->presence(),
                               platform->clock(), platform->metrics());
  command_bridge.Start();
  // MQTT integrations (Home Assistant, Node-RED...): their ACL sees the device directory's
  // current workshop of each device; their command requests become ordinary commands.
  authenticator.EnableIntegrations(platform->integrations(),
                                   [&bridge](const std::string& uid) -> std::optional<WorkshopId> {
                                     auto device = bridge.directory().Find(uid);
                                     if (!device) return std::nullopt;
                                     return device->workshop_id;
                                   });
  IntegrationBridge integration_bridge(broker, authenticator, platform->integrations(), commands,
                                       platform->store(), platform->clock(), platform->metrics());
  integration_bridge.Start();
  // WAL checkpoints run here, never inside a request's commit (a command's delivery waited
  // for the fsyncs of one every few dozen commands: bench/commands_bench.sh).
  if (auto s = platform->store().DeferCheckpoints(); !s.ok()) {
    log::Warn("cannot defer WAL checkpoints", {{"error", s.error().message}});
  }
  PeriodicJobs jobs;
  jobs.Add("storage.checkpoint", std::chrono::seconds(1), [&platform] {
    if (auto s = platform->store().CheckpointPassive(); !s.ok()) {
      log::Warn("WAL checkpoint failed", {{"error", s.error().message}});
    }
  });
  jobs.Add("commands.deliver", std::chrono::seconds(1),
           [&command_bridge] { command_bridge.Tick(); });
  jobs.Add("outlets.sync", std::chrono::seconds(1), [&outlet_sync] { outlet_sync.RunReported(); });
  jobs.Add("presence.sweep", std::chrono::seconds(1),
           [&platform] { platform->presence().Sweep(platform->clock().Now()); });
  jobs.Add("presence.flush", std::chrono::seconds(15), [&bridge] { bridge.FlushPresence(); });
  jobs.Add("devices.refresh", std::chrono::seconds(1), [&bridge] { bridge.directory().Refresh(); });
  jobs.Add("integrations.refresh", std::chrono::seconds(1),
           [&authenticator] { authenticator.RefreshIntegrations(); });
  jobs.Add(
      "telemetry.retention", std::chrono::hours(1),
      [&platform] {
        if (auto s = platform->ApplyRetention(); !s.ok()) {
          log::Warn("telemetry retention failed", {{"error", s.error().message}});
        }
      },
      std::chrono::minutes(1));
  jobs.Start();

  broker::MqttServer mqtt(broker, authenticator, broker_metrics, platform->clock(), mqtt_options);
  auto mqtt_port = mqtt.Listen();
  if (!mqtt_port.ok()) {
    log::Error("cannot start", {{"error", mqtt_port.error().message}});
    return 1;
  }
  // MQTT over WebSocket (/mqtt on the HTTP port): the HTTP server does the handshake and hands
  // the connection to the broker, which serves it like a TCP one.
  if (settings.mqtt_websocket) {
    options.mqtt_websocket = [&mqtt](int native_socket, std::string early_bytes) {
      mqtt.AdoptWebSocket(native_socket, std::move(early_bytes));
    };
  }

  http::Router router(http::Router::Deps{platform->auth(), platform->store(), platform->metrics(),
                                         platform->clock(),
                                         static_cast<int>(settings.api_rate_limit_per_minute)});
  http::RegisterApi(
      router, http::ApiDeps{platform->auth(), platform->tenancy(), platform->devices(),
                            platform->store(), platform->metrics(),
                            [&platform, &mqtt]() -> Status {
                              SW_TRY(platform->store().Ping());
                              if (!mqtt.Running()) {
                                return MakeError(Errc::kUnavailable,
                                                 "the MQTT broker is not running");
                              }
                              return Ok{};
                            },
                            kOpenApiJson, &platform->ingest(), &platform->telemetry(),
                            &platform->presence(), &platform->clock(),
                            [&provisioning](const std::string& uid, const std::string& payload) {
                              return provisioning.PublishCredentials(uid, payload);
                            },
                            &commands, &outlets, &platform->integrations()});
  const http::StaticFiles console(settings.http_web_root);
  router.SetFallback([&console](const http::Request& req) { return console.Serve(req); });
  http::HttpServer server(router, platform->metrics(), options);
  auto port = server.Listen();
  if (!port.ok()) {
    log::Error("cannot start", {{"error", port.error().message}});
    return 1;
  }
  server.Start();
  mqtt.Start();
  log::Info("sitewatch listening",
            {{"http", settings.http_address + ":" + std::to_string(*port)},
             {"mqtt", settings.mqtt_address + ":" + std::to_string(*mqtt_port)},
             {"data_dir", settings.data_dir}});
  if (mqtt.TlsPort() != 0) {
    log::Info("mqtt tls listening",
              {{"mqtt_tls", settings.mqtt_address + ":" + std::to_string(mqtt.TlsPort())}});
  }
  if (!settings.ready_file.empty()) {
    if (auto s = WriteReadyFile(settings.ready_file, *port, *mqtt_port); !s.ok()) {
      log::Error("cannot write ready file", {{"error", s.error().message}});
      server.Shutdown(std::chrono::milliseconds(0));
      server.Wait();
      mqtt.Shutdown(std::chrono::milliseconds(0));
      mqtt.Wait();
      return 1;
    }
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::Info("stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  commands.Shutdown();  // wakes long polls
  server.Shutdown();
  mqtt.Shutdown();
  server.Wait();
  mqtt.Wait();
  jobs.Stop();
  bridge.SetOutletsRevisionHook(nullptr);
  platform->devices().SetOutletsChangedListener(nullptr);
  integration_bridge.Stop();
  command_bridge.Stop();
  bridge.Stop();              // a last presence flush
  platform->ingest().Stop();  // writes what is still queued
  if (auto s = broker.SaveSessions(platform->clock().Now()); !s.ok()) {
    log::Warn("saving MQTT sessions on shutdown failed", {{"error", s.error().message}});
  }
  if (auto s = platform->store().Checkpoint(); !s.ok()) {
    log::Warn("checkpoint on shutdown failed", {{"error", s.error().message}});
  }
  log::Info("stopped");
  return 0;
}

}  // namespace sw::app
