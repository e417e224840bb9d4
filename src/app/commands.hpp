// The `sitewatch` subcommands. Each takes the arguments after its name and the
// SITEWATCH_* environment, and returns the process exit code.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace sw::app {

using Args = std::vector<std::string>;
using Env = std::map<std::string, std::string>;

int Serve(const Args& args, const Env& env);
int MigrateCommand(const Args& args, const Env& env);
int BackupCommand(const Args& args, const Env& env);
int DemoCommand(const Args& args, const Env& env);
int UserCommand(const Args& args, const Env& env);
int PermissionsCommand(const Args& args, const Env& env);

// The embedded OpenAPI document (api/openapi.json).
extern const char kOpenApiJson[];

}  // namespace sw::app
