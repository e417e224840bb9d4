#include "broker/message.hpp"

#include <chrono>
#include <utility>

namespace sw::broker {

MessagePtr MakeMessage(mqtt::Publish publish, std::string origin, SysTime now) {
  auto message = std::make_shared<Message>();
  message->topic = std::move(publish.topic);
  message->payload = std::move(publish.payload);
  message->qos = publish.qos;
  message->retain = publish.retain;
  mqtt::Properties& in = publish.properties;
  if (in.message_expiry_interval) {
    message->expires_at = now + std::chrono::seconds(*in.message_expiry_interval);
  }
  if (in.payload_format_indicator || in.content_type || in.response_topic || in.correlation_data ||
      !in.user_properties.empty()) {
    auto out = std::make_unique<mqtt::Properties>();
    out->payload_format_indicator = in.payload_format_indicator;
    out->content_type = std::move(in.content_type);
    out->response_topic = std::move(in.response_topic);
    out->correlation_data = std::move(in.correlation_data);
    out->user_properties = std::move(in.user_properties);
    message->properties = std::move(out);
  }
  message->origin = std::move(origin);
  return message;
}

bool Expired(const Message& message, SysTime now) {
  return message.expires_at && now >= *message.expires_at;
}

std::optional<mqtt::PublishView> ViewOf(const Delivery& delivery, mqtt::ProtocolVersion version,
                                        SysTime now) {
  const Message& message = *delivery.message;
  if (Expired(message, now)) return std::nullopt;
  mqtt::PublishView view;
  view.topic = message.topic;
  view.payload = message.payload;
  view.qos = delivery.qos;
  view.retain = delivery.retain;
  if (version == mqtt::ProtocolVersion::kV5) {
    view.properties = message.properties.get();
    if (message.expires_at) {
      const auto left = std::chrono::ceil<std::chrono::seconds>(*message.expires_at - now);
      view.message_expiry_interval = static_cast<std::uint32_t>(left.count());
    }
    view.subscription_identifiers = delivery.subscription_ids;
  }
  return view;
}

std::size_t ApproximateSize(const Delivery& delivery) {
  return delivery.message->topic.size() + delivery.message->payload.size() + 8;
}

}  // namespace sw::broker
