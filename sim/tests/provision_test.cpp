#include "model/provision.hpp"

#include <gtest/gtest.h>

#include "fake_transport.hpp"
#include "model/pit_node.hpp"

namespace sw::sim {
namespace {

using testing::FakeTransport;
using Kind = LinkAction::Kind;

// The payload the server's approval publishes (src/http/api_provisioning.cpp).
constexpr std::string_view kApproval =
    R"({"uid":"SIM-NODE-1","secret":"s3cr3t-AbC_xyz","mqtt":{"username":"SIM-NODE-1"},)"
    R"("licence":"LIC-2345-6789-ABCD"})";

TEST(Announce, PayloadHoldsExactlyTheFieldsTheServerAccepts) {
  Announcement a{"sensor_node", "02:00:00:00:00:01", "node-sim-1.4.0", {"dht22", "pms5003"}};
  EXPECT_EQ(AnnouncePayload(a),
            R"({"kind":"sensor_node","mac":"02:00:00:00:00:01","fw":"node-sim-1.4.0",)"
            R"("sensors":["dht22","pms5003"]})");
  a.fw = "a\"b";
  EXPECT_NE(AnnouncePayload(a).find(R"("fw":"a\"b")"), std::string::npos) << "escaped";
}

TEST(Announce, SimulatedKindsWithAStableMacPerUid) {
  const auto node = AnnouncementFor("SIM-NODE-1", "sensor_node");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->kind, "sensor_node");
  EXPECT_EQ(node->fw, PitNodeOptions{}.firmware);
  EXPECT_EQ(node->sensors, (std::vector<std::string>{"dht22", "pms5003", "bme680"}));
  ASSERT_EQ(node->mac.size(), 17u);
  EXPECT_EQ(node->mac.substr(0, 3), "02:") << "locally administered";
  EXPECT_EQ(node->mac, AnnouncementFor("SIM-NODE-1", "sensor_node")->mac);
  EXPECT_NE(node->mac, AnnouncementFor("SIM-NODE-2", "sensor_node")->mac);
  const auto ccu = AnnouncementFor("SIM-CCU-1", "gateway");
  ASSERT_TRUE(ccu);
  EXPECT_EQ(ccu->fw, "ccu-sim-1.0.0");
  EXPECT_FALSE(AnnouncementFor("X", "outlet")) << "outlets are not announced (their CCU's)";
  EXPECT_FALSE(AnnouncementFor("X", "camera"));
  EXPECT_EQ(ProvisioningAnnounceTopic("SIM-NODE-1"), "sw/provision/SIM-NODE-1/announce");
  EXPECT_EQ(ProvisioningConfigTopic("SIM-NODE-1"), "sw/provision/SIM-NODE-1/config");
}

TEST(ProvisioningReply, TheServersApprovalGivesTheCredential) {
  std::string error;
  const auto r = ParseProvisioningReply(kApproval, "SIM-NODE-1", "sensor_node", &error);
  ASSERT_TRUE(r) << error;
  EXPECT_FALSE(r->rejected);
  EXPECT_EQ(r->credential.uid, "SIM-NODE-1");
  EXPECT_EQ(r->credential.secret, "s3cr3t-AbC_xyz");
  EXPECT_EQ(r->credential.kind, "sensor_node");
  // ... and its line reads back as the same credential.
  EXPECT_EQ(CredentialLine(r->credential), "SIM-NODE-1 s3cr3t-AbC_xyz sensor_node\n");
  const auto back = ParseCredentials(CredentialLine(r->credential), &error);
  ASSERT_TRUE(back) << error;
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ(back->at(0).uid, "SIM-NODE-1");
  EXPECT_EQ(back->at(0).secret, "s3cr3t-AbC_xyz");
  EXPECT_EQ(back->at(0).kind, "sensor_node");
}

TEST(ProvisioningReply, RejectionAndBadRepliesAreTold) {
  std::string error;
  const auto rejected = ParseProvisioningReply(R"({"rejected":true})", "U", "gateway", &error);
  ASSERT_TRUE(rejected) << error;
  EXPECT_TRUE(rejected->rejected);
  const auto bad = [&](std::string_view payload) {
    error.clear();
    const bool refused = !ParseProvisioningReply(payload, "SIM-NODE-1", "sensor_node", &error);
    return refused && !error.empty();
  };
  EXPECT_TRUE(bad("not json"));
  EXPECT_TRUE(bad("[]"));
  EXPECT_TRUE(bad(R"({"rejected":false})"));
  EXPECT_TRUE(bad(R"({"uid":"OTHER","secret":"x"})")) << "another device's reply";
  EXPECT_TRUE(bad(R"({"uid":"SIM-NODE-1"})"));
  EXPECT_TRUE(bad(R"({"uid":"SIM-NODE-1","secret":""})"));
  EXPECT_TRUE(bad(R"({"uid":"SIM-NODE-1","secret":"a b"})")) << "the file splits on spaces";
  EXPECT_TRUE(bad(R"({"uid":"SIM-NODE-1","secret":")" + std::string(257, 'x') + "\"}"));
  EXPECT_TRUE(bad(R"({"uid":"SIM-NODE-1","secret":"x","mqtt":{"username":"other"}})"));
  EXPECT_TRUE(bad(R"({"uid":"SIM-NODE-1","secret":"x","mqtt":"SIM-NODE-1"})"));
  EXPECT_FALSE(bad(R"({"uid":"SIM-NODE-1","secret":"x"})")) << "mqtt and licence are optional";
}

class ProvisionerTest : public ::testing::Test {
 protected:
  Provisioner Make(std::vector<ProvisionTarget> targets, SimTime timeout = SimTime(60000)) {
    return Provisioner(std::move(targets), timeout, transport_,
                       [this](const std::string& line) { log_.push_back(line); });
  }
  bool Logged(const std::string& part) const {
    for (const std::string& l : log_) {
      if (l.find(part) != std::string::npos) return true;
    }
    return false;
  }
  FakeTransport transport_;
  std::vector<std::string> log_;
};

TEST_F(ProvisionerTest, AnnouncesWaitsAndDisconnectsWithItsCredentials) {
  Provisioner p = Make({{"SIM-NODE-1", "sensor_node"}, {"SIM-CCU-1", "gateway"}});
  p.Start(SimTime(0));
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[0].action.kind, Kind::kConnect);
  EXPECT_TRUE(transport_.sent[0].action.topic.empty()) << "no will";
  EXPECT_EQ(transport_.sent[1].client, 1u);

  transport_.sent.clear();
  p.OnConnected(SimTime(10), 0);
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[0].action.kind, Kind::kSubscribe) << "subscribed before announcing";
  EXPECT_EQ(transport_.sent[0].action.topic, "sw/provision/SIM-NODE-1/config");
  EXPECT_EQ(transport_.sent[1].action.kind, Kind::kPublish);
  EXPECT_EQ(transport_.sent[1].action.topic, "sw/provision/SIM-NODE-1/announce");
  EXPECT_EQ(transport_.sent[1].action.qos, 1);
  EXPECT_EQ(transport_.sent[1].action.payload,
            AnnouncePayload(*AnnouncementFor("SIM-NODE-1", "sensor_node")));
  EXPECT_EQ(p.state(0), Provisioner::State::kWaiting);
  EXPECT_TRUE(Logged("SIM-NODE-1: announced as sensor_node, waiting for an owner's approval"));

  // Another topic, or a reply that is not for it, changes nothing.
  transport_.sent.clear();
  p.OnMessage(SimTime(20), 0, "sw/provision/SIM-CCU-1/config", kApproval);
  p.OnMessage(SimTime(20), 0, "sw/provision/SIM-NODE-1/config", "{}");
  EXPECT_EQ(p.state(0), Provisioner::State::kWaiting);
  EXPECT_TRUE(transport_.sent.empty());

  p.OnMessage(SimTime(30), 0, "sw/provision/SIM-NODE-1/config", kApproval);
  EXPECT_EQ(p.state(0), Provisioner::State::kApproved);
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].action.kind, Kind::kDisconnect);
  EXPECT_EQ(p.credential(0).secret, "s3cr3t-AbC_xyz");
  EXPECT_EQ(p.TakeApproved(), std::vector<std::size_t>{0});
  EXPECT_TRUE(p.TakeApproved().empty());
  p.OnDisconnected(SimTime(31), 0);  // the transport reports the clean disconnect
  EXPECT_EQ(p.state(0), Provisioner::State::kApproved);
  EXPECT_FALSE(p.finished()) << "the CCU still waits";

  p.OnConnected(SimTime(40), 1);
  p.OnMessage(SimTime(50), 1, "sw/provision/SIM-CCU-1/config", R"({"rejected":true})");
  EXPECT_EQ(p.state(1), Provisioner::State::kRejected);
  EXPECT_TRUE(Logged("SIM-CCU-1: rejected"));
  EXPECT_TRUE(p.finished());
  EXPECT_TRUE(p.TakeApproved().empty());
}

TEST_F(ProvisionerTest, RetriesARefusedLoginAndGivesUpAtTheTimeout) {
  Provisioner p = Make({{"SIM-NODE-1", "sensor_node"}}, SimTime(12000));
  p.Start(SimTime(0));
  p.OnDisconnected(SimTime(5), 0);  // CONNACK refused
  EXPECT_TRUE(Logged("provisioning login failed"));
  transport_.sent.clear();
  p.Advance(SimTime(5000));
  EXPECT_TRUE(transport_.sent.empty()) << "not before the retry delay";
  p.Advance(SimTime(5005));
  ASSERT_EQ(transport_.Count(Kind::kConnect), 1u);

  // Connected, then the session drops: back after the shorter delay, announcing again.
  p.OnConnected(SimTime(5010), 0);
  p.OnDisconnected(SimTime(6000), 0);
  transport_.sent.clear();
  p.Advance(SimTime(8000));
  ASSERT_EQ(transport_.Count(Kind::kConnect), 1u);
  p.OnConnected(SimTime(8010), 0);
  EXPECT_EQ(transport_.Payloads("sw/provision/SIM-NODE-1/announce").size(), 1u);

  transport_.sent.clear();
  p.Advance(SimTime(11999));
  EXPECT_FALSE(p.finished());
  p.Advance(SimTime(12000));
  EXPECT_TRUE(p.finished());
  EXPECT_EQ(p.state(0), Provisioner::State::kTimedOut);
  EXPECT_EQ(transport_.Count(Kind::kDisconnect), 1u);
  EXPECT_TRUE(Logged("SIM-NODE-1: no approval within 12s"));
  // A late approval is ignored.
  p.OnMessage(SimTime(12001), 0, "sw/provision/SIM-NODE-1/config", kApproval);
  EXPECT_EQ(p.state(0), Provisioner::State::kTimedOut);
  EXPECT_TRUE(p.TakeApproved().empty());
}

}  // namespace
}  // namespace sw::sim
