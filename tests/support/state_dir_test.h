#pragma once

// A fixture for tests that drive the orivon CLI on a state directory of
// their own: `cli({...})` runs `orivon --state STATE ...`, `start_host()`
// starts `orivon up` on it and waits until it serves.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/process.h"

namespace orivon::testing {

class StateDirTest : public ::testing::Test {
 protected:
  std::filesystem::path state() const { return temp_.path() / "state"; }

  ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), {orivon_binary().string(), "--state", state().string()});
    return run_process(args);
  }

  std::unique_ptr<BackgroundProcess> start_host() {
    auto host = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{orivon_binary().string(), "up", "--state", state().string()});
    EXPECT_TRUE(host->wait_for_output("orivon host up", std::chrono::seconds(60)))
        << host->output();
    return host;
  }

  TempDir temp_;
};

}  // namespace orivon::testing
