// libFuzzer target: arbitrary bytes through the PMS5003 stream parser and the one-shot
// frame decoder (bounded buffer, resynchronisation, checksum paths).
#include <cstddef>
#include <cstdint>

#include "fw/pms5003.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sw::fw;
  Pms5003Parser parser;
  Pms5003Reading reading;
  for (size_t i = 0; i < size; ++i) parser.Push(data[i], &reading);
  DecodePms5003(ByteSpan(data, size), &reading);
  return 0;
}
