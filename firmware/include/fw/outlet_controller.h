// OutletController: the Sitewatch smart-outlet firmware core (two sockets A/B), sans I/O.
//
// Inputs: Boot(), ADC sample windows for both current sensors (one pair per overload check
// period, e.g. every 200 ms), v2 radio frames addressed to it, and Tick() with the time and
// the raw config-button level. Outputs: the relay pin levels (RelayPinHigh), frames to
// transmit and events (OutletEffects), and observers for LED/status.
//
// Behaviour (smart-outlet-system.md §2, with its gaps fixed):
// * Relays use the existing normally-closed wiring: logical ON = drive pin HIGH (coil
//   de-energised, NC contact closed); OFF = pin LOW. At boot both are OFF until the
//   current sensors are calibrated on the first ADC windows (no load), then each socket
//   comes back per its power-cut policy: kOff stays off, kRestore returns to the last
//   state the user commanded (persisted).
// * Overload: per socket, checked on every ADC window; current > threshold switches that
//   socket off (trip). After OutletTiming::retry_delay_ms (5 s) it is switched on again
//   automatically; a user RELAY_OFF cancels the pending retry; RELAY_ON while tripped is refused
//   with NACK kSocketTripped (the legacy PIC acknowledged it and stayed off).
// * Commands must come from the master address; in config mode SET_DEVICE_ID and
//   SET_ID_MASTER are accepted from any sender (the button press is the proof of physical
//   presence; this is how a gateway adopts a factory-fresh outlet). Replies always carry
//   the outlet's own (new, after SET_DEVICE_ID) address and the request's sequence number;
//   a retransmitted request (same sender/target/seq/command) is answered from a one-entry
//   cache without executing it twice.
// * Button: hold config_hold_ms (3 s) -> config mode (ends after one SET_DEVICE_ID/SET_ID_MASTER,
//   a short press, or config_mode_timeout_ms = 60 s); hold factory_reset_hold_ms (10 s) ->
//   factory reset. The button is debounced (debounce_ms = 50 ms).
// * Settings (addresses, threshold, policies, last commanded relay states for kRestore)
//   persist through ConfigStore; a setting that cannot be saved is NACKed and not applied.
//
// v2 command payloads: SET_THRESHOLD u16 BE mA (1..65534); SET_DEVICE_ID / SET_ID_MASTER
// payload[0] = new address (not 0x00/0xFF); SET_POWER_POLICY socket + payload[0] = policy.
// Thread-safety: none. One instance driven from one task (the outlet's main loop).
#pragma once

#include <cstddef>
#include <cstdint>

#include "fw/config_store.h"
#include "fw/radio_frame.h"
#include "fw/rms_current.h"
#include "fw/span.h"

namespace sw::fw {

enum class PowerPolicy : uint8_t { kOff = 0, kRestore = 1 };

struct OutletSettings {
  static constexpr uint8_t kDefaultDeviceId = 0x01;
  static constexpr uint8_t kDefaultMasterId = 0x01;
  static constexpr uint16_t kDefaultThresholdMa = 3000;

  uint8_t device_id = kDefaultDeviceId;
  uint8_t master_id = kDefaultMasterId;
  uint16_t threshold_ma = kDefaultThresholdMa;
  PowerPolicy policy[2] = {PowerPolicy::kOff, PowerPolicy::kOff};
  bool last_on[2] = {false, false};  // last state commanded by the user, for kRestore
};

inline constexpr size_t kOutletSettingsSize = 6;
size_t EncodeOutletSettings(const OutletSettings& settings, MutableByteSpan out);
bool DecodeOutletSettings(ByteSpan bytes, OutletSettings* settings);

struct OutletTiming {
  uint32_t retry_delay_ms = 5000;
  uint32_t config_hold_ms = 3000;
  uint32_t factory_reset_hold_ms = 10000;
  uint32_t config_mode_timeout_ms = 60000;
  uint32_t debounce_ms = 50;
};

enum class OutletEventKind : uint8_t {
  kBoot,
  kCalibrated,
  kOverloadTrip,
  kOverloadRetry,
  kRetryCancelled,
  kConfigModeEntered,
  kConfigModeLeft,
  kFactoryReset,
  kStorageError,
};

struct OutletEvent {
  OutletEventKind kind = OutletEventKind::kBoot;
  uint8_t socket = kSocketNone;  // 1/2 for socket events
  uint16_t current_ma = 0;       // for kOverloadTrip
};

// What one call produced. The caller clears it (or uses a fresh one) before each call.
struct OutletEffects {
  FixedVector<FrameBuffer, 2> transmit;
  FixedVector<OutletEvent, 8> events;
  void Clear() {
    transmit.Clear();
    events.Clear();
  }
};

enum class LedPattern : uint8_t { kUnadopted, kAdopted, kConfigMode };

class OutletController {
 public:
  OutletController(ConfigStore& store, const CurrentSensorSpec& sensor,
                   const OutletTiming& timing = OutletTiming());

  void Boot(uint32_t now_ms, OutletEffects* fx);
  void OnAdcWindows(uint32_t now_ms, Span<const uint16_t> window_a, Span<const uint16_t> window_b,
                    OutletEffects* fx);
  void OnFrame(uint32_t now_ms, const V2Frame& frame, OutletEffects* fx);
  void Tick(uint32_t now_ms, bool button_pressed, OutletEffects* fx);

  // Pin level for relay drive of socket index 0 (A) / 1 (B). NC wiring: HIGH = load ON.
  bool RelayPinHigh(int index) const { return relay_on_[index]; }
  bool relay_on(int index) const { return relay_on_[index]; }
  bool tripped(int index) const { return tripped_[index]; }
  uint16_t current_ma(int index) const { return current_ma_[index]; }
  bool calibrated() const { return calibrated_; }
  bool config_mode() const { return config_mode_; }
  const OutletSettings& settings() const { return settings_; }
  OutletStatus Status() const;
  LedPattern Led() const;

 private:
  struct ReplyCache {
    bool valid = false;
    uint8_t target = 0;
    uint8_t sender = 0;
    uint8_t seq = 0;
    RadioCommand command = RadioCommand::kPing;
    FrameBuffer reply;
  };

  V2Frame Execute(uint32_t now_ms, const V2Frame& request, OutletEffects* fx);
  V2Frame ExecuteRelay(const V2Frame& request, bool on, OutletEffects* fx);
  bool SaveSettings(const OutletSettings& next, OutletEffects* fx);
  void SetRelay(int index, bool on) { relay_on_[index] = on; }
  void EnterConfigMode(uint32_t now_ms, OutletEffects* fx);
  void LeaveConfigMode(OutletEffects* fx);
  void FactoryReset(OutletEffects* fx);
  void HandleButton(uint32_t now_ms, bool pressed, OutletEffects* fx);
  static void Emit(OutletEffects* fx, OutletEventKind kind, uint8_t socket = kSocketNone,
                   uint16_t current_ma = 0);

  ConfigStore& store_;
  RmsCurrentMeter meters_[2];
  OutletTiming timing_;
  OutletSettings settings_;

  bool calibrated_ = false;
  bool relay_on_[2] = {false, false};
  bool tripped_[2] = {false, false};
  uint32_t tripped_at_ms_[2] = {0, 0};
  uint16_t current_ma_[2] = {0, 0};

  bool config_mode_ = false;
  uint32_t config_mode_since_ms_ = 0;

  bool button_raw_ = false;
  uint32_t button_raw_since_ms_ = 0;
  bool button_down_ = false;
  uint32_t button_down_since_ms_ = 0;
  bool hold_config_done_ = false;
  bool hold_reset_done_ = false;

  ReplyCache cache_;
};

}  // namespace sw::fw
