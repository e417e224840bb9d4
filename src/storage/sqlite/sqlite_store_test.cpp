// Storage contract tests, run against SQLite (the PostgreSQL adapter will run the same).
#include "storage/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace sw::storage::sqlite {
namespace {

using core::Scope;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteStore::Open(":memory:", 1000, clock_, &metrics_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    a_ = MakeWorkshop("Alpha Garage", "alpha");
    b_ = MakeWorkshop("Beta Garage", "beta");
  }
  WorkshopId MakeWorkshop(const char* name, const char* slug) {
    core::Workshop w;
    w.name = name;
    w.slug = slug;
    auto r = store_->CreateWorkshop(w);
    EXPECT_TRUE(r.ok());
    return r->id;
  }
  core::User MakeUser(const char* name, std::optional<WorkshopId> ws, core::Role role) {
    core::User u;
    u.username = name;
    u.workshop_id = ws;
    u.role = role;
    u.password_hash = "h";
    auto r = store_->CreateUser(u);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return *r;
  }

  ManualClock clock_;
  metrics::Registry metrics_;
  std::unique_ptr<SqliteStore> store_;
  WorkshopId a_, b_;
};

TEST_F(StoreTest, WorkshopScopeHidesOtherTenants) {
  EXPECT_TRUE(store_->GetWorkshop(Scope::Of(a_), a_).ok());
  auto other = store_->GetWorkshop(Scope::Of(a_), b_);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Errc::kNotFound);
  auto page = store_->ListWorkshops(Scope::Of(a_), {1, 50}, false);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, a_);
  EXPECT_EQ(store_->ListWorkshops(Scope::All(), {1, 50}, false)->total, 2);
  // An empty scope (no workshop) sees nothing.
  EXPECT_FALSE(store_->GetWorkshop(Scope{}, a_).ok());
}

TEST_F(StoreTest, DuplicateSlugIsAConflict) {
  core::Workshop w;
  w.name = "Again";
  w.slug = "alpha";
  auto r = store_->CreateWorkshop(w);
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.error().Code(), "SLUG_TAKEN");
  EXPECT_TRUE(*store_->SlugExists("alpha"));
  EXPECT_FALSE(*store_->SlugExists("gamma"));
}

TEST_F(StoreTest, PitsAreScopedOnEveryOperation) {
  core::Pit p;
  p.workshop_id = b_;
  p.number = 1;
  p.name = "Bay 1";
  EXPECT_EQ(store_->CreatePit(Scope::Of(a_), p).error().code, Errc::kNotFound);
  auto pit = store_->CreatePit(Scope::Of(b_), p);
  ASSERT_TRUE(pit.ok());
  auto dup = store_->CreatePit(Scope::Of(b_), p);
  ASSERT_FALSE(dup.ok());
  EXPECT_STREQ(dup.error().Code(), "PIT_NUMBER_TAKEN");

  EXPECT_FALSE(store_->GetPit(Scope::Of(a_), pit->id).ok());
  core::Pit changed = *pit;
  changed.name = "hijacked";
  EXPECT_FALSE(store_->UpdatePit(Scope::Of(a_), changed).ok());
  EXPECT_FALSE(store_->DeletePit(Scope::Of(a_), pit->id).ok());
  EXPECT_TRUE(store_->ListPits(Scope::Of(a_), b_)->empty());
  EXPECT_EQ(store_->GetPit(Scope::Of(b_), pit->id)->name, "Bay 1");
  EXPECT_TRUE(store_->DeletePit(Scope::Of(b_), pit->id).ok());
  EXPECT_FALSE(store_->GetPit(Scope::All(), pit->id).ok());
}

TEST_F(StoreTest, UsernamesAreUniqueCaseInsensitively) {
  MakeUser("Alice", a_, core::Role::kOwner);
  core::User u;
  u.username = "alice";
  u.workshop_id = b_;
  u.role = core::Role::kStaff;
  u.password_hash = "h";
  auto r = store_->CreateUser(u);
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.error().Code(), "USERNAME_TAKEN");
  auto found = store_->FindUserByUsername("ALICE");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->workshop_id, a_);
}

TEST_F(StoreTest, SuperAdminMustHaveNoWorkshopAndIsInvisibleToTenants) {
  auto admin = MakeUser("root", std::nullopt, core::Role::kSuperAdmin);
  EXPECT_FALSE(store_->GetUser(Scope::Of(a_), admin.id).ok());
  core::User bad;
  bad.username = "bad";
  bad.workshop_id = a_;
  bad.role = core::Role::kSuperAdmin;
  bad.password_hash = "h";
  EXPECT_FALSE(store_->CreateUser(bad).ok());
}

TEST_F(StoreTest, LoginFailuresLockAtThreshold) {
  auto u = MakeUser("bob", a_, core::Role::kStaff);
  const SysTime until = clock_.Now() + std::chrono::minutes(15);
  for (int i = 1; i < 5; ++i) {
    auto r = store_->RecordLoginFailure(u.id, 5, until);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->failed_logins, i);
    EXPECT_FALSE(r->locked_until.has_value());
  }
  auto locked = store_->RecordLoginFailure(u.id, 5, until);
  ASSERT_TRUE(locked.ok());
  EXPECT_EQ(locked->locked_until, until);
  EXPECT_EQ(locked->failed_logins, 0);
  ASSERT_TRUE(store_->RecordLoginSuccess(u.id, clock_.Now()).ok());
  EXPECT_FALSE(store_->GetUser(Scope::All(), u.id)->locked_until.has_value());
}

TEST_F(StoreTest, RefreshRotationIsSingleUse) {
  auto u = MakeUser("carol", a_, core::Role::kStaff);
  core::Session s{"sid-1", u.id, clock_.Now(), std::nullopt};
  const SysTime exp = clock_.Now() + std::chrono::hours(1);
  ASSERT_TRUE(store_->CreateSession(s, "hash-1", exp).ok());
  EXPECT_TRUE(*store_->RotateRefresh("hash-1", "hash-2", exp));
  EXPECT_FALSE(*store_->RotateRefresh("hash-1", "hash-3", exp));  // used already
  auto rec = store_->FindRefresh("hash-1");
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_TRUE((*rec)->used);
  EXPECT_EQ((*rec)->session_id, "sid-1");
  ASSERT_TRUE(store_->RevokeSession("sid-1", clock_.Now()).ok());
  EXPECT_FALSE(*store_->RotateRefresh("hash-2", "hash-4", exp));  // session revoked
  EXPECT_FALSE(store_->FindSessionUser("sid-1")->has_value());
  EXPECT_TRUE((*store_->FindRefresh("hash-2"))->session_revoked);
}

TEST_F(StoreTest, AuditIsScopedAndFiltered) {
  core::AuditEntry e;
  e.at = clock_.Now();
  e.actor_name = "x";
  e.action = "pit.create";
  e.resource_type = "pit";
  e.resource_id = "1";
  e.workshop_id = a_;
  ASSERT_TRUE(store_->AppendAudit(e).ok());
  e.workshop_id = b_;
  e.action = "pit.delete";
  ASSERT_TRUE(store_->AppendAudit(e).ok());
  EXPECT_EQ(store_->ListAudit(Scope::Of(a_), {}, {1, 50})->total, 1);
  EXPECT_EQ(store_->ListAudit(Scope::All(), {}, {1, 50})->total, 2);
  core::AuditFilter f;
  f.action = "pit.delete";
  auto page = store_->ListAudit(Scope::All(), f, {1, 50});
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].workshop_id, b_);
  EXPECT_NE(metrics_.Render().find(
                "sitewatch_storage_seconds_count{backend=\"sqlite\",op=\"audit.list\"}"),
            std::string::npos);
}

// The server takes WAL checkpoints off the request path: with DeferCheckpoints a commit never
// checkpoints (the WAL grows past SQLite's 1000-page threshold), and CheckpointPassive, on its
// own connection, lets the next commits reuse the WAL from its start (it stops growing).
TEST(StoreCheckpoints, DeferredToCheckpointPassive) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("sw-ckpt-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "db.sqlite").string();
  ManualClock clock;
  auto opened = SqliteStore::Open(path, 1000, clock, nullptr);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& store = **opened;
  ASSERT_TRUE(store.DeferCheckpoints().ok());
  int n = 0;
  const auto write = [&](int count) {
    for (int i = 0; i < count; ++i, ++n) {
      core::Workshop w;
      w.name = "Workshop " + std::to_string(n);
      w.slug = "ws-" + std::to_string(n);
      ASSERT_TRUE(store.CreateWorkshop(w).ok());
    }
  };
  const auto wal_bytes = [&] { return fs::file_size(path + "-wal"); };
  write(1500);  // a few WAL frames per commit: well past 1000 pages
  const auto grown = wal_bytes();
  EXPECT_GT(grown, 1200u * 4096u) << "a commit checkpointed";
  ASSERT_TRUE(store.CheckpointPassive().ok());
  write(300);
  EXPECT_EQ(wal_bytes(), grown) << "the WAL was not reused after the checkpoint";
  EXPECT_EQ(store.ListWorkshops(Scope::All(), {1, 1}, false)->total, 1800);
  opened->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sw::storage::sqlite
