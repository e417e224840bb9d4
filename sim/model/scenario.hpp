// Scenario files: what happens when, one step per line.
//
//   # a comment; blank lines are ignored
//   at 0s   CCU-1.01 a plug lights
//   at 2s   CCU-1.01 a switch on
//   at 10s  NODE-2 sanding on
//   at 40s  CCU-1 radio outage 30s
//   at 90s  end
//
// `at <time> <target> <words...>`: the time since the simulation started (500ms, 12s,
// 1.5m, 2h; a bare number is seconds), the uid of a device (a CCU's outlets by their own
// uid), and the command for it (see pit_node.hpp and ccu.hpp). `at <time> end` stops the
// run. Steps may come in any order; equal times keep their file order. Bounded: at most
// kMaxSteps steps, times up to kMaxTime. Pure parsing; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/device.hpp"

namespace sw::sim {

struct ScenarioStep {
  SimTime at{0};
  Command command;  // target "end" with no words: the end of the run
  int line = 0;
};

struct Scenario {
  static constexpr std::size_t kMaxSteps = 10000;
  static constexpr SimTime kMaxTime{7LL * 24 * 3600 * 1000};
  std::vector<ScenarioStep> steps;  // sorted by time (stable)
};

// Returns the scenario or nullopt with *error ("line N: ...").
std::optional<Scenario> ParseScenario(std::string_view text, std::string* error);

std::optional<SimTime> ParseDuration(std::string_view text);
std::optional<double> ParseNumber(std::string_view text);
std::optional<bool> ParseOnOff(std::string_view text);
std::vector<std::string> SplitWords(std::string_view line);

}  // namespace sw::sim
