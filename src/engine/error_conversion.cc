#include "engine/error_conversion.h"

#include <string>

namespace orivon::engine {
namespace {

// Wasmtime's Display text for the traps orivon reports with their own code.
// Component calls return a plain wasmtime::Error with no trap code, so the
// message is all there is; core calls give a code, checked first.
constexpr std::string_view kInterruptText = "wasm trap: interrupt";
constexpr std::string_view kOutOfFuelText = "all fuel consumed by WebAssembly";

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

Error to_error(const wasmtime::Error& error, ErrorCode code, std::string_view context) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += one_line(error.message());
  return Error(code, message);
}

}  // namespace orivon::engine
