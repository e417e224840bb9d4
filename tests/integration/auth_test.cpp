// Authentication end to end: lockout, indistinguishable failures, refresh rotation and
// reuse detection, logout and password change revocation, forged and expired tokens.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "security/crypto.hpp"
#include "security/jwt.hpp"

namespace sw::testing {
namespace {

const std::string kSecret = "integration-test-jwt-secret-0123456789abcdef";

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({{}, {{"SITEWATCH_AUTH_JWT_SECRET", kSecret}}, ""});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // A fresh user per test, so lockouts and revocations do not leak between tests.
  std::string NewUser(const std::string& password = "a-good-password-1") {
    auto client = server_->Client();
    const std::string admin = Login(client, "admin", ServerProcess::kAdminPassword);
    if (workshop_ == 0) {
      auto w = client.Post("/api/v1/workshops", {{"name", "Auth Test Garage"}}, admin);
      workshop_ = w.Json().at("data").at("id").as_int64();
    }
    const std::string name = "user" + std::to_string(++counter_);
    auto r = client.Post(
        "/api/v1/users",
        {{"username", name}, {"role", "staff"}, {"workshop_id", workshop_}, {"password", password}},
        admin);
    EXPECT_EQ(r.status, 201) << r.body;
    return name;
  }
  static json::value LoginBody(const std::string& u, const std::string& p) {
    return {{"username", u}, {"password", p}};
  }

  static ServerProcess* server_;
  static inline std::int64_t workshop_ = 0;
  static inline int counter_ = 0;
};
ServerProcess* AuthTest::server_ = nullptr;

TEST_F(AuthTest, UnknownUserAndWrongPasswordLookTheSame) {
  const std::string user = NewUser();
  auto client = server_->Client();
  auto wrong = client.Post("/api/v1/auth/login", LoginBody(user, "not-the-password"));
  auto unknown = client.Post("/api/v1/auth/login", LoginBody("nobody-" + user, "not-the-password"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.status, unknown.status);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.ErrorCode(), "INVALID_CREDENTIALS");
}

TEST_F(AuthTest, FiveFailuresLockTheAccountEvenForTheRightPassword) {
  const std::string user = NewUser();
  auto client = server_->Client();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(client.Post("/api/v1/auth/login", LoginBody(user, "wrong-password!")).ErrorCode(),
              "INVALID_CREDENTIALS");
  }
  EXPECT_EQ(client.Post("/api/v1/auth/login", LoginBody(user, "wrong-password!")).ErrorCode(),
            "ACCOUNT_LOCKED");
  auto right = client.Post("/api/v1/auth/login", LoginBody(user, "a-good-password-1"));
  EXPECT_EQ(right.status, 401);
  EXPECT_EQ(right.ErrorCode(), "ACCOUNT_LOCKED");
  // An unknown name locks the same way, so a lockout does not reveal that a name exists.
  for (int i = 0; i < 4; ++i)
    client.Post("/api/v1/auth/login", LoginBody("ghost-" + user, "x-x-x-x-x-x"));
  EXPECT_EQ(
      client.Post("/api/v1/auth/login", LoginBody("ghost-" + user, "x-x-x-x-x-x")).ErrorCode(),
      "ACCOUNT_LOCKED");
}

TEST_F(AuthTest, AdminResetUnlocks) {
  const std::string user = NewUser();
  auto client = server_->Client();
  for (int i = 0; i < 5; ++i) client.Post("/api/v1/auth/login", LoginBody(user, "wrong-password!"));
  const std::string admin = Login(client, "admin", ServerProcess::kAdminPassword);
  auto list = client.Get("/api/v1/users?role=staff&page_size=100", admin);
  std::int64_t id = 0;
  const json::value users = list.Json();
  for (const auto& u : users.at("data").as_array()) {
    if (u.at("username").as_string() == user) id = u.at("id").as_int64();
  }
  ASSERT_GT(id, 0);
  auto reset = client.Post("/api/v1/users/" + std::to_string(id) + "/reset-password",
                           {{"password", "fresh-password-22"}}, admin);
  ASSERT_EQ(reset.status, 200) << reset.body;
  auto login = client.Post("/api/v1/auth/login", LoginBody(user, "fresh-password-22"));
  ASSERT_EQ(login.status, 200) << login.body;
  // A reset password is temporary: only the auth routes answer until it is changed.
  const std::string token(login.Json().at("data").at("access_token").as_string());
  EXPECT_EQ(client.Get("/api/v1/workshops", token).ErrorCode(), "PASSWORD_CHANGE_REQUIRED");
  EXPECT_EQ(client.Get("/api/v1/auth/me", token).status, 200);
}

TEST_F(AuthTest, RefreshRotatesAndReuseRevokesTheSession) {
  const std::string user = NewUser();
  auto client = server_->Client();
  auto login = client.Post("/api/v1/auth/login", LoginBody(user, "a-good-password-1"));
  ASSERT_EQ(login.status, 200);
  const std::string r1(login.Json().at("data").at("refresh_token").as_string());
  const std::string a1(login.Json().at("data").at("access_token").as_string());

  auto refreshed = client.Post("/api/v1/auth/refresh", {{"refresh_token", r1}});
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  const std::string r2(refreshed.Json().at("data").at("refresh_token").as_string());
  const std::string a2(refreshed.Json().at("data").at("access_token").as_string());
  EXPECT_NE(r1, r2);
  EXPECT_EQ(client.Get("/api/v1/auth/me", a2).status, 200);

  // r1 again: someone copied it. The whole session ends, for both holders.
  auto reuse = client.Post("/api/v1/auth/refresh", {{"refresh_token", r1}});
  EXPECT_EQ(reuse.status, 401);
  EXPECT_EQ(reuse.ErrorCode(), "TOKEN_REUSED");
  EXPECT_EQ(client.Post("/api/v1/auth/refresh", {{"refresh_token", r2}}).status, 401);
  EXPECT_EQ(client.Get("/api/v1/auth/me", a2).status, 401);
  EXPECT_EQ(client.Get("/api/v1/auth/me", a1).status, 401);
  EXPECT_EQ(client.Post("/api/v1/auth/refresh", {{"refresh_token", "made-up"}}).ErrorCode(),
            "TOKEN_INVALID");
}

TEST_F(AuthTest, LogoutRevokesAccessAndRefresh) {
  const std::string user = NewUser();
  auto client = server_->Client();
  auto login = client.Post("/api/v1/auth/login", LoginBody(user, "a-good-password-1"));
  const std::string refresh(login.Json().at("data").at("refresh_token").as_string());
  const std::string access(login.Json().at("data").at("access_token").as_string());
  // A second session of the same user survives the first one's logout.
  const std::string other = Login(client, user, "a-good-password-1");
  auto out = client.Post("/api/v1/auth/logout", {{"refresh_token", refresh}}, access);
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(client.Get("/api/v1/auth/me", access).status, 401);
  EXPECT_EQ(client.Post("/api/v1/auth/refresh", {{"refresh_token", refresh}}).status, 401);
  EXPECT_EQ(client.Get("/api/v1/auth/me", other).status, 200);
}

TEST_F(AuthTest, PasswordChangeRevokesEverySession) {
  const std::string user = NewUser();
  auto client = server_->Client();
  auto login = client.Post("/api/v1/auth/login", LoginBody(user, "a-good-password-1"));
  const std::string refresh(login.Json().at("data").at("refresh_token").as_string());
  const std::string access(login.Json().at("data").at("access_token").as_string());
  const std::string other = Login(client, user, "a-good-password-1");

  auto weak =
      client.Post("/api/v1/auth/change-password",
                  {{"current_password", "a-good-password-1"}, {"new_password", user}}, access);
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(weak.ErrorCode(), "PASSWORD_TOO_WEAK");
  auto wrong = client.Post(
      "/api/v1/auth/change-password",
      {{"current_password", "nope-nope-nope"}, {"new_password", "brand-new-pass-9"}}, access);
  EXPECT_EQ(wrong.ErrorCode(), "INVALID_CURRENT_PASSWORD");

  auto changed = client.Post(
      "/api/v1/auth/change-password",
      {{"current_password", "a-good-password-1"}, {"new_password", "brand-new-pass-9"}}, access);
  ASSERT_EQ(changed.status, 200) << changed.body;
  const std::string fresh(changed.Json().at("data").at("access_token").as_string());
  EXPECT_EQ(client.Get("/api/v1/auth/me", access).status, 401);
  EXPECT_EQ(client.Get("/api/v1/auth/me", other).status, 401);
  EXPECT_EQ(client.Post("/api/v1/auth/refresh", {{"refresh_token", refresh}}).status, 401);
  EXPECT_EQ(client.Get("/api/v1/auth/me", fresh).status, 200);
  EXPECT_EQ(client.Post("/api/v1/auth/login", LoginBody(user, "a-good-password-1")).status, 401);
  EXPECT_EQ(client.Post("/api/v1/auth/login", LoginBody(user, "brand-new-pass-9")).status, 200);
}

TEST_F(AuthTest, ForgedExpiredAndAlgNoneTokensAreRejected) {
  const std::string user = NewUser();
  auto client = server_->Client();
  const std::string good = Login(client, user, "a-good-password-1");
  ASSERT_EQ(client.Get("/api/v1/auth/me", good).status, 200);

  security::JwtCodec codec(kSecret);
  auto claims = codec.Verify(good, SystemClock().Now());
  ASSERT_TRUE(claims.ok());

  // Expired, though signed with the right key and naming a live session.
  auto expired = *claims;
  expired.issued_at = SystemClock().Now() - std::chrono::hours(2);
  expired.expires_at = SystemClock().Now() - std::chrono::hours(1);
  auto r = client.Get("/api/v1/auth/me", codec.Issue(expired));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.ErrorCode(), "TOKEN_INVALID");

  // Escalation with another key.
  security::JwtCodec attacker("a-different-secret-0123456789abcdefgh");
  auto forged = *claims;
  forged.role = core::Role::kSuperAdmin;
  EXPECT_EQ(client.Get("/api/v1/workshops", attacker.Issue(forged)).status, 401);

  // alg: none with the same claims.
  const auto dot1 = good.find('.'), dot2 = good.rfind('.');
  const std::string none = security::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                           good.substr(dot1 + 1, dot2 - dot1 - 1) + ".";
  EXPECT_EQ(client.Get("/api/v1/auth/me", none).status, 401);

  // Tampered payload keeps the old signature.
  std::string tampered = good;
  tampered[dot1 + 5] = tampered[dot1 + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(client.Get("/api/v1/auth/me", tampered).status, 401);
  EXPECT_EQ(client.Get("/api/v1/auth/me", "").ErrorCode(), "NOT_AUTHENTICATED");
  EXPECT_EQ(client.Get("/api/v1/auth/me", "garbage").ErrorCode(), "TOKEN_INVALID");
}

TEST_F(AuthTest, LoginIsRateLimitedPerClientAddress) {
  ServerProcess server({{"--auth-login-rate-per-minute", "3"}, {}, ""});
  auto client = server.Client();
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(client.Post("/api/v1/auth/login", LoginBody("x-user", "y-password")).status, 429);
  }
  auto limited =
      client.Post("/api/v1/auth/login", LoginBody("admin", ServerProcess::kAdminPassword));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.ErrorCode(), "RATE_LIMITED");
  EXPECT_FALSE(limited.headers["retry-after"].empty());
}

TEST_F(AuthTest, GeneratedInitialAdminPasswordIsPrintedOnceAndTemporary) {
  // No SITEWATCH_INIT_ADMIN_PASSWORD: the server generates one and prints it.
  const std::string dir = MakeTempDir("sw-admin");
  auto [code, out] =
      RunSitewatch({"demo", "--data-dir", dir}, {{"SITEWATCH_AUTH_ARGON2_MEMLIMIT_KIB", "8192"}});
  ASSERT_EQ(code, 0) << out;
  const auto pos = out.find("admin / ");
  ASSERT_NE(pos, std::string::npos) << out;
  const std::string password = out.substr(pos + 8, out.find(' ', pos + 8) - pos - 8);
  EXPECT_GE(password.size(), 10u);
  auto [code2, out2] = RunSitewatch({"demo", "--data-dir", dir});
  EXPECT_EQ(code2, 0);
  EXPECT_EQ(out2.find(password), std::string::npos) << "printed twice";

  ServerProcess server({{}, {}, dir});
  auto client = server.Client();
  const std::string token = Login(client, "admin", password);
  EXPECT_EQ(client.Get("/api/v1/auth/me", token).Json().at("data").at("temporary_password"),
            json::value(true));
  EXPECT_EQ(client.Get("/api/v1/workshops", token).ErrorCode(), "PASSWORD_CHANGE_REQUIRED");
  auto demo_owner = out.find("demo-owner / ");
  ASSERT_NE(demo_owner, std::string::npos);
}

}  // namespace
}  // namespace sw::testing
