// IntegrationService: a workshop's MQTT integration accounts (issue 4) — create (username and
// secret generated; the secret shown once, stored as SHA-256), list, read, rename / change
// access / disable / enable, rotate the secret (shown once), delete — under the permission
// table (integration.*: owners of the workshop and super_admins). For the broker: the check of
// an integration's credentials at CONNECT and the lookup of its current state.
//
// Listeners hear about every change that matters to live MQTT connections (access, enabled,
// secret, deletion), so the broker's policy can update its cache and disconnect the client.
// Thread-safe (state lives in the stores; listeners are added before use).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "core/integration.hpp"
#include "core/ports.hpp"
#include "core/tenancy_service.hpp"

namespace sw::core {

struct IntegrationDraft {
  std::string name;
  IntegrationAccess access = IntegrationAccess::kRead;
};

struct IntegrationPatch {
  std::optional<std::string> name;
  std::optional<IntegrationAccess> access;
  std::optional<bool> enabled;
};

struct IntegrationWithSecret {
  Integration integration;
  std::string secret;  // shown once; only its hash is stored
};

// Integrations per workshop: each is a standing credential; a workshop needs a handful.
inline constexpr int kMaxIntegrationsPerWorkshop = 50;

class IntegrationService {
 public:
  enum class Event {
    kUpdated,        // access or enabled changed
    kSecretRotated,  // the old secret no longer works
    kDeleted,
  };
  // The integration as it is now (as it was, for kDeleted).
  using Listener = std::function<void(const Integration& integration, Event event)>;

  IntegrationService(WorkshopStore& workshops, IntegrationStore& integrations, Crypto& crypto,
                     const Clock& clock);

  void AddListener(Listener l) { listeners_.push_back(std::move(l)); }

  Result<Page<Integration>> List(const Principal& p, WorkshopId workshop, PageRequest page);
  Result<IntegrationWithSecret> Create(const Principal& p, WorkshopId workshop,
                                       const IntegrationDraft& draft);
  Result<Integration> Get(const Principal& p, IntegrationId id);
  Result<Change<Integration>> Update(const Principal& p, IntegrationId id,
                                     const IntegrationPatch& patch);
  Result<IntegrationWithSecret> RotateSecret(const Principal& p, IntegrationId id);
  Result<Integration> Delete(const Principal& p, IntegrationId id);

  // ---- the broker (platform calls) ----
  // Unauthenticated for an unknown username or a wrong secret (both cost one hash);
  // Forbidden (INTEGRATION_DISABLED) for a disabled integration or an inactive workshop.
  Result<Integration> Authenticate(std::string_view username, std::string_view secret);
  // The integration's current state; nullopt when it no longer exists.
  Result<std::optional<Integration>> Find(std::string_view username);

 private:
  Result<Integration> Visible(const Principal& p, Action action, IntegrationId id);
  void Notify(const Integration& i, Event event);

  WorkshopStore& workshops_;
  IntegrationStore& integrations_;
  Crypto& crypto_;
  const Clock& clock_;
  std::vector<Listener> listeners_;
};

}  // namespace sw::core
