// `orivon logs` on the log files (no host needed): -t, --tail, --since,
// --all interleaved like `docker compose logs`, hostile arguments and files;
// and `orivon up` printing crashes, restarts and a spent restart budget.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"
#include "support/wait.h"

namespace orivon::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class LogsCommand : public StateDirTest {
 protected:
  // Log files as a host writes them: `<time_ms> <stream> <text>` lines.
  void write_log(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(state() / "logs");
    write_text(state() / "logs" / name, text);
  }
};

TEST_F(LogsCommand, ReadsTheFilesWithoutAHostWithTimestampsTailAndSince) {
  // 1000 ms and 3000 ms after the epoch; the older in the rotated file.
  write_log("app.a.test.log.1", "1000 out first\n");
  write_log("app.a.test.log", "2000 err second\n3000 orivon state running -> crashed: boom\n");
  auto logs = cli({"logs", "app.a.test"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_EQ(logs.out, "[out] first\n[err] second\n[orivon] state running -> crashed: boom\n");

  auto stamped = cli({"logs", "-t", "app.a.test"});
  ASSERT_EQ(stamped.exit_code, 0) << stamped.err;
  EXPECT_THAT(stamped.out, StartsWith("1970-01-01T00:00:01.000Z [out] first\n"));

  EXPECT_EQ(cli({"logs", "--tail", "1", "app.a.test"}).out,
            "[orivon] state running -> crashed: boom\n");
  EXPECT_EQ(cli({"logs", "--tail", "0", "app.a.test"}).out, "");
  EXPECT_EQ(lines_of(cli({"logs", "--tail", "18446744073709551615", "app.a.test"}).out).size(), 3u);
  EXPECT_EQ(cli({"logs", "--since", "1970-01-01T00:00:02Z", "app.a.test"}).out,
            "[err] second\n[orivon] state running -> crashed: boom\n");
  EXPECT_EQ(cli({"logs", "--since", "1970-01-01T01:00:02+01:00", "app.a.test"}).out,
            "[err] second\n[orivon] state running -> crashed: boom\n");
  // Lines from 1970 are older than ten minutes.
  EXPECT_EQ(cli({"logs", "--since", "10m", "app.a.test"}).out, "");

  auto json = cli({"logs", "--json", "app.a.test"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto lines = lines_of(json.out);
  ASSERT_EQ(lines.size(), 3u);
  auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["time_ms"], 1000);
  EXPECT_EQ(first["stream"], "out");
  EXPECT_EQ(first["text"], "first");
}

TEST_F(LogsCommand, AllInterleavesEveryModuleByTimeWithItsId) {
  write_log("app.a.test.log", "1000 out a1\n3000 out a3\n");
  write_log("app.bb.test.log", "2000 err b2\n4000 out b4\n");
  write_log("notes.txt", "5000 out not a log\n");
  write_log("Not An Id.log", "5000 out not a module\n");
  auto all = cli({"logs", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out,
            "app.a.test  | [out] a1\n"
            "app.bb.test | [err] b2\n"
            "app.a.test  | [out] a3\n"
            "app.bb.test | [out] b4\n");
  // --tail counts per module, as docker compose does.
  EXPECT_EQ(cli({"logs", "--all", "--tail", "1"}).out,
            "app.a.test  | [out] a3\n"
            "app.bb.test | [out] b4\n");
  auto json = lines_of(cli({"logs", "--all", "--json", "--since", "1970-01-01T00:00:03Z"}).out);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(json[0])["id"], "app.a.test");
  EXPECT_EQ(nlohmann::json::parse(json[1])["id"], "app.bb.test");
  // No log files at all: nothing, and no error.
  std::filesystem::remove_all(state() / "logs");
  auto none = cli({"logs", "--all"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "");
}

TEST_F(LogsCommand, HostileFilesAndArgumentsGiveClearErrors) {
  // A file edited by hand: lines of other shapes are skipped, control
  // characters cannot reach the terminal.
  write_log("app.a.test.log",
            "garbage\n-5 out negative\n99999999999999999999999 out overflow\n"
            "1000 bogus stream\n1000 out \x1b[2Jcleared\n1000 out\n2000 out \n");
  auto logs = cli({"logs", "app.a.test"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_EQ(logs.out, "[out] negative\n[out] ?[2Jcleared\n[out] \n");

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"logs"}, {"logs", "--all", "app.a.test"},
        {"logs", "NotAnId"}, {"logs", "--tail", "-1", "app.a.test"},
        {"logs", "--tail", "99999999999999999999999", "app.a.test"},
        {"logs", "--tail", "ten", "app.a.test"}}) {
    auto bad = cli(args);
    EXPECT_EQ(bad.exit_code, 2) << args.back() << ": " << bad.err;
    EXPECT_THAT(bad.err, HasSubstr("error"));
  }
  for (const std::string since :
       {"yesterday", "", "-10m", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-12-03T10:00:00", "2026-12-03T24:00:00Z", "2026-12-03T10:00:00+25:00",
        "2026-12-03T10:00:00Zjunk", "2026-12-03T10:00:00.Z"}) {
    auto bad = cli({"logs", "--since", since, "app.a.test"});
    EXPECT_EQ(bad.exit_code, 2) << since;
    EXPECT_THAT(bad.err, HasSubstr("--since")) << since;
  }
  // A huge duration reaches back to 1970, not an error.
  EXPECT_EQ(cli({"logs", "--since", "2562047h", "app.a.test"}).exit_code, 0);

  // A valid id with no files and no module is an error; so is a log "file"
  // that is a directory.
  auto unknown = cli({"logs", "app.none.test"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("app.none.test"));
  std::filesystem::create_directories(state() / "logs" / "app.dir.test.log");
  auto directory = cli({"logs", "app.dir.test"});
  EXPECT_EQ(directory.exit_code, 1);
  EXPECT_THAT(directory.err, HasSubstr("not a regular file"));
}

TEST_F(LogsCommand, ServiceOutputReachesTheFilesAndUpPrintsCrashesAndRestarts) {
  const auto manifest = temp_.path() / "svc.toml";
  write_text(manifest, "[service]\nrestart-budget = 1\n");
  ASSERT_EQ(cli({"add", guest_path("service_probe", "core").string(), "--id", "app.svc.test",
                 "--manifest", manifest.string()})
                .exit_code,
            0);
  // Installed, never ran: no lines, no error.
  auto quiet = cli({"logs", "app.svc.test"});
  EXPECT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "");

  auto host = start_host();
  ASSERT_EQ(cli({"start", "app.svc.test"}).exit_code, 0);
  ASSERT_EQ(cli({"call", "app.svc.test", "say(7)"}).exit_code, 0);
  EXPECT_EQ(cli({"call", "app.svc.test", "trap()"}).exit_code, 134);
  EXPECT_TRUE(host->wait_for_output("app.svc.test crashed: ", 30s)) << host->output();
  EXPECT_TRUE(host->wait_for_output("app.svc.test restarting", 30s)) << host->output();
  ASSERT_TRUE(eventually([&] { return cli({"call", "app.svc.test", "say(8)"}).exit_code == 0; },
                         30s));
  EXPECT_EQ(cli({"call", "app.svc.test", "trap()"}).exit_code, 134);
  EXPECT_TRUE(host->wait_for_output("restart budget exhausted", 30s)) << host->output();

  host->send_signal(SIGTERM);
  EXPECT_EQ(host->wait(30s), 0) << host->output();
  // The host is gone: the files still tell.
  auto logs = cli({"logs", "app.svc.test"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_THAT(logs.out, HasSubstr("[out] hello 7"));
  EXPECT_THAT(logs.out, HasSubstr("[out] hello 8"));
  EXPECT_THAT(logs.out, HasSubstr("not restarting: restart budget exhausted"));
  auto all = cli({"logs", "--all", "-t"});
  EXPECT_THAT(all.out, HasSubstr("app.svc.test | 2"));
  auto follow = cli({"logs", "--follow", "app.svc.test"});
  EXPECT_EQ(follow.exit_code, 1);
  EXPECT_THAT(follow.out, HasSubstr("[out] hello 7"));
  EXPECT_THAT(follow.err, HasSubstr("needs a running host"));
}

TEST_F(LogsCommand, AllFollowsEveryModuleIncludingOnesThatStartLater) {
  const std::string probe = guest_path("service_probe", "core").string();
  ASSERT_EQ(cli({"add", probe, "--id", "app.one.test"}).exit_code, 0);
  ASSERT_EQ(cli({"add", probe, "--id", "app.two.test"}).exit_code, 0);
  auto host = start_host();
  ASSERT_EQ(cli({"start", "app.one.test"}).exit_code, 0);
  ASSERT_EQ(cli({"start", "app.two.test"}).exit_code, 0);
  ASSERT_EQ(cli({"call", "app.one.test", "say(20)"}).exit_code, 0);
  BackgroundProcess follower({orivon_binary().string(), "logs", "--all", "--follow", "--state",
                              state().string()});
  // What the files held, then what the host writes from now on, once each.
  ASSERT_TRUE(follower.wait_for_output("app.one.test | [out] hello 20", 30s)) << follower.output();
  ASSERT_EQ(cli({"call", "app.two.test", "say(22)"}).exit_code, 0);
  EXPECT_TRUE(follower.wait_for_output("app.two.test | [out] hello 22", 30s)) << follower.output();
  ASSERT_EQ(cli({"add", probe, "--id", "app.six.test"}).exit_code, 0);
  ASSERT_EQ(cli({"start", "app.six.test"}).exit_code, 0);
  ASSERT_EQ(cli({"call", "app.six.test", "say(26)"}).exit_code, 0);
  EXPECT_TRUE(follower.wait_for_output("app.six.test | [out] hello 26", 30s)) << follower.output();
  // A removed module is dropped, the others still followed.
  ASSERT_EQ(cli({"remove", "app.two.test"}).exit_code, 0);
  ASSERT_EQ(cli({"call", "app.one.test", "say(21)"}).exit_code, 0);
  EXPECT_TRUE(follower.wait_for_output("app.one.test | [out] hello 21", 30s)) << follower.output();
  follower.send_signal(SIGTERM);
  follower.wait(10s);
  const std::string seen = follower.output();
  EXPECT_EQ(seen.find("hello 20"), seen.rfind("hello 20")) << seen;  // not twice
  EXPECT_THAT(seen, Not(HasSubstr("error")));
}

}  // namespace
}  // namespace orivon::testing
