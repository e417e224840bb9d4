#!/usr/bin/env bash
# Telemetry ingest benchmark, end to end, in one invocation:
#   (a) sitewatch serve on a temporary SQLite database; BENCH_DEVICES (1000) devices registered
#       through the REST API; build/bin/ingest_load opens one MQTT connection per device and
#       each sends BENCH_MESSAGES (200) QoS 1 telemetry messages of 8 sensor values, 32 in
#       flight per connection, readings 10 s apart (a sensor node's interval). A QoS 1 telemetry message is acknowledged only after its
#       readings are committed, so acknowledged readings/s = durable readings/s. Then the
#       server stops and the rows in the database are counted (zero loss = every
#       acknowledged reading is there).
#   (b) reference: the same rows inserted straight into SQLite (one table, one transaction per
#       20,000 rows, same synchronous setting) — the ceiling for any SQLite-backed ingest.
#   (c) publish -> browser latency on the same server: build/bin/live_load (bench/live_load.cpp)
#       keeps one WebSocket client subscribed to the workshop and has BENCH_LIVE_DEVICES (6000)
#       devices publish every 300 ms, BENCH_LIVE_RATE (20000) messages/s in all, for
#       BENCH_LIVE_SECONDS (10) s; p50/p99 of the time from the PUBLISH to the `telemetry` event.
#   (d) History of one metric over 30 days at a 10 s interval down-sampled to 1,000 points:
#       from bench/telemetry_store_bench (hour resolution is what `auto` picks for that range).
# Prints the figures; writes build/bench/ingest.json.
# Knobs: BENCH_BUILD (build), BENCH_DEVICES, BENCH_MESSAGES, BENCH_WINDOW (32),
# BENCH_DURABLE (1: synchronous=FULL; 0: NORMAL), BENCH_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BENCH_BUILD:-build}
bin=$build/bin/sitewatch
load=$build/bin/ingest_load
live=$build/bin/live_load
store_bench=$build/bin/telemetry_store_bench
devices=${BENCH_DEVICES:-1000}
messages=${BENCH_MESSAGES:-200}
window=${BENCH_WINDOW:-32}
durable=${BENCH_DURABLE:-1}
out=${BENCH_OUT:-build/bench/ingest.json}
live_rate=${BENCH_LIVE_RATE:-20000}
live_seconds=${BENCH_LIVE_SECONDS:-10}
live_devices=$((live_rate * 300 / 1000))
registered=$((devices > live_devices ? devices : live_devices))

for f in "$bin" "$load" "$live" "$store_bench"; do
  [ -x "$f" ] || { echo "ingest_bench: $f not found; run 'make build' first" >&2; exit 1; }
done
[ "$(ulimit -n)" -ge $((registered + 100)) ] || ulimit -n $((registered + 1000)) 2>/dev/null ||
  { echo "ingest_bench: need $((registered + 100)) file descriptors (ulimit -n)" >&2; exit 1; }

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "ingest_bench: $*" >&2
  [ -f "$tmp/server.log" ] && tail -n 30 "$tmp/server.log" >&2
  exit 1
}

# (b) first, so that neither run waits for the other's writes to reach the disk.
ceiling_sync=full
[ "$durable" = 1 ] || ceiling_sync=normal
"$load" ceiling --db "$tmp/ceiling.db" --devices "$devices" --messages "$messages" \
  --sync "$ceiling_sync" >"$tmp/ceiling.json" || fail "ingest_load ceiling failed"
rm -f "$tmp/ceiling.db"*
sync

sync_flag=true
[ "$durable" = 1 ] || sync_flag=false
password=bench-admin-password-1
SITEWATCH_INIT_ADMIN_PASSWORD=$password SITEWATCH_AUTH_ARGON2_MEMLIMIT_KIB=8192 \
  SITEWATCH_AUTH_ARGON2_OPSLIMIT=1 \
  "$bin" serve --data-dir "$tmp/data" --http-address 127.0.0.1 --http-port 0 \
  --mqtt-address 127.0.0.1 --mqtt-port 0 --ready-file "$tmp/ready" --mqtt-sys-interval-s 0 \
  --api-rate-limit-per-minute 1000000 --storage-sqlite-durable-sync "$sync_flag" \
  --http-web-root "" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  [ -s "$tmp/ready" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "sitewatch exited during start-up"
  sleep 0.1
done
[ -s "$tmp/ready" ] || fail "sitewatch not ready after 30 s"
http_port=$(sed -n 's/.*"http_port": *\([0-9]*\).*/\1/p' "$tmp/ready")
mqtt_port=$(sed -n 's/.*"mqtt_port": *\([0-9]*\).*/\1/p' "$tmp/ready")

# Register the devices (REST, as the administrator) and collect their secrets.
python3 - "$http_port" "$password" "$registered" "$tmp/all-credentials" "$tmp/session" <<'PY'
import json, sys, urllib.request
port, password, n, path, session = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
base = f"http://127.0.0.1:{port}/api/v1"
def call(method, url, body=None, token=None):
    req = urllib.request.Request(base + url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    if token: req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["data"]
token = call("POST", "/auth/login", {"username": "admin", "password": password})["access_token"]
ws = call("POST", "/workshops", {"name": "Bench Chain"}, token)["id"]
with open(path, "w") as f:
    for i in range(1, n + 1):
        d = call("POST", f"/workshops/{ws}/devices",
                 {"uid": f"BENCH-{i}", "kind": "sensor_node", "report_interval_s": 10}, token)
        f.write(f"BENCH-{i} {d['secret']}\n")
with open(session, "w") as f:
    f.write(f"{token} {ws}\n")
PY
head -n "$devices" "$tmp/all-credentials" >"$tmp/credentials"
read -r token workshop <"$tmp/session"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
ticks_per_s=$(getconf CLK_TCK)
cpu_before=$(cpu_ticks)
"$load" mqtt --port "$mqtt_port" --credentials "$tmp/credentials" --messages "$messages" \
  --window "$window" >"$tmp/mqtt.json" || fail "ingest_load mqtt failed: $(cat "$tmp/mqtt.json")"
cpu_after=$(cpu_ticks)
rss_peak_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")

# Every acknowledged reading is committed: a new reader of the live database sees them all.
read -r rows minute_rows minute_sum <<<"$(python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
one = lambda q: db.execute(q).fetchone()[0]
print(one("SELECT COUNT(*) FROM readings"), one("SELECT COUNT(*) FROM rollup_minute"),
      one("SELECT COALESCE(SUM(n), 0) FROM rollup_minute"))' "$tmp/data/sitewatch.db")"

"$live" --mqtt-port "$mqtt_port" --http-port "$http_port" --token "$token" \
  --workshop "$workshop" --credentials "$tmp/all-credentials" --rate "$live_rate" \
  --seconds "$live_seconds" --interval-ms 300 >"$tmp/live.json" || fail "live_load failed"
kill -TERM "$server_pid"
wait "$server_pid" || fail "sitewatch did not stop cleanly"
server_pid=


"$store_bench" "$tmp/store.json" --dir "$tmp/store" --devices 200 --metrics 5 --rounds 10 \
  --batch 5000 --durable "$durable" >"$tmp/store.log" || fail "telemetry_store_bench failed"

mkdir -p "$(dirname "$out")"
python3 - "$tmp" "$rows" "$minute_rows" "$minute_sum" "$cpu_before" "$cpu_after" "$ticks_per_s" "$rss_peak_kb" \
  "$devices" "$messages" "$durable" "$out" <<'PY'
import json, sys
tmp, rows, minute_rows, minute_sum, c0, c1, hz, rss, devices, messages, durable, out = sys.argv[1:]
m = json.load(open(f"{tmp}/mqtt.json"))
c = json.load(open(f"{tmp}/ceiling.json"))
s = json.load(open(f"{tmp}/store.json"))
lv = json.load(open(f"{tmp}/live.json"))
cpu_s = (int(c1) - int(c0)) / int(hz)
rate = m["readings_per_s"]
result = {
    "devices": int(devices), "messages_per_device": int(messages), "values_per_message": 8,
    "durable_sync": durable == "1",
    "acked_messages": m["acked"], "readings_acked": m["readings"],
    "rows_in_database": int(rows), "lost": max(0, m["readings"] - int(rows)),
    "minute_rollup_rows": int(minute_rows), "readings_in_minute_rollups": int(minute_sum),
    "seconds": m["seconds"], "readings_per_s": rate,
    "ceiling_readings_per_s": c["readings_per_s"],
    "ratio_to_ceiling": round(rate / c["readings_per_s"], 3) if c["readings_per_s"] else 0,
    "server_cpu_seconds": round(cpu_s, 2),
    "server_cpu_percent": round(100 * cpu_s / m["seconds"], 1) if m["seconds"] else 0,
    "server_rss_peak_kb": int(rss),
    # AutoResolution picks hour roll-ups for 30 days at 1,000 points (src/core/telemetry_service.cpp).
    "history_30d_1000pts_ms": s.get("history_30d_1000pts_hour_ms"),
    "history_30d_1000pts_minute_ms": s.get("history_30d_1000pts_minute_ms"),
    "live_devices": lv["devices"], "live_rate_msgs_per_s": lv["rate"], "live_events": lv["events"],
    "live_sent": lv["sent"], "live_p50_ms": lv["p50_ms"], "live_p90_ms": lv["p90_ms"],
    "live_p99_ms": lv["p99_ms"], "live_max_ms": lv["max_ms"],
    "target_readings_per_s": 150000, "floor_readings_per_s": 100000, "target_live_p99_ms": 10,
    "target_history_ms": 10,
}
result["target_met"] = rate >= 150000 and result["lost"] == 0
result["history_target_met"] = (result["history_30d_1000pts_ms"] or 1e9) <= 10
result["live_closed"] = lv["closed"]
# The browser must get the stream: a session dropped as too slow (4408) is a failure, not a
# shorter sample. (A device's messages that arrive within 250 ms of each other — when the
# load tool itself was held up — are merged into one event by design, hence 99 %.)
result["live_target_met"] = (lv["p99_ms"] <= 10 and lv["rate"] >= 0.95 * 20000
                             and lv["events"] >= 0.99 * lv["sent"] and not lv["closed"])
json.dump(result, open(out, "w"), indent=2)
print(f"ingest: {result['readings_acked']:,} readings from {devices} MQTT devices in "
      f"{result['seconds']:.2f} s = {rate:,.0f} readings/s durable "
      f"(ceiling, plain SQLite: {c['readings_per_s']:,.0f}/s, ratio {result['ratio_to_ceiling']})")
print(f"        rows in the database: {int(rows):,} raw, {int(minute_rows):,} minute roll-ups "
      f"covering {int(minute_sum):,} readings; lost: {result['lost']}; server CPU "
      f"{result['server_cpu_percent']}% ({cpu_s:.1f} s); peak RSS {int(rss) / 1024:.0f} MiB")
print(f"history: 30 days at 10 s -> 1,000 points: {result['history_30d_1000pts_ms']} ms "
      f"(hour roll-ups, what auto picks); forced minute resolution: "
      f"{result['history_30d_1000pts_minute_ms']} ms")
print(f"live:   {lv['sent']:,} messages from {lv['devices']} devices at {lv['rate']:,.0f}/s -> "
      f"{lv['events']:,} WebSocket events; publish->browser p50 {lv['p50_ms']:.2f} ms, "
      f"p90 {lv['p90_ms']:.2f} ms, p99 {lv['p99_ms']:.2f} ms, max {lv['max_ms']:.1f} ms"
      + (f"; SESSION CLOSED: {lv['closed']}" if lv["closed"] else ""))
print(f"target: >= 150,000 readings/s with zero loss: {'met' if result['target_met'] else 'NOT met'}; "
      f"history <= 10 ms: {'met' if result['history_target_met'] else 'NOT met'}; "
      f"live p99 <= 10 ms at 20,000/s: {'met' if result['live_target_met'] else 'NOT met'}")
PY
echo "ingest_bench: wrote $out"
