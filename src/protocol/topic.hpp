// MQTT topic names, topic filters and matching (MQTT 5.0 section 4.7, shared subscriptions 4.8.2).
//
// Pure functions over string views; thread-safe. UTF-8 validity is checked by the codec;
// these functions check the structure (levels, wildcards, shared-subscription syntax).
#pragma once

#include <optional>
#include <string_view>

#include "common/result.hpp"

namespace sw::mqtt {

// A PUBLISH topic name: non-empty, no '+' or '#'. Errors carry kTopicNameInvalid.
Status ValidateTopicName(std::string_view topic);

// A topic filter: non-empty; '+' only as a whole level; '#' only as the whole last level.
// With `allow_shared`, "$share/{group}/{filter}" is checked too: group non-empty without
// '/', '+' or '#', followed by a valid non-empty filter. Errors carry kTopicFilterInvalid.
Status ValidateTopicFilter(std::string_view filter, bool allow_shared);

struct SharedFilter {
  std::string_view group;
  std::string_view filter;
};

// Splits "$share/{group}/{filter}"; nullopt when `filter` is not a shared subscription.
// Does not validate; call ValidateTopicFilter first.
std::optional<SharedFilter> ParseSharedFilter(std::string_view filter);

// Whether `topic` (a valid topic name) matches `filter` (a valid, non-shared topic filter).
// Topics starting with '$' are not matched by a filter whose first level is '+' or '#'.
// Returns false for an invalid filter or topic.
bool TopicMatches(std::string_view filter, std::string_view topic);

}  // namespace sw::mqtt
