// Strong integer ids, so a PitId can never be passed where a WorkshopId is expected.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace sw {

template <typename Tag>
struct Id {
  std::int64_t value = 0;
  constexpr Id() = default;
  constexpr explicit Id(std::int64_t v) : value(v) {}
  constexpr bool valid() const { return value > 0; }
  friend constexpr auto operator<=>(Id, Id) = default;
};

using WorkshopId = Id<struct WorkshopTag>;
using UserId = Id<struct UserTag>;
using PitId = Id<struct PitTag>;

}  // namespace sw

template <typename Tag>
struct std::hash<sw::Id<Tag>> {
  std::size_t operator()(sw::Id<Tag> id) const noexcept {
    return std::hash<std::int64_t>{}(id.value);
  }
};
