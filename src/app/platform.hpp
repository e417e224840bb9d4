// Platform: the wiring of every part the subcommands need — clock, metrics, storage,
// crypto, token codec, services. The only place (with serve.cpp) that knows them all.
// Built once per process; the services it holds are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "app/settings.hpp"
#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "core/auth_service.hpp"
#include "core/device_service.hpp"
#include "core/ingest.hpp"
#include "core/integration_service.hpp"
#include "core/presence.hpp"
#include "core/telemetry_service.hpp"
#include "core/tenancy_service.hpp"
#include "security/crypto.hpp"
#include "security/jwt.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/sqlite/telemetry_store.hpp"

namespace sw::app {

class Platform {
 public:
  // Creates the data dir if needed, opens and migrates the database, loads or creates the
  // JWT key. Errors are for people: they say what to fix.
  static Result<std::unique_ptr<Platform>> Open(const Settings& settings);

  const Settings& settings() const { return settings_; }
  const Clock& clock() const { return clock_; }
  metrics::Registry& metrics() { return metrics_; }
  storage::sqlite::SqliteStore& store() { return *store_; }
  core::AuthService& auth() { return *auth_; }
  core::TenancyService& tenancy() { return *tenancy_; }
  core::DeviceService& devices() { return *devices_; }
  core::IntegrationService& integrations() { return *integrations_; }
  core::Crypto& crypto() { return *crypto_; }
  core::TelemetryStore& telemetry_store() { return *telemetry_store_; }
  // The ingest pipeline; serve starts its writer (Start) and stops it (Stop).
  core::IngestService& ingest() { return *ingest_; }
  core::PresenceTracker& presence() { return *presence_; }
  core::TelemetryService& telemetry() { return *telemetry_; }
  // Deletes readings and roll-ups past their retention (telemetry.retention_*).
  Status ApplyRetention();

  static std::string DatabasePath(const Settings& s) { return s.data_dir + "/sitewatch.db"; }

 private:
  explicit Platform(Settings s) : settings_(std::move(s)) {}

  Settings settings_;
  SystemClock clock_;
  metrics::Registry metrics_;
  std::unique_ptr<storage::sqlite::SqliteStore> store_;
  std::unique_ptr<security::SodiumCrypto> crypto_;
  std::unique_ptr<security::JwtCodec> jwt_;
  std::unique_ptr<core::AuthService> auth_;
  std::unique_ptr<core::TenancyService> tenancy_;
  std::unique_ptr<core::DeviceService> devices_;
  std::unique_ptr<core::IntegrationService> integrations_;
  std::unique_ptr<storage::sqlite::SqliteTelemetryStore> telemetry_store_;
  std::unique_ptr<core::IngestService> ingest_;
  std::unique_ptr<core::PresenceTracker> presence_;
  std::unique_ptr<core::TelemetryService> telemetry_;
};

// Creates `dir` (mode 0700) if missing.
Status EnsureDirectory(const std::string& dir);
// Reads the JWT key from `path`, or creates it (48 random bytes, mode 0600).
Result<std::string> LoadOrCreateSecret(const std::string& path, core::Crypto& crypto);

}  // namespace sw::app
