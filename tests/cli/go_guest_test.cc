// A guest written in Go (GOOS=wasip1, -buildmode=c-shared), the second guest
// language: the example application's statistics service, run once and as a
// service, through the real orivon binary.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/state_dir_test.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;

class GoGuest : public StateDirTest {
 protected:
  const std::string stats_ = guest_path("stats_go", "core").string();
};

TEST_F(GoGuest, RunInvokesAnExportAfterInitialize) {
  auto result = run_process({orivon_binary().string(), "run", "--invoke", "record(5)", stats_});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "1\n");
}

TEST_F(GoGuest, ServiceKeepsItsStateAcrossCalls) {
  auto added = cli({"add", stats_, "--id", "app.stats.go"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  auto host = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{orivon_binary().string(), "up", "--state", state().string()});
  ASSERT_TRUE(host->wait_for_output("orivon host up", 60s)) << host->output();
  auto started = cli({"start", "app.stats.go"});
  ASSERT_EQ(started.exit_code, 0) << started.err;

  auto call = [&](const std::string& expression) {
    auto result = cli({"call", "app.stats.go", expression});
    EXPECT_EQ(result.exit_code, 0) << expression << ": " << result.err;
    return result.out;
  };
  EXPECT_EQ(call("record(3)"), "1\n");
  EXPECT_EQ(call("record(4)"), "2\n");
  EXPECT_EQ(call("total()"), "7\n");
  EXPECT_EQ(call("count()"), "2\n");
  EXPECT_EQ(call("reset()"), "");
  EXPECT_EQ(call("count()"), "0\n");
  EXPECT_EQ(call("total()"), "0\n");

  host->send_signal(SIGTERM);
  EXPECT_EQ(host->wait(30s), 0) << host->output();
}

}  // namespace
}  // namespace orivon::testing
