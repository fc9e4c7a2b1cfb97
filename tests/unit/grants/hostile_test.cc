// The hostile-module suite: a service built from tests/guests/hostile tries,
// one export per attack, to get past its grants. Every Hostile.* case checks
// that the attempt failed and that the host is unaffected: the attacker
// still answers, the victim service still runs untouched, and nothing
// outside the grants changed on disk. HostileControls.* show the same
// module succeeding where it is granted, so the refusals are not accidents.
//
// Grants are given through the API, as `orivon allow` does:
//   fs:WORK/data=/data:rw  fs:WORK/ro=/ro:ro  env:ORIVON_HOSTILE_ALLOWED=yes
// plus a call grant to the victim's `harmless` only, and no host: grant.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "orivon/runtime.h"
#include "support/process.h"
#include "support/wait.h"

namespace orivon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using orivon::testing::eventually;
using orivon::testing::guest_path;
using orivon::testing::read_text;
using orivon::testing::TempDir;
using orivon::testing::write_text;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

constexpr const char* kAttacker = "app.hostile.test";
constexpr const char* kVictim = "app.victim.test";
constexpr const char* kSecrets = "orivon:hostile/host-secrets@0.1.0";
constexpr const char* kSecretText = "TOP SECRET: outside every grant\n";
constexpr const char* kReadOnlyText = "read-only content\n";

std::atomic<int> g_host_calls{0};

class Hostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    temp_ = new TempDir();
    work_ = temp_->path() / "work";
    const fs::path data = work_ / "data";
    fs::create_directories(data / "sub");
    fs::create_directories(work_ / "outside");
    fs::create_directories(work_ / "ro");
    write_text(work_ / "outside" / "secret.txt", kSecretText);
    write_text(work_ / "ro" / "file.txt", kReadOnlyText);
    write_text(data / "plain.txt", "plain\n");
    write_text(data / "movable.txt", "movable\n");
    fs::create_symlink(work_ / "outside" / "secret.txt", data / "link-file");
    fs::create_directory_symlink(work_ / "outside", data / "link-dir");
    fs::create_symlink("chain-2", data / "chain-1");
    fs::create_symlink("../outside/secret.txt", data / "chain-2");
    fs::create_symlink("plain.txt", data / "inner-link");

    RuntimeOptions options;
    options.state_dir = temp_->path() / "state";
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = runtime->release();

    for (const char* function : {"read-secret", "peek"}) {
      auto registered = runtime_->register_host_function(
          kSecrets, function, [](std::span<const Value>) -> Result<std::vector<Value>> {
            ++g_host_calls;
            return std::vector<Value>{Value::u32(42)};
          });
      ASSERT_TRUE(registered) << registered.error().to_string();
    }
    install(kVictim, "hostile_target");
    install(kAttacker, "hostile");
    for (const std::string& grant :
         {"fs:" + data.string() + "=/data:rw", "fs:" + (work_ / "ro").string() + "=/ro:ro",
          std::string("env:ORIVON_HOSTILE_ALLOWED=yes")}) {
      auto allowed = runtime_->allow_grant(id(kAttacker), grant);
      ASSERT_TRUE(allowed) << allowed.error().to_string();
    }
    auto granted = runtime_->grant_calls(id(kAttacker), id(kVictim), {"harmless"});
    ASSERT_TRUE(granted) << granted.error().to_string();
    // A variable orivon has but did not grant.
    ::setenv("ORIVON_HOSTILE_SECRET", "leaked", 1);
    start(kVictim);
    start(kAttacker);
  }

  static void TearDownTestSuite() {
    delete runtime_;
    runtime_ = nullptr;
    delete temp_;
    temp_ = nullptr;
  }

  static void install(const std::string& name, const std::string& guest) {
    AddOptions options;
    options.id = id(name);
    auto added = runtime_->add_module_file(guest_path(guest, "component"), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  static void start(const std::string& name) {
    ServiceSettings settings;
    settings.restart.policy = RestartPolicy::OnFailure;
    settings.restart.initial_backoff = 10ms;
    settings.restart.budget = 100;
    settings.call_deadline = 10s;
    settings.stop_grace = 200ms;
    runtime_->set_service_settings(id(name), settings);
    auto started = runtime_->start_service(id(name));
    ASSERT_TRUE(started) << started.error().to_string();
  }

  static std::string call(const std::string& name, std::string_view expression) {
    auto outcome = runtime_->call(id(name), expression);
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  // Runs one attack that answers a bool and expects it refused.
  static void expect_blocked(const std::string& attack) {
    EXPECT_EQ(call(kAttacker, attack + "()"), "false") << attack << " got through";
    expect_host_unaffected();
  }

  // The attacker answers, the victim runs and was never reached, and the
  // host's files outside the read-write grant are as the test made them.
  static void expect_host_unaffected() {
    // A trapped attacker is back after its restart backoff.
    EXPECT_TRUE(eventually(
        [] { return runtime_->service_metrics(id(kAttacker)).state == ModuleState::Running; }));
    EXPECT_THAT(call(kAttacker, "alive()"), ::testing::MatchesRegex("[0-9]+"));
    EXPECT_EQ(runtime_->service_metrics(id(kVictim)).state, ModuleState::Running);
    EXPECT_EQ(call(kVictim, "wiped()"), "0");
    EXPECT_EQ(g_host_calls.load(), 0);
    EXPECT_EQ(read_text(work_ / "outside" / "secret.txt"), kSecretText);
    EXPECT_EQ(entries(work_ / "outside"), std::vector<std::string>{"secret.txt"});
    EXPECT_EQ(read_text(work_ / "ro" / "file.txt"), kReadOnlyText);
    EXPECT_EQ(entries(work_ / "ro"), std::vector<std::string>{"file.txt"});
    EXPECT_FALSE(fs::exists("/tmp/orivon-hostile-moved.txt"));
  }

  static std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  static inline TempDir* temp_ = nullptr;
  static inline fs::path work_;
  static inline Runtime* runtime_ = nullptr;
};

// ---- Escapes through the preopened directory --------------------------------

TEST_F(Hostile, DotDotOutOfThePreopen) { expect_blocked("escape-dotdot"); }
TEST_F(Hostile, DotDotToEtcPasswd) { expect_blocked("escape-etc-passwd"); }
TEST_F(Hostile, AbsolutePath) { expect_blocked("escape-absolute"); }
TEST_F(Hostile, SymlinkToAFileOutside) { expect_blocked("escape-symlink-file"); }
TEST_F(Hostile, SymlinkToADirectoryOutside) { expect_blocked("escape-symlink-dir"); }
TEST_F(Hostile, SymlinkChainLeadingOutside) { expect_blocked("escape-symlink-chain"); }
TEST_F(Hostile, DotThenDotDot) { expect_blocked("escape-dot-dotdot"); }
TEST_F(Hostile, TrailingSlashForms) { expect_blocked("escape-trailing-slash"); }
TEST_F(Hostile, PercentEncodedNamesAreLiteral) { expect_blocked("escape-percent-encoded"); }
TEST_F(Hostile, PathThroughAFileAsIfADirectory) { expect_blocked("escape-through-file"); }
TEST_F(Hostile, SubdirectoryThenDotDotTwice) { expect_blocked("escape-subdir-dotdot"); }
TEST_F(Hostile, RenameOutOfThePreopen) {
  expect_blocked("escape-rename-out");
  EXPECT_TRUE(fs::exists(work_ / "data" / "movable.txt"));
}
TEST_F(Hostile, HardLinkOutOfThePreopen) { expect_blocked("escape-hard-link-out"); }
TEST_F(Hostile, HardLinkFromOutsideIntoThePreopen) {
  expect_blocked("escape-hard-link-in");
  EXPECT_FALSE(fs::exists(work_ / "data" / "stolen.txt"));
}
TEST_F(Hostile, SymlinkTheModuleMadeToOutside) { expect_blocked("escape-made-symlink"); }
TEST_F(Hostile, ListingTheParentDirectory) { expect_blocked("escape-list-parent"); }

// ---- A read-only grant --------------------------------------------------------

TEST_F(Hostile, WriteToAReadOnlyFile) { expect_blocked("write-read-only-file"); }
TEST_F(Hostile, CreateInAReadOnlyDirectory) { expect_blocked("create-in-read-only"); }
TEST_F(Hostile, RemoveFromAReadOnlyDirectory) { expect_blocked("remove-in-read-only"); }
TEST_F(Hostile, MakeADirectoryInAReadOnlyDirectory) { expect_blocked("mkdir-in-read-only"); }
TEST_F(Hostile, RenameInOrOutOfAReadOnlyDirectory) { expect_blocked("rename-in-read-only"); }

// ---- Environment, calls, host functions -------------------------------------

TEST_F(Hostile, ReadAnEnvironmentVariableNotGranted) { expect_blocked("read-ungranted-env"); }

TEST_F(Hostile, CallAModuleFunctionNotGranted) { expect_blocked("call-ungranted-function"); }

TEST_F(Hostile, CallAModuleFunctionNotGrantedThatCannotCarryAnError) {
  // `wipe` returns a plain u32, so the denial traps the attacker (which its
  // restart policy brings back); the victim never sees the call.
  const std::string result = call(kAttacker, "call-ungranted-function-trap()");
  EXPECT_THAT(result, HasSubstr("may not call"));
  expect_host_unaffected();
}

TEST_F(Hostile, CallAHostFunctionNotGranted) { expect_blocked("call-ungranted-host-function"); }

TEST_F(Hostile, CallAHostFunctionNotGrantedThatCannotCarryAnError) {
  const std::string result = call(kAttacker, "call-ungranted-host-function-trap()");
  EXPECT_THAT(result, HasSubstr("may not call the host function"));
  expect_host_unaffected();
}

// ---- The same module where it is granted --------------------------------------

TEST_F(Hostile, ControlsSucceedInsideTheGrants) {
  EXPECT_EQ(call(kAttacker, "control-read()"), "true");
  EXPECT_EQ(call(kAttacker, "control-write()"), "true");
  EXPECT_EQ(call(kAttacker, "control-env()"), "true");
  EXPECT_EQ(call(kAttacker, "control-inner-symlink()"), "true");
  EXPECT_EQ(read_text(work_ / "data" / "written.txt"), "inside\n");
  expect_host_unaffected();
}

TEST(HostileControls, GrantedCallsAndHostFunctionsGoThroughAndADenialAppliesAtOnce) {
  TempDir temp;
  RuntimeOptions options;
  options.state_dir = temp.path() / "state";
  auto runtime = Runtime::create(options);
  ASSERT_TRUE(runtime) << runtime.error().to_string();
  std::atomic<int> calls{0};
  ASSERT_TRUE((*runtime)->register_host_function(
      kSecrets, "read-secret", [&](std::span<const Value> args) -> Result<std::vector<Value>> {
        EXPECT_TRUE(args.empty());
        ++calls;
        return std::vector<Value>{Value::ok(Value::string("from the host"))};
      }));
  for (const auto& [name, guest] : {std::pair{kVictim, "hostile_target"},
                                    std::pair{"app.trusted.test", "hostile"}}) {
    AddOptions add;
    add.id = id(name);
    ASSERT_TRUE((*runtime)->add_module_file(guest_path(guest, "component"), add));
    ASSERT_TRUE((*runtime)->start_service(id(name)));
  }
  const ModuleId trusted = id("app.trusted.test");
  ASSERT_TRUE((*runtime)->grant_calls(trusted, id(kVictim)));
  auto allowed = (*runtime)->allow_grant(trusted, std::string("host:") + kSecrets);
  ASSERT_TRUE(allowed) << allowed.error().to_string();
  auto run = [&](std::string_view call) {
    auto outcome = (*runtime)->call(trusted, call);
    return outcome ? outcome->results : outcome.error().to_string();
  };
  EXPECT_EQ(run("call-ungranted-function()"), "true");
  EXPECT_EQ(run("call-ungranted-host-function()"), "true");
  EXPECT_EQ(calls.load(), 1);
  // Denied while running: the very next call is refused, no restart needed.
  ASSERT_TRUE((*runtime)->deny_grant(trusted, std::string("host:") + kSecrets));
  EXPECT_EQ(run("call-ungranted-host-function()"), "false");
  EXPECT_EQ(calls.load(), 1);
  // A function the host did not register, in a granted interface, is
  // unavailable (and traps: `peek` cannot carry an error).
  ASSERT_TRUE((*runtime)->allow_grant(trusted, std::string("host:") + kSecrets));
  EXPECT_THAT(run("call-ungranted-host-function-trap()"), HasSubstr("registered no function"));
}

}  // namespace
}  // namespace orivon
