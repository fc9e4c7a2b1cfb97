#pragma once

/// \file
/// Error: what went wrong, as a canonical ErrorCode, a human-readable message
/// and an optional cause. Library code returns errors (see result.h) and never
/// throws across its public boundary.

#include <memory>
#include <string>
#include <string_view>

#include "orivon/export.h"

namespace orivon {

/// Canonical error codes; see error_codes.inc for how to choose one.
enum class ErrorCode {
#define ORIVON_ERROR_CODE(name, value) name = value,
#include "orivon/error_codes.inc"
#undef ORIVON_ERROR_CODE
};

/// Returns the code's name, for example "NotFound".
ORIVON_API std::string_view error_code_name(ErrorCode code);

/// An error value. Copyable and cheap to move; the cause chain is shared and
/// immutable. Thread-compatible.
class ORIVON_API Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  /// Returns a copy of `cause` wrapped with more context, keeping its code:
  /// `Error::wrap("loading 'x.wasm'", e)` reads "loading 'x.wasm': <e>".
  static Error wrap(std::string_view context, const Error& cause);

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// The error this one wraps, or nullptr.
  const Error* cause() const { return cause_.get(); }

  /// The message followed by each cause's, separated by ": ".
  std::string to_string() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::shared_ptr<const Error> cause_;
};

}  // namespace orivon
