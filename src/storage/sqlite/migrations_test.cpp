#include "storage/sqlite/migrations.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "storage/sqlite/database.hpp"

namespace sw::storage::sqlite {
namespace {

std::string TempDb(const char* name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("sw-migrations-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::filesystem::remove(path);
  return path.string();
}

TEST(Migrations, VersionsAreDenseAndOrdered) {
  const auto& all = Migrations();
  ASSERT_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].version, static_cast<int>(i + 1));
}

TEST(Migrations, FromEmptyThenRerunIsANoop) {
  const auto path = TempDb("fresh.db");
  {
    auto db = Database::Open(path, 1000);
    ASSERT_TRUE(db.ok());
    auto applied = (*db)->Migrate();
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_EQ(*applied, Database::LatestSchemaVersion());
  }
  auto db = Database::Open(path, 1000);
  ASSERT_TRUE(db.ok());
  auto again = (*db)->Migrate();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(*(*db)->SchemaVersion(), Database::LatestSchemaVersion());
  // The schema is really there.
  EXPECT_TRUE((*db)->Exec("SELECT id, slug FROM workshops LIMIT 1").ok());
}

TEST(Migrations, NewerSchemaIsRefused) {
  const auto path = TempDb("newer.db");
  auto db = Database::Open(path, 1000);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Migrate().ok());
  ASSERT_TRUE((*db)->Exec("INSERT INTO schema_migrations VALUES (999, 'from the future', 0)").ok());
  auto r = (*db)->Migrate();
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.error().Code(), "SCHEMA_TOO_NEW");
  EXPECT_NE(r.error().message.find("999"), std::string::npos);
}

TEST(Migrations, BackupIsAConsistentCopy) {
  const auto path = TempDb("live.db");
  const auto copy = TempDb("copy.db");
  auto db = Database::Open(path, 1000);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Migrate().ok());
  ASSERT_TRUE((*db)
                  ->Exec("INSERT INTO workshops (name, slug, created_at, updated_at) VALUES "
                         "('A', 'a', 1, 1)")
                  .ok());
  ASSERT_TRUE((*db)->BackupTo(copy).ok());
  auto restored = Database::Open(copy, 1000);
  ASSERT_TRUE(restored.ok());
  auto st = (*restored)->Prepare("SELECT slug FROM workshops");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Text(0), "a");
  EXPECT_EQ(*(*restored)->SchemaVersion(), Database::LatestSchemaVersion());
}

}  // namespace
}  // namespace sw::storage::sqlite
