// sitewatch: the server and its admin subcommands.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string_view>

#include "app/commands.hpp"
#include "app/settings.hpp"

extern char** environ;

namespace {

constexpr const char* kUsage =
    "usage: sitewatch <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve         run the server (HTTP API, console, MQTT broker)\n"
    "  migrate       apply database migrations and exit\n"
    "  backup        --out FILE: consistent copy of the live database\n"
    "  demo          create the demo workshop and print its logins\n"
    "  user          create | reset-password | list  (operators)\n"
    "  permissions   print the role permission table (Markdown)\n"
    "  config-example  print an example config file listing every option\n"
    "\n"
    "`sitewatch serve --help` lists every option; options also come from a config file\n"
    "(--config or SITEWATCH_CONFIG) and SITEWATCH_* environment variables.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  sw::app::Args args(argv + 2, argv + argc);
  sw::app::Env env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv = *e;
    if (kv.rfind("SITEWATCH_", 0) != 0) continue;
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  if (command == "serve") return sw::app::Serve(args, env);
  if (command == "migrate") return sw::app::MigrateCommand(args, env);
  if (command == "backup") return sw::app::BackupCommand(args, env);
  if (command == "demo") return sw::app::DemoCommand(args, env);
  if (command == "user") return sw::app::UserCommand(args, env);
  if (command == "permissions") return sw::app::PermissionsCommand(args, env);
  if (command == "config-example") {
    std::fputs(sw::app::RenderExampleConfig().c_str(), stdout);
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "sitewatch: unknown command '%s'\n\n%s", argv[1], kUsage);
  return 2;
}
