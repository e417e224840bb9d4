#!/usr/bin/env bash
# MQTT broker benchmark: Debian's mosquitto (reference) and sitewatch's built-in broker, with
# equivalent settings, measured one after the other in the same invocation by
# build/bin/broker_load (bench/broker_load.cpp):
#   (a) 1 publisher -> 1 subscriber, BENCH_COUNT (200000) messages of ~120 bytes, QoS 0 and QoS 1
#   (b) BENCH_PUBLISHERS (1000) publishers fan-in to one subscriber (QoS 0): a raw subscriber
#       (our codec, 64 KiB reads), and again with a libmosquitto subscriber, which tops out at
#       ~200k messages/s here (one packet per select(), three read() calls each) and so
#       measures the client more than the broker -- reported, not the target figure
#   (c) BENCH_IDLE (10000) idle connections: broker RSS growth per connection
# Prints each figure for both brokers and the ratio; writes build/bench/broker.json.
# Knobs: BENCH_BUILD (build), BENCH_COUNT, BENCH_PUBLISHERS, BENCH_PER_PUBLISHER (200),
# BENCH_IDLE, BENCH_OUT, BENCH_SITEWATCH_ARGS (extra `sitewatch serve` flags),
# BENCH_ONLY=idle (only (c), sitewatch alone: prints its RSS per idle connection and exits).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BENCH_BUILD:-build}
bin=$build/bin/sitewatch
load=$build/bin/broker_load
count=${BENCH_COUNT:-200000}
publishers=${BENCH_PUBLISHERS:-1000}
per_publisher=${BENCH_PER_PUBLISHER:-200}
idle=${BENCH_IDLE:-10000}
out=${BENCH_OUT:-build/bench/broker.json}
# mosquitto buffers QoS 0 for connected clients without a byte limit (max_queued_bytes 0), so
# sitewatch gets a budget large enough not to drop in these runs.
sitewatch_args=${BENCH_SITEWATCH_ARGS:---mqtt-max-queued-bytes 67108864}

command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] ||
  { echo "broker_bench: mosquitto not found (scripts/bootstrap.sh)" >&2; exit 1; }
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$bin" ] || { echo "broker_bench: $bin not found; run 'make build' first" >&2; exit 1; }
[ -x "$load" ] || { echo "broker_bench: $load not found (needs libmosquitto-dev)" >&2; exit 1; }
[ "$(ulimit -n)" -ge $((idle + 100)) ] || ulimit -n $((idle + 1000)) 2>/dev/null ||
  { echo "broker_bench: need $((idle + 100)) file descriptors (ulimit -n)" >&2; exit 1; }

tmp=$(mktemp -d)
broker_pid=
idle_pid=
cleanup() {
  for p in $idle_pid $broker_pid; do
    if kill -0 "$p" 2>/dev/null; then
      kill -KILL "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "broker_bench: $*" >&2
  for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "---- $f ----" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
json_field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"; }

wait_port() {
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$broker_pid" 2>/dev/null || fail "broker exited during start-up"
    sleep 0.1
  done
  fail "broker not listening on $1 after 30 s"
}

start_mosquitto() {
  port=$(free_port)
  cat >"$tmp/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 64
max_queued_messages 1000
sys_interval 10
log_dest stderr
log_type error
CONF
  "$mosquitto_bin" -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
  broker_pid=$!
  wait_port "$port"
}

start_sitewatch() {
  mkdir -p "$tmp/data"
  rm -f "$tmp/ready"
  SITEWATCH_INIT_ADMIN_PASSWORD="bench-$$-password" "$bin" serve --data-dir "$tmp/data" \
    --http-address 127.0.0.1 --http-port 0 --mqtt-address 127.0.0.1 --mqtt-port 0 \
    --ready-file "$tmp/ready" --log-level warn --mqtt-allow-anonymous \
    --mqtt-max-inflight 64 --mqtt-max-queued-messages 1000 --mqtt-sys-interval-s 10 \
    --mqtt-max-connections 100000 $sitewatch_args >"$tmp/sitewatch.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 300); do
    grep -q '}' "$tmp/ready" 2>/dev/null && break
    kill -0 "$broker_pid" 2>/dev/null || fail "sitewatch exited before it was ready"
    sleep 0.1
  done
  port=$(sed -n 's/.*"mqtt_port"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$tmp/ready")
  [ -n "$port" ] || fail "no mqtt_port in the ready file"
}

stop_broker() {
  kill -TERM "$broker_pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=
}

# measure_idle NAME: RSS growth per idle connection.
measure_idle() {
  local name=$1
  echo "broker_bench: $name: $idle idle connections" >&2
  sleep 0.5
  local before after
  before=$(rss_kb "$broker_pid")
  mkfifo "$tmp/hold"
  "$load" idle --port "$port" --connections "$idle" <"$tmp/hold" >"$tmp/$name-idle.json" \
    2>"$tmp/$name-idle.log" &
  idle_pid=$!
  exec 4>"$tmp/hold"
  for _ in $(seq 1200); do
    grep -q ready "$tmp/$name-idle.json" 2>/dev/null && break
    kill -0 "$idle_pid" 2>/dev/null || fail "$name: idle load failed: $(cat "$tmp/$name-idle.log")"
    sleep 0.1
  done
  grep -q ready "$tmp/$name-idle.json" || fail "$name: idle connections not ready after 120 s"
  sleep 1
  after=$(rss_kb "$broker_pid")
  echo release >&4
  exec 4>&-
  wait "$idle_pid" || true
  idle_pid=
  rm -f "$tmp/hold"
  eval "${name}_idle_bytes=\$(( (after - before) * 1024 / idle ))"
  eval "${name}_rss_before_kb=$before"
  eval "${name}_rss_after_kb=$after"
}

# measure NAME: idle connections first (fresh process), then the throughput runs.
measure() {
  local name=$1
  measure_idle "$name"
  sleep 1

  for qos in 0 1; do
    echo "broker_bench: $name: 1 -> 1, $count messages, QoS $qos" >&2
    "$load" throughput --port "$port" --qos "$qos" --count "$count" --size 120 \
      >"$tmp/$name-q$qos.json" 2>"$tmp/$name-q$qos.log" || fail "$name: throughput QoS $qos failed"
    eval "${name}_q${qos}=\$(json_field \"$tmp/$name-q$qos.json\" msgs_per_s)"
    eval "${name}_q${qos}_received=\$(json_field \"$tmp/$name-q$qos.json\" received)"
  done
  for sub in raw libmosquitto; do
    echo "broker_bench: $name: fan-in, $publishers publishers x $per_publisher, $sub subscriber" >&2
    "$load" fanin --port "$port" --publishers "$publishers" --per-publisher "$per_publisher" \
      --size 120 --subscriber "$sub" >"$tmp/$name-fanin-$sub.json" 2>"$tmp/$name-fanin-$sub.log" ||
      fail "$name: fan-in ($sub subscriber) failed"
  done
  eval "${name}_fanin=\$(json_field \"$tmp/$name-fanin-raw.json\" msgs_per_s)"
  eval "${name}_fanin_received=\$(json_field \"$tmp/$name-fanin-raw.json\" received)"
  eval "${name}_fanin_lm=\$(json_field \"$tmp/$name-fanin-libmosquitto.json\" msgs_per_s)"
}

if [ "${BENCH_ONLY:-}" = idle ]; then
  start_sitewatch
  measure_idle sitewatch
  stop_broker
  echo "(c) sitewatch RSS per idle connection: $sitewatch_idle_bytes bytes" \
    "($sitewatch_rss_before_kb -> $sitewatch_rss_after_kb KiB)"
  exit 0
fi
start_mosquitto
measure mosquitto
stop_broker
start_sitewatch
measure sitewatch
stop_broker

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
r_q0=$(ratio "$sitewatch_q0" "$mosquitto_q0")
r_q1=$(ratio "$sitewatch_q1" "$mosquitto_q1")
r_fanin=$(ratio "$sitewatch_fanin" "$mosquitto_fanin")
r_fanin_lm=$(ratio "$sitewatch_fanin_lm" "$mosquitto_fanin_lm")
r_idle=$(ratio "$sitewatch_idle_bytes" "$mosquitto_idle_bytes")

cpus=$(nproc)
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cpu_model=$(printf '%s' "${cpu_model:-unknown}" | sed 's/\\/\\\\/g; s/"/\\"/g')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
mversion=$( ("$mosquitto_bin" -h 2>&1 || true) | awk '/mosquitto version/ { print $3; exit }')

printf '\n%-40s %14s %14s %8s\n' "figure" "mosquitto" "sitewatch" "ratio"
printf '%-40s %14s %14s %8s\n' "(a) 1->1 QoS 0, msgs/s" "$mosquitto_q0" "$sitewatch_q0" "$r_q0"
printf '%-40s %14s %14s %8s\n' "(a) 1->1 QoS 1, msgs/s" "$mosquitto_q1" "$sitewatch_q1" "$r_q1"
printf '%-40s %14s %14s %8s\n' "(b) ${publishers}->1 fan-in QoS 0, msgs/s" "$mosquitto_fanin" \
  "$sitewatch_fanin" "$r_fanin"
printf '%-40s %14s %14s %8s\n' "    same, libmosquitto subscriber" "$mosquitto_fanin_lm" \
  "$sitewatch_fanin_lm" "$r_fanin_lm"
printf '%-40s %14s %14s %8s\n' "(c) RSS per idle connection, bytes" "$mosquitto_idle_bytes" \
  "$sitewatch_idle_bytes" "$r_idle"
printf 'received: QoS0 %s/%s, QoS1 %s/%s, fan-in %s/%s (mosquitto); %s/%s, %s/%s, %s/%s (sitewatch)\n' \
  "$mosquitto_q0_received" "$count" "$mosquitto_q1_received" "$count" \
  "$mosquitto_fanin_received" "$((publishers * per_publisher))" \
  "$sitewatch_q0_received" "$count" "$sitewatch_q1_received" "$count" \
  "$sitewatch_fanin_received" "$((publishers * per_publisher))"
printf 'targets: throughput ratios >= 1.3, idle memory ratio <= 1.0   (%s CPUs, %s, mosquitto %s)\n\n' \
  "$cpus" "$cpu_model" "$mversion"

mkdir -p "$(dirname "$out")"
{
  printf '{"name":"broker","commit":"%s",' "$commit"
  printf '"machine":{"nproc":%s,"cpu_model":"%s"},' "$cpus" "$cpu_model"
  printf '"params":{"count":%s,"size":120,"publishers":%s,"per_publisher":%s,"idle":%s,' \
    "$count" "$publishers" "$per_publisher" "$idle"
  printf '"reference":"mosquitto %s"},' "$mversion"
  printf '"mosquitto":{"qos0_msgs_per_s":%s,"qos1_msgs_per_s":%s,"fanin_msgs_per_s":%s,' \
    "$mosquitto_q0" "$mosquitto_q1" "$mosquitto_fanin"
  printf '"fanin_libmosquitto_sub_msgs_per_s":%s,' "$mosquitto_fanin_lm"
  printf '"idle_bytes_per_connection":%s,"qos0_received":%s,"qos1_received":%s,"fanin_received":%s},' \
    "$mosquitto_idle_bytes" "$mosquitto_q0_received" "$mosquitto_q1_received" "$mosquitto_fanin_received"
  printf '"sitewatch":{"qos0_msgs_per_s":%s,"qos1_msgs_per_s":%s,"fanin_msgs_per_s":%s,' \
    "$sitewatch_q0" "$sitewatch_q1" "$sitewatch_fanin"
  printf '"fanin_libmosquitto_sub_msgs_per_s":%s,' "$sitewatch_fanin_lm"
  printf '"idle_bytes_per_connection":%s,"qos0_received":%s,"qos1_received":%s,"fanin_received":%s},' \
    "$sitewatch_idle_bytes" "$sitewatch_q0_received" "$sitewatch_q1_received" "$sitewatch_fanin_received"
  printf '"ratios":{"qos0_throughput":%s,"qos1_throughput":%s,"fanin_throughput":%s,' \
    "$r_q0" "$r_q1" "$r_fanin"
  printf '"fanin_libmosquitto_sub_throughput":%s,"idle_memory":%s}}\n' "$r_fanin_lm" "$r_idle"
} >"$out"
echo "broker_bench: wrote $out"
