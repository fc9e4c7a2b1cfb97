// The C API's errors, strings, lists of strings and version.

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "capi/handles.h"
#include "orivon/version.h"

namespace orivon::capi {
namespace {

// What make_error returns when it cannot allocate: never freed.
orivon_error kOutOfMemory{ErrorCode::ResourceExhausted, "out of memory"};

// The C enum and the C++ one are kept apart (C names are upper case), so
// each value is checked against the X-macro list here.
#define ORIVON_CHECK_C_CODE(c_name, cpp_name) \
  static_assert(static_cast<int>(c_name) == static_cast<int>(ErrorCode::cpp_name));
ORIVON_CHECK_C_CODE(ORIVON_ERROR_INVALID_ARGUMENT, InvalidArgument)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_NOT_FOUND, NotFound)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_ALREADY_EXISTS, AlreadyExists)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_PERMISSION_DENIED, PermissionDenied)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_RESOURCE_EXHAUSTED, ResourceExhausted)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_FAILED_PRECONDITION, FailedPrecondition)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_UNAVAILABLE, Unavailable)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_DEADLINE_EXCEEDED, DeadlineExceeded)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_TRAPPED, Trapped)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_UNIMPLEMENTED, Unimplemented)
ORIVON_CHECK_C_CODE(ORIVON_ERROR_INTERNAL, Internal)
#undef ORIVON_CHECK_C_CODE

#define ORIVON_ERROR_CODE(name, value) +1
constexpr int kCodeCount = 0
#include "orivon/error_codes.inc"
    ;
#undef ORIVON_ERROR_CODE
static_assert(kCodeCount == ORIVON_ERROR_INTERNAL, "a C++ error code has no C value");

}  // namespace

orivon_error_t* make_error(ErrorCode code, std::string_view message) noexcept {
  try {
    return new orivon_error{code, std::string(message)};
  } catch (...) {
    return &kOutOfMemory;
  }
}

orivon_error_t* make_error(const Error& error) noexcept {
  try {
    return make_error(error.code(), error.to_string());
  } catch (...) {
    return &kOutOfMemory;
  }
}

orivon_error_t* null_argument(std::string_view name) noexcept {
  try {
    return make_error(ErrorCode::InvalidArgument, std::string(name) + " must not be NULL");
  } catch (...) {
    return &kOutOfMemory;
  }
}

char* copy_string(std::string_view text) {
  auto* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  if (!text.empty()) std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  return copy;
}

}  // namespace orivon::capi

extern "C" {

orivon_error_code_t orivon_error_code(const orivon_error_t* error) {
  if (error == nullptr) return ORIVON_ERROR_INVALID_ARGUMENT;
  return static_cast<orivon_error_code_t>(error->code);
}

const char* orivon_error_message(const orivon_error_t* error) {
  return error == nullptr ? "" : error->message.c_str();
}

const char* orivon_error_code_name(int code) {
  switch (code) {
#define ORIVON_ERROR_CODE(name, value) \
  case value:                          \
    return #name;
#include "orivon/error_codes.inc"
#undef ORIVON_ERROR_CODE
    default:
      return "Unknown";
  }
}

void orivon_error_delete(orivon_error_t* error) {
  if (error != &orivon::capi::kOutOfMemory) delete error;
}

void orivon_string_delete(char* string) { std::free(string); }

void orivon_bytes_delete(uint8_t* bytes) { std::free(bytes); }

size_t orivon_string_list_size(const orivon_string_list_t* list) {
  return list == nullptr ? 0 : list->strings.size();
}

const char* orivon_string_list_get(const orivon_string_list_t* list, size_t index) {
  if (list == nullptr || index >= list->strings.size()) return nullptr;
  return list->strings[index].c_str();
}

void orivon_string_list_delete(orivon_string_list_t* list) { delete list; }

const char* orivon_version(void) {
  // version() is a view of a literal, but nothing promises it ends in NUL.
  static const std::string kVersion(orivon::version());
  return kVersion.c_str();
}

}  // extern "C"
