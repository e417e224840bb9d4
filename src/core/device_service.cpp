#include "core/device_service.hpp"

#include "common/strings.hpp"
#include "core/permissions.hpp"

namespace sw::core {
namespace {

constexpr std::size_t kSecretBytes = 32;

Status ValidateInterval(int seconds) {
  if (seconds < 1 || seconds > 86400) {
    return InvalidField("report_interval_s", "must be between 1 and 86400 seconds");
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
  SW_ASSIGN_OR_RETURN(after, stores_.devices.UpdateDevice(Scope::For(p), after));
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
  SW_ASSIGN_OR_RETURN(Device d, Visible(p, Action::kDeviceDelete, uid));
  SW_TRY(stores_.devices.DeleteDevice(Scope::For(p), d.id, purge));
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

}  // namespace sw::core
