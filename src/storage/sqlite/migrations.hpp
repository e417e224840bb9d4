// The schema, as numbered forward-only migrations. Never edit a released migration: add a
// new one at the end (CONTRIBUTING.md, "Adding a migration").
#pragma once

#include <string_view>
#include <vector>

namespace sw::storage::sqlite {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

const std::vector<Migration>& Migrations();

}  // namespace sw::storage::sqlite
