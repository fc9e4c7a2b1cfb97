// The C API (include/orivon/orivon.h), function by function: what each
// returns, who frees it, and that NULL or malformed arguments give an error
// object, never a crash. Guests: call_callee (a component with typed echo
// functions), call_caller (for call grants) and service_probe (a core service
// that prints to its log).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "orivon/orivon.h"
#include "support/process.h"
#include "support/wait.h"

namespace {

using orivon::testing::eventually;
using orivon::testing::guest_path;
using orivon::testing::TempDir;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr const char* kCallee = "test.capi.callee";
constexpr const char* kCaller = "test.capi.caller";
constexpr const char* kProbe = "test.capi.probe";

// The code of an error, freeing it; 0 for success.
int code_of(orivon_error_t* error) {
  if (error == nullptr) return 0;
  const int code = orivon_error_code(error);
  orivon_error_delete(error);
  return code;
}

// Fails the test with the error's message.
#define EXPECT_OK(expr)                                                               \
  do {                                                                                \
    orivon_error_t* capi_error = (expr);                                              \
    EXPECT_EQ(capi_error, nullptr) << #expr << ": " << orivon_error_message(capi_error); \
    orivon_error_delete(capi_error);                                                  \
  } while (false)

std::string take(char* text) {
  std::string copy = text == nullptr ? "" : text;
  orivon_string_delete(text);
  return copy;
}

std::vector<std::string> strings_of(const orivon_string_list_t* list) {
  std::vector<std::string> result;
  for (size_t i = 0; i < orivon_string_list_size(list); ++i) {
    result.emplace_back(orivon_string_list_get(list, i));
  }
  return result;
}

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class CApi : public ::testing::Test {
 protected:
  void SetUp() override {
    orivon_runtime_options_t* options = orivon_runtime_options_new();
    ASSERT_NE(options, nullptr);
    EXPECT_OK(orivon_runtime_options_set_state_dir(options, (temp_.path() / "state").c_str()));
    EXPECT_OK(orivon_runtime_new(options, &runtime_));
    orivon_runtime_options_delete(options);
    ASSERT_NE(runtime_, nullptr);
  }
  void TearDown() override { orivon_runtime_delete(runtime_); }

  void install(const char* id, const std::string& guest, const std::string& kind) {
    EXPECT_OK(orivon_module_add_file(runtime_, id, guest_path(guest, kind).c_str(), nullptr,
                                     nullptr));
  }

  // The results of a text call, or the error's code name.
  std::string call(const char* id, const char* text) {
    char* results = nullptr;
    int32_t exit_code = 0;
    orivon_error_t* error = orivon_call_text(runtime_, id, text, 0, &results, &exit_code);
    if (error != nullptr) return orivon_error_code_name(code_of(error));
    EXPECT_EQ(exit_code, -1);
    return take(results);
  }

  TempDir temp_;
  orivon_runtime_t* runtime_ = nullptr;
};

TEST(CApiErrors, CarryCodeNameAndMessage) {
  orivon_runtime_t* runtime = nullptr;
  orivon_error_t* error = orivon_runtime_new(nullptr, nullptr);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(orivon_error_code(error), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(orivon_error_message(error), HasSubstr("runtime must not be NULL"));
  orivon_error_delete(error);
  EXPECT_EQ(runtime, nullptr);

  EXPECT_STREQ(orivon_error_code_name(ORIVON_ERROR_NOT_FOUND), "NotFound");
  EXPECT_STREQ(orivon_error_code_name(ORIVON_ERROR_INTERNAL), "Internal");
  EXPECT_STREQ(orivon_error_code_name(0), "Unknown");
  EXPECT_STREQ(orivon_error_code_name(99), "Unknown");
  EXPECT_EQ(orivon_error_code(nullptr), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(orivon_error_message(nullptr), "");
  orivon_error_delete(nullptr);
  orivon_string_delete(nullptr);
  orivon_bytes_delete(nullptr);
  EXPECT_THAT(orivon_version(), HasSubstr("."));
}

TEST(CApiRuntime, WithoutAStateDirectoryRefusesRegistryCalls) {
  orivon_runtime_t* runtime = nullptr;
  EXPECT_OK(orivon_runtime_new(nullptr, &runtime));
  ASSERT_NE(runtime, nullptr);
  EXPECT_EQ(code_of(orivon_module_list(runtime, nullptr, 0, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  orivon_module_list_t* list = nullptr;
  EXPECT_EQ(code_of(orivon_module_list(runtime, nullptr, 0, &list)),
            ORIVON_ERROR_FAILED_PRECONDITION);
  EXPECT_EQ(list, nullptr);
  uint64_t subscription = 0;
  auto callback = [](void*, const char*, orivon_module_state_t, orivon_module_state_t,
                     const char*) {};
  EXPECT_EQ(code_of(orivon_state_subscribe(runtime, callback, nullptr, &subscription)),
            ORIVON_ERROR_FAILED_PRECONDITION);
  EXPECT_EQ(code_of(orivon_triggers_start(runtime)), ORIVON_ERROR_FAILED_PRECONDITION);
  orivon_runtime_delete(runtime);
  orivon_runtime_delete(nullptr);

  EXPECT_EQ(code_of(orivon_runtime_options_set_state_dir(nullptr, "/tmp")),
            ORIVON_ERROR_INVALID_ARGUMENT);
  orivon_runtime_options_t* options = orivon_runtime_options_new();
  EXPECT_EQ(code_of(orivon_runtime_options_set_state_dir(options, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  orivon_runtime_options_delete(options);
  orivon_runtime_options_delete(nullptr);
}

TEST_F(CApi, EveryRuntimeFunctionRefusesNullArguments) {
  const char* none = nullptr;
  EXPECT_EQ(code_of(orivon_triggers_start(nullptr)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_add(nullptr, kCallee, nullptr, 0, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_add(runtime_, none, nullptr, 0, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_add(runtime_, kCallee, nullptr, 5, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_add_file(runtime_, kCallee, none, nullptr, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_add_file(runtime_, none, "x.wasm", nullptr, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_update(runtime_, none, nullptr, 0, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_update_file(runtime_, kCallee, none, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_remove(runtime_, none)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_module_inspect(runtime_, kCallee, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_grant_allow(runtime_, kCallee, none)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_grant_deny(nullptr, kCallee, "stdio:log")),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_calls_grant(runtime_, kCaller, none, nullptr, 0)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_calls_grant(runtime_, kCaller, kCallee, nullptr, 2)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  const char* holes[] = {"add", nullptr};
  EXPECT_EQ(code_of(orivon_calls_revoke(runtime_, kCaller, kCallee, holes, 2)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_service_start(runtime_, none)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_service_stop(nullptr, kCallee)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_service_restart(runtime_, none)), ORIVON_ERROR_INVALID_ARGUMENT);
  uint64_t subscription = 0;
  EXPECT_EQ(code_of(orivon_state_subscribe(runtime_, nullptr, nullptr, &subscription)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_state_unsubscribe(nullptr, 1)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_service_logs(runtime_, kCallee, 0, 10, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  char* results = nullptr;
  EXPECT_EQ(code_of(orivon_call_text(runtime_, kCallee, none, 0, &results, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_call_text(runtime_, kCallee, "add(1, 2)", 0, nullptr, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  orivon_value_list_t* values = nullptr;
  EXPECT_EQ(code_of(orivon_call_values(runtime_, kCallee, "add", nullptr, 1, 0, &values)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  const orivon_value_t* null_args[] = {nullptr};
  EXPECT_EQ(code_of(orivon_call_values(runtime_, kCallee, "add", null_args, 1, 0, &values)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_event_publish(runtime_, none, nullptr, 0, nullptr, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_event_subscribe(runtime_, "a.b", nullptr, nullptr, &subscription)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_event_unsubscribe(nullptr, 1)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_event_subscribe_module(runtime_, kCallee, none, true)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_event_unsubscribe_module(runtime_, none, "a.b")),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_kv_create_bucket(runtime_, none)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_kv_drop_bucket(nullptr, "b")), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_kv_set(runtime_, "b", none, nullptr, 0, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  bool found = false;
  uint8_t* bytes = nullptr;
  EXPECT_EQ(code_of(orivon_kv_get(runtime_, "b", "k", &found, &bytes, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_kv_delete(runtime_, none, "k", nullptr)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_kv_keys(runtime_, "b", nullptr, nullptr, 10, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_config_set(runtime_, kCallee, "k", none)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_config_unset(runtime_, kCallee, none)), ORIVON_ERROR_INVALID_ARGUMENT);
  char* value = nullptr;
  EXPECT_EQ(code_of(orivon_config_get(runtime_, none, "k", &value)),
            ORIVON_ERROR_INVALID_ARGUMENT);
}

TEST_F(CApi, MalformedIdsAreInvalidArguments) {
  orivon_error_t* error = orivon_service_start(runtime_, "Not An Id");
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(orivon_error_code(error), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_THAT(orivon_error_message(error), HasSubstr("Not An Id"));
  orivon_error_delete(error);
  EXPECT_EQ(call("x", "add(1, 2)"), "InvalidArgument");
}

TEST_F(CApi, AddsListsInspectsUpdatesAndRemovesModules) {
  const auto code = file_bytes(guest_path("service_probe", "core"));
  orivon_module_info_t* info = nullptr;
  EXPECT_OK(orivon_module_add(runtime_, kProbe, code.data(), code.size(), &info));
  ASSERT_NE(info, nullptr);
  EXPECT_STREQ(orivon_module_info_id(info), kProbe);
  EXPECT_EQ(orivon_module_info_kind(info), ORIVON_MODULE_SERVICE);
  EXPECT_EQ(orivon_module_info_state(info), ORIVON_STATE_INSTALLED);
  EXPECT_STREQ(orivon_module_info_state_cause(info), "");
  EXPECT_STREQ(orivon_module_info_version(info), "");
  EXPECT_STREQ(orivon_module_info_description(info), "");
  EXPECT_EQ(std::strlen(orivon_module_info_content_hash(info)), 64u);
  EXPECT_EQ(orivon_module_info_size(info), code.size());
  EXPECT_FALSE(orivon_module_info_is_component(info));
  orivon_module_info_delete(info);
  EXPECT_STREQ(orivon_module_info_id(nullptr), "");
  EXPECT_EQ(orivon_module_info_size(nullptr), 0u);

  EXPECT_EQ(code_of(orivon_module_add(runtime_, kProbe, code.data(), code.size(), nullptr)),
            ORIVON_ERROR_ALREADY_EXISTS);
  const uint8_t junk[] = {1, 2, 3};
  EXPECT_EQ(code_of(orivon_module_add(runtime_, "test.capi.junk", junk, sizeof junk, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);

  // A manifest gives the id when none is passed.
  const auto manifest = temp_.path() / "lib.toml";
  std::ofstream(manifest) << "id = \"lib.capi.helper\"\nversion = \"1.2.3\"\n";
  EXPECT_OK(orivon_module_add_file(runtime_, nullptr, guest_path("reactor", "core").c_str(),
                                   manifest.c_str(), &info));
  EXPECT_STREQ(orivon_module_info_id(info), "lib.capi.helper");
  EXPECT_EQ(orivon_module_info_kind(info), ORIVON_MODULE_LIBRARY);
  EXPECT_STREQ(orivon_module_info_version(info), "1.2.3");
  orivon_module_info_delete(info);
  install(kCallee, "call_callee", "component");

  orivon_module_list_t* list = nullptr;
  EXPECT_OK(orivon_module_list(runtime_, nullptr, 0, &list));
  ASSERT_EQ(orivon_module_list_size(list), 3u);
  EXPECT_STREQ(orivon_module_info_id(orivon_module_list_get(list, 0)), "lib.capi.helper");
  EXPECT_STREQ(orivon_module_info_id(orivon_module_list_get(list, 1)), kCallee);
  EXPECT_TRUE(orivon_module_info_is_component(orivon_module_list_get(list, 1)));
  EXPECT_EQ(orivon_module_list_get(list, 3), nullptr);
  orivon_module_list_delete(list);
  EXPECT_OK(orivon_module_list(runtime_, "lib.capi.helper", 1, &list));
  ASSERT_EQ(orivon_module_list_size(list), 1u);
  EXPECT_STREQ(orivon_module_info_id(orivon_module_list_get(list, 0)), kCallee);
  orivon_module_list_delete(list);
  EXPECT_EQ(orivon_module_list_size(nullptr), 0u);

  EXPECT_OK(orivon_grant_allow(runtime_, kProbe, "env:COLOR=blue"));
  EXPECT_OK(orivon_grant_deny(runtime_, kProbe, "stdio:inherit"));
  EXPECT_EQ(code_of(orivon_grant_allow(runtime_, kProbe, "no-such-grant")),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_grant_allow(runtime_, "test.capi.absent", "env:A=b")),
            ORIVON_ERROR_NOT_FOUND);
  orivon_module_details_t* details = nullptr;
  EXPECT_OK(orivon_module_inspect(runtime_, kProbe, &details));
  EXPECT_STREQ(orivon_module_info_id(orivon_module_details_info(details)), kProbe);
  EXPECT_THAT(strings_of(orivon_module_details_allowed(details)), Contains("env:COLOR=blue"));
  EXPECT_THAT(strings_of(orivon_module_details_denied(details)), Contains("stdio:inherit"));
  EXPECT_THAT(strings_of(orivon_module_details_exports(details)), Contains(HasSubstr("add")));
  EXPECT_FALSE(strings_of(orivon_module_details_imports(details)).empty());
  orivon_module_details_delete(details);
  EXPECT_EQ(orivon_module_details_info(nullptr), nullptr);
  EXPECT_EQ(orivon_module_details_exports(nullptr), nullptr);
  EXPECT_EQ(code_of(orivon_module_inspect(runtime_, "test.capi.absent", &details)),
            ORIVON_ERROR_NOT_FOUND);

  const auto reactor = file_bytes(guest_path("reactor", "core"));
  EXPECT_OK(orivon_module_update(runtime_, kProbe, reactor.data(), reactor.size(), &info));
  EXPECT_EQ(orivon_module_info_size(info), reactor.size());
  orivon_module_info_delete(info);
  EXPECT_OK(orivon_module_update_file(runtime_, kProbe,
                                      guest_path("service_probe", "core").c_str(), &info));
  EXPECT_EQ(orivon_module_info_size(info), code.size());
  orivon_module_info_delete(info);
  EXPECT_EQ(code_of(orivon_module_update(runtime_, "test.capi.absent", reactor.data(),
                                        reactor.size(), nullptr)),
            ORIVON_ERROR_NOT_FOUND);

  EXPECT_OK(orivon_module_remove(runtime_, kProbe));
  EXPECT_EQ(code_of(orivon_module_remove(runtime_, kProbe)), ORIVON_ERROR_NOT_FOUND);
}

TEST_F(CApi, StringListsAreEmptyForNull) {
  EXPECT_EQ(orivon_string_list_size(nullptr), 0u);
  EXPECT_EQ(orivon_string_list_get(nullptr, 0), nullptr);
  orivon_string_list_delete(nullptr);
}

TEST_F(CApi, GrantsAndRevokesCalls) {
  install(kCallee, "call_callee", "component");
  install(kCaller, "call_caller", "component");
  const char* functions[] = {"add", "echo-string"};
  EXPECT_OK(orivon_calls_grant(runtime_, kCaller, kCallee, functions, 2));
  EXPECT_OK(orivon_calls_revoke(runtime_, kCaller, kCallee, functions, 1));
  EXPECT_OK(orivon_calls_revoke(runtime_, kCaller, kCallee, nullptr, 0));
  EXPECT_EQ(code_of(orivon_calls_revoke(runtime_, kCaller, kCallee, nullptr, 0)),
            ORIVON_ERROR_NOT_FOUND);
  EXPECT_OK(orivon_calls_grant(runtime_, kCaller, kCallee, nullptr, 0));
  const char* missing[] = {"no-such-function"};
  EXPECT_EQ(code_of(orivon_calls_grant(runtime_, kCaller, kCallee, missing, 1)),
            ORIVON_ERROR_NOT_FOUND);
  // The callee is not removed while the caller holds a grant on it.
  EXPECT_EQ(code_of(orivon_module_remove(runtime_, kCallee)), ORIVON_ERROR_FAILED_PRECONDITION);
  EXPECT_OK(orivon_calls_revoke(runtime_, kCaller, kCallee, nullptr, 0));
  EXPECT_OK(orivon_module_remove(runtime_, kCallee));
}

struct StateLog {
  std::mutex mutex;
  std::vector<std::string> lines;
  static void record(void* self, const char* id, orivon_module_state_t from,
                     orivon_module_state_t to, const char* cause) {
    auto* log = static_cast<StateLog*>(self);
    std::lock_guard lock(log->mutex);
    log->lines.push_back(std::string(id) + " " + orivon_module_state_name(from) + "->" +
                         orivon_module_state_name(to) + cause);
  }
  bool has(const std::string& line) {
    std::lock_guard lock(mutex);
    for (const auto& seen : lines) {
      if (seen == line) return true;
    }
    return false;
  }
};

TEST_F(CApi, RunsServicesAndReportsTheirStatesAndLogs) {
  StateLog states;
  uint64_t subscription = 0;
  EXPECT_OK(orivon_state_subscribe(runtime_, &StateLog::record, &states, &subscription));
  install(kProbe, "service_probe", "core");

  EXPECT_EQ(call(kProbe, "add(1, 2)"), "FailedPrecondition");
  EXPECT_OK(orivon_service_start(runtime_, kProbe));
  EXPECT_TRUE(eventually([&] { return states.has(std::string(kProbe) + " starting->running"); }));
  EXPECT_EQ(call(kProbe, "add(40, 2)"), "42");
  EXPECT_EQ(call(kProbe, "say(7)"), "7");
  EXPECT_EQ(call(kProbe, "no_such_export()"), "NotFound");

  orivon_log_list_t* logs = nullptr;
  EXPECT_TRUE(eventually([&] {
    orivon_log_list_delete(logs);
    logs = nullptr;
    EXPECT_OK(orivon_service_logs(runtime_, kProbe, 0, 100, &logs));
    for (size_t i = 0; i < orivon_log_list_size(logs); ++i) {
      if (std::string(orivon_log_list_text(logs, i)) == "hello 7") return true;
    }
    return false;
  }));
  ASSERT_GT(orivon_log_list_size(logs), 0u);
  EXPECT_GT(orivon_log_list_sequence(logs, 0), 0u);
  EXPECT_GT(orivon_log_list_time_ms(logs, 0), 0);
  EXPECT_NE(orivon_log_list_stream(logs, 0), nullptr);
  const size_t size = orivon_log_list_size(logs);
  EXPECT_EQ(orivon_log_list_text(logs, size), nullptr);
  EXPECT_EQ(orivon_log_list_stream(logs, size), nullptr);
  EXPECT_EQ(orivon_log_list_sequence(logs, size), 0u);
  EXPECT_EQ(orivon_log_list_time_ms(logs, size), 0);
  orivon_log_list_delete(logs);
  EXPECT_EQ(orivon_log_list_size(nullptr), 0u);

  EXPECT_OK(orivon_service_restart(runtime_, kProbe));
  EXPECT_EQ(call(kProbe, "add(1, 2)"), "3");
  EXPECT_OK(orivon_service_stop(runtime_, kProbe));
  EXPECT_TRUE(eventually([&] { return states.has(std::string(kProbe) + " stopping->stopped"); }));
  EXPECT_EQ(code_of(orivon_service_start(runtime_, "lib.capi.absent")), ORIVON_ERROR_NOT_FOUND);
  EXPECT_OK(orivon_state_unsubscribe(runtime_, subscription));
  EXPECT_STREQ(orivon_module_state_name(ORIVON_STATE_CRASHED), "crashed");
  EXPECT_STREQ(orivon_module_state_name(42), "unknown");
}

TEST_F(CApi, CallsWithTypedValues) {
  install(kCallee, "call_callee", "component");
  EXPECT_OK(orivon_service_start(runtime_, kCallee));

  auto call_one = [&](const char* function, orivon_value_t* arg) {
    const orivon_value_t* args[] = {arg};
    orivon_value_list_t* results = nullptr;
    EXPECT_OK(orivon_call_values(runtime_, kCallee, function, args, 1, 5000, &results));
    orivon_value_delete(arg);
    EXPECT_EQ(orivon_value_list_size(results), 1u);
    return results;
  };

  orivon_value_t* a = orivon_value_new_s64(40);
  orivon_value_t* b = orivon_value_new_s64(2);
  const orivon_value_t* pair[] = {a, b};
  orivon_value_list_t* results = nullptr;
  EXPECT_OK(orivon_call_values(runtime_, kCallee, "add", pair, 2, 0, &results));
  int64_t sum = 0;
  EXPECT_OK(orivon_value_get_signed(orivon_value_list_get(results, 0), &sum));
  EXPECT_EQ(sum, 42);
  EXPECT_EQ(orivon_value_kind(orivon_value_list_get(results, 0)), ORIVON_VALUE_S64);
  EXPECT_EQ(orivon_value_list_get(results, 1), nullptr);
  orivon_value_list_delete(results);
  // Kinds must match exactly: s32 is not s64.
  orivon_value_t* narrow = orivon_value_new_s32(1);
  const orivon_value_t* wrong[] = {narrow, b};
  EXPECT_EQ(code_of(orivon_call_values(runtime_, kCallee, "add", wrong, 2, 0, &results)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  orivon_value_delete(narrow);
  orivon_value_delete(a);
  orivon_value_delete(b);

  results = call_one("echo-string", orivon_value_new_string("héllo", std::strlen("héllo")));
  const char* text = nullptr;
  size_t size = 0;
  EXPECT_OK(orivon_value_get_string(orivon_value_list_get(results, 0), &text, &size));
  EXPECT_EQ(std::string(text, size), "héllo");
  char* wave = nullptr;
  EXPECT_OK(orivon_value_to_wave(orivon_value_list_get(results, 0), &wave));
  EXPECT_EQ(take(wave), "\"héllo\"");
  orivon_value_list_delete(results);

  const uint8_t data[] = {0, 1, 255};
  results = call_one("echo-bytes", orivon_value_new_bytes(data, sizeof data));
  const uint8_t* read = nullptr;
  EXPECT_OK(orivon_value_get_bytes(orivon_value_list_get(results, 0), &read, &size));
  EXPECT_EQ(std::vector<uint8_t>(read, read + size), std::vector<uint8_t>({0, 1, 255}));
  orivon_value_list_delete(results);
  results = call_one("echo-bytes", orivon_value_new_bytes(nullptr, 0));
  EXPECT_OK(orivon_value_get_bytes(orivon_value_list_get(results, 0), &read, &size));
  EXPECT_EQ(size, 0u);
  orivon_value_list_delete(results);

  bool flag = false;
  results = call_one("echo-bool", orivon_value_new_bool(true));
  EXPECT_OK(orivon_value_get_bool(orivon_value_list_get(results, 0), &flag));
  EXPECT_TRUE(flag);
  orivon_value_list_delete(results);
  uint64_t number = 0;
  results = call_one("echo-u8", orivon_value_new_u8(200));
  EXPECT_OK(orivon_value_get_unsigned(orivon_value_list_get(results, 0), &number));
  EXPECT_EQ(number, 200u);
  orivon_value_list_delete(results);
  results = call_one("echo-u32", orivon_value_new_u32(4'000'000'000u));
  EXPECT_OK(orivon_value_get_unsigned(orivon_value_list_get(results, 0), &number));
  EXPECT_EQ(number, 4'000'000'000u);
  orivon_value_list_delete(results);
  int64_t signed_number = 0;
  results = call_one("echo-s16", orivon_value_new_s16(-300));
  EXPECT_OK(orivon_value_get_signed(orivon_value_list_get(results, 0), &signed_number));
  EXPECT_EQ(signed_number, -300);
  orivon_value_list_delete(results);
  double real = 0;
  results = call_one("echo-f32", orivon_value_new_f32(1.5f));
  EXPECT_OK(orivon_value_get_float(orivon_value_list_get(results, 0), &real));
  EXPECT_EQ(real, 1.5);
  orivon_value_list_delete(results);
  results = call_one("echo-f64", orivon_value_new_f64(-2.25));
  EXPECT_OK(orivon_value_get_float(orivon_value_list_get(results, 0), &real));
  EXPECT_EQ(real, -2.25);
  orivon_value_list_delete(results);

  // Text calls return WAVE; a guest exit would give its code, a return -1.
  EXPECT_EQ(call(kCallee, "echo-string(\"a\")"), "\"a\"");
  EXPECT_EQ(orivon_value_list_size(nullptr), 0u);
  EXPECT_EQ(orivon_value_list_get(nullptr, 0), nullptr);
  orivon_value_list_delete(nullptr);
}

TEST(CApiValues, ReadOnlyTheirOwnKind) {
  struct Made {
    orivon_value_t* value;
    orivon_value_kind_t kind;
  };
  const Made made[] = {
      {orivon_value_new_bool(true), ORIVON_VALUE_BOOL},
      {orivon_value_new_s8(-8), ORIVON_VALUE_S8},
      {orivon_value_new_u8(8), ORIVON_VALUE_U8},
      {orivon_value_new_s16(-16), ORIVON_VALUE_S16},
      {orivon_value_new_u16(16), ORIVON_VALUE_U16},
      {orivon_value_new_s32(-32), ORIVON_VALUE_S32},
      {orivon_value_new_u32(32), ORIVON_VALUE_U32},
      {orivon_value_new_s64(-64), ORIVON_VALUE_S64},
      {orivon_value_new_u64(64), ORIVON_VALUE_U64},
      {orivon_value_new_f32(0.5f), ORIVON_VALUE_F32},
      {orivon_value_new_f64(0.25), ORIVON_VALUE_F64},
      {orivon_value_new_string("s", 1), ORIVON_VALUE_STRING},
      {orivon_value_new_bytes(nullptr, 0), ORIVON_VALUE_BYTES},
  };
  const std::vector<std::string> waves = {"true", "-8",  "8",   "-16",  "16",  "-32", "32",
                                          "-64",  "64",  "0.5", "0.25", "\"s\"", "[]"};
  for (size_t i = 0; i < std::size(made); ++i) {
    SCOPED_TRACE(waves[i]);
    ASSERT_NE(made[i].value, nullptr);
    EXPECT_EQ(orivon_value_kind(made[i].value), made[i].kind);
    char* wave = nullptr;
    EXPECT_OK(orivon_value_to_wave(made[i].value, &wave));
    EXPECT_EQ(take(wave), waves[i]);
  }
  bool flag = false;
  int64_t signed_number = 0;
  uint64_t number = 0;
  double real = 0;
  const char* text = nullptr;
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  EXPECT_OK(orivon_value_get_signed(made[1].value, &signed_number));
  EXPECT_EQ(signed_number, -8);
  EXPECT_OK(orivon_value_get_unsigned(made[4].value, &number));
  EXPECT_EQ(number, 16u);
  EXPECT_OK(orivon_value_get_signed(made[5].value, &signed_number));
  EXPECT_EQ(signed_number, -32);
  EXPECT_OK(orivon_value_get_unsigned(made[8].value, &number));
  EXPECT_EQ(number, 64u);
  // No conversions, and a wrong kind is an error, never a wrong read.
  EXPECT_EQ(code_of(orivon_value_get_bool(made[1].value, &flag)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_get_signed(made[2].value, &signed_number)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_get_unsigned(made[1].value, &number)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_get_float(made[7].value, &real)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_get_string(made[12].value, &text, &size)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_get_bytes(made[11].value, &bytes, &size)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_get_bool(nullptr, &flag)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_get_bool(made[0].value, nullptr)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_get_string(made[11].value, nullptr, &size)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(code_of(orivon_value_to_wave(nullptr, nullptr)), ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(orivon_value_kind(nullptr), ORIVON_VALUE_OTHER);
  for (const auto& entry : made) orivon_value_delete(entry.value);
  orivon_value_delete(nullptr);
}

struct EventLog {
  std::mutex mutex;
  std::vector<std::string> events;
  static int record(void* self, const char* topic, const uint8_t* data, size_t size,
                    const char* publisher, uint64_t sequence) {
    auto* log = static_cast<EventLog*>(self);
    std::lock_guard lock(log->mutex);
    log->events.push_back(std::string(topic) + " " +
                          std::string(reinterpret_cast<const char*>(data), size) + " " +
                          publisher + (sequence > 0 ? "" : " no-sequence"));
    return 0;
  }
  size_t count() {
    std::lock_guard lock(mutex);
    return events.size();
  }
};

TEST_F(CApi, PublishesAndSubscribesToEvents) {
  EventLog log;
  uint64_t subscription = 0;
  EXPECT_OK(orivon_event_subscribe(runtime_, "capi.>", &EventLog::record, &log, &subscription));
  const char payload[] = "hello";
  uint64_t sequence = 0;
  EXPECT_OK(orivon_event_publish(runtime_, "capi.test", reinterpret_cast<const uint8_t*>(payload),
                                 5, "text/plain", &sequence));
  EXPECT_GT(sequence, 0u);
  ASSERT_TRUE(eventually([&] { return log.count() == 1; }));
  {
    std::lock_guard lock(log.mutex);
    EXPECT_EQ(log.events[0], "capi.test hello client");
  }
  EXPECT_EQ(code_of(orivon_event_publish(runtime_, "capi.*", nullptr, 0, nullptr, nullptr)),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_OK(orivon_event_unsubscribe(runtime_, subscription));
  EXPECT_NE(code_of(orivon_event_unsubscribe(runtime_, subscription)), 0);

  install(kCallee, "call_callee", "component");
  EXPECT_EQ(code_of(orivon_event_subscribe_module(runtime_, kCallee, "capi.>", true)),
            ORIVON_ERROR_PERMISSION_DENIED);
  EXPECT_OK(orivon_grant_allow(runtime_, kCallee, "topic:capi.>:subscribe"));
  EXPECT_OK(orivon_event_subscribe_module(runtime_, kCallee, "capi.>", true));
  EXPECT_OK(orivon_event_unsubscribe_module(runtime_, kCallee, "capi.>"));
  EXPECT_EQ(code_of(orivon_event_unsubscribe_module(runtime_, kCallee, "capi.>")),
            ORIVON_ERROR_NOT_FOUND);
}

TEST_F(CApi, ReadsAndWritesKeyValueBuckets) {
  EXPECT_OK(orivon_kv_create_bucket(runtime_, "capi"));
  EXPECT_EQ(code_of(orivon_kv_create_bucket(runtime_, "capi")), ORIVON_ERROR_ALREADY_EXISTS);
  const uint8_t value[] = {'v', 0, 'w'};
  uint64_t version = 0;
  EXPECT_OK(orivon_kv_set(runtime_, "capi", "a/one", value, sizeof value, &version));
  EXPECT_GT(version, 0u);
  EXPECT_OK(orivon_kv_set(runtime_, "capi", "a/two", nullptr, 0, nullptr));
  EXPECT_OK(orivon_kv_set(runtime_, "capi", "b", value, 1, nullptr));

  bool found = false;
  uint8_t* read = nullptr;
  size_t size = 0;
  EXPECT_OK(orivon_kv_get(runtime_, "capi", "a/one", &found, &read, &size));
  EXPECT_TRUE(found);
  EXPECT_EQ(std::vector<uint8_t>(read, read + size), std::vector<uint8_t>(value, value + 3));
  orivon_bytes_delete(read);
  EXPECT_OK(orivon_kv_get(runtime_, "capi", "a/two", &found, &read, &size));
  EXPECT_TRUE(found);
  EXPECT_EQ(read, nullptr);
  EXPECT_EQ(size, 0u);
  EXPECT_OK(orivon_kv_get(runtime_, "capi", "absent", &found, &read, &size));
  EXPECT_FALSE(found);

  orivon_string_list_t* keys = nullptr;
  EXPECT_OK(orivon_kv_keys(runtime_, "capi", "a/", nullptr, 10, &keys));
  EXPECT_EQ(strings_of(keys), std::vector<std::string>({"a/one", "a/two"}));
  EXPECT_EQ(orivon_string_list_get(keys, 2), nullptr);
  orivon_string_list_delete(keys);
  EXPECT_OK(orivon_kv_keys(runtime_, "capi", nullptr, "a/one", 10, &keys));
  EXPECT_EQ(strings_of(keys), std::vector<std::string>({"a/two", "b"}));
  orivon_string_list_delete(keys);

  bool existed = false;
  EXPECT_OK(orivon_kv_delete(runtime_, "capi", "b", &existed));
  EXPECT_TRUE(existed);
  EXPECT_OK(orivon_kv_delete(runtime_, "capi", "b", &existed));
  EXPECT_FALSE(existed);
  EXPECT_OK(orivon_kv_drop_bucket(runtime_, "capi"));
  EXPECT_EQ(code_of(orivon_kv_drop_bucket(runtime_, "capi")), ORIVON_ERROR_NOT_FOUND);
  EXPECT_EQ(code_of(orivon_kv_get(runtime_, "capi", "a/one", &found, &read, &size)),
            ORIVON_ERROR_NOT_FOUND);
}

TEST_F(CApi, SetsAndUnsetsConfiguration) {
  install(kProbe, "service_probe", "core");
  char* value = nullptr;
  EXPECT_EQ(code_of(orivon_config_get(runtime_, kProbe, "color", &value)), ORIVON_ERROR_NOT_FOUND);
  EXPECT_OK(orivon_config_set(runtime_, kProbe, "color", "blue"));
  EXPECT_OK(orivon_config_get(runtime_, kProbe, "color", &value));
  EXPECT_EQ(take(value), "blue");
  EXPECT_EQ(code_of(orivon_config_set(runtime_, kProbe, "Bad Key", "x")),
            ORIVON_ERROR_INVALID_ARGUMENT);
  EXPECT_OK(orivon_config_unset(runtime_, kProbe, "color"));
  EXPECT_EQ(code_of(orivon_config_unset(runtime_, kProbe, "color")), ORIVON_ERROR_NOT_FOUND);
  EXPECT_EQ(code_of(orivon_config_get(runtime_, kProbe, "color", &value)), ORIVON_ERROR_NOT_FOUND);
}

TEST_F(CApi, StartsTriggersAndCallsFunctions) {
  // A service whose start-up trigger calls its `calls` export (a counter),
  // and a function: a fresh instance per call, so its counter is 1 each time.
  const auto service = temp_.path() / "service.toml";
  std::ofstream(service) << "[[triggers]]\nkind = \"startup\"\ncall = \"calls\"\n";
  EXPECT_OK(orivon_module_add_file(runtime_, kProbe, guest_path("service_probe", "core").c_str(),
                                   service.c_str(), nullptr));
  const auto function = temp_.path() / "function.toml";
  std::ofstream(function) << "[function]\n";
  EXPECT_OK(orivon_module_add_file(runtime_, "app.capi.function",
                                   guest_path("service_probe", "core").c_str(),
                                   function.c_str(), nullptr));
  EXPECT_EQ(call("app.capi.function", "calls()"), "1");
  EXPECT_EQ(call("app.capi.function", "calls()"), "1");
  EXPECT_EQ(code_of(orivon_service_start(runtime_, "app.capi.function")),
            ORIVON_ERROR_FAILED_PRECONDITION);

  EXPECT_OK(orivon_service_start(runtime_, kProbe));
  EXPECT_EQ(call(kProbe, "calls()"), "1");
  EXPECT_OK(orivon_triggers_start(runtime_));
  // Before the start-up run the counter answers our calls only; after it,
  // one more.
  int ours = 1;
  EXPECT_TRUE(eventually([&] { return call(kProbe, "calls()") == std::to_string(++ours + 1); }));
  EXPECT_OK(orivon_triggers_start(runtime_));  // a second start runs nothing again
  EXPECT_EQ(call(kProbe, "calls()"), std::to_string(++ours + 1));
}

}  // namespace
