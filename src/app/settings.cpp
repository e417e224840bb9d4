#include "app/settings.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <system_error>
#include <utility>

namespace sw::app {
namespace {

constexpr std::string_view kEnvPrefix = "SITEWATCH_";
constexpr std::string_view kConfigEnvVar = "SITEWATCH_CONFIG";
constexpr std::string_view kConfigFlag = "--config";
constexpr std::size_t kMinJwtSecretLength = 32;
constexpr std::size_t kMinAdminPasswordLength = 10;

// ---- the table ------------------------------------------------------------------------

OptionSpec String(std::string_view key, std::string_view default_value,
                  std::string Settings::*field, std::string_view help, bool allow_empty = true) {
  return OptionSpec{.key = key,
                    .type = OptionType::kString,
                    .default_value = std::string(default_value),
                    .min = 0,
                    .max = 0,
                    .allowed = {},
                    .allow_empty = allow_empty,
                    .help = help,
                    .field = field};
}

// Secrets always default to empty: a default secret would be a published secret.
OptionSpec Secret(std::string_view key, std::string Settings::*field, std::string_view help) {
  OptionSpec spec = String(key, "", field, help);
  spec.type = OptionType::kSecret;
  return spec;
}

OptionSpec Int(std::string_view key, std::int64_t default_value, std::int64_t min, std::int64_t max,
               std::int64_t Settings::*field, std::string_view help) {
  return OptionSpec{.key = key,
                    .type = OptionType::kInt,
                    .default_value = default_value,
                    .min = min,
                    .max = max,
                    .allowed = {},
                    .allow_empty = true,
                    .help = help,
                    .field = field};
}

OptionSpec Bool(std::string_view key, bool default_value, bool Settings::*field,
                std::string_view help) {
  return OptionSpec{.key = key,
                    .type = OptionType::kBool,
                    .default_value = default_value,
                    .min = 0,
                    .max = 0,
                    .allowed = {},
                    .allow_empty = true,
                    .help = help,
                    .field = field};
}

OptionSpec Enum(std::string_view key, std::string_view default_value,
                std::vector<std::string_view> allowed, std::string Settings::*field,
                std::string_view help) {
  return OptionSpec{.key = key,
                    .type = OptionType::kEnum,
                    .default_value = std::string(default_value),
                    .min = 0,
                    .max = 0,
                    .allowed = std::move(allowed),
                    .allow_empty = true,
                    .help = help,
                    .field = field};
}

std::vector<OptionSpec> BuildOptionTable() {
  using S = Settings;
  return {
      String("data_dir", "./sitewatch-data", &S::data_dir,
             "Where the database, secrets and backups live", /*allow_empty=*/false),
      Secret("init_admin_password", &S::init_admin_password,
             "Password (10+ characters) for the first super_admin `admin` on an empty database; "
             "empty = random, printed once"),
      String("ready_file", "", &S::ready_file,
             "Once listening, write {\"http_port\",\"mqtt_port\",\"pid\"} as JSON here; "
             "empty = none"),

      String("http.address", "0.0.0.0", &S::http_address, "HTTP listen address",
             /*allow_empty=*/false),
      Int("http.port", 8080, 0, 65535, &S::http_port, "HTTP listen port; 0 picks a free port"),
      Int("http.threads", 2, 1, 64, &S::http_threads, "Threads serving HTTP"),
      Int("http.body_limit_bytes", 1048576, 1024, 67108864, &S::http_body_limit_bytes,
          "Largest accepted HTTP request body, in bytes"),
      Int("http.idle_timeout_s", 30, 1, 3600, &S::http_idle_timeout_s,
          "Seconds before an idle HTTP connection is closed"),
      Int("http.max_connections", 10000, 1, 1000000, &S::http_max_connections,
          "Most simultaneous HTTP connections; further ones are refused"),
      String("http.web_root", "web/dist", &S::http_web_root,
             "Directory of the built web console served at /; empty = no console"),

      String("mqtt.address", "0.0.0.0", &S::mqtt_address, "MQTT listen address",
             /*allow_empty=*/false),
      Int("mqtt.port", 1883, 0, 65535, &S::mqtt_port, "MQTT listen port; 0 picks a free port"),
      Int("mqtt.threads", 2, 1, 64, &S::mqtt_threads, "Threads serving MQTT connections"),
      Bool("mqtt.allow_anonymous", false, &S::mqtt_allow_anonymous,
           "Accept MQTT clients without credentials (only for topics outside sw/)"),
      Int("mqtt.max_connections", 100000, 1, 10000000, &S::mqtt_max_connections,
          "Most simultaneous MQTT connections; further ones are closed at accept"),
      Int("mqtt.max_packet_size", 262144, 64, 268435455, &S::mqtt_max_packet_size,
          "Largest MQTT packet accepted, in bytes (advertised to 5.0 clients)"),
      Int("mqtt.max_inflight", 64, 1, 65535, &S::mqtt_max_inflight,
          "Outgoing QoS 1/2 messages awaiting acknowledgement per client"),
      Int("mqtt.receive_maximum", 64, 1, 65535, &S::mqtt_receive_maximum,
          "Incoming QoS 2 messages a client may have unacknowledged (advertised in CONNACK)"),
      Int("mqtt.max_queued_messages", 1000, 1, 10000000, &S::mqtt_max_queued_messages,
          "Messages queued per session (offline QoS 1/2, or beyond the window) before drops"),
      Int("mqtt.max_queued_bytes", 1048576, 1024, 1073741824, &S::mqtt_max_queued_bytes,
          "Unsent bytes per connection before QoS 0 messages to it are dropped"),
      Int("mqtt.publish_rate_per_s", 0, 0, 1000000, &S::mqtt_publish_rate_per_s,
          "PUBLISH packets per second per client before they are refused; 0 = unlimited"),
      Int("mqtt.connect_failures_per_minute", 10, 1, 1000000, &S::mqtt_connect_failures_per_minute,
          "Failed MQTT CONNECTs per client IP per minute before further ones are refused"),
      Int("mqtt.max_session_expiry_s", 604800, 0, 4294967295, &S::mqtt_max_session_expiry_s,
          "Longest a disconnected persistent MQTT session is kept, in seconds"),
      Int("mqtt.sys_interval_s", 10, 0, 3600, &S::mqtt_sys_interval_s,
          "Seconds between $SYS/broker/... statistics updates; 0 = off"),
      Int("mqtt.tls_port", 0, 0, 65535, &S::mqtt_tls_port,
          "MQTT over TLS (1.2+) listen port, usually 8883; 0 = no TLS listener"),
      String("mqtt.tls_cert_file", "", &S::mqtt_tls_cert_file,
             "PEM certificate chain of the MQTT TLS listener (needed with mqtt.tls_port)"),
      String("mqtt.tls_key_file", "", &S::mqtt_tls_key_file,
             "PEM private key of the MQTT TLS listener (needed with mqtt.tls_port)"),
      Bool("mqtt.websocket", true, &S::mqtt_websocket,
           "Accept MQTT over WebSocket on the HTTP port at /mqtt (subprotocol mqtt)"),

      Enum("log.level", "info", {"trace", "debug", "info", "warn", "error"}, &S::log_level,
           "Least severe log level written"),
      Enum("log.format", "text", {"text", "json"}, &S::log_format, "Log line format"),

      Secret("auth.jwt_secret", &S::auth_jwt_secret,
             "HS256 key (32+ characters); empty = generated once into data_dir/jwt.key "
             "(mode 0600)"),
      Int("auth.access_token_ttl_s", 900, 60, 86400, &S::auth_access_token_ttl_s,
          "Lifetime of an access token, in seconds"),
      Int("auth.refresh_token_ttl_s", 2592000, 3600, 31536000, &S::auth_refresh_token_ttl_s,
          "Lifetime of a refresh token, in seconds"),
      Int("auth.lockout_threshold", 5, 1, 100, &S::auth_lockout_threshold,
          "Failed logins in a row that lock an account"),
      Int("auth.lockout_duration_s", 900, 1, 86400, &S::auth_lockout_duration_s,
          "How long a locked account stays locked, in seconds"),
      Int("auth.login_rate_per_minute", 20, 1, 100000, &S::auth_login_rate_per_minute,
          "Login attempts per client IP per minute"),
      Int("auth.argon2_opslimit", 2, 1, 10, &S::auth_argon2_opslimit,
          "Argon2id passes when hashing a password"),
      Int("auth.argon2_memlimit_kib", 65536, 8, 4194304, &S::auth_argon2_memlimit_kib,
          "Argon2id memory when hashing a password, in KiB"),

      Int("api.rate_limit_per_minute", 1200, 1, 1000000, &S::api_rate_limit_per_minute,
          "API requests per authenticated user per minute"),

      Enum("storage.backend", "sqlite", {"sqlite"}, &S::storage_backend, "Database backend"),
      Int("storage.sqlite_busy_timeout_ms", 5000, 0, 600000, &S::storage_sqlite_busy_timeout_ms,
          "How long SQLite waits for a lock before failing, in milliseconds"),
      Bool("storage.sqlite_durable_sync", true, &S::storage_sqlite_durable_sync,
           "fsync each telemetry commit (survives power loss); false: survives a crash only"),

      Int("telemetry.retention_raw_days", 30, 1, 36500, &S::telemetry_retention_raw_days,
          "Days raw readings are kept"),
      Int("telemetry.retention_minute_days", 365, 1, 36500, &S::telemetry_retention_minute_days,
          "Days per-minute roll-ups are kept"),
      Int("telemetry.retention_hour_days", 0, 0, 36500, &S::telemetry_retention_hour_days,
          "Days per-hour roll-ups are kept; 0 = forever"),
      Int("telemetry.custom_metric_cap", 32, 0, 1000, &S::telemetry_custom_metric_cap,
          "Distinct custom (non-catalogue) metric names accepted per device"),
      Int("telemetry.max_queued_readings", 1000000, 1000, 100000000,
          &S::telemetry_max_queued_readings,
          "Readings waiting for the database before devices are told to retry"),
      Int("devices.offline_after_s", 60, 5, 86400, &S::devices_offline_after_s,
          "Least silence before a device is shown offline (else 3 report intervals)"),

      Int("commands.per_user_per_minute", 60, 1, 1000000, &S::commands_per_user_per_minute,
          "Commands a user may issue per minute (a bulk cut counts once)"),
  };
}

// ---- values -----------------------------------------------------------------------------

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<bool> ParseBoolWord(std::string_view text) {
  const std::string word = ToLower(text);
  if (word == "true" || word == "1" || word == "yes" || word == "on") return true;
  if (word == "false" || word == "0" || word == "no" || word == "off") return false;
  return std::nullopt;
}

std::string Join(const std::vector<std::string_view>& words, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += separator;
    out += words[i];
  }
  return out;
}

// What a value must look like, for error messages and help: "an integer in 0..65535".
std::string Expectation(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::kString:
    case OptionType::kSecret: return spec.allow_empty ? "any text" : "non-empty text";
    case OptionType::kInt:
      return "an integer in " + std::to_string(spec.min) + ".." + std::to_string(spec.max);
    case OptionType::kBool: return "one of true, false, 1, 0, yes, no, on, off";
    case OptionType::kEnum: return "one of " + Join(spec.allowed, ", ");
  }
  return {};
}

// Double-quotes `text` for the config file, escaping '"' and '\'.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// A value as written in the config file; secrets print as `redacted` when non-empty.
std::string FormatValue(const OptionSpec& spec, const OptionValue& value,
                        std::string_view redacted) {
  switch (spec.type) {
    case OptionType::kSecret: {
      const auto& text = std::get<std::string>(value);
      return Quote(text.empty() ? std::string_view() : redacted);
    }
    case OptionType::kString: return Quote(std::get<std::string>(value));
    case OptionType::kEnum: return std::get<std::string>(value);
    case OptionType::kInt: return std::to_string(std::get<std::int64_t>(value));
    case OptionType::kBool: return std::get<bool>(value) ? "true" : "false";
  }
  return {};
}

Error InvalidValue(const OptionSpec& spec, std::string_view source, std::string_view text,
                   std::string_view problem) {
  const std::string shown =
      spec.type == OptionType::kSecret ? std::string("<redacted>") : Quote(text);
  return MakeError(Errc::kInvalidArgument,
                   "invalid value for " + std::string(spec.key) + " from " + std::string(source) +
                       ": " + shown + " " + std::string(problem) + "; expected " +
                       Expectation(spec),
                   "CONFIG_INVALID_VALUE", std::string(spec.key));
}

Result<OptionValue> ParseValue(const OptionSpec& spec, std::string_view text,
                               std::string_view source) {
  switch (spec.type) {
    case OptionType::kString:
    case OptionType::kSecret:
      if (text.empty() && !spec.allow_empty) {
        return InvalidValue(spec, source, text, "is empty");
      }
      return OptionValue(std::string(text));
    case OptionType::kInt: {
      std::int64_t number = 0;
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, number);
      if (ec == std::errc::result_out_of_range) {
        return InvalidValue(spec, source, text, "is out of range");
      }
      if (ec != std::errc() || ptr != end || text.empty()) {
        return InvalidValue(spec, source, text, "is not an integer");
      }
      if (number < spec.min || number > spec.max) {
        return InvalidValue(spec, source, text, "is out of range");
      }
      return OptionValue(number);
    }
    case OptionType::kBool: {
      const std::optional<bool> flag = ParseBoolWord(text);
      if (!flag) return InvalidValue(spec, source, text, "is not a boolean");
      return OptionValue(*flag);
    }
    case OptionType::kEnum:
      if (std::find(spec.allowed.begin(), spec.allowed.end(), text) == spec.allowed.end()) {
        return InvalidValue(spec, source, text, "is not an allowed value");
      }
      return OptionValue(std::string(text));
  }
  return MakeError(Errc::kInternal, "unknown option type");
}

// ---- names and lookup -------------------------------------------------------------------

std::optional<std::size_t> FindByKey(std::span<const OptionSpec> table, std::string_view key) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].key == key) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> FindByEnvVar(std::span<const OptionSpec> table, std::string_view name) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (EnvVarName(table[i].key) == name) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> FindByFlag(std::span<const OptionSpec> table, std::string_view flag) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (FlagName(table[i].key) == flag) return i;
  }
  return std::nullopt;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "; did you mean --http-port?" when one candidate is close to `name`, else "".
template <typename NameOf>
std::string Suggestion(std::span<const OptionSpec> table, std::string_view name, NameOf name_of) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, name.size() / 4) + 1;
  for (const OptionSpec& spec : table) {
    std::string candidate = name_of(spec.key);
    const std::size_t distance = EditDistance(name, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::move(candidate);
    }
  }
  return best.empty() ? std::string() : "; did you mean " + best + "?";
}

Error UnknownKey(std::string message) {
  return MakeError(Errc::kInvalidArgument, std::move(message), "CONFIG_UNKNOWN_KEY");
}

// ---- sources ----------------------------------------------------------------------------

// One "set key to text" from a source, applied in precedence order.
struct Assignment {
  std::size_t index = 0;
  std::string text;
  std::string source;
};

Error SyntaxError(const std::string& where, std::string_view problem) {
  return MakeError(Errc::kInvalidArgument, where + ": " + std::string(problem), "CONFIG_SYNTAX");
}

std::string_view Trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// Parses the config file text into assignments; `path` is only for messages.
Result<std::vector<Assignment>> ParseConfigText(std::span<const OptionSpec> table,
                                                std::string_view text, const std::string& path) {
  std::vector<Assignment> out;
  std::map<std::size_t, std::size_t> line_of_index;  // duplicate detection
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;

    const std::string where = "config file " + path + " line " + std::to_string(line_number);
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;

    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) return SyntaxError(where, "expected `key = value`");
    const std::string_view key = Trim(line.substr(0, equals));
    std::string_view raw_value = Trim(line.substr(equals + 1));
    if (key.empty()) return SyntaxError(where, "missing key before `=`");

    const std::optional<std::size_t> index = FindByKey(table, key);
    if (!index) {
      return UnknownKey(where + ": unknown key \"" + std::string(key) + "\"" +
                        Suggestion(table, key, [](std::string_view k) { return std::string(k); }));
    }
    if (const auto [it, inserted] = line_of_index.emplace(*index, line_number); !inserted) {
      Error error = SyntaxError(
          where, std::string(key) + " is already set on line " + std::to_string(it->second));
      error.field = std::string(key);
      return error;
    }

    std::string value;
    if (!raw_value.empty() && raw_value.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < raw_value.size(); ++i) {
        const char c = raw_value[i];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i + 1 < raw_value.size() &&
            (raw_value[i + 1] == '"' || raw_value[i + 1] == '\\')) {
          ++i;
        }
        value += raw_value[i];
      }
      if (!closed) return SyntaxError(where, "unterminated quoted value");
      if (i + 1 != raw_value.size()) return SyntaxError(where, "text after the closing quote");
    } else {
      value = std::string(raw_value);
    }
    out.push_back(Assignment{*index, std::move(value), where});
  }
  return out;
}

Result<std::vector<Assignment>> ReadConfigFile(std::span<const OptionSpec> table,
                                               const std::string& path, std::string_view named_by) {
  const std::string what = "config file " + path + " (from " + std::string(named_by) + ")";
  if (path.empty()) {
    return MakeError(Errc::kNotFound, std::string(named_by) + " names an empty path",
                     "CONFIG_FILE_NOT_FOUND");
  }
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return MakeError(Errc::kNotFound, what + " does not exist", "CONFIG_FILE_NOT_FOUND");
  }
  if (ec || status.type() != std::filesystem::file_type::regular) {
    return MakeError(Errc::kInvalidArgument, what + " is not a regular file",
                     "CONFIG_FILE_UNREADABLE");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    return MakeError(Errc::kInvalidArgument, what + " cannot be read", "CONFIG_FILE_UNREADABLE");
  }
  return ParseConfigText(table, text, path);
}

struct ScannedArgs {
  std::optional<std::string> config_path;
  std::vector<Assignment> assignments;
  std::vector<std::string> positional_args;
};

Error MissingValue(std::string_view flag, std::string_view key, std::string_view expectation) {
  return MakeError(Errc::kInvalidArgument,
                   "flag " + std::string(flag) + " needs a value (" + std::string(expectation) +
                       "): use " + std::string(flag) + " VALUE or " + std::string(flag) + "=VALUE",
                   "CONFIG_MISSING_VALUE", std::string(key));
}

Result<ScannedArgs> ScanArgs(std::span<const OptionSpec> table,
                             const std::vector<std::string>& args) {
  ScannedArgs out;
  bool flags_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (flags_ended || arg.size() < 2 || arg.front() != '-') {
      out.positional_args.push_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      return UnknownKey("unknown flag " + arg + " (flags are spelled --name)");
    }

    const std::size_t equals = arg.find('=');
    const std::string flag = arg.substr(0, equals);
    std::optional<std::string> inline_value;
    if (equals != std::string::npos) inline_value = arg.substr(equals + 1);
    const bool next_is_value = i + 1 < args.size() && !args[i + 1].starts_with("--");

    if (flag == kConfigFlag) {
      if (inline_value) {
        out.config_path = *inline_value;
      } else if (next_is_value) {
        out.config_path = args[++i];
      } else {
        return MissingValue(flag, "", "a file path");
      }
      continue;
    }

    const std::optional<std::size_t> index = FindByFlag(table, flag);
    if (!index) {
      return UnknownKey("unknown flag " + flag + Suggestion(table, flag, FlagName));
    }
    const OptionSpec& spec = table[*index];
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (spec.type == OptionType::kBool) {
      // A bare bool flag means true; a following bool word is its value.
      if (i + 1 < args.size() && ParseBoolWord(args[i + 1])) {
        value = args[++i];
      } else {
        value = "true";
      }
    } else if (next_is_value) {
      value = args[++i];
    } else {
      return MissingValue(flag, spec.key, Expectation(spec));
    }
    out.assignments.push_back(Assignment{*index, std::move(value), "flag " + flag});
  }
  return out;
}

Result<std::vector<Assignment>> ScanEnv(std::span<const OptionSpec> table,
                                        const std::map<std::string, std::string>& env) {
  std::vector<Assignment> out;
  for (const auto& [name, value] : env) {
    if (!name.starts_with(kEnvPrefix) || name == kConfigEnvVar) continue;
    const std::optional<std::size_t> index = FindByEnvVar(table, name);
    if (!index) {
      return UnknownKey("unknown environment variable " + name +
                        Suggestion(table, name, EnvVarName));
    }
    out.push_back(Assignment{*index, value, "environment variable " + name});
  }
  return out;
}

// ---- rendering helpers ------------------------------------------------------------------

std::string_view Section(std::string_view key) {
  const std::size_t dot = key.find('.');
  return dot == std::string_view::npos ? std::string_view("general") : key.substr(0, dot);
}

std::string Placeholder(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::kString: return "TEXT";
    case OptionType::kSecret: return "SECRET";
    case OptionType::kInt: return "INT";
    case OptionType::kBool: return "[BOOL]";
    case OptionType::kEnum: return Join(spec.allowed, "|");
  }
  return {};
}

// "0..65535" / "one of trace, debug" / "" for free text.
std::string Constraint(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::kInt:
      return "range " + std::to_string(spec.min) + ".." + std::to_string(spec.max);
    case OptionType::kEnum: return "one of " + Join(spec.allowed, ", ");
    case OptionType::kBool: return "true or false";
    case OptionType::kString: return spec.allow_empty ? "" : "must not be empty";
    case OptionType::kSecret: return "secret";
  }
  return {};
}

std::string RenderDefault(const OptionSpec& spec) {
  // A secret's default is never shown, whatever it is.
  return spec.type == OptionType::kSecret ? std::string("\"\"")
                                          : FormatValue(spec, spec.default_value, "");
}

// ---- cross-field rules ------------------------------------------------------------------

Status CheckMinLength(std::span<const OptionSpec> table, const ParsedOptions& parsed,
                      std::string_view key, const std::string& value, std::size_t min_length) {
  if (value.empty() || value.size() >= min_length) return Ok{};
  const std::size_t index = FindByKey(table, key).value_or(0);
  return MakeError(Errc::kInvalidArgument,
                   "invalid value for " + std::string(key) + " from " + parsed.sources[index] +
                       ": it has " + std::to_string(value.size()) +
                       " characters; expected empty or at least " + std::to_string(min_length),
                   "CONFIG_INVALID_VALUE", std::string(key));
}

Status ValidateSettings(std::span<const OptionSpec> table, const ParsedOptions& parsed,
                        const Settings& settings) {
  SW_TRY(CheckMinLength(table, parsed, "auth.jwt_secret", settings.auth_jwt_secret,
                        kMinJwtSecretLength));
  SW_TRY(CheckMinLength(table, parsed, "init_admin_password", settings.init_admin_password,
                        kMinAdminPasswordLength));
  if (settings.http_port != 0 && settings.http_port == settings.mqtt_port) {
    return MakeError(Errc::kInvalidArgument,
                     "http.port and mqtt.port are both " + std::to_string(settings.http_port) +
                         "; the listeners need different ports (0 picks a free one)",
                     "CONFIG_INVALID_VALUE", "mqtt.port");
  }
  // (A TLS port without certificate or key files fails at start-up, when they are loaded.)
  if (settings.mqtt_tls_port != 0 && (settings.mqtt_tls_port == settings.mqtt_port ||
                                      settings.mqtt_tls_port == settings.http_port)) {
    return MakeError(Errc::kInvalidArgument,
                     "mqtt.tls_port " + std::to_string(settings.mqtt_tls_port) +
                         " is also mqtt.port or http.port; the listeners need different ports",
                     "CONFIG_INVALID_VALUE", "mqtt.tls_port");
  }
  return Ok{};
}

}  // namespace

// ---- public -----------------------------------------------------------------------------

Settings::Settings() {
  for (const OptionSpec& spec : OptionTable()) {
    std::visit(
        [&](auto member) {
          using Field = std::remove_reference_t<decltype(this->*member)>;
          this->*member = std::get<Field>(spec.default_value);
        },
        spec.field);
  }
}

const std::vector<OptionSpec>& OptionTable() {
  static const std::vector<OptionSpec> table = BuildOptionTable();
  return table;
}

std::string EnvVarName(std::string_view key) {
  std::string out(kEnvPrefix);
  for (char c : key) {
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string FlagName(std::string_view key) {
  std::string out = "--";
  for (char c : key) out += (c == '.' || c == '_') ? '-' : c;
  return out;
}

Result<ParsedOptions> ParseOptions(std::span<const OptionSpec> table,
                                   const std::vector<std::string>& args,
                                   const std::map<std::string, std::string>& env) {
  // Syntax of the flags first: an unknown flag is reported before any file is read.
  SW_ASSIGN_OR_RETURN(ScannedArgs scanned, ScanArgs(table, args));

  std::vector<Assignment> assignments;  // in precedence order: file, env, flags
  std::string config_path;
  if (scanned.config_path) {
    config_path = *scanned.config_path;
    SW_ASSIGN_OR_RETURN(assignments, ReadConfigFile(table, config_path, kConfigFlag));
  } else if (const auto it = env.find(std::string(kConfigEnvVar)); it != env.end()) {
    config_path = it->second;
    SW_ASSIGN_OR_RETURN(assignments, ReadConfigFile(table, config_path, kConfigEnvVar));
  }
  SW_ASSIGN_OR_RETURN(std::vector<Assignment> from_env, ScanEnv(table, env));
  for (Assignment& a : from_env) assignments.push_back(std::move(a));
  for (Assignment& a : scanned.assignments) assignments.push_back(std::move(a));

  ParsedOptions out;
  for (const OptionSpec& spec : table) {
    out.values.push_back(spec.default_value);
    out.sources.emplace_back("default");
  }
  for (Assignment& a : assignments) {
    SW_ASSIGN_OR_RETURN(out.values[a.index], ParseValue(table[a.index], a.text, a.source));
    out.sources[a.index] = std::move(a.source);
  }
  out.config_path = std::move(config_path);
  out.positional_args = std::move(scanned.positional_args);
  return out;
}

Result<Settings> LoadSettings(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env) {
  const std::vector<OptionSpec>& table = OptionTable();
  SW_ASSIGN_OR_RETURN(ParsedOptions parsed, ParseOptions(table, args, env));
  Settings settings;
  for (std::size_t i = 0; i < table.size(); ++i) {
    std::visit(
        [&](auto member) {
          using Field = std::remove_reference_t<decltype(settings.*member)>;
          settings.*member = std::get<Field>(parsed.values[i]);
        },
        table[i].field);
  }
  settings.config_path = parsed.config_path;
  settings.positional_args = parsed.positional_args;
  SW_TRY(ValidateSettings(table, parsed, settings));
  return settings;
}

std::string RenderHelp() {
  std::string out =
      "Configuration, lowest to highest precedence: built-in defaults, the config file,\n"
      "SITEWATCH_* environment variables, command-line flags. Unknown keys are errors.\n"
      "Flags take --name VALUE or --name=VALUE.\n"
      "\n"
      "  --config PATH\n"
      "      env SITEWATCH_CONFIG\n"
      "      Config file of `key = value` lines (see config/sitewatch.conf.example); none "
      "when unset\n";
  for (const OptionSpec& spec : OptionTable()) {
    out += "\n  " + FlagName(spec.key) + " " + Placeholder(spec) + "\n";
    out += "      env " + EnvVarName(spec.key) + ", config key " + std::string(spec.key) +
           ", default " + RenderDefault(spec);
    if (const std::string constraint = Constraint(spec); !constraint.empty()) {
      out += ", " + constraint;
    }
    out += "\n      " + std::string(spec.help) + "\n";
  }
  return out;
}

std::string RenderExampleConfig() {
  std::string out =
      "# Sitewatch configuration: every key with its built-in default.\n"
      "# Generated by RenderExampleConfig() in src/app/settings.cpp; a unit test keeps it\n"
      "# in sync. Format: `key = value` per line, `#` starts a comment line, values may be\n"
      "# \"double-quoted\". Precedence: defaults < this file < SITEWATCH_* env < --flags.\n"
      "# Uncomment a line to change it.\n";
  std::string_view section;
  for (const OptionSpec& spec : OptionTable()) {
    if (Section(spec.key) != section) {
      section = Section(spec.key);
      out += "\n# ---- " + std::string(section) + " ----\n";
    }
    out += "\n# " + std::string(spec.help);
    if (const std::string constraint = Constraint(spec); !constraint.empty()) {
      out += " (" + constraint + ")";
    }
    out += "\n# " + std::string(spec.key) + " = " + RenderDefault(spec) + "\n";
  }
  return out;
}

std::string RenderSettings(const Settings& settings) {
  std::string out;
  for (const OptionSpec& spec : OptionTable()) {
    const OptionValue value =
        std::visit([&](auto member) { return OptionValue(settings.*member); }, spec.field);
    out += std::string(spec.key) + " = " + FormatValue(spec, value, "<redacted>") + "\n";
  }
  return out;
}

}  // namespace sw::app
