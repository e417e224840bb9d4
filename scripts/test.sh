#!/usr/bin/env bash
# Everything CI checks, in order, stopping at the first failing step:
#   1 build        RelWithDebInfo build in build/
#   2 unit tests   ctest in build/
#   3 web          web console: npm ci (when needed), type-check, vitest, API type drift,
#                  vite build with the bundle-size report, browser tests against build/bin/sitewatch
#   4 asan build   Debug + ASan/UBSan (SW_SANITIZE=ON) in build-asan/
#   5 asan tests   ctest in build-asan/, leaks detected, first error aborts
#   6 format       scripts/check_format.sh
#   7 layers       scripts/check_layers.sh (the dependency rule)
#   8 lint         clang-tidy over src/ with .clang-tidy (make lint), warnings are errors
#   9 fuzz         scripts/fuzz.sh --brief (clang, build-fuzz/, ~15 s per target)
#  10 size report  firmware/cross/size_report.sh, if it exists
# JOBS (default 2) sets the build and ctest parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
scripts/bootstrap.sh

step_build() {
  cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSW_SANITIZE=OFF -DSW_FUZZ=OFF -DSW_FIRMWARE=ON -DSW_SKIP_LAYERS=
  ninja -C build -j"$jobs"
}
step_unit_tests() {
  ctest --test-dir build --output-on-failure -j"$jobs"
}
step_web() {
  # npm ci only when node_modules is missing or older than the lockfile.
  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
    (cd web && npm ci --no-audit --no-fund && touch node_modules)
  fi
  (cd web && npm run --silent typecheck)
  (cd web && npx --no-install vitest run)
  (cd web && npm run --silent check:api)
  (cd web && npm run --silent build)
  (cd web && node --test --test-reporter=spec browser-tests/)
}
step_asan_build() {
  cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug \
    -DSW_SANITIZE=ON -DSW_FUZZ=OFF -DSW_FIRMWARE=ON -DSW_SKIP_LAYERS=
  ninja -C build-asan -j"$jobs"
}
step_asan_tests() {
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
}
step_format() { scripts/check_format.sh; }
step_layers() { scripts/check_layers.sh; }
step_lint() { make --no-print-directory lint JOBS="$jobs"; }
step_fuzz() { scripts/fuzz.sh --brief; }
step_size_report() { bash firmware/cross/size_report.sh; }

steps=(build unit_tests)
[ -f web/package.json ] && steps+=(web)
steps+=(asan_build asan_tests format layers lint fuzz)
[ -f firmware/cross/size_report.sh ] && steps+=(size_report)

passed=0
failed=0
started=$SECONDS
for s in "${steps[@]}"; do
  printf '\n==== [%d/%d] %s ====\n' $((passed + 1)) ${#steps[@]} "${s//_/ }"
  t0=$SECONDS
  # A subshell outside any `if`, so that `set -e` still stops the step at its first error.
  set +e
  (set -e; "step_$s")
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    failed=1
    printf '==== %s FAILED (exit %d, %ds) ====\n' "${s//_/ }" "$rc" $((SECONDS - t0))
    break
  fi
  passed=$((passed + 1))
  printf '==== %s ok (%ds) ====\n' "${s//_/ }" $((SECONDS - t0))
done

not_run=$((${#steps[@]} - passed - failed))
printf '\ntest.sh: %d passed, %d failed' "$passed" "$failed"
[ $not_run -gt 0 ] && printf ', %d not run' "$not_run"
printf ' (%ds)\n' $((SECONDS - started))
[ $failed -eq 0 ]
