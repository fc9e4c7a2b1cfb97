// `orivon triggers` and function modules through the real binary and a real
// host: a function called through the control socket, and a timer counted by
// real time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"
#include "support/wait.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kFunction = "app.fn.cli";

class TriggersCli : public StateDirTest {
 protected:
  void add(const std::string& id, const std::string& manifest) {
    const auto path = temp_.path() / (id + ".toml");
    write_text(path, manifest);
    auto added = cli({"add", guest_path("service_probe", "core").string(), "--id", id,
                      "--manifest", path.string()});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  nlohmann::json triggers_json(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"triggers", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto result = cli(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out, nullptr, false);
  }
};

TEST_F(TriggersCli, ATimerRunsAFunctionInTheHostAndTheCountsShow) {
  add(kFunction,
      "[function]\n[[triggers]]\nkind = \"timer\"\nevery = \"100ms\"\ncall = \"calls\"\n");
  // Before any host: the trigger is listed with nothing recorded.
  auto before = triggers_json({kFunction});
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0]["kind"], "timer");
  EXPECT_EQ(before[0]["every"], "100ms");
  EXPECT_EQ(before[0]["function"], true);
  EXPECT_EQ(before[0]["runs"], 0);
  EXPECT_TRUE(before[0]["next_run_ms"].is_null());

  auto host = start_host();
  ASSERT_TRUE(eventually([&] { return triggers_json()[0]["runs"].get<int>() >= 3; }, 20s));
  auto live = triggers_json();
  EXPECT_EQ(live[0]["last_result"], "ok");
  EXPECT_TRUE(live[0]["next_run_ms"].is_number_integer());

  // A function is called like a service, through the host, in a fresh
  // instance: its counter never passes 1.
  auto first = cli({"call", kFunction, "calls()"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "1\n");
  auto refused = cli({"start", kFunction});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("is a function"));

  auto text = cli({"triggers"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("every 100ms"));
  EXPECT_THAT(text.out, HasSubstr("timer*"));
}

TEST_F(TriggersCli, BadArgumentsAreUsageErrors) {
  auto bad = cli({"triggers", "Not An Id"});
  EXPECT_EQ(bad.exit_code, 2);
  auto unknown = cli({"triggers", "app.nothing.here"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("app.nothing.here"));
  auto none = cli({"triggers"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "no triggers\n");
  auto help = cli({"triggers", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("next run"));
}

}  // namespace
}  // namespace orivon::testing
