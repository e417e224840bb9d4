// RFC 3339 / ISO 8601 UTC timestamps ("2026-11-22T23:01:46.123Z"). Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace sw {

std::string FormatTime(SysTime t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC only) or unix milliseconds as digits.
std::optional<SysTime> ParseTime(std::string_view text);

}  // namespace sw
