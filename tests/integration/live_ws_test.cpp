// The live-event WebSocket /api/v1/ws (docs/LIVE.md) against the real server: the auth
// handshake (message or Authorization header, never the URL), subscriptions checked against
// the caller's workshop, bad messages, and the close on shutdown. Event fan-out, coalescing
// and slow-client handling are covered by src/http/live_hub_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <thread>

#include "harness.hpp"
#include "ws_client.hpp"

namespace sw::testing {
namespace {

constexpr const char* kPassword = "Live-ws-user-pw-5521";

// One server for the suite: workshops A and B, a pit and a device in each, an owner of A.
class LiveWs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerProcess>();
    HttpClient client = server_->Client();
    admin_ = Login(client, "admin", ServerProcess::kAdminPassword);
    a_ = Created(client.Post("/api/v1/workshops", {{"name", "Live A"}}, admin_));
    b_ = Created(client.Post("/api/v1/workshops", {{"name", "Live B"}}, admin_));
    pit_a_ = Created(client.Post("/api/v1/workshops/" + std::to_string(a_) + "/pits",
                                 {{"number", 1}, {"name", "A1"}}, admin_));
    pit_b_ = Created(client.Post("/api/v1/workshops/" + std::to_string(b_) + "/pits",
                                 {{"number", 1}, {"name", "B1"}}, admin_));
    client.Post("/api/v1/workshops/" + std::to_string(a_) + "/devices",
                {{"uid", "LIVE-A-1"}, {"kind", "sensor_node"}, {"name", "a"}}, admin_);
    client.Post("/api/v1/workshops/" + std::to_string(b_) + "/devices",
                {{"uid", "LIVE-B-1"}, {"kind", "sensor_node"}, {"name", "b"}}, admin_);
    auto u = client.Post("/api/v1/users",
                         {{"username", "live.owner"},
                          {"password", kPassword},
                          {"role", "owner"},
                          {"full_name", "Live Owner"},
                          {"workshop_id", a_}},
                         admin_);
    ASSERT_EQ(u.status, 201) << u.body;
    owner_ = Login(client, "live.owner", kPassword);
  }
  static void TearDownTestSuite() { server_.reset(); }

  static std::int64_t Created(const HttpResult& r) {
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return 0;
    return r.Json().at("data").at("id").as_int64();
  }
  static int Port() { return server_->http_port(); }
  static json::object Auth(const std::string& token) {
    return json::object{{"type", "auth"}, {"token", token}};
  }
  // A connected, authenticated client (as the owner of A).
  static std::unique_ptr<WsClient> Ready(const std::string& token) {
    auto ws = std::make_unique<WsClient>(Port());
    EXPECT_TRUE(ws->ok()) << ws->error();
    auto ready = ws->Call(Auth(token));
    EXPECT_EQ(ready.kind, WsFrame::Kind::kText) << ready.reason;
    EXPECT_EQ(ready.Json()["type"], "ready") << ready.text;
    return ws;
  }
  static void ExpectClosed(const WsFrame& f, int code) {
    EXPECT_EQ(f.kind, WsFrame::Kind::kClosed) << f.text << f.reason;
    EXPECT_EQ(f.close_code, code) << f.reason;
  }

  static std::unique_ptr<ServerProcess> server_;
  static std::string admin_, owner_;
  static std::int64_t a_, b_, pit_a_, pit_b_;
};

std::unique_ptr<ServerProcess> LiveWs::server_;
std::string LiveWs::admin_, LiveWs::owner_;
std::int64_t LiveWs::a_ = 0, LiveWs::b_ = 0, LiveWs::pit_a_ = 0, LiveWs::pit_b_ = 0;

TEST_F(LiveWs, NoAuthMessageClosesWith4401) {
  WsClient ws(Port());
  ASSERT_TRUE(ws.ok()) << ws.error();
  // The server waits 5 s for {"type":"auth"}.
  auto f = ws.Read(std::chrono::seconds(15));
  ExpectClosed(f, 4401);
  EXPECT_EQ(f.reason, "authentication timeout");
}

TEST_F(LiveWs, BadTokenCloses4401) {
  WsClient ws(Port());
  ASSERT_TRUE(ws.ok()) << ws.error();
  ExpectClosed(ws.Call(Auth("not-a-token")), 4401);

  WsClient forged(Port());
  ExpectClosed(forged.Call(Auth(owner_ + "x")), 4401);

  WsClient header(Port(), "/api/v1/ws", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(header.ok()) << header.error();
  ExpectClosed(header.Read(), 4401);
}

TEST_F(LiveWs, TokenInTheUrlIsNotAccepted) {
  for (std::string q : {"?token=", "?access_token="}) {
    WsClient ws(Port(), "/api/v1/ws" + q + owner_);
    ASSERT_TRUE(ws.ok()) << ws.error();
    auto f = ws.Call(json::object{{"type", "subscribe"}, {"id", 1}, {"workshops", {a_}}});
    ExpectClosed(f, 4401);
    EXPECT_EQ(f.reason, "authenticate first");
  }
}

TEST_F(LiveWs, BearerHeaderAuthenticatesNonBrowserClients) {
  WsClient ws(Port(), "/api/v1/ws", {{"Authorization", "Bearer " + owner_}});
  ASSERT_TRUE(ws.ok()) << ws.error();
  auto ready = ws.Read();
  ASSERT_EQ(ready.kind, WsFrame::Kind::kText) << ready.reason;
  auto j = ready.Json();
  EXPECT_EQ(j["type"], "ready");
  EXPECT_EQ(j["user"].at("username"), "live.owner");
  EXPECT_EQ(j["user"].at("role"), "owner");
  EXPECT_EQ(j["user"].at("workshop_id"), a_);
  EXPECT_GT(j["expires_at"].as_int64(), 0);
}

TEST_F(LiveWs, SubscribeToOwnWorkshopIsAcceptedAndAnotherIsNotFound) {
  auto ws = Ready(owner_);
  auto f = ws->Call(json::object{{"type", "subscribe"},
                                 {"id", 42},
                                 {"workshops", {a_, b_}},
                                 {"pits", {pit_a_, pit_b_}},
                                 {"devices", {"LIVE-A-1", "LIVE-B-1", "NO-SUCH"}}});
  ASSERT_EQ(f.kind, WsFrame::Kind::kText) << f.reason;
  auto j = f.Json();
  EXPECT_EQ(j["type"], "subscribed");
  EXPECT_EQ(j["id"], 42);
  EXPECT_EQ(j["accepted"],
            (json::object{{"workshops", {a_}}, {"pits", {pit_a_}}, {"devices", {"LIVE-A-1"}}}))
      << f.text;
  EXPECT_EQ(j["rejected"],
            (json::array{
                json::object{{"kind", "workshop"}, {"code", "NOT_FOUND"}, {"id", b_}},
                json::object{{"kind", "pit"}, {"code", "NOT_FOUND"}, {"id", pit_b_}},
                json::object{{"kind", "device"}, {"code", "NOT_FOUND"}, {"id", "LIVE-B-1"}},
                json::object{{"kind", "device"}, {"code", "NOT_FOUND"}, {"id", "NO-SUCH"}},
            }))
      << f.text;
  EXPECT_EQ(f.text.find("Live B"), std::string::npos);

  auto u = ws->Call(json::object{{"type", "unsubscribe"}, {"id", 43}, {"pits", {pit_a_}}});
  EXPECT_EQ(u.Json()["subscriptions"],
            (json::object{{"workshops", {a_}}, {"pits", json::array{}}, {"devices", {"LIVE-A-1"}}}))
      << u.text;

  // The super_admin may watch B.
  auto admin = Ready(admin_);
  auto g =
      admin->Call(json::object{{"type", "subscribe"}, {"workshops", {b_}}, {"pits", {pit_b_}}});
  EXPECT_EQ(g.Json()["rejected"], json::array{}) << g.text;
}

TEST_F(LiveWs, BadMessagesGetAnErrorAndTheConnectionStays) {
  auto ws = Ready(owner_);
  for (std::string bad :
       {"{nope", R"({"type":"dance","id":5})", R"({"type":"subscribe","pits":"x"})", "[]"}) {
    ASSERT_TRUE(ws->Send(bad));
    auto f = ws->Read();
    ASSERT_EQ(f.kind, WsFrame::Kind::kText) << bad << ": " << f.reason;
    EXPECT_EQ(f.Json()["type"], "error") << f.text;
    EXPECT_EQ(f.Json()["code"], "BAD_MESSAGE") << f.text;
  }
  auto pong = ws->Call(json::object{{"type", "ping"}, {"id", 1}});
  EXPECT_EQ(pong.Json()["type"], "pong") << pong.text;
  // A refreshed token is accepted at any time.
  EXPECT_EQ(ws->Call(Auth(owner_)).Json()["type"], "ready");
  // Many more bad messages close the session.
  WsFrame last;
  for (int i = 0; i < 20 && last.kind != WsFrame::Kind::kClosed; ++i) {
    ws->Send(std::string("{nope"));
    last = ws->Read();
  }
  ExpectClosed(last, 1008);
}

TEST_F(LiveWs, OversizedMessagesEndTheSession) {
  auto ws = Ready(owner_);
  ws->Send(std::string(70 * 1024, 'x'));  // the limit is 64 KiB
  auto f = ws->Read();
  // Beast fails the connection with 1009; as the rest of the message is never read, the
  // client may see the reset instead of the close frame. Either way the session is over.
  EXPECT_TRUE(f.kind == WsFrame::Kind::kClosed || f.kind == WsFrame::Kind::kError)
      << static_cast<int>(f.kind) << " " << f.text;
  if (f.kind == WsFrame::Kind::kClosed) {
    EXPECT_EQ(f.close_code, 1009);
  }
  Ready(owner_);  // the server is fine
}

TEST_F(LiveWs, APlainRequestIsRefusedAndMetricsCount) {
  HttpClient client = server_->Client();
  auto r = client.Get("/api/v1/ws", owner_);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.ErrorCode(), "WEBSOCKET_REQUIRED");
  WsClient ws(Port());
  ExpectClosed(ws.Call(Auth("garbage")), 4401);
  auto m = client.Get("/metrics");
  EXPECT_NE(m.body.find("sitewatch_ws_auth_failures_total"), std::string::npos);
  EXPECT_NE(m.body.find("sitewatch_ws_connections"), std::string::npos);
  EXPECT_EQ(m.body.find("sitewatch_ws_auth_failures_total 0\n"), std::string::npos);
}

// Last: stops the shared server. Open sessions are closed with 1001 and the exit is clean.
TEST_F(LiveWs, ShutdownClosesOpenSessionsWith1001) {
  auto ws = Ready(owner_);
  ASSERT_EQ(ws->Call(json::object{{"type", "subscribe"}, {"workshops", {a_}}}).Json()["type"],
            "subscribed");
  WsClient unauthenticated(Port());
  ASSERT_TRUE(unauthenticated.ok());
  int exit_code = -2;
  std::thread stopper([&exit_code] { exit_code = server_->Stop(SIGTERM); });
  ExpectClosed(ws->Read(), 1001);  // reading answers the close handshake
  ExpectClosed(unauthenticated.Read(), 1001);
  stopper.join();
  EXPECT_EQ(exit_code, 0) << server_->Log();
}

}  // namespace
}  // namespace sw::testing
