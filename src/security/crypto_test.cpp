#include "security/crypto.hpp"

#include <gtest/gtest.h>

namespace sw::security {
namespace {

// Small argon2 cost: these tests check behaviour, not strength.
SodiumCrypto MakeCrypto() {
  return SodiumCrypto(Argon2Params{1, 8 * 1024});
}

TEST(Crypto, HashesAreArgon2idSaltedAndVerify) {
  auto crypto = MakeCrypto();
  auto a = crypto.HashPassword("correct horse battery");
  auto b = crypto.HashPassword("correct horse battery");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->rfind("$argon2id$", 0), 0u) << *a;
  EXPECT_NE(*a, *b);  // salted
  EXPECT_TRUE(crypto.VerifyPassword(*a, "correct horse battery"));
  EXPECT_FALSE(crypto.VerifyPassword(*a, "correct horse batterY"));
  EXPECT_FALSE(crypto.VerifyPassword("", "x"));
  EXPECT_FALSE(crypto.VerifyPassword("$argon2id$garbage", "x"));
}

TEST(Crypto, RandomTokensAreUrlSafeAndDistinct) {
  auto crypto = MakeCrypto();
  const auto t1 = crypto.RandomToken(32), t2 = crypto.RandomToken(32);
  EXPECT_EQ(t1.size(), 43u);
  EXPECT_NE(t1, t2);
  EXPECT_EQ(
      t1.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
}

TEST(Crypto, Sha256MatchesKnownVector) {
  auto crypto = MakeCrypto();
  EXPECT_EQ(crypto.Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, Base64UrlRoundTripAndRejects) {
  std::string out;
  EXPECT_EQ(Base64UrlEncode(std::string_view("\xff\xfe\x00z", 4)), "__4Aeg");
  ASSERT_TRUE(Base64UrlDecode("__4Aeg", out));
  EXPECT_EQ(out, std::string("\xff\xfe\x00z", 4));
  EXPECT_FALSE(Base64UrlDecode("ab+/", out));
  EXPECT_FALSE(Base64UrlDecode("abc=", out));
}

}  // namespace
}  // namespace sw::security
