#include "common/result.hpp"

namespace sw {

const char* DefaultCode(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument: return "VALIDATION_ERROR";
    case Errc::kUnauthenticated: return "NOT_AUTHENTICATED";
    case Errc::kForbidden: return "FORBIDDEN";
    case Errc::kNotFound: return "NOT_FOUND";
    case Errc::kConflict: return "CONFLICT";
    case Errc::kPayloadTooLarge: return "PAYLOAD_TOO_LARGE";
    case Errc::kRateLimited: return "RATE_LIMITED";
    case Errc::kUnavailable: return "UNAVAILABLE";
    case Errc::kDataLoss: return "DATA_LOSS";
    case Errc::kInternal: return "INTERNAL";
  }
  return "INTERNAL";
}

}  // namespace sw
