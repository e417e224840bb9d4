#include "core/device_service.hpp"

#include "common/strings.hpp"
#include "core/permissions.hpp"

namespace sw::core {
namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kProvisioningKeyBytes = 32;
constexpr std::size_t kMaxAnnounceJson = 4096;
constexpr std::size_t kMaxAnnounceSensors = 32;

Status ValidateInterval(int seconds) {
  if (seconds < 1 || seconds > 86400) {
    return InvalidField("report_interval_s", "must be between 1 and 86400 seconds");
  }
  return Ok{};
}

Status ValidateRadioProtocol(int protocol) {
  if (protocol != 1 && protocol != 2) {
    return InvalidField("radio_protocol", "must be 1 (legacy PIC outlet) or 2 (Sitewatch v2)");
  }
  return Ok{};
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

Status ValidateAnnouncement(const DeviceAnnouncement& a) {
  if (a.kind == DeviceKind::kOutlet) {
    return InvalidField("kind", "outlets are registered through their gateway");
  }
  SW_TRY(ValidateText("mac", a.mac, 0, 64));
  SW_TRY(ValidateText("fw", a.firmware, 0, 32));
  if (a.sensors.size() > kMaxAnnounceSensors) {
    return InvalidField("sensors", "at most " + std::to_string(kMaxAnnounceSensors) + " sensors");
  }
  for (const std::string& sensor : a.sensors) SW_TRY(ValidateText("sensors", sensor, 1, 64));
  if (a.json.size() > kMaxAnnounceJson) return InvalidField("announce", "too large");
  return Ok{};
}

}  // namespace

DeviceService::DeviceService(Stores stores, Crypto& crypto, const Clock& clock)
    : stores_(stores), crypto_(crypto), clock_(clock) {}

Result<Device> DeviceService::Visible(const Principal& p, Action action, std::string_view uid) {
  if (!ValidateDeviceUid(uid).ok()) return MakeError(Errc::kNotFound, "device not found");
  SW_ASSIGN_OR_RETURN(Device d, stores_.devices.GetDevice(Scope::For(p), uid));
  SW_TRY(Authorize(p, action, d.workshop_id));
  return d;
}

Result<Page<Device>> DeviceService::List(const Principal& p, WorkshopId workshop,
                                         const DeviceFilter& filter, PageRequest page) {
  SW_ASSIGN_OR_RETURN(Workshop w, stores_.workshops.GetWorkshop(Scope::For(p), workshop));
  SW_TRY(Authorize(p, Action::kDeviceList, w.id));
  return stores_.devices.ListDevices(Scope::For(p), w.id, filter, page);
}

Result<DeviceWithSecret> DeviceService::Register(const Principal& p, WorkshopId workshop,
                                                 const DeviceDraft& draft) {
  const Scope scope = Scope::For(p);
  SW_ASSIGN_OR_RETURN(Workshop w, stores_.workshops.GetWorkshop(scope, workshop));
  SW_TRY(Authorize(p, Action::kDeviceCreate, w.id));
  SW_TRY(ValidateText("name", draft.name, 0, 100));
  SW_TRY(ValidateInterval(draft.report_interval_s));

  Device d;
  d.kind = draft.kind;
  d.workshop_id = w.id;
  d.name = draft.name;
  d.report_interval_s = draft.report_interval_s;
  d.status = DeviceStatus::kActive;
  if (draft.pit_id) {
    auto pit = stores_.pits.GetPit(scope, *draft.pit_id);
    if (!pit.ok() || pit->workshop_id != w.id) {
      return InvalidField("pit_id", "no such pit in this workshop");
    }
    d.pit_id = pit->id;
  }
  if (draft.kind == DeviceKind::kOutlet) {
    if (draft.parent_uid.empty()) return InvalidField("parent_uid", "an outlet needs its gateway");
    if (!draft.radio_address || *draft.radio_address < 1 || *draft.radio_address > 254) {
      return InvalidField("radio_address", "must be between 1 and 254");
    }
    auto parent = ValidateDeviceUid(draft.parent_uid, "parent_uid").ok()
                      ? stores_.devices.GetDevice(scope, draft.parent_uid)
                      : Result<Device>(MakeError(Errc::kNotFound, "no such gateway"));
    if (!parent.ok() || parent->workshop_id != w.id || parent->kind != DeviceKind::kGateway) {
      return InvalidField("parent_uid", "no such gateway in this workshop");
    }
    d.parent_id = parent->id;
    d.parent_uid = parent->uid;
    d.radio_address = draft.radio_address;
    if (draft.radio_protocol) {
      SW_TRY(ValidateRadioProtocol(*draft.radio_protocol));
      d.radio_protocol = *draft.radio_protocol;
    }
    const std::string expected = OutletUid(parent->uid, *draft.radio_address);
    if (!draft.uid.empty() && draft.uid != expected) {
      return InvalidField("uid",
                          "an outlet's uid is its gateway's uid and radio address: " + expected);
    }
    d.uid = expected;
  } else {
    if (!draft.parent_uid.empty()) {
      return InvalidField("parent_uid", "only outlets hang off a gateway");
    }
    if (draft.radio_address) return InvalidField("radio_address", "only outlets have one");
    if (draft.radio_protocol) return InvalidField("radio_protocol", "only outlets have one");
    d.uid = draft.uid;
  }
  SW_TRY(ValidateDeviceUid(d.uid));

  DeviceWithSecret out;
  out.secret = crypto_.RandomToken(kSecretBytes);
  d.secret_hash = crypto_.Sha256Hex(out.secret);
  const SysTime now = clock_.Now();
  d.licence.plan = "trial";
  d.licence.status = LicenceStatus::kTrial;
  d.licence.starts_at = now;
  d.licence.expires_at = now + std::chrono::hours(24 * kTrialDays);
  // A fresh key on the rare collision; the store's unique index is the arbiter.
  for (int attempt = 0; attempt < 5; ++attempt) {
    d.licence.key = FormatLicenceKey(crypto_.RandomBytes(12));
    auto created = stores_.devices.CreateDevice(scope, d);
    if (created.ok()) {
      out.device = std::move(created).value();
      if (d.kind == DeviceKind::kOutlet && outlets_changed_) outlets_changed_(d.parent_uid);
      return out;
    }
    if (std::string_view(created.error().Code()) != "LICENCE_KEY_TAKEN") {
      return created.take_error();
    }
  }
  return MakeError(Errc::kInternal, "could not allocate a licence key");
}

Result<Device> DeviceService::Get(const Principal& p, std::string_view uid) {
  return Visible(p, Action::kDeviceRead, uid);
}

Result<Change<Device>> DeviceService::Update(const Principal& p, std::string_view uid,
                                             const DevicePatch& patch) {
  SW_ASSIGN_OR_RETURN(Device before, Visible(p, Action::kDeviceUpdate, uid));
  Device after = before;
  if (patch.name) {
    SW_TRY(ValidateText("name", *patch.name, 0, 100));
    after.name = *patch.name;
  }
  if (patch.pit_id) {
    if (*patch.pit_id) {
      auto pit = stores_.pits.GetPit(Scope::For(p), **patch.pit_id);
      if (!pit.ok() || pit->workshop_id != before.workshop_id) {
        return InvalidField("pit_id", "no such pit in this workshop");
      }
    }
    after.pit_id = *patch.pit_id;
  }
  if (patch.status) {
    const DeviceStatus s = *patch.status;
    if (s != DeviceStatus::kActive && s != DeviceStatus::kDisabled &&
        s != DeviceStatus::kMaintenance) {
      return InvalidField("status", "may be set to active, disabled or maintenance");
    }
    if (before.status == DeviceStatus::kPending) {
      // Approval generates the credentials; a PATCH must not activate a device without them.
      return MakeError(Errc::kConflict, "a pending device is approved or rejected, not patched",
                       "DEVICE_PENDING", "status");
    }
    if (before.status == DeviceStatus::kSuspended && s == DeviceStatus::kActive) {
      return MakeError(Errc::kConflict, "a suspended device is re-enabled by its licence",
                       "LICENCE_SUSPENDED", "status");
    }
    after.status = s;
  }
  if (patch.report_interval_s) {
    SW_TRY(ValidateInterval(*patch.report_interval_s));
    after.report_interval_s = *patch.report_interval_s;
  }
  if (patch.radio_protocol) {
    if (before.kind != DeviceKind::kOutlet) {
      return InvalidField("radio_protocol", "only outlets have one");
    }
    SW_TRY(ValidateRadioProtocol(*patch.radio_protocol));
    after.radio_protocol = *patch.radio_protocol;
  }
  SW_ASSIGN_OR_RETURN(after, stores_.devices.UpdateDevice(Scope::For(p), after));
  if (after.kind == DeviceKind::kOutlet && after.radio_protocol != before.radio_protocol &&
      outlets_changed_) {
    outlets_changed_(after.parent_uid);  // the gateway must speak the other protocol to it
  }
  return Change<Device>{std::move(before), std::move(after)};
}

Result<DeviceWithSecret> DeviceService::RotateSecret(const Principal& p, std::string_view uid) {
  SW_ASSIGN_OR_RETURN(Device d, Visible(p, Action::kDeviceRotateSecret, uid));
  DeviceWithSecret out;
  out.secret = crypto_.RandomToken(kSecretBytes);
  d.secret_hash = crypto_.Sha256Hex(out.secret);
  SW_ASSIGN_OR_RETURN(out.device, stores_.devices.UpdateDevice(Scope::For(p), d));
  return out;
}

Result<Device> DeviceService::Delete(const Principal& p, std::string_view uid, bool purge) {
  auto visible = Visible(p, Action::kDeviceDelete, uid);
  if (!visible.ok() && purge && visible.error().code == Errc::kNotFound &&
      ValidateDeviceUid(uid).ok()) {
    // A device retired earlier: purging it removes its row and history and frees its uid.
    SW_ASSIGN_OR_RETURN(Device retired, stores_.devices.GetRetiredDevice(Scope::For(p), uid));
    SW_TRY(Authorize(p, Action::kDeviceDelete, retired.workshop_id));
    SW_TRY(stores_.devices.DeleteDevice(Scope::For(p), retired.id, true));
    return retired;
  }
  SW_ASSIGN_OR_RETURN(Device d, std::move(visible));
  SW_TRY(stores_.devices.DeleteDevice(Scope::For(p), d.id, purge));
  if (d.kind == DeviceKind::kOutlet && outlets_changed_) outlets_changed_(d.parent_uid);
  return d;
}

Result<Device> DeviceService::Authenticate(std::string_view uid, std::string_view secret) {
  const Error denied =
      MakeError(Errc::kUnauthenticated, "bad device credentials", "INVALID_CREDENTIALS");
  if (!ValidateDeviceUid(uid).ok() || secret.empty() || secret.size() > 256) return denied;
  auto d = stores_.devices.GetDevice(Scope::All(), uid);
  // Hash even for an unknown uid, so both cost the same.
  const std::string presented = crypto_.Sha256Hex(secret);
  if (!d.ok()) return denied;
  if (!ConstantTimeEquals(presented, d->secret_hash)) return denied;
  if (d->status == DeviceStatus::kDisabled || d->status == DeviceStatus::kPending) {
    return MakeError(Errc::kForbidden, "device is " + std::string(DeviceStatusName(d->status)),
                     "DEVICE_DISABLED");
  }
  return std::move(d).value();
}

Result<ProvisioningKeyIssued> DeviceService::RotateProvisioningKey(const Principal& p,
                                                                   WorkshopId workshop) {
  const Scope scope = Scope::For(p);
  SW_ASSIGN_OR_RETURN(Workshop w, stores_.workshops.GetWorkshop(scope, workshop));
  SW_TRY(Authorize(p, Action::kWorkshopProvisioningKey, w.id));
  ProvisioningKeyIssued out;
  out.workshop_id = w.id;
  out.slug = w.slug;
  out.key = crypto_.RandomToken(kProvisioningKeyBytes);
  out.rotated_at = clock_.Now();
  SW_TRY(stores_.provisioning.SetProvisioningKey(scope, w.id, crypto_.Sha256Hex(out.key),
                                                 out.rotated_at));
  return out;
}

Result<WorkshopId> DeviceService::CheckProvisioningKey(std::string_view slug, std::string_view key,
                                                       std::string_view uid) {
  const Error denied =
      MakeError(Errc::kUnauthenticated, "bad provisioning credentials", "INVALID_CREDENTIALS");
  if (slug.empty() || slug.size() > 100 || key.empty() || key.size() > 256) return denied;
  auto found = stores_.provisioning.FindProvisioningKey(slug);
  // Hash even for an unknown workshop, so both cost the same.
  const std::string presented = crypto_.Sha256Hex(key);
  if (!found.ok()) return found.take_error();
  if (!*found || !ConstantTimeEquals(presented, (*found)->key_hash)) return denied;
  const WorkshopId workshop = (*found)->workshop_id;
  if (!ValidateDeviceUid(uid).ok()) {
    return MakeError(Errc::kForbidden, "the client id must be the device's uid", "INVALID_UID");
  }
  auto existing = stores_.devices.GetDevice(Scope::All(), uid);
  if (existing.ok() &&
      (existing->status != DeviceStatus::kPending || existing->workshop_id != workshop)) {
    return MakeError(Errc::kForbidden, "a device with this uid exists", "DEVICE_EXISTS");
  }
  if (!existing.ok() && existing.error().code != Errc::kNotFound) return existing.take_error();
  return workshop;
}

Result<Device> DeviceService::Announce(WorkshopId workshop, std::string_view uid,
                                       const DeviceAnnouncement& announce) {
  SW_TRY(ValidateDeviceUid(uid));
  SW_TRY(ValidateAnnouncement(announce));
  Device d;
  d.uid = std::string(uid);
  d.kind = announce.kind;
  d.workshop_id = workshop;
  d.status = DeviceStatus::kPending;
  d.firmware_version = announce.firmware;
  // Nobody knows this secret: a pending device cannot log in until it is approved.
  d.secret_hash = crypto_.Sha256Hex(crypto_.RandomBytes(kSecretBytes));
  const SysTime now = clock_.Now();
  d.licence.plan = "trial";
  d.licence.status = LicenceStatus::kTrial;
  d.licence.starts_at = now;
  d.licence.expires_at = now + std::chrono::hours(24 * kTrialDays);
  for (int attempt = 0; attempt < 5; ++attempt) {
    d.licence.key = FormatLicenceKey(crypto_.RandomBytes(12));
    auto saved = stores_.provisioning.SavePendingDevice(d, announce.json, kMaxPendingDevices);
    if (saved.ok() || std::string_view(saved.error().Code()) != "LICENCE_KEY_TAKEN") return saved;
  }
  return MakeError(Errc::kInternal, "could not allocate a licence key");
}

Result<Device> DeviceService::VisiblePending(const Principal& p, std::string_view uid) {
  SW_ASSIGN_OR_RETURN(Device d, Visible(p, Action::kDeviceApprove, uid));
  if (d.status != DeviceStatus::kPending) {
    return MakeError(Errc::kConflict, "the device is not pending", "DEVICE_NOT_PENDING");
  }
  return d;
}

Result<DeviceWithSecret> DeviceService::Approve(const Principal& p, std::string_view uid,
                                                const DeviceApproval& approval) {
  SW_ASSIGN_OR_RETURN(Device d, VisiblePending(p, uid));
  if (approval.name) {
    SW_TRY(ValidateText("name", *approval.name, 0, 100));
    d.name = *approval.name;
  }
  if (approval.pit_id) {
    auto pit = stores_.pits.GetPit(Scope::For(p), *approval.pit_id);
    if (!pit.ok() || pit->workshop_id != d.workshop_id) {
      return InvalidField("pit_id", "no such pit in this workshop");
    }
    d.pit_id = pit->id;
  }
  DeviceWithSecret out;
  out.secret = crypto_.RandomToken(kSecretBytes);
  d.secret_hash = crypto_.Sha256Hex(out.secret);
  d.status = DeviceStatus::kActive;
  // The trial starts when the device joins, not when it first announced itself.
  const SysTime now = clock_.Now();
  d.licence.starts_at = now;
  d.licence.expires_at = now + std::chrono::hours(24 * kTrialDays);
  SW_ASSIGN_OR_RETURN(out.device, stores_.provisioning.ActivatePendingDevice(Scope::For(p), d));
  return out;
}

Result<Device> DeviceService::Reject(const Principal& p, std::string_view uid) {
  SW_ASSIGN_OR_RETURN(Device d, VisiblePending(p, uid));
  SW_TRY(stores_.provisioning.DeletePendingDevice(Scope::For(p), d.id));
  return d;
}

}  // namespace sw::core
