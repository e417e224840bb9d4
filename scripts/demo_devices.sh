#!/usr/bin/env bash
# The demo's devices, until the simulator (sitewatch-sim) replaces them: for each device in
# DEVICES_FILE ("uid secret kind" per line, written by `sitewatch demo --devices-file`), one
# real MQTT connection (mosquitto_pub -l, credentials = the device's uid and secret) that
# announces its status (retained, with a last will) and sends telemetry every INTERVAL
# seconds, values drifting like a workshop's climate, air quality and loads do.
#   scripts/demo_devices.sh DEVICES_FILE [MQTT_PORT] [INTERVAL]
# Runs until killed or until the process that started it exits (its children go with it).
set -euo pipefail
file=$1
port=${2:-1883}
interval=${3:-5}
command -v mosquitto_pub >/dev/null || { echo "demo_devices: mosquitto_pub missing" >&2; exit 1; }

parent=$PPID
stop() {
  trap - EXIT INT TERM
  pkill -TERM -P $$ 2>/dev/null || true
  exit 0
}
trap stop EXIT INT TERM

# value BASE SPREAD STEP: BASE plus a slow wave and a little noise (bash integer arithmetic,
# printed with one decimal).
value() {
  local base=$1 spread=$2 step=$3
  local phase=$(((step * 7 + RANDOM % 5) % 40))
  local wave=$((phase < 20 ? phase : 40 - phase))  # 0..20..0
  local tenths=$((base * 10 + (wave * spread * 10) / 20 - spread * 5 + RANDOM % 5))
  printf '%d.%d' $((tenths / 10)) $((tenths % 10))
}

telemetry() {
  local uid=$1 kind=$2 pit=$3 step=0
  while true; do
    case $kind in
      sensor_node)
        printf '{"values":{"temperature":%s,"humidity":%s,"pressure":%s,"pm1":%s,"pm25":%s,"pm10":%s,"iaq":%s}}\n' \
          "$(value $((21 + pit)) 3 $step)" "$(value 45 10 $step)" "$(value 1008 4 $step)" \
          "$(value 3 2 $step)" "$(value $((6 + pit * 2)) 6 $step)" "$(value $((10 + pit * 3)) 10 $step)" \
          "$(value 70 40 $step)"
        ;;
      gateway)
        printf '{"values":{"breaker_current_ma":%s}}\n' "$(value 9000 4000 $step)"
        ;;
      outlet)
        printf '{"values":{"current_a_ma":%s,"current_b_ma":%s,"relay_a":1,"relay_b":%d}}\n' \
          "$(value 1800 600 $step)" "$(value 400 300 $step)" $(((step / 6) % 2))
        ;;
      *) return 0 ;;
    esac
    step=$((step + 1))
    sleep "$interval"
  done
}

n=0
while read -r uid secret kind; do
  [ -n "$uid" ] || continue
  n=$((n + 1))
  # Status first (retained), then a long-lived connection for the telemetry stream.
  mosquitto_pub -h 127.0.0.1 -p "$port" -u "$uid" -P "$secret" -i "$uid-status" -q 1 -r \
    -t "sw/d/$uid/status" -m '{"online":true,"fw":"demo-1.0","rssi":-58}' || true
  telemetry "$uid" "$kind" "$n" |
    mosquitto_pub -h 127.0.0.1 -p "$port" -u "$uid" -P "$secret" -i "$uid" -q 1 -l \
      -t "sw/d/$uid/telemetry" --will-topic "sw/d/$uid/status" --will-retain \
      --will-payload '{"online":false}' &
done <"$file"
echo "demo_devices: $n devices publishing every ${interval}s on 127.0.0.1:$port"
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
