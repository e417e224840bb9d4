#include "app/platform.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

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
  return p;
}

}  // namespace sw::app
