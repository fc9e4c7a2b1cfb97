// Changing grant decisions after the fact: `allow --requested`, `forget`,
// `update --manifest`, and a deny that takes back a name's or a guest
// path's variants. Through the real CLI, with and without a host.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
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

class GrantDecisions : public StateDirTest {
 protected:
  std::string write_manifest(const std::string& name, const std::string& text) {
    const auto path = temp_.path() / name;
    write_text(path, text);
    return path.string();
  }

  void add_callee(const std::string& id, const std::string& manifest = "") {
    std::vector<std::string> args = {"add", callee_, "--id", id};
    if (!manifest.empty()) {
      args.push_back("--manifest");
      args.push_back(write_manifest(id + ".toml", manifest));
    }
    auto added = cli(args);
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  // Each grant inspect shows, with its status: "granted", "denied", "undecided".
  std::map<std::string, std::string> statuses(const std::string& id) {
    auto shown = cli({"inspect", id, "--json"});
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    std::map<std::string, std::string> out;
    auto json = nlohmann::json::parse(shown.out, nullptr, false);
    for (const auto& grant : json["grants"]) out[grant["grant"]] = grant["status"];
    return out;
  }

  const std::string callee_ = guest_path("call_callee", "component").string();
};

TEST_F(GrantDecisions, AllowRequestedAcceptsExactlyWhatTheManifestRequests) {
  add_callee("app.callee.test", "requests = [\"env:HOME\", \"arg:--fast\"]\n");
  auto allowed = cli({"allow", "app.callee.test", "--requested"});
  ASSERT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(allowed.out,
            "allowed app.callee.test env:HOME (environment HOME (orivon's value))\n"
            "allowed app.callee.test arg:--fast (argument '--fast')\n");
  EXPECT_EQ(statuses("app.callee.test"),
            (std::map<std::string, std::string>{{"env:HOME", "granted"},
                                                {"arg:--fast", "granted"}}));
  // Again: the same, nothing new.
  EXPECT_EQ(cli({"allow", "app.callee.test", "--requested"}).exit_code, 0);

  // No manifest, or a malformed request: an error, and nothing is recorded.
  add_callee("app.bare.test");
  auto bare = cli({"allow", "app.bare.test", "--requested"});
  EXPECT_EQ(bare.exit_code, 1);
  EXPECT_THAT(bare.err, HasSubstr("requests no grants"));
  add_callee("app.bogus.test", "requests = [\"env:A=1\", \"bogus\"]\n");
  auto bogus = cli({"allow", "app.bogus.test", "--requested"});
  EXPECT_EQ(bogus.exit_code, 1);
  EXPECT_THAT(bogus.err, HasSubstr("grant 'bogus'"));
  EXPECT_EQ(statuses("app.bogus.test")["env:A=1"], "undecided");

  EXPECT_EQ(cli({"deny", "app.callee.test", "--requested"}).exit_code, 2);
  EXPECT_EQ(cli({"allow", "app.none.test", "--requested"}).exit_code, 1);
  EXPECT_EQ(cli({"allow", "Bad-Id", "--requested"}).exit_code, 2);
  EXPECT_THAT(cli({"allow", "--help"}).out, HasSubstr("--requested"));
}

TEST_F(GrantDecisions, ForgetReturnsAGrantToUndecided) {
  add_callee("app.callee.test", "requests = [\"env:HOME\", \"net:connect:*:443\"]\n");
  ASSERT_EQ(cli({"allow", "app.callee.test", "env:HOME", "http:https://API.example.com/"}).exit_code,
            0);
  ASSERT_EQ(cli({"deny", "app.callee.test", "net:connect:*:443"}).exit_code, 0);
  auto forgot = cli({"forget", "app.callee.test", "env:HOME", "net:connect:*:443"});
  ASSERT_EQ(forgot.exit_code, 0) << forgot.err;
  EXPECT_EQ(forgot.out,
            "forgot app.callee.test env:HOME (now undecided)\n"
            "forgot app.callee.test net:connect:*:443 (now undecided)\n");
  // Found by meaning, whatever the spelling.
  auto origin = cli({"forget", "app.callee.test", "http:https://api.example.com", "--json"});
  ASSERT_EQ(origin.exit_code, 0) << origin.err;
  EXPECT_EQ(nlohmann::json::parse(origin.out)["forgotten"][0], "http:https://API.example.com/");
  EXPECT_EQ(statuses("app.callee.test"),
            (std::map<std::string, std::string>{{"env:HOME", "undecided"},
                                                {"net:connect:*:443", "undecided"}}));

  auto again = cli({"forget", "app.callee.test", "env:HOME"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("no decision on 'env:HOME'"));
  EXPECT_EQ(cli({"forget", "app.callee.test", "nonsense"}).exit_code, 2);
  EXPECT_EQ(cli({"forget", "Bad-Id", "env:HOME"}).exit_code, 2);
  EXPECT_EQ(cli({"forget", "app.callee.test"}).exit_code, 2);
  auto unknown = cli({"forget", "app.none.test", "env:HOME"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("app.none.test"));
  EXPECT_THAT(cli({"forget", "--help"}).out, HasSubstr("undecided"));
}

TEST_F(GrantDecisions, ADenyTakesBackTheVariantsOfANameOrGuestPath) {
  add_callee("app.callee.test");
  const auto data = temp_.path() / "data";
  std::filesystem::create_directories(data);
  ASSERT_EQ(cli({"allow", "app.callee.test", "env:MODE=fast", "env:OTHER=1",
                 "fs:" + data.string() + "=/data:ro"})
                .exit_code,
            0);
  auto denied = cli({"deny", "app.callee.test", "env:MODE"});
  ASSERT_EQ(denied.exit_code, 0) << denied.err;
  EXPECT_THAT(denied.out, HasSubstr("took back app.callee.test env:MODE=fast"));
  auto path = cli({"deny", "app.callee.test", "fs:" + data.string() + "=/data:rw", "--json"});
  ASSERT_EQ(path.exit_code, 0) << path.err;
  EXPECT_EQ(nlohmann::json::parse(path.out)["taken_back"][0], "fs:" + data.string() + "=/data:ro");
  auto shown = statuses("app.callee.test");
  EXPECT_EQ(shown["env:MODE=fast"], "denied");
  EXPECT_EQ(shown["env:OTHER=1"], "granted");
  EXPECT_EQ(shown["fs:" + data.string() + "=/data:ro"], "denied");

  // A running service loses the variable at its restart.
  auto host = start_host();
  ASSERT_EQ(cli({"allow", "app.callee.test", "env:A=1"}).exit_code, 0);
  ASSERT_EQ(cli({"start", "app.callee.test"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "app.callee.test", "env-count()"}).out, "2\n");
  ASSERT_EQ(cli({"deny", "app.callee.test", "env:A"}).exit_code, 0);
  ASSERT_EQ(cli({"restart", "app.callee.test"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "app.callee.test", "env-count()"}).out, "1\n");
}

TEST_F(GrantDecisions, UpdateReplacesTheManifestAndRestartsARunningService) {
  add_callee("app.callee.test", "requests = [\"env:HOME\"]\n");
  ASSERT_EQ(cli({"allow", "app.callee.test", "arg:--kept"}).exit_code, 0);
  const auto next = write_manifest("next.toml", "version = \"2\"\nrequests = [\"env:B=2\"]\n");
  auto updated = cli({"update", "app.callee.test", "--manifest", next});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_THAT(updated.out, HasSubstr("updated app.callee.test"));
  EXPECT_EQ(statuses("app.callee.test"),
            (std::map<std::string, std::string>{{"env:B=2", "undecided"},
                                                {"arg:--kept", "granted"}}));
  ASSERT_EQ(cli({"allow", "app.callee.test", "--requested"}).exit_code, 0);
  EXPECT_EQ(statuses("app.callee.test")["env:B=2"], "granted");

  // Hostile and invalid: nothing changes.
  const auto other = write_manifest("other.toml", "id = \"app.other.test\"\n");
  auto wrong_id = cli({"update", "app.callee.test", "--manifest", other});
  EXPECT_EQ(wrong_id.exit_code, 1);
  EXPECT_THAT(wrong_id.err, HasSubstr("differs"));
  const auto broken = write_manifest("broken.toml", "requests = 3\n");
  EXPECT_EQ(cli({"update", "app.callee.test", "--manifest", broken}).exit_code, 1);
  EXPECT_EQ(cli({"update", "app.callee.test", "--manifest", (temp_.path() / "none.toml").string()})
                .exit_code,
            1);
  EXPECT_EQ(cli({"update", "app.callee.test", "--manifest", temp_.path().string()}).exit_code, 1);
  EXPECT_EQ(cli({"update", "app.callee.test"}).exit_code, 2);
  EXPECT_EQ(cli({"update", "Bad-Id", "--manifest", next}).exit_code, 2);
  EXPECT_EQ(cli({"update", "app.none.test", "--manifest", next}).exit_code, 1);
  EXPECT_EQ(statuses("app.callee.test")["env:B=2"], "granted");

  // A running service restarts on its new manifest (and code).
  auto host = start_host();
  ASSERT_EQ(cli({"start", "app.callee.test"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "app.callee.test", "env-count()"}).out, "1\n");
  const auto third = write_manifest("third.toml", "requests = [\"env:C=3\"]\n");
  ASSERT_EQ(cli({"allow", "app.callee.test", "env:C=3"}).exit_code, 0);
  auto running = cli({"update", "app.callee.test", callee_, "--manifest", third});
  ASSERT_EQ(running.exit_code, 0) << running.err;
  EXPECT_THAT(running.out, HasSubstr("it restarted on the update"));
  EXPECT_EQ(cli({"call", "app.callee.test", "env-count()"}).out, "2\n");
  auto json = nlohmann::json::parse(cli({"inspect", "app.callee.test", "--json"}).out);
  EXPECT_EQ(json["state"], "running");
}

}  // namespace
}  // namespace orivon::testing
