#pragma once

// What the C API's opaque handles (include/orivon/orivon.h) hold, and the
// boundary helper every C function goes through. Each handle is a plain C++
// object owning copies of what it shows, so the `const char*` a C caller
// borrows points into it and lives exactly as long as the handle.

#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "orivon/error.h"
#include "orivon/module_info.h"
#include "orivon/orivon.h"
#include "orivon/result.h"
#include "orivon/runtime.h"
#include "orivon/service.h"
#include "orivon/value.h"

struct orivon_error {
  orivon::ErrorCode code;
  std::string message;
};

struct orivon_string_list {
  std::vector<std::string> strings;
};

struct orivon_runtime_options {
  orivon::RuntimeOptions options;
};

struct orivon_runtime {
  std::unique_ptr<orivon::Runtime> runtime;
};

struct orivon_module_info {
  explicit orivon_module_info(orivon::ModuleInfo module_info) : info(std::move(module_info)) {}
  orivon::ModuleInfo info;
};

struct orivon_module_list {
  std::vector<orivon_module_info> modules;
};

struct orivon_module_details {
  explicit orivon_module_details(orivon::ModuleInfo module_info) : info(std::move(module_info)) {}
  orivon_module_info info;
  orivon_string_list imports;
  orivon_string_list exports;
  orivon_string_list allowed;
  orivon_string_list denied;
};

struct orivon_log_list {
  std::vector<orivon::LogEntry> entries;
};

struct orivon_value {
  orivon::Value value;
};

struct orivon_value_list {
  std::vector<orivon_value> values;
};

namespace orivon::capi {

// A new C error owned by the caller. When memory runs out it is a shared
// static "out of memory" error, which orivon_error_delete leaves alone.
orivon_error_t* make_error(ErrorCode code, std::string_view message) noexcept;
orivon_error_t* make_error(const Error& error) noexcept;
// INVALID_ARGUMENT naming the argument that was NULL.
orivon_error_t* null_argument(std::string_view name) noexcept;

// Runs `body` (returning orivon_error_t*) so that nothing unwinds into C: an
// exception, which orivon itself never throws but an allocation may, becomes
// ORIVON_ERROR_INTERNAL.
template <typename Body>
orivon_error_t* guard(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::ResourceExhausted, "out of memory");
  } catch (const std::exception& exception) {
    return make_error(ErrorCode::Internal, std::string("unexpected failure: ") + exception.what());
  } catch (...) {
    return make_error(ErrorCode::Internal, "unexpected failure");
  }
}

// A copy of a std::string as a malloc'd C string, which orivon_string_delete frees.
char* copy_string(std::string_view text);

}  // namespace orivon::capi
