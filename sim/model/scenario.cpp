#include "model/scenario.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sw::sim {

std::vector<std::string> SplitWords(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size() || line[i] == '#') break;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<SimTime> ParseDuration(std::string_view text) {
  double scale = 1000.0;
  std::string_view number = text;
  const auto suffix = [&](std::string_view s, double ms) {
    if (number.size() > s.size() && number.ends_with(s)) {
      number.remove_suffix(s.size());
      scale = ms;
      return true;
    }
    return false;
  };
  if (!suffix("ms", 1.0) && !suffix("s", 1000.0) && !suffix("m", 60000.0)) suffix("h", 3600000.0);
  const auto v = ParseNumber(number);
  if (!v || *v < 0 || *v * scale > 1e12) return std::nullopt;
  return SimTime(static_cast<std::int64_t>(std::llround(*v * scale)));
}

std::optional<bool> ParseOnOff(std::string_view text) {
  if (text == "on" || text == "true" || text == "1") return true;
  if (text == "off" || text == "false" || text == "0") return false;
  return std::nullopt;
}

std::optional<Scenario> ParseScenario(std::string_view text, std::string* error) {
  Scenario s;
  int line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    const std::vector<std::string> words = SplitWords(line);
    if (words.empty()) continue;
    const auto fail = [&](const std::string& why) {
      *error = "line " + std::to_string(line_no) + ": " + why;
      return std::nullopt;
    };
    if (words[0] != "at" || words.size() < 3) return fail("expected: at <time> <target> ...");
    const auto at = ParseDuration(words[1]);
    if (!at || *at > Scenario::kMaxTime) return fail("bad time \"" + words[1] + "\"");
    if (s.steps.size() >= Scenario::kMaxSteps) return fail("too many steps");
    ScenarioStep step;
    step.at = *at;
    step.line = line_no;
    step.command.target = words[2];
    step.command.words.assign(words.begin() + 3, words.end());
    if (step.command.target == "end" && !step.command.words.empty()) {
      return fail("end takes no arguments");
    }
    if (step.command.target != "end" && step.command.words.empty()) {
      return fail("no command for " + step.command.target);
    }
    s.steps.push_back(std::move(step));
  }
  std::stable_sort(s.steps.begin(), s.steps.end(),
                   [](const ScenarioStep& a, const ScenarioStep& b) { return a.at < b.at; });
  return s;
}

}  // namespace sw::sim
