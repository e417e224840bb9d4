#!/usr/bin/env bash
# Commands benchmark (issue 7): click -> device -> result over loopback, in one invocation.
#   sitewatch serve on a temporary SQLite database; BENCH_DEVICES (1000) gateways with one
#   outlet each registered through the REST API (as the administrator); build/bin/commands_load
#   (bench/commands_load.cpp) connects each gateway over MQTT, subscribed to its outlet's
#   command topic and answering every command at once with the relay's current, keeps one
#   WebSocket client on the workshop, and sends POST /api/v1/devices/{outlet}/commands
#   (relay a on) at BENCH_RATE (100) per second for BENCH_SECONDS (10) s over
#   BENCH_CONNECTIONS (2) keep-alive HTTP clients, the outlets in turn. Figures (p50/p99):
#     deliver  request sent -> the device has the command       (issue target: p99 <= 5 ms)
#     response request sent -> HTTP 202 read
#     visible  request sent -> WebSocket `command` event `succeeded` (the console sees it)
#     result   device's result sent -> that event (the server's result path alone)
#   References in the same run, at the same rate: http_floor (GET /health round trip) and
#   mqtt_floor (a device's QoS 1 publish routed back to it by the broker). Ratio:
#   deliver p50 / (http_floor p50 + mqtt_floor p50) — the command path's cost over the bare
#   transports it crosses.
# Prints the figures; writes build/bench/commands.json (BENCH_OUT). BENCH_BUILD picks the
# build directory (build).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BENCH_BUILD:-build}
bin=$build/bin/sitewatch
load=$build/bin/commands_load
devices=${BENCH_DEVICES:-1000}
rate=${BENCH_RATE:-100}
seconds=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-2}
out=${BENCH_OUT:-build/bench/commands.json}

for f in "$bin" "$load"; do
  [ -x "$f" ] || { echo "commands_bench: $f not found; run 'make build' first" >&2; exit 1; }
done
[ "$(ulimit -n)" -ge $((devices + 100)) ] || ulimit -n $((devices + 1000)) 2>/dev/null ||
  { echo "commands_bench: need $((devices + 100)) file descriptors (ulimit -n)" >&2; exit 1; }

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
  echo "commands_bench: $*" >&2
  [ -f "$tmp/server.log" ] && tail -n 30 "$tmp/server.log" >&2
  exit 1
}

password=bench-admin-password-1
SITEWATCH_INIT_ADMIN_PASSWORD=$password SITEWATCH_AUTH_ARGON2_MEMLIMIT_KIB=8192 \
  SITEWATCH_AUTH_ARGON2_OPSLIMIT=1 \
  "$bin" serve --data-dir "$tmp/data" --http-address 127.0.0.1 --http-port 0 \
  --mqtt-address 127.0.0.1 --mqtt-port 0 --ready-file "$tmp/ready" --mqtt-sys-interval-s 0 \
  --api-rate-limit-per-minute 1000000 --commands-per-user-per-minute 1000000 \
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

# Register the gateways and their outlets (REST, as the administrator).
python3 - "$http_port" "$password" "$devices" "$tmp/credentials" "$tmp/session" <<'PY' ||
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
ws = call("POST", "/workshops", {"name": "Bench Outlets"}, token)["id"]
with open(path, "w") as f:
    for i in range(1, n + 1):
        gw = call("POST", f"/workshops/{ws}/devices", {"uid": f"CCU-{i}", "kind": "gateway"}, token)
        outlet = call("POST", f"/workshops/{ws}/devices",
                      {"kind": "outlet", "parent_uid": f"CCU-{i}", "radio_address": 1}, token)
        f.write(f"CCU-{i} {gw['secret']} {outlet['device']['uid']}\n")
with open(session, "w") as f:
    f.write(f"{token} {ws}\n")
PY
  fail "registering the devices failed"
read -r token workshop <"$tmp/session"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
ticks_per_s=$(getconf CLK_TCK)
cpu_before=$(cpu_ticks)
load_rc=0
"$load" --mqtt-port "$mqtt_port" --http-port "$http_port" --token "$token" \
  --workshop "$workshop" --credentials "$tmp/credentials" --rate "$rate" --seconds "$seconds" \
  --connections "$connections" >"$tmp/load.json" || load_rc=$?
cpu_after=$(cpu_ticks)
[ -s "$tmp/load.json" ] || fail "commands_load failed (exit $load_rc)"
# Every command must reach its device and be seen to succeed; a shorter sample is a failure.
[ "$load_rc" = 0 ] || fail "commands_load: not every command was delivered and seen: $(cat "$tmp/load.json")"
kill -TERM "$server_pid"
wait "$server_pid" || fail "sitewatch did not stop cleanly"
server_pid=

mkdir -p "$(dirname "$out")"
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 - "$tmp/load.json" "$out" "$cpu_before" "$cpu_after" "$ticks_per_s" "$(nproc)" \
  "${cpu_model:-unknown}" "$commit" <<'PY'
import json, sys
load, out, c0, c1, hz, nproc, cpu_model, commit = sys.argv[1:]
m = json.load(open(load))
cpu_s = (int(c1) - int(c0)) / int(hz)
floor = m["http_floor"]["p50_ms"] + m["mqtt_floor"]["p50_ms"]
result = {
    "name": "commands", "commit": commit,
    "machine": {"nproc": int(nproc), "cpu_model": cpu_model},
    "params": {"devices": m["devices"], "rate_per_s": m["rate"], "seconds": m["seconds"],
               "http_connections": m["connections"]},
    "commands": m["commands"], "achieved_rate_per_s": m["achieved_rate"],
    "delivered": m["delivered"], "succeeded": m["succeeded"], "errors": m["errors"],
    "figures": {k: m[k] for k in ("deliver", "response", "visible", "result")},
    "reference": {k: m[k] for k in ("http_floor", "mqtt_floor")},
    "ratios": {"deliver_p50_vs_floors": round(m["deliver"]["p50_ms"] / floor, 2) if floor else None},
    "server_cpu_seconds": round(cpu_s, 2),
    "target_deliver_p99_ms": 5,
}
result["target_met"] = m["deliver"]["p99_ms"] <= 5 and m["delivered"] == m["commands"]
json.dump(result, open(out, "w"), indent=2)
f = result["figures"]
r = result["reference"]
print(f"commands: {m['commands']} relay commands at {m['achieved_rate']:.0f}/s to {m['devices']} "
      f"MQTT gateways (one outlet each) over {m['connections']} HTTP connections: "
      f"{m['delivered']} delivered, {m['succeeded']} seen succeeded, {m['errors']} errors; "
      f"server CPU {cpu_s:.1f} s")
for name, what in (("deliver", "request -> device has it"), ("response", "request -> 202 read"),
                   ("visible", "request -> succeeded on the WebSocket"),
                   ("result", "device result -> succeeded on the WebSocket")):
    s = f[name]
    print(f"  {name:9} p50 {s['p50_ms']:6.2f} ms  p90 {s['p90_ms']:6.2f} ms  p99 {s['p99_ms']:6.2f} ms"
          f"  max {s['max_ms']:6.1f} ms   {what}")
for name, what in (("http_floor", "GET /health round trip (reference)"),
                   ("mqtt_floor", "device publish -> device, via the broker (reference)")):
    s = r[name]
    print(f"  {name:10} p50 {s['p50_ms']:5.2f} ms  p90 {s['p90_ms']:6.2f} ms  p99 {s['p99_ms']:6.2f} ms"
          f"  max {s['max_ms']:6.1f} ms   {what}")
print(f"ratio: deliver p50 / (http_floor p50 + mqtt_floor p50) = "
      f"{result['ratios']['deliver_p50_vs_floors']}")
print(f"target: deliver p99 <= 5 ms: {'met' if result['target_met'] else 'NOT met'}")
PY
echo "commands_bench: wrote $out"
