// MQTT 5.0 reason codes and the mapping between them and sw::Error.
//
// Every failure in the protocol layer is an sw::Error whose machine_code names the MQTT
// reason code ("MQTT_MALFORMED_PACKET"); ReasonCodeOf() recovers the numeric code, so the
// shells can put it in a CONNACK/DISCONNECT without a second table. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace sw::mqtt {

enum class ReasonCode : std::uint8_t {
  kSuccess = 0x00,  // also Normal disconnection, Granted QoS 0
  kGrantedQos1 = 0x01,
  kGrantedQos2 = 0x02,
  kDisconnectWithWill = 0x04,
  kNoMatchingSubscribers = 0x10,
  kNoSubscriptionExisted = 0x11,
  kContinueAuthentication = 0x18,
  kReAuthenticate = 0x19,
  kUnspecifiedError = 0x80,
  kMalformedPacket = 0x81,
  kProtocolError = 0x82,
  kImplementationSpecificError = 0x83,
  kUnsupportedProtocolVersion = 0x84,
  kClientIdentifierNotValid = 0x85,
  kBadUserNameOrPassword = 0x86,
  kNotAuthorized = 0x87,
  kServerUnavailable = 0x88,
  kServerBusy = 0x89,
  kBanned = 0x8A,
  kServerShuttingDown = 0x8B,
  kBadAuthenticationMethod = 0x8C,
  kKeepAliveTimeout = 0x8D,
  kSessionTakenOver = 0x8E,
  kTopicFilterInvalid = 0x8F,
  kTopicNameInvalid = 0x90,
  kPacketIdentifierInUse = 0x91,
  kPacketIdentifierNotFound = 0x92,
  kReceiveMaximumExceeded = 0x93,
  kTopicAliasInvalid = 0x94,
  kPacketTooLarge = 0x95,
  kMessageRateTooHigh = 0x96,
  kQuotaExceeded = 0x97,
  kAdministrativeAction = 0x98,
  kPayloadFormatInvalid = 0x99,
  kRetainNotSupported = 0x9A,
  kQosNotSupported = 0x9B,
  kUseAnotherServer = 0x9C,
  kServerMoved = 0x9D,
  kSharedSubscriptionsNotSupported = 0x9E,
  kConnectionRateExceeded = 0x9F,
  kMaximumConnectTime = 0xA0,
  kSubscriptionIdentifiersNotSupported = 0xA1,
  kWildcardSubscriptionsNotSupported = 0xA2,
};

// Stable upper-case name without prefix, e.g. "MALFORMED_PACKET"; "UNKNOWN" for other values.
const char* ReasonName(ReasonCode code);

// An Error for a protocol failure: machine_code "MQTT_<NAME>", category mapped from the code.
Error MqttError(ReasonCode code, std::string message);

// The reason code an Error stands for: the one named by its machine_code when it is an
// MqttError, otherwise kUnspecifiedError.
ReasonCode ReasonCodeOf(const Error& error);

// The MQTT 3.1.1 CONNACK return code (1..5) closest to a 5.0 CONNACK reason code; 0 for success.
std::uint8_t ToV311ConnackCode(ReasonCode code);

}  // namespace sw::mqtt
