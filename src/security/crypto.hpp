// SodiumCrypto: the core's Crypto port on libsodium — argon2id password hashes
// (crypto_pwhash_str), a CSPRNG, SHA-256. Thread-safe after construction.
#pragma once

#include <cstdint>

#include "core/ports.hpp"

namespace sw::security {

struct Argon2Params {
  std::uint64_t opslimit = 2;
  std::uint64_t memlimit_kib = std::uint64_t{64} * 1024;
};

class SodiumCrypto final : public core::Crypto {
 public:
  // Throws std::runtime_error when libsodium cannot start (a broken system).
  explicit SodiumCrypto(Argon2Params params);

  Result<std::string> HashPassword(std::string_view password) override;
  bool VerifyPassword(std::string_view hash, std::string_view password) override;
  std::string RandomToken(std::size_t bytes) override;
  std::string RandomBytes(std::size_t bytes) override;
  std::string Sha256Hex(std::string_view data) override;

 private:
  Argon2Params params_;
};

std::string Base64UrlEncode(std::string_view bytes);
// nullopt-like failure: returns false when `text` is not unpadded base64url.
bool Base64UrlDecode(std::string_view text, std::string& out);
// Constant-time comparison of two byte strings.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace sw::security
