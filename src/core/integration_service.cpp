#include "core/integration_service.hpp"

#include "core/permissions.hpp"

namespace sw::core {
namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kUsernameBytes = 8;

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

std::string Hex(std::string_view bytes) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0x0f];
  }
  return out;
}

Error NotFoundIntegration() {
  return MakeError(Errc::kNotFound, "integration not found", "NOT_FOUND");
}

}  // namespace

std::string_view IntegrationAccessName(IntegrationAccess access) {
  return access == IntegrationAccess::kReadWrite ? "read_write" : "read";
}

std::optional<IntegrationAccess> ParseIntegrationAccess(std::string_view name) {
  if (name == "read") return IntegrationAccess::kRead;
  if (name == "read_write") return IntegrationAccess::kReadWrite;
  return std::nullopt;
}

IntegrationService::IntegrationService(WorkshopStore& workshops, IntegrationStore& integrations,
                                       Crypto& crypto, const Clock& clock)
    : workshops_(workshops), integrations_(integrations), crypto_(crypto), clock_(clock) {}

void IntegrationService::Notify(const Integration& i, Event event) {
  for (const auto& l : listeners_) l(i, event);
}

Result<Integration> IntegrationService::Visible(const Principal& p, Action action,
                                                IntegrationId id) {
  if (!id.valid()) return NotFoundIntegration();
  SW_ASSIGN_OR_RETURN(Integration i, integrations_.GetIntegration(Scope::For(p), id));
  SW_TRY(Authorize(p, action, i.workshop_id));
  return i;
}

Result<Page<Integration>> IntegrationService::List(const Principal& p, WorkshopId workshop,
                                                   PageRequest page) {
  SW_ASSIGN_OR_RETURN(Workshop w, workshops_.GetWorkshop(Scope::For(p), workshop));
  SW_TRY(Authorize(p, Action::kIntegrationList, w.id));
  return integrations_.ListIntegrations(Scope::For(p), w.id, page);
}

Result<IntegrationWithSecret> IntegrationService::Create(const Principal& p, WorkshopId workshop,
                                                         const IntegrationDraft& draft) {
  const Scope scope = Scope::For(p);
  SW_ASSIGN_OR_RETURN(Workshop w, workshops_.GetWorkshop(scope, workshop));
  SW_TRY(Authorize(p, Action::kIntegrationCreate, w.id));
  SW_TRY(ValidateText("name", draft.name, 1, 100));
  SW_ASSIGN_OR_RETURN(auto existing,
                      integrations_.ListIntegrations(scope, w.id, PageRequest{1, 1}));
  if (existing.total >= kMaxIntegrationsPerWorkshop) {
    return MakeError(Errc::kConflict,
                     "a workshop has at most " + std::to_string(kMaxIntegrationsPerWorkshop) +
                         " integrations; delete one first",
                     "INTEGRATION_LIMIT");
  }
  Integration i;
  i.workshop_id = w.id;
  i.name = draft.name;
  i.access = draft.access;
  i.enabled = true;
  i.created_by = p.user_id.valid() ? std::optional<UserId>(p.user_id) : std::nullopt;
  IntegrationWithSecret out;
  out.secret = crypto_.RandomToken(kSecretBytes);
  i.secret_hash = crypto_.Sha256Hex(out.secret);
  i.secret_rotated_at = clock_.Now();
  // A fresh username on the (2^-64) collision; the store's unique index is the arbiter.
  for (int attempt = 0; attempt < 5; ++attempt) {
    i.username = std::string(kIntegrationUserPrefix) + Hex(crypto_.RandomBytes(kUsernameBytes));
    auto created = integrations_.CreateIntegration(scope, i);
    if (created.ok()) {
      out.integration = std::move(created).value();
      return out;
    }
    if (std::string_view(created.error().Code()) != "INTEGRATION_USERNAME_TAKEN") {
      return created.take_error();
    }
  }
  return MakeError(Errc::kInternal, "could not allocate an integration username");
}

Result<Integration> IntegrationService::Get(const Principal& p, IntegrationId id) {
  return Visible(p, Action::kIntegrationRead, id);
}

Result<Change<Integration>> IntegrationService::Update(const Principal& p, IntegrationId id,
                                                       const IntegrationPatch& patch) {
  SW_ASSIGN_OR_RETURN(Integration before, Visible(p, Action::kIntegrationUpdate, id));
  Integration after = before;
  if (patch.name) {
    SW_TRY(ValidateText("name", *patch.name, 1, 100));
    after.name = *patch.name;
  }
  if (patch.access) after.access = *patch.access;
  if (patch.enabled) after.enabled = *patch.enabled;
  SW_ASSIGN_OR_RETURN(after, integrations_.UpdateIntegration(Scope::For(p), after));
  if (after.access != before.access || after.enabled != before.enabled)
    Notify(after, Event::kUpdated);
  return Change<Integration>{std::move(before), std::move(after)};
}

Result<IntegrationWithSecret> IntegrationService::RotateSecret(const Principal& p,
                                                               IntegrationId id) {
  SW_ASSIGN_OR_RETURN(Integration i, Visible(p, Action::kIntegrationRotateSecret, id));
  IntegrationWithSecret out;
  out.secret = crypto_.RandomToken(kSecretBytes);
  i.secret_hash = crypto_.Sha256Hex(out.secret);
  i.secret_rotated_at = clock_.Now();
  SW_ASSIGN_OR_RETURN(out.integration, integrations_.UpdateIntegration(Scope::For(p), i));
  Notify(out.integration, Event::kSecretRotated);
  return out;
}

Result<Integration> IntegrationService::Delete(const Principal& p, IntegrationId id) {
  SW_ASSIGN_OR_RETURN(Integration i, Visible(p, Action::kIntegrationDelete, id));
  SW_TRY(integrations_.DeleteIntegration(Scope::For(p), i.id));
  Notify(i, Event::kDeleted);
  return i;
}

Result<Integration> IntegrationService::Authenticate(std::string_view username,
                                                     std::string_view secret) {
  const Error denied =
      MakeError(Errc::kUnauthenticated, "bad integration credentials", "INVALID_CREDENTIALS");
  if (!username.starts_with(kIntegrationUserPrefix) || username.size() > 64 || secret.empty() ||
      secret.size() > 256) {
    return denied;
  }
  SW_ASSIGN_OR_RETURN(auto found, integrations_.FindIntegrationByUsername(username));
  // Hash even for an unknown username, so both cost the same.
  const std::string presented = crypto_.Sha256Hex(secret);
  if (!found || !ConstantTimeEquals(presented, found->secret_hash)) return denied;
  if (!found->enabled) {
    return MakeError(Errc::kForbidden, "the integration is disabled", "INTEGRATION_DISABLED");
  }
  auto w = workshops_.GetWorkshop(Scope::All(), found->workshop_id);
  if (!w.ok() || !w->active) {
    return MakeError(Errc::kForbidden, "the workshop is not active", "INTEGRATION_DISABLED");
  }
  return std::move(*found);
}

Result<std::optional<Integration>> IntegrationService::Find(std::string_view username) {
  return integrations_.FindIntegrationByUsername(username);
}

}  // namespace sw::core
