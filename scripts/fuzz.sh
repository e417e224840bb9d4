#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, build-fuzz/) and runs each one on a copy of its seed
# corpus. Fails if any target crashes, leaks, times out or runs out of memory.
#   scripts/fuzz.sh            long run: FUZZ_SECONDS per target (default 300) — `make fuzz`
#   scripts/fuzz.sh --brief    short run: 15 s per target — part of scripts/test.sh
#   scripts/fuzz.sh [--brief] TARGET...   only the named targets (e.g. fuzz_mqtt_decode)
# Seeds: tests/fuzz/corpus/<target>/ or firmware/fuzz/corpus/<target>/ (never modified).
# Crash inputs are kept in build-fuzz/artifacts/<target>/; reproduce one with
#   build-fuzz/bin/<target> build-fuzz/artifacts/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-300}
if [ "${1:-}" = "--brief" ]; then
  seconds=15
  shift
fi
build="build-fuzz"

# Every tests/fuzz/fuzz_*.cpp and firmware/fuzz/fuzz_*.cpp is one target (tests/fuzz/CMakeLists.txt).
declare -A source_dir=()
for src in tests/fuzz/fuzz_*.cpp firmware/fuzz/fuzz_*.cpp; do
  [ -f "$src" ] || continue
  name=$(basename "$src" .cpp)
  source_dir[$name]=$(dirname "$src")
done
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(printf '%s\n' "${!source_dir[@]}" | sort)
fi
if [ ${#targets[@]} -eq 0 ] || [ -z "${targets[0]}" ]; then
  echo "fuzz: no fuzz targets (tests/fuzz/fuzz_*.cpp, firmware/fuzz/fuzz_*.cpp)"
  exit 0
fi
for t in "${targets[@]}"; do
  [ -n "${source_dir[$t]:-}" ] || { echo "fuzz: unknown target $t" >&2; exit 2; }
done

CC=clang CXX=clang++ cmake -G Ninja -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSW_FUZZ=ON -DSW_SANITIZE=OFF -DSW_FIRMWARE=ON -DSW_SKIP_LAYERS= >/dev/null
ninja -C "$build" -j"${JOBS:-2}" "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  work="$build/corpus-work/$t"
  artifacts="$build/artifacts/$t"
  log="$build/logs/$t.log"
  rm -rf "$work"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  seeds="${source_dir[$t]}/corpus/$t"
  nseeds=0
  if [ -d "$seeds" ]; then
    cp -R "$seeds/." "$work/"
    nseeds=$(find "$seeds" -type f | wc -l)
  fi
  printf 'fuzz: %-28s %4d seeds, %ss ... ' "$t" "$nseeds" "$seconds"
  # -timeout: one input taking > 10 s is a hang; new inputs go to the work copy only.
  if "$build/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" >"$log" 2>&1; then
    echo "ok ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?') runs)"
  else
    echo "FAILED"
    failed+=("$t")
    tail -n 40 "$log" | sed 's/^/    /'
    echo "    full log: $log; crash inputs: $artifacts/"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: OK (${#targets[@]} targets, ${seconds}s each)"
