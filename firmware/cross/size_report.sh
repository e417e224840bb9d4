#!/usr/bin/env bash
# Cross-compiles the firmware cores for Cortex-M4 (Thumb-2, -Os, no exceptions/RTTI) and
# prints code (text) and RAM (data + bss) per core, measured on the compiled objects with
# arm-none-eabi-size. Nothing is linked: no board support package is needed, so the figures
# exclude libc/libm/libgcc helpers (soft-float, sqrt) that a linked image would pull in.
#
# Usage: firmware/cross/size_report.sh [build-dir]   (exit status != 0 if anything fails)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fw="$(cd "${here}/.." && pwd)"
out="${1:-$(mktemp -d /tmp/fw-size.XXXXXX)}"
mkdir -p "${out}"

CXX="${CXX_ARM:-arm-none-eabi-g++}"
AR="${AR_ARM:-arm-none-eabi-ar}"
SIZE="${SIZE_ARM:-arm-none-eabi-size}"
NM="${NM_ARM:-arm-none-eabi-nm}"
for tool in "${CXX}" "${AR}" "${SIZE}" "${NM}"; do
  command -v "${tool}" >/dev/null || { echo "size_report: ${tool} not found" >&2; exit 2; }
done
FLAGS=(-mcpu=cortex-m4 -mthumb -Os -std=c++17 -fno-exceptions -fno-rtti
       -ffunction-sections -fdata-sections -Wall -Wextra -Werror -I"${fw}/include")

# core name -> its own sources (shared checksum and text code is reported as "common").
declare -A CORES=(
  [common]="checksum text"
  [radio]="radio_frame radio_stream"
  [sensors]="dht22 pms5003 bme680 iaq"
  [rms_current]="rms_current"
  [config_store]="config_store"
  [outlet_controller]="outlet_controller"
  [ccu_gateway]="ccu_gateway ccu_gateway_legacy"
  [gateway_uplink]="gateway_uplink"
  [json]="json"
  [sensor_node]="sensor_node"
  [ota]="ota"
)
ORDER=(common radio sensors rms_current config_store outlet_controller ccu_gateway gateway_uplink
       json sensor_node ota)

printf '%-20s %8s %8s %8s %8s\n' core text data bss ram
total_text=0; total_ram=0
for core in "${ORDER[@]}"; do
  objs=()
  for name in ${CORES[$core]}; do
    src="${fw}/src/${name}.cpp"
    [[ -f "${src}" ]] || continue
    obj="${out}/${name}.o"
    "${CXX}" "${FLAGS[@]}" -c "${src}" -o "${obj}"
    objs+=("${obj}")
  done
  [[ ${#objs[@]} -gt 0 ]] || continue
  rm -f "${out}/lib${core}.a"
  "${AR}" rcs "${out}/lib${core}.a" "${objs[@]}"
  read -r text data bss < <("${SIZE}" -t "${objs[@]}" | tail -1 | awk '{print $1, $2, $3}')
  printf '%-20s %8d %8d %8d %8d\n' "${core}" "${text}" "${data}" "${bss}" $((data + bss))
  total_text=$((total_text + text)); total_ram=$((total_ram + data + bss))
done
printf '%-20s %8d %8s %8s %8d\n' total "${total_text}" - - "${total_ram}"

# The cores keep no static state: their RAM is the objects the application instantiates.
# Measure sizeof() of each on the target ABI via symbol sizes of zero-filled arrays.
probe="${out}/instance_sizes.cpp"
cat > "${probe}" <<'CPP'
#include "fw/ccu_gateway.h"
#include "fw/gateway_uplink.h"
#include "fw/iaq.h"
#include "fw/outlet_controller.h"
#include "fw/pms5003.h"
#include "fw/radio_stream.h"
#include "fw/ota.h"
#include "fw/rms_current.h"
#include "fw/sensor_node.h"
extern "C" {
char sizeof_RadioStreamParser[sizeof(sw::fw::RadioStreamParser)];
char sizeof_Pms5003Parser[sizeof(sw::fw::Pms5003Parser)];
char sizeof_IaqEstimator[sizeof(sw::fw::IaqEstimator)];
char sizeof_RmsCurrentMeter[sizeof(sw::fw::RmsCurrentMeter)];
char sizeof_ConfigStore[sizeof(sw::fw::ConfigStore)];
char sizeof_OutletController[sizeof(sw::fw::OutletController)];
char sizeof_OutletEffects[sizeof(sw::fw::OutletEffects)];
char sizeof_CcuGateway[sizeof(sw::fw::CcuGateway)];
char sizeof_GatewayEffects[sizeof(sw::fw::GatewayEffects)];
char sizeof_GatewayUplink[sizeof(sw::fw::GatewayUplink)];
char sizeof_UplinkActions[sizeof(sw::fw::UplinkActions)];
char sizeof_SensorNode[sizeof(sw::fw::SensorNode)];
char sizeof_NodeActions[sizeof(sw::fw::NodeActions)];
char sizeof_NodeReading[sizeof(sw::fw::NodeReading)];
char sizeof_OtaUpdater[sizeof(sw::fw::OtaUpdater)];
}
CPP
"${CXX}" "${FLAGS[@]}" -c "${probe}" -o "${out}/instance_sizes.o"
echo
printf '%-20s %8s\n' "instance (RAM)" bytes
while read -r _ size _ name; do
  [[ "${name}" == sizeof_* ]] && printf '%-20s %8d\n' "${name#sizeof_}" "$((16#${size}))"
done < <("${NM}" -S "${out}/instance_sizes.o")
echo "Figures are per object file: no libc/libgcc (soft-float, sqrt) and no stacks."
echo "objects and archives: ${out}"
