#include "app/command_bridge.hpp"

#include "app/device_authenticator.hpp"
#include "common/log.hpp"
#include "http/command_json.hpp"

namespace sw::app {
namespace {

constexpr int kDueBatch = 1000;
constexpr std::string_view kResultSuffix = "/cmd/result";

}  // namespace

CommandBridge::CommandBridge(broker::Broker& broker, core::CommandService& commands,
                             core::DeviceStore& devices, core::PresenceTracker& presence,
                             const Clock& clock, metrics::Registry& metrics)
    : broker_(broker),
      commands_(commands),
      presence_(presence),
      clock_(clock),
      directory_(devices, clock),
      published_(metrics.GetCounter("sitewatch_command_deliveries_total",
                                    "Command messages published to devices (re-sends included)")),
      results_(metrics.GetCounter("sitewatch_command_results_total",
                                  "Command results received from devices over MQTT")),
      bad_results_(metrics.GetCounter("sitewatch_command_bad_results_total",
                                      "Command results that could not be decoded or applied")) {
  commands_.AddListener([this](const core::Command& c, const core::CommandTransition& t) {
    if (started_ && t.state == core::CommandState::kQueued && c.attempts == 0 &&
        c.transitions.size() == 1) {
      Deliver(c);
    }
  });
}

CommandBridge::~CommandBridge() {
  Stop();
}

void CommandBridge::Start() {
  if (started_) return;
  subscription_ = broker_.AddInternalSubscriber(
      "sw/d/+/cmd/result",
      [this](const broker::Message& m, const broker::AckToken&) { OnResult(m); });
  started_ = true;
}

void CommandBridge::Stop() {
  if (!started_) return;
  started_ = false;
  broker_.RemoveInternalSubscriber(subscription_);
}

bool CommandBridge::Reachable(const core::Device& d) const {
  // Someone must be subscribed to its command topic (the device, or its gateway for an
  // outlet; a persistent session counts, the broker queues for it). "Online" is not enough:
  // a device that polls over HTTP, or a connection that only publishes, would never see an
  // MQTT delivery, and the command would sit as `sent` until its re-send instead of going to
  // the long poll at once.
  return broker_.HasSubscriber("sw/d/" + d.uid + "/cmd");
}

void CommandBridge::Deliver(const core::Command& c) {
  auto device = directory_.Find(c.device_uid);
  if (!device || !Reachable(*device)) return;  // queued until it is back
  auto claimed = commands_.MarkSent(c);
  if (!claimed.ok()) {
    log::Warn("command delivery failed", {{"id", c.id}, {"error", claimed.error().message}});
    return;
  }
  if (!*claimed) return;
  broker_.PublishFromPlatform("sw/d/" + c.device_uid + "/cmd", http::EncodeCommandMessage(c),
                              mqtt::QoS::kAtLeastOnce, /*retain=*/false, clock_.Now());
  published_.Inc();
}

void CommandBridge::Tick() {
  if (!started_) return;
  directory_.Refresh();  // here, not on the broker's threads
  if (auto expired = commands_.ExpireDue(); !expired.ok()) {
    log::Warn("command expiry failed", {{"error", expired.error().message}});
  }
  auto due = commands_.Due(kDueBatch);
  if (!due.ok()) {
    log::Warn("listing due commands failed", {{"error", due.error().message}});
    return;
  }
  for (const core::Command& c : *due) Deliver(c);
}

void CommandBridge::OnResult(const broker::Message& m) {
  const std::string uid(DeviceTopicUid(m.topic));
  if (uid.empty() || m.topic != "sw/d/" + uid + std::string(kResultSuffix)) return;
  results_.Inc();
  auto device = directory_.Find(uid);
  if (!device) {
    bad_results_.Inc();
    return;
  }
  auto decoded = http::DecodeCommandResult(m.payload);
  if (!decoded.ok()) {
    bad_results_.Inc();
    log::Debug("bad command result", {{"uid", uid}, {"error", decoded.error().message}});
    return;
  }
  presence_.Seen(*device, clock_.Now());
  if (auto applied = commands_.ApplyResult(*device, *decoded); !applied.ok()) {
    bad_results_.Inc();
    log::Debug("command result not applied", {{"uid", uid}, {"error", applied.error().message}});
  }
}

}  // namespace sw::app
