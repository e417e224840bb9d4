// Password policy: at least 10 characters (at most 256), not the username, not one of the
// most common passwords. Pure and thread-safe.
#pragma once

#include <string_view>

#include "common/result.hpp"

namespace sw::core {

inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::size_t kMaxPasswordLength = 256;

// InvalidArgument with machine code PASSWORD_TOO_WEAK and `field` set, when rejected.
Status CheckPasswordPolicy(std::string_view password, std::string_view username,
                           std::string_view field = "password");

}  // namespace sw::core
