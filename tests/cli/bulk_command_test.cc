// Many modules from the command line: `orivon add FILE|DIR...` in batches,
// each one transaction, and `orivon list` paging, with and without a host.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"

namespace orivon::testing {
namespace {

using ::testing::HasSubstr;

class Bulk : public StateDirTest {
 protected:
  // `count` copies of the reactor guest in a directory, named by their ids.
  std::filesystem::path copies(const std::string& dir_name, int count) {
    const auto dir = temp_.path() / dir_name;
    std::filesystem::create_directories(dir);
    for (int i = 0; i < count; ++i) {
      std::filesystem::copy_file(reactor_, dir / ("app.copy.m" + std::to_string(10000 + i) + ".wasm"));
    }
    return dir;
  }

  std::vector<std::string> listed(std::vector<std::string> args) {
    args.insert(args.begin(), {"list", "--json"});
    auto list = cli(args);
    EXPECT_EQ(list.exit_code, 0) << list.err;
    std::vector<std::string> ids;
    auto json = nlohmann::json::parse(list.out, nullptr, false);
    EXPECT_TRUE(json.is_array()) << list.out.substr(0, 200);
    if (!json.is_array()) return ids;
    for (const auto& module : json) ids.push_back(module.value("id", ""));
    return ids;
  }

  const std::filesystem::path reactor_ = guest_path("reactor", "core");
};

// 2,500 copies: several add batches and two list pages inside the CLI,
// through a running host (which bounds each request) and without one.
TEST_F(Bulk, AddsADirectoryInBatchesAndListsItInPages) {
  const auto dir = copies("many", 2500);
  auto host = start_host();
  auto added = cli({"add", dir.string(), "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  auto json = nlohmann::json::parse(added.out, nullptr, false);
  ASSERT_TRUE(json.is_array());
  EXPECT_EQ(json.size(), 2500u);
  EXPECT_EQ(json[0]["id"], "app.copy.m10000");
  EXPECT_THAT(added.err, HasSubstr("installed 2500 of 2500"));

  auto all = listed({});
  ASSERT_EQ(all.size(), 2500u);
  EXPECT_EQ(all.front(), "app.copy.m10000");
  EXPECT_EQ(all.back(), "app.copy.m12499");
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(listed({"--limit", "3"}),
            (std::vector<std::string>{"app.copy.m10000", "app.copy.m10001", "app.copy.m10002"}));
  EXPECT_EQ(listed({"--after", "app.copy.m12497"}),
            (std::vector<std::string>{"app.copy.m12498", "app.copy.m12499"}));
  EXPECT_EQ(listed({"--after", "app.copy.m10001", "--limit", "2100"}).size(), 2100u);
  EXPECT_TRUE(listed({"--after", "app.copy.m12499"}).empty());

  auto table = cli({"list", "--limit", "2"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, HasSubstr("ID"));
  EXPECT_THAT(table.out, HasSubstr("app.copy.m10001"));
  EXPECT_THAT(table.out, ::testing::Not(HasSubstr("app.copy.m10002")));

  auto again = cli({"add", copies("more", 3).string()});
  EXPECT_EQ(again.exit_code, 1) << again.err;  // same ids: already installed
  EXPECT_THAT(again.err, HasSubstr("already installed"));
  EXPECT_THAT(again.err, HasSubstr("installed 0 of 3"));

  // The same without a host: the CLI opens the state once for every page.
  host->send_signal(SIGTERM);
  EXPECT_EQ(host->wait(std::chrono::seconds(60)), 0) << host->output();
  auto direct = cli({"list", "--json"});
  EXPECT_THAT(direct.err, HasSubstr("no host running"));
  EXPECT_EQ(nlohmann::json::parse(direct.out).size(), 2500u);
  EXPECT_EQ(listed({"--after", "app.copy.m10999", "--limit", "1"}),
            std::vector<std::string>{"app.copy.m11000"});
}

// Manifests beside the binaries give ids (and more); a file without one
// is installed under its name, which must then be an id.
TEST_F(Bulk, TakesManifestsBesideTheFiles) {
  const auto dir = temp_.path() / "app";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(reactor_, dir / "calc.wasm");
  std::ofstream(dir / "calc.toml") << "id = \"org.example.calc\"\nversion = \"2.0.0\"\n";
  std::filesystem::copy_file(reactor_, dir / "lib.math.bulk.wasm");
  auto added = cli({"add", (dir / "calc.wasm").string(), (dir / "lib.math.bulk.wasm").string()});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_THAT(added.out, HasSubstr("added org.example.calc"));
  EXPECT_THAT(added.out, HasSubstr("added lib.math.bulk (library"));
  auto list = nlohmann::json::parse(cli({"list", "--json"}).out);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["id"], "org.example.calc");
  EXPECT_EQ(list[1]["version"], "2.0.0");

  // One file alone takes its manifest the same way.
  std::filesystem::copy_file(reactor_, dir / "one.wasm");
  std::ofstream(dir / "one.json") << R"({"id": "org.example.one"})";
  auto one = cli({"add", (dir / "one.wasm").string(), "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(nlohmann::json::parse(one.out)["id"], "org.example.one");  // an object, as before
}

TEST_F(Bulk, RefusesWhatItCannotInstallWithoutInstallingAny) {
  const auto dir = copies("few", 3);
  std::filesystem::copy_file(reactor_, dir / "noid.wasm");
  auto unnamed = cli({"add", dir.string()});
  EXPECT_EQ(unnamed.exit_code, 1);
  EXPECT_THAT(unnamed.err, HasSubstr("noid.wasm': no manifest beside it"));

  std::filesystem::remove(dir / "noid.wasm");
  std::ofstream(dir / "app.bad.one.wasm") << std::string("\0asm\x01\0\0\0garbage", 15);
  auto bad = cli({"add", dir.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("module 1 of 4"));  // app.bad.one sorts first
  EXPECT_THAT(bad.err, HasSubstr("installed 0 of 4"));
  EXPECT_TRUE(listed({}).empty());

  EXPECT_EQ(cli({"add", dir.string(), "--id", "a.b.c"}).exit_code, 2);  // --id names one module
  auto empty = temp_.path() / "empty";
  std::filesystem::create_directories(empty);
  auto none = cli({"add", empty.string()});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("no .wasm file"));
  auto zero = cli({"list", "--limit", "0"});
  EXPECT_EQ(zero.exit_code, 2);
  EXPECT_THAT(zero.err, HasSubstr("N must be a whole number of at least 1, not '0'"));
  EXPECT_EQ(cli({"list", "--limit", "many"}).exit_code, 2);
  EXPECT_EQ(cli({"list", "--limit", "-1"}).exit_code, 2);
  EXPECT_EQ(cli({"top", "--once", "-n", "0"}).exit_code, 2);
}

}  // namespace
}  // namespace orivon::testing
