// CCU gateway core: see fw/ccu_gateway.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/ccu_gateway.h"

namespace sw::fw {

namespace {

// Registry formats (little-endian):
// v1: version, count, count * (address, priority a, priority b)
// v2: version, count, breaker limit u32, count * (address, priority a, priority b)
// v3: version, count, breaker limit u32, revision u32, legacy mask u32 (bit i: entry i is a
//     v1 outlet), count * (address, priority a, priority b)
constexpr uint8_t kRegistryV1 = 1;
constexpr uint8_t kRegistryV2 = 2;
constexpr uint8_t kRegistryV3 = 3;
constexpr size_t kV3Header = 14;
static_assert(kV3Header + 3 * CcuGateway::kMaxOutlets <= ConfigStore::kMaxPayload,
              "the registry must fit one ConfigStore slot");
static_assert(CcuGateway::kMaxOutlets <= 32, "the legacy mask is 32 bits");

bool Elapsed(uint32_t now_ms, uint32_t since_ms, uint32_t duration_ms) {
  return static_cast<uint32_t>(now_ms - since_ms) >= duration_ms;
}

bool IsQuery(RadioCommand c) {
  return c == RadioCommand::kStatus || c == RadioCommand::kReadCurrent;
}

int IndexOf(uint8_t socket) {
  return socket == kSocketA ? 0 : (socket == kSocketB ? 1 : -1);
}

}  // namespace

CcuGateway::CcuGateway(const GatewayConfig& config, ConfigStore* store)
    : config_(config), store_(store) {}

void CcuGateway::Emit(GatewayEffects* fx, GatewayEventKind kind, uint8_t address, uint8_t socket,
                      uint32_t value) {
  GatewayEvent e;
  e.kind = kind;
  e.address = address;
  e.socket = socket;
  e.value = value;
  fx->events.PushBack(e);
}

void CcuGateway::Boot(uint32_t now_ms, GatewayEffects* fx) {
  (void)now_ms;
  (void)fx;
  outlet_count_ = 0;
  registry_revision_ = 0;
  if (store_ == nullptr) return;
  uint8_t bytes[ConfigStore::kMaxPayload];
  size_t size = 0;
  if (store_->Load(MutableByteSpan(bytes), &size) != ConfigStore::LoadResult::kLoaded) return;
  if (size < 2 || bytes[0] < kRegistryV1 || bytes[0] > kRegistryV3) return;
  const size_t header = bytes[0] == kRegistryV3 ? kV3Header : (bytes[0] == kRegistryV2 ? 6 : 2);
  const size_t count = bytes[1];
  if (count > kMaxOutlets || size < header + 3 * count) return;
  if (bytes[0] >= kRegistryV2) {
    const uint32_t limit = ReadLe32(bytes + 2);
    if (limit >= kMinBreakerLimitMa && limit <= kMaxBreakerLimitMa) {
      config_.breaker_threshold_ma = limit;
    }
  }
  uint32_t legacy_mask = 0;
  if (bytes[0] == kRegistryV3) {
    registry_revision_ = ReadLe32(bytes + 6);
    legacy_mask = ReadLe32(bytes + 10);
  }
  for (size_t i = 0; i < count; ++i) {
    OutletRecord r;
    r.address = bytes[header + 3 * i];
    r.shed_priority[0] = bytes[header + 1 + 3 * i];
    r.shed_priority[1] = bytes[header + 2 + 3 * i];
    r.legacy = (legacy_mask >> i) & 1u;
    outlets_[outlet_count_++] = r;
  }
}

bool CcuGateway::Save(const StoredOutlet* list, size_t count, uint32_t breaker_ma,
                      uint32_t revision, GatewayEffects* fx) {
  if (store_ == nullptr) return true;
  uint8_t bytes[kV3Header + 3 * kMaxOutlets];
  uint32_t legacy_mask = 0;
  bytes[0] = kRegistryV3;
  bytes[1] = static_cast<uint8_t>(count);
  WriteLe32(bytes + 2, breaker_ma);
  WriteLe32(bytes + 6, revision);
  for (size_t i = 0; i < count; ++i) {
    bytes[kV3Header + 3 * i] = list[i].address;
    bytes[kV3Header + 1 + 3 * i] = list[i].shed_priority[0];
    bytes[kV3Header + 2 + 3 * i] = list[i].shed_priority[1];
    if (list[i].legacy) legacy_mask |= uint32_t{1} << i;
  }
  WriteLe32(bytes + 10, legacy_mask);
  if (!store_->Save(ByteSpan(bytes, kV3Header + 3 * count))) {
    Emit(fx, GatewayEventKind::kRegistryStorageError);
    return false;
  }
  return true;
}

bool CcuGateway::SaveRegistry(GatewayEffects* fx) {
  StoredOutlet list[kMaxOutlets];
  for (size_t i = 0; i < outlet_count_; ++i) {
    list[i].address = outlets_[i].address;
    list[i].shed_priority[0] = outlets_[i].shed_priority[0];
    list[i].shed_priority[1] = outlets_[i].shed_priority[1];
    list[i].legacy = outlets_[i].legacy;
  }
  return Save(list, outlet_count_, config_.breaker_threshold_ma, registry_revision_, fx);
}

RegistryResult CcuGateway::ApplyRegistry(uint32_t revision, Span<const OutletSpec> outlets,
                                         GatewayEffects* fx, uint8_t* bad_address) {
  if (outlets.size() > kMaxOutlets) return RegistryResult::kTooMany;
  for (size_t i = 0; i < outlets.size(); ++i) {
    const uint8_t a = outlets[i].address;
    if (a == 0x00 || a == 0xFF || a == config_.own_address) {
      if (bad_address != nullptr) *bad_address = a;
      return RegistryResult::kBadAddress;
    }
    for (size_t j = 0; j < i; ++j) {
      if (outlets[j].address == a) {
        if (bad_address != nullptr) *bad_address = a;
        return RegistryResult::kDuplicateAddress;
      }
    }
  }
  if (revision < registry_revision_) return RegistryResult::kStale;

  // The new registry: the outlets that stay, in their current order, then the new ones.
  const auto spec_of = [&](uint8_t address) -> const OutletSpec* {
    for (const OutletSpec& spec : outlets) {
      if (spec.address == address) return &spec;
    }
    return nullptr;
  };
  const auto merge = [](const OutletSpec& spec, const uint8_t current[2], StoredOutlet* to) {
    to->address = spec.address;
    to->legacy = spec.legacy;
    for (int k = 0; k < 2; ++k) {
      to->shed_priority[k] = spec.priority_given[k] ? spec.shed_priority[k] : current[k];
    }
  };
  StoredOutlet next[kMaxOutlets];
  size_t count = 0;
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (const OutletSpec* spec = spec_of(outlets_[i].address); spec != nullptr) {
      merge(*spec, outlets_[i].shed_priority, &next[count++]);
    }
  }
  constexpr uint8_t kDefaultPriority[2] = {128, 128};
  for (const OutletSpec& spec : outlets) {
    if (Find(spec.address) == nullptr) merge(spec, kDefaultPriority, &next[count++]);
  }
  if (!Save(next, count, config_.breaker_threshold_ma, revision, fx)) {
    return RegistryResult::kStorageFailed;
  }

  // Saved: now the same in RAM. Drop the removed outlets (keeping the others' state) ...
  size_t kept = 0;
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (spec_of(outlets_[i].address) == nullptr) {
      if (poll_cursor_ > kept) --poll_cursor_;
      continue;
    }
    if (kept != i) outlets_[kept] = outlets_[i];
    ++kept;
  }
  // ... update the ones that stay and append the new ones, in the saved order.
  for (size_t i = 0; i < count; ++i) {
    OutletRecord* r = &outlets_[i];
    if (i >= kept) {
      *r = OutletRecord();
      r->address = next[i].address;
    }
    r->shed_priority[0] = next[i].shed_priority[0];
    r->shed_priority[1] = next[i].shed_priority[1];
    if (r->legacy != next[i].legacy) {  // what was learned in the other protocol is void
      r->legacy = next[i].legacy;
      r->online = false;
      r->status_known = false;
      r->relay_known[0] = r->relay_known[1] = false;
    }
  }
  outlet_count_ = count;
  if (outlet_count_ == 0 || poll_cursor_ >= outlet_count_) poll_cursor_ = 0;
  registry_revision_ = revision;
  return RegistryResult::kOk;
}

SetLimitResult CcuGateway::SetBreakerLimit(uint32_t limit_ma, GatewayEffects* fx) {
  if (limit_ma < kMinBreakerLimitMa || limit_ma > kMaxBreakerLimitMa) {
    return SetLimitResult::kOutOfRange;
  }
  const uint32_t previous = config_.breaker_threshold_ma;
  config_.breaker_threshold_ma = limit_ma;
  if (!SaveRegistry(fx)) {
    config_.breaker_threshold_ma = previous;
    return SetLimitResult::kStorageFailed;
  }
  return SetLimitResult::kOk;
}

OutletRecord* CcuGateway::Find(uint8_t address) {
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (outlets_[i].address == address) return &outlets_[i];
  }
  return nullptr;
}

const OutletRecord* CcuGateway::FindOutlet(uint8_t address) const {
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (outlets_[i].address == address) return &outlets_[i];
  }
  return nullptr;
}

bool CcuGateway::AddOutlet(uint8_t address, uint8_t priority_a, uint8_t priority_b,
                           GatewayEffects* fx) {
  if (address == 0x00 || address == 0xFF || address == config_.own_address) return false;
  OutletRecord* r = Find(address);
  if (r == nullptr) {
    if (outlet_count_ == kMaxOutlets) return false;
    r = &outlets_[outlet_count_++];
    *r = OutletRecord();
    r->address = address;
  }
  r->shed_priority[0] = priority_a;
  r->shed_priority[1] = priority_b;
  SaveRegistry(fx);
  return true;
}

bool CcuGateway::RemoveOutlet(uint8_t address, GatewayEffects* fx) {
  for (size_t i = 0; i < outlet_count_; ++i) {
    if (outlets_[i].address != address) continue;
    for (size_t j = i + 1; j < outlet_count_; ++j) outlets_[j - 1] = outlets_[j];
    --outlet_count_;
    if (poll_cursor_ > i) --poll_cursor_;
    SaveRegistry(fx);
    return true;
  }
  return false;
}

void CcuGateway::Report(const CommandResult& result, GatewayEffects* fx) {
  fx->results.PushBack(result);
  if (result.outcome == CommandOutcome::kRejected) return;  // may succeed when resubmitted
  recent_[recent_next_] = result;
  recent_next_ = (recent_next_ + 1) % kRecentResults;
  if (recent_count_ < kRecentResults) ++recent_count_;
}

bool CcuGateway::IsKnownCommandId(uint32_t id, GatewayEffects* fx) {
  if (in_flight_.active && in_flight_.request.kind == RequestKind::kCommand &&
      in_flight_.request.id == id) {
    return true;
  }
  for (size_t i = 0; i < commands_.size(); ++i) {
    if (commands_.At(i).id == id) return true;
  }
  for (size_t i = 0; i < recent_count_; ++i) {
    if (recent_[i].id == id) {
      fx->results.PushBack(recent_[i]);  // answer again, do not execute again
      return true;
    }
  }
  return false;
}

bool CcuGateway::SubmitCommand(uint32_t id, uint8_t address, RadioCommand command, uint8_t socket,
                               ByteSpan payload, GatewayEffects* fx) {
  if (IsKnownCommandId(id, fx)) return true;
  const OutletRecord* target = Find(address);
  if (target == nullptr || payload.size() > kV2MaxPayload || commands_.full()) {
    CommandResult rejected;
    rejected.id = id;
    rejected.address = address;
    rejected.outcome = CommandOutcome::kRejected;
    Report(rejected, fx);
    return false;
  }
  Request r;
  r.kind = RequestKind::kCommand;
  r.id = id;
  r.address = address;
  r.command = command;
  r.socket = socket;
  r.payload_size = static_cast<uint8_t>(payload.size());
  for (size_t i = 0; i < payload.size(); ++i) r.payload[i] = payload[i];
  commands_.Push(r);
  return true;
}

void CcuGateway::Transmit(uint32_t now_ms, GatewayEffects* fx) {
  in_flight_.sent_ms = now_ms;
  fx->transmit.PushBack(in_flight_.frame);
}

bool CcuGateway::StartNext(uint32_t now_ms, GatewayEffects* fx) {
  Request req;
  bool have = false;
  while (!have && (!sheds_.empty() || !commands_.empty())) {
    req = !sheds_.empty() ? sheds_.Pop() : commands_.Pop();
    const OutletRecord* target = Find(req.address);
    if (target != nullptr) {
      have = true;
    } else if (req.kind == RequestKind::kCommand) {  // outlet removed while queued
      CommandResult rejected;
      rejected.id = req.id;
      rejected.address = req.address;
      rejected.outcome = CommandOutcome::kRejected;
      Report(rejected, fx);
    }
  }
  for (size_t k = 0; !have && k < outlet_count_; ++k) {
    const size_t i = (poll_cursor_ + k) % outlet_count_;
    OutletRecord& o = outlets_[i];
    if (o.polled && !Elapsed(now_ms, o.last_poll_ms, config_.poll_interval_ms)) continue;
    o.polled = true;
    o.last_poll_ms = now_ms;
    poll_cursor_ = (i + 1) % outlet_count_;
    req = Request();
    req.kind = RequestKind::kPoll;
    req.address = o.address;
    req.command = RadioCommand::kStatus;
    have = true;
  }
  if (!have) return false;

  in_flight_ = InFlight();
  in_flight_.active = true;
  in_flight_.request = req;
  in_flight_.seq = next_seq_++;
  in_flight_.attempts = 1;
  const OutletRecord* target = Find(req.address);
  if (target != nullptr && target->legacy) return StartLegacy(now_ms, fx);
  V2Frame f;
  f.target = req.address;
  f.sender = config_.own_address;
  f.seq = in_flight_.seq;
  f.command = req.command;
  f.socket = req.socket;
  f.payload_size = req.payload_size;
  for (size_t i = 0; i < req.payload_size; ++i) f.payload[i] = req.payload[i];
  in_flight_.frame = EncodeV2(f);
  Transmit(now_ms, fx);
  return true;
}

void CcuGateway::Tick(uint32_t now_ms, GatewayEffects* fx) {
  if (in_flight_.active) {
    if (in_flight_.backing_off) {
      if (Elapsed(now_ms, in_flight_.backoff_since_ms, in_flight_.backoff_ms)) {
        in_flight_.backing_off = false;
        ++in_flight_.attempts;
        Transmit(now_ms, fx);
      }
      return;
    }
    if (!Elapsed(now_ms, in_flight_.sent_ms, config_.reply_timeout_ms)) return;
    if (in_flight_.attempts < config_.max_attempts) {
      in_flight_.backing_off = true;
      in_flight_.backoff_since_ms = now_ms;
      const int doublings = in_flight_.attempts - 1 < 10 ? in_flight_.attempts - 1 : 10;
      in_flight_.backoff_ms = config_.backoff_base_ms << doublings;
      return;
    }
    if (in_flight_.legacy && in_flight_.legacy_reports != 0) {
      CompleteLegacy(now_ms, fx);  // one REPORT_DATA of each attempt lost: keep what came
    } else {
      Fail(fx);
    }
  }
  StartNext(now_ms, fx);
}

void CcuGateway::OnFrame(uint32_t now_ms, const V2Frame& frame, GatewayEffects* fx) {
  const Request& req = in_flight_.request;
  bool match = in_flight_.active && !in_flight_.legacy && frame.target == config_.own_address &&
               frame.seq == in_flight_.seq;
  if (match) {
    const bool is_ack = frame.command == RadioCommand::kAck;
    const bool is_nack = frame.command == RadioCommand::kNack;
    const bool echoes =
        frame.payload_size >= 2 && frame.payload[0] == static_cast<uint8_t>(req.command);
    const bool report = IsQuery(req.command) && frame.command == RadioCommand::kStatusReport;
    match = report || ((is_ack || is_nack) && echoes);
    // The ACK of SET_DEVICE_ID comes from the new address; everything else from the target.
    const bool from_new_address = req.command == RadioCommand::kSetDeviceId && is_ack &&
                                  req.payload_size == 1 && frame.sender == req.payload[0];
    match = match && (frame.sender == req.address || from_new_address);
  }
  if (!match) {
    ++stray_frames_;
    return;
  }
  Complete(now_ms, frame, fx);
}

void CcuGateway::Complete(uint32_t now_ms, const V2Frame& reply, GatewayEffects* fx) {
  const Request req = in_flight_.request;
  in_flight_.active = false;
  CommandResult result;
  result.id = req.id;
  result.address = req.address;
  result.outcome =
      reply.command == RadioCommand::kNack ? CommandOutcome::kNacked : CommandOutcome::kAcked;
  if (reply.command == RadioCommand::kNack)
    result.reason = static_cast<NackReason>(reply.payload[1]);

  OutletRecord* o = Find(req.address);
  if (o != nullptr) {
    o->failures = 0;
    o->last_seen_ms = now_ms;
    if (!o->online) {
      o->online = true;
      Emit(fx, GatewayEventKind::kOutletOnline, o->address);
    }
    OutletStatus s = o->status;
    bool updated = false;
    if (reply.command == RadioCommand::kStatusReport) {
      updated = DecodeStatusPayload(reply, &s);
    } else if (reply.command == RadioCommand::kAck) {
      DecodeStatusFlags(reply.payload[1], &s);
      updated = true;
    }
    if (updated) {
      for (int i = 0; i < 2; ++i) {
        const bool was_tripped = o->status_known && o->status.tripped[i];
        if (s.tripped[i] && !was_tripped) {
          Emit(fx, GatewayEventKind::kOverloadTrip, o->address, static_cast<uint8_t>(i + 1));
        }
      }
      o->status = s;
      o->status_known = true;
    }
    result.status = o->status;
    if (reply.command == RadioCommand::kAck) {
      const int i = IndexOf(req.socket);
      if (req.command == RadioCommand::kRelayOn && i >= 0) o->shed[i] = false;
      if (req.command == RadioCommand::kSetDeviceId && req.payload_size == 1 &&
          Find(req.payload[0]) == nullptr) {
        o->address = req.payload[0];
        SaveRegistry(fx);
      }
    }
  }
  if (req.kind == RequestKind::kCommand) Report(result, fx);
}

void CcuGateway::Fail(GatewayEffects* fx) {
  const Request req = in_flight_.request;
  in_flight_.active = false;
  OutletRecord* o = Find(req.address);
  if (o != nullptr) {
    if (o->failures < 0xFF) ++o->failures;
    if (o->online && o->failures >= config_.offline_after_failures) {
      o->online = false;
      Emit(fx, GatewayEventKind::kOutletOffline, o->address);
    }
    const int i = IndexOf(req.socket);
    if (req.kind == RequestKind::kShed && i >= 0) o->shed[i] = false;  // may still be on
  }
  if (req.kind == RequestKind::kCommand) {
    CommandResult result;
    result.id = req.id;
    result.address = req.address;
    result.outcome = CommandOutcome::kTimedOut;
    if (o != nullptr) result.status = o->status;
    Report(result, fx);
  }
}

void CcuGateway::OnBreakerCurrent(uint32_t now_ms, uint32_t breaker_ma, GatewayEffects* fx) {
  breaker_ma_ = breaker_ma;
  if (breaker_ma <= config_.breaker_threshold_ma) {
    if (breaker_over_) {
      breaker_over_ = false;
      cut_all_done_ = false;
      shed_started_ = false;
      Emit(fx, GatewayEventKind::kBreakerNormal, 0, kSocketNone, breaker_ma);
    }
    return;
  }
  if (!breaker_over_) {
    breaker_over_ = true;
    Emit(fx, GatewayEventKind::kBreakerOverload, 0, kSocketNone, breaker_ma);
  }
  PlanShedding(now_ms, fx);
}

void CcuGateway::PlanShedding(uint32_t now_ms, GatewayEffects* fx) {
  if (!sheds_.empty() || (in_flight_.active && in_flight_.request.kind == RequestKind::kShed)) {
    return;  // a shed is still on its way
  }
  if (shed_started_ && !Elapsed(now_ms, last_shed_ms_, config_.shed_settle_ms)) return;

  OutletRecord* best = nullptr;
  int best_socket = -1;
  for (size_t k = 0; k < outlet_count_; ++k) {
    OutletRecord& o = outlets_[k];
    if (!o.online || !o.status_known) continue;
    for (int i = 0; i < 2; ++i) {
      if (!o.status.relay_on[i] || o.shed[i] || o.status.tripped[i]) continue;
      bool better = best == nullptr;
      if (!better) {
        const uint8_t p = o.shed_priority[i];
        const uint8_t bp = best->shed_priority[best_socket];
        const uint16_t c = o.status.current_ma[i];
        const uint16_t bc = best->status.current_ma[best_socket];
        better = p < bp || (p == bp && (c > bc || (c == bc && o.address < best->address)));
      }
      if (better) {
        best = &o;
        best_socket = i;
      }
    }
  }
  Request r;
  r.kind = RequestKind::kShed;
  r.command = RadioCommand::kRelayOff;
  if (best != nullptr) {
    r.address = best->address;
    r.socket = static_cast<uint8_t>(best_socket + 1);
    sheds_.Push(r);
    best->shed[best_socket] = true;
    shed_started_ = true;
    last_shed_ms_ = now_ms;
    Emit(fx, GatewayEventKind::kSocketShed, best->address, r.socket, breaker_ma_);
    return;
  }
  if (cut_all_done_) return;
  cut_all_done_ = true;
  shed_started_ = true;
  last_shed_ms_ = now_ms;
  Emit(fx, GatewayEventKind::kBreakerCutAll, 0, kSocketNone, breaker_ma_);
  for (size_t k = 0; k < outlet_count_; ++k) {
    for (int i = 0; i < 2; ++i) {
      r.address = outlets_[k].address;
      r.socket = static_cast<uint8_t>(i + 1);
      outlets_[k].shed[i] = true;
      sheds_.Push(r);  // capacity is 2 per outlet: never full here
    }
  }
}

}  // namespace sw::fw
