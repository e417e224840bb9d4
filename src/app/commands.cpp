#include "app/commands.hpp"

#include <cstdio>
#include <iostream>
#include <set>

#include "app/platform.hpp"
#include "app/settings.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/time_format.hpp"
#include "core/permissions.hpp"

namespace sw::app {
namespace {

struct Loaded {
  Settings settings;
  std::map<std::string, std::string> extra;  // subcommand flags, e.g. --out
};

// Splits off the subcommand's own flags (`--name value` / `--name=value`), then loads the
// settings from the rest. Prints the error and returns nullopt on failure.
std::optional<Loaded> Load(const Args& args, const Env& env,
                           const std::set<std::string>& extra_flags, const char* command) {
  Loaded out;
  Args rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const auto eq = a.find('=');
    const std::string name = a.substr(0, eq);
    if (a.rfind("--", 0) == 0 && extra_flags.contains(name)) {
      if (eq != std::string::npos) {
        out.extra[name] = a.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        out.extra[name] = args[++i];
      } else {
        std::fprintf(stderr, "sitewatch %s: %s needs a value\n", command, name.c_str());
        return std::nullopt;
      }
      continue;
    }
    rest.push_back(a);
  }
  auto settings = LoadSettings(rest, env);
  if (!settings.ok()) {
    std::fprintf(stderr, "sitewatch %s: %s\n", command, settings.error().message.c_str());
    return std::nullopt;
  }
  out.settings = std::move(settings).value();
  log::Level level = log::Level::kInfo;
  log::ParseLevel(out.settings.log_level, level);
  log::Configure(level,
                 out.settings.log_format == "json" ? log::Format::kJson : log::Format::kText);
  return out;
}

std::unique_ptr<Platform> OpenPlatform(const Settings& s, const char* command) {
  auto p = Platform::Open(s);
  if (!p.ok()) {
    std::fprintf(stderr, "sitewatch %s: %s\n", command, p.error().message.c_str());
    return nullptr;
  }
  return std::move(p).value();
}

bool NoPositional(const Settings& s, const char* command) {
  if (s.positional_args.empty()) return true;
  std::fprintf(stderr, "sitewatch %s: unexpected argument '%s'\n", command,
               s.positional_args.front().c_str());
  return false;
}

}  // namespace

int MigrateCommand(const Args& args, const Env& env) {
  auto loaded = Load(args, env, {}, "migrate");
  if (!loaded || !NoPositional(loaded->settings, "migrate")) return 2;
  auto platform = OpenPlatform(loaded->settings, "migrate");
  if (!platform) return 1;
  std::printf("database %s is at schema version %d\n",
              Platform::DatabasePath(loaded->settings).c_str(),
              storage::sqlite::Database::LatestSchemaVersion());
  return 0;
}

int BackupCommand(const Args& args, const Env& env) {
  auto loaded = Load(args, env, {"--out"}, "backup");
  if (!loaded || !NoPositional(loaded->settings, "backup")) return 2;
  const auto out = loaded->extra.find("--out");
  if (out == loaded->extra.end() || out->second.empty()) {
    std::fputs("sitewatch backup: --out FILE is required\n", stderr);
    return 2;
  }
  if (FILE* f = std::fopen(out->second.c_str(), "r")) {
    std::fclose(f);
    std::fprintf(stderr, "sitewatch backup: %s exists; refusing to overwrite it\n",
                 out->second.c_str());
    return 1;
  }
  auto platform = OpenPlatform(loaded->settings, "backup");
  if (!platform) return 1;
  if (auto s = platform->store().BackupTo(out->second); !s.ok()) {
    std::fprintf(stderr, "sitewatch backup: %s\n", s.error().message.c_str());
    return 1;
  }
  std::printf("backup written to %s\n", out->second.c_str());
  return 0;
}

int PermissionsCommand(const Args&, const Env&) {
  std::fputs(core::RenderPermissionTable().c_str(), stdout);
  return 0;
}

// The demo's devices: a sensor node per pit and two gateways (CCUs) with two outlets each.
// Their secrets go to `path` (one "uid secret kind" line each) for the simulator
// (sitewatch-sim --demo), which plugs a heat gun, lights, a compressor and chargers into
// the first CCU's outlets and lights, a dehumidifier, a dust extractor and a second heat gun
// into the second's.
bool RegisterDemoDevices(Platform& platform, WorkshopId ws, const std::vector<core::Pit>& pits,
                         const std::string& path) {
  const auto system = core::TenancyService::System();
  std::vector<core::DeviceDraft> drafts;
  for (const core::Pit& pit : pits) {
    core::DeviceDraft d;
    d.uid = "DEMO-NODE-" + std::to_string(pit.number);
    d.kind = core::DeviceKind::kSensorNode;
    d.pit_id = pit.id;
    d.name = "Climate node, " + pit.name;
    d.report_interval_s = 5;
    drafts.push_back(d);
  }
  struct DemoGateway {
    const char* uid;
    const char* name;
    const char* outlets[2];
  };
  for (const DemoGateway& g :
       {DemoGateway{"DEMO-CCU-1", "Main breaker gateway", {"Heat gun and lights", "Compressor"}},
        DemoGateway{"DEMO-CCU-2",
                    "Prep bay breaker gateway",
                    {"Lights and dehumidifier", "Extractor and heat gun"}}}) {
    core::DeviceDraft gateway;
    gateway.uid = g.uid;
    gateway.kind = core::DeviceKind::kGateway;
    gateway.name = g.name;
    gateway.report_interval_s = 5;
    drafts.push_back(gateway);
    for (int address : {1, 2}) {
      core::DeviceDraft outlet;
      outlet.kind = core::DeviceKind::kOutlet;
      outlet.parent_uid = g.uid;
      outlet.radio_address = address;
      outlet.name = g.outlets[address - 1];
      outlet.report_interval_s = 5;
      drafts.push_back(outlet);
    }
  }
  std::string lines;
  for (const core::DeviceDraft& d : drafts) {
    auto r = platform.devices().Register(system, ws, d);
    if (!r.ok()) {
      std::fprintf(stderr, "sitewatch demo: %s\n", r.error().message.c_str());
      return false;
    }
    lines += r->device.uid + " " + r->secret + " " +
             std::string(core::DeviceKindName(r->device.kind)) + "\n";
  }
  if (path.empty()) return true;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f || std::fputs(lines.c_str(), f) < 0 || std::fclose(f) != 0) {
    std::fprintf(stderr, "sitewatch demo: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

int DemoCommand(const Args& args, const Env& env) {
  auto loaded = Load(args, env, {"--devices-file"}, "demo");
  if (!loaded || !NoPositional(loaded->settings, "demo")) return 2;
  auto platform = OpenPlatform(loaded->settings, "demo");
  if (!platform) return 1;
  auto admin = platform->auth().EnsureInitialAdmin(loaded->settings.init_admin_password);
  if (!admin.ok()) {
    std::fprintf(stderr, "sitewatch demo: %s\n", admin.error().message.c_str());
    return 1;
  }
  if (admin->has_value()) {
    if (loaded->settings.init_admin_password.empty()) {
      std::printf("super_admin   admin / %s   (temporary: change it at first login)\n",
                  (*admin)->c_str());
    } else {
      std::puts("super_admin   admin / (the password from init_admin_password)");
    }
  }
  auto& svc = platform->tenancy();
  const auto system = core::TenancyService::System();
  auto existing = platform->store().SlugExists("demo-ppf-studio");
  if (existing.ok() && *existing) {
    std::puts(
        "The demo workshop exists already; reset a demo password with\n"
        "  sitewatch user reset-password --username demo-owner");
    return 0;
  }
  core::WorkshopDraft draft;
  draft.name = "Demo PPF Studio";
  draft.timezone = "Europe/Berlin";
  draft.address = "Werkstattstrasse 1, Berlin";
  auto ws = svc.CreateWorkshop(system, draft);
  if (!ws.ok()) {
    std::fprintf(stderr, "sitewatch demo: %s\n", ws.error().message.c_str());
    return 1;
  }
  std::vector<core::Pit> pits;
  for (int n = 1; n <= 3; ++n) {
    core::PitDraft pit;
    pit.number = n;
    pit.name = "Pit " + std::to_string(n);
    pit.description = n == 3 ? "Sanding and prep bay" : "PPF application bay";
    auto r = svc.CreatePit(system, ws->id, pit);
    if (!r.ok()) {
      std::fprintf(stderr, "sitewatch demo: %s\n", r.error().message.c_str());
      return 1;
    }
    pits.push_back(*r);
  }
  auto devices_file = loaded->extra.find("--devices-file");
  if (!RegisterDemoDevices(*platform, ws->id, pits,
                           devices_file == loaded->extra.end() ? "" : devices_file->second)) {
    return 1;
  }
  std::printf("Demo workshop \"%s\" (id %lld) with 3 pits and 9 devices\n", ws->name.c_str(),
              static_cast<long long>(ws->id.value));
  for (auto [name, role] :
       {std::pair{"demo-owner", core::Role::kOwner}, std::pair{"demo-staff", core::Role::kStaff}}) {
    core::UserDraft u;
    u.username = name;
    u.role = role;
    u.workshop_id = ws->id;
    u.full_name = role == core::Role::kOwner ? "Demo Owner" : "Demo Staff";
    u.password = platform->crypto().RandomToken(12);
    auto created = svc.CreateUser(system, u);
    if (!created.ok()) {
      std::fprintf(stderr, "sitewatch demo: %s\n", created.error().message.c_str());
      return 1;
    }
    std::printf("%-13s %s / %s\n", std::string(core::RoleName(role)).c_str(), name,
                u.password.c_str());
  }
  return 0;
}

int UserCommand(const Args& args, const Env& env) {
  auto loaded =
      Load(args, env, {"--username", "--role", "--workshop", "--password", "--email"}, "user");
  if (!loaded) return 2;
  const auto& pos = loaded->settings.positional_args;
  const std::string action = pos.empty() ? "" : pos.front();
  if (pos.size() > 1 || (action != "create" && action != "reset-password" && action != "list")) {
    std::fputs(
        "usage: sitewatch user create --username NAME --role ROLE [--workshop ID|SLUG] "
        "[--password PW] [--email E]\n"
        "       sitewatch user reset-password --username NAME [--password PW]\n"
        "       sitewatch user list [--workshop ID|SLUG]\n",
        stderr);
    return 2;
  }
  auto platform = OpenPlatform(loaded->settings, "user");
  if (!platform) return 1;
  auto& extra = loaded->extra;
  auto& svc = platform->tenancy();
  const auto system = core::TenancyService::System();

  std::optional<WorkshopId> workshop;
  if (auto it = extra.find("--workshop"); it != extra.end()) {
    if (auto id = ParseInt64(it->second)) {
      workshop = WorkshopId{*id};
    } else {
      auto page = platform->store().ListWorkshops(core::Scope::All(), {1, 100000}, false);
      if (page.ok()) {
        for (const auto& w : page->items) {
          if (w.slug == it->second) workshop = w.id;
        }
      }
      if (!workshop) {
        std::fprintf(stderr, "sitewatch user: no workshop '%s'\n", it->second.c_str());
        return 1;
      }
    }
  }

  if (action == "list") {
    core::UserFilter filter;
    filter.workshop_id = workshop;
    auto page = svc.ListUsers(system, filter, {1, 100000});
    if (!page.ok()) {
      std::fprintf(stderr, "sitewatch user: %s\n", page.error().message.c_str());
      return 1;
    }
    std::printf("%-6s %-24s %-12s %-9s %s\n", "id", "username", "role", "workshop", "state");
    for (const auto& u : page->items) {
      std::printf("%-6lld %-24s %-12s %-9s %s\n", static_cast<long long>(u.id.value),
                  u.username.c_str(), std::string(core::RoleName(u.role)).c_str(),
                  u.workshop_id ? std::to_string(u.workshop_id->value).c_str() : "-",
                  !u.active              ? "inactive"
                  : u.temporary_password ? "temporary-password"
                                         : "active");
    }
    return 0;
  }

  const auto username = extra.find("--username");
  if (username == extra.end()) {
    std::fputs("sitewatch user: --username is required\n", stderr);
    return 2;
  }
  const auto password = extra.find("--password");
  if (action == "create") {
    core::UserDraft d;
    d.username = username->second;
    const auto role = extra.find("--role");
    const auto parsed = role == extra.end() ? std::nullopt : core::ParseRole(role->second);
    if (!parsed) {
      std::fputs("sitewatch user: --role must be super_admin, owner, staff or customer\n", stderr);
      return 2;
    }
    d.role = *parsed;
    d.workshop_id = workshop;
    if (password != extra.end()) d.password = password->second;
    if (auto e = extra.find("--email"); e != extra.end()) d.email = e->second;
    auto created = svc.CreateUser(system, d);
    if (!created.ok()) {
      std::fprintf(stderr, "sitewatch user: %s%s%s\n", created.error().message.c_str(),
                   created.error().field.empty() ? "" : " — ", created.error().field.c_str());
      return 1;
    }
    std::printf("created user %s (id %lld)\n", created->user.username.c_str(),
                static_cast<long long>(created->user.id.value));
    if (created->temporary_password) {
      std::printf("temporary password: %s (must be changed at first login)\n",
                  created->temporary_password->c_str());
    }
    return 0;
  }
  // reset-password
  auto user = platform->store().FindUserByUsername(username->second);
  if (!user.ok() || !user->has_value()) {
    std::fprintf(stderr, "sitewatch user: no user '%s'\n", username->second.c_str());
    return 1;
  }
  std::optional<std::string> chosen;
  if (password != extra.end()) chosen = password->second;
  auto reset = svc.ResetPassword(system, (*user)->id, chosen);
  if (!reset.ok()) {
    std::fprintf(stderr, "sitewatch user: %s\n", reset.error().message.c_str());
    return 1;
  }
  std::printf("password of %s reset; all their sessions ended\n", (*user)->username.c_str());
  if (reset->temporary_password) {
    std::printf("temporary password: %s (must be changed at next login)\n",
                reset->temporary_password->c_str());
  }
  return 0;
}

}  // namespace sw::app
