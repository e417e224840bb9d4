#!/usr/bin/env bash
# The dependency rule (ARCHITECTURE.md): dependencies point inward.
#   common <- protocol <- core <- {security, storage, broker, http} <- app
# and firmware/ stands alone; sim/ (an independent client) includes nothing from src/, and its
# model/ no network or OS headers. This script greps #include lines per folder and fails,
# listing file:line, when a folder includes something it must not know about.
set -euo pipefail
cd "$(dirname "$0")/.."

inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*'
# Third-party libraries that only the shells (storage, security, broker, http, app) may use.
io_libs="${inc}<(sqlite3\.h>|boost/(asio|beast|json|url)|openssl/|sodium|libpq)"
shells="${inc}[\"<](storage|http|broker|app|security)/"

violations=0

# forbid REASON REGEX DIR...: report every matching include line under the existing DIRs.
forbid() {
  local reason=$1 regex=$2
  shift 2
  local dirs=()
  for d in "$@"; do [ -d "$d" ] && dirs+=("$d"); done
  [ ${#dirs[@]} -eq 0 ] && return 0
  local hits
  hits=$(grep -rnE "$regex" "${dirs[@]}" \
    --include='*.h' --include='*.hh' --include='*.hpp' --include='*.hxx' --include='*.ipp' \
    --include='*.c' --include='*.cc' --include='*.cpp' --include='*.cxx' --include='*.inc' || true)
  if [ -n "$hits" ]; then
    while IFS= read -r line; do
      # grep prints file:line:text; keep file:line and the include itself.
      printf '%s  (%s)\n' "$(printf '%s' "$line" | sed -E 's/^([^:]+:[0-9]+):[[:space:]]*/\1: /')" "$reason"
      violations=$((violations + 1))
    done <<<"$hits"
  fi
}

forbid "pure layer includes an I/O library" "$io_libs" src/common src/protocol src/core
forbid "pure layer includes a shell layer" "$shells" src/common src/protocol src/core
forbid "common includes core/protocol" "${inc}[\"<](core|protocol)/" src/common
forbid "adapter includes http/broker/app" "${inc}[\"<](http|broker|app)/" src/storage src/security
forbid "firmware includes server code from src/" \
  "${inc}[\"<]((\.\./)*src/|(common|protocol|core|storage|security|broker|http|app)/)" firmware
forbid "sim includes server code from src/" \
  "${inc}[\"<]((\.\./)*src/|(common|protocol|core|storage|security|broker|http|app)/)" sim
forbid "sim/model includes I/O (libmosquitto, sockets, net/)" \
  "${inc}[\"<](mosquitto\.h|sys/|net/|arpa/|netinet/|unistd\.h)" sim/model

if [ "$violations" -gt 0 ]; then
  echo "check_layers: $violations forbidden include(s); see ARCHITECTURE.md for the rule" >&2
  exit 1
fi
echo "check_layers: OK"
