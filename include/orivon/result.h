#pragma once

/// \file
/// Result<T>: a value or an Error, with the std::expected vocabulary
/// (has_value, value, error, operator bool). When orivon moves to C++23 this
/// becomes an alias of std::expected<T, Error>.
///
/// Propagate with ORIVON_TRY(var, expr) and ORIVON_RETURN_IF_ERROR(expr).

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "orivon/error.h"

namespace orivon {

/// A value of type T or an Error. Return `Error(code, message)` to fail.
/// Thread-compatible.
template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  /// Requires has_value(); aborts otherwise (a programming error).
  T& value() & { return *std::get_if<0>(&checked_value()); }
  const T& value() const& { return *std::get_if<0>(&checked_value()); }
  T&& value() && { return std::move(*std::get_if<0>(&checked_value())); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// Requires !has_value(); aborts otherwise.
  const Error& error() const& {
    if (has_value()) std::abort();
    return *std::get_if<1>(&state_);
  }
  Error&& error() && {
    if (has_value()) std::abort();
    return std::move(*std::get_if<1>(&state_));
  }

 private:
  std::variant<T, Error>& checked_value() {
    if (!has_value()) std::abort();
    return state_;
  }
  const std::variant<T, Error>& checked_value() const {
    if (!has_value()) std::abort();
    return state_;
  }

  std::variant<T, Error> state_;
};

/// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const {
    if (failed_) std::abort();
  }
  const Error& error() const& {
    if (!failed_) std::abort();
    return error_;
  }
  Error&& error() && {
    if (!failed_) std::abort();
    return std::move(error_);
  }

 private:
  Error error_{ErrorCode::Internal, ""};
  bool failed_ = false;
};

/// Success for Result<void>.
inline Result<void> ok() { return {}; }

}  // namespace orivon

#define ORIVON_CONCAT_INNER(a, b) a##b
#define ORIVON_CONCAT(a, b) ORIVON_CONCAT_INNER(a, b)

/// Evaluates `expr` (a Result<T>); on error returns the error from the
/// enclosing function, else declares `var` holding the value.
#define ORIVON_TRY(var, expr) \
  ORIVON_TRY_IMPL(ORIVON_CONCAT(orivon_try_, __LINE__), var, expr)
#define ORIVON_TRY_IMPL(tmp, var, expr) \
  auto tmp = (expr);                    \
  if (!tmp) return std::move(tmp).error(); \
  var = std::move(tmp).value()

/// Evaluates `expr` (a Result); on error returns it from the enclosing function.
#define ORIVON_RETURN_IF_ERROR(expr)                          \
  do {                                                        \
    auto orivon_status_ = (expr);                             \
    if (!orivon_status_) return std::move(orivon_status_).error(); \
  } while (0)
