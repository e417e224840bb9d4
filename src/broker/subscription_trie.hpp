// SubscriptionTrie: topic filters (with + and #, and $share groups) indexed by level, and the
// matching of a topic name against all of them (MQTT 5.0 sections 4.7 and 4.8.2).
//
// Subscriber is a small, hashable handle (the broker uses its session pointer). Each
// (filter, group, subscriber) holds one SubscriptionOptions; subscribing again replaces it.
// Topics starting with '$' are not matched by a first-level '+' or '#'. Empty branches are
// pruned on removal. Single owner; not thread-safe (the broker holds its lock).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/packets.hpp"

namespace sw::broker {

struct SubscriptionOptions {
  mqtt::QoS max_qos = mqtt::QoS::kAtMostOnce;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;
  std::uint32_t identifier = 0;  // 0: none

  bool operator==(const SubscriptionOptions&) const = default;
};

template <typename Subscriber>
class SubscriptionTrie {
 public:
  // The members of one $share group on one filter; `next` rotates deliveries among them.
  struct SharedGroup {
    std::vector<std::pair<Subscriber, SubscriptionOptions>> members;
    std::size_t next = 0;
  };

  // Adds or replaces; returns true when the subscription already existed. `group` is empty
  // for a non-shared subscription.
  bool Insert(std::string_view filter, std::string_view group, Subscriber subscriber,
              const SubscriptionOptions& options) {
    Node* node = &root_;
    ForEachLevel(filter, [&](std::string_view level) {
      auto& child = node->children[std::string(level)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    });
    if (group.empty()) {
      auto [it, inserted] = node->subscribers.insert_or_assign(subscriber, options);
      (void)it;
      if (inserted) ++size_;
      return !inserted;
    }
    SharedGroup& shared = node->shared[std::string(group)];
    for (auto& member : shared.members) {
      if (member.first == subscriber) {
        member.second = options;
        return true;
      }
    }
    shared.members.emplace_back(subscriber, options);
    ++size_;
    return false;
  }

  // Returns true when the subscription existed.
  bool Remove(std::string_view filter, std::string_view group, Subscriber subscriber) {
    std::vector<std::pair<Node*, std::string>> path;
    Node* node = &root_;
    bool found = true;
    ForEachLevel(filter, [&](std::string_view level) {
      if (!found) return;
      auto it = node->children.find(std::string(level));
      if (it == node->children.end()) {
        found = false;
        return;
      }
      path.emplace_back(node, std::string(level));
      node = it->second.get();
    });
    if (!found) return false;
    bool removed = false;
    if (group.empty()) {
      removed = node->subscribers.erase(subscriber) > 0;
    } else if (auto g = node->shared.find(std::string(group)); g != node->shared.end()) {
      auto& members = g->second.members;
      for (auto it = members.begin(); it != members.end(); ++it) {
        if (it->first == subscriber) {
          members.erase(it);
          removed = true;
          break;
        }
      }
      if (members.empty()) node->shared.erase(g);
    }
    if (!removed) return false;
    --size_;
    // Prune empty nodes from the leaf up.
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      Node* parent = it->first;
      auto child = parent->children.find(it->second);
      if (!child->second->Empty()) break;
      parent->children.erase(child);
    }
    return true;
  }

  // Calls on_subscriber(Subscriber, const SubscriptionOptions&) for every plain subscription
  // and on_group(SharedGroup&) for every shared group whose filter matches `topic`.
  template <typename OnSubscriber, typename OnGroup>
  void Match(std::string_view topic, OnSubscriber&& on_subscriber, OnGroup&& on_group) {
    levels_.clear();
    ForEachLevel(topic, [&](std::string_view level) { levels_.push_back(level); });
    const bool dollar = !topic.empty() && topic.front() == '$';
    MatchFrom(root_, 0, dollar, on_subscriber, on_group);
  }

  std::size_t size() const { return size_; }

 private:
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>> children;
    std::unordered_map<Subscriber, SubscriptionOptions> subscribers;
    std::map<std::string, SharedGroup, std::less<>> shared;
    bool Empty() const { return children.empty() && subscribers.empty() && shared.empty(); }
  };

  template <typename F>
  static void ForEachLevel(std::string_view text, F&& f) {
    std::size_t start = 0;
    for (;;) {
      const std::size_t slash = text.find('/', start);
      if (slash == std::string_view::npos) {
        f(text.substr(start));
        return;
      }
      f(text.substr(start, slash - start));
      start = slash + 1;
    }
  }

  template <typename OnSubscriber, typename OnGroup>
  static void Visit(Node& node, OnSubscriber& on_subscriber, OnGroup& on_group) {
    for (const auto& [subscriber, options] : node.subscribers) on_subscriber(subscriber, options);
    for (auto& [name, group] : node.shared) on_group(group);
  }

  template <typename OnSubscriber, typename OnGroup>
  void MatchFrom(Node& node, std::size_t depth, bool dollar, OnSubscriber& on_subscriber,
                 OnGroup& on_group) {
    const bool first = depth == 0;
    if (!(first && dollar)) {
      // '#' matches the parent level and everything below it (4.7.1.2).
      if (auto hash = node.children.find("#"); hash != node.children.end()) {
        Visit(*hash->second, on_subscriber, on_group);
      }
    }
    if (depth == levels_.size()) {
      Visit(node, on_subscriber, on_group);
      return;
    }
    if (auto exact = node.children.find(std::string(levels_[depth]));
        exact != node.children.end()) {
      MatchFrom(*exact->second, depth + 1, dollar, on_subscriber, on_group);
    }
    if (!(first && dollar)) {
      if (auto plus = node.children.find("+"); plus != node.children.end()) {
        MatchFrom(*plus->second, depth + 1, dollar, on_subscriber, on_group);
      }
    }
  }

  Node root_;
  std::size_t size_ = 0;
  std::vector<std::string_view> levels_;
};

}  // namespace sw::broker
