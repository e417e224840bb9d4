// OTA update core: see fw/ota.h.
// Thread-safety: see the header; this file has no mutable static state.
#include "fw/ota.h"

namespace sw::fw {

namespace {

constexpr uint8_t kRecordFormat = 1;
constexpr size_t kRecordFixed = 13;  // format, active, image, slot, boots, size u32, checkpoint u32
constexpr size_t kRecordSize = kRecordFixed + kSha256Bytes + 1 + kMaxFirmwareVersion;
static_assert(kRecordSize <= ConfigStore::kMaxPayload, "the OTA record must fit the store");
constexpr size_t kReadBack = 256;
constexpr size_t kMaxSigningMessage = 160;

bool ParseComponent(std::string_view text, uint16_t* out) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 0xFFFF) return false;
  *out = static_cast<uint16_t>(v);
  return true;
}

bool SameDigest(const uint8_t* a, const uint8_t* b) {
  uint8_t diff = 0;
  for (size_t i = 0; i < kSha256Bytes; ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

size_t CopyText(std::string_view from, char* to, size_t capacity) {
  const size_t n = from.size() < capacity ? from.size() : capacity;
  for (size_t i = 0; i < n; ++i) to[i] = from[i];
  return n;
}

}  // namespace

bool ParseFirmwareVersion(std::string_view text, FirmwareVersion* out) {
  const size_t first = text.find('.');
  if (first == std::string_view::npos) return false;
  const size_t second = text.find('.', first + 1);
  if (second == std::string_view::npos) return false;
  FirmwareVersion v;
  if (!ParseComponent(text.substr(0, first), &v.major) ||
      !ParseComponent(text.substr(first + 1, second - first - 1), &v.minor) ||
      !ParseComponent(text.substr(second + 1), &v.patch)) {
    return false;
  }
  *out = v;
  return true;
}

int CompareFirmwareVersions(const FirmwareVersion& a, const FirmwareVersion& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  return 0;
}

bool ParseHex(std::string_view hex, MutableByteSpan out) {
  if (hex.size() != 2 * out.size()) return false;
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return true;
}

size_t FirmwareSigningMessage(std::string_view kind, std::string_view version,
                              const uint8_t sha256[kSha256Bytes], char* out, size_t capacity) {
  constexpr std::string_view kPrefix = "sitewatch-fw-v1:";
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t n = kPrefix.size() + kind.size() + 1 + version.size() + 1 + 2 * kSha256Bytes;
  if (n > capacity) return 0;
  size_t at = 0;
  for (char c : kPrefix) out[at++] = c;
  for (char c : kind) out[at++] = c;
  out[at++] = ':';
  for (char c : version) out[at++] = c;
  out[at++] = ':';
  for (size_t i = 0; i < kSha256Bytes; ++i) {
    out[at++] = kHex[sha256[i] >> 4];
    out[at++] = kHex[sha256[i] & 0xF];
  }
  return at;
}

const char* OtaErrorName(OtaError error) {
  switch (error) {
    case OtaError::kOk: return "ok";
    case OtaError::kBadVersion: return "bad version";
    case OtaError::kNotNewer: return "version not newer than the running one";
    case OtaError::kTooLarge: return "image too large";
    case OtaError::kBadSignature: return "bad signature";
    case OtaError::kUnconfirmed: return "running image not confirmed yet";
    case OtaError::kNotDownloading: return "no download in progress";
    case OtaError::kBadOffset: return "unexpected offset";
    case OtaError::kFlashError: return "flash error";
    case OtaError::kHashMismatch: return "sha256 mismatch";
    case OtaError::kStorageError: return "boot record not saved";
  }
  return "unknown";
}

// ---- boot record ----

bool LoadOtaRecord(ConfigStore& store, OtaRecord* record) {
  *record = OtaRecord();
  uint8_t b[ConfigStore::kMaxPayload];
  size_t size = 0;
  if (store.Load(MutableByteSpan(b), &size) != ConfigStore::LoadResult::kLoaded) return false;
  if (size < kRecordFixed + kSha256Bytes + 1 || b[0] != kRecordFormat || b[1] > 1 || b[3] > 1 ||
      b[2] > static_cast<uint8_t>(OtaRecord::Image::kRolledBack)) {
    return false;
  }
  const size_t version_size = b[kRecordFixed + kSha256Bytes];
  if (version_size > kMaxFirmwareVersion || kRecordFixed + kSha256Bytes + 1 + version_size > size) {
    return false;
  }
  OtaRecord r;
  r.active_slot = b[1];
  r.image = static_cast<OtaRecord::Image>(b[2]);
  r.image_slot = b[3];
  r.boots_left = b[4];
  r.image_size = ReadLe32(b + 5);
  r.checkpoint = ReadLe32(b + 9);
  for (size_t i = 0; i < kSha256Bytes; ++i) r.sha256[i] = b[kRecordFixed + i];
  for (size_t i = 0; i < version_size; ++i) {
    r.version[i] = static_cast<char>(b[kRecordFixed + kSha256Bytes + 1 + i]);
  }
  *record = r;
  return true;
}

bool SaveOtaRecord(ConfigStore& store, const OtaRecord& r) {
  uint8_t b[kRecordSize];
  b[0] = kRecordFormat;
  b[1] = r.active_slot;
  b[2] = static_cast<uint8_t>(r.image);
  b[3] = r.image_slot;
  b[4] = r.boots_left;
  WriteLe32(b + 5, r.image_size);
  WriteLe32(b + 9, r.checkpoint);
  for (size_t i = 0; i < kSha256Bytes; ++i) b[kRecordFixed + i] = r.sha256[i];
  size_t version_size = 0;
  while (version_size < kMaxFirmwareVersion && r.version[version_size] != '\0') ++version_size;
  b[kRecordFixed + kSha256Bytes] = static_cast<uint8_t>(version_size);
  for (size_t i = 0; i < version_size; ++i) {
    b[kRecordFixed + kSha256Bytes + 1 + i] = static_cast<uint8_t>(r.version[i]);
  }
  return store.Save(ByteSpan(b, kRecordFixed + kSha256Bytes + 1 + version_size));
}

int SelectBootSlot(ConfigStore& store) {
  OtaRecord r;
  LoadOtaRecord(store, &r);
  if (r.image != OtaRecord::Image::kPending && r.image != OtaRecord::Image::kTrial) {
    return r.active_slot;
  }
  if (r.boots_left > 0) {
    --r.boots_left;
    r.image = OtaRecord::Image::kTrial;
    // An attempt that cannot be counted could repeat forever: start the old image instead.
    return SaveOtaRecord(store, r) ? r.image_slot : r.active_slot;
  }
  r.image = OtaRecord::Image::kRolledBack;
  SaveOtaRecord(store, r);
  return r.active_slot;
}

// ---- updater ----

OtaUpdater::OtaUpdater(std::string_view device_kind, std::string_view running_version,
                       const uint8_t public_key[kEd25519PublicKeyBytes], FirmwareFlash& flash,
                       ConfigStore& store, Sha256& sha256, Ed25519Verify& ed25519,
                       const OtaConfig& config)
    : flash_(flash), store_(store), sha256_(sha256), ed25519_(ed25519), config_(config) {
  kind_size_ = CopyText(device_kind, kind_, sizeof kind_);
  running_version_ok_ = ParseFirmwareVersion(running_version, &running_version_);
  for (size_t i = 0; i < kEd25519PublicKeyBytes; ++i) public_key_[i] = public_key[i];
  if (config_.checkpoint_bytes == 0) config_.checkpoint_bytes = 1;
}

bool OtaUpdater::Save() {
  return SaveOtaRecord(store_, record_);
}

OtaBootReport OtaUpdater::OnBoot(uint32_t now_ms, int running_slot) {
  OtaBootReport report;
  running_slot_ = running_slot;
  phase_ = OtaPhase::kIdle;
  next_offset_ = 0;
  LoadOtaRecord(store_, &record_);
  loaded_ = true;
  using Image = OtaRecord::Image;
  const bool new_image_runs = running_slot == record_.image_slot;
  if (record_.image == Image::kTrial && new_image_runs) {
    phase_ = OtaPhase::kTrial;
    trial_since_ms_ = now_ms;
    report.trial = true;
  } else if (record_.image == Image::kRolledBack ||
             (record_.image == Image::kTrial && !new_image_runs)) {
    report.rolled_back = true;
    CopyText(record_.version, report.failed_version, kMaxFirmwareVersion);
    record_.image = Image::kNone;
    Save();
  } else if (record_.image == Image::kPending) {
    phase_ = OtaPhase::kReadyToReboot;
    next_offset_ = record_.image_size;
  } else if (record_.image == Image::kNone && running_slot != record_.active_slot) {
    record_.active_slot = static_cast<uint8_t>(running_slot);  // flashed by other means
    Save();
  }
  return report;
}

OtaError OtaUpdater::Begin(const FirmwareOffer& offer) {
  using Image = OtaRecord::Image;
  if (!loaded_) {
    LoadOtaRecord(store_, &record_);  // OnBoot() was not called: still never save blind
    loaded_ = true;
  }
  if (phase_ == OtaPhase::kTrial) return OtaError::kUnconfirmed;
  FirmwareVersion version;
  if (offer.version.size() > kMaxFirmwareVersion ||
      !ParseFirmwareVersion(offer.version, &version)) {
    return OtaError::kBadVersion;
  }
  if (!running_version_ok_ || CompareFirmwareVersions(version, running_version_) <= 0) {
    return OtaError::kNotNewer;
  }
  if (offer.size == 0 || offer.size > flash_.SlotSize()) return OtaError::kTooLarge;
  char message[kMaxSigningMessage];
  const size_t message_size = FirmwareSigningMessage(
      std::string_view(kind_, kind_size_), offer.version, offer.sha256, message, sizeof message);
  if (message_size == 0 ||
      !ed25519_.Verify(ByteSpan(reinterpret_cast<const uint8_t*>(message), message_size),
                       offer.signature, public_key_)) {
    return OtaError::kBadSignature;
  }

  const uint8_t target = static_cast<uint8_t>(1 - record_.active_slot);
  const bool same = record_.image_slot == target && record_.image_size == offer.size &&
                    SameDigest(record_.sha256, offer.sha256) &&
                    std::string_view(record_.version) == offer.version;
  if (same && record_.image == Image::kPending) {
    phase_ = OtaPhase::kReadyToReboot;
    next_offset_ = offer.size;
    return OtaError::kOk;
  }
  if (same && record_.image == Image::kDownloading) {
    // Resume: within this boot where the bytes stopped, after a reboot at the checkpoint.
    if (phase_ != OtaPhase::kDownloading) next_offset_ = record_.checkpoint;
    phase_ = OtaPhase::kDownloading;
    return OtaError::kOk;
  }
  // A new download. The record says "downloading" before the slot is erased, so that the
  // bootloader never starts a half-erased pending image.
  OtaRecord next = record_;
  next.image = Image::kDownloading;
  next.image_slot = target;
  next.boots_left = 0;
  next.image_size = offer.size;
  next.checkpoint = 0;
  for (size_t i = 0; i < kSha256Bytes; ++i) next.sha256[i] = offer.sha256[i];
  for (char& c : next.version) c = '\0';
  CopyText(offer.version, next.version, kMaxFirmwareVersion);
  if (!SaveOtaRecord(store_, next)) return OtaError::kStorageError;
  record_ = next;
  phase_ = OtaPhase::kIdle;
  next_offset_ = 0;
  if (!flash_.Erase(target)) return OtaError::kFlashError;
  phase_ = OtaPhase::kDownloading;
  return OtaError::kOk;
}

OtaError OtaUpdater::OnChunk(uint32_t offset, ByteSpan data) {
  if (phase_ != OtaPhase::kDownloading) return OtaError::kNotDownloading;
  if (offset != next_offset_) return OtaError::kBadOffset;
  if (data.size() > record_.image_size - next_offset_) return OtaError::kTooLarge;
  if (!data.empty() && !flash_.Write(record_.image_slot, offset, data)) {
    return OtaError::kFlashError;
  }
  next_offset_ += static_cast<uint32_t>(data.size());
  if (next_offset_ == record_.image_size) return Verify();
  if (next_offset_ - record_.checkpoint >= config_.checkpoint_bytes) {
    record_.checkpoint = next_offset_;
    Save();  // best effort: a lost checkpoint only means re-downloading a little more
  }
  return OtaError::kOk;
}

OtaError OtaUpdater::Verify() {
  sha256_.Init();
  uint8_t buffer[kReadBack];
  for (uint32_t at = 0; at < record_.image_size;) {
    const uint32_t left = record_.image_size - at;
    const size_t n = left < kReadBack ? left : kReadBack;
    if (!flash_.Read(record_.image_slot, at, MutableByteSpan(buffer, n))) {
      return OtaError::kFlashError;
    }
    sha256_.Update(ByteSpan(buffer, n));
    at += static_cast<uint32_t>(n);
  }
  uint8_t digest[kSha256Bytes];
  sha256_.Final(digest);
  if (!SameDigest(digest, record_.sha256)) {
    record_.image = OtaRecord::Image::kNone;
    record_.checkpoint = 0;
    Save();
    phase_ = OtaPhase::kIdle;
    next_offset_ = 0;
    return OtaError::kHashMismatch;
  }
  OtaRecord next = record_;
  next.image = OtaRecord::Image::kPending;
  next.boots_left = config_.max_trial_boots;
  next.checkpoint = next.image_size;
  if (!SaveOtaRecord(store_, next)) return OtaError::kStorageError;
  record_ = next;
  phase_ = OtaPhase::kReadyToReboot;
  return OtaError::kOk;
}

void OtaUpdater::Cancel() {
  if (phase_ != OtaPhase::kDownloading && phase_ != OtaPhase::kReadyToReboot) return;
  record_.image = OtaRecord::Image::kNone;
  record_.checkpoint = 0;
  Save();
  phase_ = OtaPhase::kIdle;
  next_offset_ = 0;
}

OtaError OtaUpdater::Confirm() {
  if (phase_ != OtaPhase::kTrial) return OtaError::kOk;
  OtaRecord next = record_;
  next.active_slot = static_cast<uint8_t>(running_slot_);
  next.image = OtaRecord::Image::kNone;
  next.boots_left = 0;
  if (!SaveOtaRecord(store_, next)) return OtaError::kStorageError;
  record_ = next;
  phase_ = OtaPhase::kIdle;
  return OtaError::kOk;
}

OtaError OtaUpdater::RollBack() {
  if (phase_ != OtaPhase::kTrial) return OtaError::kOk;
  phase_ = OtaPhase::kIdle;
  record_.image = OtaRecord::Image::kRolledBack;
  // If this cannot be saved, the bootloader still rolls back once the attempts run out.
  return Save() ? OtaError::kOk : OtaError::kStorageError;
}

OtaTickAction OtaUpdater::Tick(uint32_t now_ms) {
  if (phase_ == OtaPhase::kTrial &&
      static_cast<uint32_t>(now_ms - trial_since_ms_) >= config_.confirm_timeout_ms) {
    RollBack();
    return OtaTickAction::kRebootToRollBack;
  }
  return OtaTickAction::kNone;
}

uint8_t OtaUpdater::progress_percent() const {
  if (phase_ == OtaPhase::kReadyToReboot) return 100;
  if (phase_ != OtaPhase::kDownloading || record_.image_size == 0) return 0;
  return static_cast<uint8_t>(static_cast<uint64_t>(next_offset_) * 100 / record_.image_size);
}

}  // namespace sw::fw
