#include "security/jwt.hpp"

#include <gtest/gtest.h>

#include "security/crypto.hpp"

namespace sw::security {
namespace {

const std::string kSecret(40, 'k');

core::AccessClaims Claims(SysTime now) {
  return core::AccessClaims{UserId{7},     "sess-1", core::Role::kOwner,
                            WorkshopId{3}, now,      now + std::chrono::minutes(15)};
}

TEST(Jwt, RoundTrip) {
  JwtCodec codec(kSecret);
  const SysTime now = FromUnixSeconds(1'800'000'000);
  auto claims = codec.Verify(codec.Issue(Claims(now)), now);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->user_id, UserId{7});
  EXPECT_EQ(claims->session_id, "sess-1");
  EXPECT_EQ(claims->role, core::Role::kOwner);
  EXPECT_EQ(claims->workshop_id, WorkshopId{3});
}

TEST(Jwt, RejectsExpired) {
  JwtCodec codec(kSecret);
  const SysTime now = FromUnixSeconds(1'800'000'000);
  const auto token = codec.Issue(Claims(now));
  EXPECT_FALSE(codec.Verify(token, now + std::chrono::minutes(15)).ok());
}

TEST(Jwt, RejectsTamperedPayloadAndSignature) {
  JwtCodec codec(kSecret);
  const SysTime now = FromUnixSeconds(1'800'000'000);
  const auto token = codec.Issue(Claims(now));
  const auto dot1 = token.find('.'), dot2 = token.rfind('.');
  // Promote ourselves to super_admin without the key.
  std::string payload;
  ASSERT_TRUE(Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1), payload));
  const auto pos = payload.find("\"owner\"");
  ASSERT_NE(pos, std::string::npos);
  payload.replace(pos, 7, "\"super_admin\"");
  const std::string forged =
      token.substr(0, dot1) + "." + Base64UrlEncode(payload) + token.substr(dot2);
  auto r = codec.Verify(forged, now);
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.error().Code(), "TOKEN_INVALID");

  std::string bad_sig = token;
  bad_sig.back() = bad_sig.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(codec.Verify(bad_sig, now).ok());
  EXPECT_FALSE(JwtCodec(std::string(40, 'x')).Verify(token, now).ok());
}

TEST(Jwt, RejectsAlgNone) {
  JwtCodec codec(kSecret);
  const SysTime now = FromUnixSeconds(1'800'000'000);
  const auto token = codec.Issue(Claims(now));
  const auto dot1 = token.find('.'), dot2 = token.rfind('.');
  const std::string none_header = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  const std::string body = token.substr(dot1 + 1, dot2 - dot1 - 1);
  EXPECT_FALSE(codec.Verify(none_header + "." + body + ".", now).ok());
  EXPECT_FALSE(codec.Verify(none_header + "." + body, now).ok());
}

TEST(Jwt, RejectsGarbage) {
  JwtCodec codec(kSecret);
  const SysTime now = FromUnixSeconds(1'800'000'000);
  for (const char* t : {"", ".", "..", "a.b.c", "a.b.c.d", "eyJ.eyJ.", "\xff\xfe.\x01.\x02"}) {
    EXPECT_FALSE(codec.Verify(t, now).ok()) << t;
  }
  EXPECT_FALSE(codec.Verify(std::string(10000, 'a'), now).ok());
}

TEST(Jwt, ShortSecretIsRefused) {
  EXPECT_THROW(JwtCodec("short"), std::invalid_argument);
}

}  // namespace
}  // namespace sw::security
