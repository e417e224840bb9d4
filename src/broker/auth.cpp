#include "broker/auth.hpp"

namespace sw::broker {

bool FirstLevelIs(std::string_view topic, std::string_view level) {
  return topic.substr(0, topic.find('/')) == level;
}

mqtt::ReasonCode DefaultAuthenticator::Authenticate(const mqtt::Connect& connect,
                                                    ClientIdentity& identity) {
  // Devices (username = uid, password = secret) arrive with the device registry; until then
  // no credentials are valid.
  if (connect.username || connect.password) return mqtt::ReasonCode::kBadUserNameOrPassword;
  if (!allow_anonymous_) return mqtt::ReasonCode::kNotAuthorized;
  identity.anonymous = true;
  identity.username.clear();
  return mqtt::ReasonCode::kSuccess;
}

bool DefaultAuthenticator::MayPublish(const ClientIdentity&, std::string_view topic) {
  return !FirstLevelIs(topic, "sw");
}

bool DefaultAuthenticator::MaySubscribe(const ClientIdentity&, std::string_view filter) {
  return !FirstLevelIs(filter, "sw");
}

bool DefaultAuthenticator::MayReceive(const ClientIdentity&, std::string_view topic) {
  return !FirstLevelIs(topic, "sw");
}

}  // namespace sw::broker
