// Settings: every configuration key of the sitewatch server, declared once in OptionTable().
//
// The table is the single source of truth: defaults, bounds, allowed values, help text,
// environment variable names, flag names, the example config file and validation are all
// derived from it (the Redis config.c habit). Adding a key = one Settings field + one row.
//
// Sources, lowest to highest precedence:
//   built-in defaults < config file < SITEWATCH_* environment < command-line flags.
// The config file is named by `--config PATH` (or `--config=PATH`), else SITEWATCH_CONFIG;
// without either no file is read, and a file named but missing is an error.
//   file:  `key = value` per line; a line whose first non-blank is `#` is a comment; blank
//          lines are skipped; a value may be wrapped in double quotes (inside them `\"` and
//          `\\` are escapes, so quoted values keep `#`, `=` and outer spaces). No inline
//          comments. A key set twice in one file is an error.
//   env:   SITEWATCH_ + key upper-cased, '.' -> '_'          (SITEWATCH_HTTP_PORT)
//   flags: -- + key with '.' and '_' -> '-'                 (--http-port 80, --http-port=80)
//          bool flags: bare `--flag` is true; `--flag=V` or `--flag V` with V one of
//          true/false/1/0/yes/no/on/off (any case). Repeated flags: the last one wins.
//          `--` ends the flags. Arguments that are not flags are returned as positional_args.
// Unknown keys are errors in every source (file, SITEWATCH_* env except SITEWATCH_CONFIG,
// flags). `--help` is not an option here: callers check for it before calling LoadSettings.
//
// Errors are Result errors (never exceptions), Errc::kInvalidArgument unless noted, with
// Error::field = the key when one is known and these machine codes:
//   CONFIG_UNKNOWN_KEY     unknown key / env variable / flag
//   CONFIG_INVALID_VALUE   wrong type, out of bounds, not an allowed value, cross-field rule
//   CONFIG_MISSING_VALUE   a flag that needs a value has none
//   CONFIG_SYNTAX          a malformed config file line, a duplicate key in the file
//   CONFIG_FILE_NOT_FOUND  (Errc::kNotFound) the named config file does not exist
//   CONFIG_FILE_UNREADABLE the named config file is not a readable regular file
// Messages name the key, the source (file and line, env variable, or flag) and what is
// allowed; they never echo the value of a secret.
//
// Thread-safety: OptionTable() is an immutable static built on first use (thread-safe);
// every function here is reentrant. LoadSettings reads the config file and nothing else
// (no getenv: the caller passes the environment). A Settings is a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace sw::app {

// One field per key of OptionTable(); the field name is the key with '.' -> '_'.
// Default-constructed, it holds the built-in defaults from the table.
struct Settings {
  Settings();

  std::string data_dir;
  std::string init_admin_password;  // secret
  std::string ready_file;

  std::string http_address;
  std::int64_t http_port = 0;
  std::int64_t http_threads = 0;
  std::int64_t http_body_limit_bytes = 0;
  std::int64_t http_idle_timeout_s = 0;
  std::int64_t http_max_connections = 0;
  std::string http_web_root;

  std::string mqtt_address;
  std::int64_t mqtt_port = 0;
  std::int64_t mqtt_threads = 0;
  bool mqtt_allow_anonymous = false;
  std::int64_t mqtt_max_connections = 0;
  std::int64_t mqtt_max_packet_size = 0;
  std::int64_t mqtt_max_inflight = 0;
  std::int64_t mqtt_receive_maximum = 0;
  std::int64_t mqtt_max_queued_messages = 0;
  std::int64_t mqtt_max_queued_bytes = 0;
  std::int64_t mqtt_publish_rate_per_s = 0;
  std::int64_t mqtt_connect_failures_per_minute = 0;
  std::int64_t mqtt_max_session_expiry_s = 0;
  std::int64_t mqtt_sys_interval_s = 0;
  std::int64_t mqtt_tls_port = 0;
  std::string mqtt_tls_cert_file;
  std::string mqtt_tls_key_file;
  bool mqtt_websocket = true;

  std::string log_level;   // trace | debug | info | warn | error
  std::string log_format;  // text | json

  std::string auth_jwt_secret;  // secret
  std::int64_t auth_access_token_ttl_s = 0;
  std::int64_t auth_refresh_token_ttl_s = 0;
  std::int64_t auth_lockout_threshold = 0;
  std::int64_t auth_lockout_duration_s = 0;
  std::int64_t auth_login_rate_per_minute = 0;
  std::int64_t auth_argon2_opslimit = 0;
  std::int64_t auth_argon2_memlimit_kib = 0;

  std::int64_t api_rate_limit_per_minute = 0;

  std::string storage_backend;  // sqlite
  std::int64_t storage_sqlite_busy_timeout_ms = 0;
  bool storage_sqlite_durable_sync = false;

  std::int64_t telemetry_retention_raw_days = 0;
  std::int64_t telemetry_retention_minute_days = 0;
  std::int64_t telemetry_retention_hour_days = 0;
  std::int64_t telemetry_custom_metric_cap = 0;
  std::int64_t telemetry_max_queued_readings = 0;
  std::int64_t devices_offline_after_s = 0;

  std::int64_t commands_per_user_per_minute = 0;

  // Not options: what LoadSettings found besides them.
  std::string config_path;                   // the config file read; empty when none
  std::vector<std::string> positional_args;  // arguments that are not flags, in order

  bool operator==(const Settings&) const = default;
};

enum class OptionType {
  kString,
  kSecret,  // a string never shown in help, the example file, dumps or error messages
  kInt,     // std::int64_t within [min, max]
  kBool,
  kEnum,  // a string from `allowed`
};

// A value of any option type: std::string for kString/kSecret/kEnum, std::int64_t for
// kInt, bool for kBool.
using OptionValue = std::variant<std::string, std::int64_t, bool>;

// Where an option's value lands in Settings; its alternative matches the option type.
using SettingsField =
    std::variant<std::string Settings::*, std::int64_t Settings::*, bool Settings::*>;

struct OptionSpec {
  std::string_view key;  // dotted, lower-case: "http.port"
  OptionType type = OptionType::kString;
  OptionValue default_value;
  std::int64_t min = 0;  // kInt only, inclusive
  std::int64_t max = 0;
  std::vector<std::string_view> allowed;  // kEnum only
  bool allow_empty = true;                // kString only: whether "" is accepted
  std::string_view help;                  // one line, no trailing period
  SettingsField field;
};

// Every option, in the order help and the example file list them. This is also the way
// to list the keys (`for (const OptionSpec& o : OptionTable()) o.key`).
const std::vector<OptionSpec>& OptionTable();

// "http.port" -> "SITEWATCH_HTTP_PORT"; "http.port" -> "--http-port".
std::string EnvVarName(std::string_view key);
std::string FlagName(std::string_view key);

// Reads the options from the defaults, the config file, `env` and `args` (argv after the
// subcommand), then checks the cross-field rules. See the top of this file.
Result<Settings> LoadSettings(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env);

// `sitewatch serve --help` text: --config, then for every key its flag, env name, config
// key, default (`""` for secrets), range or allowed values, and help.
std::string RenderHelp();

// The content of config/sitewatch.conf.example: a header, then for every key a
// `# help` line and a commented-out `# key = default` line.
std::string RenderExampleConfig();

// The effective settings as `key = value` lines (for logs and `config show`); secrets that
// are set print as "<redacted>".
std::string RenderSettings(const Settings& settings);

// The table-driven engine under LoadSettings, free of Settings and of the cross-field
// rules; exposed so tests can drive option types the real table does not use yet (bool).
struct ParsedOptions {
  std::vector<OptionValue> values;   // parallel to the table; the default when not set
  std::vector<std::string> sources;  // parallel: "default", "flag --http-port", ...
  std::string config_path;           // the config file read; empty when none
  std::vector<std::string> positional_args;
};
Result<ParsedOptions> ParseOptions(std::span<const OptionSpec> table,
                                   const std::vector<std::string>& args,
                                   const std::map<std::string, std::string>& env);

}  // namespace sw::app
