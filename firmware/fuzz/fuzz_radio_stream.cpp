// libFuzzer target: arbitrary bytes through the radio stream parser; every frame it yields
// is re-encoded and decoded again (the round trip must be exact) and v2 frames are handed
// to an outlet controller and a gateway (both must cope with any command and payload);
// plus one-shot decodes of the whole input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fw/ccu_gateway.h"
#include "fw/nvm.h"
#include "fw/outlet_controller.h"
#include "fw/radio_frame.h"
#include "fw/radio_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sw::fw;
  MemoryNvm<ConfigStore::kFootprint> nvm;
  ConfigStore store(nvm);
  OutletController outlet(store, Acs712Spec(100, 5000, 1023, 100));
  OutletEffects outlet_fx;
  outlet.Boot(0, &outlet_fx);
  const uint16_t idle[8] = {511, 512, 512, 511, 512, 513, 512, 511};
  outlet.OnAdcWindows(0, Span<const uint16_t>(idle), Span<const uint16_t>(idle), &outlet_fx);
  CcuGateway gateway(GatewayConfig(), nullptr);
  GatewayEffects gateway_fx;
  gateway.Boot(0, &gateway_fx);
  gateway.AddOutlet(0x01, 1, 2, &gateway_fx);
  uint32_t now_ms = 0;

  RadioStreamParser parser;
  RadioFrame frame;
  for (size_t i = 0; i < size; ++i) {
    parser.Push(data[i]);
    while (parser.Poll(&frame)) {
      if (frame.kind == RadioFrame::Kind::kLegacy) {
        const LegacyFrameBytes bytes = EncodeLegacy(frame.legacy);
        LegacyFrame back;
        if (DecodeLegacy(ByteSpan(bytes), &back) != FrameError::kOk || !(back == frame.legacy)) {
          abort();
        }
      } else {
        const FrameBuffer bytes = EncodeV2(frame.v2);
        V2Frame back;
        if (bytes.size == 0 || DecodeV2(bytes.View(), &back) != FrameError::kOk ||
            !(back == frame.v2)) {
          abort();
        }
        OutletStatus status;
        DecodeStatusPayload(frame.v2, &status);
        now_ms += 37;
        outlet_fx.Clear();
        outlet.OnFrame(now_ms, frame.v2, &outlet_fx);
        outlet.Tick(now_ms, false, &outlet_fx);
        gateway_fx.Clear();
        gateway.Tick(now_ms, &gateway_fx);
        gateway.OnFrame(now_ms, frame.v2, &gateway_fx);
      }
    }
  }
  LegacyFrame legacy;
  DecodeLegacy(ByteSpan(data, size), &legacy);
  V2Frame v2;
  DecodeV2(ByteSpan(data, size), &v2);
  return 0;
}
