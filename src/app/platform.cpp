#include "app/platform.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/log.hpp"
#include "common/strings.hpp"

namespace sw::app {

Status EnsureDirectory(const std::string& dir) {
  std::string partial;
  for (std::size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      partial = dir.substr(0, i);
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
        return MakeError(Errc::kUnavailable,
                         "cannot create directory " + partial + ": " +
                             std::error_code(errno, std::system_category()).message());
      }
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return MakeError(Errc::kUnavailable, dir + " is not a directory");
  }
  return Ok{};
}

Result<std::string> LoadOrCreateSecret(const std::string& path, core::Crypto& crypto) {
  if (std::ifstream in(path); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    std::string secret(Trim(ss.str()));
    if (secret.size() < 32) {
      return MakeError(Errc::kDataLoss, path +
                                            " holds fewer than 32 characters; delete it to "
                                            "generate a new key (this logs everyone out)");
    }
    return secret;
  }
  const std::string secret = crypto.RandomToken(48);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    return MakeError(
        Errc::kUnavailable,
        "cannot create " + path + ": " + std::error_code(errno, std::system_category()).message());
  }
  const std::string line = secret + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return MakeError(Errc::kUnavailable, "cannot write " + path);
  return secret;
}

Result<std::unique_ptr<Platform>> Platform::Open(const Settings& settings) {
  std::unique_ptr<Platform> p(new Platform(settings));
  SW_TRY(EnsureDirectory(settings.data_dir));
  try {
    p->crypto_ = std::make_unique<security::SodiumCrypto>(
        security::Argon2Params{static_cast<std::uint64_t>(settings.auth_argon2_opslimit),
                               static_cast<std::uint64_t>(settings.auth_argon2_memlimit_kib)});
  } catch (const std::exception& e) {
    return MakeError(Errc::kInternal, e.what());
  }
  SW_ASSIGN_OR_RETURN(p->store_, storage::sqlite::SqliteStore::Open(
                                     DatabasePath(settings),
                                     static_cast<int>(settings.storage_sqlite_busy_timeout_ms),
                                     p->clock_, &p->metrics_));
  std::string secret = settings.auth_jwt_secret;
  if (secret.empty()) {
    SW_ASSIGN_OR_RETURN(secret, LoadOrCreateSecret(settings.data_dir + "/jwt.key", *p->crypto_));
  }
  p->jwt_ = std::make_unique<security::JwtCodec>(secret);
  core::AuthConfig auth_config;
  auth_config.access_ttl = std::chrono::seconds(settings.auth_access_token_ttl_s);
  auth_config.refresh_ttl = std::chrono::seconds(settings.auth_refresh_token_ttl_s);
  auth_config.lockout_threshold = static_cast<int>(settings.auth_lockout_threshold);
  auth_config.lockout_duration = std::chrono::seconds(settings.auth_lockout_duration_s);
  auth_config.login_rate_per_minute = static_cast<int>(settings.auth_login_rate_per_minute);
  p->auth_ = std::make_unique<core::AuthService>(p->store_->Stores(), *p->crypto_, *p->jwt_,
                                                 p->clock_, auth_config);
  p->tenancy_ = std::make_unique<core::TenancyService>(p->store_->Stores(), *p->crypto_, p->clock_);
  p->devices_ = std::make_unique<core::DeviceService>(p->store_->Stores(), *p->crypto_, p->clock_);
  p->integrations_ =
      std::make_unique<core::IntegrationService>(*p->store_, *p->store_, *p->crypto_, p->clock_);

  storage::sqlite::SqliteTelemetryStore::Options ts_options;
  ts_options.busy_timeout_ms = static_cast<int>(settings.storage_sqlite_busy_timeout_ms);
  ts_options.durable_sync = settings.storage_sqlite_durable_sync;
  SW_ASSIGN_OR_RETURN(p->telemetry_store_, storage::sqlite::SqliteTelemetryStore::Open(
                                               DatabasePath(settings), ts_options, &p->metrics_));
  core::IngestOptions ingest_options;
  ingest_options.custom_metric_cap = static_cast<std::size_t>(settings.telemetry_custom_metric_cap);
  ingest_options.max_queued_readings =
      static_cast<std::size_t>(settings.telemetry_max_queued_readings);
  p->ingest_ = std::make_unique<core::IngestService>(*p->telemetry_store_, p->clock_, p->metrics_,
                                                     ingest_options);
  p->presence_ = std::make_unique<core::PresenceTracker>(
      std::chrono::seconds(settings.devices_offline_after_s));
  p->telemetry_ = std::make_unique<core::TelemetryService>(
      p->store_->Stores(), *p->telemetry_store_, *p->ingest_, *p->presence_);
  return p;
}

Status Platform::ApplyRetention() {
  constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
  const std::int64_t now = ToUnixMillis(clock_.Now());
  core::RetentionPolicy policy;
  policy.raw_before_ms = now - settings_.telemetry_retention_raw_days * kDayMs;
  policy.minute_before_ms = now - settings_.telemetry_retention_minute_days * kDayMs;
  if (settings_.telemetry_retention_hour_days > 0) {
    policy.hour_before_ms = now - settings_.telemetry_retention_hour_days * kDayMs;
  }
  SW_ASSIGN_OR_RETURN(auto result, telemetry_store_->ApplyRetention(policy));
  if (result.raw_deleted + result.minute_deleted + result.hour_deleted > 0) {
    log::Info("telemetry retention", {{"raw_deleted", std::to_string(result.raw_deleted)},
                                      {"minute_deleted", std::to_string(result.minute_deleted)},
                                      {"hour_deleted", std::to_string(result.hour_deleted)}});
  }
  return Ok{};
}

}  // namespace sw::app
