// Pit sensor node core: see fw/sensor_node.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/sensor_node.h"

#include "fw/text.h"

namespace sw::fw {

namespace {

constexpr uint8_t kSettingsVersion = 1;
constexpr size_t kSettingsHeader = 7;  // version, flags, interval u32, restart id length
constexpr uint8_t kFlagDisabled = 0x01;
constexpr uint16_t kIdentifyBlinkMs = 400;
constexpr size_t kMinPayloadBytes = 512;
constexpr size_t kMaxCommandMembers = 8;
constexpr size_t kMaxNameLength = 24;

constexpr std::string_view kTelemetry = kTopicTelemetry;
constexpr std::string_view kStatus = kTopicStatus;
constexpr std::string_view kEvent = kTopicEvent;
constexpr std::string_view kCommand = kTopicCommand;
constexpr std::string_view kResult = kTopicResult;

// A command result's reason.
class Detail : public TextBuilder {
 public:
  explicit Detail(char* out) : TextBuilder(out, SensorNode::kMaxDetailLength) {}
};

}  // namespace

SensorNode::SensorNode(const SensorNodeConfig& config, ConfigStore* store)
    : config_(config), store_(store) {
  bool uid_ok = !config.uid.empty() && config.uid.size() <= kMaxUidLength;
  for (char c : config.uid) uid_ok = uid_ok && ValidUidChar(c);
  const bool version_ok = ValidVersionText(config.firmware_version, sizeof version_);
  valid_ = uid_ok && version_ok && config.min_interval_s >= 1 &&
           config.min_interval_s <= config.max_interval_s;
  uid_size_ = uid_ok ? CopyText(config.uid, uid_, sizeof uid_) : 0;
  version_size_ = version_ok ? CopyText(config.firmware_version, version_, sizeof version_) : 0;
  config_.uid = std::string_view(uid_, uid_size_);
  config_.firmware_version = std::string_view(version_, version_size_);
  if (config_.max_payload_bytes < kMinPayloadBytes) config_.max_payload_bytes = kMinPayloadBytes;
  if (config_.max_payload_bytes > NodeActions::kMaxPayloadBytes) {
    config_.max_payload_bytes = NodeActions::kMaxPayloadBytes;
  }
  if (config_.max_batch_readings == 0) config_.max_batch_readings = 1;
  if (config_.reconnect_min_ms == 0) config_.reconnect_min_ms = 1;
  if (config_.reconnect_max_ms < config_.reconnect_min_ms) {
    config_.reconnect_max_ms = config_.reconnect_min_ms;
  }
  jitter_state_ = config.jitter_seed != 0 ? config.jitter_seed : 1;
  interval_s_ = config_.default_interval_s;
}

// ---- time ----

// ---- settings ----

void SensorNode::LoadSettings() {
  interval_s_ = config_.default_interval_s;
  disabled_ = false;
  restart_id_size_ = 0;
  if (store_ == nullptr) return;
  uint8_t bytes[ConfigStore::kMaxPayload];
  size_t size = 0;
  if (store_->Load(MutableByteSpan(bytes), &size) != ConfigStore::LoadResult::kLoaded) return;
  if (size < kSettingsHeader || bytes[0] != kSettingsVersion) return;
  const size_t id_size = bytes[6];
  if (id_size > kMaxCommandIdLength || kSettingsHeader + id_size > size) return;
  const uint32_t interval = ReadLe32(bytes + 2);
  if (interval >= config_.min_interval_s && interval <= config_.max_interval_s) {
    interval_s_ = interval;
  }
  disabled_ = (bytes[1] & kFlagDisabled) != 0;
  for (size_t i = 0; i < id_size; ++i)
    restart_id_[i] = static_cast<char>(bytes[kSettingsHeader + i]);
  restart_id_size_ = id_size;
}

bool SensorNode::SaveSettings(uint32_t interval_s, bool disabled, std::string_view restart_id) {
  if (restart_id.size() > kMaxCommandIdLength) return false;
  if (store_ != nullptr) {
    uint8_t bytes[kSettingsHeader + kMaxCommandIdLength];
    bytes[0] = kSettingsVersion;
    bytes[1] = disabled ? kFlagDisabled : 0;
    WriteLe32(bytes + 2, interval_s);
    bytes[6] = static_cast<uint8_t>(restart_id.size());
    for (size_t i = 0; i < restart_id.size(); ++i) {
      bytes[kSettingsHeader + i] = static_cast<uint8_t>(restart_id[i]);
    }
    if (!store_->Save(ByteSpan(bytes, kSettingsHeader + restart_id.size()))) return false;
  }
  if (restart_id.data() != restart_id_) {
    restart_id_size_ = CopyText(restart_id, restart_id_, sizeof restart_id_);
  }
  return true;
}

// ---- actions ----

NodeAction* SensorNode::Add(NodeActions* out, NodeActionKind kind) {
  if (out->list_.full()) {
    ++out->dropped_;
    return nullptr;
  }
  NodeAction a;
  a.kind = kind;
  out->list_.PushBack(a);
  return &out->list_[out->list_.size() - 1];
}

std::string_view SensorNode::AppendTopic(NodeActions* out, std::string_view suffix) {
  constexpr std::string_view kPrefix = "sw/d/";
  const size_t n = kPrefix.size() + uid_size_ + suffix.size();
  if (NodeActions::kTextBytes - out->used_ < n) return std::string_view();
  char* p = out->text_ + out->used_;
  size_t at = 0;
  for (char c : kPrefix) p[at++] = c;
  for (size_t i = 0; i < uid_size_; ++i) p[at++] = uid_[i];
  for (char c : suffix) p[at++] = c;
  out->used_ += n;
  return std::string_view(p, n);
}

template <typename Build>
bool SensorNode::Publish(NodeActions* out, std::string_view suffix, uint8_t qos, bool retain,
                         uint32_t token, Build&& build) {
  if (out->list_.full()) {
    ++out->dropped_;
    return false;
  }
  const size_t mark = out->used_;
  const std::string_view topic = AppendTopic(out, suffix);
  char* free = out->text_ + out->used_;
  JsonWriter w(free, NodeActions::kTextBytes - out->used_);
  build(w);
  if (topic.empty() || !w.ok()) {
    out->used_ = mark;
    ++out->dropped_;
    return false;
  }
  out->used_ += w.size();
  NodeAction* a = Add(out, NodeActionKind::kPublish);
  a->topic = topic;
  a->payload = std::string_view(free, w.size());
  a->qos = qos;
  a->retain = retain;
  a->token = token;
  return true;
}

uint32_t SensorNode::NextToken() {
  const uint32_t token = next_token_++;
  if (next_token_ == 0) next_token_ = 1;
  return token;
}

bool SensorNode::SetLed(NodeLed led, uint16_t period_ms, NodeActions* out) {
  NodeAction* a = Add(out, NodeActionKind::kSetLed);
  if (a == nullptr) return false;
  a->led = led;
  a->led_period_ms = period_ms;
  return true;
}

// ---- lifecycle ----

void SensorNode::Boot(uint32_t now_ms, NodeActions* out) {
  clock_.Restart(now_ms);
  LoadSettings();
  remembered_count_ = remembered_next_ = 0;
  if (restart_id_size_ > 0) {
    // The restart that caused this boot: a re-send is answered, not executed again.
    Outcome done;
    Detail(done.detail).Add("restarted");
    Remember(std::string_view(restart_id_, restart_id_size_), done);
  }
  next_report_ms_ = static_cast<uint64_t>(interval_s_) * 1000;
  last_report_ms_ = 0;
  next_connect_ms_ = 0;
  Service(out);
}

void SensorNode::Tick(uint32_t now_ms, NodeActions* out) {
  Advance(now_ms);
  Service(out);
}

void SensorNode::Service(NodeActions* out) {
  if (!clock_.started()) return;
  if (restart_pending_ && clock_.uptime_ms() >= restart_at_ms_) {
    if (Add(out, NodeActionKind::kReboot) != nullptr) restart_pending_ = false;
    return;
  }
  if (identify_active_ && clock_.uptime_ms() >= identify_until_ms_ &&
      SetLed(NodeLed::kOff, 0, out)) {
    identify_active_ = false;
  }
  if (connecting_ && clock_.uptime_ms() - connect_started_ms_ >= config_.connect_timeout_ms) {
    connecting_ = false;
    ScheduleReconnect();
  }
  if (valid_ && !connected_ && !connecting_ && clock_.uptime_ms() >= next_connect_ms_) {
    const size_t mark = out->used_;
    const std::string_view will_topic = AppendTopic(out, kStatus);
    char* free = out->text_ + out->used_;
    JsonWriter w(free, NodeActions::kTextBytes - out->used_);
    w.BeginObject();
    w.Key("online");
    w.Bool(false);
    w.EndObject();
    NodeAction* a = (!will_topic.empty() && w.ok()) ? Add(out, NodeActionKind::kConnect) : nullptr;
    if (a == nullptr) {
      out->used_ = mark;
    } else {
      out->used_ += w.size();
      a->topic = will_topic;
      a->payload = std::string_view(free, w.size());
      a->qos = 1;
      a->retain = true;
      connecting_ = true;
      connect_started_ms_ = clock_.uptime_ms();
    }
  }
  if (!disabled_ && clock_.uptime_ms() >= next_report_ms_) {
    TakeReading();
    const uint64_t interval_ms = static_cast<uint64_t>(interval_s_) * 1000;
    next_report_ms_ += interval_ms;
    if (next_report_ms_ <= clock_.uptime_ms())
      next_report_ms_ = clock_.uptime_ms() + interval_ms;  // fell behind
  }
  if (batch_in_flight_ && clock_.uptime_ms() - batch_sent_ms_ >= config_.ack_timeout_ms) {
    batch_in_flight_ = false;  // the readings are still in the ring: sent again below
  }
  if (connected_ && (status_dirty_ || clock_.uptime_ms() >= next_status_ms_)) PublishStatus(out);
  Flush(out);
}

void SensorNode::ScheduleReconnect() {
  const uint64_t doubled = static_cast<uint64_t>(backoff_ms_) * 2;
  backoff_ms_ = backoff_ms_ == 0
                    ? config_.reconnect_min_ms
                    : (doubled < config_.reconnect_max_ms ? static_cast<uint32_t>(doubled)
                                                          : config_.reconnect_max_ms);
  // xorshift32: deterministic per node, different between nodes.
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 17;
  jitter_state_ ^= jitter_state_ << 5;
  const uint32_t jitter = jitter_state_ % (backoff_ms_ / 4 + 1);
  next_connect_ms_ = clock_.uptime_ms() + backoff_ms_ + jitter;
}

void SensorNode::OnConnected(uint32_t now_ms, const NodeLinkInfo& link, NodeActions* out) {
  Advance(now_ms);
  connected_ = true;
  connecting_ = false;
  backoff_ms_ = 0;
  batch_in_flight_ = false;
  ip_size_ = CopyText(link.ip, ip_, sizeof ip_);
  has_rssi_ = link.has_rssi;
  rssi_ = link.rssi;
  const size_t mark = out->used_;
  const std::string_view topic = AppendTopic(out, kCommand);
  NodeAction* a = topic.empty() ? nullptr : Add(out, NodeActionKind::kSubscribe);
  if (a == nullptr) {
    out->used_ = mark;
  } else {
    a->topic = topic;
    a->qos = 1;
  }
  PublishStatus(out);
  if (!boot_event_sent_) PublishBootEvent(out);
  Flush(out);
}

void SensorNode::OnDisconnected(uint32_t now_ms, NodeActions* out) {
  (void)out;
  Advance(now_ms);
  connected_ = false;
  connecting_ = false;
  batch_in_flight_ = false;  // unacknowledged readings stay in the ring
  ScheduleReconnect();
}

void SensorNode::PublishStatus(NodeActions* out) {
  const bool sent = Publish(out, kStatus, 1, true, 0, [&](JsonWriter& w) {
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
    w.Key("interval_s");
    w.Uint(interval_s_);
    w.Key("disabled");
    w.Bool(disabled_);
    w.EndObject();
  });
  if (sent) {
    status_dirty_ = false;
    next_status_ms_ = clock_.uptime_ms() + config_.status_interval_ms;
  }
}

void SensorNode::PublishBootEvent(NodeActions* out) {
  boot_event_sent_ = Publish(out, kEvent, 1, false, 0, [&](JsonWriter& w) {
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
}

// ---- sensors and readings ----

void SensorNode::OnDht22(uint32_t now_ms, const Dht22Reading& reading) {
  Advance(now_ms);
  dht_value_ = reading;
  dht_.fresh = true;
  dht_.at_ms = clock_.uptime_ms();
}

bool SensorNode::OnDht22Frame(uint32_t now_ms, ByteSpan frame) {
  Dht22Reading r;
  if (DecodeDht22(frame, &r) != Dht22Error::kOk) {
    ++sensor_errors_;
    return false;
  }
  OnDht22(now_ms, r);
  return true;
}

void SensorNode::OnPms5003(uint32_t now_ms, const Pms5003Reading& reading) {
  Advance(now_ms);
  pms_value_ = reading;
  pms_.fresh = true;
  pms_.at_ms = clock_.uptime_ms();
}

void SensorNode::OnPms5003Bytes(uint32_t now_ms, ByteSpan uart_bytes) {
  Pms5003Reading r;
  for (uint8_t b : uart_bytes) {
    if (pms_parser_.Push(b, &r)) OnPms5003(now_ms, r);
  }
}

bool SensorNode::OnBme680(uint32_t now_ms, const Bme680Reading& reading) {
  Advance(now_ms);
  if (reading.temperature_cdeg < -4000 || reading.temperature_cdeg > 8500 ||
      reading.humidity_mpct > 100000 || reading.pressure_pa < 30000 ||
      reading.pressure_pa > 110000) {
    ++sensor_errors_;
    return false;
  }
  bme_value_ = reading;
  bme_.fresh = true;
  bme_.at_ms = clock_.uptime_ms();
  if (reading.gas_ohm > 0) {
    iaq_value_ = iaq_.Update(static_cast<float>(reading.gas_ohm),
                             static_cast<float>(reading.humidity_mpct) / 1000.0f);
  }
  return true;
}

void SensorNode::TakeReading() {
  NodeReading r;
  r.taken_ms = clock_.uptime_ms();
  if (bme_.fresh) {
    r.present |= NodeReading::kTemperature | NodeReading::kHumidity | NodeReading::kPressure;
    r.temperature_cdeg = static_cast<int16_t>(bme_value_.temperature_cdeg);
    r.humidity_cpct = static_cast<uint16_t>((bme_value_.humidity_mpct + 5) / 10);
    r.pressure_pa = bme_value_.pressure_pa;
    if (bme_value_.gas_ohm > 0) {
      r.present |= NodeReading::kGas | NodeReading::kIaq;
      r.gas_ohm = bme_value_.gas_ohm;
      float iaq = iaq_value_.iaq * 10.0f + 0.5f;
      if (!(iaq >= 0.0f)) iaq = 0.0f;
      if (iaq > 5000.0f) iaq = 5000.0f;
      r.iaq_d = static_cast<uint16_t>(iaq);
      r.iaq_accuracy = iaq_value_.accuracy;
    }
  } else if (dht_.fresh) {
    r.present |= NodeReading::kTemperature | NodeReading::kHumidity;
    r.temperature_cdeg = static_cast<int16_t>(dht_value_.temperature_dc * 10);
    r.humidity_cpct = static_cast<uint16_t>(dht_value_.humidity_dpct * 10);
  }
  if (pms_.fresh) {
    r.present |= NodeReading::kPm | NodeReading::kParticles;
    r.pm[0] = pms_value_.pm1;
    r.pm[1] = pms_value_.pm25;
    r.pm[2] = pms_value_.pm10;
    r.particles[0] = pms_value_.particles_03um;
    r.particles[1] = pms_value_.particles_05um;
    r.particles[2] = pms_value_.particles_10um;
    r.particles[3] = pms_value_.particles_25um;
    r.particles[4] = pms_value_.particles_50um;
    r.particles[5] = pms_value_.particles_100um;
  }
  dht_.fresh = pms_.fresh = bme_.fresh = false;
  last_report_ms_ = clock_.uptime_ms();
  if (r.present != 0) Buffer(r);
}

void SensorNode::Buffer(const NodeReading& reading) {
  if (ring_.full()) {
    ring_.Pop();
    ++dropped_readings_;
    // The dropped reading was the oldest: if a batch is in flight it was one of its.
    if (batch_in_flight_ && batch_count_ > 0) --batch_count_;
  }
  ring_.Push(reading);
}

void SensorNode::WriteReading(JsonWriter& w, const NodeReading& r) const {
  static constexpr std::string_view kPmNames[3] = {"pm1", "pm25", "pm10"};
  static constexpr std::string_view kParticleNames[6] = {"particles_03um", "particles_05um",
                                                         "particles_10um", "particles_25um",
                                                         "particles_50um", "particles_100um"};
  w.BeginObject();
  int64_t ts = 0;
  if (WallTime(r.taken_ms, &ts)) {
    w.Key("ts");
    w.Int(ts);
  }
  w.Key("values");
  w.BeginObject();
  if (r.present & NodeReading::kTemperature) {
    w.Key("temperature");
    w.Decimal(r.temperature_cdeg, 2);
  }
  if (r.present & NodeReading::kHumidity) {
    w.Key("humidity");
    w.Decimal(r.humidity_cpct, 2);
  }
  if (r.present & NodeReading::kPressure) {
    w.Key("pressure");
    w.Decimal(r.pressure_pa, 2);  // Pa / 100 = hPa
  }
  if (r.present & NodeReading::kGas) {
    w.Key("gas_resistance");
    w.Uint(r.gas_ohm);
  }
  if (r.present & NodeReading::kIaq) {
    w.Key("iaq");
    w.Decimal(r.iaq_d, 1);
    w.Key("iaq_accuracy");
    w.Uint(r.iaq_accuracy);
  }
  if (r.present & NodeReading::kPm) {
    for (int i = 0; i < 3; ++i) {
      w.Key(kPmNames[i]);
      w.Uint(r.pm[i]);
    }
  }
  if (r.present & NodeReading::kParticles) {
    for (int i = 0; i < 6; ++i) {
      w.Key(kParticleNames[i]);
      w.Uint(r.particles[i]);
    }
  }
  w.EndObject();
  w.EndObject();
}

void SensorNode::Flush(NodeActions* out) {
  if (!connected_ || disabled_ || batch_in_flight_ || ring_.empty()) return;
  if (out->list_.full()) return;
  const bool whole_buffer = out->used_ == 0;
  const size_t mark = out->used_;
  const std::string_view topic = AppendTopic(out, kTelemetry);
  if (topic.empty()) return;
  const size_t room = NodeActions::kTextBytes - out->used_;
  const size_t cap = room < config_.max_payload_bytes ? room : config_.max_payload_bytes;
  char* free = out->text_ + out->used_;
  // One byte is kept back for the closing bracket.
  JsonWriter w(free, cap > 0 ? cap - 1 : 0);
  w.BeginArray();
  size_t count = 0;
  while (count < ring_.size() && count < config_.max_batch_readings) {
    const JsonWriter::Mark before = w.GetMark();
    WriteReading(w, ring_.At(count));
    if (!w.ok()) {
      w.Rewind(before);
      break;
    }
    ++count;
  }
  if (count == 0) {
    out->used_ = mark;
    if (whole_buffer && cap == config_.max_payload_bytes) {
      ring_.Pop();  // cannot be sent even alone (a configuration error): drop, do not stall
      ++dropped_readings_;
    }
    return;
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
  batch_count_ = count;
  batch_sent_ms_ = clock_.uptime_ms();
}

void SensorNode::OnPublishAcked(uint32_t now_ms, uint32_t token, NodeActions* out) {
  Advance(now_ms);
  if (token == 0) return;
  if (restart_pending_ && token == restart_token_) {
    if (Add(out, NodeActionKind::kReboot) != nullptr) restart_pending_ = false;
    return;
  }
  if (batch_in_flight_ && token == batch_token_) {
    for (size_t i = 0; i < batch_count_ && !ring_.empty(); ++i) ring_.Pop();
    batch_in_flight_ = false;
    Flush(out);
  }
}

// ---- commands ----

const SensorNode::Remembered* SensorNode::FindRemembered(std::string_view id) const {
  for (size_t i = 0; i < remembered_count_; ++i) {
    const Remembered& r = remembered_[i];
    if (std::string_view(r.id, r.id_size) == id) return &r;
  }
  return nullptr;
}

void SensorNode::Remember(std::string_view id, const Outcome& outcome) {
  Remembered& r = remembered_[remembered_next_];
  r.id_size = static_cast<uint8_t>(CopyText(id, r.id, sizeof r.id));
  r.ok = outcome.ok;
  for (size_t i = 0; i < sizeof r.detail; ++i) r.detail[i] = outcome.detail[i];
  remembered_next_ = (remembered_next_ + 1) % kRememberedCommands;
  if (remembered_count_ < kRememberedCommands) ++remembered_count_;
}

void SensorNode::Answer(std::string_view id, const Outcome& outcome, NodeActions* out,
                        uint32_t token) {
  Publish(out, kResult, 1, false, token, [&](JsonWriter& w) {
    w.BeginObject();
    w.Key("id");
    w.String(id);
    w.Key("ok");
    w.Bool(outcome.ok);
    if (outcome.detail[0] != '\0') {
      w.Key("detail");
      w.String(outcome.detail);
    }
    w.EndObject();
  });
}

void SensorNode::OnCommand(uint32_t now_ms, std::string_view payload, NodeActions* out) {
  Advance(now_ms);
  JsonMember members[kMaxCommandMembers];
  size_t count = 0;
  const JsonError parsed = ParseJsonObject(payload, Span<JsonMember>(members), &count);
  const Span<const JsonMember> found(members, count);

  // Without an id there is nobody to answer: the server matches results by id.
  const JsonMember* id_member = FindJsonMember(found, "id");
  char id_buffer[kMaxCommandIdLength];
  size_t id_size = 0;
  if (id_member == nullptr || id_member->type != JsonType::kString ||
      !JsonUnescape(id_member->value, id_buffer, sizeof id_buffer, &id_size) || id_size == 0) {
    ++unanswerable_commands_;
    return;
  }
  const std::string_view id(id_buffer, id_size);
  if (const Remembered* seen = FindRemembered(id)) {
    ++duplicate_commands_;  // at-least-once delivery: answer again, do not execute again
    Outcome again;
    again.ok = seen->ok;
    for (size_t i = 0; i < sizeof again.detail; ++i) again.detail[i] = seen->detail[i];
    Answer(id, again, out, 0);
    return;
  }

  Outcome outcome;
  const JsonMember* name = FindJsonMember(found, "name");
  const JsonMember* params = FindJsonMember(found, "params");
  const JsonMember* expires = FindJsonMember(found, "expires_at");
  char name_buffer[kMaxNameLength];
  size_t name_size = 0;
  int64_t expires_at = 0;
  int64_t now_unix = 0;
  if (parsed != JsonError::kOk) {
    outcome.ok = false;
    Detail(outcome.detail).Add("malformed command");
  } else if (name == nullptr || name->type != JsonType::kString ||
             !JsonUnescape(name->value, name_buffer, sizeof name_buffer, &name_size)) {
    outcome.ok = false;
    Detail(outcome.detail).Add("malformed command: name");
  } else if (params != nullptr && params->type != JsonType::kObject &&
             params->type != JsonType::kNull) {
    outcome.ok = false;
    Detail(outcome.detail).Add("malformed command: params");
  } else if (expires != nullptr && expires->type != JsonType::kNull &&
             (expires->type != JsonType::kNumber || !JsonToInt64(expires->value, &expires_at))) {
    outcome.ok = false;
    Detail(outcome.detail).Add("malformed command: expires_at");
  } else if (expires != nullptr && expires->type == JsonType::kNumber &&
             WallTime(clock_.uptime_ms(), &now_unix) && now_unix > expires_at) {
    outcome.ok = false;
    Detail(outcome.detail).Add("expired");
  } else {
    const bool has_params = params != nullptr && params->type == JsonType::kObject;
    Execute(id, std::string_view(name_buffer, name_size),
            has_params ? params->value : std::string_view(), has_params, out, &outcome);
  }
  Remember(id, outcome);
  Answer(id, outcome, out, outcome.token);
}

void SensorNode::Execute(std::string_view id, std::string_view name, std::string_view params,
                         bool params_present, NodeActions* out, Outcome* outcome) {
  JsonMember members[kMaxCommandMembers];
  size_t count = 0;
  if (params_present &&
      ParseJsonObject(params, Span<JsonMember>(members), &count) != JsonError::kOk) {
    outcome->ok = false;
    Detail(outcome->detail).Add("malformed command: params");
    return;
  }
  const Span<const JsonMember> found(members, count);
  const std::string_view restart_id(restart_id_, restart_id_size_);

  // Reads params.seconds: absent -> `fallback` (0 = required); false if unusable.
  auto seconds = [&](uint32_t min, uint32_t max, uint32_t fallback, uint32_t* out_s) {
    const JsonMember* m = FindJsonMember(found, "seconds");
    int64_t v = 0;
    if (m == nullptr && fallback != 0) {
      *out_s = fallback;
      return true;
    }
    if (m == nullptr || m->type != JsonType::kNumber || !JsonToInt64(m->value, &v) || v < min ||
        v > max) {
      outcome->ok = false;
      Detail(outcome->detail)
          .Add("seconds must be an integer from ")
          .Add(static_cast<uint64_t>(min))
          .Add(" to ")
          .Add(static_cast<uint64_t>(max));
      return false;
    }
    *out_s = static_cast<uint32_t>(v);
    return true;
  };
  auto storage_failed = [&]() {
    outcome->ok = false;
    Detail(outcome->detail).Add("storage failed");
  };

  if (name == "disable" || name == "enable") {
    const bool disable = name == "disable";
    if (disable != disabled_ && !SaveSettings(interval_s_, disable, restart_id)) {
      storage_failed();
      return;
    }
    if (disabled_ && !disable) {
      next_report_ms_ = clock_.uptime_ms() + static_cast<uint64_t>(interval_s_) * 1000;
      dht_.fresh = pms_.fresh = bme_.fresh = false;  // nothing from before counts
    }
    if (disable != disabled_) status_dirty_ = true;
    disabled_ = disable;
    Detail(outcome->detail).Add(disable ? "disabled" : "enabled");
  } else if (name == "restart") {
    // Remembered across the reboot so that a re-sent restart does not reboot again. If the
    // id cannot be saved the node restarts anyway: the answer is acknowledged first.
    SaveSettings(interval_s_, disabled_, id);
    restart_pending_ = true;
    restart_token_ = NextToken();
    restart_at_ms_ = clock_.uptime_ms() + config_.restart_delay_ms;
    outcome->token = restart_token_;
    Detail(outcome->detail).Add("restarting");
  } else if (name == "identify") {
    uint32_t s = 0;
    if (!seconds(1, config_.identify_max_s, config_.identify_default_s, &s)) return;
    identify_active_ = true;
    identify_until_ms_ = clock_.uptime_ms() + static_cast<uint64_t>(s) * 1000;
    SetLed(NodeLed::kBlink, kIdentifyBlinkMs, out);
    Detail(outcome->detail).Add("identifying for ").Add(s).Add(" s");
  } else if (name == "set_interval") {
    uint32_t s = 0;
    if (!seconds(config_.min_interval_s, config_.max_interval_s, 0, &s)) return;
    if (s != interval_s_ && !SaveSettings(s, disabled_, restart_id)) {
      storage_failed();
      return;
    }
    if (s != interval_s_) status_dirty_ = true;
    interval_s_ = s;
    const uint64_t next = last_report_ms_ + static_cast<uint64_t>(s) * 1000;
    next_report_ms_ = next > clock_.uptime_ms() ? next : clock_.uptime_ms();
    Detail(outcome->detail).Add("interval ").Add(s).Add(" s");
  } else {
    outcome->ok = false;
    Detail(outcome->detail).Add("unknown command");
  }
}

}  // namespace sw::fw
