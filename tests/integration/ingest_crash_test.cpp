// Crash test (issue 5): a device streams QoS 1 telemetry, the server is killed with SIGKILL
// mid-stream and restarted on the same data directory. Every message the broker had
// acknowledged must be in the database (the PUBACK waits for the commit), and nothing is
// stored twice.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "broker_util.hpp"
#include "harness.hpp"
#include "mqtt_device.hpp"

namespace sw::testing {
namespace {

using namespace std::chrono_literals;

TEST(IngestCrash, EveryAcknowledgedReadingSurvivesSigkill) {
  const std::string dir = MakeTempDir("sw-crash");
  constexpr int kMessages = 20'000;
  const std::int64_t base = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count() -
                            120'000;

  std::map<int, int> index_of_mid;  // message id -> reading index
  std::set<int> acked;
  {
    ServerProcess first(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, dir});
    HttpClient c = first.Client();
    const std::string admin = Login(c, "admin", ServerProcess::kAdminPassword);
    const auto ws =
        c.Post("/api/v1/workshops", {{"name", "Crash Garage"}}, admin).Json().at("data").at("id");
    auto reg = c.Post("/api/v1/workshops/" + std::to_string(ws.as_int64()) + "/devices",
                      {{"uid", "CRASH-1"}, {"kind", "sensor_node"}}, admin);
    ASSERT_EQ(reg.status, 201) << reg.body;
    const std::string secret(reg.Json().at("data").at("secret").as_string());

    MqttDevice::Options options;
    options.clean = false;
    options.client_id = "crash-device";
    options.max_inflight = 64;
    MqttDevice device(MqttPort(first), "CRASH-1", secret, options);
    ASSERT_TRUE(device.WaitConnected());
    for (int i = 0; i < kMessages; ++i) {
      const std::string payload = R"({"ts":)" + std::to_string(base + i) +
                                  R"(,"values":{"temperature":)" + std::to_string(i % 80) +
                                  R"(,"pm10":)" + std::to_string(i) + "}}";
      const int mid = device.Publish("sw/d/CRASH-1/telemetry", payload, 1);
      ASSERT_NE(mid, 0);
      index_of_mid[mid] = i;
    }
    // Mid-stream: some acknowledged, many not yet.
    ASSERT_TRUE(device.WaitAcked(kMessages / 10, 60s)) << device.Acked();
    EXPECT_EQ(first.Stop(SIGKILL), 128 + SIGKILL);
    std::this_thread::sleep_for(200ms);  // acks already in the client's socket buffer
    device.Disconnect();
    for (const auto& [mid, i] : index_of_mid) {
      if (device.IsAcked(mid)) acked.insert(i);
    }
  }
  ASSERT_GE(acked.size(), static_cast<std::size_t>(kMessages / 10));
  ASSERT_LT(acked.size(), static_cast<std::size_t>(kMessages)) << "the kill came too late";

  ServerProcess second(ServerOptions{{"--mqtt-sys-interval-s", "0"}, {}, dir});
  HttpClient c = second.Client();
  const std::string admin = Login(c, "admin", ServerProcess::kAdminPassword);
  auto csv = c.Get("/api/v1/devices/CRASH-1/export.csv?metrics=pm10&from=" + std::to_string(base) +
                       "&to=" + std::to_string(base + kMessages),
                   admin);
  ASSERT_EQ(csv.status, 200) << csv.body;
  std::istringstream lines(csv.body);
  std::string line;
  std::getline(lines, line);  // header
  std::multiset<int> stored;
  while (std::getline(lines, line)) {
    // time,metric,value,valid,server_time
    const auto first_comma = line.find(',');
    const auto second_comma = line.find(',', first_comma + 1);
    const auto third_comma = line.find(',', second_comma + 1);
    stored.insert(std::stoi(line.substr(second_comma + 1, third_comma - second_comma - 1)));
  }
  std::size_t lost = 0;
  for (int i : acked) {
    if (!stored.contains(i)) ++lost;
  }
  std::set<int> distinct(stored.begin(), stored.end());
  std::cout << "[ crash    ] " << acked.size() << " acknowledged before SIGKILL, " << stored.size()
            << " stored after restart, " << lost << " acknowledged but lost\n";
  EXPECT_EQ(lost, 0u) << "acknowledged readings were lost";
  EXPECT_EQ(distinct.size(), stored.size()) << "a reading was stored twice";
  EXPECT_LE(stored.size(), static_cast<std::size_t>(kMessages));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sw::testing
