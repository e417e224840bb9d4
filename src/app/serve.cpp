// `sitewatch serve`: wires the platform to the HTTP server and runs until SIGINT/SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "app/commands.hpp"
#include "app/platform.hpp"
#include "app/settings.hpp"
#include "common/log.hpp"
#include "http/api.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"

namespace sw::app {
namespace {

// Written atomically (temp file + rename) so a reader never sees half a file.
Status WriteReadyFile(const std::string& path, int http_port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    // The MQTT broker is not built yet (issue 4): its port is reported as null until then.
    out << "{\"http_port\": " << http_port << ", \"mqtt_port\": null, \"pid\": " << ::getpid()
        << "}\n";
    if (!out) return MakeError(Errc::kUnavailable, "cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeError(Errc::kUnavailable, "cannot rename " + tmp + " to " + path);
  }
  return Ok{};
}

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

  http::Router router(http::Router::Deps{platform->auth(), platform->store(), platform->metrics(),
                                         platform->clock(),
                                         static_cast<int>(settings.api_rate_limit_per_minute)});
  http::RegisterApi(router,
                    http::ApiDeps{platform->auth(), platform->tenancy(), platform->devices(),
                                  platform->store(), platform->metrics(),
                                  [&platform] { return platform->store().Ping(); }, kOpenApiJson});
  const http::StaticFiles console(settings.http_web_root);
  router.SetFallback([&console](const http::Request& req) { return console.Serve(req); });
  http::ServerOptions options;
  options.address = settings.http_address;
  options.port = static_cast<std::uint16_t>(settings.http_port);
  options.threads = static_cast<int>(settings.http_threads);
  options.body_limit = static_cast<std::size_t>(settings.http_body_limit_bytes);
  options.idle_timeout = std::chrono::seconds(settings.http_idle_timeout_s);
  options.max_connections = static_cast<std::size_t>(settings.http_max_connections);
  http::HttpServer server(router, platform->metrics(), options);
  auto port = server.Listen();
  if (!port.ok()) {
    log::Error("cannot start", {{"error", port.error().message}});
    return 1;
  }
  server.Start();
  log::Info("sitewatch listening", {{"http", settings.http_address + ":" + std::to_string(*port)},
                                    {"data_dir", settings.data_dir}});
  if (!settings.ready_file.empty()) {
    if (auto s = WriteReadyFile(settings.ready_file, *port); !s.ok()) {
      log::Error("cannot write ready file", {{"error", s.error().message}});
      server.Shutdown(std::chrono::milliseconds(0));
      server.Wait();
      return 1;
    }
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::Info("stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  server.Shutdown();
  server.Wait();
  if (auto s = platform->store().Checkpoint(); !s.ok()) {
    log::Warn("checkpoint on shutdown failed", {{"error", s.error().message}});
  }
  log::Info("stopped");
  return 0;
}

}  // namespace sw::app
