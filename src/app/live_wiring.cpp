#include "app/live_wiring.hpp"

#include <boost/json.hpp>
#include <string>

#include "http/command_json.hpp"
#include "security/crypto.hpp"

namespace sw::app {
namespace {

// The `exp` claim of a token AuthService has just accepted (so its signature is good).
std::optional<SysTime> TokenExpiry(std::string_view token) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  std::string claims_text;
  if (!security::Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1), claims_text)) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const boost::json::value claims = boost::json::parse(claims_text, ec);
  if (ec || !claims.is_object()) return std::nullopt;
  const boost::json::value* exp = claims.as_object().if_contains("exp");
  if (!exp || !exp->is_int64()) return std::nullopt;
  return FromUnixSeconds(exp->as_int64());
}

}  // namespace

http::LiveAccess MakeLiveAccess(Platform& platform) {
  http::LiveAccess access;
  access.workshop = [&platform](const core::Principal& p, WorkshopId id) -> Status {
    SW_TRY(platform.tenancy().GetWorkshop(p, id));
    return Ok{};
  };
  access.pit_workshop = [&platform](const core::Principal& p, PitId id) -> Result<WorkshopId> {
    SW_ASSIGN_OR_RETURN(core::Pit pit, platform.tenancy().GetPit(p, id));
    return pit.workshop_id;
  };
  access.device_workshop = [&platform](const core::Principal& p,
                                       std::string_view uid) -> Result<WorkshopId> {
    SW_ASSIGN_OR_RETURN(core::Device device, platform.devices().Get(p, uid));
    return device.workshop_id;
  };
  return access;
}

http::LiveAuthenticator MakeLiveAuthenticator(Platform& platform) {
  return [&platform](std::string_view token) -> Result<http::LiveIdentity> {
    SW_ASSIGN_OR_RETURN(core::Principal principal, platform.auth().Authenticate(token));
    const auto expires_at = TokenExpiry(token);
    if (!expires_at) return MakeError(Errc::kUnauthenticated, "invalid token", "TOKEN_INVALID");
    return http::LiveIdentity{std::move(principal), *expires_at};
  };
}

std::unique_ptr<http::LiveHub> WireLiveEvents(Platform& platform, http::ServerOptions& options) {
  auto hub = std::make_unique<http::LiveHub>(platform.clock(), platform.metrics(),
                                             MakeLiveAccess(platform));
  options.live_hub = hub.get();
  options.live_authenticate = MakeLiveAuthenticator(platform);
  return hub;
}

void ConnectLiveProducers(Platform& platform, http::LiveHub& hub) {
  // As soon as the readings are accepted (not after the commit): the live view should not
  // wait for the disk. REST reads and the latest-value cache follow the commit.
  platform.ingest().AddAcceptedListener(
      [&hub](const core::Device& device, std::span<const core::Reading> readings) {
        // One event per timestamp (a flushed batch carries many); flagged values are not shown.
        std::vector<std::pair<std::string, double>> values;
        std::size_t i = 0;
        while (i < readings.size()) {
          const std::int64_t ts = readings[i].ts_ms;
          values.clear();
          for (; i < readings.size() && readings[i].ts_ms == ts; ++i) {
            if (readings[i].valid()) values.emplace_back(readings[i].metric, readings[i].value);
          }
          if (!values.empty()) {
            hub.PublishTelemetry(device.workshop_id, device.pit_id, device.uid, ts, values);
          }
        }
      });
  platform.presence().AddListener([&hub](const core::PresenceState& s) {
    http::LiveEvent e;
    e.type = "device_status";
    e.workshop = s.workshop;
    e.pit = s.pit;
    e.device_uid = s.uid;
    e.data["online"] = s.online;
    e.data["last_seen"] =
        s.last_seen ? boost::json::value(ToUnixMillis(*s.last_seen)) : boost::json::value(nullptr);
    e.data["firmware_version"] = s.firmware;
    e.data["reason"] = s.reason;
    if (s.rssi) e.data["rssi"] = *s.rssi;
    hub.Publish(std::move(e));
  });
}

void ConnectCommandEvents(core::CommandService& commands, http::LiveHub& hub) {
  commands.AddListener([&hub](const core::Command& c, const core::CommandTransition& t) {
    hub.Publish(http::LiveEvent{"command", c.workshop_id, c.pit_id, c.device_uid,
                                http::CommandEventJson(c, t)});
  });
}

}  // namespace sw::app
