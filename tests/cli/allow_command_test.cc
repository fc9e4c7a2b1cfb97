// `orivon allow` and `orivon deny`: system grants from the command line,
// validated before anything is stored, shown by `orivon inspect`, with and
// without a running host; and a service started with them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

class AllowCommand : public StateDirTest {
 protected:
  void add_callee(const std::string& id, const std::string& manifest = "") {
    std::vector<std::string> args = {"add", guest_path("call_callee", "component").string(),
                                     "--id", id};
    if (!manifest.empty()) {
      const auto path = temp_.path() / (id + ".toml");
      write_text(path, manifest);
      args.push_back("--manifest");
      args.push_back(path.string());
    }
    auto added = cli(args);
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

};

TEST_F(AllowCommand, AMalformedGrantIsAUsageErrorThatShowsTheSyntax) {
  add_callee("app.callee.test");
  auto bad = cli({"allow", "app.callee.test", "env:HOME", "fs:/srv/data=/data", "net:connect:x"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("grant 'fs:/srv/data=/data': no access mode"));
  EXPECT_THAT(bad.err, HasSubstr("grant 'net:connect:x'"));
  EXPECT_THAT(bad.err, HasSubstr("fs:HOST_PATH=GUEST_PATH:ro|rw"));
  EXPECT_THAT(bad.err, HasSubstr("net:connect:HOST:PORT[-PORT]"));
  // Nothing was stored, not even the good one.
  auto shown = cli({"inspect", "app.callee.test", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(nlohmann::json::parse(shown.out)["grants"].empty());
  EXPECT_EQ(cli({"deny", "app.callee.test", "nonsense"}).exit_code, 2);
  EXPECT_EQ(cli({"allow", "Not-An-Id", "env:HOME"}).exit_code, 2);
  EXPECT_EQ(cli({"allow", "app.callee.test"}).exit_code, 2);
}

TEST_F(AllowCommand, HelpHasTheSyntaxAndExamples) {
  auto help = cli({"allow", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("fs:HOST_PATH=GUEST_PATH:ro|rw"));
  EXPECT_THAT(help.out, HasSubstr("orivon allow app.node.example fs:/srv/node=/data:rw"));
  EXPECT_THAT(cli({"deny", "--help"}).out, HasSubstr("Examples:"));
}

TEST_F(AllowCommand, InspectShowsRequestedVersusGranted) {
  add_callee("app.callee.test",
             "requests = [\"env:HOME\", \"net:connect:*:443\", \"fs:/srv/x=/x:ro\", \"bogus\"]\n");
  auto allowed = cli({"allow", "app.callee.test", "env:HOME", "arg:--fast"});
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(allowed.out,
            "allowed app.callee.test env:HOME (environment HOME (orivon's value))\n"
            "allowed app.callee.test arg:--fast (argument '--fast')\n");
  ASSERT_EQ(cli({"deny", "app.callee.test", "net:connect:*:443"}).exit_code, 0);
  auto shown = cli({"inspect", "app.callee.test"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("env:HOME           requested -> granted: environment HOME"));
  EXPECT_THAT(shown.out, HasSubstr("net:connect:*:443  requested -> denied\n"));
  EXPECT_THAT(shown.out, HasSubstr("fs:/srv/x=/x:ro    requested -> undecided (not granted)\n"));
  EXPECT_THAT(shown.out, HasSubstr("bogus              requested -> undecided (not granted) "
                                   "(malformed: grant 'bogus'"));
  EXPECT_THAT(shown.out, HasSubstr("arg:--fast         not requested -> granted: argument"));
  auto json = nlohmann::json::parse(cli({"inspect", "app.callee.test", "--json"}).out);
  EXPECT_EQ(json["grants"][0]["meaning"], "environment HOME (orivon's value)");
}

TEST_F(AllowCommand, TheStateDirectoryIsRefused) {
  add_callee("app.callee.test");
  auto refused = cli({"allow", "app.callee.test", "fs:" + temp_.path().string() + "=/all:rw"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("state directory"));
}

TEST_F(AllowCommand, ThroughARunningHostAServiceGetsItsGrantsAtItsNextStart) {
  add_callee("app.callee.test");
  BackgroundProcess host({orivon_binary().string(), "up", "--state", state().string()});
  ASSERT_TRUE(host.wait_for_output("orivon host up", 60s)) << host.output();
  ASSERT_EQ(cli({"start", "app.callee.test"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "app.callee.test", "env-count()"}).out, "0\n");
  auto allowed = cli({"allow", "app.callee.test", "env:A=1", "env:B=2"});
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_THAT(allowed.err, Not(HasSubstr("no host running")));
  EXPECT_THAT(allowed.out, HasSubstr("gets the change when it restarts"));
  EXPECT_EQ(cli({"call", "app.callee.test", "env-count()"}).out, "0\n");
  ASSERT_EQ(cli({"restart", "app.callee.test"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "app.callee.test", "env-count()"}).out, "2\n");
  ASSERT_EQ(cli({"deny", "app.callee.test", "env:A=1"}).exit_code, 0);
  ASSERT_EQ(cli({"restart", "app.callee.test"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "app.callee.test", "env-count()"}).out, "1\n");
}

}  // namespace
}  // namespace orivon::testing
