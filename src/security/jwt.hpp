// JwtCodec: access tokens as JWT (RFC 7519) signed with HMAC-SHA256. Accepts exactly
// {"alg":"HS256","typ":"JWT"}: `alg: none`, other algorithms, bad signatures, malformed
// segments and expired tokens are all rejected with TOKEN_INVALID. Thread-safe.
#pragma once

#include <string>

#include "core/ports.hpp"

namespace sw::security {

class JwtCodec final : public core::AccessTokenCodec {
 public:
  // `secret` must be at least 32 bytes.
  explicit JwtCodec(std::string secret, std::string issuer = "sitewatch");

  std::string Issue(const core::AccessClaims& claims) override;
  Result<core::AccessClaims> Verify(std::string_view token, SysTime now) override;

 private:
  std::string Sign(std::string_view signing_input) const;

  std::string secret_;
  std::string issuer_;
};

}  // namespace sw::security
