// Acceptance test for the permission table (src/core/permissions.cpp): every tenant REST
// endpoint of api/openapi.json × every role × own/other workshop, against one real server.
// The expected status is computed from core::GrantFor and core::MayManageRole (the table is
// the oracle), plus the extra rules TenancyService layers on top. A user of workshop A must
// get 404 NOT_FOUND, never the data, for anything of workshop B: every resource of B carries
// the marker `zz-marker-B-<n>` and no response to an A caller may contain it.
#include "core/permissions.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace sw::testing {
namespace {

using core::Action;
using core::Grant;
using core::Role;

constexpr const char* kUserPassword = "Perm-matrix-pw-7319";
// Bodies are lower-cased before searching (usernames are stored lower-case).
constexpr const char* kMarkerLower = "zz-marker-b-";

enum class Scope {
  kOwn,       // a resource of the caller's workshop
  kOther,     // a resource of another workshop
  kSelf,      // the caller's own user record
  kPlatform,  // a resource of no workshop (another super_admin)
};

std::string ScopeName(Scope s) {
  switch (s) {
    case Scope::kOwn: return "own";
    case Scope::kOther: return "other";
    case Scope::kSelf: return "self";
    case Scope::kPlatform: return "platform";
  }
  return "?";
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool HasMarker(const std::string& body) {
  return Lower(body).find(kMarkerLower) != std::string::npos;
}

std::string Serialize(const json::object& o) {
  return json::serialize(o);
}

struct Caller {
  Role role = Role::kStaff;
  std::string token;
  std::int64_t user_id = 0;
  std::optional<std::int64_t> workshop_id;
  std::string username;
};

// One concrete request of a case.
struct Built {
  std::string method;
  std::string path;
  std::string body;
  // Admin GET whose response must be identical before and after a refused call (empty: none).
  std::string snapshot;
};

struct Expect {
  int status = 200;
  std::string code;  // error.code for failures
};

// ---- the running server and its fixtures ------------------------------------------------

class World {
 public:
  World() : server_(Options()), client_(server_.Client()) {}

  void Init() {
    admin_.role = Role::kSuperAdmin;
    admin_.username = "admin";
    admin_.token = Login(client_, "admin", ServerProcess::kAdminPassword);
    if (admin_.token.empty()) throw std::runtime_error("admin login failed:\n" + server_.Log());
    auto me = Require(Call("GET", "/api/v1/auth/me", "", admin_.token), 200, "GET /auth/me");
    admin_.user_id = me.Json().at("data").at("id").as_int64();
    a_ = CreateWorkshop(false, "perm-workshop-A");
    b_ = CreateWorkshop(true);
    callers_[Role::kSuperAdmin] = admin_;
    for (Role r : {Role::kOwner, Role::kStaff, Role::kCustomer}) callers_[r] = FreshCaller(r, a_);
    // Workshop B is populated like A, and its users are logged in (audited under B).
    for (Role r : {Role::kOwner, Role::kStaff, Role::kCustomer}) {
      b_callers_[r] = FreshCaller(r, b_, /*marked=*/true);
    }
    CreatePit(b_, true);
    CreatePit(a_, false);
  }

  static ServerOptions Options() {
    ServerOptions o;
    // The matrix makes a few hundred requests as the admin: keep the limits out of the way.
    o.extra_args = {"--api-rate-limit-per-minute",    "1000000",
                    "--auth-login-rate-per-minute",   "100000",
                    "--commands-per-user-per-minute", "100000"};
    return o;
  }

  std::int64_t A() const { return a_; }
  std::int64_t B() const { return b_; }
  const Caller& Principal(Role r) { return callers_.at(r); }
  const Caller& PrincipalOfB(Role r) { return b_callers_.at(r); }
  const Caller& Admin() const { return admin_; }
  std::string Log() const { return server_.Log(); }

  HttpResult Call(const std::string& method, const std::string& path, const std::string& body,
                  const std::string& token) {
    return client_.Request(method, path, body, token);
  }
  HttpResult Raw(const std::string& method, const std::string& path, const std::string& body,
                 const std::vector<std::pair<std::string, std::string>>& headers) {
    return client_.Request(method, path, body, {}, headers);
  }
  HttpResult AdminCall(const std::string& method, const std::string& path,
                       const std::string& body = {}) {
    return Call(method, path, body, admin_.token);
  }

  static HttpResult Require(HttpResult r, int status, const std::string& what) {
    if (r.status != status) {
      throw std::runtime_error("set-up step failed: " + what + " -> " + std::to_string(r.status) +
                               " " + r.body);
    }
    return r;
  }

  std::string Name(bool marked, const std::string& prefix) {
    const int n = ++counter_;
    return marked ? "zz-marker-B-" + std::to_string(n) : prefix + "-" + std::to_string(n);
  }

  std::int64_t CreateWorkshop(bool marked, std::string name = {}) {
    if (name.empty()) name = Name(marked, "perm-ws");
    auto r = Require(AdminCall("POST", "/api/v1/workshops", Serialize({{"name", name}})), 201,
                     "create workshop " + name);
    return r.Json().at("data").at("id").as_int64();
  }

  int NextPitNumber(std::int64_t workshop) { return ++pit_numbers_[workshop]; }

  std::int64_t CreatePit(std::int64_t workshop, bool marked) {
    const int number = NextPitNumber(workshop);
    auto r = Require(AdminCall("POST", "/api/v1/workshops/" + std::to_string(workshop) + "/pits",
                               Serialize({{"number", number}, {"name", Name(marked, "pit")}})),
                     201, "create pit");
    return r.Json().at("data").at("id").as_int64();
  }

  // A new sensor node as the admin; returns its uid.
  std::string CreateDevice(std::int64_t workshop, bool marked) {
    const std::string uid = Name(marked, "perm-dev");
    Require(AdminCall("POST", "/api/v1/workshops/" + std::to_string(workshop) + "/devices",
                      Serialize({{"uid", uid}, {"kind", "sensor_node"}, {"name", uid}})),
            201, "create device " + uid);
    return uid;
  }

  // A new gateway with one outlet as the admin; returns {gateway uid, outlet uid}.
  std::pair<std::string, std::string> CreateGateway(std::int64_t workshop, bool marked) {
    const std::string uid = Name(marked, "perm-gw");
    const std::string path = "/api/v1/workshops/" + std::to_string(workshop) + "/devices";
    Require(AdminCall("POST", path, Serialize({{"uid", uid}, {"kind", "gateway"}})), 201,
            "create gateway " + uid);
    auto r = Require(AdminCall("POST", path,
                               Serialize({{"kind", "outlet"},
                                          {"parent_uid", uid},
                                          {"radio_address", 1},
                                          {"name", Name(marked, "perm-outlet")}})),
                     201, "create outlet of " + uid);
    return {uid, std::string(r.Json().at("data").at("device").at("uid").as_string())};
  }

  // A queued `identify` command for a new sensor node, as the admin; returns its id.
  std::string CreateCommand(std::int64_t workshop, bool marked) {
    const std::string uid = CreateDevice(workshop, marked);
    auto r = Require(AdminCall("POST", "/api/v1/devices/" + uid + "/commands",
                               Serialize({{"name", "identify"}})),
                     202, "create command for " + uid);
    return std::string(r.Json().at("data").at("id").as_string());
  }

  // A new MQTT integration (read) as the admin; returns its id.
  std::int64_t CreateIntegration(std::int64_t workshop, bool marked) {
    auto r =
        Require(AdminCall("POST", "/api/v1/workshops/" + std::to_string(workshop) + "/integrations",
                          Serialize({{"name", Name(marked, "perm-int")}, {"access", "read"}})),
                201, "create integration");
    return r.Json().at("data").at("integration").at("id").as_int64();
  }

  // A new user as the admin; `workshop` nullopt for a super_admin.
  Caller CreateUser(Role role, std::optional<std::int64_t> workshop, bool marked) {
    Caller c;
    c.role = role;
    c.workshop_id = workshop;
    c.username = Name(marked, "perm-" + std::string(core::RoleName(role)));
    json::object body{{"username", c.username},
                      {"password", kUserPassword},
                      {"role", core::RoleName(role)},
                      {"full_name", marked ? c.username : std::string("Matrix user")}};
    if (workshop) body["workshop_id"] = *workshop;
    auto r = Require(AdminCall("POST", "/api/v1/users", Serialize(body)), 201,
                     "create user " + c.username);
    c.user_id = r.Json().at("data").at("user").at("id").as_int64();
    return c;
  }

  // A new user that is logged in, for cases that act on the caller itself or its workshop.
  Caller FreshCaller(Role role, std::optional<std::int64_t> workshop, bool marked = false) {
    Caller c = CreateUser(role, role == Role::kSuperAdmin ? std::nullopt : workshop, marked);
    c.token = Login(client_, c.username, kUserPassword);
    if (c.token.empty()) throw std::runtime_error("login of " + c.username + " failed");
    return c;
  }

  // All items of a paged list endpoint (`path` has no page parameters).
  std::pair<int, std::vector<std::string>> AllPages(const std::string& path,
                                                    const std::string& token, int page_size) {
    std::vector<std::string> bodies;
    const char sep = path.find('?') == std::string::npos ? '?' : '&';
    for (int page = 1; page < 1000; ++page) {
      auto r = Call(
          "GET",
          path + sep + "page=" + std::to_string(page) + "&page_size=" + std::to_string(page_size),
          "", token);
      bodies.push_back(r.body);
      if (r.status != 200) return {r.status, bodies};
      const json::value v = r.Json();
      const auto total = v.at("meta").at("total").as_int64();
      if (v.at("data").as_array().empty() || static_cast<std::int64_t>(page) * page_size >= total)
        break;
    }
    return {200, bodies};
  }

 private:
  ServerProcess server_;
  HttpClient client_;
  Caller admin_;
  std::int64_t a_ = 0;
  std::int64_t b_ = 0;
  std::map<Role, Caller> callers_;
  std::map<Role, Caller> b_callers_;
  std::map<std::int64_t, int> pit_numbers_;
  int counter_ = 0;
};

// ---- the endpoint table -------------------------------------------------------------------

using Layer = std::function<std::optional<Expect>(Role caller, Scope, std::optional<Role> target)>;
using Builder = std::function<Built(World&, const Caller&, Scope, std::optional<Role> target)>;

enum class Confine {
  kNone,
  kItemsWorkshopId,  // success data is a list whose items' workshop_id is the caller's
  kItemsId,          // success data is a list of workshops: item id is the caller's
  kDataWorkshopId,   // success data is one object whose workshop_id is the caller's
  kCreatedUser,      // success data is {user, temporary_password}; user.workshop_id is the caller's
};

struct Endpoint {
  std::string method;
  std::string path;  // exactly as in api/openapi.json
  std::string variant;
  Action action;
  int ok_status;
  std::vector<Scope> scopes;
  std::vector<std::optional<Role>> targets;  // for user records: the role acted on
  bool fresh_home;  // own-scope cases act from a throwaway workshop (destructive calls)
  Confine confine;
  Builder build;
  Layer layer;

  std::string Label() const {
    return method + " " + path + (variant.empty() ? "" : " [" + variant + "]");
  }
};

std::string Str(std::int64_t v) {
  return std::to_string(v);
}

std::int64_t Home(World& w, const Caller& c) {
  return c.workshop_id.value_or(w.A());
}

std::int64_t WorkshopFor(World& w, const Caller& c, Scope s) {
  return s == Scope::kOther ? w.B() : Home(w, c);
}

std::int64_t PitTarget(World& w, const Caller& c, Scope s) {
  return w.CreatePit(WorkshopFor(w, c, s), s == Scope::kOther);
}

std::string DeviceTarget(World& w, const Caller& c, Scope s) {
  return w.CreateDevice(WorkshopFor(w, c, s), s == Scope::kOther);
}

std::int64_t UserTarget(World& w, const Caller& c, Scope s, std::optional<Role> role) {
  switch (s) {
    case Scope::kSelf: return c.user_id;
    case Scope::kPlatform: return w.CreateUser(Role::kSuperAdmin, std::nullopt, true).user_id;
    case Scope::kOther: return w.CreateUser(*role, w.B(), true).user_id;
    case Scope::kOwn: break;
  }
  return w.CreateUser(*role, Home(w, c), false).user_id;
}

// TenancyService::ManagedUser: besides the grant, a caller manages only the roles
// MayManageRole allows, except its own record.
std::optional<Expect> ManagedUserRule(Role caller, Scope scope, std::optional<Role> target) {
  if (scope != Scope::kSelf && target && !core::MayManageRole(caller, *target)) {
    return Expect{403, "INSUFFICIENT_PERMISSIONS"};
  }
  return std::nullopt;
}

const std::vector<std::optional<Role>> kUserTargets = {Role::kOwner, Role::kStaff, Role::kCustomer};
const std::vector<Scope> kOwnOther = {Scope::kOwn, Scope::kOther};
const std::vector<Scope> kUserScopes = {Scope::kOwn, Scope::kOther, Scope::kSelf, Scope::kPlatform};

const std::vector<Endpoint>& Endpoints() {
  static const std::vector<Endpoint> table = [] {
    const std::vector<std::optional<Role>> none = {std::nullopt};
    std::vector<Endpoint> t;
    // ---- workshops ----
    t.push_back({"GET",
                 "/api/v1/workshops",
                 "",
                 Action::kWorkshopList,
                 200,
                 {Scope::kOwn},
                 none,
                 false,
                 Confine::kItemsId,
                 [](World&, const Caller&, Scope, std::optional<Role>) {
                   return Built{"GET", "/api/v1/workshops?page_size=100", "", ""};
                 },
                 nullptr});
    t.push_back({"POST",
                 "/api/v1/workshops",
                 "",
                 Action::kWorkshopCreate,
                 201,
                 {Scope::kOwn},
                 none,
                 false,
                 Confine::kNone,
                 [](World& w, const Caller&, Scope, std::optional<Role>) {
                   return Built{"POST", "/api/v1/workshops",
                                Serialize({{"name", w.Name(false, "perm-created-ws")},
                                           {"timezone", "Europe/Berlin"}}),
                                "/api/v1/workshops?page_size=1"};
                 },
                 nullptr});
    t.push_back({"GET", "/api/v1/workshops/{id}", "", Action::kWorkshopRead, 200, kOwnOther, none,
                 false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   return Built{"GET", "/api/v1/workshops/" + Str(WorkshopFor(w, c, s)), "", ""};
                 },
                 nullptr});
    t.push_back({"PATCH", "/api/v1/workshops/{id}", "", Action::kWorkshopUpdate, 200, kOwnOther,
                 none, false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path = "/api/v1/workshops/" + Str(WorkshopFor(w, c, s));
                   return Built{"PATCH", path,
                                Serialize({{"phone", "+49 30 " + w.Name(false, "1")},
                                           {"tariff_per_kwh", 0.31}}),
                                path};
                 },
                 nullptr});
    t.push_back({"PATCH", "/api/v1/workshops/{id}", "active", Action::kWorkshopUpdate, 200,
                 kOwnOther, none, false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path = "/api/v1/workshops/" + Str(WorkshopFor(w, c, s));
                   return Built{"PATCH", path, Serialize({{"active", true}}), path};
                 },
                 // UpdateWorkshop: only a super_admin may change `active`.
                 [](Role caller, Scope, std::optional<Role>) -> std::optional<Expect> {
                   if (caller != Role::kSuperAdmin) return Expect{403, "INSUFFICIENT_PERMISSIONS"};
                   return std::nullopt;
                 }});
    t.push_back({"DELETE", "/api/v1/workshops/{id}", "", Action::kWorkshopDeactivate, 200,
                 kOwnOther, none, true, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   // Always a throwaway workshop: the caller's own (fresh) one, or a marked one.
                   const std::int64_t id = s == Scope::kOther ? w.CreateWorkshop(true)
                                           : c.workshop_id    ? *c.workshop_id
                                                              : w.CreateWorkshop(false);
                   const std::string path = "/api/v1/workshops/" + Str(id);
                   return Built{"DELETE", path, "", path};
                 },
                 nullptr});
    // ---- pits ----
    t.push_back(
        {"GET", "/api/v1/workshops/{id}/pits", "", Action::kPitList, 200, kOwnOther, none, false,
         Confine::kItemsWorkshopId,
         [](World& w, const Caller& c, Scope s, std::optional<Role>) {
           return Built{"GET", "/api/v1/workshops/" + Str(WorkshopFor(w, c, s)) + "/pits", "", ""};
         },
         nullptr});
    t.push_back({"POST", "/api/v1/workshops/{id}/pits", "", Action::kPitCreate, 201, kOwnOther,
                 none, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::int64_t ws = WorkshopFor(w, c, s);
                   const int number = w.NextPitNumber(ws);
                   const std::string path = "/api/v1/workshops/" + Str(ws) + "/pits";
                   return Built{"POST", path,
                                Serialize({{"number", number}, {"name", "created by matrix"}}),
                                path};
                 },
                 nullptr});
    t.push_back({"GET", "/api/v1/pits/{id}", "", Action::kPitRead, 200, kOwnOther, none, false,
                 Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   return Built{"GET", "/api/v1/pits/" + Str(PitTarget(w, c, s)), "", ""};
                 },
                 nullptr});
    t.push_back({"PATCH", "/api/v1/pits/{id}", "", Action::kPitUpdate, 200, kOwnOther, none, false,
                 Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path = "/api/v1/pits/" + Str(PitTarget(w, c, s));
                   return Built{
                       "PATCH", path,
                       Serialize({{"description", "changed by matrix"}, {"status", "maintenance"}}),
                       path};
                 },
                 nullptr});
    t.push_back({"DELETE", "/api/v1/pits/{id}", "", Action::kPitDelete, 200, kOwnOther, none, false,
                 Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path = "/api/v1/pits/" + Str(PitTarget(w, c, s));
                   return Built{"DELETE", path, "", path};
                 },
                 nullptr});
    // ---- devices ----
    t.push_back({"GET", "/api/v1/workshops/{id}/devices", "", Action::kDeviceList, 200, kOwnOther,
                 none, false, Confine::kItemsWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   w.CreateDevice(WorkshopFor(w, c, s), s == Scope::kOther);
                   return Built{
                       "GET",
                       "/api/v1/workshops/" + Str(WorkshopFor(w, c, s)) + "/devices?page_size=500",
                       "", ""};
                 },
                 nullptr});
    t.push_back(
        {"POST", "/api/v1/workshops/{id}/devices", "", Action::kDeviceCreate, 201, kOwnOther, none,
         false, Confine::kNone,
         [](World& w, const Caller& c, Scope s, std::optional<Role>) {
           const std::string path = "/api/v1/workshops/" + Str(WorkshopFor(w, c, s)) + "/devices";
           return Built{"POST", path,
                        Serialize({{"uid", w.Name(false, "perm-new-dev")}, {"kind", "camera"}}),
                        path + "?page_size=500"};
         },
         nullptr});
    t.push_back({"GET", "/api/v1/devices/{uid}", "", Action::kDeviceRead, 200, kOwnOther, none,
                 false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   return Built{"GET", "/api/v1/devices/" + DeviceTarget(w, c, s), "", ""};
                 },
                 nullptr});
    t.push_back({"PATCH", "/api/v1/devices/{uid}", "", Action::kDeviceUpdate, 200, kOwnOther, none,
                 false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path = "/api/v1/devices/" + DeviceTarget(w, c, s);
                   return Built{
                       "PATCH", path,
                       Serialize({{"name", "changed by matrix"}, {"status", "maintenance"}}), path};
                 },
                 nullptr});
    t.push_back({"POST", "/api/v1/devices/{uid}/rotate-secret", "", Action::kDeviceRotateSecret,
                 200, kOwnOther, none, false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path = "/api/v1/devices/" + DeviceTarget(w, c, s);
                   return Built{"POST", path + "/rotate-secret", "", path};
                 },
                 nullptr});
    t.push_back({"DELETE", "/api/v1/devices/{uid}", "", Action::kDeviceDelete, 200, kOwnOther, none,
                 false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path = "/api/v1/devices/" + DeviceTarget(w, c, s);
                   return Built{"DELETE", path, "", path};
                 },
                 nullptr});
    // ---- provisioning ----
    t.push_back({"POST", "/api/v1/workshops/{id}/provisioning-key", "",
                 Action::kWorkshopProvisioningKey, 200, kOwnOther, none, false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   return Built{
                       "POST",
                       "/api/v1/workshops/" + Str(WorkshopFor(w, c, s)) + "/provisioning-key", "",
                       ""};
                 },
                 nullptr});
    // Pending devices only come from an MQTT announce (provisioning_test.cpp); here the target
    // is an active device, so a caller the table allows gets 409 DEVICE_NOT_PENDING.
    const Layer not_pending = [](Role, Scope, std::optional<Role>) -> std::optional<Expect> {
      return Expect{409, "DEVICE_NOT_PENDING"};
    };
    for (const char* verb : {"approve", "reject"}) {
      const std::string tail = std::string("/") + verb;
      t.push_back({"POST", "/api/v1/devices/{uid}" + tail, "", Action::kDeviceApprove, 200,
                   kOwnOther, none, false, Confine::kNone,
                   [tail](World& w, const Caller& c, Scope s, std::optional<Role>) {
                     const std::string path = "/api/v1/devices/" + DeviceTarget(w, c, s);
                     return Built{"POST", path + tail, "", path};
                   },
                   not_pending});
    }
    // ---- commands ----
    const auto command_send = [&t, &none](const char* variant, Action action, json::object body) {
      t.push_back({"POST", "/api/v1/devices/{uid}/commands", variant, action, 202, kOwnOther, none,
                   false, Confine::kDataWorkshopId,
                   [body](World& w, const Caller& c, Scope s, std::optional<Role>) {
                     const std::string path =
                         "/api/v1/devices/" + DeviceTarget(w, c, s) + "/commands";
                     return Built{"POST", path, Serialize(body), path};
                   },
                   nullptr});
    };
    command_send("operational", Action::kCommandSend, {{"name", "identify"}});
    command_send("configuration", Action::kCommandConfigure,
                 {{"name", "set_interval"}, {"params", json::object{{"seconds", 60}}}});
    t.push_back(
        {"GET", "/api/v1/devices/{uid}/commands", "", Action::kCommandRead, 200, kOwnOther, none,
         false, Confine::kItemsWorkshopId,
         [](World& w, const Caller& c, Scope s, std::optional<Role>) {
           return Built{"GET", "/api/v1/devices/" + DeviceTarget(w, c, s) + "/commands", "", ""};
         },
         nullptr});
    t.push_back({"GET", "/api/v1/commands/{id}", "", Action::kCommandRead, 200, kOwnOther, none,
                 false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string id = w.CreateCommand(WorkshopFor(w, c, s), s == Scope::kOther);
                   return Built{"GET", "/api/v1/commands/" + id, "", ""};
                 },
                 nullptr});
    t.push_back({"POST", "/api/v1/commands/{id}/cancel", "", Action::kCommandSend, 200, kOwnOther,
                 none, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path =
                       "/api/v1/commands/" +
                       w.CreateCommand(WorkshopFor(w, c, s), s == Scope::kOther);
                   return Built{"POST", path + "/cancel", "", path};
                 },
                 nullptr});
    // ---- outlets: socket view and bulk cut ----
    t.push_back({"GET", "/api/v1/devices/{uid}/sockets", "", Action::kTelemetryRead, 200, kOwnOther,
                 none, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const auto [gw, outlet] =
                       w.CreateGateway(WorkshopFor(w, c, s), s == Scope::kOther);
                   return Built{"GET", "/api/v1/devices/" + outlet + "/sockets", "", ""};
                 },
                 nullptr});
    t.push_back({"GET", "/api/v1/devices/{uid}/outlets", "", Action::kTelemetryRead, 200, kOwnOther,
                 none, false, Confine::kItemsWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const auto [gw, outlet] =
                       w.CreateGateway(WorkshopFor(w, c, s), s == Scope::kOther);
                   return Built{"GET", "/api/v1/devices/" + gw + "/outlets", "", ""};
                 },
                 nullptr});
    for (const bool gateway : {false, true}) {
      t.push_back({"POST", "/api/v1/devices/{uid}/cut", gateway ? "gateway" : "outlet",
                   Action::kCommandSend, 202, kOwnOther, none, false, Confine::kDataWorkshopId,
                   [gateway](World& w, const Caller& c, Scope s, std::optional<Role>) {
                     const auto [gw, outlet] =
                         w.CreateGateway(WorkshopFor(w, c, s), s == Scope::kOther);
                     return Built{"POST", "/api/v1/devices/" + (gateway ? gw : outlet) + "/cut",
                                  Serialize({{"expires_in_s", 30}}),
                                  "/api/v1/devices/" + outlet + "/commands"};
                   },
                   nullptr});
    }
    t.push_back({"POST", "/api/v1/workshops/{id}/cut", "", Action::kCommandSend, 202, kOwnOther,
                 none, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::int64_t ws = WorkshopFor(w, c, s);
                   const auto [gw, outlet] = w.CreateGateway(ws, s == Scope::kOther);
                   return Built{"POST", "/api/v1/workshops/" + Str(ws) + "/cut", "",
                                "/api/v1/devices/" + outlet + "/commands"};
                 },
                 nullptr});
    // ---- telemetry (read) ----
    const auto device_read = [&t, &none](const char* path, const char* suffix, Confine confine) {
      const std::string tail = suffix;
      t.push_back({"GET", path, "", Action::kTelemetryRead, 200, kOwnOther, none, false, confine,
                   [tail](World& w, const Caller& c, Scope s, std::optional<Role>) {
                     return Built{"GET", "/api/v1/devices/" + DeviceTarget(w, c, s) + tail, "", ""};
                   },
                   nullptr});
    };
    device_read("/api/v1/devices/{uid}/latest", "/latest", Confine::kDataWorkshopId);
    device_read("/api/v1/devices/{uid}/history", "/history?metrics=temperature", Confine::kNone);
    device_read("/api/v1/devices/{uid}/stats", "/stats?metric=temperature", Confine::kNone);
    device_read("/api/v1/devices/{uid}/export.csv", "/export.csv", Confine::kNone);
    device_read("/api/v1/devices/{uid}/events", "/events", Confine::kNone);
    t.push_back(
        {"GET", "/api/v1/pits/{id}/latest", "", Action::kTelemetryRead, 200, kOwnOther, none, false,
         Confine::kItemsWorkshopId,
         [](World& w, const Caller& c, Scope s, std::optional<Role>) {
           return Built{"GET", "/api/v1/pits/" + Str(PitTarget(w, c, s)) + "/latest", "", ""};
         },
         nullptr});
    t.push_back({"GET", "/api/v1/workshops/{id}/latest", "", Action::kTelemetryRead, 200, kOwnOther,
                 none, false, Confine::kItemsWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   return Built{"GET", "/api/v1/workshops/" + Str(WorkshopFor(w, c, s)) + "/latest",
                                "", ""};
                 },
                 nullptr});
    // ---- users ----
    t.push_back({"GET", "/api/v1/users", "workshop_id", Action::kUserList, 200, kOwnOther, none,
                 false, Confine::kItemsWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   return Built{
                       "GET",
                       "/api/v1/users?page_size=100&workshop_id=" + Str(WorkshopFor(w, c, s)), "",
                       ""};
                 },
                 nullptr});
    t.push_back({"GET",
                 "/api/v1/users",
                 "unfiltered",
                 Action::kUserList,
                 200,
                 {Scope::kOwn},
                 none,
                 false,
                 Confine::kItemsWorkshopId,
                 [](World&, const Caller&, Scope, std::optional<Role>) {
                   // A super_admin lists every user; the others their workshop's only.
                   return Built{"GET", "/api/v1/users?page_size=100", "", ""};
                 },
                 nullptr});
    {
      // POST /users: target role × own/other workshop, plus a super_admin (no workshop).
      Endpoint e{
          "POST",
          "/api/v1/users",
          "",
          Action::kUserCreate,
          201,
          kOwnOther,
          kUserTargets,
          false,
          Confine::kCreatedUser,
          [](World& w, const Caller& c, Scope s, std::optional<Role> role) {
            json::object body{{"username", w.Name(s == Scope::kOther, "perm-new")},
                              {"password", kUserPassword},
                              {"role", core::RoleName(*role)}};
            if (*role != Role::kSuperAdmin) body["workshop_id"] = WorkshopFor(w, c, s);
            return Built{"POST", "/api/v1/users", Serialize(body), "/api/v1/users?page_size=1"};
          },
          [](Role caller, Scope, std::optional<Role> target) -> std::optional<Expect> {
            if (!core::MayManageRole(caller, *target)) {
              return Expect{403, "INSUFFICIENT_PERMISSIONS"};
            }
            return std::nullopt;
          }};
      t.push_back(e);
      e.variant = "role super_admin";
      e.scopes = {Scope::kOwn};
      e.targets = {Role::kSuperAdmin};
      t.push_back(e);
      // A super_admin has no workshop: naming one is a validation error (for those who may).
      e.variant = "role super_admin with workshop_id";
      e.scopes = kOwnOther;
      e.build = [](World& w, const Caller& c, Scope s, std::optional<Role>) {
        return Built{"POST", "/api/v1/users",
                     Serialize({{"username", w.Name(s == Scope::kOther, "perm-new")},
                                {"password", kUserPassword},
                                {"role", "super_admin"},
                                {"workshop_id", WorkshopFor(w, c, s)}}),
                     "/api/v1/users?page_size=1"};
      };
      e.layer = [](Role caller, Scope, std::optional<Role> target) -> std::optional<Expect> {
        if (!core::MayManageRole(caller, *target)) return Expect{403, "INSUFFICIENT_PERMISSIONS"};
        return Expect{400, "VALIDATION_ERROR"};
      };
      t.push_back(e);
      // Without workshop_id an owner's new user lands in the owner's workshop; a
      // super_admin must name one for these roles.
      e.variant = "no workshop_id";
      e.scopes = {Scope::kOwn};
      e.targets = {Role::kStaff, Role::kCustomer};
      e.build = [](World& w, const Caller&, Scope, std::optional<Role> role) {
        return Built{"POST", "/api/v1/users",
                     Serialize({{"username", w.Name(false, "perm-new")},
                                {"password", kUserPassword},
                                {"role", core::RoleName(*role)}}),
                     "/api/v1/users?page_size=1"};
      };
      e.layer = [](Role caller, Scope, std::optional<Role> target) -> std::optional<Expect> {
        if (!core::MayManageRole(caller, *target)) return Expect{403, "INSUFFICIENT_PERMISSIONS"};
        if (caller == Role::kSuperAdmin) return Expect{400, "VALIDATION_ERROR"};
        return std::nullopt;
      };
      t.push_back(e);
    }
    t.push_back({"GET", "/api/v1/users/{id}", "", Action::kUserRead, 200, kUserScopes, kUserTargets,
                 false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role> r) {
                   return Built{"GET", "/api/v1/users/" + Str(UserTarget(w, c, s, r)), "", ""};
                 },
                 nullptr});
    t.push_back({"PATCH", "/api/v1/users/{id}", "", Action::kUserUpdate, 200, kUserScopes,
                 kUserTargets, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role> r) {
                   const std::string path = "/api/v1/users/" + Str(UserTarget(w, c, s, r));
                   return Built{"PATCH", path,
                                Serialize({{"full_name", "Renamed by matrix"},
                                           {"email", "renamed@example.com"}}),
                                path};
                 },
                 ManagedUserRule});
    t.push_back({"PATCH", "/api/v1/users/{id}", "active", Action::kUserUpdate, 200, kUserScopes,
                 kUserTargets, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role> r) {
                   const std::string path = "/api/v1/users/" + Str(UserTarget(w, c, s, r));
                   return Built{"PATCH", path, Serialize({{"active", false}}), path};
                 },
                 // UpdateUser: nobody changes their own `active`; it needs user.deactivate.
                 [](Role caller, Scope scope, std::optional<Role> target) -> std::optional<Expect> {
                   if (auto e = ManagedUserRule(caller, scope, target)) return e;
                   if (scope == Scope::kSelf) return Expect{403, "INSUFFICIENT_PERMISSIONS"};
                   if (core::GrantFor(caller, Action::kUserDeactivate) == Grant::kNone) {
                     return Expect{403, "INSUFFICIENT_PERMISSIONS"};
                   }
                   return std::nullopt;
                 }});
    t.push_back({"POST", "/api/v1/users/{id}/reset-password", "", Action::kUserResetPassword, 200,
                 kUserScopes, kUserTargets, false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role> r) {
                   const std::string path = "/api/v1/users/" + Str(UserTarget(w, c, s, r));
                   return Built{"POST", path + "/reset-password",
                                Serialize({{"password", "Reset-by-matrix-4471"}}), path};
                 },
                 // Nobody resets their own password here: that is /auth/change-password,
                 // which asks for the current one.
                 [](Role caller, Scope scope, std::optional<Role> target) -> std::optional<Expect> {
                   if (auto e = ManagedUserRule(caller, scope, target)) return e;
                   if (scope == Scope::kSelf &&
                       core::GrantFor(caller, Action::kUserResetPassword) != Grant::kNone) {
                     return Expect{400, "USE_CHANGE_PASSWORD"};
                   }
                   return std::nullopt;
                 }});
    t.push_back({"DELETE", "/api/v1/users/{id}", "", Action::kUserDeactivate, 200, kUserScopes,
                 kUserTargets, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role> r) {
                   const std::string path = "/api/v1/users/" + Str(UserTarget(w, c, s, r));
                   return Built{"DELETE", path, "", path};
                 },
                 // DeactivateUser: nobody deactivates themselves.
                 [](Role caller, Scope scope, std::optional<Role> target) -> std::optional<Expect> {
                   if (auto e = ManagedUserRule(caller, scope, target)) return e;
                   if (scope == Scope::kSelf) return Expect{400, "CANNOT_DEACTIVATE_SELF"};
                   return std::nullopt;
                 }});
    // ---- MQTT integrations ----
    t.push_back({"GET", "/api/v1/workshops/{id}/integrations", "", Action::kIntegrationList, 200,
                 kOwnOther, none, false, Confine::kItemsWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   w.CreateIntegration(WorkshopFor(w, c, s), s == Scope::kOther);
                   return Built{"GET",
                                "/api/v1/workshops/" + Str(WorkshopFor(w, c, s)) +
                                    "/integrations?page_size=100",
                                "", ""};
                 },
                 nullptr});
    t.push_back({"POST", "/api/v1/workshops/{id}/integrations", "", Action::kIntegrationCreate, 201,
                 kOwnOther, none, false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path =
                       "/api/v1/workshops/" + Str(WorkshopFor(w, c, s)) + "/integrations";
                   return Built{"POST", path,
                                Serialize({{"name", w.Name(false, "perm-new-int")},
                                           {"access", "read_write"}}),
                                path + "?page_size=100"};
                 },
                 nullptr});
    t.push_back({"GET", "/api/v1/integrations/{id}", "", Action::kIntegrationRead, 200, kOwnOther,
                 none, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   return Built{
                       "GET",
                       "/api/v1/integrations/" +
                           Str(w.CreateIntegration(WorkshopFor(w, c, s), s == Scope::kOther)),
                       "", ""};
                 },
                 nullptr});
    t.push_back({"PATCH", "/api/v1/integrations/{id}", "", Action::kIntegrationUpdate, 200,
                 kOwnOther, none, false, Confine::kDataWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path =
                       "/api/v1/integrations/" +
                       Str(w.CreateIntegration(WorkshopFor(w, c, s), s == Scope::kOther));
                   return Built{"PATCH", path,
                                Serialize({{"enabled", false}, {"access", "read_write"}}), path};
                 },
                 nullptr});
    t.push_back({"POST", "/api/v1/integrations/{id}/rotate-secret", "",
                 Action::kIntegrationRotateSecret, 200, kOwnOther, none, false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path =
                       "/api/v1/integrations/" +
                       Str(w.CreateIntegration(WorkshopFor(w, c, s), s == Scope::kOther));
                   return Built{"POST", path + "/rotate-secret", "", path};
                 },
                 nullptr});
    t.push_back({"DELETE", "/api/v1/integrations/{id}", "", Action::kIntegrationDelete, 200,
                 kOwnOther, none, false, Confine::kNone,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   const std::string path =
                       "/api/v1/integrations/" +
                       Str(w.CreateIntegration(WorkshopFor(w, c, s), s == Scope::kOther));
                   return Built{"DELETE", path, "", path};
                 },
                 nullptr});
    // ---- audit ----
    t.push_back({"GET", "/api/v1/audit", "workshop_id", Action::kAuditRead, 200, kOwnOther, none,
                 false, Confine::kItemsWorkshopId,
                 [](World& w, const Caller& c, Scope s, std::optional<Role>) {
                   return Built{
                       "GET",
                       "/api/v1/audit?page_size=500&workshop_id=" + Str(WorkshopFor(w, c, s)), "",
                       ""};
                 },
                 nullptr});
    t.push_back({"GET",
                 "/api/v1/audit",
                 "unfiltered",
                 Action::kAuditRead,
                 200,
                 {Scope::kOwn},
                 none,
                 false,
                 Confine::kItemsWorkshopId,
                 [](World&, const Caller&, Scope, std::optional<Role>) {
                   return Built{"GET", "/api/v1/audit?page_size=500", "", ""};
                 },
                 nullptr});
    return t;
  }();
  return table;
}

// The status the permission table (plus the service's extra rules) calls for.
Expect Expected(const Endpoint& e, Role caller, Scope scope, std::optional<Role> target) {
  const Grant grant = core::GrantFor(caller, e.action);
  if (grant != Grant::kAll) {
    // Outside the caller's workshop the resource does not exist for them.
    if (scope == Scope::kOther || scope == Scope::kPlatform) return {404, "NOT_FOUND"};
    const bool granted = grant == Grant::kOwn || (grant == Grant::kSelf && scope == Scope::kSelf);
    if (!granted) return {403, "INSUFFICIENT_PERMISSIONS"};
  }
  if (e.layer) {
    if (auto extra = e.layer(caller, scope, target)) return *extra;
  }
  return {e.ok_status, ""};
}

// ---- the suite ----------------------------------------------------------------------------

class PermissionMatrix : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      world_ = new World();
      world_->Init();
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_NE(world_, nullptr);
  }

  static World* world_;
  static std::string setup_error_;
};

World* PermissionMatrix::world_ = nullptr;
std::string PermissionMatrix::setup_error_;

// Checks a success body is confined to the caller's workshop.
void CheckConfined(Confine confine, const Caller& caller, const HttpResult& got,
                   const std::string& what) {
  if (caller.role == Role::kSuperAdmin || confine == Confine::kNone || got.status >= 300) return;
  const auto v = got.Json();
  ASSERT_TRUE(v.is_object()) << what << "\n  body: " << got.body;
  const auto& data = v.at("data");
  json::value home = nullptr;
  if (caller.workshop_id) home = *caller.workshop_id;
  if (confine == Confine::kDataWorkshopId || confine == Confine::kCreatedUser) {
    const auto& object = confine == Confine::kCreatedUser ? data.at("user") : data;
    const auto* o = object.is_object() ? object.as_object().if_contains("workshop_id") : nullptr;
    ASSERT_NE(o, nullptr) << what << "\n  body: " << got.body;
    EXPECT_EQ(*o, home) << what << ": data of another workshop\n  body: " << got.body;
    return;
  }
  ASSERT_TRUE(data.is_array()) << what << "\n  body: " << got.body;
  for (const auto& item : data.as_array()) {
    const char* key = confine == Confine::kItemsId ? "id" : "workshop_id";
    EXPECT_EQ(item.at(key), home) << what << ": an item of another workshop\n  item: "
                                  << json::serialize(item);
  }
}

struct Tally {
  int cases = 0;
  int own = 0, other = 0, self = 0, platform = 0;
  int not_found_checked = 0;
};

void RunCase(World& w, const Endpoint& e, Role role, Scope scope, std::optional<Role> target,
             Tally& tally) {
  Caller caller = w.Principal(role);
  if (scope == Scope::kSelf) {
    caller = w.FreshCaller(role, w.A());
    target = role;
  } else if (scope == Scope::kPlatform) {
    target = Role::kSuperAdmin;
  } else if (e.fresh_home && scope == Scope::kOwn) {
    caller = w.FreshCaller(role, w.CreateWorkshop(false));
  }
  const Expect want = Expected(e, role, scope, target);
  const Built b = e.build(w, caller, scope, target);
  std::ostringstream what;
  what << e.Label() << " as " << core::RoleName(role) << " (" << caller.username << ") on "
       << ScopeName(scope) << (target ? " " + std::string(core::RoleName(*target)) : "")
       << " resource -> " << b.method << " " << b.path << (b.body.empty() ? "" : " " + b.body)
       << "; grant " << core::GrantName(core::GrantFor(role, e.action)) << " for "
       << core::ActionName(e.action) << ", expected " << want.status
       << (want.code.empty() ? "" : " " + want.code);
  SCOPED_TRACE(what.str());
  ++tally.cases;
  switch (scope) {
    case Scope::kOwn: ++tally.own; break;
    case Scope::kOther: ++tally.other; break;
    case Scope::kSelf: ++tally.self; break;
    case Scope::kPlatform: ++tally.platform; break;
  }

  const bool refused = want.status >= 400;
  const std::string before =
      refused && !b.snapshot.empty() ? w.AdminCall("GET", b.snapshot).body : std::string();
  const HttpResult got = w.Call(b.method, b.path, b.body, caller.token);

  EXPECT_EQ(got.status, want.status) << "actual " << got.status << " body: " << got.body;
  if (got.status == 200 && got.headers.count("content-type") &&
      got.headers.at("content-type").rfind("text/csv", 0) == 0) {
    EXPECT_EQ(want.status, 200);
    return;  // a CSV download: no envelope, nothing of another workshop was asked for
  }
  const auto v = got.Json();
  ASSERT_TRUE(v.is_object()) << "not a JSON envelope: " << got.body;
  const auto* success = v.as_object().if_contains("success");
  ASSERT_NE(success, nullptr) << got.body;
  EXPECT_EQ(success->is_bool() && success->as_bool(), got.status < 400) << got.body;
  if (refused) {
    EXPECT_EQ(got.ErrorCode(), want.code) << "actual " << got.status << " body: " << got.body;
    EXPECT_EQ(v.as_object().if_contains("data"), nullptr) << "a refusal carries data: " << got.body;
  }
  if (want.status == 404) {
    ++tally.not_found_checked;
    EXPECT_EQ(got.ErrorCode(), "NOT_FOUND") << got.body;
    EXPECT_FALSE(HasMarker(got.body)) << "404 leaks the other workshop's data: " << got.body;
  }
  if (role != Role::kSuperAdmin) {
    EXPECT_FALSE(HasMarker(got.body)) << "response leaks workshop B's data: " << got.body;
  }
  CheckConfined(e.confine, caller, got, what.str());
  if (refused && !b.snapshot.empty()) {
    EXPECT_EQ(w.AdminCall("GET", b.snapshot).body, before)
        << "a refused call changed " << b.snapshot;
  }
}

TEST_F(PermissionMatrix, EveryEndpointRoleAndWorkshopMatchesTheTable) {
  World& w = *world_;
  Tally tally;
  std::set<std::string> endpoints;
  for (const Endpoint& e : Endpoints()) {
    endpoints.insert(e.method + " " + e.path);
    for (Role role : core::kAllRoles) {
      for (Scope scope : e.scopes) {
        if (scope == Scope::kSelf || scope == Scope::kPlatform) {
          RunCase(w, e, role, scope, std::nullopt, tally);
          continue;
        }
        for (const auto& target : e.targets) RunCase(w, e, role, scope, target, tally);
      }
    }
  }
  std::cout << "[ matrix   ] " << endpoints.size() << " endpoints (" << Endpoints().size()
            << " variants) x 4 roles: " << tally.cases << " cases (own " << tally.own << ", other "
            << tally.other << ", self " << tally.self << ", platform " << tally.platform << "), "
            << tally.not_found_checked << " 404 envelopes checked\n";
  EXPECT_GT(tally.cases, 200);
}

// The table above covers every tenant endpoint of the OpenAPI file and every action.
TEST_F(PermissionMatrix, TableCoversEveryTenantEndpointAndAction) {
  std::ifstream in(SourceDir() + "/api/openapi.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto spec = json::parse(ss.str());
  std::set<std::string> documented;
  for (const auto& [path, item] : spec.at("paths").as_object()) {
    const std::string p(path);
    if (p.rfind("/api/v1/", 0) != 0 || p.rfind("/api/v1/auth/", 0) == 0 ||
        p.rfind("/api/v1/device/", 0) == 0 ||  // the device API: telemetry_test.cpp
        p == "/api/v1/openapi.json") {
      continue;
    }
    for (const auto& [method, op] : item.as_object()) {
      if (!op.is_object()) continue;
      documented.insert(Lower(std::string(method)) + " " + p);
    }
  }
  std::set<std::string> tested;
  std::set<Action> actions;
  for (const Endpoint& e : Endpoints()) {
    tested.insert(Lower(e.method) + " " + e.path);
    actions.insert(e.action);
  }
  EXPECT_EQ(tested, documented);
  for (int i = 0; i < core::kActionCount; ++i) {
    EXPECT_TRUE(actions.contains(static_cast<Action>(i)))
        << core::ActionName(static_cast<Action>(i)) << " has no endpoint in the matrix";
  }
}

// Lists and the audit log, read in full by every caller of A, never show anything of B.
TEST_F(PermissionMatrix, ListsAndAuditLogNeverShowTheOtherWorkshop) {
  World& w = *world_;
  // Activity in B, by B's own users: audited under B.
  const Caller& owner_b = w.PrincipalOfB(Role::kOwner);
  ASSERT_EQ(w.Call("POST", "/api/v1/workshops/" + Str(w.B()) + "/pits",
                   Serialize({{"number", 990}, {"name", w.Name(true, "")}}), owner_b.token)
                .status,
            201);
  ASSERT_EQ(w.Call("PATCH", "/api/v1/workshops/" + Str(w.B()),
                   Serialize({{"address", w.Name(true, "")}}), owner_b.token)
                .status,
            200);
  ASSERT_EQ(w.Call("PATCH", "/api/v1/users/" + Str(w.PrincipalOfB(Role::kStaff).user_id),
                   Serialize({{"full_name", w.Name(true, "")}}), owner_b.token)
                .status,
            200);

  struct List {
    std::string path;
    Action action;
    int page_size;
  };
  const std::vector<List> lists = {
      {"/api/v1/workshops", Action::kWorkshopList, 100},
      {"/api/v1/workshops?active_only=true", Action::kWorkshopList, 100},
      {"/api/v1/users", Action::kUserList, 100},
      {"/api/v1/users?role=owner", Action::kUserList, 100},
      {"/api/v1/audit", Action::kAuditRead, 500},
      {"/api/v1/audit?resource_type=pit", Action::kAuditRead, 500},
      {"/api/v1/audit?action=auth.login", Action::kAuditRead, 500},
      {"/api/v1/workshops/" + Str(w.A()) + "/pits", Action::kPitList, 0},
  };
  // The marker is there to be found: the admin sees it in every list that covers B.
  for (const auto& l : lists) {
    if (l.page_size == 0 || l.path.find("role=owner") != std::string::npos) continue;
    auto [status, bodies] = w.AllPages(l.path, w.Admin().token, l.page_size);
    ASSERT_EQ(status, 200) << l.path;
    bool seen = false;
    for (const auto& body : bodies) seen = seen || HasMarker(body);
    EXPECT_TRUE(seen) << "sanity: the admin should see B's marker in " << l.path;
  }
  for (Role role : {Role::kOwner, Role::kStaff, Role::kCustomer}) {
    const Caller& c = w.Principal(role);
    for (const auto& l : lists) {
      SCOPED_TRACE(std::string(core::RoleName(role)) + " of A lists " + l.path);
      const bool granted = core::GrantFor(role, l.action) != Grant::kNone;
      std::vector<std::string> bodies;
      int status = 0;
      if (l.page_size == 0) {
        auto r = w.Call("GET", l.path, "", c.token);
        status = r.status;
        bodies.push_back(r.body);
      } else {
        std::tie(status, bodies) = w.AllPages(l.path, c.token, l.page_size);
      }
      EXPECT_EQ(status, granted ? 200 : 403) << bodies.back();
      for (const auto& body : bodies) {
        EXPECT_FALSE(HasMarker(body)) << "workshop B's data leaked: " << body;
        if (status != 200) continue;
        HttpResult r;
        r.status = status;
        r.body = body;
        CheckConfined(
            l.action == Action::kWorkshopList ? Confine::kItemsId : Confine::kItemsWorkshopId, c, r,
            l.path);
      }
    }
  }
}

// Every authenticated endpoint refuses a call without a valid bearer token, and nothing
// changes.
TEST_F(PermissionMatrix, UnauthenticatedCallsAreRefusedEverywhere) {
  World& w = *world_;
  const std::int64_t pit = w.CreatePit(w.A(), false);
  const Caller victim = w.CreateUser(Role::kStaff, w.A(), false);
  const std::string pit_before = w.AdminCall("GET", "/api/v1/pits/" + Str(pit)).body;
  const std::string user_before = w.AdminCall("GET", "/api/v1/users/" + Str(victim.user_id)).body;
  const std::string ws_before = w.AdminCall("GET", "/api/v1/workshops/" + Str(w.A())).body;

  std::ifstream in(SourceDir() + "/api/openapi.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto spec = json::parse(ss.str());
  int checked = 0;
  for (const auto& [path_key, item] : spec.at("paths").as_object()) {
    for (const auto& [method_key, op] : item.as_object()) {
      if (!op.is_object()) continue;
      const auto* security = op.as_object().if_contains("security");
      if (security && security->is_array() && security->as_array().empty()) continue;  // public
      // The device API takes HTTP Basic device credentials (telemetry_test.cpp covers it).
      if (std::string_view(path_key).rfind("/api/v1/device/", 0) == 0) continue;
      std::string method(method_key);
      for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      std::string path(path_key);
      const std::string id = path.rfind("/api/v1/pits/", 0) == 0    ? Str(pit)
                             : path.rfind("/api/v1/users/", 0) == 0 ? Str(victim.user_id)
                                                                    : Str(w.A());
      if (const auto pos = path.find("{id}"); pos != std::string::npos) path.replace(pos, 4, id);
      const std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
      const std::vector<std::vector<std::pair<std::string, std::string>>> attempts = {
          {},
          {{"Authorization", "Bearer not-a-token"}},
          {{"Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"}},
          {{"Authorization", "Basic YWRtaW46aW50ZWdyYXRpb24tYWRtaW4tcHc="}},
      };
      for (std::size_t i = 0; i < attempts.size(); ++i) {
        SCOPED_TRACE(method + " " + path + " attempt " + std::to_string(i));
        const auto r = w.Raw(method, path, body, attempts[i]);
        ++checked;
        EXPECT_EQ(r.status, 401) << r.body;
        const bool no_token = i == 0 || i == 3;
        if (no_token) {
          EXPECT_EQ(r.ErrorCode(), "NOT_AUTHENTICATED") << r.body;
        } else {
          EXPECT_FALSE(r.ErrorCode().empty()) << r.body;
        }
        EXPECT_EQ(r.headers.count("www-authenticate"), 1u) << r.body;
      }
    }
  }
  EXPECT_GE(checked, 4 * 20);
  EXPECT_EQ(w.AdminCall("GET", "/api/v1/pits/" + Str(pit)).body, pit_before);
  EXPECT_EQ(w.AdminCall("GET", "/api/v1/users/" + Str(victim.user_id)).body, user_before);
  EXPECT_EQ(w.AdminCall("GET", "/api/v1/workshops/" + Str(w.A())).body, ws_before);
}

}  // namespace
}  // namespace sw::testing
