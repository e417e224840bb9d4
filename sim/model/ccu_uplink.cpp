#include "model/ccu_uplink.hpp"

#include <algorithm>

#include "fw/json.h"
#include "model/fleet.hpp"

namespace sw::sim {
namespace {

constexpr std::size_t kJsonBytes = 2048;
constexpr std::size_t kMaxCommandMembers = 8;

template <typename Build>
std::string Json(Build&& build) {
  char buffer[kJsonBytes];
  fw::JsonWriter w(buffer, sizeof buffer);
  build(w);
  return w.ok() ? std::string(w.view()) : std::string();
}

std::string Topic(std::string_view uid, std::string_view suffix) {
  std::string t = "sw/d/";
  t.append(uid);
  t.append(suffix);
  return t;
}

// The unescaped text of a string member, or "" when absent, not a string or too long.
std::string Text(const fw::JsonMember* m) {
  if (m == nullptr || m->type != fw::JsonType::kString) return {};
  char out[128];
  std::size_t size = 0;
  if (!fw::JsonUnescape(m->value, out, sizeof out, &size)) return {};
  return std::string(out, size);
}

std::string FailureText(const fw::CommandResult& r, std::string_view outlet) {
  switch (r.outcome) {
    case fw::CommandOutcome::kAcked: return "ok";
    case fw::CommandOutcome::kNacked:
      return "outlet refused: " + std::string(NackReasonText(r.reason));
    case fw::CommandOutcome::kTimedOut:
      return "no answer from outlet " + std::string(outlet) + " on the radio";
    case fw::CommandOutcome::kRejected: return "gateway queue full or outlet not registered";
  }
  return "failed";
}

}  // namespace

std::string_view SocketName(std::uint8_t socket) {
  return socket == fw::kSocketA ? "a" : (socket == fw::kSocketB ? "b" : "none");
}

std::string_view NackReasonText(fw::NackReason reason) {
  switch (reason) {
    case fw::NackReason::kNotAuthorized: return "not authorised (wrong master)";
    case fw::NackReason::kConfigRequired: return "config mode required";
    case fw::NackReason::kBadParameter: return "bad parameter";
    case fw::NackReason::kUnknownCommand: return "unknown command";
    case fw::NackReason::kSocketTripped: return "socket tripped (overload cool-down)";
    case fw::NackReason::kNotReady: return "not ready (calibrating)";
    case fw::NackReason::kStorageFailed: return "setting could not be stored";
  }
  return "refused";
}

CcuUplink::CcuUplink(const UplinkConfig& config, fw::CcuGateway& gateway)
    : config_(config), gateway_(gateway), rng_(config.seed) {}

std::string CcuUplink::OutletUid(std::uint8_t address) const {
  return sim::OutletUid(config_.uid, address);
}

void CcuUplink::AddOutlet(std::uint8_t address) {
  if (FindOutlet(address) != nullptr) return;
  OutletState o;
  o.address = address;
  o.uid = OutletUid(address);
  outlets_.push_back(std::move(o));
}

CcuUplink::OutletState* CcuUplink::FindOutlet(std::uint8_t address) {
  for (OutletState& o : outlets_) {
    if (o.address == address) return &o;
  }
  return nullptr;
}

std::size_t CcuUplink::DeviceIndex(std::uint8_t address) const {
  for (std::size_t i = 0; i < outlets_.size(); ++i) {
    if (outlets_[i].address == address) return i + 1;
  }
  return 0;
}

const std::string& CcuUplink::DeviceUid(std::size_t device) const {
  return device == 0 ? config_.uid : outlets_[device - 1].uid;
}

void CcuUplink::Boot(SimTime now) {
  boot_at_ = now;
  connected_ = false;
  connecting_ = false;
  next_connect_ = now;
  backoff_ = SimTime(0);
  boot_event_sent_ = false;
  next_status_ = now;
  next_reading_ = now + config_.interval;
  ring_.clear();
  batch_.clear();
  jobs_.clear();
  remembered_.clear();
  restart_token_ = 0;
  restart_answered_ = false;
  for (OutletState& o : outlets_) {
    o.online = false;
    o.reported_online = false;
    o.tripped[0] = o.tripped[1] = false;
    o.reading_due = false;
  }
}

bool CcuUplink::restart_due(SimTime now) const {
  return restart_answered_ && now >= restart_at_;
}

// ---- session ----------------------------------------------------------------------------

void CcuUplink::StartConnect(SimTime now, Actions& out) {
  connect_started_ = now;
  LinkAction a;
  a.kind = LinkAction::Kind::kConnect;
  a.topic = Topic(config_.uid, "/status");
  a.payload = R"({"online":false})";
  a.qos = 1;
  a.retain = true;
  out.push_back(std::move(a));
  connecting_ = true;
}

void CcuUplink::ScheduleReconnect(SimTime now) {
  backoff_ =
      backoff_.count() == 0 ? config_.reconnect_min : std::min(backoff_ * 2, config_.reconnect_max);
  const auto jitter = SimTime(
      static_cast<std::int64_t>(rng_.Uniform(0.0, 0.25) * static_cast<double>(backoff_.count())));
  next_connect_ = now + backoff_ + jitter;
}

void CcuUplink::OnConnected(SimTime now, const WallClock& wall, Actions& out) {
  connected_ = true;
  connecting_ = false;
  backoff_ = SimTime(0);
  batch_.clear();
  for (const std::string& uid : [&] {
         std::vector<std::string> uids = {config_.uid};
         for (const OutletState& o : outlets_) uids.push_back(o.uid);
         return uids;
       }()) {
    LinkAction a;
    a.kind = LinkAction::Kind::kSubscribe;
    a.topic = Topic(uid, "/cmd");
    a.qos = 1;
    out.push_back(std::move(a));
  }
  PublishStatus(now, out);
  for (OutletState& o : outlets_) {
    if (o.online) PublishOutletStatus(o, out);
  }
  if (!boot_event_sent_) {
    PublishEvent(0, wall, now, "boot", R"("fw":")" + config_.firmware + "\"", out);
    boot_event_sent_ = true;
  }
  Flush(now, out);
}

void CcuUplink::OnDisconnected(SimTime now) {
  connected_ = false;
  connecting_ = false;
  batch_.clear();  // the batch in flight stays in the ring
  ScheduleReconnect(now);
}

void CcuUplink::Publish(std::string topic, std::string payload, bool retain, std::uint32_t token,
                        Actions& out) {
  LinkAction a;
  a.kind = LinkAction::Kind::kPublish;
  a.topic = std::move(topic);
  a.payload = std::move(payload);
  a.qos = 1;
  a.retain = retain;
  a.token = token;
  out.push_back(std::move(a));
  ++stats_.published;
}

void CcuUplink::PublishStatus(SimTime now, Actions& out) {
  const std::int64_t uptime_s = (now - boot_at_).count() / 1000;
  Publish(Topic(config_.uid, "/status"), Json([&](fw::JsonWriter& w) {
            w.BeginObject();
            w.Key("online");
            w.Bool(true);
            w.Key("fw");
            w.String(config_.firmware);
            w.Key("ip");
            w.String("127.0.0.1");
            w.Key("uptime_s");
            w.Int(uptime_s);
            w.Key("rssi");
            w.Int(-48);
            w.EndObject();
          }),
          true, 0, out);
  next_status_ = now + config_.status_interval;
}

void CcuUplink::PublishOutletStatus(OutletState& o, Actions& out) {
  std::string payload = o.online ? R"({"online":true,"fw":")" + config_.outlet_firmware + "\"}"
                                 : R"({"online":false})";
  Publish(Topic(o.uid, "/status"), std::move(payload), true, 0, out);
  o.reported_online = o.online;
}

void CcuUplink::PublishEvent(std::size_t device, const WallClock& wall, SimTime now,
                             std::string_view type, std::string_view extra_json, Actions& out) {
  if (!connected_) {
    ++stats_.dropped_events;
    return;
  }
  std::string payload = "{\"ts\":" + std::to_string(wall.UnixMs(now)) + ",\"type\":\"";
  payload.append(type);
  payload += "\"";
  if (!extra_json.empty()) {
    payload += ",";
    payload.append(extra_json);
  }
  payload += "}";
  Publish(Topic(DeviceUid(device), "/event"), std::move(payload), false, 0, out);
}

// ---- telemetry ----------------------------------------------------------------------------

void CcuUplink::Buffer(std::size_t device, std::string sample) {
  if (sample.empty()) return;
  if (ring_.size() >= kMaxBuffered) {
    std::erase(batch_, ring_.front().seq);
    ring_.pop_front();
    ++stats_.dropped_readings;
  }
  ring_.push_back(Reading{next_seq_++, device, std::move(sample)});
  ++stats_.readings;
}

std::string CcuUplink::OutletSample(const WallClock& wall, SimTime now,
                                    const fw::OutletRecord& r) const {
  return Json([&](fw::JsonWriter& w) {
    w.BeginObject();
    w.Key("ts");
    w.Int(wall.UnixMs(now));
    w.Key("values");
    w.BeginObject();
    w.Key("current_a_ma");
    w.Uint(r.status.current_ma[0]);
    w.Key("current_b_ma");
    w.Uint(r.status.current_ma[1]);
    w.Key("relay_a");
    w.Uint(r.status.relay_on[0] ? 1 : 0);
    w.Key("relay_b");
    w.Uint(r.status.relay_on[1] ? 1 : 0);
    w.EndObject();
    w.EndObject();
  });
}

void CcuUplink::TakeReadings(SimTime now, const WallClock& wall, std::uint32_t breaker_ma,
                             bool ccu) {
  if (ccu) {
    Buffer(0, Json([&](fw::JsonWriter& w) {
             w.BeginObject();
             w.Key("ts");
             w.Int(wall.UnixMs(now));
             w.Key("values");
             w.BeginObject();
             w.Key("breaker_current_ma");
             w.Uint(breaker_ma);
             w.EndObject();
             w.EndObject();
           }));
  }
  for (std::size_t k = 0; k < outlets_.size(); ++k) {
    OutletState& o = outlets_[k];
    const fw::OutletRecord* r = gateway_.FindOutlet(o.address);
    if (ccu || o.reading_due) {
      if (r != nullptr && r->online && r->status_known) Buffer(k + 1, OutletSample(wall, now, *r));
      o.reading_due = false;
    }
  }
}

void CcuUplink::Flush(SimTime now, Actions& out) {
  if (!connected_) return;
  if (!batch_.empty()) {
    if (now - batch_sent_ < config_.ack_timeout) return;
    batch_.clear();  // never acknowledged: send again
  }
  if (ring_.empty()) return;
  const std::size_t device = ring_.front().device;
  std::string payload;
  std::size_t scanned = 0;
  for (const Reading& r : ring_) {
    if (batch_.size() == kMaxBatch || ++scanned > 4 * kMaxBatch) break;
    if (r.device != device) continue;
    payload += batch_.empty() ? "" : ",";
    payload += r.sample;
    batch_.push_back(r.seq);
  }
  if (batch_.size() > 1) payload = "[" + payload + "]";
  batch_token_ = next_token_++;
  batch_sent_ = now;
  Publish(Topic(DeviceUid(device), "/telemetry"), std::move(payload), false, batch_token_, out);
}

void CcuUplink::OnPublishAcked(SimTime now, std::uint32_t token, Actions& out) {
  ++stats_.acked;
  if (token != 0 && token == restart_token_) {
    restart_answered_ = true;
    restart_at_ = now + SimTime(200);
  }
  if (token != 0 && token == batch_token_ && !batch_.empty()) {
    std::erase_if(ring_, [&](const Reading& r) {
      return std::find(batch_.begin(), batch_.end(), r.seq) != batch_.end();
    });
    batch_.clear();
    Flush(now, out);
  }
}

// ---- periodic work ----------------------------------------------------------------------

void CcuUplink::Tick(SimTime now, const WallClock& wall, std::uint32_t breaker_ma, Actions& out) {
  last_breaker_ma_ = breaker_ma;
  if (connecting_ && now - connect_started_ >= config_.connect_timeout) OnDisconnected(now);
  if (!connected_ && !connecting_ && now >= next_connect_) StartConnect(now, out);
  for (std::size_t k = 0; k < outlets_.size(); ++k) {
    OutletState& o = outlets_[k];
    const fw::OutletRecord* r = gateway_.FindOutlet(o.address);
    if (r == nullptr || !r->status_known) continue;
    for (int i = 0; i < 2; ++i) {
      if (o.tripped[i] && !r->status.tripped[i]) {
        const std::string socket(SocketName(static_cast<std::uint8_t>(i + 1)));
        PublishEvent(k + 1, wall, now, "overload_retry", R"("socket":")" + socket + "\"", out);
        o.reading_due = true;
      }
      o.tripped[i] = r->status.tripped[i];
      if (r->status.current_ma[i] > 0) o.last_current[i] = r->status.current_ma[i];
    }
    if (o.online != o.reported_online && connected_) PublishOutletStatus(o, out);
  }
  const bool periodic = now >= next_reading_;
  if (periodic) next_reading_ = now + config_.interval;
  TakeReadings(now, wall, breaker_ma, periodic);
  if (connected_ && now >= next_status_) PublishStatus(now, out);
  if (restart_token_ != 0 && !restart_answered_ && now >= restart_at_) {
    restart_answered_ = true;  // the answer's acknowledgement never came: reboot anyway
  }
  Pump(now, out);
  Flush(now, out);
}

void CcuUplink::OnGatewayEffects(SimTime now, const WallClock& wall, const fw::GatewayEffects& fx,
                                 Actions& out) {
  for (const fw::CommandResult& r : fx.results) OnResult(now, r, out);
  for (const fw::GatewayEvent& e : fx.events) {
    OutletState* o = FindOutlet(e.address);
    const std::size_t device = DeviceIndex(e.address);
    switch (e.kind) {
      case fw::GatewayEventKind::kOutletOnline:
      case fw::GatewayEventKind::kOutletOffline:
        if (o != nullptr) {
          o->online = e.kind == fw::GatewayEventKind::kOutletOnline;
          o->reading_due = o->online;
          if (connected_) PublishOutletStatus(*o, out);
        }
        break;
      case fw::GatewayEventKind::kOverloadTrip:
        if (o != nullptr && (e.socket == fw::kSocketA || e.socket == fw::kSocketB)) {
          const int i = e.socket - 1;
          o->tripped[i] = true;
          o->reading_due = true;
          const fw::OutletRecord* r = gateway_.FindOutlet(e.address);
          std::string extra = R"("socket":")" + std::string(SocketName(e.socket)) + "\"";
          if (r != nullptr) extra += ",\"threshold_ma\":" + std::to_string(r->status.threshold_ma);
          if (o->last_current[i] > 0) {
            extra += ",\"last_current_ma\":" + std::to_string(o->last_current[i]);
          }
          PublishEvent(device, wall, now, "overload_trip", extra, out);
        }
        break;
      case fw::GatewayEventKind::kSocketShed:
        PublishEvent(0, wall, now, "breaker_cutoff",
                     R"("action":"shed","outlet":")" + (o ? o->uid : std::string()) +
                         R"(","socket":")" + std::string(SocketName(e.socket)) +
                         "\",\"breaker_ma\":" + std::to_string(e.value) +
                         ",\"limit_ma\":" + std::to_string(config_.breaker_limit_ma),
                     out);
        break;
      case fw::GatewayEventKind::kBreakerCutAll:
        PublishEvent(0, wall, now, "breaker_cutoff",
                     R"("action":"cut_all","breaker_ma":)" + std::to_string(e.value) +
                         ",\"limit_ma\":" + std::to_string(config_.breaker_limit_ma),
                     out);
        break;
      case fw::GatewayEventKind::kBreakerOverload:
      case fw::GatewayEventKind::kBreakerNormal:
        TakeReadings(now, wall, e.value, true);  // the crossing shows in the data at once
        break;
      case fw::GatewayEventKind::kRegistryStorageError: break;
    }
  }
}

// ---- commands ---------------------------------------------------------------------------

void CcuUplink::OnMessage(SimTime now, const WallClock& wall, std::string_view topic,
                          std::string_view payload, Actions& out) {
  // sw/d/{uid}/cmd
  constexpr std::string_view kPrefix = "sw/d/";
  constexpr std::string_view kSuffix = "/cmd";
  if (topic.size() <= kPrefix.size() + kSuffix.size() || !topic.starts_with(kPrefix) ||
      !topic.ends_with(kSuffix)) {
    return;
  }
  const std::string_view target =
      topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
  HandleCommand(now, wall, target, payload, out);
}

void CcuUplink::HandleCommand(SimTime now, const WallClock& wall, std::string_view target_view,
                              std::string_view payload, Actions& out) {
  ++stats_.commands;
  const std::string target(target_view);
  fw::JsonMember members[kMaxCommandMembers];
  std::size_t count = 0;
  if (fw::ParseJsonObject(payload, fw::Span<fw::JsonMember>(members), &count) !=
      fw::JsonError::kOk) {
    return;  // no usable id: cannot be answered
  }
  const fw::Span<const fw::JsonMember> list(members, count);
  const std::string id = Text(fw::FindJsonMember(list, "id"));
  if (id.empty() || id.size() > 64) return;
  for (const Remembered& r : remembered_) {
    if (r.id == id) {
      ++stats_.duplicates;
      Publish(Topic(r.target, "/cmd/result"), r.payload, false, 0, out);
      return;
    }
  }
  for (const Job& j : jobs_) {
    if (j.id == id) {
      ++stats_.duplicates;
      return;  // in progress: answered when done
    }
  }
  const std::string name = Text(fw::FindJsonMember(list, "name"));
  if (const fw::JsonMember* exp = fw::FindJsonMember(list, "expires_at"); exp != nullptr) {
    std::int64_t expires_at = 0;
    if (exp->type == fw::JsonType::kNumber && fw::JsonToInt64(exp->value, &expires_at) &&
        expires_at < wall.UnixMs(now)) {
      Answer(target, id, false, "expired before it arrived", nullptr, out);
      return;
    }
  }
  fw::JsonMember params[kMaxCommandMembers];
  std::size_t params_count = 0;
  if (const fw::JsonMember* p = fw::FindJsonMember(list, "params"); p != nullptr) {
    if (p->type != fw::JsonType::kObject ||
        fw::ParseJsonObject(p->value, fw::Span<fw::JsonMember>(params), &params_count) !=
            fw::JsonError::kOk) {
      Answer(target, id, false, "params must be an object", nullptr, out);
      return;
    }
  }
  const fw::Span<const fw::JsonMember> plist(params, params_count);
  if (jobs_.size() >= kMaxJobs) {
    Answer(target, id, false, "gateway busy: too many commands in progress", nullptr, out);
    return;
  }

  Job job;
  job.id = id;
  job.target = target;
  const auto all_sockets_param_ok = [&] {
    const fw::JsonMember* s = fw::FindJsonMember(plist, "sockets");
    return s == nullptr || Text(s) == "all";
  };
  if (target == config_.uid) {
    if (name == "cut") {
      if (!all_sockets_param_ok()) {
        Answer(target, id, false, "sockets must be \"all\"", nullptr, out);
        return;
      }
      job.kind = JobKind::kCut;
      for (const OutletState& o : outlets_) {
        for (std::uint8_t s : {fw::kSocketA, fw::kSocketB}) {
          Op op;
          op.address = o.address;
          op.command = fw::RadioCommand::kRelayOff;
          op.socket = s;
          job.ops.push_back(op);
        }
      }
    } else if (name == "restart") {
      restart_token_ = next_token_++;
      restart_at_ = now + SimTime(3000);
      Answer(target, id, true, "restarting", nullptr, out);
      out.back().token = restart_token_;
      return;
    } else if (name == "set_breaker_limit") {
      Answer(target, id, false,
             "the breaker limit is fixed in this gateway firmware (" +
                 std::to_string(config_.breaker_limit_ma) + " mA)",
             nullptr, out);
      return;
    } else {
      Answer(target, id, false, "unknown command", nullptr, out);
      return;
    }
  } else {
    const OutletState* o = nullptr;
    for (const OutletState& candidate : outlets_) {
      if (candidate.uid == target) o = &candidate;
    }
    if (o == nullptr) return;  // not ours (the broker would not have sent it)
    Op op;
    op.address = o->address;
    if (name == "relay") {
      const std::string socket = Text(fw::FindJsonMember(plist, "socket"));
      const fw::JsonMember* on = fw::FindJsonMember(plist, "on");
      if ((socket != "a" && socket != "b") || on == nullptr ||
          (on->type != fw::JsonType::kTrue && on->type != fw::JsonType::kFalse)) {
        Answer(target, id, false, "relay needs socket \"a\"|\"b\" and on true|false", nullptr, out);
        return;
      }
      job.kind = JobKind::kRelay;
      job.relay_on = on->type == fw::JsonType::kTrue;
      job.socket_index = socket == "a" ? 0 : 1;
      op.command = job.relay_on ? fw::RadioCommand::kRelayOn : fw::RadioCommand::kRelayOff;
      op.socket = socket == "a" ? fw::kSocketA : fw::kSocketB;
      job.ops.push_back(op);
    } else if (name == "set_threshold") {
      const fw::JsonMember* ma = fw::FindJsonMember(plist, "ma");
      std::int64_t value = 0;
      if (ma == nullptr || ma->type != fw::JsonType::kNumber ||
          !fw::JsonToInt64(ma->value, &value) || value < 1 || value > 65534) {
        Answer(target, id, false, "set_threshold needs ma between 1 and 65534", nullptr, out);
        return;
      }
      job.kind = JobKind::kThreshold;
      op.command = fw::RadioCommand::kSetThreshold;
      fw::WriteBe16(op.payload, static_cast<std::uint16_t>(value));
      op.payload_size = 2;
      job.ops.push_back(op);
    } else if (name == "cut") {
      if (!all_sockets_param_ok()) {
        Answer(target, id, false, "sockets must be \"all\"", nullptr, out);
        return;
      }
      job.kind = JobKind::kCut;
      for (std::uint8_t s : {fw::kSocketA, fw::kSocketB}) {
        op.command = fw::RadioCommand::kRelayOff;
        op.socket = s;
        job.ops.push_back(op);
      }
    } else {
      Answer(target, id, false, "unknown command", nullptr, out);
      return;
    }
  }
  StartJob(std::move(job), out);
  Pump(now, out);
}

void CcuUplink::StartJob(Job job, Actions& out) {
  if (job.ops.empty()) {
    Answer(job.target, job.id, true, "nothing to do", nullptr, out);
    return;
  }
  jobs_.push_back(std::move(job));
}

void CcuUplink::Pump(SimTime now, Actions& out) {
  std::size_t in_flight = 0;
  for (const Job& j : jobs_) {
    for (const Op& op : j.ops) in_flight += op.submitted && !op.done ? 1 : 0;
  }
  std::vector<fw::CommandResult> immediate;
  for (Job& j : jobs_) {
    if (j.verifying && now >= j.verify_at) {
      j.verifying = false;
      Op status;
      status.address = j.ops.front().address;
      status.command = fw::RadioCommand::kStatus;
      j.ops.push_back(status);
    }
    for (Op& op : j.ops) {
      if (op.submitted || in_flight >= kMaxOpsInFlight) continue;
      op.radio_id = next_radio_id_++;
      op.submitted = true;
      ++in_flight;
      fw::GatewayEffects fx;
      gateway_.SubmitCommand(op.radio_id, op.address, op.command, op.socket,
                             fw::ByteSpan(op.payload, op.payload_size), &fx);
      for (const fw::CommandResult& r : fx.results) immediate.push_back(r);
    }
  }
  for (const fw::CommandResult& r : immediate) OnResult(now, r, out);
  // Finish the jobs whose operations are all done.
  for (std::size_t i = jobs_.size(); i-- > 0;) {
    Job& j = jobs_[i];
    const bool all_done = !j.verifying && std::all_of(j.ops.begin(), j.ops.end(),
                                                      [](const Op& op) { return op.done; });
    if (!all_done) continue;
    if (j.kind == JobKind::kRelay && j.ops.size() == 1 &&
        j.ops[0].outcome == fw::CommandOutcome::kAcked) {
      j.verifying = true;  // wait for the outlet's next measurement, then read it
      j.verify_at = now + config_.verify_delay;
      continue;
    }
    FinishJob(i, now, out);
  }
}

void CcuUplink::OnResult(SimTime now, const fw::CommandResult& r, Actions& out) {
  (void)now;
  (void)out;
  for (Job& j : jobs_) {
    for (Op& op : j.ops) {
      if (!op.submitted || op.done || op.radio_id != r.id) continue;
      op.done = true;
      op.outcome = r.outcome;
      op.reason = r.reason;
      op.status = r.status;
      return;
    }
  }
}

void CcuUplink::FinishJob(std::size_t index, SimTime now, Actions& out) {
  (void)now;
  Job job = std::move(jobs_[index]);
  jobs_.erase(jobs_.begin() + static_cast<std::ptrdiff_t>(index));
  const Op& first = job.ops.front();
  OutletState* o = FindOutlet(first.address);
  const std::string outlet = o != nullptr ? o->uid : std::string();
  if (o != nullptr) o->reading_due = true;
  fw::CommandResult first_result;
  first_result.outcome = first.outcome;
  first_result.reason = first.reason;
  switch (job.kind) {
    case JobKind::kRelay: {
      if (first.outcome != fw::CommandOutcome::kAcked) {
        Answer(job.target, job.id, false, FailureText(first_result, outlet), nullptr, out);
        return;
      }
      const std::string what =
          "relay " + std::string(SocketName(static_cast<std::uint8_t>(job.socket_index + 1))) +
          (job.relay_on ? " on" : " off");
      const Op& status = job.ops.back();
      if (job.ops.size() < 2 || status.outcome != fw::CommandOutcome::kAcked) {
        Answer(job.target, job.id, true, what + " (current not measured: status not read)", nullptr,
               out);
        return;
      }
      const std::uint16_t current = status.status.current_ma[job.socket_index];
      if (job.relay_on && status.status.tripped[job.socket_index]) {
        Answer(job.target, job.id, false,
               what + ": the socket tripped (overload above " +
                   std::to_string(status.status.threshold_ma) + " mA)",
               &current, out);
        return;
      }
      Answer(job.target, job.id, true, what, &current, out);
      return;
    }
    case JobKind::kThreshold:
      Answer(job.target, job.id, first.outcome == fw::CommandOutcome::kAcked,
             first.outcome == fw::CommandOutcome::kAcked ? "threshold set"
                                                         : FailureText(first_result, outlet),
             nullptr, out);
      return;
    case JobKind::kCut: {
      std::size_t failed = 0;
      std::string reason;
      for (const Op& op : job.ops) {
        if (op.outcome == fw::CommandOutcome::kAcked) continue;
        ++failed;
        fw::CommandResult r;
        r.outcome = op.outcome;
        r.reason = op.reason;
        const OutletState* which = FindOutlet(op.address);
        reason = FailureText(r, which != nullptr ? which->uid : std::string());
      }
      if (failed == 0) {
        Answer(job.target, job.id, true,
               "switched off " + std::to_string(job.ops.size()) + " sockets", nullptr, out);
      } else {
        Answer(job.target, job.id, false,
               std::to_string(failed) + " of " + std::to_string(job.ops.size()) +
                   " sockets not switched off: " + reason,
               nullptr, out);
      }
      return;
    }
    case JobKind::kRestart: return;
  }
}

void CcuUplink::Answer(const std::string& target, const std::string& id, bool ok,
                       std::string_view detail, const std::uint16_t* current_ma, Actions& out) {
  std::string payload = Json([&](fw::JsonWriter& w) {
    w.BeginObject();
    w.Key("id");
    w.String(id);
    w.Key("ok");
    w.Bool(ok);
    if (!detail.empty()) {
      w.Key("detail");
      w.String(detail.substr(0, 200));
    }
    if (current_ma != nullptr) {
      w.Key("current_ma");
      w.Uint(*current_ma);
    }
    w.EndObject();
  });
  remembered_.push_back(Remembered{id, target, payload});
  if (remembered_.size() > kRemembered) remembered_.pop_front();
  ++stats_.answered;
  Publish(Topic(target, "/cmd/result"), std::move(payload), false, 0, out);
}

}  // namespace sw::sim
