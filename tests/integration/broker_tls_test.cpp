// The broker's TLS listener (mqtt.tls_port): a self-signed certificate made with the openssl
// CLI in a temp dir; mosquitto_pub/mosquitto_sub (--cafile) and a libmosquitto client with a
// device's registry credentials, in both protocol versions; a plain TCP client on the TLS port
// is closed and the broker keeps serving. Bounded waits; 127.0.0.1 only.
#include <gtest/gtest.h>
#include <mosquitto.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "broker_util.hpp"
#include "harness.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

// A port that was free a moment ago (mqtt.tls_port 0 means "off", so the test picks one).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

class BrokerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("sw-tls");
    cert_ = dir_ + "/cert.pem";
    const std::string key = dir_ + "/key.pem";
    auto [code, out] = RunChild({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
                                 cert_, "-days", "2", "-subj", "/CN=localhost", "-addext",
                                 "subjectAltName=IP:127.0.0.1,DNS:localhost"});
    ASSERT_EQ(code, 0) << out;
    // The port may be taken between FreePort and the server's bind: try a few.
    for (int attempt = 0; attempt < 3 && !server_; ++attempt) {
      tls_port_ = FreePort();
      try {
        server_ = std::make_unique<ServerProcess>(ServerOptions{
            {"--mqtt-sys-interval-s", "0", "--mqtt-tls-port", std::to_string(tls_port_),
             "--mqtt-tls-cert-file", cert_, "--mqtt-tls-key-file", key},
            {},
            ""});
      } catch (const std::exception& e) {
        ADD_FAILURE() << "attempt " << attempt << ": " << e.what();
      }
    }
    ASSERT_TRUE(server_);
    auto client = server_->Client();
    const std::string admin = Login(client, "admin", ServerProcess::kAdminPassword);
    const auto ws = client.Post("/api/v1/workshops", {{"name", "TLS Garage"}}, admin)
                        .Json()
                        .at("data")
                        .at("id")
                        .as_int64();
    auto r = client.Post("/api/v1/workshops/" + std::to_string(ws) + "/devices",
                         {{"uid", "NODE-T"}, {"kind", "sensor_node"}}, admin);
    ASSERT_EQ(r.status, 201) << r.body;
    secret_ = std::string(r.Json().at("data").at("secret").as_string());
  }

  // mosquitto_pub/_sub over TLS with the device's credentials.
  std::vector<std::string> TlsClient(const char* tool, const std::string& version,
                                     std::vector<std::string> args) {
    std::vector<std::string> argv = {
        tool,       "-h",  "127.0.0.1", "-p",    std::to_string(tls_port_),
        "--cafile", cert_, "-V",        version, "-u",
        "NODE-T",   "-P",  secret_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  double Metric(const std::string& sample) {
    return MetricValue(server_->Client().Get("/metrics").body, sample);
  }

  std::string dir_, cert_, secret_;
  int tls_port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BrokerTlsTest, DeviceRoundTripsQos1OverTlsInBothVersions) {
  for (const std::string v : {"mqttv5", "mqttv311"}) {
    const double before = Metric("sitewatch_mqtt_subscriptions");
    Child sub(
        TlsClient("mosquitto_sub", v,
                  {"-t", "sw/d/NODE-T/#", "-q", "1", "-C", "1", "-W", "10", "-F", "%t %q %p"}));
    ASSERT_TRUE(Eventually([&] { return Metric("sitewatch_mqtt_subscriptions") > before; }))
        << sub.Output();
    auto [code, out] = RunChild(TlsClient(
        "mosquitto_pub", v,
        {"-t", "sw/d/NODE-T/telemetry", "-q", "1", "-m", R"({"values":{"temperature":21.5}})"}));
    EXPECT_EQ(code, 0) << v << ": " << out;
    EXPECT_EQ(sub.Wait(), 0) << v << ": " << sub.Output();
    EXPECT_NE(sub.Output().find(R"(sw/d/NODE-T/telemetry 1 {"values":{"temperature":21.5}})"),
              std::string::npos)
        << v << ": " << sub.Output();
  }
  EXPECT_EQ(Metric("sitewatch_mqtt_tls_handshake_failures_total"), 0);
}

TEST_F(BrokerTlsTest, PlainTcpOnTheTlsPortIsClosedAndTheBrokerKeepsServing) {
  {
    RawClient plain(tls_port_);
    // A 3.1.1 CONNECT where a TLS ClientHello belongs.
    ASSERT_TRUE(
        plain.Send(std::string("\x10\x0f\x00\x04MQTT\x04\x02\x00\x3c\x00\x03"
                               "abc",
                               17)));
    EXPECT_TRUE(plain.ClosedByPeer());
  }
  EXPECT_TRUE(Eventually([&] {
    return Metric("sitewatch_mqtt_tls_handshake_failures_total") >= 1 &&
           Metric("sitewatch_mqtt_connections") == 0;
  }));
  // A certificate the client does not trust: refused by the client, the broker carries on.
  auto [bad_code, bad_out] =
      RunChild({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(tls_port_), "--cafile",
                "/dev/null", "-u", "NODE-T", "-P", secret_, "-t", "sw/d/NODE-T/x", "-m", "x"});
  EXPECT_NE(bad_code, 0) << bad_out;
  // TLS and plain TCP both still work.
  auto [code, out] = RunChild(
      TlsClient("mosquitto_pub", "mqttv5", {"-t", "sw/d/NODE-T/status", "-q", "1", "-m", "{}"}));
  EXPECT_EQ(code, 0) << out;
  auto [tcp_code, tcp_out] =
      RunChild({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(MqttPort(*server_)), "-u",
                "NODE-T", "-P", secret_, "-q", "1", "-t", "sw/d/NODE-T/status", "-m", "{}"});
  EXPECT_EQ(tcp_code, 0) << tcp_out;
}

// libmosquitto with mosquitto_tls_set: subscribe and publish QoS 1 on one connection.
TEST_F(BrokerTlsTest, LibmosquittoClientOverTls) {
  mosquitto_lib_init();
  struct State {
    std::atomic<bool> connected{false};
    std::atomic<bool> subscribed{false};
    std::mutex mutex;
    std::vector<std::string> payloads;
  } state;
  mosquitto* m = mosquitto_new("NODE-T", true, &state);
  ASSERT_NE(m, nullptr);
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  ASSERT_EQ(mosquitto_tls_set(m, cert_.c_str(), nullptr, nullptr, nullptr, nullptr),
            MOSQ_ERR_SUCCESS);
  mosquitto_username_pw_set(m, "NODE-T", secret_.c_str());
  mosquitto_connect_callback_set(m, [](mosquitto*, void* s, int rc) {
    if (rc == 0) static_cast<State*>(s)->connected = true;
  });
  mosquitto_subscribe_callback_set(m, [](mosquitto*, void* s, int, int, const int*) {
    static_cast<State*>(s)->subscribed = true;
  });
  mosquitto_message_callback_set(m, [](mosquitto*, void* s, const mosquitto_message* msg) {
    auto* st = static_cast<State*>(s);
    std::lock_guard lock(st->mutex);
    st->payloads.emplace_back(static_cast<const char*>(msg->payload),
                              static_cast<std::size_t>(msg->payloadlen));
  });
  ASSERT_EQ(mosquitto_connect(m, "127.0.0.1", tls_port_, 30), MOSQ_ERR_SUCCESS);
  mosquitto_loop_start(m);
  EXPECT_TRUE(Eventually([&] { return state.connected.load(); }));
  mosquitto_subscribe(m, nullptr, "sw/d/NODE-T/tls/#", 1);
  EXPECT_TRUE(Eventually([&] { return state.subscribed.load(); }));
  const std::string payload(3000, 'z');  // more than one small record
  mosquitto_publish(m, nullptr, "sw/d/NODE-T/tls/echo", static_cast<int>(payload.size()),
                    payload.data(), 1, false);
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard lock(state.mutex);
    return state.payloads.size() == 1 && state.payloads[0] == payload;
  }));
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, true);
  mosquitto_destroy(m);
  mosquitto_lib_cleanup();
}

TEST(BrokerTlsConfig, TlsPortWithoutCertificateIsRefusedAtStartUp) {
  auto [code, out] = RunSitewatch({"serve", "--data-dir", MakeTempDir("sw-tls-cfg"), "--http-port",
                                   "0", "--mqtt-port", "0", "--mqtt-tls-port", "18883"});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("mqtt.tls_cert_file"), std::string::npos) << out;
}

}  // namespace
}  // namespace sw::testing
