#include "protocol/reason_code.hpp"

#include <array>
#include <string_view>
#include <utility>

namespace sw::mqtt {
namespace {

struct ReasonInfo {
  ReasonCode code;
  const char* name;
  const char* machine_code;
};

constexpr std::array kReasons = {
    ReasonInfo{ReasonCode::kSuccess, "SUCCESS", "MQTT_SUCCESS"},
    ReasonInfo{ReasonCode::kGrantedQos1, "GRANTED_QOS_1", "MQTT_GRANTED_QOS_1"},
    ReasonInfo{ReasonCode::kGrantedQos2, "GRANTED_QOS_2", "MQTT_GRANTED_QOS_2"},
    ReasonInfo{ReasonCode::kDisconnectWithWill, "DISCONNECT_WITH_WILL",
               "MQTT_DISCONNECT_WITH_WILL"},
    ReasonInfo{ReasonCode::kNoMatchingSubscribers, "NO_MATCHING_SUBSCRIBERS",
               "MQTT_NO_MATCHING_SUBSCRIBERS"},
    ReasonInfo{ReasonCode::kNoSubscriptionExisted, "NO_SUBSCRIPTION_EXISTED",
               "MQTT_NO_SUBSCRIPTION_EXISTED"},
    ReasonInfo{ReasonCode::kContinueAuthentication, "CONTINUE_AUTHENTICATION",
               "MQTT_CONTINUE_AUTHENTICATION"},
    ReasonInfo{ReasonCode::kReAuthenticate, "RE_AUTHENTICATE", "MQTT_RE_AUTHENTICATE"},
    ReasonInfo{ReasonCode::kUnspecifiedError, "UNSPECIFIED_ERROR", "MQTT_UNSPECIFIED_ERROR"},
    ReasonInfo{ReasonCode::kMalformedPacket, "MALFORMED_PACKET", "MQTT_MALFORMED_PACKET"},
    ReasonInfo{ReasonCode::kProtocolError, "PROTOCOL_ERROR", "MQTT_PROTOCOL_ERROR"},
    ReasonInfo{ReasonCode::kImplementationSpecificError, "IMPLEMENTATION_SPECIFIC_ERROR",
               "MQTT_IMPLEMENTATION_SPECIFIC_ERROR"},
    ReasonInfo{ReasonCode::kUnsupportedProtocolVersion, "UNSUPPORTED_PROTOCOL_VERSION",
               "MQTT_UNSUPPORTED_PROTOCOL_VERSION"},
    ReasonInfo{ReasonCode::kClientIdentifierNotValid, "CLIENT_IDENTIFIER_NOT_VALID",
               "MQTT_CLIENT_IDENTIFIER_NOT_VALID"},
    ReasonInfo{ReasonCode::kBadUserNameOrPassword, "BAD_USER_NAME_OR_PASSWORD",
               "MQTT_BAD_USER_NAME_OR_PASSWORD"},
    ReasonInfo{ReasonCode::kNotAuthorized, "NOT_AUTHORIZED", "MQTT_NOT_AUTHORIZED"},
    ReasonInfo{ReasonCode::kServerUnavailable, "SERVER_UNAVAILABLE", "MQTT_SERVER_UNAVAILABLE"},
    ReasonInfo{ReasonCode::kServerBusy, "SERVER_BUSY", "MQTT_SERVER_BUSY"},
    ReasonInfo{ReasonCode::kBanned, "BANNED", "MQTT_BANNED"},
    ReasonInfo{ReasonCode::kServerShuttingDown, "SERVER_SHUTTING_DOWN",
               "MQTT_SERVER_SHUTTING_DOWN"},
    ReasonInfo{ReasonCode::kBadAuthenticationMethod, "BAD_AUTHENTICATION_METHOD",
               "MQTT_BAD_AUTHENTICATION_METHOD"},
    ReasonInfo{ReasonCode::kKeepAliveTimeout, "KEEP_ALIVE_TIMEOUT", "MQTT_KEEP_ALIVE_TIMEOUT"},
    ReasonInfo{ReasonCode::kSessionTakenOver, "SESSION_TAKEN_OVER", "MQTT_SESSION_TAKEN_OVER"},
    ReasonInfo{ReasonCode::kTopicFilterInvalid, "TOPIC_FILTER_INVALID",
               "MQTT_TOPIC_FILTER_INVALID"},
    ReasonInfo{ReasonCode::kTopicNameInvalid, "TOPIC_NAME_INVALID", "MQTT_TOPIC_NAME_INVALID"},
    ReasonInfo{ReasonCode::kPacketIdentifierInUse, "PACKET_IDENTIFIER_IN_USE",
               "MQTT_PACKET_IDENTIFIER_IN_USE"},
    ReasonInfo{ReasonCode::kPacketIdentifierNotFound, "PACKET_IDENTIFIER_NOT_FOUND",
               "MQTT_PACKET_IDENTIFIER_NOT_FOUND"},
    ReasonInfo{ReasonCode::kReceiveMaximumExceeded, "RECEIVE_MAXIMUM_EXCEEDED",
               "MQTT_RECEIVE_MAXIMUM_EXCEEDED"},
    ReasonInfo{ReasonCode::kTopicAliasInvalid, "TOPIC_ALIAS_INVALID", "MQTT_TOPIC_ALIAS_INVALID"},
    ReasonInfo{ReasonCode::kPacketTooLarge, "PACKET_TOO_LARGE", "MQTT_PACKET_TOO_LARGE"},
    ReasonInfo{ReasonCode::kMessageRateTooHigh, "MESSAGE_RATE_TOO_HIGH",
               "MQTT_MESSAGE_RATE_TOO_HIGH"},
    ReasonInfo{ReasonCode::kQuotaExceeded, "QUOTA_EXCEEDED", "MQTT_QUOTA_EXCEEDED"},
    ReasonInfo{ReasonCode::kAdministrativeAction, "ADMINISTRATIVE_ACTION",
               "MQTT_ADMINISTRATIVE_ACTION"},
    ReasonInfo{ReasonCode::kPayloadFormatInvalid, "PAYLOAD_FORMAT_INVALID",
               "MQTT_PAYLOAD_FORMAT_INVALID"},
    ReasonInfo{ReasonCode::kRetainNotSupported, "RETAIN_NOT_SUPPORTED",
               "MQTT_RETAIN_NOT_SUPPORTED"},
    ReasonInfo{ReasonCode::kQosNotSupported, "QOS_NOT_SUPPORTED", "MQTT_QOS_NOT_SUPPORTED"},
    ReasonInfo{ReasonCode::kUseAnotherServer, "USE_ANOTHER_SERVER", "MQTT_USE_ANOTHER_SERVER"},
    ReasonInfo{ReasonCode::kServerMoved, "SERVER_MOVED", "MQTT_SERVER_MOVED"},
    ReasonInfo{ReasonCode::kSharedSubscriptionsNotSupported, "SHARED_SUBSCRIPTIONS_NOT_SUPPORTED",
               "MQTT_SHARED_SUBSCRIPTIONS_NOT_SUPPORTED"},
    ReasonInfo{ReasonCode::kConnectionRateExceeded, "CONNECTION_RATE_EXCEEDED",
               "MQTT_CONNECTION_RATE_EXCEEDED"},
    ReasonInfo{ReasonCode::kMaximumConnectTime, "MAXIMUM_CONNECT_TIME",
               "MQTT_MAXIMUM_CONNECT_TIME"},
    ReasonInfo{ReasonCode::kSubscriptionIdentifiersNotSupported,
               "SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED",
               "MQTT_SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED"},
    ReasonInfo{ReasonCode::kWildcardSubscriptionsNotSupported,
               "WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED", "MQTT_WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED"},
};

const ReasonInfo* Find(ReasonCode code) {
  for (const auto& info : kReasons) {
    if (info.code == code) return &info;
  }
  return nullptr;
}

Errc CategoryOf(ReasonCode code) {
  switch (code) {
    case ReasonCode::kPacketTooLarge: return Errc::kPayloadTooLarge;
    case ReasonCode::kBadUserNameOrPassword:
    case ReasonCode::kBadAuthenticationMethod: return Errc::kUnauthenticated;
    case ReasonCode::kNotAuthorized:
    case ReasonCode::kBanned: return Errc::kForbidden;
    case ReasonCode::kServerBusy:
    case ReasonCode::kServerUnavailable:
    case ReasonCode::kServerShuttingDown: return Errc::kUnavailable;
    case ReasonCode::kQuotaExceeded:
    case ReasonCode::kMessageRateTooHigh:
    case ReasonCode::kConnectionRateExceeded:
    case ReasonCode::kReceiveMaximumExceeded: return Errc::kRateLimited;
    case ReasonCode::kImplementationSpecificError:
    case ReasonCode::kUnspecifiedError: return Errc::kInternal;
    default: return Errc::kInvalidArgument;
  }
}

}  // namespace

const char* ReasonName(ReasonCode code) {
  const ReasonInfo* info = Find(code);
  return info == nullptr ? "UNKNOWN" : info->name;
}

Error MqttError(ReasonCode code, std::string message) {
  const ReasonInfo* info = Find(code);
  return MakeError(CategoryOf(code), std::move(message),
                   info == nullptr ? "MQTT_UNSPECIFIED_ERROR" : info->machine_code);
}

ReasonCode ReasonCodeOf(const Error& error) {
  const std::string_view machine_code = error.machine_code;
  for (const auto& info : kReasons) {
    if (machine_code == info.machine_code) return info.code;
  }
  return ReasonCode::kUnspecifiedError;
}

std::uint8_t ToV311ConnackCode(ReasonCode code) {
  switch (code) {
    case ReasonCode::kSuccess: return 0;
    case ReasonCode::kUnsupportedProtocolVersion: return 1;  // unacceptable protocol version
    case ReasonCode::kClientIdentifierNotValid: return 2;    // identifier rejected
    case ReasonCode::kServerUnavailable:
    case ReasonCode::kServerBusy:
    case ReasonCode::kServerShuttingDown: return 3;  // server unavailable
    case ReasonCode::kBadUserNameOrPassword:
    case ReasonCode::kBadAuthenticationMethod: return 4;  // bad user name or password
    default: return 5;                                    // not authorized
  }
}

}  // namespace sw::mqtt
