#include "engine/error_conversion.h"

#include <string>

namespace orivon::engine {
namespace {

// Wasmtime's Display text for the traps orivon reports with their own code.
// Component calls return a plain wasmtime::Error with no trap code, so the
// message is all there is; core calls give a code, checked first.
constexpr std::string_view kInterruptText = "wasm trap: interrupt";
constexpr std::string_view kOutOfFuelText = "all fuel consumed by WebAssembly";
constexpr std::string_view kTrapText = "wasm trap: ";

Error trap_error(ErrorCode code, const std::string& message) {
  switch (code) {
    case ErrorCode::DeadlineExceeded:
      return Error(code, "guest ran past its deadline and was interrupted\n" + message);
    case ErrorCode::ResourceExhausted:
      return Error(code, "guest ran out of fuel\n" + message);
    default:
      return Error(code, "guest trapped\n" + message);
  }
}

ErrorCode code_from_message(const std::string& message) {
  if (message.find(kInterruptText) != std::string::npos) return ErrorCode::DeadlineExceeded;
  if (message.find(kOutOfFuelText) != std::string::npos) return ErrorCode::ResourceExhausted;
  return ErrorCode::Trapped;
}

}  // namespace

CallFailure classify_failure(const wasmtime::Error& failure) {
  if (auto status = failure.i32_exit()) return GuestExit{*status};
  std::string message = failure.message();
  return trap_error(code_from_message(message), message);
}

CallFailure classify_failure(const wasmtime::TrapError& failure) {
  if (const auto* error = std::get_if<wasmtime::Error>(&failure.data)) {
    return classify_failure(*error);
  }
  const auto& trap = std::get<wasmtime::Trap>(failure.data);
  std::string message = trap.message();
  ErrorCode code = code_from_message(message);
  if (auto trap_code = trap.code()) {
    if (*trap_code == WASMTIME_TRAP_CODE_INTERRUPT) code = ErrorCode::DeadlineExceeded;
    if (*trap_code == WASMTIME_TRAP_CODE_OUT_OF_FUEL) code = ErrorCode::ResourceExhausted;
  }
  return trap_error(code, message);
}

std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  std::size_t i = 0;
  while (i < message.size()) {
    if (message[i] != '\n') {
      out += message[i++];
      continue;
    }
    // Collapse a run of newlines, indentation and "Caused by:" headers into
    // one ": " separator.
    while (i < message.size() && (message[i] == '\n' || message[i] == ' ')) ++i;
    constexpr std::string_view kCausedBy = "Caused by:";
    if (message.substr(i, kCausedBy.size()) == kCausedBy) {
      i += kCausedBy.size();
      while (i < message.size() && (message[i] == '\n' || message[i] == ' ')) ++i;
    }
    // Numbered causes ("0: x") lose their numbers.
    std::size_t digits = i;
    while (digits < message.size() && message[digits] >= '0' && message[digits] <= '9') ++digits;
    if (digits > i && message.substr(digits, 2) == ": ") i = digits + 2;
    if (i < message.size() && !out.empty()) out += ": ";
  }
  return out;
}

std::string failure_reason(std::string_view text) {
  // Wasmtime lists causes after "Caused by:", outermost first, the root
  // last; the backtrace is the context above them. Orivon's host errors
  // are one line each, so the last line is the root cause.
  constexpr std::string_view kCausedBy = "\nCaused by:";
  if (auto caused = text.rfind(kCausedBy); caused != std::string_view::npos) {
    std::string_view causes = text.substr(caused + kCausedBy.size());
    while (!causes.empty() && (causes.back() == '\n' || causes.back() == ' ')) {
      causes.remove_suffix(1);
    }
    std::string_view last = causes.substr(causes.rfind('\n') + 1);
    while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
    // Numbered causes ("2: wasm trap: ...") lose their numbers.
    std::size_t digits = 0;
    while (digits < last.size() && last[digits] >= '0' && last[digits] <= '9') ++digits;
    if (digits > 0 && last.substr(digits, 2) == ": ") last.remove_prefix(digits + 2);
    if (!last.empty()) return std::string(last);
  }
  // A core trap reads "wasm trap: reason" followed by its backtrace.
  if (auto trap = text.rfind(kTrapText); trap != std::string_view::npos) {
    text = text.substr(trap);
    return std::string(text.substr(0, text.find('\n')));
  }
  // Else the last line: "guest trapped\n<the host's error>" names the error.
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text.substr(text.rfind('\n') + 1));
}

Error to_error(const wasmtime::Error& error, ErrorCode code, std::string_view context) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += one_line(error.message());
  return Error(code, message);
}

}  // namespace orivon::engine
