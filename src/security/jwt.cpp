#include "security/jwt.hpp"

#include <sodium.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "common/strings.hpp"
#include "security/crypto.hpp"

namespace sw::security {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

Error Invalid(std::string message = "invalid token") {
  return MakeError(Errc::kUnauthenticated, std::move(message), "TOKEN_INVALID");
}

const json::value* Find(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}

}  // namespace

JwtCodec::JwtCodec(std::string secret, std::string issuer)
    : secret_(std::move(secret)), issuer_(std::move(issuer)) {
  if (secret_.size() < 32) throw std::invalid_argument("JWT secret must be at least 32 bytes");
}

std::string JwtCodec::Sign(std::string_view signing_input) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret_.data()),
                              secret_.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                signing_input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

std::string JwtCodec::Issue(const core::AccessClaims& c) {
  json::object claims;
  claims["iss"] = issuer_;
  claims["sub"] = std::to_string(c.user_id.value);
  claims["sid"] = c.session_id;
  claims["role"] = std::string(core::RoleName(c.role));
  if (c.workshop_id) {
    claims["wid"] = c.workshop_id->value;
  } else {
    claims["wid"] = nullptr;
  }
  claims["iat"] = ToUnixSeconds(c.issued_at);
  claims["exp"] = ToUnixSeconds(c.expires_at);
  std::string input = Base64UrlEncode(kHeader) + "." + Base64UrlEncode(json::serialize(claims));
  std::string sig = Sign(input);
  return input + "." + sig;
}

Result<core::AccessClaims> JwtCodec::Verify(std::string_view token, SysTime now) {
  if (token.empty() || token.size() > kMaxTokenLength) return Invalid();
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Invalid();
  }
  const std::string_view signing_input = token.substr(0, dot2);
  // The signature is checked before anything in the token is trusted or even parsed.
  if (!ConstantTimeEquals(Sign(signing_input), token.substr(dot2 + 1))) return Invalid();

  std::string header_text, claims_text;
  if (!Base64UrlDecode(token.substr(0, dot1), header_text) ||
      !Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1), claims_text)) {
    return Invalid();
  }
  boost::system::error_code ec;
  const json::value header = json::parse(header_text, ec);
  if (ec || !header.is_object()) return Invalid();
  const auto* alg = Find(header.as_object(), "alg");
  if (!alg || !alg->is_string() || alg->as_string() != "HS256") return Invalid();

  const json::value body = json::parse(claims_text, ec);
  if (ec || !body.is_object()) return Invalid();
  const auto& o = body.as_object();
  const auto* iss = Find(o, "iss");
  const auto* sub = Find(o, "sub");
  const auto* sid = Find(o, "sid");
  const auto* role = Find(o, "role");
  const auto* wid = Find(o, "wid");
  const auto* iat = Find(o, "iat");
  const auto* exp = Find(o, "exp");
  if (!iss || !iss->is_string() || iss->as_string() != issuer_ || !sub || !sub->is_string() ||
      !sid || !sid->is_string() || !role || !role->is_string() || !iat || !iat->is_int64() ||
      !exp || !exp->is_int64() || !wid || !(wid->is_null() || wid->is_int64())) {
    return Invalid();
  }
  core::AccessClaims c;
  const auto user = ParseInt64(std::string_view(sub->as_string()));
  const auto parsed_role = core::ParseRole(std::string_view(role->as_string()));
  if (!user || !parsed_role) return Invalid();
  c.user_id = UserId{*user};
  c.session_id = std::string(sid->as_string());
  c.role = *parsed_role;
  if (wid->is_int64()) c.workshop_id = WorkshopId{wid->as_int64()};
  c.issued_at = FromUnixSeconds(iat->as_int64());
  c.expires_at = FromUnixSeconds(exp->as_int64());
  if (c.expires_at <= now) return Invalid("token expired");
  return c;
}

}  // namespace sw::security
