#include "orivon/error.h"

namespace orivon {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
#define ORIVON_ERROR_CODE(name, value) \
  case ErrorCode::name:                \
    return #name;
#include "orivon/error_codes.inc"
#undef ORIVON_ERROR_CODE
  }
  return "Unknown";
}

Error Error::wrap(std::string_view context, const Error& cause) {
  Error error(cause.code(), cause.tag(), std::string(context));
  error.cause_ = std::make_shared<const Error>(cause);
  return error;
}

std::string Error::to_string() const {
  std::string text = message_;
  for (const Error* cause = cause_.get(); cause != nullptr; cause = cause->cause_.get()) {
    text += ": ";
    text += cause->message_;
  }
  return text;
}

}  // namespace orivon
