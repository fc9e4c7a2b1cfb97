// What scripts rely on: --json failures as {"error": {"code", "message"}} on
// stdout, `call`'s exit codes (--fail-on-err, 134 for a trap), and -q.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"
#include "support/wait.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

class Scripting : public StateDirTest {
 protected:
  // The error object a failed --json command printed on stdout.
  nlohmann::json json_error(const ProcessResult& result) {
    auto json = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_TRUE(json.is_object() && json.contains("error")) << result.out << result.err;
    return json.is_object() ? json.value("error", nlohmann::json::object()) : nlohmann::json();
  }
};

// `call --json` gives the results as JSON values too (see host/value_json.h),
// one kind per row; `results` keeps the WAVE text.
TEST_F(Scripting, CallJsonGivesTheResultsAsJsonValues) {
  ASSERT_EQ(cli({"add", guest_path("call_callee", "component").string(), "--id",
                 "lib.values.test"})
                .exit_code,
            0);
  const std::pair<const char*, const char*> cases[] = {
      {"echo-bool(true)", "[true]"},
      {"echo-u8(255)", "[255]"},
      {"echo-s16(-3)", "[-3]"},
      {"add(9223372036854775806, 1)", "[9223372036854775807]"},
      {"echo-f64(2.5)", "[2.5]"},
      {"echo-f64(nan)", R"(["nan"])"},
      {"echo-f32(-inf)", R"(["-inf"])"},
      {R"(echo-char('\u{e9}'))", R"(["\u00e9"])"},
      {"echo-string(\"a\\\"b\")", R"(["a\"b"])"},
      {"echo-bytes([1, 2])", "[[1,2]]"},
      {"echo-strings([\"x\", \"y\"])", R"([["x","y"]])"},
      {"echo-point({x: 1, y: -2})", R"([{"x":1,"y":-2}])"},
      {"echo-shape(rect({x: 1, y: 2}))", R"([{"rect":{"x":1,"y":2}}])"},
      {"echo-shape(empty)", R"([{"empty":null}])"},
      {"echo-color(green)", R"(["green"])"},
      {"echo-perms({read, exec})", R"([["read","exec"]])"},
      {"echo-option(some(\"a\"))", R"(["a"])"},
      {"echo-option(none)", "[null]"},
      {"echo-result(ok(7))", R"([{"ok":7}])"},
      {"echo-result(err(\"no\"))", R"([{"err":"no"}])"},
      {"echo-tuple((1, \"b\", 0.5))", R"([[1,"b",0.5]])"},
      {"count()", "[0]"},  // a library runs each call in a fresh instance
  };
  for (const auto& [call, expected] : cases) {
    auto result = cli({"call", "--json", "lib.values.test", call});
    ASSERT_EQ(result.exit_code, 0) << call << ": " << result.err;
    auto json = nlohmann::json::parse(result.out);
    EXPECT_EQ(json["values"], nlohmann::json::parse(expected)) << call << ": " << result.out;
    EXPECT_TRUE(json["results"].is_string()) << call;
  }
}

TEST_F(Scripting, JsonFailuresAreErrorObjectsWithACode) {
  ASSERT_EQ(cli({"add", guest_path("typed", "component").string(), "--id", "lib.typed.test"})
                .exit_code,
            0);
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"inspect", "app.none.test", "--json"}, 1, "NotFound", "app.none.test"},
      {{"remove", "app.none.test", "--json"}, 1, "NotFound", "app.none.test"},
      {{"call", "lib.typed.test", "nosuch()", "--json"}, 1, "NotFound", "nosuch"},
      {{"call", "lib.typed.test", "greet(", "--json"}, 1, "InvalidArgument", "greet"},
      {{"allow", "lib.typed.test", "bogus", "--json"}, 2, "InvalidArgument", "bogus"},
      {{"allow", "Bad-Id", "env:A", "--json"}, 2, "InvalidArgument", "Bad-Id"},
      {{"forget", "lib.typed.test", "env:A", "--json"}, 1, "NotFound", "no decision"},
      {{"logs", "app.none.test", "--json"}, 1, "NotFound", "app.none.test"},
      {{"logs", "--since", "soon", "--all", "--json"}, 2, "InvalidArgument", "--since"},
      {{"update", "lib.typed.test", "--json"}, 2, "InvalidArgument", "FILE"},
      {{"start", "lib.typed.test", "--json"}, 1, "FailedPrecondition", "library"},
      {{"inspect", "--json"}, 2, "InvalidArgument", "ID"},
      {{"list", "--json", "--no-such-flag"}, 2, "InvalidArgument", "no-such-flag"},
  };
  for (const auto& c : cases) {
    auto result = cli(c.args);
    EXPECT_EQ(result.exit_code, c.exit_code) << c.args[0] << ": " << result.err;
    auto error = json_error(result);
    EXPECT_EQ(error.value("code", ""), c.code) << c.args[0] << " " << c.args[1];
    EXPECT_THAT(error.value("message", ""), HasSubstr(c.says)) << c.args[0];
    // Said for people on stderr too.
    EXPECT_THAT(result.err, HasSubstr("error: ")) << c.args[0];
  }
  // Success is unchanged: the value alone.
  auto fine = cli({"inspect", "lib.typed.test", "--json"});
  ASSERT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_EQ(nlohmann::json::parse(fine.out)["id"], "lib.typed.test");
}

TEST_F(Scripting, CallExitCodesForErrResultsAndTraps) {
  ASSERT_EQ(cli({"add", guest_path("typed", "component").string(), "--id", "lib.typed.test"})
                .exit_code,
            0);
  auto err_result = cli({"call", "lib.typed.test", "checked-div(1, 0)"});
  EXPECT_EQ(err_result.exit_code, 0) << err_result.err;
  EXPECT_THAT(err_result.out, HasSubstr("err("));
  auto failed = cli({"call", "--fail-on-err", "lib.typed.test", "checked-div(1, 0)"});
  EXPECT_EQ(failed.exit_code, 3) << failed.err;
  EXPECT_THAT(failed.out, HasSubstr("err("));
  auto json = cli({"call", "--fail-on-err", "--json", "lib.typed.test", "checked-div(1, 0)"});
  EXPECT_EQ(json.exit_code, 3);
  EXPECT_THAT(nlohmann::json::parse(json.out)["results"].get<std::string>(), HasSubstr("err("));
  EXPECT_EQ(cli({"call", "--fail-on-err", "lib.typed.test", "checked-div(6, 3)"}).exit_code, 0);
  auto timed_out = cli({"call", "--timeout", "100ms", "lib.typed.test", "spin()"});
  EXPECT_EQ(timed_out.exit_code, 134) << timed_out.err;
  EXPECT_EQ(json_error(cli({"call", "--timeout", "100ms", "--json", "lib.typed.test", "spin()"}))
                .value("code", ""),
            "DeadlineExceeded");
  EXPECT_THAT(cli({"call", "--help"}).out, HasSubstr("--fail-on-err"));

  ASSERT_EQ(cli({"add", guest_path("service_probe", "core").string(), "--id", "app.svc.test"})
                .exit_code,
            0);
  auto host = start_host();
  ASSERT_EQ(cli({"start", "app.svc.test"}).exit_code, 0);
  auto trapped = cli({"call", "app.svc.test", "trap()"});
  EXPECT_EQ(trapped.exit_code, 134) << trapped.err;
  EXPECT_THAT(trapped.err, HasSubstr("unreachable"));
}

TEST_F(Scripting, MemoryIsRealOrAbsentAndLibraryCallsAreCounted) {
  ASSERT_EQ(cli({"add", guest_path("typed", "component").string(), "--id", "lib.typed.test"})
                .exit_code,
            0);
  ASSERT_EQ(cli({"add", guest_path("service_probe", "core").string(), "--id", "app.core.test"})
                .exit_code,
            0);
  ASSERT_EQ(cli({"add", guest_path("call_callee", "component").string(), "--id",
                 "app.comp.test"})
                .exit_code,
            0);
  auto host = start_host();
  ASSERT_EQ(cli({"start", "app.core.test"}).exit_code, 0);
  ASSERT_EQ(cli({"start", "app.comp.test"}).exit_code, 0);
  ASSERT_EQ(cli({"call", "lib.typed.test", "greet(\"a\")"}).exit_code, 0);
  ASSERT_EQ(cli({"call", "lib.typed.test", "greet(\"b\")"}).exit_code, 0);
  auto list = cli({"list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const auto& module : nlohmann::json::parse(list.out)) {
    if (module["id"] == "app.core.test") {
      // A running core module's linear memory: at least one page.
      EXPECT_GE(module.value("memory_bytes", 0), 65536) << module.dump();
    } else if (module["id"] == "app.comp.test") {
      // Wasmtime's C API shows no component's memory: absent, not 0.
      EXPECT_FALSE(module.contains("memory_bytes")) << module.dump();
    } else if (module["id"] == "lib.typed.test") {
      EXPECT_EQ(module["calls"], 2) << module.dump();
      EXPECT_FALSE(module.contains("memory_bytes"));
    }
  }
}

TEST_F(Scripting, QuietSilencesTheNotesAboutWhoAnswered) {
  ASSERT_EQ(cli({"add", guest_path("typed", "component").string(), "--id", "lib.typed.test"})
                .exit_code,
            0);
  EXPECT_THAT(cli({"list"}).err, HasSubstr("no host running"));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"-q", "list"}, {"list", "-q"}, {"--quiet", "inspect", "lib.typed.test"},
        {"-q", "call", "lib.typed.test", "greet(\"x\")"}}) {
    auto quiet = cli(args);
    EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
    EXPECT_EQ(quiet.err, "") << args[1];
  }
  auto host = start_host();
  EXPECT_THAT(cli({"list"}).err, HasSubstr("answered by the running host"));
  auto quiet = cli({"-q", "list"});
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.err, "");
  // Errors are still said.
  EXPECT_THAT(cli({"-q", "inspect", "app.none.test"}).err, HasSubstr("error: "));
}

}  // namespace
}  // namespace orivon::testing
