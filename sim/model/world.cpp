#include "model/world.hpp"

namespace sw::sim {

std::size_t World::Add(std::unique_ptr<Device> device) {
  devices_.push_back(Slot{std::move(device)});
  return devices_.size() - 1;
}

Device* World::Find(std::string_view uid) {
  for (Slot& s : devices_) {
    if (s.device->Owns(uid)) return s.device.get();
  }
  return nullptr;
}

bool World::Apply(SimTime now, const Command& command, std::string* error) {
  if (command.words.size() == 2 && command.words[0] == "offline") {
    const auto d = ParseDuration(command.words[1]);
    if (!d || *d > Scenario::kMaxTime) {
      *error = "offline needs a duration";
      return false;
    }
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      if (devices_[i].device->uid() != command.target) continue;
      devices_[i].offline_until = now + *d;
      Actions a(1);
      a[0].kind = LinkAction::Kind::kAbort;
      Run(now, i, a);
      return true;
    }
    *error = "offline applies to a device with its own session (a node or a CCU)";
    return false;
  }
  Device* d = Find(command.target);
  if (d == nullptr) {
    *error = "no device " + command.target;
    return false;
  }
  return d->Apply(now, command, error);
}

void World::Run(SimTime now, std::size_t client, Actions& actions) {
  Slot& slot = devices_[client];
  for (LinkAction& a : actions) {
    switch (a.kind) {
      case LinkAction::Kind::kConnect:
        ++stats_.connects;
        if (now < slot.offline_until) {
          slot.refuse_pending = true;  // reported as a failed attempt on the next step
          continue;
        }
        slot.session = true;
        break;
      case LinkAction::Kind::kAbort:
      case LinkAction::Kind::kDisconnect:
        if (!slot.session) continue;
        break;
      case LinkAction::Kind::kPublish: ++stats_.published; break;
      case LinkAction::Kind::kSubscribe: break;
    }
    transport_.Execute(client, a);
  }
  actions.clear();
}

void World::Boot(SimTime now) {
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    scratch_.clear();
    devices_[i].device->Boot(now, scratch_);
    Run(now, i, scratch_);
  }
}

void World::Advance(SimTime now) {
  while (next_step_ < scenario_.steps.size() && scenario_.steps[next_step_].at <= now) {
    const ScenarioStep& step = scenario_.steps[next_step_++];
    if (step.command.target == "end") {
      finished_ = true;
      continue;
    }
    std::string error;
    if (Apply(now, step.command, &error)) {
      ++stats_.steps_applied;
    } else {
      errors_.push_back("line " + std::to_string(step.line) + ": " + error);
    }
  }
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    Slot& slot = devices_[i];
    scratch_.clear();
    if (slot.refuse_pending) {
      slot.refuse_pending = false;
      slot.device->OnDisconnected(now, scratch_);
      Run(now, i, scratch_);
    }
    slot.device->Advance(now, scratch_);
    Run(now, i, scratch_);
  }
}

void World::OnConnected(SimTime now, std::size_t client) {
  if (client >= devices_.size()) return;
  ++stats_.connected;
  scratch_.clear();
  devices_[client].device->OnConnected(now, scratch_);
  Run(now, client, scratch_);
}

void World::OnDisconnected(SimTime now, std::size_t client) {
  if (client >= devices_.size()) return;
  ++stats_.disconnects;
  devices_[client].session = false;
  scratch_.clear();
  devices_[client].device->OnDisconnected(now, scratch_);
  Run(now, client, scratch_);
}

void World::OnPublishAcked(SimTime now, std::size_t client, std::uint32_t token) {
  if (client >= devices_.size()) return;
  ++stats_.acked;
  scratch_.clear();
  devices_[client].device->OnPublishAcked(now, token, scratch_);
  Run(now, client, scratch_);
}

void World::OnMessage(SimTime now, std::size_t client, std::string_view topic,
                      std::string_view payload) {
  if (client >= devices_.size()) return;
  ++stats_.received;
  scratch_.clear();
  devices_[client].device->OnMessage(now, topic, payload, scratch_);
  Run(now, client, scratch_);
}

}  // namespace sw::sim
