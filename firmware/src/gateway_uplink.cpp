// CCU gateway uplink core: see fw/gateway_uplink.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/gateway_uplink.h"

#include "fw/text.h"

namespace sw::fw {

namespace {

constexpr size_t kMinPayloadBytes = 256;
constexpr size_t kMaxCommandMembers = 8;
constexpr size_t kMaxNameLength = 24;
constexpr uint32_t kRestartAfterAckMs = 200;
constexpr uint32_t kRadioIdsPerJob = 128;  // > the most operations of one job (2 * 32)

constexpr std::string_view kTelemetry = kTopicTelemetry;
constexpr std::string_view kStatus = kTopicStatus;
constexpr std::string_view kEvent = kTopicEvent;
constexpr std::string_view kCommand = kTopicCommand;
constexpr std::string_view kResult = kTopicResult;

// A command result's reason.
class Detail : public TextBuilder {
 public:
  explicit Detail(char* out) : TextBuilder(out, GatewayUplink::kMaxDetailLength) {}
};

// The unescaped text of a string member into out; false when absent, not a string or too long.
bool Text(const JsonMember* m, char* out, size_t capacity, size_t* size) {
  *size = 0;
  return m != nullptr && m->type == JsonType::kString &&
         JsonUnescape(m->value, out, capacity, size);
}

bool TextEquals(const JsonMember* m, std::string_view plain) {
  return m != nullptr && m->type == JsonType::kString && JsonStringEquals(m->value, plain);
}

}  // namespace

std::string_view SocketName(uint8_t socket) {
  return socket == kSocketA ? "a" : (socket == kSocketB ? "b" : "none");
}

std::string_view NackReasonText(NackReason reason) {
  switch (reason) {
    case NackReason::kNotAuthorized: return "not authorised (wrong master)";
    case NackReason::kConfigRequired: return "config mode required";
    case NackReason::kBadParameter: return "bad parameter";
    case NackReason::kUnknownCommand: return "unknown command";
    case NackReason::kSocketTripped: return "socket tripped (overload cool-down)";
    case NackReason::kNotReady: return "not ready (calibrating)";
    case NackReason::kStorageFailed: return "setting could not be stored";
  }
  return "refused";
}

GatewayUplink::GatewayUplink(const GatewayUplinkConfig& config, CcuGateway& gateway)
    : config_(config), gateway_(gateway) {
  // Room for the ".XX" of the outlets' uids.
  bool uid_ok = !config.uid.empty() && config.uid.size() + 3 <= kMaxUidLength;
  for (char c : config.uid) uid_ok = uid_ok && ValidUidChar(c);
  const bool version_ok = ValidVersionText(config.firmware_version, sizeof version_) &&
                          ValidVersionText(config.outlet_firmware_version, sizeof outlet_version_);
  valid_ = uid_ok && version_ok;
  uid_size_ = uid_ok ? CopyText(config.uid, uid_, sizeof uid_) : 0;
  if (version_ok) {
    version_size_ = CopyText(config.firmware_version, version_, sizeof version_);
    outlet_version_size_ =
        CopyText(config.outlet_firmware_version, outlet_version_, sizeof outlet_version_);
  }
  config_.uid = std::string_view(uid_, uid_size_);
  config_.firmware_version = std::string_view(version_, version_size_);
  config_.outlet_firmware_version = std::string_view(outlet_version_, outlet_version_size_);
  if (config_.max_payload_bytes < kMinPayloadBytes) config_.max_payload_bytes = kMinPayloadBytes;
  if (config_.max_payload_bytes > UplinkActions::kMaxPayloadBytes) {
    config_.max_payload_bytes = UplinkActions::kMaxPayloadBytes;
  }
  if (config_.max_batch_readings == 0) config_.max_batch_readings = 1;
  if (config_.interval_ms == 0) config_.interval_ms = 1;
  if (config_.reconnect_min_ms == 0) config_.reconnect_min_ms = 1;
  if (config_.reconnect_max_ms < config_.reconnect_min_ms) {
    config_.reconnect_max_ms = config_.reconnect_min_ms;
  }
  jitter_state_ = config.jitter_seed != 0 ? config.jitter_seed : 1;
}

void GatewayUplink::FollowRegistry(UplinkActions* out) {
  for (size_t i = outlet_count_; i-- > 0;) {
    if (gateway_.FindOutlet(outlets_[i].address) == nullptr) RemoveOutletAt(i, out);
  }
  for (size_t i = 0; i < gateway_.outlet_count(); ++i) AddOutlet(gateway_.outlet_at(i).address);
}

void GatewayUplink::RemoveOutletAt(size_t index, UplinkActions* out) {
  const size_t device = index + 1;
  for (Job& j : jobs_) {
    if (!j.active) continue;
    if (j.device == device) {
      j.active = false;  // results still on the radio find no job and are ignored
      Answer(std::string_view(j.id, j.id_size), device, false, "outlet removed from the gateway",
             nullptr, out);
    } else if (j.device > device) {
      --j.device;
    }
  }
  for (size_t i = 0; i < remembered_count_; ++i) {
    Remembered& r = remembered_[i];
    if (r.device == device) {
      r.id_size = 0;  // never matches again; its device is gone
    } else if (r.device > device) {
      --r.device;
    }
  }
  const size_t n = ring_.size();
  for (size_t i = 0; i < n; ++i) {
    Reading r = ring_.Pop();
    if (r.device == device) continue;  // the server no longer knows the outlet
    if (r.device > device) --r.device;
    ring_.Push(r);
  }
  const auto drop_bit = [device](uint64_t mask) {
    const uint64_t low = mask & ((uint64_t{1} << device) - 1);
    return low | ((mask >> (device + 1)) << device);
  };
  subscribe_pending_ = drop_bit(subscribe_pending_);
  status_pending_ = drop_bit(status_pending_);
  for (size_t i = index + 1; i < outlet_count_; ++i) outlets_[i - 1] = outlets_[i];
  --outlet_count_;
}

bool GatewayUplink::AddOutlet(uint8_t address) {
  if (OutletIndex(address) >= 0) return true;
  if (outlet_count_ == kMaxOutlets) return false;
  outlets_[outlet_count_] = Outlet();
  outlets_[outlet_count_].address = address;
  ++outlet_count_;
  if (connected_) {
    subscribe_pending_ |= uint64_t{1} << outlet_count_;
  }
  return true;
}

int GatewayUplink::OutletIndex(uint8_t address) const {
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (outlets_[i].address == address) return static_cast<int>(i);
  }
  return -1;
}

std::string_view GatewayUplink::DeviceUid(size_t device) const {
  // Only the gateway's own uid is stored; an outlet's is built into the action text.
  return device == 0 ? std::string_view(uid_, uid_size_) : std::string_view();
}

int GatewayUplink::FindDevice(std::string_view uid) const {
  const std::string_view own(uid_, uid_size_);
  if (uid == own) return 0;
  if (uid.size() != own.size() + 3 || uid.substr(0, own.size()) != own || uid[own.size()] != '.') {
    return -1;
  }
  constexpr char kHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < outlet_count_; ++i) {
    const uint8_t a = outlets_[i].address;
    if (uid[own.size() + 1] == kHex[a >> 4] && uid[own.size() + 2] == kHex[a & 0x0F]) {
      return static_cast<int>(i + 1);
    }
  }
  return -1;
}

size_t GatewayUplink::jobs_in_progress() const {
  size_t n = 0;
  for (const Job& j : jobs_) n += j.active ? 1 : 0;
  return n;
}

// ---- time ----

// ---- actions ----

uint32_t GatewayUplink::NextToken() {
  const uint32_t token = next_token_++;
  if (next_token_ == 0) next_token_ = 1;
  return token;
}

NodeAction* GatewayUplink::Add(UplinkActions* out, NodeActionKind kind) {
  if (out->list_.full()) return nullptr;
  NodeAction a;
  a.kind = kind;
  out->list_.PushBack(a);
  return &out->list_[out->list_.size() - 1];
}

std::string_view GatewayUplink::AppendTopic(UplinkActions* out, size_t device,
                                            std::string_view suffix) {
  constexpr std::string_view kPrefix = "sw/d/";
  constexpr char kHex[] = "0123456789ABCDEF";
  const size_t child = device == 0 ? 0 : 3;
  const size_t n = kPrefix.size() + uid_size_ + child + suffix.size();
  if (UplinkActions::kTextBytes - out->used_ < n) return std::string_view();
  char* p = out->text_ + out->used_;
  size_t at = 0;
  for (char c : kPrefix) p[at++] = c;
  for (size_t i = 0; i < uid_size_; ++i) p[at++] = uid_[i];
  if (device != 0) {
    const uint8_t a = outlets_[device - 1].address;
    p[at++] = '.';
    p[at++] = kHex[a >> 4];
    p[at++] = kHex[a & 0x0F];
  }
  for (char c : suffix) p[at++] = c;
  out->used_ += n;
  return std::string_view(p, n);
}

template <typename Build>
bool GatewayUplink::Publish(UplinkActions* out, size_t device, std::string_view suffix, bool retain,
                            uint32_t token, Build&& build) {
  if (out->list_.full()) return false;
  const size_t mark = out->used_;
  const std::string_view topic = AppendTopic(out, device, suffix);
  char* free = out->text_ + out->used_;
  JsonWriter w(free, UplinkActions::kTextBytes - out->used_);
  build(w);
  if (topic.empty() || !w.ok()) {
    out->used_ = mark;
    return false;
  }
  out->used_ += w.size();
  NodeAction* a = Add(out, NodeActionKind::kPublish);
  a->topic = topic;
  a->payload = std::string_view(free, w.size());
  a->qos = 1;
  a->retain = retain;
  a->token = token;
  return true;
}

// ---- lifecycle and session ----

void GatewayUplink::Boot(uint32_t now_ms, UplinkActions* out) {
  clock_.Restart(now_ms);
  connected_ = connecting_ = false;
  next_connect_ms_ = 0;
  backoff_ms_ = 0;
  subscribe_pending_ = status_pending_ = 0;
  boot_event_sent_ = false;
  next_status_ms_ = 0;
  next_reading_ms_ = config_.interval_ms;
  ring_.Clear();
  batch_in_flight_ = false;
  for (Job& j : jobs_) j = Job();
  remembered_count_ = remembered_next_ = 0;
  restart_pending_ = false;
  restart_token_ = 0;
  for (size_t i = 0; i < outlet_count_; ++i) {
    const uint8_t address = outlets_[i].address;
    outlets_[i] = Outlet();
    outlets_[i].address = address;
  }
  FollowRegistry(out);  // the registry the gateway core loaded from its store
  Service(out);
}

void GatewayUplink::ScheduleReconnect() {
  const uint64_t doubled = static_cast<uint64_t>(backoff_ms_) * 2;
  backoff_ms_ = backoff_ms_ == 0
                    ? config_.reconnect_min_ms
                    : (doubled < config_.reconnect_max_ms ? static_cast<uint32_t>(doubled)
                                                          : config_.reconnect_max_ms);
  jitter_state_ ^= jitter_state_ << 13;  // xorshift32
  jitter_state_ ^= jitter_state_ >> 17;
  jitter_state_ ^= jitter_state_ << 5;
  const uint32_t jitter = jitter_state_ % (backoff_ms_ / 4 + 1);
  next_connect_ms_ = clock_.uptime_ms() + backoff_ms_ + jitter;
}

void GatewayUplink::OnConnected(uint32_t now_ms, const NodeLinkInfo& link, UplinkActions* out) {
  Advance(now_ms);
  connected_ = true;
  connecting_ = false;
  backoff_ms_ = 0;
  EndBatch(false);
  ip_size_ = CopyText(link.ip, ip_, sizeof ip_);
  has_rssi_ = link.has_rssi;
  rssi_ = link.rssi;
  const uint64_t all =
      outlet_count_ + 1 >= 64 ? ~uint64_t{0} : (uint64_t{1} << (outlet_count_ + 1)) - 1;
  subscribe_pending_ = all;
  status_pending_ = 1;  // the gateway; the outlets that are online:
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (outlets_[i].online) status_pending_ |= uint64_t{1} << (i + 1);
  }
  next_status_ms_ = clock_.uptime_ms();
  Service(out);
}

void GatewayUplink::OnDisconnected(uint32_t now_ms) {
  Advance(now_ms);
  connected_ = false;
  connecting_ = false;
  EndBatch(false);  // unacknowledged readings stay in the ring
  ScheduleReconnect();
}

bool GatewayUplink::PublishStatus(size_t device, UplinkActions* out) {
  if (device == 0) {
    const bool sent = Publish(out, 0, kStatus, true, 0, [&](JsonWriter& w) {
      w.BeginObject();
      w.Key("online");
      w.Bool(true);
      w.Key("fw");
      w.String(std::string_view(version_, version_size_));
      w.Key("uptime_s");
      w.Uint(clock_.uptime_ms() / 1000);
      if (ip_size_ > 0) {
        w.Key("ip");
        w.String(std::string_view(ip_, ip_size_));
      }
      if (has_rssi_) {
        w.Key("rssi");
        w.Int(rssi_);
      }
      w.Key("outlets_rev");
      w.Uint(gateway_.registry_revision());
      w.EndObject();
    });
    if (sent) next_status_ms_ = clock_.uptime_ms() + config_.status_interval_ms;
    return sent;
  }
  Outlet& o = outlets_[device - 1];
  const bool online = o.online;
  const OutletRecord* record = gateway_.FindOutlet(o.address);
  const bool legacy = record != nullptr && record->legacy;
  const bool sent = Publish(out, device, kStatus, true, 0, [&](JsonWriter& w) {
    w.BeginObject();
    w.Key("online");
    w.Bool(online);
    if (online && !legacy) {
      w.Key("fw");
      w.String(std::string_view(outlet_version_, outlet_version_size_));
    }
    if (legacy) {  // a PIC outlet: no version, no relay-state query (see ccu_gateway.h)
      w.Key("protocol");
      w.String("legacy");
      w.Key("relay_state");
      w.String("commanded");
    }
    w.EndObject();
  });
  if (sent) o.reported_online = online;
  return sent;
}

template <typename Extra>
void GatewayUplink::PublishEvent(size_t device, std::string_view type, UplinkActions* out,
                                 Extra&& extra) {
  const bool sent = connected_ && Publish(out, device, kEvent, false, 0, [&](JsonWriter& w) {
                      w.BeginObject();
                      int64_t ts = 0;
                      if (WallTime(clock_.uptime_ms(), &ts)) {
                        w.Key("ts");
                        w.Int(ts);
                      }
                      w.Key("type");
                      w.String(type);
                      extra(w);
                      w.EndObject();
                    });
  if (!sent) {
    ++counters_.dropped_events;
    if (connected_) ++out->dropped_;
  }
}

void GatewayUplink::Service(UplinkActions* out) {
  if (!clock_.started()) return;
  if (restart_pending_ && clock_.uptime_ms() >= restart_at_ms_) {
    if (Add(out, NodeActionKind::kReboot) != nullptr) restart_pending_ = false;
    return;
  }
  if (connecting_ && clock_.uptime_ms() - connect_started_ms_ >= config_.connect_timeout_ms) {
    connecting_ = false;
    ScheduleReconnect();
  }
  if (valid_ && !connected_ && !connecting_ && clock_.uptime_ms() >= next_connect_ms_) {
    const size_t mark = out->used_;
    const std::string_view will_topic = AppendTopic(out, 0, kStatus);
    constexpr std::string_view kWill = "{\"online\":false}";
    NodeAction* a = nullptr;
    if (!will_topic.empty() && UplinkActions::kTextBytes - out->used_ >= kWill.size()) {
      a = Add(out, NodeActionKind::kConnect);
    }
    if (a == nullptr) {
      out->used_ = mark;
    } else {
      char* p = out->text_ + out->used_;
      for (size_t i = 0; i < kWill.size(); ++i) p[i] = kWill[i];
      out->used_ += kWill.size();
      a->topic = will_topic;
      a->payload = std::string_view(p, kWill.size());
      a->qos = 1;
      a->retain = true;
      connecting_ = true;
      connect_started_ms_ = clock_.uptime_ms();
    }
  }
  if (!connected_) return;
  for (size_t d = 0; d <= outlet_count_ && subscribe_pending_ != 0; ++d) {
    const uint64_t bit = uint64_t{1} << d;
    if ((subscribe_pending_ & bit) == 0) continue;
    const size_t mark = out->used_;
    const std::string_view topic = AppendTopic(out, d, kCommand);
    NodeAction* a = topic.empty() ? nullptr : Add(out, NodeActionKind::kSubscribe);
    if (a == nullptr) {
      out->used_ = mark;
      return;  // the rest on the next call
    }
    a->topic = topic;
    a->qos = 1;
    subscribe_pending_ &= ~bit;
  }
  if (clock_.uptime_ms() >= next_status_ms_) status_pending_ |= 1;
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (outlets_[i].online != outlets_[i].reported_online)
      status_pending_ |= uint64_t{1} << (i + 1);
  }
  for (size_t d = 0; d <= outlet_count_ && status_pending_ != 0; ++d) {
    const uint64_t bit = uint64_t{1} << d;
    if ((status_pending_ & bit) == 0) continue;
    if (!PublishStatus(d, out)) return;
    status_pending_ &= ~bit;
  }
  if (!boot_event_sent_) {
    boot_event_sent_ = Publish(out, 0, kEvent, false, 0, [&](JsonWriter& w) {
      w.BeginObject();
      int64_t ts = 0;
      if (WallTime(clock_.uptime_ms(), &ts)) {
        w.Key("ts");
        w.Int(ts);
      }
      w.Key("type");
      w.String("boot");
      w.Key("fw");
      w.String(std::string_view(version_, version_size_));
      w.EndObject();
    });
    if (!boot_event_sent_) return;
  }
  Flush(out);
}

void GatewayUplink::Tick(uint32_t now_ms, uint32_t breaker_ma, UplinkActions* out) {
  Advance(now_ms);
  if (!clock_.started()) return;
  breaker_ma_ = breaker_ma;
  for (size_t k = 0; k < outlet_count_; ++k) {
    Outlet& o = outlets_[k];
    const OutletRecord* r = gateway_.FindOutlet(o.address);
    if (r == nullptr || !r->status_known) continue;
    for (int i = 0; i < 2; ++i) {
      if (o.tripped[i] && !r->status.tripped[i]) {
        const uint8_t socket = static_cast<uint8_t>(i + 1);
        PublishEvent(k + 1, "overload_retry", out, [&](JsonWriter& w) {
          w.Key("socket");
          w.String(SocketName(socket));
        });
        o.reading_due = true;
      }
      o.tripped[i] = r->status.tripped[i];
      if (r->status.current_ma[i] > 0) o.last_current[i] = r->status.current_ma[i];
    }
  }
  const bool periodic = clock_.uptime_ms() >= next_reading_ms_;
  if (periodic) {
    next_reading_ms_ += config_.interval_ms;
    if (next_reading_ms_ <= clock_.uptime_ms())
      next_reading_ms_ = clock_.uptime_ms() + config_.interval_ms;
  }
  TakeReadings(breaker_ma, periodic);
  if (batch_in_flight_ && clock_.uptime_ms() - batch_sent_ms_ >= config_.ack_timeout_ms) {
    EndBatch(false);  // never acknowledged: the readings are sent again
  }
  Pump(out);
  Service(out);
}

void GatewayUplink::OnPublishAcked(uint32_t now_ms, uint32_t token, UplinkActions* out) {
  Advance(now_ms);
  if (token == 0) return;
  if (restart_pending_ && token == restart_token_) {
    restart_at_ms_ = clock_.uptime_ms() + kRestartAfterAckMs;
  }
  if (batch_in_flight_ && token == batch_token_) {
    EndBatch(true);
    Service(out);
  }
}

// ---- telemetry ----

void GatewayUplink::Buffer(const Reading& reading) {
  if (ring_.full()) {
    ring_.Pop();  // the oldest; if it was in the batch in flight, the ack has less to remove
    ++counters_.dropped_readings;
  }
  ring_.Push(reading);
  ++counters_.readings;
}

void GatewayUplink::TakeReadings(uint32_t breaker_ma, bool periodic) {
  if (periodic) {
    Reading r;
    r.taken_ms = clock_.uptime_ms();
    r.device = 0;
    r.breaker_ma = breaker_ma;
    Buffer(r);
  }
  for (size_t k = 0; k < outlet_count_; ++k) {
    Outlet& o = outlets_[k];
    if (!periodic && !o.reading_due) continue;
    o.reading_due = false;
    const OutletRecord* rec = gateway_.FindOutlet(o.address);
    if (rec == nullptr || !rec->online || !rec->status_known) continue;
    Reading r;
    r.taken_ms = clock_.uptime_ms();
    r.device = static_cast<uint8_t>(k + 1);
    for (int i = 0; i < 2; ++i) {
      r.current_ma[i] = rec->status.current_ma[i];
      r.relay_on[i] = rec->status.relay_on[i];
      r.tripped[i] = rec->status.tripped[i];
    }
    r.threshold_ma = rec->status.threshold_ma;
    Buffer(r);
  }
}

void GatewayUplink::WriteReading(JsonWriter& w, const Reading& r) const {
  w.BeginObject();
  int64_t ts = 0;
  if (WallTime(r.taken_ms, &ts)) {
    w.Key("ts");
    w.Int(ts);
  }
  w.Key("values");
  w.BeginObject();
  if (r.device == 0) {
    w.Key("breaker_current_ma");
    w.Uint(r.breaker_ma);
    // The limit in force when sent (it changes rarely: set_breaker_limit), so that a chart of
    // the breaker can show it without a second query.
    w.Key("breaker_limit_ma");
    w.Uint(gateway_.breaker_limit_ma());
  } else {
    w.Key("current_a_ma");
    w.Uint(r.current_ma[0]);
    w.Key("current_b_ma");
    w.Uint(r.current_ma[1]);
    w.Key("relay_a");
    w.Uint(r.relay_on[0] ? 1 : 0);
    w.Key("relay_b");
    w.Uint(r.relay_on[1] ? 1 : 0);
    w.Key("tripped_a");
    w.Uint(r.tripped[0] ? 1 : 0);
    w.Key("tripped_b");
    w.Uint(r.tripped[1] ? 1 : 0);
    if (r.threshold_ma != 0) {
      w.Key("threshold_ma");
      w.Uint(r.threshold_ma);
    }
  }
  w.EndObject();
  w.EndObject();
}

void GatewayUplink::EndBatch(bool acknowledged) {
  if (!batch_in_flight_) return;
  batch_in_flight_ = false;
  // Remove (acknowledged) or release the batch's readings, keeping the order of the rest.
  const size_t n = ring_.size();
  for (size_t i = 0; i < n; ++i) {
    Reading r = ring_.Pop();
    if (r.in_batch && acknowledged) continue;
    r.in_batch = false;
    ring_.Push(r);
  }
}

void GatewayUplink::Flush(UplinkActions* out) {
  if (!connected_ || batch_in_flight_ || ring_.empty() || out->list_.full()) return;
  const uint8_t device = ring_.At(0).device;
  if (device > outlet_count_) {  // cannot happen; never stall on it
    ring_.Pop();
    ++counters_.dropped_readings;
    return;
  }
  const size_t mark = out->used_;
  const std::string_view topic = AppendTopic(out, device, kTelemetry);
  if (topic.empty()) return;
  const size_t room = UplinkActions::kTextBytes - out->used_;
  const size_t cap = room < config_.max_payload_bytes ? room : config_.max_payload_bytes;
  char* free = out->text_ + out->used_;
  JsonWriter w(free, cap > 0 ? cap - 1 : 0);  // one byte kept back for the closing bracket
  w.BeginArray();
  size_t count = 0;
  const size_t scan = 4 * static_cast<size_t>(config_.max_batch_readings);
  for (size_t i = 0; i < ring_.size() && i < scan && count < config_.max_batch_readings; ++i) {
    Reading& r = ring_.At(i);
    if (r.device != device) continue;
    const JsonWriter::Mark before = w.GetMark();
    WriteReading(w, r);
    if (!w.ok()) {
      w.Rewind(before);
      break;
    }
    r.in_batch = true;
    ++count;
  }
  if (count == 0) {
    out->used_ = mark;
    return;  // no room in this call: the next one
  }
  std::string_view payload;
  if (count == 1) {
    payload = std::string_view(free + 1, w.size() - 1);  // a single object, not an array
  } else {
    free[w.size()] = ']';
    payload = std::string_view(free, w.size() + 1);
  }
  out->used_ += w.size() + 1;
  NodeAction* a = Add(out, NodeActionKind::kPublish);
  a->topic = topic;
  a->payload = payload;
  a->qos = 1;
  a->retain = false;
  a->token = NextToken();
  batch_in_flight_ = true;
  batch_token_ = a->token;
  batch_sent_ms_ = clock_.uptime_ms();
}

// ---- gateway core effects ----

void GatewayUplink::OnGatewayEffects(uint32_t now_ms, const GatewayEffects& fx,
                                     UplinkActions* out) {
  Advance(now_ms);
  if (!clock_.started()) return;
  for (const CommandResult& r : fx.results) OnResult(r);
  for (const GatewayEvent& e : fx.events) {
    const int index = OutletIndex(e.address);
    Outlet* o = index >= 0 ? &outlets_[index] : nullptr;
    const size_t device = index >= 0 ? static_cast<size_t>(index) + 1 : 0;
    switch (e.kind) {
      case GatewayEventKind::kOutletOnline:
      case GatewayEventKind::kOutletOffline:
        if (o != nullptr) {
          o->online = e.kind == GatewayEventKind::kOutletOnline;
          o->reading_due = o->online;
        }
        break;
      case GatewayEventKind::kOverloadTrip:
        if (o != nullptr && (e.socket == kSocketA || e.socket == kSocketB)) {
          const int i = e.socket - 1;
          o->tripped[i] = true;
          o->reading_due = true;
          const OutletRecord* r = gateway_.FindOutlet(e.address);
          const uint16_t last = o->last_current[i];
          PublishEvent(device, "overload_trip", out, [&](JsonWriter& w) {
            w.Key("socket");
            w.String(SocketName(e.socket));
            if (r != nullptr) {
              w.Key("threshold_ma");
              w.Uint(r->status.threshold_ma);
            }
            if (last > 0) {
              w.Key("last_current_ma");
              w.Uint(last);
            }
          });
        }
        break;
      case GatewayEventKind::kSocketShed:
        PublishEvent(0, "breaker_cutoff", out, [&](JsonWriter& w) {
          w.Key("action");
          w.String("shed");
          if (o != nullptr) {
            // The outlet's uid: written as the gateway's uid + ".XX".
            constexpr char kHex[] = "0123456789ABCDEF";
            char uid[kMaxUidLength];
            size_t n = CopyText(std::string_view(uid_, uid_size_), uid, sizeof uid);
            uid[n++] = '.';
            uid[n++] = kHex[e.address >> 4];
            uid[n++] = kHex[e.address & 0x0F];
            w.Key("outlet");
            w.String(std::string_view(uid, n));
          }
          w.Key("socket");
          w.String(SocketName(e.socket));
          w.Key("breaker_ma");
          w.Uint(e.value);
          w.Key("limit_ma");
          w.Uint(gateway_.breaker_limit_ma());
        });
        break;
      case GatewayEventKind::kBreakerCutAll:
        PublishEvent(0, "breaker_cutoff", out, [&](JsonWriter& w) {
          w.Key("action");
          w.String("cut_all");
          w.Key("breaker_ma");
          w.Uint(e.value);
          w.Key("limit_ma");
          w.Uint(gateway_.breaker_limit_ma());
        });
        break;
      case GatewayEventKind::kBreakerOverload:
      case GatewayEventKind::kBreakerNormal:
        TakeReadings(e.value, true);  // the crossing shows in the data at once
        break;
      case GatewayEventKind::kRegistryStorageError: break;
    }
  }
  Service(out);
}

// ---- commands ----

void GatewayUplink::OnMessage(uint32_t now_ms, std::string_view topic, std::string_view payload,
                              UplinkActions* out) {
  Advance(now_ms);
  if (!clock_.started()) return;
  constexpr std::string_view kPrefix = "sw/d/";
  ++counters_.commands;
  if (topic.size() <= kPrefix.size() + kCommand.size() ||
      topic.substr(0, kPrefix.size()) != kPrefix ||
      topic.substr(topic.size() - kCommand.size()) != kCommand) {
    ++counters_.unanswerable;
    return;
  }
  const int device =
      FindDevice(topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kCommand.size()));
  if (device < 0) {
    ++counters_.unanswerable;  // not ours (the broker would not have sent it)
    return;
  }
  HandleCommand(static_cast<size_t>(device), payload, out);
  Pump(out);
}

void GatewayUplink::HandleCommand(size_t device, std::string_view payload, UplinkActions* out) {
  JsonMember members[kMaxCommandMembers];
  size_t count = 0;
  char id[kMaxCommandIdLength];
  size_t id_size = 0;
  if (ParseJsonObject(payload, Span<JsonMember>(members), &count) != JsonError::kOk) {
    ++counters_.unanswerable;
    return;
  }
  const Span<const JsonMember> list(members, count);
  if (!Text(FindJsonMember(list, "id"), id, sizeof id, &id_size) || id_size == 0) {
    ++counters_.unanswerable;  // no usable id: cannot be answered
    return;
  }
  const std::string_view id_view(id, id_size);
  for (size_t i = 0; i < remembered_count_; ++i) {
    const Remembered& r = remembered_[i];
    if (std::string_view(r.id, r.id_size) == id_view) {
      ++counters_.duplicates;
      if (!PublishAnswer(r, out, 0)) ++out->dropped_;
      return;
    }
  }
  for (const Job& j : jobs_) {
    if (j.active && std::string_view(j.id, j.id_size) == id_view) {
      ++counters_.duplicates;
      return;  // in progress: answered when done
    }
  }
  if (restart_pending_) {
    Answer(id_view, device, false, "restarting", nullptr, out);
    return;
  }
  char name[kMaxNameLength];
  size_t name_size = 0;
  Text(FindJsonMember(list, "name"), name, sizeof name, &name_size);
  const std::string_view command(name, name_size);
  if (const JsonMember* exp = FindJsonMember(list, "expires_at"); exp != nullptr) {
    int64_t expires_at = 0;
    int64_t now_unix = 0;
    if (exp->type == JsonType::kNumber && JsonToInt64(exp->value, &expires_at) &&
        WallTime(clock_.uptime_ms(), &now_unix) && expires_at < now_unix) {
      Answer(id_view, device, false, "expired before it arrived", nullptr, out);
      return;
    }
  }
  JsonMember params[kMaxCommandMembers];
  size_t params_count = 0;
  if (const JsonMember* p = FindJsonMember(list, "params"); p != nullptr) {
    if (p->type != JsonType::kObject ||
        ParseJsonObject(p->value, Span<JsonMember>(params), &params_count) != JsonError::kOk) {
      Answer(id_view, device, false, "params must be an object", nullptr, out);
      return;
    }
  }
  const Span<const JsonMember> plist(params, params_count);
  const JsonMember* sockets = FindJsonMember(plist, "sockets");
  const bool all_sockets = sockets == nullptr || TextEquals(sockets, "all");

  Job job;
  job.active = true;
  job.id_size = static_cast<uint8_t>(CopyText(id_view, job.id, sizeof job.id));
  job.device = static_cast<uint8_t>(device);
  if (device == 0) {
    if (command == "cut") {
      if (!all_sockets) {
        Answer(id_view, device, false, "sockets must be \"all\"", nullptr, out);
        return;
      }
      job.kind = JobKind::kCut;
      job.all_outlets = true;
      job.ops_total = static_cast<uint8_t>(2 * outlet_count_);
    } else if (command == "restart") {
      restart_token_ = NextToken();
      restart_pending_ = true;
      restart_at_ms_ = clock_.uptime_ms() + config_.restart_delay_ms;
      Answer(id_view, device, true, "restarting", nullptr, out, restart_token_);
      return;
    } else if (command == "set_breaker_limit") {
      const JsonMember* ma = FindJsonMember(plist, "ma");
      int64_t value = 0;
      char text[kMaxDetailLength + 1];
      Detail detail(text);
      if (ma == nullptr || ma->type != JsonType::kNumber || !JsonToInt64(ma->value, &value)) {
        detail.Add("set_breaker_limit needs ma");
        Answer(id_view, device, false, detail.view(), nullptr, out);
        return;
      }
      GatewayEffects fx;
      const SetLimitResult result =
          value < 0 || value > 0xFFFFFFFFll
              ? SetLimitResult::kOutOfRange
              : gateway_.SetBreakerLimit(static_cast<uint32_t>(value), &fx);
      switch (result) {
        case SetLimitResult::kOk:
          detail.Add("breaker limit ").Add(gateway_.breaker_limit_ma()).Add(" mA");
          break;
        case SetLimitResult::kOutOfRange:
          detail.Add("ma must be between ")
              .Add(CcuGateway::kMinBreakerLimitMa)
              .Add(" and ")
              .Add(CcuGateway::kMaxBreakerLimitMa);
          break;
        case SetLimitResult::kStorageFailed:
          detail.Add("setting could not be stored; the limit stays ")
              .Add(gateway_.breaker_limit_ma())
              .Add(" mA");
          break;
      }
      Answer(id_view, device, result == SetLimitResult::kOk, detail.view(), nullptr, out);
      return;
    } else if (command == "sync_outlets") {
      SyncOutlets(id_view, plist, out);
      return;
    } else {
      Answer(id_view, device, false, "unknown command", nullptr, out);
      return;
    }
  } else {
    job.address = outlets_[device - 1].address;
    if (command == "relay") {
      const JsonMember* socket = FindJsonMember(plist, "socket");
      const JsonMember* on = FindJsonMember(plist, "on");
      const bool a = TextEquals(socket, "a");
      if ((!a && !TextEquals(socket, "b")) || on == nullptr ||
          (on->type != JsonType::kTrue && on->type != JsonType::kFalse)) {
        Answer(id_view, device, false, "relay needs socket \"a\"|\"b\" and on true|false", nullptr,
               out);
        return;
      }
      job.kind = JobKind::kRelay;
      job.relay_on = on->type == JsonType::kTrue;
      job.socket_index = a ? 0 : 1;
      job.ops_total = 1;
    } else if (command == "set_threshold") {
      const JsonMember* ma = FindJsonMember(plist, "ma");
      int64_t value = 0;
      if (ma == nullptr || ma->type != JsonType::kNumber || !JsonToInt64(ma->value, &value) ||
          value < 1 || value > 65534) {
        Answer(id_view, device, false, "set_threshold needs ma between 1 and 65534", nullptr, out);
        return;
      }
      job.kind = JobKind::kThreshold;
      job.threshold_ma = static_cast<uint16_t>(value);
      job.ops_total = 1;
    } else if (command == "cut") {
      if (!all_sockets) {
        Answer(id_view, device, false, "sockets must be \"all\"", nullptr, out);
        return;
      }
      job.kind = JobKind::kCut;
      job.ops_total = 2;
    } else {
      Answer(id_view, device, false, "unknown command", nullptr, out);
      return;
    }
  }
  StartJob(job, out);
}

void GatewayUplink::SyncOutlets(std::string_view id, Span<const JsonMember> params,
                                UplinkActions* out) {
  constexpr char kHex[] = "0123456789ABCDEF";
  char text[kMaxDetailLength + 1];
  Detail detail(text);
  const auto refuse = [&]() { Answer(id, 0, false, detail.view(), nullptr, out); };
  const auto add_address = [&](uint8_t a) {
    const char digits[4] = {'0', 'x', kHex[a >> 4], kHex[a & 0x0F]};
    detail.Add(std::string_view(digits, 4));
  };

  const JsonMember* rev = FindJsonMember(params, "rev");
  int64_t revision = 0;
  if (rev == nullptr || rev->type != JsonType::kNumber || !JsonToInt64(rev->value, &revision) ||
      revision < 0 || revision > 0xFFFFFFFFll) {
    detail.Add("sync_outlets needs rev (0 to 4294967295)");
    return refuse();
  }
  const JsonMember* list = FindJsonMember(params, "outlets");
  if (list == nullptr || list->type != JsonType::kArray) {
    detail.Add("sync_outlets needs outlets (an array)");
    return refuse();
  }
  JsonMember items[kMaxOutlets + 1];
  size_t count = 0;
  const JsonError parsed = ParseJsonArray(list->value, Span<JsonMember>(items), &count);
  // `items` holds one more than the gateway takes, so that a 33rd outlet parses and is refused
  // here, before `specs` (kMaxOutlets) is filled.
  if (parsed == JsonError::kTooManyMembers || (parsed == JsonError::kOk && count > kMaxOutlets)) {
    detail.Add("more than ").Add(kMaxOutlets).Add(" outlets (the gateway's limit)");
    return refuse();
  }
  if (parsed != JsonError::kOk) {
    detail.Add("outlets is not a valid array");
    return refuse();
  }
  OutletSpec specs[kMaxOutlets];
  size_t legacy = 0;
  for (size_t i = 0; i < count; ++i) {
    JsonMember fields[kMaxCommandMembers];
    size_t n = 0;
    const auto bad = [&](std::string_view what) {
      detail.Add("outlets[").Add(i).Add("]").Add(what);
      refuse();
    };
    if (items[i].type != JsonType::kObject ||
        ParseJsonObject(items[i].value, Span<JsonMember>(fields), &n) != JsonError::kOk) {
      return bad(" must be an object of at most 8 members");
    }
    const Span<const JsonMember> f(fields, n);
    const JsonMember* address = FindJsonMember(f, "address");
    int64_t a = 0;
    if (address == nullptr || address->type != JsonType::kNumber ||
        !JsonToInt64(address->value, &a) || a < 1 || a > 254) {
      return bad(".address must be between 1 and 254");
    }
    OutletSpec& spec = specs[i];
    spec.address = static_cast<uint8_t>(a);
    if (const JsonMember* uid = FindJsonMember(f, "uid"); uid != nullptr) {
      char expected[kMaxUidLength];
      size_t e = CopyText(std::string_view(uid_, uid_size_), expected, sizeof expected - 3);
      expected[e++] = '.';
      expected[e++] = kHex[spec.address >> 4];
      expected[e++] = kHex[spec.address & 0x0F];
      if (!TextEquals(uid, std::string_view(expected, e))) {
        return bad(".uid is not this gateway's uid and address");
      }
    }
    if (const JsonMember* protocol = FindJsonMember(f, "protocol"); protocol != nullptr) {
      int64_t p = 0;
      if (protocol->type != JsonType::kNumber || !JsonToInt64(protocol->value, &p) ||
          (p != 1 && p != 2)) {
        return bad(".protocol must be 1 (legacy) or 2");
      }
      spec.legacy = p == 1;
      if (spec.legacy) ++legacy;
    }
    constexpr std::string_view kPriority[2] = {"priority_a", "priority_b"};
    for (int k = 0; k < 2; ++k) {
      const JsonMember* m = FindJsonMember(f, kPriority[k]);
      if (m == nullptr) continue;
      int64_t p = 0;
      if (m->type != JsonType::kNumber || !JsonToInt64(m->value, &p) || p < 0 || p > 255) {
        return bad(k == 0 ? ".priority_a must be between 0 and 255"
                          : ".priority_b must be between 0 and 255");
      }
      spec.priority_given[k] = true;
      spec.shed_priority[k] = static_cast<uint8_t>(p);
    }
  }

  GatewayEffects fx;
  uint8_t bad_address = 0;
  const RegistryResult result = gateway_.ApplyRegistry(
      static_cast<uint32_t>(revision), Span<const OutletSpec>(specs, count), &fx, &bad_address);
  switch (result) {
    case RegistryResult::kOk:
      detail.Add("outlets rev ").Add(gateway_.registry_revision()).Add(" applied: ");
      detail.Add(gateway_.outlet_count()).Add(" outlets");
      if (legacy > 0) detail.Add(" (").Add(legacy).Add(" legacy)");
      break;
    case RegistryResult::kTooMany:
      detail.Add("more than ").Add(kMaxOutlets).Add(" outlets (the gateway's limit)");
      break;
    case RegistryResult::kBadAddress:
      detail.Add("address ");
      add_address(bad_address);
      detail.Add(" is reserved or the gateway's own");
      break;
    case RegistryResult::kDuplicateAddress:
      detail.Add("address ");
      add_address(bad_address);
      detail.Add(" is listed twice");
      break;
    case RegistryResult::kStale:
      detail.Add("rev ")
          .Add(static_cast<uint64_t>(revision))
          .Add(" is older than the applied rev ");
      detail.Add(gateway_.registry_revision());
      break;
    case RegistryResult::kStorageFailed:
      detail.Add("registry could not be stored; rev ")
          .Add(gateway_.registry_revision())
          .Add(" stays");
      break;
  }
  if (result == RegistryResult::kOk) FollowRegistry(out);
  Answer(id, 0, result == RegistryResult::kOk, detail.view(), nullptr, out);
  if (result == RegistryResult::kOk) {
    status_pending_ |= 1;  // the new outlets_rev at once, and the new outlets' subscriptions
    Service(out);
  }
}

bool GatewayUplink::StartJob(const Job& job, UplinkActions* out) {
  if (job.ops_total == 0) {
    Answer(std::string_view(job.id, job.id_size), job.device, true, "nothing to do", nullptr, out);
    return true;
  }
  for (Job& slot : jobs_) {
    if (slot.active) continue;
    slot = job;
    slot.radio_base = next_radio_id_;
    next_radio_id_ += kRadioIdsPerJob;
    if (next_radio_id_ < kRadioIdsPerJob) next_radio_id_ = 1;  // wrapped
    return true;
  }
  Answer(std::string_view(job.id, job.id_size), job.device, false,
         "gateway busy: too many commands in progress", nullptr, out);
  return false;
}

GatewayUplink::Op GatewayUplink::OpOf(const Job& job, size_t k) const {
  Op op;
  op.address = job.address;
  switch (job.kind) {
    case JobKind::kRelay:
      if (k == 0) {
        op.command = job.relay_on ? RadioCommand::kRelayOn : RadioCommand::kRelayOff;
        op.socket = static_cast<uint8_t>(job.socket_index + 1);
      } else {
        op.command = RadioCommand::kStatus;
      }
      break;
    case JobKind::kThreshold:
      op.command = RadioCommand::kSetThreshold;
      WriteBe16(op.payload, job.threshold_ma);
      op.payload_size = 2;
      break;
    case JobKind::kCut:
      op.command = RadioCommand::kRelayOff;
      op.socket = static_cast<uint8_t>(k % 2 + 1);
      if (job.all_outlets) {
        op.address = k / 2 < outlet_count_ ? outlets_[k / 2].address : 0;
      }
      break;
  }
  return op;
}

void GatewayUplink::Pump(UplinkActions* out) {
  size_t in_flight = 0;
  for (const Job& j : jobs_) {
    if (j.active) in_flight += static_cast<size_t>(j.ops_submitted - j.ops_done);
  }
  for (Job& j : jobs_) {
    if (!j.active) continue;
    if (j.verifying && clock_.uptime_ms() >= j.verify_at_ms) {
      j.verifying = false;
      j.ops_total = 2;  // read the outlet's status with the socket's new current
    }
    while (j.ops_submitted < j.ops_total && in_flight < kMaxOpsInFlight) {
      const size_t k = j.ops_submitted++;
      ++in_flight;
      const Op op = OpOf(j, k);
      GatewayEffects fx;
      gateway_.SubmitCommand(j.radio_base + static_cast<uint32_t>(k), op.address, op.command,
                             op.socket, ByteSpan(op.payload, op.payload_size), &fx);
      for (const CommandResult& r : fx.results) OnResult(r);  // refused or known at once
      if (!j.active) break;
    }
  }
  for (Job& j : jobs_) {
    if (!j.active || j.verifying || j.ops_done < j.ops_total) continue;
    if (j.kind == JobKind::kRelay && j.ops_total == 1 &&
        j.first_outcome == CommandOutcome::kAcked) {
      j.verifying = true;  // wait for the outlet's next measurement, then read it
      j.verify_at_ms = clock_.uptime_ms() + config_.verify_delay_ms;
      continue;
    }
    Finish(j, out);
  }
}

void GatewayUplink::OnResult(const CommandResult& r) {
  for (Job& j : jobs_) {
    if (!j.active) continue;
    const uint32_t k = r.id - j.radio_base;
    if (k >= j.ops_submitted || (j.done_mask & (uint64_t{1} << k)) != 0) continue;
    j.done_mask |= uint64_t{1} << k;
    ++j.ops_done;
    if (k == 0) {
      j.first_outcome = r.outcome;
      j.first_reason = r.reason;
    }
    if (j.kind == JobKind::kRelay && k == 1) {
      j.status_read = r.outcome == CommandOutcome::kAcked;
      j.status = r.status;
    }
    if (r.outcome != CommandOutcome::kAcked) {
      ++j.ops_failed;
      j.fail_outcome = r.outcome;
      j.fail_reason = r.reason;
      j.fail_address = r.address;
    }
    return;
  }
}

void GatewayUplink::Finish(Job& job, UplinkActions* out) {
  job.active = false;
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (job.all_outlets || outlets_[i].address == job.address) outlets_[i].reading_due = true;
  }
  char text[kMaxDetailLength + 1];
  Detail detail(text);
  const auto failure = [&](CommandOutcome outcome, NackReason reason, uint8_t address) {
    switch (outcome) {
      case CommandOutcome::kAcked: detail.Add("ok"); break;
      case CommandOutcome::kNacked:
        detail.Add("outlet refused: ").Add(NackReasonText(reason));
        break;
      case CommandOutcome::kTimedOut: {
        constexpr char kHex[] = "0123456789ABCDEF";
        const char suffix[3] = {'.', kHex[address >> 4], kHex[address & 0x0F]};
        detail.Add("no answer from outlet ")
            .Add(std::string_view(uid_, uid_size_))
            .Add(std::string_view(suffix, 3))
            .Add(" on the radio");
        break;
      }
      case CommandOutcome::kRejected:
        detail.Add("gateway queue full or outlet not registered");
        break;
    }
  };
  const std::string_view id(job.id, job.id_size);
  switch (job.kind) {
    case JobKind::kRelay: {
      if (job.first_outcome != CommandOutcome::kAcked) {
        failure(job.first_outcome, job.first_reason, job.address);
        Answer(id, job.device, false, detail.view(), nullptr, out);
        return;
      }
      detail.Add("relay ")
          .Add(SocketName(static_cast<uint8_t>(job.socket_index + 1)))
          .Add(job.relay_on ? " on" : " off");
      if (!job.status_read) {
        detail.Add(" (current not measured: status not read)");
        Answer(id, job.device, true, detail.view(), nullptr, out);
        return;
      }
      const uint16_t current = job.status.current_ma[job.socket_index];
      if (job.relay_on && job.status.tripped[job.socket_index]) {
        detail.Add(": the socket tripped (overload above ")
            .Add(job.status.threshold_ma)
            .Add(" mA)");
        Answer(id, job.device, false, detail.view(), &current, out);
        return;
      }
      Answer(id, job.device, true, detail.view(), &current, out);
      return;
    }
    case JobKind::kThreshold:
      if (job.first_outcome == CommandOutcome::kAcked) {
        detail.Add("threshold set");
      } else {
        failure(job.first_outcome, job.first_reason, job.address);
      }
      Answer(id, job.device, job.first_outcome == CommandOutcome::kAcked, detail.view(), nullptr,
             out);
      return;
    case JobKind::kCut:
      if (job.ops_failed == 0) {
        detail.Add("switched off ").Add(job.ops_total).Add(" sockets");
      } else {
        detail.Add(job.ops_failed)
            .Add(" of ")
            .Add(job.ops_total)
            .Add(" sockets not switched off: ");
        failure(job.fail_outcome, job.fail_reason, job.fail_address);
      }
      Answer(id, job.device, job.ops_failed == 0, detail.view(), nullptr, out);
      return;
  }
}

void GatewayUplink::Answer(std::string_view id, size_t device, bool ok, std::string_view detail,
                           const uint16_t* current_ma, UplinkActions* out, uint32_t token) {
  Remembered& r = remembered_[remembered_next_];
  r = Remembered();
  r.id_size = static_cast<uint8_t>(CopyText(id, r.id, sizeof r.id));
  r.device = static_cast<uint8_t>(device);
  r.ok = ok;
  r.has_current = current_ma != nullptr;
  r.current_ma = current_ma != nullptr ? *current_ma : 0;
  CopyText(detail, r.detail, kMaxDetailLength);
  remembered_next_ = (remembered_next_ + 1) % kRememberedCommands;
  if (remembered_count_ < kRememberedCommands) ++remembered_count_;
  ++counters_.answered;
  // Not sent (offline, or no room): the server sends the command again and gets this answer.
  if (!PublishAnswer(r, out, token) && connected_) ++out->dropped_;
}

bool GatewayUplink::PublishAnswer(const Remembered& r, UplinkActions* out, uint32_t token) {
  if (!connected_) return false;
  return Publish(out, r.device, kResult, false, token, [&](JsonWriter& w) {
    w.BeginObject();
    w.Key("id");
    w.String(std::string_view(r.id, r.id_size));
    w.Key("ok");
    w.Bool(r.ok);
    if (r.detail[0] != '\0') {
      w.Key("detail");
      w.String(std::string_view(r.detail));
    }
    if (r.has_current) {
      w.Key("current_ma");
      w.Uint(r.current_ma);
    }
    w.EndObject();
  });
}

}  // namespace sw::fw
