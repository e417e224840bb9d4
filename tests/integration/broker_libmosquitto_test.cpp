// MQTT 5.0 features of the built-in broker through a small libmosquitto client: subscription
// identifiers, No Local, Retain As Published, Retain Handling, message expiry, user
// properties, will delay. Bounded waits; 127.0.0.1 only.
#include <gtest/gtest.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <mutex>
#include <string>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

struct Received {
  std::string topic;
  std::string payload;
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  std::optional<std::uint32_t> expiry;
  std::vector<std::pair<std::string, std::string>> user_properties;
};

// A libmosquitto 5.0 client with its own network thread.
class Client {
 public:
  Client(int port, const std::string& id, mosquitto_property* connect_props = nullptr,
         const std::string& will_topic = {}, mosquitto_property* will_props = nullptr) {
    mosq_ = mosquitto_new(id.c_str(), true, this);
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(
        mosq_, [](mosquitto*, void* self, int rc, int, const mosquitto_property*) {
          if (rc == 0) static_cast<Client*>(self)->connected_ = true;
        });
    mosquitto_subscribe_v5_callback_set(
        mosq_, [](mosquitto*, void* self, int, int, const int*, const mosquitto_property*) {
          ++static_cast<Client*>(self)->subacks_;
        });
    mosquitto_message_v5_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m,
                                                const mosquitto_property* props) {
      Received r;
      r.topic = m->topic;
      r.payload.assign(static_cast<const char*>(m->payload),
                       static_cast<std::size_t>(m->payloadlen));
      r.retain = m->retain;
      std::uint32_t v = 0;
      for (auto* p =
               mosquitto_property_read_varint(props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &v, false);
           p != nullptr;
           p = mosquitto_property_read_varint(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &v, true)) {
        r.subscription_ids.push_back(v);
      }
      if (mosquitto_property_read_int32(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &v, false)) {
        r.expiry = v;
      }
      char* name = nullptr;
      char* value = nullptr;
      if (mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, &name, &value,
                                              false)) {
        r.user_properties.emplace_back(name, value);
        std::free(name);
        std::free(value);
      }
      auto* client = static_cast<Client*>(self);
      std::lock_guard lock(client->mutex_);
      client->messages_.push_back(std::move(r));
    });
    if (!will_topic.empty()) {
      mosquitto_will_set_v5(mosq_, will_topic.c_str(), 4, "gone", 1, false, will_props);
    }
    EXPECT_EQ(mosquitto_connect_bind_v5(mosq_, "127.0.0.1", port, 60, nullptr, connect_props),
              MOSQ_ERR_SUCCESS);
    mosquitto_property_free_all(&connect_props);
    mosquitto_loop_start(mosq_);
    EXPECT_TRUE(Eventually([&] { return connected_.load(); }));
  }
  ~Client() {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    mosquitto_destroy(mosq_);
  }

  void Subscribe(const std::string& filter, int qos, int options, std::uint32_t id = 0) {
    mosquitto_property* props = nullptr;
    if (id != 0) mosquitto_property_add_varint(&props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, id);
    const int before = subacks_;
    ASSERT_EQ(mosquitto_subscribe_v5(mosq_, nullptr, filter.c_str(), qos, options, props),
              MOSQ_ERR_SUCCESS);
    mosquitto_property_free_all(&props);
    ASSERT_TRUE(Eventually([&] { return subacks_ > before; }));
  }

  void Publish(const std::string& topic, const std::string& payload, int qos, bool retain,
               std::optional<std::uint32_t> expiry = {}, bool user_property = false) {
    mosquitto_property* props = nullptr;
    if (expiry) mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, *expiry);
    if (user_property)
      mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "k", "v");
    ASSERT_EQ(mosquitto_publish_v5(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, retain, props),
              MOSQ_ERR_SUCCESS);
    mosquitto_property_free_all(&props);
  }

  // Disconnect with reason 0x04: the broker publishes the will.
  void DisconnectWithWill() { mosquitto_disconnect_v5(mosq_, 0x04, nullptr); }

  std::vector<Received> Messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::size_t Count() { return Messages().size(); }

 private:
  mosquitto* mosq_ = nullptr;
  std::atomic<bool> connected_{false};
  std::atomic<int> subacks_{0};
  std::mutex mutex_;
  std::vector<Received> messages_;
};

class BrokerV5Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mosquitto_lib_init(); }
  static void TearDownTestSuite() { mosquitto_lib_cleanup(); }
  BrokerV5Test() : server_(Options()), port_(MqttPort(server_)) {}
  static ServerOptions Options() {
    ServerOptions o;
    o.extra_args = {"--mqtt-allow-anonymous", "--mqtt-sys-interval-s", "0"};
    return o;
  }
  ServerProcess server_;
  int port_;
};

TEST_F(BrokerV5Test, SubscriptionIdentifiersNoLocalExpiryAndUserProperties) {
  Client a(port_, "v5-a");
  Client b(port_, "v5-b");
  a.Subscribe("ext/#", 1, MQTT_SUB_OPT_NO_LOCAL, 42);
  a.Subscribe("ext/other", 1, 0, 7);
  a.Publish("ext/own", "mine", 1, false);  // No Local: not echoed
  b.Publish("ext/other", "theirs", 1, false, 100, true);
  ASSERT_TRUE(Eventually([&] { return a.Count() >= 2; }));
  std::this_thread::sleep_for(200ms);  // room for a wrong extra delivery to show up
  const auto got = a.Messages();
  // Two matching subscriptions with identifiers: one copy per identifier (libmosquitto 2.0
  // refuses a PUBLISH that repeats the identifier property).
  ASSERT_EQ(got.size(), 2u);
  std::vector<std::uint32_t> ids;
  for (const Received& r : got) {
    EXPECT_EQ(r.payload, "theirs");
    ASSERT_EQ(r.subscription_ids.size(), 1u);
    ids.push_back(r.subscription_ids[0]);
    ASSERT_TRUE(r.expiry.has_value());
    EXPECT_LE(*r.expiry, 100u);
    EXPECT_GE(*r.expiry, 98u);
    EXPECT_EQ(r.user_properties, (std::vector<std::pair<std::string, std::string>>{{"k", "v"}}));
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{7, 42}));
}

TEST_F(BrokerV5Test, RetainAsPublishedAndRetainHandling) {
  Client pub(port_, "v5-pub");
  pub.Publish("rap/x", "kept", 1, true);
  ASSERT_TRUE(Eventually([&] {
    return MetricValue(server_.Client().Get("/metrics").body, "sitewatch_mqtt_retained_messages") ==
           1;
  }));
  Client never(port_, "v5-never");
  never.Subscribe("rap/#", 1, MQTT_SUB_OPT_SEND_RETAIN_NEVER | MQTT_SUB_OPT_RETAIN_AS_PUBLISHED);
  Client always(port_, "v5-always");
  always.Subscribe("rap/#", 1, 0);
  ASSERT_TRUE(Eventually([&] { return always.Count() == 1; }));
  EXPECT_TRUE(always.Messages()[0].retain);  // sent on subscribe: RETAIN set
  pub.Publish("rap/x", "live", 1, true);
  ASSERT_TRUE(Eventually([&] { return never.Count() == 1 && always.Count() == 2; }));
  EXPECT_EQ(never.Messages()[0].payload, "live");
  EXPECT_TRUE(never.Messages()[0].retain);    // retain as published
  EXPECT_FALSE(always.Messages()[1].retain);  // live delivery without RAP
}

TEST_F(BrokerV5Test, ExpiredRetainedMessageIsNotDelivered) {
  Client pub(port_, "v5-exp");
  pub.Publish("exp/x", "short-lived", 1, true, 1);
  std::this_thread::sleep_for(2100ms);  // the message expiry interval is in whole seconds
  Client late(port_, "v5-late");
  late.Subscribe("exp/#", 1, 0);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(late.Count(), 0u);
}

TEST_F(BrokerV5Test, WillDelayHoldsTheWillUntilTheDelayPasses) {
  Client watcher(port_, "v5-watch");
  watcher.Subscribe("wd/#", 1, 0);
  mosquitto_property* connect_props = nullptr;
  mosquitto_property_add_int32(&connect_props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 60);
  mosquitto_property* will_props = nullptr;
  mosquitto_property_add_int32(&will_props, MQTT_PROP_WILL_DELAY_INTERVAL, 2);
  Client dying(port_, "v5-dying", connect_props, "wd/dying", will_props);
  const auto start = std::chrono::steady_clock::now();
  dying.DisconnectWithWill();
  ASSERT_TRUE(Eventually([&] { return watcher.Count() == 1; }, 6000ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(watcher.Messages()[0].topic, "wd/dying");
}

}  // namespace
}  // namespace sw::testing
