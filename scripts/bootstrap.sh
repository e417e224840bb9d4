#!/usr/bin/env bash
# Installs every Debian package Sitewatch needs to build, test and benchmark.
# Idempotent and non-interactive: it asks apt only for what is missing.
set -euo pipefail

PACKAGES=(
  build-essential make g++ cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libsodium-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev
  clang clang-format clang-tidy libclang-rt-14-dev
  curl wrk procps
  gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib
  mosquitto mosquitto-clients libmosquitto-dev
  python3-paho-mqtt
  chromium
)
# The web console builds with Node (20.19+) and npm; Debian's are used only when none is installed.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The web console's dependencies, from the committed lockfile.
web_deps() {
  if [ -f web/package-lock.json ] && command -v npm >/dev/null 2>&1 &&
    { [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; }; then
    echo "bootstrap: npm ci in web/"
    (cd web && npm ci --no-audit --no-fund && touch node_modules)
  fi
}
cd "$(dirname "$0")/.."

if [ ${#missing[@]} -eq 0 ]; then
  web_deps
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap: missing packages: ${missing[*]}" >&2
  echo "bootstrap: run as root (or install them) and try again" >&2
  exit 1
fi

echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/sitewatch-update-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
  apt-get update -q
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
web_deps
