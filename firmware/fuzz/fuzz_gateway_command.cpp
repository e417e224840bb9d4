// libFuzzer target: arbitrary bytes as a command payload on the CCU's own command topic and on
// an outlet's, through the JSON object/array parsers and a connected GatewayUplink with its
// CcuGateway (sync_outlets, set_breaker_limit, cut, relay ...). Every publish it answers with
// must be valid JSON; the registry must stay within its invariants (at most kMaxOutlets, no
// duplicate, reserved or own address) and survive a reboot unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fw/ccu_gateway.h"
#include "fw/gateway_uplink.h"
#include "fw/json.h"
#include "fw/nvm.h"

namespace {

using namespace sw::fw;

void CheckRegistry(const CcuGateway& gw, uint8_t own) {
  if (gw.outlet_count() > CcuGateway::kMaxOutlets) abort();
  for (size_t i = 0; i < gw.outlet_count(); ++i) {
    const uint8_t a = gw.outlet_at(i).address;
    if (a == 0x00 || a == 0xFF || a == own) abort();
    for (size_t j = 0; j < i; ++j) {
      if (gw.outlet_at(j).address == a) abort();
    }
  }
}

void CheckAnswers(const UplinkActions& out) {
  for (const NodeAction& a : out) {
    if (a.kind != NodeActionKind::kPublish) continue;
    JsonMember members[8];
    size_t n = 0;
    if (ParseJsonObject(a.payload, Span<JsonMember>(members), &n) != JsonError::kOk) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  JsonMember elements[CcuGateway::kMaxOutlets + 1];
  size_t count = 0;
  ParseJsonArray(payload, Span<JsonMember>(elements), &count);
  if (count > CcuGateway::kMaxOutlets + 1) abort();

  MemoryNvm<ConfigStore::kFootprint> nvm;
  ConfigStore store(nvm);
  GatewayConfig gc;
  gc.own_address = 0x02;
  CcuGateway gateway(gc, &store);
  GatewayUplinkConfig uc;
  uc.uid = "CCU-FUZZ";
  uc.firmware_version = "1.0.0";
  uc.outlet_firmware_version = "2.0.0";
  GatewayUplink uplink(uc, gateway);
  GatewayEffects fx;
  gateway.Boot(0, &fx);
  gateway.AddOutlet(0x0A, 10, 20, &fx);
  UplinkActions out;
  uplink.Boot(0, &out);
  uplink.SetWallClock(0, 1700000000000);
  out.Clear();
  uplink.OnConnected(100, NodeLinkInfo(), &out);
  for (int round = 0; round < 2; ++round) {  // the second delivery is a duplicate
    out.Clear();
    uplink.OnMessage(200, "sw/d/CCU-FUZZ/cmd", payload, &out);
    CheckAnswers(out);
    out.Clear();
    uplink.OnMessage(200, "sw/d/CCU-FUZZ.0A/cmd", payload, &out);
    CheckAnswers(out);
  }
  CheckRegistry(gateway, gc.own_address);
  for (uint32_t t = 300; t < 3000; t += 100) {
    fx.Clear();
    gateway.Tick(t, &fx);
    out.Clear();
    uplink.OnGatewayEffects(t, fx, &out);
    CheckAnswers(out);
  }

  // What was stored is what a rebooted gateway loads.
  ConfigStore reread(nvm);
  CcuGateway rebooted(gc, &reread);
  rebooted.Boot(0, &fx);
  CheckRegistry(rebooted, gc.own_address);
  if (rebooted.outlet_count() != gateway.outlet_count() ||
      rebooted.registry_revision() != gateway.registry_revision()) {
    abort();
  }
  return 0;
}
