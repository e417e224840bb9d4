#!/usr/bin/env bash
# Builds the server and runs it in the foreground on ./sitewatch-data (gitignored).
# The first run creates the database with the demo workshop and prints the demo logins.
#   PORT=9000 scripts/run.sh      (default port 8080; MQTT_PORT, default 1883)
# The demo devices are simulated while it runs (build/bin/sitewatch-sim --demo: the firmware
# cores with simulated pits, loads and radio, over real MQTT).
#   SITEWATCH_INIT_ADMIN_PASSWORD=... scripts/run.sh   choose the admin password on first run
# Start afresh: rm -rf sitewatch-data
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
mqtt_port=${MQTT_PORT:-1883}
data=sitewatch-data
bin=build/bin/sitewatch
sim=build/bin/sitewatch-sim

scripts/bootstrap.sh
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j"${JOBS:-2}" sitewatch sitewatch-sim
# The web console, served by sitewatch from web/dist (http.web_root).
(cd web && npm run --silent build)

logins="$data/demo-logins.txt"
if [ ! -f "$data/sitewatch.db" ]; then
  mkdir -p "$data"
  chmod 700 "$data"
  echo "run: first run, creating $data/ with the demo workshop"
  # The demo's passwords are kept (mode 0600) so that every `make run` can show them again.
  # This is a demo data dir on a developer machine; a real installation never writes them.
  (umask 077 && "$bin" demo --data-dir "$data" --devices-file "$data/demo-devices.txt" > "$logins")
fi

echo
echo "Sitewatch is starting on port $port."
echo "  Console:  http://127.0.0.1:$port/"
echo "  API:      http://127.0.0.1:$port/api/v1   (OpenAPI: /api/v1/openapi.json)"
echo "  Health:   http://127.0.0.1:$port/health   Metrics: http://127.0.0.1:$port/metrics"
if [ -f "$logins" ]; then
  echo "  Logins (demo data, from $logins):"
  sed 's/^/    /' "$logins"
fi
if [ -n "${SITEWATCH_INIT_ADMIN_PASSWORD:-}" ] && ! grep -q '^super_admin' "$logins" 2>/dev/null; then
  echo "    super_admin   admin / (the password in SITEWATCH_INIT_ADMIN_PASSWORD)"
fi
echo "  Try: curl -s -X POST http://127.0.0.1:$port/api/v1/auth/login -d '{\"username\":\"demo-owner\",\"password\":\"...\"}'"
echo "  Live data: sitewatch-sim --demo runs the demo's pit nodes and CCUs with their outlets"
echo "            over MQTT (port $mqtt_port), every 5 s; watch GET /api/v1/workshops/1/latest"
echo "            or /api/v1/ws, and switch a socket with POST /api/v1/devices/DEMO-CCU-1.01/commands."
echo "Stop with Ctrl-C."
echo
rm -f "$data/ready.json"
"$bin" serve --data-dir "$data" --http-port "$port" --mqtt-port "$mqtt_port" \
  --ready-file "$data/ready.json" &
server=$!
simulator=
stop() {
  [ -n "$simulator" ] && kill "$simulator" 2>/dev/null
  kill -TERM "$server" 2>/dev/null
}
trap stop INT TERM
for _ in $(seq 300); do
  [ -s "$data/ready.json" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [ -s "$data/ready.json" ] && [ -f "$data/demo-devices.txt" ]; then
  "$sim" --demo --devices-file "$data/demo-devices.txt" --port "$mqtt_port" --interval 5 \
    --exit-with-parent &
  simulator=$!
fi
status=0
wait "$server" || status=$?
[ -n "$simulator" ] && kill "$simulator" 2>/dev/null
wait 2>/dev/null || true
exit "$status"
