#include "core/password_policy.hpp"

#include <array>

#include "common/strings.hpp"

namespace sw::core {
namespace {

// Lower-cased; the longest entries of the usual breach lists that pass the length rule.
constexpr std::array<std::string_view, 40> kCommon = {
    "1234567890",    "12345678910",  "123456789a",  "0123456789",   "1111111111",  "0000000000",
    "qwertyuiop",    "password12",   "password123", "password1234", "passw0rd123", "iloveyou12",
    "1q2w3e4r5t",    "qwerty1234",   "qwerty12345", "1qaz2wsx3edc", "abcdefghij",  "abc1234567",
    "administrator", "admin12345",   "admin123456", "letmein123",   "welcome123",  "welcome1234",
    "changeme123",   "sunshine12",   "football12",  "baseball12",   "princess12",  "dragon1234",
    "monkey1234",    "master1234",   "superman12",  "trustno1234",  "1234qwerty",  "zaq12wsxcde",
    "sitewatch1",    "sitewatch123", "workshop123", "asdfghjkl1"};

}  // namespace

Status CheckPasswordPolicy(std::string_view password, std::string_view username,
                           std::string_view field) {
  const auto weak = [&](std::string message) {
    return MakeError(Errc::kInvalidArgument, std::move(message), "PASSWORD_TOO_WEAK",
                     std::string(field));
  };
  if (password.size() < kMinPasswordLength) {
    return weak("password must be at least " + std::to_string(kMinPasswordLength) + " characters");
  }
  if (password.size() > kMaxPasswordLength) {
    return weak("password must be at most " + std::to_string(kMaxPasswordLength) + " characters");
  }
  const std::string lower = ToLower(password);
  if (!username.empty() && lower == ToLower(username)) {
    return weak("password must not be the username");
  }
  for (std::string_view common : kCommon) {
    if (lower == common) return weak("password is too common");
  }
  return Ok{};
}

}  // namespace sw::core
