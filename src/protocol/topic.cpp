#include "protocol/topic.hpp"

#include <algorithm>
#include <string>

#include "protocol/reason_code.hpp"

namespace sw::mqtt {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

bool IsPlainFilterValid(std::string_view filter) {
  if (filter.empty()) return false;
  std::size_t level_start = 0;
  for (std::size_t i = 0; i <= filter.size(); ++i) {
    if (i < filter.size() && filter[i] != '/') continue;
    const std::string_view level = filter.substr(level_start, i - level_start);
    const bool has_plus = level.find('+') != std::string_view::npos;
    const bool has_hash = level.find('#') != std::string_view::npos;
    if (has_plus && level != "+") return false;
    if (has_hash && (level != "#" || i != filter.size())) return false;
    level_start = i + 1;
  }
  return true;
}

}  // namespace

Status ValidateTopicName(std::string_view topic) {
  if (topic.empty()) {
    return MqttError(ReasonCode::kTopicNameInvalid, "topic name is empty");
  }
  if (topic.find_first_of("+#") != std::string_view::npos) {
    return MqttError(ReasonCode::kTopicNameInvalid,
                     "topic name contains a wildcard: " + std::string(topic));
  }
  return Ok{};
}

std::optional<SharedFilter> ParseSharedFilter(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return std::nullopt;
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return SharedFilter{rest, {}};
  return SharedFilter{rest.substr(0, slash), rest.substr(slash + 1)};
}

Status ValidateTopicFilter(std::string_view filter, bool allow_shared) {
  if (allow_shared) {
    if (auto shared = ParseSharedFilter(filter)) {
      if (shared->group.empty() || shared->group.find_first_of("+#") != std::string_view::npos ||
          filter.size() == kSharePrefix.size() + shared->group.size()) {
        return MqttError(ReasonCode::kTopicFilterInvalid,
                         "invalid shared subscription: " + std::string(filter));
      }
      if (!IsPlainFilterValid(shared->filter)) {
        return MqttError(ReasonCode::kTopicFilterInvalid,
                         "invalid filter in shared subscription: " + std::string(filter));
      }
      return Ok{};
    }
  }
  if (!IsPlainFilterValid(filter)) {
    return MqttError(ReasonCode::kTopicFilterInvalid,
                     "invalid topic filter: " + std::string(filter));
  }
  return Ok{};
}

bool TopicMatches(std::string_view filter, std::string_view topic) {
  if (!IsPlainFilterValid(filter) || topic.empty() ||
      topic.find_first_of("+#") != std::string_view::npos) {
    return false;
  }
  if (topic.front() == '$' && (filter.front() == '+' || filter.front() == '#')) return false;

  std::size_t f = 0;  // start of the current filter level
  std::size_t t = 0;  // start of the current topic level
  while (true) {
    const std::size_t f_end = std::min(filter.find('/', f), filter.size());
    const std::string_view f_level = filter.substr(f, f_end - f);
    if (f_level == "#") return true;  // matches this level and everything below, or nothing
    const std::size_t t_end = std::min(topic.find('/', t), topic.size());
    const std::string_view t_level = topic.substr(t, t_end - t);
    if (f_level != "+" && f_level != t_level) return false;
    const bool filter_done = f_end == filter.size();
    const bool topic_done = t_end == topic.size();
    if (filter_done || topic_done) {
      if (filter_done && topic_done) return true;
      // "a/#" matches "a": the filter has exactly one more level, and it is '#'.
      return topic_done && filter.substr(f_end) == "/#";
    }
    f = f_end + 1;
    t = t_end + 1;
  }
}

}  // namespace sw::mqtt
