// Fuzzes the configuration loader with an arbitrary config file, as an operator's typo or a
// corrupted file would present it. It must answer with a Result, never crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "app/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/sw-fuzz-config-" + std::to_string(::getpid()) + ".conf";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  (void)sw::app::LoadSettings({"--config", path}, {});
  return 0;
}
