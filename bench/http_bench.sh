#!/usr/bin/env bash
# HTTP throughput and latency of a real server (build/bin/sitewatch) on a temp data dir:
#   reference:  GET /health                 (no auth, no database)
#   rest_read:  GET /api/v1/workshops       (bearer token: JWT check + permission + SQLite read)
# Prints a table and writes build/bench/http.json. See bench/README.md for how to read it.
# Knobs: BENCH_DURATION (10s), BENCH_THREADS (2), BENCH_CONNECTIONS (32).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=build/bin/sitewatch
duration=${BENCH_DURATION:-10s}
threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-32}
out=build/bench/http.json
password="bench-$(date +%s)-$$-pw"

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "http_bench: $tool not found (scripts/bootstrap.sh)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "http_bench: $bin not found; run 'make build' first" >&2; exit 1; }

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
  echo "http_bench: $*" >&2
  if [ -f "$tmp/server.log" ]; then
    echo "---- server log (last 30 lines) ----" >&2
    tail -n 30 "$tmp/server.log" >&2
  fi
  exit 1
}

# ---- start the server on free ports and wait (at most 30 s) for its ready file ----
# The per-user API rate limit (default 1200/min) is lifted: this measures the request path,
# not the limiter, and wrk sends everything as one user. 1000000/min (the maximum) covers
# the default 10 s run; a much longer BENCH_DURATION can hit it (429s fail the run).
mkdir -p "$tmp/data"
SITEWATCH_INIT_ADMIN_PASSWORD="$password" "$bin" serve --data-dir "$tmp/data" \
  --http-address 127.0.0.1 --http-port 0 --mqtt-port 0 --ready-file "$tmp/ready" \
  --api-rate-limit-per-minute 1000000 \
  >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  grep -q '}' "$tmp/ready" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || fail "server exited before it was ready"
  sleep 0.1
done
grep -q '}' "$tmp/ready" 2>/dev/null || fail "no ready file after 30 s"
port=$(sed -n 's/.*"http_port"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$tmp/ready")
[ -n "$port" ] || fail "no http_port in ready file: $(cat "$tmp/ready")"
base="http://127.0.0.1:$port"

# ---- log in, and check both endpoints answer 200 before measuring them ----
login=$(curl -sS --max-time 10 -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" "$base/api/v1/auth/login") ||
  fail "login request failed"
token=$(printf '%s' "$login" | sed -n 's/.*"access_token"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
[ -n "$token" ] || fail "login gave no access_token: $login"
export SW_BENCH_TOKEN="$token"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "$base/health") || code=000
[ "$code" = 200 ] || fail "GET /health returned $code"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $token" "$base/api/v1/workshops") || code=000
[ "$code" = 200 ] || fail "GET /api/v1/workshops returned $code"

# ---- measure ----
# run_wrk NAME URL [wrk args...]: runs wrk, keeps its output in $tmp/NAME.txt.
run_wrk() {
  local name=$1 url=$2
  shift 2
  echo "http_bench: $name: wrk -t$threads -c$connections -d$duration $url" >&2
  wrk -t"$threads" -c"$connections" -d"$duration" --timeout 5s --latency "$@" "$url" \
    >"$tmp/$name.txt" 2>&1 || fail "wrk failed: $(cat "$tmp/$name.txt")"
  if grep -q 'Non-2xx or 3xx responses' "$tmp/$name.txt"; then
    cat "$tmp/$name.txt" >&2
    fail "$name: some responses were not 2xx/3xx"
  fi
}
# rps FILE / latency_ms FILE PERCENT: figures from wrk --latency output (latency in ms).
rps() { awk '/^Requests\/sec:/ { printf "%.1f", $2 }' "$1"; }
latency_ms() {
  awk -v p="$2%" '$1 == p {
    v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
    f = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : -1
    if (f > 0) printf "%.3f", v * f
  }' "$1"
}

run_wrk health "$base/health"
run_wrk rest_read "$base/api/v1/workshops" -s bench/lua/auth_get.lua

# ---- stop the server: SIGTERM must make it exit 0 within 10 s ----
kill -TERM "$server_pid"
for _ in $(seq 100); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$server_pid" 2>/dev/null && fail "server still running 10 s after SIGTERM"
rc=0
wait "$server_pid" || rc=$?
server_pid=
[ "$rc" -eq 0 ] || fail "server exited $rc after SIGTERM"

# ---- report ----
health_rps=$(rps "$tmp/health.txt")
health_p50=$(latency_ms "$tmp/health.txt" 50)
health_p99=$(latency_ms "$tmp/health.txt" 99)
rest_rps=$(rps "$tmp/rest_read.txt")
rest_p50=$(latency_ms "$tmp/rest_read.txt" 50)
rest_p99=$(latency_ms "$tmp/rest_read.txt" 99)
for v in "$health_rps" "$health_p50" "$health_p99" "$rest_rps" "$rest_p50" "$rest_p99"; do
  [ -n "$v" ] || fail "could not parse wrk output: $(cat "$tmp/health.txt" "$tmp/rest_read.txt")"
done
ratio=$(awk -v a="$rest_rps" -v b="$health_rps" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }')

cpus=$(nproc)
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpu_model=${cpu_model:-unknown}
cpu_model=$(printf '%s' "$cpu_model" | sed 's/\\/\\\\/g; s/"/\\"/g')
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
kernel=$(uname -r)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

printf '\n%-34s %12s %10s %10s\n' "endpoint" "requests/s" "p50 ms" "p99 ms"
printf '%-34s %12s %10s %10s\n' "GET /health (reference)" "$health_rps" "$health_p50" "$health_p99"
printf '%-34s %12s %10s %10s\n' "GET /api/v1/workshops (bearer)" "$rest_rps" "$rest_p50" "$rest_p99"
printf 'rest_read / health throughput: %s   (wrk -t%s -c%s -d%s; %s CPUs, %s)\n\n' \
  "$ratio" "$threads" "$connections" "$duration" "$cpus" "$cpu_model"

mkdir -p "$(dirname "$out")"
{
  printf '{"name":"http","commit":"%s",' "$commit"
  printf '"machine":{"nproc":%s,"cpu_model":"%s","mem_total_mb":%s,"kernel":"%s"},' \
    "$cpus" "$cpu_model" "$mem_mb" "$kernel"
  printf '"params":{"threads":%s,"connections":%s,"duration":"%s"},' \
    "$threads" "$connections" "$duration"
  printf '"figures":{"health_rps":%s,"health_p50_ms":%s,"health_p99_ms":%s,' \
    "$health_rps" "$health_p50" "$health_p99"
  printf '"rest_read_rps":%s,"rest_read_p50_ms":%s,"rest_read_p99_ms":%s},' \
    "$rest_rps" "$rest_p50" "$rest_p99"
  printf '"reference":{"health_rps":%s},' "$health_rps"
  printf '"ratios":{"rest_read_vs_health":%s}}\n' "$ratio"
} >"$out"
echo "http_bench: wrote $out"
