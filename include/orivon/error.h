#pragma once

/// \file
/// Error: what went wrong, as a canonical ErrorCode, a human-readable message
/// and an optional cause. Library code returns errors (see result.h) and never
/// throws across its public boundary.
///
/// Programs decide by the code, and where several failures share a code and
/// must be told apart, by the ErrorTag. The message is for people: it may be
/// reworded, so no decision is ever made by reading it.

#include <cstdint>
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

/// A finer reason than the ErrorCode, for the few failures a caller must tell
/// apart although they share a code. Most errors carry ErrorTag::None. Tags
/// may be added in later versions; treat one you do not know as None.
enum class ErrorTag : std::uint8_t {
  None = 0,     ///< nothing finer than the code
  NotRunning,   ///< FailedPrecondition: the service called is not running
  CallCycle,    ///< FailedPrecondition: the call would wait for itself (A calls B calls A)
  GuestExited,  ///< FailedPrecondition: the guest called WASI exit before or during the call
  /// The guest was interrupted because its service is being stopped.
  InterruptedToStop,
  /// The guest was interrupted because the call ran past its deadline.
  CallDeadline,
};

/// An error value. Copyable and cheap to move; the cause chain is shared and
/// immutable. Thread-compatible.
class ORIVON_API Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  /// An error with a tag: `Error(ErrorCode::FailedPrecondition,
  /// ErrorTag::NotRunning, "'x' is not running")`.
  Error(ErrorCode code, ErrorTag tag, std::string message)
      : code_(code), tag_(tag), message_(std::move(message)) {}

  /// Returns a copy of `cause` wrapped with more context, keeping its code
  /// and tag: `Error::wrap("loading 'x.wasm'", e)` reads "loading 'x.wasm': <e>".
  static Error wrap(std::string_view context, const Error& cause);

  ErrorCode code() const { return code_; }
  /// The finer reason, or ErrorTag::None.
  ErrorTag tag() const { return tag_; }
  /// A copy of this error with `tag` in place of its own; the code, message
  /// and cause are kept.
  Error with_tag(ErrorTag tag) const {
    Error copy = *this;
    copy.tag_ = tag;
    return copy;
  }
  const std::string& message() const { return message_; }
  /// The error this one wraps, or nullptr.
  const Error* cause() const { return cause_.get(); }

  /// The message followed by each cause's, separated by ": ".
  std::string to_string() const;

 private:
  ErrorCode code_;
  ErrorTag tag_ = ErrorTag::None;
  std::string message_;
  std::shared_ptr<const Error> cause_;
};

}  // namespace orivon
