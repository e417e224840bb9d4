// Over-the-air update core: signed releases into the inactive slot of an A/B layout, with a
// trial boot that the new image must confirm or the bootloader goes back to the old slot.
// Sans I/O: the download (HTTP with a Range header), the hash and signature primitives and
// the flash sit behind the interfaces below.
//
// A release (PRODUCT.md §3 "Firmware release") is offered with its version, size, SHA-256
// and an Ed25519 signature by the release key over the text
//     sitewatch-fw-v1:<device kind>:<version>:<sha256 as 64 lower-case hex digits>
// (FirmwareSigningMessage), so an image signed for another kind, or relabelled with another
// version, is refused. Begin() checks, before a byte is downloaded:
//   * the version (MAJOR.MINOR.PATCH) is greater than the running one (downgrades and
//     re-installs are refused);
//   * the size fits a slot; the signature verifies with the built-in public key;
//   * the running image is confirmed (never overwrite the only known-good image).
// OnChunk() takes the bytes in order (a chunk at any other offset is refused and next_offset()
// says where to continue) and writes them to the inactive slot. Progress is checkpointed
// every checkpoint_bytes in the boot record, so after a reboot or a lost connection the same
// offer resumes at the checkpoint instead of from zero. After the last byte the image is
// read back from flash and its SHA-256 compared with the signed one; only then is the slot
// marked pending with max_trial_boots attempts.
//
// Boot record (one ConfigStore, torn-write safe, shared with the bootloader):
//   SelectBootSlot() — run by the bootloader at every reset — boots a pending image while
//   attempts are left (decrementing them), otherwise marks it rolled back and boots the
//   confirmed slot. The application calls OnBoot() at start, then Confirm() once it is
//   healthy (e.g. connected to the server); without a confirmation within
//   confirm_timeout_ms, Tick() asks for a reboot back to the old image. OnBoot() reports a
//   rollback once so that the shell can publish it.
//
// Thread-safety: none. One OtaUpdater per device, driven from one task.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fw/config_store.h"
#include "fw/span.h"

namespace sw::fw {

inline constexpr size_t kSha256Bytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;
inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kMaxFirmwareVersion = 17;  // "65535.65535.65535"

// SHA-256 (on ESP32: mbedTLS/ROM; in tests: libsodium).
class Sha256 {
 public:
  virtual void Init() = 0;
  virtual void Update(ByteSpan data) = 0;
  virtual void Final(uint8_t digest[kSha256Bytes]) = 0;

 protected:
  ~Sha256() = default;  // not owned through this interface
};

// Ed25519 signature check (e.g. Monocypher, TweetNaCl, libsodium).
class Ed25519Verify {
 public:
  virtual bool Verify(ByteSpan message, const uint8_t signature[kEd25519SignatureBytes],
                      const uint8_t public_key[kEd25519PublicKeyBytes]) = 0;

 protected:
  ~Ed25519Verify() = default;
};

// The two application slots. Slot numbers are 0 and 1.
class FirmwareFlash {
 public:
  virtual size_t SlotSize() const = 0;
  virtual bool Erase(int slot) = 0;
  // Writes to erased (or identical) bytes: a resumed download rewrites the same content.
  virtual bool Write(int slot, size_t offset, ByteSpan data) = 0;
  virtual bool Read(int slot, size_t offset, MutableByteSpan out) = 0;

 protected:
  ~FirmwareFlash() = default;
};

struct FirmwareVersion {
  uint16_t major = 0;
  uint16_t minor = 0;
  uint16_t patch = 0;
};
// "MAJOR.MINOR.PATCH", each 0..65535 without leading zeros or signs.
bool ParseFirmwareVersion(std::string_view text, FirmwareVersion* out);
// <0, 0, >0 as a is older, equal, newer than b.
int CompareFirmwareVersions(const FirmwareVersion& a, const FirmwareVersion& b);

// Lower- or upper-case hex into exactly out.size() bytes.
bool ParseHex(std::string_view hex, MutableByteSpan out);

// Writes the signed text into out; returns its length, 0 if it does not fit.
size_t FirmwareSigningMessage(std::string_view kind, std::string_view version,
                              const uint8_t sha256[kSha256Bytes], char* out, size_t capacity);

struct FirmwareOffer {
  std::string_view version;
  uint32_t size = 0;
  uint8_t sha256[kSha256Bytes] = {};
  uint8_t signature[kEd25519SignatureBytes] = {};
};

enum class OtaError : uint8_t {
  kOk = 0,
  kBadVersion,  // not MAJOR.MINOR.PATCH
  kNotNewer,    // downgrade or the running version
  kTooLarge,    // size 0, larger than a slot, or a chunk past the announced size
  kBadSignature,
  kUnconfirmed,     // the running image is on trial: Confirm() first
  kNotDownloading,  // OnChunk without a Begin
  kBadOffset,       // not at next_offset()
  kFlashError,
  kHashMismatch,  // the image read back does not have the signed SHA-256; discarded
  kStorageError,  // the boot record could not be saved
};

const char* OtaErrorName(OtaError error);

struct OtaConfig {
  uint8_t max_trial_boots = 3;
  uint32_t confirm_timeout_ms = 5 * 60 * 1000;
  uint32_t checkpoint_bytes = 64 * 1024;
};

enum class OtaPhase : uint8_t {
  kIdle,
  kDownloading,
  kReadyToReboot,  // verified and pending: rebooting starts the new image
  kTrial,          // running a new image that is not confirmed yet
};

struct OtaBootReport {
  bool trial = false;        // this boot runs an unconfirmed image
  bool rolled_back = false;  // an update failed and the old image runs again (reported once)
  char failed_version[kMaxFirmwareVersion + 1] = {};
};

enum class OtaTickAction : uint8_t { kNone, kRebootToRollBack };

// The persisted state (exposed for the bootloader and for tests).
struct OtaRecord {
  enum class Image : uint8_t { kNone = 0, kDownloading, kPending, kTrial, kRolledBack };
  uint8_t active_slot = 0;  // the confirmed image
  Image image = Image::kNone;
  uint8_t image_slot = 1;
  uint8_t boots_left = 0;
  uint32_t image_size = 0;
  uint32_t checkpoint = 0;  // bytes known to be written (kDownloading)
  uint8_t sha256[kSha256Bytes] = {};
  char version[kMaxFirmwareVersion + 1] = {};
};
bool LoadOtaRecord(ConfigStore& store, OtaRecord* record);  // false: defaults
bool SaveOtaRecord(ConfigStore& store, const OtaRecord& record);

// The bootloader's decision at every reset: the slot to start.
int SelectBootSlot(ConfigStore& store);

class OtaUpdater {
 public:
  OtaUpdater(std::string_view device_kind, std::string_view running_version,
             const uint8_t public_key[kEd25519PublicKeyBytes], FirmwareFlash& flash,
             ConfigStore& store, Sha256& sha256, Ed25519Verify& ed25519,
             const OtaConfig& config = OtaConfig());

  // Once at start-up, with the slot the bootloader started.
  OtaBootReport OnBoot(uint32_t now_ms, int running_slot);

  OtaError Begin(const FirmwareOffer& offer);
  OtaError OnChunk(uint32_t offset, ByteSpan data);
  void Cancel();  // forgets the download (the slot is erased again by the next Begin)

  OtaError Confirm();   // the running trial image is good
  OtaError RollBack();  // the running trial image is bad: reboot afterwards
  OtaTickAction Tick(uint32_t now_ms);

  OtaPhase phase() const { return phase_; }
  uint32_t next_offset() const { return next_offset_; }
  uint32_t image_size() const { return record_.image_size; }
  uint8_t progress_percent() const;
  int running_slot() const { return running_slot_; }
  const OtaRecord& record() const { return record_; }

 private:
  OtaError Verify();
  bool Save();

  char kind_[24];
  size_t kind_size_ = 0;
  FirmwareVersion running_version_;
  bool running_version_ok_ = false;
  uint8_t public_key_[kEd25519PublicKeyBytes];
  FirmwareFlash& flash_;
  ConfigStore& store_;
  Sha256& sha256_;
  Ed25519Verify& ed25519_;
  OtaConfig config_;

  OtaRecord record_;
  bool loaded_ = false;
  OtaPhase phase_ = OtaPhase::kIdle;
  int running_slot_ = 0;
  uint32_t next_offset_ = 0;
  uint32_t trial_since_ms_ = 0;
};

}  // namespace sw::fw
