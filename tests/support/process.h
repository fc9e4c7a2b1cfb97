#pragma once

// Runs a program as a child process and captures what it printed, for tests
// that drive the orivon CLI as a user would.

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace orivon::testing {

struct ProcessResult {
  int exit_code = -1;     // the child's exit status; -1 if it did not exit
  int signal = 0;         // the signal that ended it, 0 if none
  bool timed_out = false;  // killed after the time limit
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with the given arguments and extra environment
// variables added to this process's environment. Kills the child after
// `limit` so a hung test fails instead of hanging.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env = {},
                          std::chrono::seconds limit = std::chrono::seconds(60));

// Paths inside the build tree.
std::filesystem::path orivon_binary();
// A guest built by the build: `kind` is "core" or "component".
std::filesystem::path guest_path(const std::string& name, const std::string& kind);

// A fresh directory under the system temp dir, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace orivon::testing

namespace orivon::testing {

// A child process left running while the test goes on (`orivon up`), with
// its stdout and stderr collected in the background. Killed on destruction.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv,
                             const std::vector<std::pair<std::string, std::string>>& extra_env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Waits until the output (stdout and stderr together) contains `text`;
  // false on timeout or if the process exits first.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds limit);
  void send_signal(int signal);
  // Waits for exit; the exit status, or -1 (killed by a signal, or timeout).
  int wait(std::chrono::milliseconds limit);
  std::string output();
  int pid() const { return pid_; }

 private:
  void drain(int timeout_ms);
  int pid_ = -1;
  int fd_ = -1;  // read end of the pipe both stdout and stderr go to
  std::string output_;
  bool exited_ = false;
  int status_ = 0;
};

}  // namespace orivon::testing
