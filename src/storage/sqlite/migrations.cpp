#include "storage/sqlite/migrations.hpp"

namespace sw::storage::sqlite {

// Times are unix milliseconds (INTEGER). Every tenant table carries workshop_id.
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "tenancy_and_auth", R"sql(
CREATE TABLE workshops (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL,
  slug              TEXT NOT NULL UNIQUE,
  timezone          TEXT NOT NULL DEFAULT 'UTC',
  address           TEXT NOT NULL DEFAULT '',
  phone             TEXT NOT NULL DEFAULT '',
  email             TEXT NOT NULL DEFAULT '',
  active            INTEGER NOT NULL DEFAULT 1,
  nominal_voltage_v REAL NOT NULL DEFAULT 230,
  power_factor      REAL NOT NULL DEFAULT 0.95,
  tariff_per_kwh    REAL NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);

CREATE TABLE pits (
  id          INTEGER PRIMARY KEY,
  workshop_id INTEGER NOT NULL REFERENCES workshops(id),
  number      INTEGER NOT NULL,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'maintenance')),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (workshop_id, number)
);

CREATE TABLE users (
  id                 INTEGER PRIMARY KEY,
  workshop_id        INTEGER REFERENCES workshops(id),
  username           TEXT NOT NULL,
  email              TEXT NOT NULL DEFAULT '',
  full_name          TEXT NOT NULL DEFAULT '',
  role               TEXT NOT NULL CHECK (role IN ('super_admin', 'owner', 'staff', 'customer')),
  password_hash      TEXT NOT NULL,
  active             INTEGER NOT NULL DEFAULT 1,
  temporary_password INTEGER NOT NULL DEFAULT 0,
  failed_logins      INTEGER NOT NULL DEFAULT 0,
  locked_until       INTEGER,
  last_login         INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  CHECK ((role = 'super_admin') = (workshop_id IS NULL))
);
CREATE UNIQUE INDEX users_username ON users (username COLLATE NOCASE);
CREATE INDEX users_workshop ON users (workshop_id);

CREATE TABLE sessions (
  id         TEXT PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE audit_log (
  id            INTEGER PRIMARY KEY,
  at            INTEGER NOT NULL,
  actor_id      INTEGER,
  actor_name    TEXT NOT NULL,
  workshop_id   INTEGER,
  action        TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id   TEXT NOT NULL,
  before_json   TEXT,
  after_json    TEXT,
  ip            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_workshop_at ON audit_log (workshop_id, at);
CREATE INDEX audit_log_at ON audit_log (at);
)sql"},
      {2, "devices_and_licences", R"sql(
CREATE TABLE devices (
  id                INTEGER PRIMARY KEY,
  uid               TEXT NOT NULL UNIQUE,
  kind              TEXT NOT NULL CHECK (kind IN ('sensor_node', 'gateway', 'outlet', 'camera')),
  workshop_id       INTEGER NOT NULL REFERENCES workshops(id),
  pit_id            INTEGER REFERENCES pits(id) ON DELETE SET NULL,
  parent_id         INTEGER REFERENCES devices(id),
  radio_address     INTEGER CHECK (radio_address BETWEEN 1 AND 254),
  name              TEXT NOT NULL DEFAULT '',
  status            TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled', 'suspended',
                                                    'maintenance')),
  online            INTEGER NOT NULL DEFAULT 0,
  last_seen         INTEGER,
  firmware_version  TEXT NOT NULL DEFAULT '',
  secret_hash       TEXT NOT NULL,
  report_interval_s INTEGER NOT NULL DEFAULT 30,
  deleted_at        INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  CHECK ((kind = 'outlet') = (parent_id IS NOT NULL AND radio_address IS NOT NULL))
);
CREATE INDEX devices_workshop ON devices (workshop_id);
CREATE UNIQUE INDEX devices_radio_address ON devices (parent_id, radio_address)
  WHERE parent_id IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE licences (
  device_id  INTEGER PRIMARY KEY REFERENCES devices(id),
  key        TEXT NOT NULL UNIQUE,
  plan       TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('trial', 'active', 'grace', 'suspended', 'expired',
                                             'cancelled')),
  starts_at  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  grace_days INTEGER NOT NULL
);
)sql"},
      {3, "mqtt_broker_state", R"sql(
-- Retained MQTT messages and persistent MQTT sessions; the blobs are the broker's own
-- serialisation (src/broker/persist.hpp).
CREATE TABLE mqtt_retained (
  topic TEXT PRIMARY KEY,
  blob  BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE mqtt_sessions (
  client_id TEXT PRIMARY KEY,
  blob      BLOB NOT NULL
) WITHOUT ROWID;
)sql"},
      {4, "telemetry", R"sql(
-- Time series (src/storage/sqlite/telemetry_store.hpp). No foreign keys to devices: a
-- retired device keeps its history; PurgeDevice removes it.
CREATE TABLE metric_names (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
-- Every reading, valid or flagged (flags bit 0: out of range).
CREATE TABLE readings (
  device_id INTEGER NOT NULL,
  metric_id INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  value     REAL NOT NULL,
  flags     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (device_id, metric_id, ts)
) WITHOUT ROWID;
-- Roll-ups of the valid readings in [bucket_ts, bucket_ts + 1 min / 1 h); last_value is the
-- value of the reading with the greatest ts (last_ts) in the bucket.
CREATE TABLE rollup_minute (
  device_id   INTEGER NOT NULL,
  metric_id   INTEGER NOT NULL,
  bucket_ts   INTEGER NOT NULL,
  n           INTEGER NOT NULL,
  min_value   REAL NOT NULL,
  max_value   REAL NOT NULL,
  sum_value   REAL NOT NULL,
  last_value  REAL NOT NULL,
  last_ts     INTEGER NOT NULL,
  PRIMARY KEY (device_id, metric_id, bucket_ts)
) WITHOUT ROWID;
CREATE TABLE rollup_hour (
  device_id   INTEGER NOT NULL,
  metric_id   INTEGER NOT NULL,
  bucket_ts   INTEGER NOT NULL,
  n           INTEGER NOT NULL,
  min_value   REAL NOT NULL,
  max_value   REAL NOT NULL,
  sum_value   REAL NOT NULL,
  last_value  REAL NOT NULL,
  last_ts     INTEGER NOT NULL,
  PRIMARY KEY (device_id, metric_id, bucket_ts)
) WITHOUT ROWID;
CREATE TABLE device_events (
  id          INTEGER PRIMARY KEY,
  device_id   INTEGER NOT NULL,
  workshop_id INTEGER NOT NULL,
  ts          INTEGER NOT NULL,
  type        TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX device_events_device ON device_events (device_id, id);
)sql"},
      {5, "device_provisioning", R"sql(
-- A workshop's provisioning key (PRODUCT.md §4): only its SHA-256 is kept.
CREATE TABLE workshop_provisioning (
  workshop_id INTEGER PRIMARY KEY REFERENCES workshops(id),
  key_hash    TEXT NOT NULL,
  rotated_at  INTEGER NOT NULL
);
-- What a device said about itself when it announced (JSON: kind, mac, fw, sensors).
ALTER TABLE devices ADD COLUMN announce TEXT;
CREATE INDEX devices_workshop_status ON devices (workshop_id, status);
)sql"},
      {6, "device_commands", R"sql(
-- Commands to devices (issue 7) and every transition of their lifecycle. Purging a device
-- removes its commands.
CREATE TABLE commands (
  id              TEXT PRIMARY KEY,
  device_id       INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  workshop_id     INTEGER NOT NULL,
  name            TEXT NOT NULL,
  params          TEXT NOT NULL DEFAULT '{}',
  state           TEXT NOT NULL CHECK (state IN
                    ('queued', 'sent', 'succeeded', 'failed', 'expired', 'cancelled')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  issued_by       INTEGER,
  idempotency_key TEXT,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  sent_at         INTEGER,
  next_attempt_at INTEGER,
  finished_at     INTEGER,
  result_detail   TEXT NOT NULL DEFAULT '',
  verified        INTEGER,
  measured_ma     INTEGER
);
CREATE UNIQUE INDEX commands_idempotency ON commands (issued_by, device_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX commands_device ON commands (device_id);
CREATE INDEX commands_open ON commands (state, expires_at) WHERE state IN ('queued', 'sent');
CREATE TABLE command_transitions (
  id         INTEGER PRIMARY KEY,
  command_id TEXT NOT NULL REFERENCES commands(id) ON DELETE CASCADE,
  state      TEXT NOT NULL,
  at         INTEGER NOT NULL,
  detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX command_transitions_command ON command_transitions (command_id, id);
)sql"},
      {7, "socket_commands", R"sql(
-- The socket view of an outlet (issue 7): its open commands and its last succeeded ones, by
-- finish time, without scanning the device's whole command history.
CREATE INDEX commands_device_state ON commands (device_id, state, finished_at);
)sql"},
      {8, "mqtt_integrations", R"sql(
-- MQTT integration accounts (issue 4): Home Assistant, Node-RED, mosquitto_sub. The secret
-- is kept as SHA-256 only. Commands they request keep their history when they are deleted.
CREATE TABLE integrations (
  id                INTEGER PRIMARY KEY,
  workshop_id       INTEGER NOT NULL REFERENCES workshops(id),
  name              TEXT NOT NULL,
  username          TEXT NOT NULL UNIQUE,
  access            TEXT NOT NULL CHECK (access IN ('read', 'read_write')),
  enabled           INTEGER NOT NULL DEFAULT 1,
  secret_hash       TEXT NOT NULL,
  secret_rotated_at INTEGER NOT NULL,
  created_by        INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE INDEX integrations_workshop ON integrations (workshop_id, id);
ALTER TABLE commands ADD COLUMN issued_by_integration INTEGER
  REFERENCES integrations(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX commands_integration_idempotency
  ON commands (issued_by_integration, device_id, idempotency_key)
  WHERE issued_by_integration IS NOT NULL AND idempotency_key IS NOT NULL;
CREATE INDEX commands_integration ON commands (issued_by_integration)
  WHERE issued_by_integration IS NOT NULL;
)sql"},
      {9, "outlet_radio_protocol", R"sql(
-- Which radio protocol a gateway speaks to an outlet (issue 6): 2 = Sitewatch v2 frames,
-- 1 = a legacy PIC outlet. Sent to the gateway in sync_outlets.
ALTER TABLE devices ADD COLUMN radio_protocol INTEGER NOT NULL DEFAULT 2
  CHECK (radio_protocol IN (1, 2));
)sql"},
  };
  return kMigrations;
}

}  // namespace sw::storage::sqlite
