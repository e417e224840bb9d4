// Fuzzes the decoders of a device's command result — on sw/d/{uid}/cmd/result and in the body
// of POST /api/v1/device/commands/{id}/result — bytes any device may send. No input may crash
// them; whatever they accept has an id (MQTT), a current within bounds, and decodes again to
// the same result when written back as JSON. The same bytes go through the decoder of an MQTT
// integration's command request (sw/d/{uid}/cmd/request), which must not crash either.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/command_json.hpp"

namespace {

void Check(const sw::core::CommandResult& r) {
  if (r.current_ma && (*r.current_ma < 0 || *r.current_ma > sw::http::kMaxResultCurrentMa)) {
    std::abort();
  }
}

bool Same(const sw::core::CommandResult& a, const sw::core::CommandResult& b) {
  return a.id == b.id && a.ok == b.ok && a.detail == b.detail && a.current_ma == b.current_ma;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto r = sw::http::DecodeCommandResult(text); r.ok()) {
    if (r->id.empty()) std::abort();
    Check(*r);
    boost::json::object o{{"id", r->id}, {"ok", r->ok}, {"detail", r->detail}};
    if (r->current_ma) o["current_ma"] = *r->current_ma;
    auto again = sw::http::DecodeCommandResult(boost::json::serialize(o));
    if (!again.ok() || !Same(*r, *again)) std::abort();
  }
  if (auto r = sw::http::DecodeCommandResultBody("cmd-1", text); r.ok()) {
    if (r->id != "cmd-1") std::abort();
    Check(*r);
    boost::json::object o{{"ok", r->ok}, {"detail", r->detail}};
    if (r->current_ma) o["current_ma"] = *r->current_ma;
    auto again = sw::http::DecodeCommandResultBody("cmd-1", boost::json::serialize(o));
    if (!again.ok() || !Same(*r, *again)) std::abort();
  }
  if (auto r = sw::http::DecodeCommandRequestMessage(text); r.ok()) {
    if (r->idempotency_key && r->idempotency_key->size() > text.size()) std::abort();
  }
  return 0;
}
