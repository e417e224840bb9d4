#include "model/provision.hpp"

#include <array>
#include <cstdio>

#include "fw/json.h"
#include "model/ccu.hpp"
#include "model/pit_node.hpp"
#include "model/rng.hpp"

namespace sw::sim {
namespace {

constexpr std::size_t kMaxSecret = 256;

std::string Seconds(SimTime t) {
  return std::to_string(t.count() / 1000) + "s";
}

// A member's string value, unescaped; nullopt when missing, not a string or too long.
std::optional<std::string> StringMember(fw::Span<const fw::JsonMember> members,
                                        std::string_view key, std::size_t max) {
  const fw::JsonMember* m = fw::FindJsonMember(members, key);
  if (m == nullptr || m->type != fw::JsonType::kString) return std::nullopt;
  std::string out(max, '\0');
  std::size_t size = 0;
  if (!fw::JsonUnescape(m->value, out.data(), out.size(), &size)) return std::nullopt;
  out.resize(size);
  return out;
}

}  // namespace

std::string ProvisioningAnnounceTopic(std::string_view uid) {
  return "sw/provision/" + std::string(uid) + "/announce";
}

std::string ProvisioningConfigTopic(std::string_view uid) {
  return "sw/provision/" + std::string(uid) + "/config";
}

std::optional<Announcement> AnnouncementFor(std::string_view uid, std::string_view kind) {
  Announcement a;
  a.kind = std::string(kind);
  if (kind == "sensor_node") {
    a.fw = PitNodeOptions{}.firmware;
    a.sensors = {"dht22", "pms5003", "bme680"};
  } else if (kind == "gateway") {
    a.fw = kCcuFirmwareVersion;
    a.sensors = {"sct013"};
  } else {
    return std::nullopt;
  }
  // Locally administered, unicast (02:...), stable per uid.
  const std::uint64_t h = HashSeed(uid, 0x6d6163);
  char mac[18];
  std::snprintf(mac, sizeof mac, "02:%02X:%02X:%02X:%02X:%02X", static_cast<unsigned>(h & 0xFF),
                static_cast<unsigned>((h >> 8) & 0xFF), static_cast<unsigned>((h >> 16) & 0xFF),
                static_cast<unsigned>((h >> 24) & 0xFF), static_cast<unsigned>((h >> 32) & 0xFF));
  a.mac = mac;
  return a;
}

std::string AnnouncePayload(const Announcement& announcement) {
  std::array<char, 1024> buffer{};
  fw::JsonWriter w(buffer.data(), buffer.size());
  w.BeginObject();
  w.Key("kind");
  w.String(announcement.kind);
  w.Key("mac");
  w.String(announcement.mac);
  w.Key("fw");
  w.String(announcement.fw);
  w.Key("sensors");
  w.BeginArray();
  for (const std::string& s : announcement.sensors) w.String(s);
  w.EndArray();
  w.EndObject();
  return w.ok() ? std::string(w.view()) : std::string();
}

std::optional<ProvisioningReply> ParseProvisioningReply(std::string_view payload,
                                                        std::string_view uid, std::string_view kind,
                                                        std::string* error) {
  std::array<fw::JsonMember, 16> members;
  std::size_t count = 0;
  if (fw::ParseJsonObject(payload, fw::Span<fw::JsonMember>(members.data(), members.size()),
                          &count) != fw::JsonError::kOk) {
    *error = "the reply is not a JSON object";
    return std::nullopt;
  }
  const fw::Span<const fw::JsonMember> m(members.data(), count);
  ProvisioningReply reply;
  if (const fw::JsonMember* r = fw::FindJsonMember(m, "rejected"); r != nullptr) {
    if (r->type != fw::JsonType::kTrue) {
      *error = "\"rejected\" must be true";
      return std::nullopt;
    }
    reply.rejected = true;
    return reply;
  }
  const auto got_uid = StringMember(m, "uid", 65);
  if (!got_uid || *got_uid != uid) {
    *error = "the reply is not for " + std::string(uid);
    return std::nullopt;
  }
  const auto secret = StringMember(m, "secret", kMaxSecret + 1);
  if (!secret || secret->empty() || secret->size() > kMaxSecret ||
      secret->find_first_of(" \t\r\n") != std::string::npos) {
    *error = "the reply has no usable secret";
    return std::nullopt;
  }
  // The sim logs in with username = uid; a reply naming another username is not for it.
  if (const fw::JsonMember* mqtt = fw::FindJsonMember(m, "mqtt"); mqtt != nullptr) {
    std::array<fw::JsonMember, 8> inner;
    std::size_t n = 0;
    if (mqtt->type != fw::JsonType::kObject ||
        fw::ParseJsonObject(mqtt->value, fw::Span<fw::JsonMember>(inner.data(), inner.size()),
                            &n) != fw::JsonError::kOk) {
      *error = "\"mqtt\" must be an object";
      return std::nullopt;
    }
    const auto username =
        StringMember(fw::Span<const fw::JsonMember>(inner.data(), n), "username", 65);
    if (username && *username != uid) {
      *error = "the MQTT username " + *username + " is not the uid";
      return std::nullopt;
    }
  }
  reply.credential = Credential{*got_uid, *secret, std::string(kind)};
  return reply;
}

std::string CredentialLine(const Credential& credential) {
  return credential.uid + " " + credential.secret + " " + credential.kind + "\n";
}

Provisioner::Provisioner(std::vector<ProvisionTarget> targets, SimTime timeout,
                         Transport& transport, std::function<void(const std::string&)> log)
    : timeout_(timeout), transport_(transport), log_(std::move(log)) {
  devices_.reserve(targets.size());
  for (ProvisionTarget& t : targets) {
    Slot slot;
    slot.target = std::move(t);
    devices_.push_back(std::move(slot));
  }
}

void Provisioner::Connect(Slot& slot, std::size_t client) {
  slot.retry_at = SimTime(-1);
  slot.session = true;
  slot.was_connected = false;
  LinkAction a;
  a.kind = LinkAction::Kind::kConnect;  // no will: nobody listens for a new device's death
  transport_.Execute(client, a);
}

void Provisioner::Start(SimTime now) {
  deadline_ = now + timeout_;
  for (std::size_t i = 0; i < devices_.size(); ++i) Connect(devices_[i], i);
}

void Provisioner::Advance(SimTime now) {
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    Slot& s = devices_[i];
    if (Done(s)) continue;
    if (now >= deadline_) {
      log_(s.target.uid + ": no approval within " + Seconds(timeout_) + "; giving up");
      Finish(i, State::kTimedOut);
      continue;
    }
    if (!s.session && s.retry_at >= SimTime(0) && now >= s.retry_at) Connect(s, i);
  }
}

void Provisioner::OnConnected(SimTime now, std::size_t client) {
  (void)now;
  if (client >= devices_.size()) return;
  Slot& s = devices_[client];
  if (Done(s)) return;
  s.was_connected = true;
  s.state = State::kWaiting;
  // Subscribe first: the broker handles one connection's packets in order, so the
  // subscription is in place before anyone can approve the announce.
  LinkAction sub;
  sub.kind = LinkAction::Kind::kSubscribe;
  sub.topic = ProvisioningConfigTopic(s.target.uid);
  sub.qos = 1;
  transport_.Execute(client, sub);
  LinkAction pub;
  pub.kind = LinkAction::Kind::kPublish;
  pub.topic = ProvisioningAnnounceTopic(s.target.uid);
  pub.payload = AnnouncePayload(*AnnouncementFor(s.target.uid, s.target.kind));
  pub.qos = 1;
  transport_.Execute(client, pub);
  log_(s.target.uid + ": announced as " + s.target.kind + ", waiting for an owner's approval");
}

void Provisioner::OnDisconnected(SimTime now, std::size_t client) {
  if (client >= devices_.size()) return;
  Slot& s = devices_[client];
  s.session = false;
  if (Done(s)) return;
  s.state = State::kConnecting;
  const SimTime delay = s.was_connected ? kRetryDelay : kRefusedRetryDelay;
  log_(s.target.uid +
       (s.was_connected ? ": provisioning session lost; reconnecting in "
                        : ": provisioning login failed (server down, or wrong workshop slug or "
                          "key?); retrying in ") +
       Seconds(delay));
  s.retry_at = now + delay;
}

void Provisioner::OnMessage(SimTime now, std::size_t client, std::string_view topic,
                            std::string_view payload) {
  (void)now;
  if (client >= devices_.size()) return;
  Slot& s = devices_[client];
  if (Done(s) || topic != ProvisioningConfigTopic(s.target.uid)) return;
  std::string error;
  auto reply = ParseProvisioningReply(payload, s.target.uid, s.target.kind, &error);
  if (!reply) {
    log_(s.target.uid + ": ignored a bad reply on the config topic: " + error);
    return;
  }
  if (reply->rejected) {
    log_(s.target.uid + ": rejected by the owner");
    Finish(client, State::kRejected);
    return;
  }
  s.credential = std::move(reply->credential);
  log_(s.target.uid + ": approved; credentials received");
  approved_.push_back(client);
  Finish(client, State::kApproved);
}

void Provisioner::Finish(std::size_t client, State state) {
  Slot& s = devices_[client];
  s.state = state;
  if (!s.session) return;
  s.session = false;
  LinkAction a;
  a.kind = LinkAction::Kind::kDisconnect;
  transport_.Execute(client, a);
}

bool Provisioner::finished() const {
  for (const Slot& s : devices_) {
    if (!Done(s)) return false;
  }
  return true;
}

std::vector<std::size_t> Provisioner::TakeApproved() {
  std::vector<std::size_t> out;
  out.swap(approved_);
  return out;
}

}  // namespace sw::sim
