// libFuzzer target: arbitrary bytes as a command payload on sw/d/{uid}/cmd, through the JSON
// object parser and a connected sensor node. Every publish it answers with must go to the
// result topic and be valid JSON itself; the node's settings must stay within bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fw/json.h"
#include "fw/nvm.h"
#include "fw/sensor_node.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sw::fw;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  JsonMember members[8];
  size_t count = 0;
  ParseJsonObject(payload, Span<JsonMember>(members), &count);
  for (size_t i = 0; i < count; ++i) {
    char text[64];
    size_t n = 0;
    JsonUnescape(members[i].value, text, sizeof text, &n);
    int64_t v = 0;
    JsonToInt64(members[i].value, &v);
  }

  MemoryNvm<ConfigStore::kFootprint> nvm;
  ConfigStore store(nvm);
  SensorNodeConfig config;
  config.uid = "ESP32-FUZZ";
  config.firmware_version = "1.0.0";
  SensorNode node(config, &store);
  NodeActions out;
  node.Boot(0, &out);
  node.SetWallClock(0, 1700000000000);
  out.Clear();
  node.OnConnected(100, NodeLinkInfo(), &out);
  for (int round = 0; round < 2; ++round) {  // the second delivery is a duplicate
    out.Clear();
    node.OnCommand(200, payload, &out);
    for (const NodeAction& a : out) {
      if (a.kind != NodeActionKind::kPublish) continue;
      if (a.topic != "sw/d/ESP32-FUZZ/cmd/result") abort();
      JsonMember answer[4];
      size_t n = 0;
      if (ParseJsonObject(a.payload, Span<JsonMember>(answer), &n) != JsonError::kOk) abort();
    }
  }
  out.Clear();
  node.Tick(400000, &out);
  if (node.interval_s() < config.min_interval_s || node.interval_s() > config.max_interval_s) {
    abort();
  }
  return 0;
}
