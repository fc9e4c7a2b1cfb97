// The orivon command line itself: version, help, usage errors, refusing bad
// binaries, and calling exports with --invoke.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process.h"

namespace orivon::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kTrapped = 134;

ProcessResult orivon(std::vector<std::string> args) {
  args.insert(args.begin(), orivon_binary().string());
  return run_process(args);
}

int line_count(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(Cli, VersionNamesOrivonAndWasmtime) {
  auto result = orivon({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, StartsWith("orivon 0."));
  EXPECT_THAT(result.out, HasSubstr("wasmtime 48.0."));
}

TEST(Cli, HelpOnEveryCommand) {
  auto top = orivon({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* command : {"run", "up", "add", "remove", "update", "list", "inspect", "start",
                              "stop", "restart", "call", "logs", "grant", "revoke", "grants"}) {
    EXPECT_THAT(top.out, HasSubstr(command));
    auto help = orivon({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("Usage")) << command;
  }
  auto run = orivon({"run", "--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* option : {"--dir", "--dir-ro", "--env", "--net", "--invoke", "--timeout",
                             "--fuel", "--max-memory", "FILE"}) {
    EXPECT_THAT(run.out, HasSubstr(option));
  }
}

TEST(Cli, BadFlagsPrintUsageAndExitTwo) {
  const std::string probe = guest_path("cli_probe", "core").string();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"run"},
           {"run", "--bogus", probe},
           {"run", "--timeout", "soon", probe, "echo"},
           {"run", "--timeout", "5 parsecs", probe, "echo"},
           {"run", "--max-memory", "lots", probe, "echo"},
           {"run", "--fuel", "-3", probe, "echo"},
           {"run", "--env", "=x", probe, "echo"},
       }) {
    auto result = orivon(args);
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    EXPECT_EQ(result.exit_code, 2) << shown << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr("error")) << shown;
  }
  EXPECT_THAT(orivon({"run", "--bogus", probe}).err, HasSubstr("Usage"));
}

TEST(Cli, MissingFileIsOneLineNamingIt) {
  auto result = orivon({"run", "/nonexistent/prog.wasm"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("/nonexistent/prog.wasm"));
  EXPECT_EQ(line_count(result.err), 1) << result.err;
}

TEST(Cli, MalformedAndTruncatedBinariesAreRefusedInOneLine) {
  TempDir temp;
  const std::string good = read_text(guest_path("cli_probe", "core"));
  const std::string component = read_text(guest_path("cli_probe", "component"));
  ASSERT_GT(good.size(), 100u);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty.wasm", ""},
      {"garbage.wasm", "this is not webassembly at all"},
      {"magic-only.wasm", std::string("\0asm", 4)},
      {"bad-version.wasm", std::string("\0asm\x02\0\0\0", 8)},
      {"truncated.wasm", good.substr(0, good.size() / 2)},
      {"truncated-component.wasm", component.substr(0, component.size() / 3)},
      {"bad-text.wat", "(module (func $f (result i32) i64.const 1))"},
      {"flipped.wasm", [&] {
         std::string damaged = good;
         for (std::size_t i = 8; i < damaged.size(); i += 7) damaged[i] = static_cast<char>(~damaged[i]);
         return damaged;
       }()},
  };
  for (const auto& [name, bytes] : cases) {
    const auto path = temp.path() / name;
    write_text(path, bytes);
    auto result = orivon({"run", path.string()});
    EXPECT_EQ(result.exit_code, 1) << name << ": " << result.err;
    EXPECT_EQ(result.signal, 0) << name;
    EXPECT_THAT(result.err, HasSubstr(path.string())) << name;
    EXPECT_EQ(line_count(result.err), 1) << name << ": " << result.err;
  }
}

TEST(Cli, DirectoryIsNotAProgram) {
  TempDir temp;
  auto result = orivon({"run", temp.path().string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("not a regular file"));
}

TEST(Cli, MissingDirGrantIsAnError) {
  auto result = orivon({"run", "--dir", "/nonexistent-dir::/data",
                        guest_path("cli_probe", "core").string(), "echo"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("/nonexistent-dir"));
}

TEST(Cli, ReactorIsNotACommand) {
  auto result = orivon({"run", guest_path("reactor", "core").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("--invoke"));
}

TEST(CliInvoke, CallsCoreExportsWithNumbers) {
  const std::string reactor = guest_path("reactor", "core").string();
  auto add = orivon({"run", "--invoke", "add(2, 40)", reactor});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(add.out, "42\n");
  EXPECT_EQ(orivon({"run", "--invoke", "add(-5, 3)", reactor}).out, "-2\n");
  EXPECT_EQ(orivon({"run", "--invoke", "mul64(4294967296, 3)", reactor}).out, "12884901888\n");
  EXPECT_EQ(orivon({"run", "--invoke", "half(5)", reactor}).out, "2.5\n");
  EXPECT_EQ(orivon({"run", "--invoke", "scale(2)", reactor}).out, "3\n");
  auto nothing = orivon({"run", "--invoke", "nothing()", reactor});
  EXPECT_EQ(nothing.exit_code, 0);
  EXPECT_EQ(nothing.out, "");
}

TEST(CliInvoke, RunsTheReactorInitializerFirst) {
  auto result = orivon({"run", "--invoke", "initialized()", guest_path("reactor", "core").string()});
  EXPECT_EQ(result.out, "42\n") << result.err;
}

TEST(CliInvoke, RefusesBadCoreCalls) {
  const std::string reactor = guest_path("reactor", "core").string();
  auto unknown = orivon({"run", "--invoke", "subtract(1, 2)", reactor});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("subtract"));
  auto arity = orivon({"run", "--invoke", "add(1)", reactor});
  EXPECT_EQ(arity.exit_code, 1);
  EXPECT_THAT(arity.err, HasSubstr("expected 2 argument(s), got 1"));
  auto type = orivon({"run", "--invoke", "add(1, two)", reactor});
  EXPECT_EQ(type.exit_code, 1);
  EXPECT_THAT(type.err, HasSubstr("'two' is not a valid i32"));
  auto syntax = orivon({"run", "--invoke", "add 1 2", reactor});
  EXPECT_EQ(syntax.exit_code, 1);
  EXPECT_THAT(syntax.err, HasSubstr("expected name(arguments)"));
}

TEST(CliInvoke, TrapInACoreExportIsContained) {
  auto result = orivon({"run", "--invoke", "crash()", guest_path("reactor", "core").string()});
  EXPECT_EQ(result.exit_code, kTrapped);
  EXPECT_THAT(result.err, HasSubstr("wasm backtrace"));
}

TEST(CliInvoke, CallsComponentExportsWithWaveValues) {
  const std::string typed = guest_path("typed", "component").string();
  struct Case {
    std::string call;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {R"(greet("world"))", "\"hello, world\"\n"},
           {R"(greet("quote \" and \u{1F600}"))", "\"hello, quote \\\" and \U0001F600\"\n"},
           {"sum([1, 2, 3, -10])", "-4\n"},
           {"sum([])", "0\n"},
           {"translate({x: 1, y: 2}, 10, -20)", "{x: 11, y: -18}\n"},
           {"checked-div(7, 2)", "ok(3)\n"},
           {"checked-div(1, 0)", "err(\"division by zero\")\n"},
           {R"(first-word("hello there"))", "some(\"hello\")\n"},
           {R"(first-word(""))", "none\n"},
           {"next-color(blue)", "red\n"},
       }) {
    auto result = orivon({"run", "--invoke", c.call, typed});
    EXPECT_EQ(result.exit_code, 0) << c.call << ": " << result.err;
    EXPECT_EQ(result.out, c.expected) << c.call;
  }
}

TEST(CliInvoke, RefusesBadComponentCalls) {
  const std::string typed = guest_path("typed", "component").string();
  auto unknown = orivon({"run", "--invoke", "nope()", typed});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("greet"));  // lists what exists
  auto type = orivon({"run", "--invoke", "greet(42)", typed});
  EXPECT_EQ(type.exit_code, 1);
  EXPECT_THAT(type.err, HasSubstr("greet"));
  auto enum_case = orivon({"run", "--invoke", "next-color(purple)", typed});
  EXPECT_EQ(enum_case.exit_code, 1);
}

TEST(CliInvoke, ComponentCallIsInterruptedByTimeout) {
  auto result = orivon({"run", "--timeout", "100ms", "--invoke", "spin()",
                        guest_path("typed", "component").string()});
  EXPECT_EQ(result.exit_code, kTrapped);
  EXPECT_THAT(result.err, HasSubstr("deadline"));
}

TEST(CliNetwork, NetworkIsDeniedWithoutNet) {
  auto result = orivon({"run", "--invoke", "bind-loopback()",
                        guest_path("net_probe", "component").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("access-denied"));
}

TEST(CliNetwork, NetGrantsSockets) {
  auto result = orivon({"run", "--net", "--invoke", "bind-loopback()",
                        guest_path("net_probe", "component").string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "\"bound\"\n");
}

}  // namespace
}  // namespace orivon::testing
