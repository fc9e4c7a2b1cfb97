// `orivon new`, `orivon build` and `orivon env` through the real binary: a
// module of every kind made in a temporary directory outside the
// repository, built with the toolchain the set-up installed, installed and
// called through a real host.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"

namespace orivon::testing {
namespace {

using ::testing::HasSubstr;

class NewCommand : public StateDirTest {
 protected:
  std::filesystem::path work() const { return temp_.path() / "work"; }

  // orivon new + orivon build; the built module's path.
  std::filesystem::path make_module(const std::vector<std::string>& new_args,
                                    const std::string& name) {
    std::vector<std::string> args = {"new"};
    args.insert(args.end(), new_args.begin(), new_args.end());
    args.insert(args.end(), {"--dir", (work() / name).string()});
    auto made = cli(args);
    EXPECT_EQ(made.exit_code, 0) << made.err;
    auto built = cli({"build", (work() / name).string(), "--json"});
    EXPECT_EQ(built.exit_code, 0) << built.out << built.err;
    auto json = nlohmann::json::parse(built.out, nullptr, false);
    EXPECT_EQ(json["built"].size(), 1u) << built.out;
    return work() / name / (name + ".wasm");
  }

  void expect_call(const std::string& id, const std::string& call, const std::string& answer) {
    auto result = cli({"call", id, call});
    EXPECT_EQ(result.exit_code, 0) << call << ": " << result.err;
    EXPECT_EQ(result.out, answer + "\n") << call;
  }
};

TEST_F(NewCommand, EveryKindBuildsOutsideTheRepositoryAndAnswersThroughAHost) {
  const auto repository = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  ASSERT_FALSE(work().string().starts_with(repository.string()));
  const auto service = make_module({"service", "hello"}, "hello");
  const auto library = make_module({"library", "fmt"}, "fmt");
  const auto function = make_module({"function", "once"}, "once");
  const auto go = make_module({"service", "tally", "--lang", "go"}, "tally");
  // Each NAME.wasm installs under the id of the NAME.toml beside it.
  for (const auto& module : {service, library, function, go}) {
    auto added = cli({"add", module.string()});
    ASSERT_EQ(added.exit_code, 0) << module << ": " << added.err;
  }
  auto host = start_host();
  ASSERT_EQ(cli({"start", "app.hello.local"}).exit_code, 0);
  ASSERT_EQ(cli({"start", "app.tally.local"}).exit_code, 0);

  expect_call("app.hello.local", "hello(\"Ada\")", "\"Hello, Ada!\"");
  expect_call("app.hello.local", "count()", "1");
  expect_call("app.hello.local", "take(5)", "err(\"not enough greetings\")");
  expect_call("lib.fmt.local", "hello(\"Bo\")", "\"Hello, Bo!\"");
  // A function's instance is fresh every time: its count never moves.
  expect_call("app.once.local", "hello(\"x\")", "\"Hello, x!\"");
  expect_call("app.once.local", "count()", "0");
  expect_call("app.tally.local", "add(5)", "5");
  expect_call("app.tally.local", "add(5)", "10");

  // The service's loop ran and logged.
  auto logs = cli({"logs", "app.hello.local"});
  EXPECT_THAT(logs.out, HasSubstr("hello running"));
}

TEST_F(NewCommand, ThePrintedEnvironmentBuildsWithPlainMake) {
  auto env = cli({"env", "--json"});
  ASSERT_EQ(env.exit_code, 0) << env.err;
  auto tools = nlohmann::json::parse(env.out, nullptr, false);
  for (const char* name : {"ORIVON_WASM_CC", "ORIVON_WASM_TOOLS", "ORIVON_WIT_BINDGEN",
                           "ORIVON_WASI_ADAPTER_REACTOR", "ORIVON_WASI_WIT_DEPS", "ORIVON_GO"}) {
    ASSERT_TRUE(tools[name].is_string()) << name;
    EXPECT_TRUE(std::filesystem::exists(tools[name].get<std::string>())) << name;
  }
  ASSERT_EQ(cli({"new", "service", "plain", "--dir", (work() / "plain").string()}).exit_code, 0);
  // What a user does by hand: eval the environment, run make, use bare names.
  auto built = run_process(
      {"/bin/bash", "-c",
       "eval \"$(\"$0\" env)\" && wasm-tools --version >/dev/null && make -C \"$1\" >/dev/null",
       orivon_binary().string(), (work() / "plain").string()});
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  auto added = cli({"add", (work() / "plain" / "plain.wasm").string(), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.out, HasSubstr("app.plain.local"));
}

TEST_F(NewCommand, BadArgumentsAreRefusedAndWriteNothing) {
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"new", "daemon", "x"}, 2, "unknown kind 'daemon'"},
      {{"new", "service", "Hello"}, 2, "start with a lowercase letter"},
      {{"new", "service", "a-b"}, 2, "only lowercase letters and digits"},
      {{"new", "service", "api"}, 2, "WIT keyword"},
      {{"new", "service", std::string(33, 'a')}, 2, "1 to 32 characters"},
      {{"new", "service", "x", "--lang", "rust"}, 2, "unknown language 'rust'"},
      {{"new", "library", "x", "--lang", "go"}, 2, "is a service for now"},
      {{"new", "library", "x", "--id", "app.x.local"}, 2, "starts with 'lib.'"},
      {{"new", "service", "x", "--id", "lib.x.local"}, 2, "other kinds"},
      {{"new", "service", "x", "--id", "Not An Id"}, 2, "Not An Id"},
  };
  for (const auto& c : cases) {
    auto args = c.args;
    args.insert(args.end(), {"--dir", (work() / "x").string()});
    auto result = cli(args);
    EXPECT_EQ(result.exit_code, c.exit_code) << args[1] << " " << args[2];
    EXPECT_THAT(result.err, HasSubstr(c.says));
    EXPECT_FALSE(std::filesystem::exists(work() / "x"));
  }
  // A directory with something in it is never written into.
  std::filesystem::create_directories(work() / "taken");
  std::ofstream(work() / "taken" / "keep.txt") << "mine";
  auto taken = cli({"new", "service", "x", "--dir", (work() / "taken").string()});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_THAT(taken.err, HasSubstr("already exists"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(work() / "taken"),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(NewCommand, ABuildThatCannotRunOrFailsSaysWhy) {
  std::filesystem::create_directories(work() / "empty");
  auto no_makefile = cli({"build", (work() / "empty").string()});
  EXPECT_EQ(no_makefile.exit_code, 1);
  EXPECT_THAT(no_makefile.err, HasSubstr("has no Makefile"));

  ASSERT_EQ(cli({"new", "service", "broken", "--dir", (work() / "broken").string()}).exit_code, 0);
  // A tool pointed at nothing is named, and make never runs.
  auto missing = run_process({orivon_binary().string(), "build", (work() / "broken").string()},
                             {{"ORIVON_WIT_BINDGEN", (work() / "no-such-tool").string()}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("wit-bindgen (ORIVON_WIT_BINDGEN)"));
  EXPECT_FALSE(std::filesystem::exists(work() / "broken" / "gen"));

  std::ofstream(work() / "broken" / "broken.c", std::ios::app) << "\nthis is not C\n";
  auto failed = cli({"build", (work() / "broken").string()});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_THAT(failed.err, HasSubstr("the build failed"));
  EXPECT_FALSE(std::filesystem::exists(work() / "broken" / "broken.wasm"));
}

}  // namespace
}  // namespace orivon::testing
