// Fuzzes the live-event WebSocket protocol (src/http/live_hub.*): an authenticated session
// fed arbitrary client messages must never crash, and every reply is JSON text.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "http/live_hub.hpp"

namespace {

sw::http::LiveAccess Access() {
  sw::http::LiveAccess a;
  a.workshop = [](const sw::core::Principal& p, sw::WorkshopId w) -> sw::Status {
    if (p.workshop_id && *p.workshop_id == w) return sw::Ok{};
    return sw::MakeError(sw::Errc::kNotFound, "workshop not found");
  };
  a.pit_workshop = [](const sw::core::Principal&, sw::PitId id) -> sw::Result<sw::WorkshopId> {
    if (id.value == 1) return sw::WorkshopId{1};
    return sw::MakeError(sw::Errc::kNotFound, "pit not found");
  };
  a.device_workshop = [](const sw::core::Principal&,
                         std::string_view uid) -> sw::Result<sw::WorkshopId> {
    if (uid == "NODE-1") return sw::WorkshopId{1};
    return sw::MakeError(sw::Errc::kNotFound, "device not found");
  };
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sw::ManualClock clock;
  static sw::metrics::Registry metrics;
  static sw::http::LiveHub hub(clock, metrics, Access());
  auto authenticate = [](std::string_view token) -> sw::Result<sw::http::LiveIdentity> {
    if (token != "good") return sw::MakeError(sw::Errc::kUnauthenticated, "bad token");
    sw::http::LiveIdentity id;
    id.principal.user_id = sw::UserId{1};
    id.principal.role = sw::core::Role::kOwner;
    id.principal.workshop_id = sw::WorkshopId{1};
    id.expires_at = clock.Now() + std::chrono::minutes(10);
    return id;
  };
  sw::http::LiveConnection conn(
      hub, authenticate, [] {}, clock.Now());
  (void)conn.Start("good", clock.Now());
  // The input is split into messages at NUL bytes, so one run can hold a conversation.
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!conn.closed()) {
    const auto nul = rest.find('\0');
    const std::string_view message = rest.substr(0, nul);
    const auto out = conn.OnMessage(message, true, clock.Now());
    for (const std::string& reply : out.messages) {
      std::error_code ec;
      (void)boost::json::parse(reply, ec);
      if (ec) std::abort();  // every reply is JSON
    }
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  return 0;
}
