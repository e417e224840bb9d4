#!/usr/bin/env bash
# Time-series store benchmark: build/bin/telemetry_store_bench (bench/telemetry_store_bench.cpp)
# on a temporary database, in one invocation:
#   (a) SqliteTelemetryStore::WriteReadings: BENCH_DEVICES (1000) devices x BENCH_METRICS (5)
#       metrics x BENCH_ROUNDS (60) rounds, batches of BENCH_BATCH (5000) readings, durable
#       commits (synchronous=FULL): raw rows + minute and hour roll-ups
#   (b) reference: the same raw rows through plain SQLite into the raw table only, one
#       transaction per batch, same synchronous, cache and checkpoint settings (the ceiling)
#   (c) History of a 30-day, 10 s series (259,200 readings) with max_points=1000 at hour,
#       minute and raw resolution (median of 7)
# Prints the figures and the ratio (a)/(b); writes build/bench/telemetry_store.json.
# Knobs: BENCH_BUILD (build), BENCH_DEVICES, BENCH_METRICS, BENCH_ROUNDS, BENCH_BATCH,
# BENCH_DURABLE (1; 0 = synchronous=NORMAL), BENCH_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${BENCH_BUILD:-build}
bin=$build/bin/telemetry_store_bench
out=${BENCH_OUT:-build/bench/telemetry_store.json}

[ -x "$bin" ] || { echo "telemetry_store_bench: $bin not found; run 'make build' first" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$(dirname "$out")"
"$bin" "$out" --dir "$tmp/db" --devices "${BENCH_DEVICES:-1000}" --metrics "${BENCH_METRICS:-5}" \
  --rounds "${BENCH_ROUNDS:-60}" --batch "${BENCH_BATCH:-5000}" --durable "${BENCH_DURABLE:-1}"

cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
printf 'target: store >= 150000 readings/s   (%s CPUs, %s, commit %s)\n' "$(nproc)" \
  "${cpu_model:-unknown}" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "telemetry_store_bench: wrote $out"
