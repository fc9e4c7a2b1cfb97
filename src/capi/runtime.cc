// The C API's runtime: each function checks its C arguments, calls the C++
// Runtime (orivon/runtime.h) and copies what it returns into a handle the C
// caller owns. Nothing here decides anything the C++ API does not.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capi/handles.h"
#include "core/file_util.h"
#include "orivon/events.h"
#include "orivon/ids.h"
#include "orivon/kv.h"
#include "orivon/manifest.h"

namespace orivon::capi {
namespace {

// A module id from C: NULL and malformed ids are InvalidArgument.
Result<ModuleId> parse_id(const char* id, std::string_view name) {
  if (id == nullptr) return Error(ErrorCode::InvalidArgument, std::string(name) + " must not be NULL");
  return ModuleId::parse(id);
}

std::optional<std::chrono::milliseconds> timeout_of(std::uint32_t timeout_ms) {
  if (timeout_ms == 0) return std::nullopt;
  return std::chrono::milliseconds(timeout_ms);
}

std::span<const std::byte> bytes_of(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return {};
  return {reinterpret_cast<const std::byte*>(data), size};
}

// The names a C caller passed as an array with a count.
Result<std::vector<std::string>> names_of(const char* const* names, std::size_t count) {
  std::vector<std::string> result;
  if (count == 0) return result;
  if (names == nullptr) return Error(ErrorCode::InvalidArgument, "functions must not be NULL");
  for (std::size_t i = 0; i < count; ++i) {
    if (names[i] == nullptr) {
      return Error(ErrorCode::InvalidArgument, "functions[" + std::to_string(i) + "] is NULL");
    }
    result.emplace_back(names[i]);
  }
  return result;
}

orivon_module_state_t c_state(ModuleState state) {
  return static_cast<orivon_module_state_t>(static_cast<int>(state));
}
static_assert(static_cast<int>(ModuleState::Crashed) == ORIVON_STATE_CRASHED);
static_assert(static_cast<int>(ModuleKind::Group) == ORIVON_MODULE_GROUP);

// Hands `info` to the caller when it asked for it.
void give_info(ModuleInfo info, orivon_module_info_t** out) {
  if (out != nullptr) *out = new orivon_module_info(std::move(info));
}

}  // namespace
}  // namespace orivon::capi

using orivon::Error;
using orivon::ErrorCode;
using orivon::ModuleId;
using orivon::capi::guard;
using orivon::capi::make_error;
using orivon::capi::null_argument;
using orivon::capi::parse_id;

// Every runtime function starts the same way: the runtime must be there.
#define ORIVON_CAPI_RUNTIME(runtime) \
  if ((runtime) == nullptr) return null_argument("runtime")
// ... and turns a failed Result into the C error.
#define ORIVON_CAPI_TRY(var, expr)             \
  auto var##_result = (expr);                  \
  if (!var##_result) return make_error(var##_result.error()); \
  auto& var = *var##_result
#define ORIVON_CAPI_CHECK(expr)                            \
  do {                                                     \
    auto capi_check_result = (expr);                       \
    if (!capi_check_result) return make_error(capi_check_result.error()); \
  } while (false)

extern "C" {

// ---- The runtime --------------------------------------------------------------

orivon_runtime_options_t* orivon_runtime_options_new(void) {
  try {
    return new orivon_runtime_options{};
  } catch (...) {
    return nullptr;
  }
}

orivon_error_t* orivon_runtime_options_set_state_dir(orivon_runtime_options_t* options,
                                                     const char* path) {
  return guard([&]() -> orivon_error_t* {
    if (options == nullptr) return null_argument("options");
    if (path == nullptr) return null_argument("path");
    options->options.state_dir = path;
    return nullptr;
  });
}

void orivon_runtime_options_delete(orivon_runtime_options_t* options) { delete options; }

orivon_error_t* orivon_runtime_new(const orivon_runtime_options_t* options,
                                   orivon_runtime_t** runtime) {
  return guard([&]() -> orivon_error_t* {
    if (runtime == nullptr) return null_argument("runtime");
    const orivon::RuntimeOptions defaults;
    ORIVON_CAPI_TRY(created,
                    orivon::Runtime::create(options == nullptr ? defaults : options->options));
    *runtime = new orivon_runtime{std::move(created)};
    return nullptr;
  });
}

void orivon_runtime_delete(orivon_runtime_t* runtime) {
  // The Runtime's destructor stops services and joins its threads; it
  // reports nothing and throws nothing.
  delete runtime;
}

// ---- Modules ----------------------------------------------------------------

const char* orivon_module_state_name(int state) {
  if (state < ORIVON_STATE_INSTALLED || state > ORIVON_STATE_CRASHED) return "unknown";
  // The names are literals (src/registry/module_info.cc), so the view ends in NUL.
  static const std::string kNames[] = {
      std::string(orivon::module_state_name(orivon::ModuleState::Installed)),
      std::string(orivon::module_state_name(orivon::ModuleState::Starting)),
      std::string(orivon::module_state_name(orivon::ModuleState::Running)),
      std::string(orivon::module_state_name(orivon::ModuleState::Stopping)),
      std::string(orivon::module_state_name(orivon::ModuleState::Stopped)),
      std::string(orivon::module_state_name(orivon::ModuleState::Crashed))};
  return kNames[state].c_str();
}

const char* orivon_module_info_id(const orivon_module_info_t* info) {
  return info == nullptr ? "" : info->info.id.str().c_str();
}
orivon_module_kind_t orivon_module_info_kind(const orivon_module_info_t* info) {
  return info == nullptr ? ORIVON_MODULE_SERVICE
                         : static_cast<orivon_module_kind_t>(static_cast<int>(info->info.kind));
}
orivon_module_state_t orivon_module_info_state(const orivon_module_info_t* info) {
  return info == nullptr ? ORIVON_STATE_INSTALLED : orivon::capi::c_state(info->info.state);
}
const char* orivon_module_info_state_cause(const orivon_module_info_t* info) {
  return info == nullptr ? "" : info->info.state_cause.c_str();
}
const char* orivon_module_info_version(const orivon_module_info_t* info) {
  return info == nullptr ? "" : info->info.version.c_str();
}
const char* orivon_module_info_description(const orivon_module_info_t* info) {
  return info == nullptr ? "" : info->info.description.c_str();
}
const char* orivon_module_info_content_hash(const orivon_module_info_t* info) {
  return info == nullptr ? "" : info->info.content_hash.c_str();
}
uint64_t orivon_module_info_size(const orivon_module_info_t* info) {
  return info == nullptr ? 0 : info->info.size_bytes;
}
bool orivon_module_info_is_component(const orivon_module_info_t* info) {
  return info != nullptr && info->info.program_kind == orivon::ProgramKind::Component;
}
void orivon_module_info_delete(orivon_module_info_t* info) { delete info; }

orivon_error_t* orivon_module_add(orivon_runtime_t* runtime, const char* id, const uint8_t* code,
                                  size_t code_size, orivon_module_info_t** info) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (code == nullptr && code_size != 0) return null_argument("code");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    orivon::AddOptions options;
    options.id = module_id;
    ORIVON_CAPI_TRY(added, runtime->runtime->add_module(orivon::capi::bytes_of(code, code_size),
                                                        options));
    orivon::capi::give_info(std::move(added), info);
    return nullptr;
  });
}

orivon_error_t* orivon_module_add_file(orivon_runtime_t* runtime, const char* id,
                                       const char* path, const char* manifest_path,
                                       orivon_module_info_t** info) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (path == nullptr) return null_argument("path");
    orivon::AddOptions options;
    if (id != nullptr) {
      ORIVON_CAPI_TRY(module_id, ModuleId::parse(id));
      options.id = module_id;
    } else if (manifest_path == nullptr) {
      return make_error(ErrorCode::InvalidArgument, "id must not be NULL without a manifest");
    }
    if (manifest_path != nullptr) {
      // Read more than a manifest may hold, so the parser names the limit.
      ORIVON_CAPI_TRY(bytes, orivon::read_file(manifest_path, std::uint64_t{1} << 20));
      const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      ORIVON_CAPI_TRY(manifest,
                      orivon::parse_manifest(text, orivon::manifest_format_for(manifest_path)));
      options.manifest = std::move(manifest);
    }
    ORIVON_CAPI_TRY(added, runtime->runtime->add_module_file(path, options));
    orivon::capi::give_info(std::move(added), info);
    return nullptr;
  });
}

orivon_error_t* orivon_module_update(orivon_runtime_t* runtime, const char* id,
                                     const uint8_t* code, size_t code_size,
                                     orivon_module_info_t** info) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (code == nullptr && code_size != 0) return null_argument("code");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_TRY(updated, runtime->runtime->update_module(
                                 module_id, orivon::capi::bytes_of(code, code_size)));
    orivon::capi::give_info(std::move(updated), info);
    return nullptr;
  });
}

orivon_error_t* orivon_module_update_file(orivon_runtime_t* runtime, const char* id,
                                          const char* path, orivon_module_info_t** info) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (path == nullptr) return null_argument("path");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_TRY(updated, runtime->runtime->update_module_file(module_id, path));
    orivon::capi::give_info(std::move(updated), info);
    return nullptr;
  });
}

orivon_error_t* orivon_module_remove(orivon_runtime_t* runtime, const char* id) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->remove_module(module_id));
    return nullptr;
  });
}

size_t orivon_module_list_size(const orivon_module_list_t* list) {
  return list == nullptr ? 0 : list->modules.size();
}
const orivon_module_info_t* orivon_module_list_get(const orivon_module_list_t* list,
                                                   size_t index) {
  if (list == nullptr || index >= list->modules.size()) return nullptr;
  return &list->modules[index];
}
void orivon_module_list_delete(orivon_module_list_t* list) { delete list; }

orivon_error_t* orivon_module_list(orivon_runtime_t* runtime, const char* after, size_t limit,
                                   orivon_module_list_t** list) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (list == nullptr) return null_argument("list");
    orivon::ListOptions options;
    if (after != nullptr) options.after = after;
    options.limit = limit;
    ORIVON_CAPI_TRY(modules, runtime->runtime->list_modules(options));
    auto result = std::make_unique<orivon_module_list_t>();
    result->modules.reserve(modules.size());
    for (auto& module : modules) result->modules.emplace_back(std::move(module));
    *list = result.release();
    return nullptr;
  });
}

const orivon_module_info_t* orivon_module_details_info(const orivon_module_details_t* details) {
  return details == nullptr ? nullptr : &details->info;
}
const orivon_string_list_t* orivon_module_details_imports(const orivon_module_details_t* details) {
  return details == nullptr ? nullptr : &details->imports;
}
const orivon_string_list_t* orivon_module_details_exports(const orivon_module_details_t* details) {
  return details == nullptr ? nullptr : &details->exports;
}
const orivon_string_list_t* orivon_module_details_allowed(const orivon_module_details_t* details) {
  return details == nullptr ? nullptr : &details->allowed;
}
const orivon_string_list_t* orivon_module_details_denied(const orivon_module_details_t* details) {
  return details == nullptr ? nullptr : &details->denied;
}
void orivon_module_details_delete(orivon_module_details_t* details) { delete details; }

orivon_error_t* orivon_module_inspect(orivon_runtime_t* runtime, const char* id,
                                      orivon_module_details_t** details) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (details == nullptr) return null_argument("details");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_TRY(inspected, runtime->runtime->inspect_module(module_id));
    auto result = std::make_unique<orivon_module_details>(std::move(inspected.info));
    result->imports.strings = std::move(inspected.imports);
    result->exports.strings = std::move(inspected.exports);
    for (const auto& [grant, decision] : inspected.decisions) {
      auto& into = decision == orivon::GrantDecision::Allow ? result->allowed : result->denied;
      into.strings.push_back(grant);
    }
    *details = result.release();
    return nullptr;
  });
}

// ---- Grants -----------------------------------------------------------------

orivon_error_t* orivon_grant_allow(orivon_runtime_t* runtime, const char* id, const char* grant) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (grant == nullptr) return null_argument("grant");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->allow_grant(module_id, grant));
    return nullptr;
  });
}

orivon_error_t* orivon_grant_deny(orivon_runtime_t* runtime, const char* id, const char* grant) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (grant == nullptr) return null_argument("grant");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->deny_grant(module_id, grant));
    return nullptr;
  });
}

orivon_error_t* orivon_calls_grant(orivon_runtime_t* runtime, const char* caller,
                                   const char* target, const char* const* functions,
                                   size_t function_count) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    ORIVON_CAPI_TRY(caller_id, parse_id(caller, "caller"));
    ORIVON_CAPI_TRY(target_id, parse_id(target, "target"));
    ORIVON_CAPI_TRY(names, orivon::capi::names_of(functions, function_count));
    ORIVON_CAPI_CHECK(runtime->runtime->grant_calls(caller_id, target_id, names));
    return nullptr;
  });
}

orivon_error_t* orivon_calls_revoke(orivon_runtime_t* runtime, const char* caller,
                                    const char* target, const char* const* functions,
                                    size_t function_count) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    ORIVON_CAPI_TRY(caller_id, parse_id(caller, "caller"));
    ORIVON_CAPI_TRY(target_id, parse_id(target, "target"));
    ORIVON_CAPI_TRY(names, orivon::capi::names_of(functions, function_count));
    ORIVON_CAPI_CHECK(runtime->runtime->revoke_calls(caller_id, target_id, names));
    return nullptr;
  });
}

// ---- Services ---------------------------------------------------------------

orivon_error_t* orivon_service_start(orivon_runtime_t* runtime, const char* id) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->start_service(module_id));
    return nullptr;
  });
}

orivon_error_t* orivon_service_stop(orivon_runtime_t* runtime, const char* id) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->stop_service(module_id));
    return nullptr;
  });
}

orivon_error_t* orivon_service_restart(orivon_runtime_t* runtime, const char* id) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->restart_service(module_id));
    return nullptr;
  });
}

orivon_error_t* orivon_state_subscribe(orivon_runtime_t* runtime,
                                       orivon_state_callback_t callback, void* user_data,
                                       uint64_t* subscription) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (callback == nullptr) return null_argument("callback");
    if (subscription == nullptr) return null_argument("subscription");
    // The listener runs on orivon's threads; the C callback cannot throw.
    const std::uint64_t id = runtime->runtime->subscribe(
        [callback, user_data](const orivon::StateChange& change) {
          callback(user_data, change.id.str().c_str(), orivon::capi::c_state(change.from),
                   orivon::capi::c_state(change.to), change.cause.c_str());
        });
    if (id == 0) {
      return make_error(ErrorCode::FailedPrecondition,
                        "state changes need a runtime with a state directory");
    }
    *subscription = id;
    return nullptr;
  });
}

orivon_error_t* orivon_state_unsubscribe(orivon_runtime_t* runtime, uint64_t subscription) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    runtime->runtime->unsubscribe(subscription);
    return nullptr;
  });
}

size_t orivon_log_list_size(const orivon_log_list_t* list) {
  return list == nullptr ? 0 : list->entries.size();
}
uint64_t orivon_log_list_sequence(const orivon_log_list_t* list, size_t index) {
  if (list == nullptr || index >= list->entries.size()) return 0;
  return list->entries[index].sequence;
}
int64_t orivon_log_list_time_ms(const orivon_log_list_t* list, size_t index) {
  if (list == nullptr || index >= list->entries.size()) return 0;
  return list->entries[index].time_ms;
}
const char* orivon_log_list_stream(const orivon_log_list_t* list, size_t index) {
  if (list == nullptr || index >= list->entries.size()) return nullptr;
  return list->entries[index].stream.c_str();
}
const char* orivon_log_list_text(const orivon_log_list_t* list, size_t index) {
  if (list == nullptr || index >= list->entries.size()) return nullptr;
  return list->entries[index].text.c_str();
}
void orivon_log_list_delete(orivon_log_list_t* list) { delete list; }

orivon_error_t* orivon_service_logs(orivon_runtime_t* runtime, const char* id, uint64_t after,
                                    size_t max, orivon_log_list_t** logs) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (logs == nullptr) return null_argument("logs");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    auto result = std::make_unique<orivon_log_list>();
    result->entries = runtime->runtime->service_logs(module_id, after, max);
    *logs = result.release();
    return nullptr;
  });
}

// ---- Calls ------------------------------------------------------------------

orivon_error_t* orivon_call_text(orivon_runtime_t* runtime, const char* id, const char* call,
                                 uint32_t timeout_ms, char** results, int32_t* exit_code) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (call == nullptr) return null_argument("call");
    if (results == nullptr) return null_argument("results");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_TRY(outcome, runtime->runtime->call(module_id, call,
                                                    orivon::capi::timeout_of(timeout_ms)));
    *results = orivon::capi::copy_string(outcome.results);
    if (exit_code != nullptr) *exit_code = outcome.exit_code.value_or(-1);
    return nullptr;
  });
}

orivon_error_t* orivon_call_values(orivon_runtime_t* runtime, const char* id,
                                   const char* function, const orivon_value_t* const* args,
                                   size_t arg_count, uint32_t timeout_ms,
                                   orivon_value_list_t** results) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (function == nullptr) return null_argument("function");
    if (results == nullptr) return null_argument("results");
    if (args == nullptr && arg_count != 0) return null_argument("args");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    std::vector<orivon::Value> values;
    values.reserve(arg_count);
    for (std::size_t i = 0; i < arg_count; ++i) {
      if (args[i] == nullptr) {
        return make_error(ErrorCode::InvalidArgument, "args[" + std::to_string(i) + "] is NULL");
      }
      values.push_back(args[i]->value);
    }
    ORIVON_CAPI_TRY(returned, runtime->runtime->call(module_id, function, values,
                                                     orivon::capi::timeout_of(timeout_ms)));
    auto result = std::make_unique<orivon_value_list>();
    for (auto& value : returned) result->values.push_back(orivon_value{std::move(value)});
    *results = result.release();
    return nullptr;
  });
}

// ---- Events -----------------------------------------------------------------

orivon_error_t* orivon_event_publish(orivon_runtime_t* runtime, const char* topic,
                                     const uint8_t* data, size_t data_size,
                                     const char* content_type, uint64_t* sequence) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (topic == nullptr) return null_argument("topic");
    if (data == nullptr && data_size != 0) return null_argument("data");
    orivon::EventMessage message;
    message.topic = topic;
    if (data != nullptr) message.data.assign(data, data + data_size);
    if (content_type != nullptr) message.content_type = content_type;
    ORIVON_CAPI_TRY(published, runtime->runtime->publish(message));
    if (sequence != nullptr) *sequence = published;
    return nullptr;
  });
}

orivon_error_t* orivon_event_subscribe(orivon_runtime_t* runtime, const char* pattern,
                                       orivon_event_callback_t callback, void* user_data,
                                       uint64_t* subscription) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (pattern == nullptr) return null_argument("pattern");
    if (callback == nullptr) return null_argument("callback");
    if (subscription == nullptr) return null_argument("subscription");
    ORIVON_CAPI_TRY(id, runtime->runtime->subscribe_events(
                            pattern, [callback, user_data](const orivon::ReceivedEvent& event)
                                         -> orivon::Result<void> {
                              const auto& message = event.message;
                              const int status =
                                  callback(user_data, message.topic.c_str(), message.data.data(),
                                           message.data.size(), event.publisher.c_str(),
                                           event.sequence);
                              if (status != 0) {
                                return Error(ErrorCode::Internal,
                                             "the C handler returned " + std::to_string(status));
                              }
                              return {};
                            }));
    *subscription = id;
    return nullptr;
  });
}

orivon_error_t* orivon_event_unsubscribe(orivon_runtime_t* runtime, uint64_t subscription) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    ORIVON_CAPI_CHECK(runtime->runtime->unsubscribe_events(subscription));
    return nullptr;
  });
}

orivon_error_t* orivon_event_subscribe_module(orivon_runtime_t* runtime, const char* id,
                                              const char* pattern, bool durable) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (pattern == nullptr) return null_argument("pattern");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->subscribe_module(
        module_id, pattern,
        durable ? orivon::EventDurability::Durable : orivon::EventDurability::Ephemeral));
    return nullptr;
  });
}

orivon_error_t* orivon_event_unsubscribe_module(orivon_runtime_t* runtime, const char* id,
                                                const char* pattern) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (pattern == nullptr) return null_argument("pattern");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->unsubscribe_module(module_id, pattern));
    return nullptr;
  });
}

// ---- Key-value buckets --------------------------------------------------------

orivon_error_t* orivon_kv_create_bucket(orivon_runtime_t* runtime, const char* bucket) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (bucket == nullptr) return null_argument("bucket");
    ORIVON_CAPI_CHECK(runtime->runtime->kv_create_bucket(bucket));
    return nullptr;
  });
}

orivon_error_t* orivon_kv_drop_bucket(orivon_runtime_t* runtime, const char* bucket) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (bucket == nullptr) return null_argument("bucket");
    ORIVON_CAPI_CHECK(runtime->runtime->kv_drop_bucket(bucket));
    return nullptr;
  });
}

orivon_error_t* orivon_kv_set(orivon_runtime_t* runtime, const char* bucket, const char* key,
                              const uint8_t* value, size_t value_size, uint64_t* version) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (bucket == nullptr) return null_argument("bucket");
    if (key == nullptr) return null_argument("key");
    if (value == nullptr && value_size != 0) return null_argument("value");
    ORIVON_CAPI_TRY(written, runtime->runtime->kv_set(
                                 bucket, key, orivon::capi::bytes_of(value, value_size)));
    if (version != nullptr) *version = written;
    return nullptr;
  });
}

orivon_error_t* orivon_kv_get(orivon_runtime_t* runtime, const char* bucket, const char* key,
                              bool* found, uint8_t** value, size_t* value_size) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (bucket == nullptr) return null_argument("bucket");
    if (key == nullptr) return null_argument("key");
    if (found == nullptr) return null_argument("found");
    if (value == nullptr) return null_argument("value");
    if (value_size == nullptr) return null_argument("value_size");
    ORIVON_CAPI_TRY(entry, runtime->runtime->kv_get(bucket, key));
    std::uint8_t* copy = nullptr;
    if (entry && !entry->value.empty()) {
      copy = static_cast<std::uint8_t*>(std::malloc(entry->value.size()));
      if (copy == nullptr) return make_error(ErrorCode::ResourceExhausted, "out of memory");
      std::memcpy(copy, entry->value.data(), entry->value.size());
    }
    *found = entry.has_value();
    *value = copy;
    *value_size = entry ? entry->value.size() : 0;
    return nullptr;
  });
}

orivon_error_t* orivon_kv_delete(orivon_runtime_t* runtime, const char* bucket, const char* key,
                                 bool* existed) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (bucket == nullptr) return null_argument("bucket");
    if (key == nullptr) return null_argument("key");
    ORIVON_CAPI_TRY(deleted, runtime->runtime->kv_delete(bucket, key));
    if (existed != nullptr) *existed = deleted;
    return nullptr;
  });
}

orivon_error_t* orivon_kv_keys(orivon_runtime_t* runtime, const char* bucket, const char* prefix,
                               const char* after, size_t limit, orivon_string_list_t** keys) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (bucket == nullptr) return null_argument("bucket");
    if (keys == nullptr) return null_argument("keys");
    std::optional<std::string> cursor;
    if (after != nullptr) cursor = after;
    ORIVON_CAPI_TRY(listed, runtime->runtime->kv_keys(
                                bucket, prefix == nullptr ? std::string_view() : prefix, cursor,
                                limit));
    auto result = std::make_unique<orivon_string_list>();
    result->strings = std::move(listed.keys);
    *keys = result.release();
    return nullptr;
  });
}

// ---- Configuration ------------------------------------------------------------

orivon_error_t* orivon_config_set(orivon_runtime_t* runtime, const char* id, const char* key,
                                  const char* value) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (key == nullptr) return null_argument("key");
    if (value == nullptr) return null_argument("value");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->set_config(module_id, key, value));
    return nullptr;
  });
}

orivon_error_t* orivon_config_unset(orivon_runtime_t* runtime, const char* id, const char* key) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (key == nullptr) return null_argument("key");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_CHECK(runtime->runtime->unset_config(module_id, key));
    return nullptr;
  });
}

orivon_error_t* orivon_config_get(orivon_runtime_t* runtime, const char* id, const char* key,
                                  char** value) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    if (key == nullptr) return null_argument("key");
    if (value == nullptr) return null_argument("value");
    ORIVON_CAPI_TRY(module_id, parse_id(id, "id"));
    ORIVON_CAPI_TRY(entries, runtime->runtime->module_config(module_id));
    for (const auto& entry : entries) {
      if (entry.key == key) {
        *value = orivon::capi::copy_string(entry.value);
        return nullptr;
      }
    }
    return make_error(ErrorCode::NotFound,
                      "'" + module_id.str() + "' has no configuration key '" + key + "'");
  });
}

orivon_error_t* orivon_triggers_start(orivon_runtime_t* runtime) {
  return guard([&]() -> orivon_error_t* {
    ORIVON_CAPI_RUNTIME(runtime);
    ORIVON_CAPI_CHECK(runtime->runtime->start_triggers());
    return nullptr;
  });
}

}  // extern "C"
