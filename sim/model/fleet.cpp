#include "model/fleet.hpp"

#include "model/scenario.hpp"

namespace sw::sim {
namespace {

bool ValidUid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  for (char c : uid) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<std::vector<Credential>> ParseCredentials(std::string_view text, std::string* error) {
  std::vector<Credential> out;
  int line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    const std::vector<std::string> w = SplitWords(line);
    if (w.empty()) continue;
    Credential c;
    bool ok = w.size() >= 2 && w.size() <= 4 && ValidUid(w[0]) && w[1].size() <= 256;
    if (ok) {
      c.uid = w[0];
      c.secret = w[1];
      c.kind = w.size() >= 3 ? w[2] : "sensor_node";
    }
    if (ok && w.size() == 4) {
      if (c.kind == "outlet" && (w[3] == "protocol=1" || w[3] == "protocol=2")) {
        c.protocol = w[3] == "protocol=1" ? 1 : 2;
      } else if (c.kind == "sensor_node" &&
                 (w[3] == "transport=http" || w[3] == "transport=mqtt")) {
        c.http = w[3] == "transport=http";
      } else {
        ok = false;
      }
    }
    if (!ok) {
      *error = "line " + std::to_string(line_no) +
               ": expected \"uid secret [kind]\", \"uid secret outlet protocol=1|2\" or "
               "\"uid secret sensor_node transport=mqtt|http\"";
      return std::nullopt;
    }
    if (out.size() >= kMaxDevices) {
      *error = "more than " + std::to_string(kMaxDevices) + " devices";
      return std::nullopt;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string OutletUid(std::string_view gateway, std::uint8_t address) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string uid(gateway);
  uid += '.';
  uid += kHex[address >> 4];
  uid += kHex[address & 0x0F];
  return uid;
}

std::optional<std::pair<std::string, std::uint8_t>> SplitOutletUid(std::string_view uid) {
  const std::size_t dot = uid.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || uid.size() - dot != 3) return std::nullopt;
  const int hi = HexDigit(uid[dot + 1]);
  const int lo = HexDigit(uid[dot + 2]);
  if (hi < 0 || lo < 0) return std::nullopt;
  const int address = hi * 16 + lo;
  if (address == 0 || address == 0xFF) return std::nullopt;
  return std::make_pair(std::string(uid.substr(0, dot)), static_cast<std::uint8_t>(address));
}

FleetPlan PlanFleet(const std::vector<Credential>& credentials) {
  FleetPlan plan;
  for (const Credential& c : credentials) {
    if (c.kind == "sensor_node") {
      plan.nodes.push_back(c);
    } else if (c.kind == "gateway") {
      plan.gateways.push_back(GatewayPlan{c, {}, {}});
    } else if (c.kind != "outlet") {
      plan.skipped.push_back(c.uid + ": kind " + c.kind + " is not simulated");
    }
  }
  for (const Credential& c : credentials) {
    if (c.kind != "outlet") continue;
    const auto split = SplitOutletUid(c.uid);
    GatewayPlan* parent = nullptr;
    for (GatewayPlan& g : plan.gateways) {
      if (split && g.credential.uid == split->first) parent = &g;
    }
    if (parent == nullptr) {
      plan.skipped.push_back(c.uid + ": no gateway for this outlet in the file");
      continue;
    }
    if (parent->outlets.size() >= 32) {
      plan.skipped.push_back(c.uid + ": more than 32 outlets on one gateway");
      continue;
    }
    parent->outlets.push_back(split->second);
    if (c.protocol == 1) parent->legacy_outlets.push_back(split->second);
  }
  return plan;
}

}  // namespace sw::sim
