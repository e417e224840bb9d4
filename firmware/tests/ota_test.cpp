// Tests for the OTA core: signed offers, chunked download with resume, verification by
// SHA-256, the A/B switch with trial boots and rollback. Crypto comes from libsodium here;
// on the device it is whatever implements the same two seams.
#include "fw/ota.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "fw/nvm.h"

namespace sw::fw {
namespace {

class SodiumSha256 final : public Sha256 {
 public:
  void Init() override { crypto_hash_sha256_init(&state_); }
  void Update(ByteSpan data) override {
    crypto_hash_sha256_update(&state_, data.data(), data.size());
  }
  void Final(uint8_t digest[kSha256Bytes]) override { crypto_hash_sha256_final(&state_, digest); }

 private:
  crypto_hash_sha256_state state_;
};

class SodiumEd25519 final : public Ed25519Verify {
 public:
  bool Verify(ByteSpan message, const uint8_t signature[kEd25519SignatureBytes],
              const uint8_t public_key[kEd25519PublicKeyBytes]) override {
    return crypto_sign_verify_detached(signature, message.data(), message.size(), public_key) == 0;
  }
};

// NOR-like flash: erased bytes read 0xFF; a write may only go to erased or identical bytes.
class FakeFlash final : public FirmwareFlash {
 public:
  static constexpr size_t kSlot = 32 * 1024;
  FakeFlash() {
    for (auto& slot : slots_) slot.assign(kSlot, 0xFF);
  }
  size_t SlotSize() const override { return kSlot; }
  bool Erase(int slot) override {
    ++erases;
    slots_[slot].assign(kSlot, 0xFF);
    return true;
  }
  bool Write(int slot, size_t offset, ByteSpan data) override {
    if (fail_writes) return false;
    if (offset + data.size() > kSlot) return false;
    for (size_t i = 0; i < data.size(); ++i) {
      uint8_t& b = slots_[slot][offset + i];
      if (b != 0xFF && b != data[i]) return false;
      b = data[i];
    }
    if (corrupt_next_write) {
      corrupt_next_write = false;
      slots_[slot][offset] ^= 0x10;  // a silent bit error
    }
    return true;
  }
  bool Read(int slot, size_t offset, MutableByteSpan out) override {
    if (offset + out.size() > kSlot) return false;
    for (size_t i = 0; i < out.size(); ++i) out[i] = slots_[slot][offset + i];
    return true;
  }
  const std::vector<uint8_t>& slot(int i) const { return slots_[i]; }

  int erases = 0;
  bool fail_writes = false;
  bool corrupt_next_write = false;

 private:
  std::vector<uint8_t> slots_[2];
};

struct Keys {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  explicit Keys(uint8_t seed_byte) {
    uint8_t seed[crypto_sign_SEEDBYTES];
    for (uint8_t& b : seed) b = seed_byte;
    crypto_sign_seed_keypair(pk, sk, seed);
  }
};

std::vector<uint8_t> Image(size_t size, uint8_t salt) {
  std::vector<uint8_t> image(size);
  uint32_t x = 0x9E3779B9u ^ salt;
  for (uint8_t& b : image) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return image;
}

// An offer for `image` signed by `keys` as release `signed_version` of `kind`; the offer
// itself announces `version` (normally the same).
FirmwareOffer Offer(const std::vector<uint8_t>& image, const std::string& version, const Keys& keys,
                    const std::string& kind = "sensor_node",
                    const std::string& signed_version = "") {
  static std::string version_storage[32];  // the offer's version is a view
  static int next = 0;
  std::string& v = version_storage[next++ % 32];
  v = version;
  FirmwareOffer offer;
  offer.version = v;
  offer.size = static_cast<uint32_t>(image.size());
  crypto_hash_sha256(offer.sha256, image.data(), image.size());
  char message[200];
  const std::string sv = signed_version.empty() ? version : signed_version;
  const size_t n = FirmwareSigningMessage(kind, sv, offer.sha256, message, sizeof message);
  EXPECT_GT(n, 0u);
  crypto_sign_detached(offer.signature, nullptr, reinterpret_cast<const uint8_t*>(message), n,
                       keys.sk);
  return offer;
}

class OtaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }

  OtaTest() : release_key_(7), image_(Image(20000, 1)) { Boot(0, "1.4.0"); }

  // A reset: the bootloader runs (unless `slot` is forced), then the application starts
  // `version` from the slot and calls OnBoot().
  OtaBootReport Boot(int slot, const std::string& version, uint32_t now_ms = 0) {
    running_version_ = version;
    store_ = std::make_unique<ConfigStore>(nvm_);
    ota_ = std::make_unique<OtaUpdater>("sensor_node", running_version_, release_key_.pk, flash_,
                                        *store_, sha_, ed_, config_);
    return ota_->OnBoot(now_ms, slot);
  }

  int Bootloader() {
    ConfigStore boot_store(nvm_);
    return SelectBootSlot(boot_store);
  }

  OtaError Feed(const std::vector<uint8_t>& image, uint32_t from, uint32_t to,
                size_t chunk = 1000) {
    OtaError last = OtaError::kOk;
    for (uint32_t at = from; at < to;) {
      const size_t n = std::min<size_t>(chunk, to - at);
      last = ota_->OnChunk(at, ByteSpan(image.data() + at, n));
      if (last != OtaError::kOk) return last;
      at += static_cast<uint32_t>(n);
    }
    return last;
  }

  OtaRecord Record() {
    ConfigStore s(nvm_);
    OtaRecord r;
    LoadOtaRecord(s, &r);
    return r;
  }

  // Downloads `image_` as 1.5.0 into slot 1 until it is pending.
  void DownloadGoodImage() {
    ASSERT_EQ(ota_->Begin(Offer(image_, "1.5.0", release_key_)), OtaError::kOk);
    ASSERT_EQ(Feed(image_, 0, static_cast<uint32_t>(image_.size())), OtaError::kOk);
    ASSERT_EQ(ota_->phase(), OtaPhase::kReadyToReboot);
  }

  Keys release_key_;
  std::vector<uint8_t> image_;
  OtaConfig config_;
  MemoryNvm<ConfigStore::kFootprint> nvm_;
  FakeFlash flash_;
  SodiumSha256 sha_;
  SodiumEd25519 ed_;
  std::string running_version_;
  std::unique_ptr<ConfigStore> store_;
  std::unique_ptr<OtaUpdater> ota_;
};

TEST(OtaFormatTest, SigningMessageAndVersions) {
  uint8_t sha[kSha256Bytes];
  for (size_t i = 0; i < kSha256Bytes; ++i) sha[i] = static_cast<uint8_t>(i * 8);
  char out[200];
  const size_t n = FirmwareSigningMessage("sensor_node", "1.5.0", sha, out, sizeof out);
  EXPECT_EQ(std::string(out, n),
            "sitewatch-fw-v1:sensor_node:1.5.0:"
            "0008101820283038404850586068707880889098a0a8b0b8c0c8d0d8e0e8f0f8");
  EXPECT_EQ(FirmwareSigningMessage("sensor_node", "1.5.0", sha, out, 50), 0u);

  FirmwareVersion a, b;
  ASSERT_TRUE(ParseFirmwareVersion("1.10.0", &a));
  ASSERT_TRUE(ParseFirmwareVersion("1.9.12", &b));
  EXPECT_GT(CompareFirmwareVersions(a, b), 0);
  EXPECT_LT(CompareFirmwareVersions(b, a), 0);
  ASSERT_TRUE(ParseFirmwareVersion("65535.0.0", &a));
  for (std::string_view bad :
       {"1.4", "1.4.0.1", "1.04.0", "v1.4.0", "1.4.-1", "1..0", "65536.0.0", "1.4.0-rc1", ""}) {
    EXPECT_FALSE(ParseFirmwareVersion(bad, &a)) << bad;
  }
  uint8_t bytes[2];
  EXPECT_TRUE(ParseHex("aBff", MutableByteSpan(bytes)));
  EXPECT_EQ(bytes[0], 0xAB);
  EXPECT_FALSE(ParseHex("abf", MutableByteSpan(bytes)));
  EXPECT_FALSE(ParseHex("agff", MutableByteSpan(bytes)));
}

TEST_F(OtaTest, GoodImageIsVerifiedSwitchedAndConfirmed) {
  EXPECT_EQ(ota_->phase(), OtaPhase::kIdle);
  ASSERT_EQ(ota_->Begin(Offer(image_, "1.5.0", release_key_)), OtaError::kOk);
  EXPECT_EQ(ota_->next_offset(), 0u);
  ASSERT_EQ(Feed(image_, 0, 10000), OtaError::kOk);
  EXPECT_EQ(ota_->progress_percent(), 50);
  ASSERT_EQ(Feed(image_, 10000, 20000), OtaError::kOk);
  EXPECT_EQ(ota_->phase(), OtaPhase::kReadyToReboot);
  EXPECT_EQ(ota_->progress_percent(), 100);
  EXPECT_TRUE(std::equal(image_.begin(), image_.end(), flash_.slot(1).begin()));
  OtaRecord r = Record();
  EXPECT_EQ(r.image, OtaRecord::Image::kPending);
  EXPECT_EQ(r.image_slot, 1);
  EXPECT_EQ(r.active_slot, 0);
  EXPECT_EQ(r.boots_left, config_.max_trial_boots);

  ASSERT_EQ(Bootloader(), 1);
  const OtaBootReport report = Boot(1, "1.5.0");
  EXPECT_TRUE(report.trial);
  EXPECT_FALSE(report.rolled_back);
  EXPECT_EQ(ota_->phase(), OtaPhase::kTrial);
  ASSERT_EQ(ota_->Confirm(), OtaError::kOk);
  EXPECT_EQ(ota_->phase(), OtaPhase::kIdle);
  r = Record();
  EXPECT_EQ(r.active_slot, 1);
  EXPECT_EQ(r.image, OtaRecord::Image::kNone);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Bootloader(), 1);  // confirmed: stays

  // The next update goes to the other slot, 0.
  Boot(1, "1.5.0");
  const std::vector<uint8_t> next = Image(9000, 2);
  ASSERT_EQ(ota_->Begin(Offer(next, "1.6.0", release_key_)), OtaError::kOk);
  ASSERT_EQ(Feed(next, 0, 9000), OtaError::kOk);
  EXPECT_EQ(Record().image_slot, 0);
  EXPECT_EQ(Bootloader(), 0);
}

TEST_F(OtaTest, ImageWithAnotherHashIsRefusedAfterDownload) {
  // Correctly signed, but the bytes served are not the release's.
  FirmwareOffer offer = Offer(image_, "1.5.0", release_key_);
  std::vector<uint8_t> served = image_;
  served[12345] ^= 0x01;
  ASSERT_EQ(ota_->Begin(offer), OtaError::kOk);
  ASSERT_EQ(Feed(served, 0, 19000), OtaError::kOk);
  EXPECT_EQ(Feed(served, 19000, 20000), OtaError::kHashMismatch);
  EXPECT_EQ(ota_->phase(), OtaPhase::kIdle);
  EXPECT_EQ(Record().image, OtaRecord::Image::kNone);
  EXPECT_EQ(Bootloader(), 0);

  // The same for a bit that flips in flash: the hash is taken from what was written.
  Boot(0, "1.4.0");
  ASSERT_EQ(ota_->Begin(offer), OtaError::kOk);
  flash_.corrupt_next_write = true;
  EXPECT_EQ(Feed(image_, 0, 20000), OtaError::kHashMismatch);
  EXPECT_EQ(Bootloader(), 0);
}

TEST_F(OtaTest, BadSignaturesAreRefusedBeforeDownloading) {
  FirmwareOffer tampered = Offer(image_, "1.5.0", release_key_);
  tampered.signature[10] ^= 0x40;
  EXPECT_EQ(ota_->Begin(tampered), OtaError::kBadSignature);
  const Keys other(9);
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.5.0", other)), OtaError::kBadSignature);
  // Signed for another device kind, or relabelled with another version.
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.5.0", release_key_, "gateway")), OtaError::kBadSignature);
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.6.0", release_key_, "sensor_node", "1.5.0")),
            OtaError::kBadSignature);
  // Another hash under a signature for this one.
  FirmwareOffer swapped = Offer(image_, "1.5.0", release_key_);
  swapped.sha256[0] ^= 0x01;
  EXPECT_EQ(ota_->Begin(swapped), OtaError::kBadSignature);
  EXPECT_EQ(flash_.erases, 0);
  EXPECT_EQ(ota_->phase(), OtaPhase::kIdle);
  EXPECT_EQ(ota_->OnChunk(0, ByteSpan(image_.data(), 100)), OtaError::kNotDownloading);
}

TEST_F(OtaTest, DowngradeAndReinstallAreRefused) {
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.3.9", release_key_)), OtaError::kNotNewer);
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.4.0", release_key_)), OtaError::kNotNewer);
  EXPECT_EQ(ota_->Begin(Offer(image_, "0.99.99", release_key_)), OtaError::kNotNewer);
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.4", release_key_)), OtaError::kBadVersion);
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.4.0-rc1", release_key_)), OtaError::kBadVersion);
  EXPECT_EQ(flash_.erases, 0);
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.4.1", release_key_)), OtaError::kOk);
}

TEST_F(OtaTest, SizeAndOffsetsAreChecked) {
  EXPECT_EQ(ota_->Begin(Offer(Image(FakeFlash::kSlot + 1, 3), "1.5.0", release_key_)),
            OtaError::kTooLarge);
  EXPECT_EQ(ota_->Begin(Offer(std::vector<uint8_t>(), "1.5.0", release_key_)), OtaError::kTooLarge);
  ASSERT_EQ(ota_->Begin(Offer(image_, "1.5.0", release_key_)), OtaError::kOk);
  ASSERT_EQ(Feed(image_, 0, 3000), OtaError::kOk);
  // A repeated or skipped chunk is refused; next_offset() says where to continue.
  EXPECT_EQ(ota_->OnChunk(2000, ByteSpan(image_.data() + 2000, 1000)), OtaError::kBadOffset);
  EXPECT_EQ(ota_->OnChunk(4000, ByteSpan(image_.data() + 4000, 1000)), OtaError::kBadOffset);
  EXPECT_EQ(ota_->next_offset(), 3000u);
  const std::vector<uint8_t> longer = Image(21000, 1);
  EXPECT_EQ(Feed(image_, 3000, 19500), OtaError::kOk);
  EXPECT_EQ(ota_->OnChunk(19500, ByteSpan(longer.data() + 19500, 1000)), OtaError::kTooLarge);
  flash_.fail_writes = true;
  EXPECT_EQ(ota_->OnChunk(19500, ByteSpan(image_.data() + 19500, 500)), OtaError::kFlashError);
  EXPECT_EQ(ota_->next_offset(), 19500u);
  flash_.fail_writes = false;
  EXPECT_EQ(ota_->OnChunk(19500, ByteSpan(image_.data() + 19500, 500)), OtaError::kOk);
  EXPECT_EQ(ota_->phase(), OtaPhase::kReadyToReboot);
}

TEST_F(OtaTest, ResumesAtTheCheckpointAfterAReboot) {
  config_.checkpoint_bytes = 4096;
  Boot(0, "1.4.0");
  const FirmwareOffer offer = Offer(image_, "1.5.0", release_key_);
  ASSERT_EQ(ota_->Begin(offer), OtaError::kOk);
  ASSERT_EQ(Feed(image_, 0, 10500, 500), OtaError::kOk);
  EXPECT_EQ(flash_.erases, 1);
  EXPECT_EQ(Record().checkpoint, 9000u);  // 4500, then 9000

  // Power cut. The download is not bootable and the node starts the old image.
  EXPECT_EQ(Bootloader(), 0);
  Boot(0, "1.4.0");
  EXPECT_EQ(ota_->phase(), OtaPhase::kIdle);
  ASSERT_EQ(ota_->Begin(offer), OtaError::kOk);
  EXPECT_EQ(ota_->next_offset(), 9000u);
  EXPECT_EQ(flash_.erases, 1);  // the slot is not erased again
  EXPECT_EQ(ota_->OnChunk(0, ByteSpan(image_.data(), 500)), OtaError::kBadOffset);
  ASSERT_EQ(Feed(image_, 9000, 20000, 700), OtaError::kOk);
  EXPECT_EQ(ota_->phase(), OtaPhase::kReadyToReboot);
  EXPECT_EQ(Bootloader(), 1);

  // Within one boot, a dropped connection simply continues at next_offset().
  const std::vector<uint8_t> next = Image(15000, 5);
  Boot(1, "1.5.0");
  ASSERT_EQ(ota_->Confirm(), OtaError::kOk);
  ASSERT_EQ(ota_->Begin(Offer(next, "1.6.0", release_key_)), OtaError::kOk);
  ASSERT_EQ(Feed(next, 0, 6000), OtaError::kOk);
  ASSERT_EQ(ota_->Begin(Offer(next, "1.6.0", release_key_)), OtaError::kOk);  // re-offered
  EXPECT_EQ(ota_->next_offset(), 6000u);
  ASSERT_EQ(Feed(next, 6000, 15000), OtaError::kOk);
  EXPECT_EQ(ota_->phase(), OtaPhase::kReadyToReboot);
}

TEST_F(OtaTest, AnotherReleaseDuringADownloadStartsOver) {
  config_.checkpoint_bytes = 4096;
  Boot(0, "1.4.0");
  ASSERT_EQ(ota_->Begin(Offer(image_, "1.5.0", release_key_)), OtaError::kOk);
  ASSERT_EQ(Feed(image_, 0, 10000), OtaError::kOk);
  const std::vector<uint8_t> other = Image(12000, 4);
  ASSERT_EQ(ota_->Begin(Offer(other, "1.5.1", release_key_)), OtaError::kOk);
  EXPECT_EQ(ota_->next_offset(), 0u);
  EXPECT_EQ(flash_.erases, 2);
  ASSERT_EQ(Feed(other, 0, 12000), OtaError::kOk);
  EXPECT_EQ(ota_->phase(), OtaPhase::kReadyToReboot);
}

TEST_F(OtaTest, ImageThatNeverConfirmsIsRolledBackByTheBootloader) {
  DownloadGoodImage();
  // The new image crashes before confirming, every time.
  for (int attempt = 0; attempt < config_.max_trial_boots; ++attempt) {
    ASSERT_EQ(Bootloader(), 1) << attempt;
    EXPECT_TRUE(Boot(1, "1.5.0").trial);
  }
  ASSERT_EQ(Bootloader(), 0);
  const OtaBootReport report = Boot(0, "1.4.0");
  EXPECT_TRUE(report.rolled_back);
  EXPECT_EQ(std::string(report.failed_version), "1.5.0");
  EXPECT_FALSE(report.trial);
  EXPECT_FALSE(Boot(0, "1.4.0").rolled_back);  // reported once
  const OtaRecord r = Record();
  EXPECT_EQ(r.active_slot, 0);
  EXPECT_EQ(r.image, OtaRecord::Image::kNone);
  EXPECT_EQ(Bootloader(), 0);
  // The failed release can be offered again later (e.g. after a server-side fix).
  EXPECT_EQ(ota_->Begin(Offer(image_, "1.5.0", release_key_)), OtaError::kOk);
}

TEST_F(OtaTest, UnconfirmedTrialRollsBackAfterTheTimeout) {
  DownloadGoodImage();
  ASSERT_EQ(Bootloader(), 1);
  ASSERT_TRUE(Boot(1, "1.5.0", 1000).trial);
  // A trial image may not start another update before it is confirmed.
  EXPECT_EQ(ota_->Begin(Offer(Image(5000, 6), "1.6.0", release_key_)), OtaError::kUnconfirmed);
  EXPECT_EQ(ota_->Tick(1000 + config_.confirm_timeout_ms - 1), OtaTickAction::kNone);
  EXPECT_EQ(ota_->Tick(1000 + config_.confirm_timeout_ms), OtaTickAction::kRebootToRollBack);
  EXPECT_EQ(Bootloader(), 0);
  EXPECT_TRUE(Boot(0, "1.4.0").rolled_back);
}

TEST_F(OtaTest, ExplicitRollBackFromTheApplication) {
  DownloadGoodImage();
  ASSERT_EQ(Bootloader(), 1);
  ASSERT_TRUE(Boot(1, "1.5.0").trial);
  ASSERT_EQ(ota_->RollBack(), OtaError::kOk);  // e.g. its self-test failed
  EXPECT_EQ(Bootloader(), 0);
  EXPECT_TRUE(Boot(0, "1.4.0").rolled_back);
}

TEST_F(OtaTest, BootAttemptThatCannotBeCountedStartsTheOldImage) {
  DownloadGoodImage();
  nvm_.TearNextWriteAfter(2);  // the bootloader's record update is torn by a power cut
  EXPECT_EQ(Bootloader(), 0);
  EXPECT_EQ(Record().image, OtaRecord::Image::kPending);  // the old record survived
  EXPECT_EQ(Record().boots_left, config_.max_trial_boots);
  EXPECT_EQ(Bootloader(), 1);  // next reset: counted, started
}

TEST_F(OtaTest, PendingImageIsKeptWhenReofferedBeforeTheReboot) {
  const FirmwareOffer offer = Offer(image_, "1.5.0", release_key_);
  DownloadGoodImage();
  Boot(0, "1.4.0");  // no bootloader (e.g. the simulator): still pending
  EXPECT_EQ(ota_->phase(), OtaPhase::kReadyToReboot);
  ASSERT_EQ(ota_->Begin(offer), OtaError::kOk);
  EXPECT_EQ(ota_->phase(), OtaPhase::kReadyToReboot);
  EXPECT_EQ(flash_.erases, 1);
  ota_->Cancel();
  EXPECT_EQ(Record().image, OtaRecord::Image::kNone);
  EXPECT_EQ(Bootloader(), 0);
}

}  // namespace
}  // namespace sw::fw
