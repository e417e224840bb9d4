// Result<T>: the value of an operation that can fail in an expected way.
//
// Pure layers (common, core, protocol) return Result<T> or Status instead of throwing.
// An Error carries a category (Errc, mapped once to HTTP status / MQTT reason codes by the
// shells), a stable machine code ("PIT_NUMBER_TAKEN"), a human message and, for validation
// errors, the offending field. Value type; not thread-safe to share a mutable instance.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace sw {

enum class Errc {
  kInvalidArgument,  // the caller sent something malformed or out of bounds
  kUnauthenticated,  // no or bad credentials
  kForbidden,        // authenticated, but the role may not do this
  kNotFound,         // does not exist, or exists in a workshop the caller cannot see
  kConflict,         // clashes with existing state (duplicate, in use)
  kPayloadTooLarge,  // body or packet above a configured limit
  kRateLimited,      // too many attempts; retry later
  kUnavailable,      // a dependency is down or the server is shutting down
  kDataLoss,         // stored data is unreadable or from a newer schema
  kInternal,         // a bug or an unexpected I/O failure
};

// Default machine code for a category, used when an Error names none.
const char* DefaultCode(Errc code);

struct Error {
  Errc code = Errc::kInternal;
  std::string machine_code;  // e.g. "VALIDATION_ERROR"; DefaultCode(code) when empty
  std::string message;       // for people; never contains secrets
  std::string field;         // the request field at fault, when there is one

  const char* Code() const {
    return machine_code.empty() ? DefaultCode(code) : machine_code.c_str();
  }
};

inline Error MakeError(Errc code, std::string message, std::string machine_code = {},
                       std::string field = {}) {
  return Error{code, std::move(machine_code), std::move(message), std::move(field)};
}

inline Error InvalidField(std::string field, std::string message) {
  return Error{Errc::kInvalidArgument, "VALIDATION_ERROR", std::move(message), std::move(field)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error)
      : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }
  Error&& take_error() {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

struct Ok {};

// Status: a Result with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Ok) {}  // NOLINT(google-explicit-constructor)
  Status(Error error)
      : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }
  Error&& take_error() {
    assert(failed_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace sw

// Propagates a failed Result/Status to the caller: SW_TRY(status_expr);
#define SW_TRY(expr)                                              \
  do {                                                            \
    auto sw_try_result_ = (expr);                                 \
    if (!sw_try_result_.ok()) return sw_try_result_.take_error(); \
  } while (0)

#define SW_CONCAT_INNER(a, b) a##b
#define SW_CONCAT(a, b) SW_CONCAT_INNER(a, b)
#define SW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.take_error();        \
  lhs = std::move(tmp).value()

// SW_ASSIGN_OR_RETURN(auto user, store.Find(id));
#define SW_ASSIGN_OR_RETURN(lhs, expr) \
  SW_ASSIGN_OR_RETURN_IMPL(SW_CONCAT(sw_result_, __LINE__), lhs, expr)
