#include "storage/sqlite/broker_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "storage/sqlite/database.hpp"

namespace sw::storage::sqlite {
namespace {

TEST(SqliteBrokerStore, RetainedPutReplaceDeleteKeepBinaryBlobs) {
  auto store = SqliteBrokerStore::Open(":memory:", 1000);
  ASSERT_TRUE(store.ok()) << store.error().message;
  const std::string binary("\x01\x00\xff\x7f", 4);
  ASSERT_TRUE((*store)->PutRetained("a/b", "one").ok());
  ASSERT_TRUE((*store)->PutRetained("a/b", binary).ok());
  ASSERT_TRUE((*store)->PutRetained("c", "x").ok());
  ASSERT_TRUE((*store)->DeleteRetained("c").ok());
  ASSERT_TRUE((*store)->DeleteRetained("missing").ok());
  auto all = (*store)->LoadRetained();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].first, "a/b");
  EXPECT_EQ((*all)[0].second, binary);
}

TEST(SqliteBrokerStore, ReplaceSessionsIsASnapshot) {
  auto store = SqliteBrokerStore::Open(":memory:", 1000);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ReplaceSessions({{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE((*store)->ReplaceSessions({{"b", "3"}}).ok());
  auto all = (*store)->LoadSessions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], (SqliteBrokerStore::KeyedBlob{"b", "3"}));
}

TEST(SqliteBrokerStore, UpdateSessionsUpsertsAndDeletes) {
  auto store = SqliteBrokerStore::Open(":memory:", 1000);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ReplaceSessions({{"a", "1"}, {"b", "2"}}).ok());
  ASSERT_TRUE((*store)->UpdateSessions({{"b", "3"}, {"c", "4"}}, {"a", "never-there"}).ok());
  auto all = (*store)->LoadSessions();
  ASSERT_TRUE(all.ok());
  std::sort(all->begin(), all->end());
  EXPECT_EQ(*all, (std::vector<SqliteBrokerStore::KeyedBlob>{{"b", "3"}, {"c", "4"}}));
  EXPECT_TRUE((*store)->UpdateSessions({}, {}).ok());
}

TEST(SqliteBrokerStore, RefusesAnUnmigratedFile) {
  const auto path = std::filesystem::temp_directory_path() / "sw-broker-store-unmigrated.db";
  std::filesystem::remove(path);
  { ASSERT_TRUE(Database::Open(path.string(), 1000).ok()); }
  EXPECT_FALSE(SqliteBrokerStore::Open(path.string(), 1000).ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sw::storage::sqlite
