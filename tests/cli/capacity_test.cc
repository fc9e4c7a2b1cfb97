// Admission control seen from outside (issue #12): a host given a small
// mapping budget fills it, refuses the next service with the limit as its
// cause, and carries on: every running service still answers, and a stop
// gives the room back.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

class Capacity : public StateDirTest {
 protected:
  std::unique_ptr<BackgroundProcess> start_host_with(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {orivon_binary().string(), "up", "--state", state().string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto host = std::make_unique<BackgroundProcess>(argv);
    EXPECT_TRUE(host->wait_for_output("orivon host up", 60s)) << host->output();
    return host;
  }

  // The mappings in use from the host's "capacity:" line.
  static long mappings_in_use(const std::string& output) {
    std::smatch match;
    static const std::regex line(R"(memory mappings ([0-9,]+) of)");
    if (!std::regex_search(output, match, line)) return -1;
    std::string digits = match[1];
    std::erase(digits, ',');
    return std::stol(digits);
  }

  std::string state_of(const std::string& id) {
    auto list = cli({"list", "--json"});
    for (const auto& module : nlohmann::json::parse(list.out, nullptr, false)) {
      if (module.value("id", "") == id) return module.value("state", "");
    }
    return "";
  }
};

TEST_F(Capacity, UpReportsItsCapacityAndWarnsOfALowKernelLimit) {
  auto host = start_host_with({});
  EXPECT_THAT(host->output(), HasSubstr("capacity: about "));
  EXPECT_GT(mappings_in_use(host->output()), 0) << host->output();
  std::ifstream kernel("/proc/sys/vm/max_map_count");
  long max_map_count = 0;
  kernel >> max_map_count;
  if (max_map_count > 0 && max_map_count < 262'144) {
    EXPECT_THAT(host->output(), HasSubstr("sysctl -w vm.max_map_count="));
  }
  host->send_signal(SIGTERM);
  EXPECT_EQ(host->wait(30s), 0);
}

TEST_F(Capacity, AFullHostRefusesTheNextServiceAndKeepsServing) {
  constexpr int kServices = 30;
  const std::string probe = guest_path("service_probe", "core").string();
  // No restarts: a refused service stays crashed instead of taking the room
  // the test frees later.
  const auto manifest = temp_.path() / "never.toml";
  write_text(manifest, "[service]\nrestart = \"never\"\n");
  for (int i = 0; i < kServices; ++i) {
    const std::string id = "app.capacity.s" + std::to_string(i);
    ASSERT_EQ(cli({"add", probe, "--id", id, "--manifest", manifest.string()}).exit_code, 0);
  }
  long baseline = 0;
  {
    auto host = start_host_with({});
    baseline = mappings_in_use(host->output());
    host->send_signal(SIGTERM);
    ASSERT_EQ(host->wait(30s), 0);
  }
  ASSERT_GT(baseline, 0);
  // Room for about 15 small services (4 mappings each) over the host itself.
  auto host = start_host_with({"--max-mappings", std::to_string(baseline + 60)});
  std::vector<std::string> running;
  std::vector<std::string> refused;
  for (int i = 0; i < kServices; ++i) {
    const std::string id = "app.capacity.s" + std::to_string(i);
    auto started = cli({"start", id});
    if (started.exit_code == 0) {
      running.push_back(id);
    } else {
      EXPECT_THAT(started.err, HasSubstr("memory mappings")) << started.err;
      EXPECT_THAT(started.err, HasSubstr("vm.max_map_count")) << started.err;
      refused.push_back(id);
    }
  }
  EXPECT_GE(running.size(), 5u) << host->output();
  ASSERT_GE(refused.size(), 1u) << host->output();
  // Refused, not broken: the service says why, the host and every running
  // service carry on.
  EXPECT_EQ(state_of(refused.front()), "crashed");
  auto inspect = cli({"inspect", refused.front()});
  EXPECT_THAT(inspect.out, HasSubstr("memory mappings"));
  for (const auto& id : running) {
    auto call = cli({"call", id, "add(40, 2)"});
    EXPECT_EQ(call.exit_code, 0) << id << ": " << call.err;
    EXPECT_THAT(call.out, HasSubstr("42"));
  }
  // Stopping services gives their room back.
  for (int i = 0; i < 4; ++i) ASSERT_EQ(cli({"stop", running[i]}).exit_code, 0);
  auto again = cli({"restart", refused.front()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(cli({"call", refused.front(), "add(1, 2)"}).exit_code, 0);
  host->send_signal(SIGTERM);
  EXPECT_EQ(host->wait(30s), 0) << host->output();
}

}  // namespace
}  // namespace orivon::testing
