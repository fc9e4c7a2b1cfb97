// `orivon run` driven as a user would: the real binary, real guests built
// from tests/guests, real files in temporary directories. Each test runs for
// the core module and for the component built from the same source.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/process.h"

namespace orivon::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kTrapped = 134;

class RunCommand : public ::testing::TestWithParam<std::string> {
 protected:
  std::string probe() const { return guest_path("cli_probe", GetParam()).string(); }

  // orivon run OPTIONS... probe GUEST_ARGS...
  ProcessResult run(const std::vector<std::string>& options,
                    const std::vector<std::string>& guest_args,
                    const std::vector<std::pair<std::string, std::string>>& env = {}) {
    std::vector<std::string> argv = {orivon_binary().string(), "run"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(probe());
    argv.insert(argv.end(), guest_args.begin(), guest_args.end());
    return run_process(argv, env);
  }

  TempDir temp_;
};

TEST_P(RunCommand, PassesArgumentsWithProgramNameFirst) {
  auto result = run({}, {"args", "one", "two words"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("argc=4\n"));
  EXPECT_THAT(result.out, HasSubstr("argv[0]=" + probe() + "\n"));
  EXPECT_THAT(result.out, HasSubstr("argv[3]=two words\n"));
}

TEST_P(RunCommand, WordsAfterFileBelongToTheGuestEvenIfTheyLookLikeOptions) {
  auto result = run({}, {"echo", "--env", "X=1", "--help"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "--env X=1 --help\n");
}

TEST_P(RunCommand, GrantsNoEnvironmentByDefault) {
  auto result = run({}, {"env-count"}, {{"ORIVON_TEST_SECRET", "leak"}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "0\n");
}

TEST_P(RunCommand, SetsEnvironmentVariable) {
  auto result = run({"--env", "GREETING=hello world"}, {"env", "GREETING"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "GREETING=hello world\n");
}

TEST_P(RunCommand, PassesOneHostVariableThroughByName) {
  auto result = run({"--env", "ORIVON_TEST_PASSED"}, {"env", "ORIVON_TEST_PASSED"},
                    {{"ORIVON_TEST_PASSED", "through"}, {"ORIVON_TEST_OTHER", "x"}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "ORIVON_TEST_PASSED=through\n");
  auto others = run({"--env", "ORIVON_TEST_PASSED"}, {"env", "ORIVON_TEST_OTHER"},
                    {{"ORIVON_TEST_PASSED", "through"}, {"ORIVON_TEST_OTHER", "x"}});
  EXPECT_EQ(others.out, "ORIVON_TEST_OTHER=<unset>\n");
}

TEST_P(RunCommand, ReadWriteDirAllowsWritingIntoTheHostDirectory) {
  auto result = run({"--dir", temp_.path().string() + "::/data"},
                    {"write", "/data/out.txt", "written by the guest"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(read_text(temp_.path() / "out.txt"), "written by the guest");
}

TEST_P(RunCommand, DirWithoutGuestPathIsVisibleUnderItsOwnPath) {
  write_text(temp_.path() / "in.txt", "same path");
  auto result = run({"--dir", temp_.path().string()}, {"read", (temp_.path() / "in.txt").string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out, "same path");
}

TEST_P(RunCommand, ReadOnlyDirAllowsReadingButNotWriting) {
  write_text(temp_.path() / "in.txt", "read me");
  auto read = run({"--dir-ro", temp_.path().string() + "::/data"}, {"read", "/data/in.txt"});
  EXPECT_EQ(read.exit_code, 0) << read.out << read.err;
  EXPECT_EQ(read.out, "read me");

  auto create = run({"--dir-ro", temp_.path().string() + "::/data"},
                    {"write", "/data/new.txt", "nope"});
  EXPECT_EQ(create.exit_code, 1);
  EXPECT_THAT(create.out, HasSubstr("write failed"));
  EXPECT_FALSE(std::filesystem::exists(temp_.path() / "new.txt"));

  auto overwrite = run({"--dir-ro", temp_.path().string() + "::/data"},
                       {"write", "/data/in.txt", "changed"});
  EXPECT_EQ(overwrite.exit_code, 1);
  EXPECT_EQ(read_text(temp_.path() / "in.txt"), "read me");
}

TEST_P(RunCommand, NothingOutsideAGrantedDirIsReachable) {
  const auto granted = temp_.path() / "granted";
  std::filesystem::create_directories(granted / "sub");
  write_text(temp_.path() / "secret.txt", "secret");
  std::filesystem::create_symlink(temp_.path() / "secret.txt", granted / "link-out");
  std::filesystem::create_symlink("../secret.txt", granted / "relative-link-out");
  std::filesystem::create_symlink(temp_.path(), granted / "dir-link-out");
  const std::string grant = granted.string() + "::/data";

  for (const std::string& path : std::vector<std::string>{
           "/data/../secret.txt", "/data/sub/../../secret.txt", "/data/link-out",
        "/data/relative-link-out", "/data/dir-link-out/secret.txt", (temp_.path() / "secret.txt").string(),
        "/secret.txt", "../secret.txt"}) {
    auto result = run({"--dir", grant}, {"read", path});
    EXPECT_EQ(result.exit_code, 1) << path << ": " << result.out;
    EXPECT_THAT(result.out, AllOf(HasSubstr("read failed"), Not(HasSubstr("secret")))) << path;
  }
  auto write = run({"--dir", grant}, {"write", "/data/../escaped.txt", "x"});
  EXPECT_EQ(write.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(temp_.path() / "escaped.txt"));
}

TEST_P(RunCommand, UngrantedFilesystemIsInvisible) {
  auto result = run({}, {"read", "/etc/hostname"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, HasSubstr("read failed"));
}

TEST_P(RunCommand, GuestExitCodeBecomesTheProcessExitCode) {
  EXPECT_EQ(run({}, {"exit", "0"}).exit_code, 0);
  // The component is this core module adapted by the preview1 adapter
  // (wasi_snapshot_preview1.command.wasm 48.0.8), whose proc_exit calls
  // wasi:cli/exit#exit with err for any nonzero code: the 7 becomes a 1.
  // A component that calls exit-with-code itself keeps its code (below).
  const int expected = GetParam() == "core" ? 7 : 1;
  auto result = run({}, {"exit", "7"});
  EXPECT_EQ(result.exit_code, expected) << result.err;
  EXPECT_EQ(result.signal, 0);
}

TEST_P(RunCommand, TrapIsReportedWithBacktraceAndExitCode) {
  auto result = run({}, {"trap"});
  EXPECT_EQ(result.exit_code, kTrapped);
  EXPECT_EQ(result.signal, 0);
  EXPECT_THAT(result.err, HasSubstr("guest trapped"));
  EXPECT_THAT(result.err, HasSubstr("unreachable"));
  EXPECT_THAT(result.err, HasSubstr("wasm backtrace"));
}

TEST_P(RunCommand, InfiniteLoopIsInterruptedByTimeout) {
  auto result = run({"--timeout", "200ms"}, {"loop"});
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, kTrapped);
  EXPECT_THAT(result.err, HasSubstr("deadline"));
}

TEST_P(RunCommand, InfiniteLoopIsStoppedByFuel) {
  auto result = run({"--fuel", "1000000"}, {"loop"});
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, kTrapped);
  EXPECT_THAT(result.err, HasSubstr("fuel"));
}

TEST_P(RunCommand, EnoughFuelLetsTheProgramFinish) {
  auto result = run({"--fuel", "100000000"}, {"echo", "done"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "done\n");
}

TEST_P(RunCommand, MemoryBombIsCappedByMaxMemory) {
  auto result = run({"--max-memory", "16MiB"}, {"membomb"});
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.signal, 0);
  if (GetParam() == "component" && result.exit_code == kTrapped) {
    // With memory at its cap, the WASI preview1 adapter cannot grow memory
    // for its own I/O and traps on the next write: still contained.
    EXPECT_THAT(result.err, HasSubstr("adapter"));
    return;
  }
  EXPECT_EQ(result.exit_code, 1) << result.err;
  unsigned long mebibytes = 999;
  auto line = result.out.find("allocated ");
  ASSERT_NE(line, std::string::npos) << result.out;
  ASSERT_EQ(std::sscanf(result.out.c_str() + line, "allocated %lu MiB", &mebibytes), 1);
  EXPECT_LT(mebibytes, 16u);
  EXPECT_GT(mebibytes, 0u);
}

TEST_P(RunCommand, UnboundedRecursionIsContained) {
  auto result = run({}, {"recurse"});
  EXPECT_EQ(result.exit_code, kTrapped);
  EXPECT_EQ(result.signal, 0);
  EXPECT_THAT(result.err, HasSubstr("call stack exhausted"));
}

TEST_P(RunCommand, CStackOverflowIntoLinearMemoryIsContained) {
  // wasi-libc's stack lives in linear memory; overflowing it wraps below
  // address 0 and faults there, never in the host.
  auto result = run({}, {"recurse-deep-frames"});
  EXPECT_EQ(result.exit_code, kTrapped);
  EXPECT_EQ(result.signal, 0);
  EXPECT_THAT(result.err, HasSubstr("out of bounds memory access"));
}

TEST_P(RunCommand, KeepsCompiledCodeByContentHashUnlessToldNot) {
  const std::string cache_home = (temp_.path() / "cache-home").string();
  const std::string entries_dir = cache_home + "/orivon/compiled";
  auto count_entries = [&] {
    std::size_t count = 0;
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(entries_dir, ec)) {
      count += item.path().extension() == ".cwasm" ? 1 : 0;
    }
    return count;
  };
  auto first = run({"--no-cache"}, {"echo", "a"}, {{"XDG_CACHE_HOME", cache_home}});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(count_entries(), 0u);
  for (int i = 0; i < 2; ++i) {
    auto cached = run({}, {"echo", "b"}, {{"XDG_CACHE_HOME", cache_home}});
    EXPECT_EQ(cached.exit_code, 0) << cached.err;
    EXPECT_EQ(cached.out, "b\n");
    EXPECT_EQ(count_entries(), 1u);
  }
  // A damaged entry is compiled again, never run.
  for (const auto& item : std::filesystem::directory_iterator(entries_dir)) {
    std::filesystem::resize_file(item.path(), std::filesystem::file_size(item.path()) / 2);
  }
  auto repaired = run({}, {"echo", "c"}, {{"XDG_CACHE_HOME", cache_home}});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_EQ(repaired.out, "c\n");
}

INSTANTIATE_TEST_SUITE_P(CoreAndComponent, RunCommand, ::testing::Values("core", "component"));

// A component that exits through wasi:cli/exit#exit-with-code (WASI 0.2.12)
// reports its code, which `exit` (ok or err) cannot carry.
TEST(RunComponent, ExitWithCodeBecomesTheProcessExitCode) {
  const std::string guest = guest_path("exit_code", "component").string();
  for (int code : {0, 7, 255}) {
    auto result = run_process({orivon_binary().string(), "run", guest, std::to_string(code)});
    EXPECT_EQ(result.exit_code, code) << result.err;
    EXPECT_EQ(result.signal, 0);
    EXPECT_THAT(result.err, Not(HasSubstr("error")));
  }
}

}  // namespace
}  // namespace orivon::testing
