// `orivon config ID`, `orivon config set` and `orivon config unset`: a
// module's configuration from the command line, with and without a running
// host; a change reaches a running service's next call through
// wasi:config/store with no restart; one module never reads another's.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"

namespace orivon::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kProbe = "app.config-probe.test";

class ConfigCommand : public StateDirTest {
 protected:
  void add_probe(const std::string& id, const std::string& manifest,
                 const std::string& guest = "config_probe") {
    std::vector<std::string> args = {"add", guest_path(guest, "component").string(), "--id", id};
    if (!manifest.empty()) {
      const auto path = temp_.path() / (id + ".toml");
      write_text(path, manifest);
      args.push_back("--manifest");
      args.push_back(path.string());
    }
    auto added = cli(args);
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  std::string call(const std::string& id, const std::string& expression) {
    auto called = cli({"call", id, expression});
    EXPECT_EQ(called.exit_code, 0) << called.err;
    return called.out;
  }
};

TEST_F(ConfigCommand, ShowsSetsAndUnsetsWithoutAHost) {
  add_probe(kProbe, "[config]\nnetwork = \"mainnet\"\nmax-peers = 8\n");
  auto shown = cli({"config", kProbe});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out, "max-peers = \"8\"  (manifest)\nnetwork = \"mainnet\"  (manifest)\n");
  EXPECT_THAT(shown.err, HasSubstr("no host running"));

  auto set = cli({"config", "set", kProbe, "network", "regtest"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "set app.config-probe.test network = \"regtest\" (was \"mainnet\")\n");
  auto multiline = cli({"config", "set", kProbe, "motd", "line 1\nline 2", "--json"});
  ASSERT_EQ(multiline.exit_code, 0) << multiline.err;
  auto set_json = nlohmann::json::parse(multiline.out);
  EXPECT_EQ(set_json["value"], "line 1\nline 2");
  EXPECT_TRUE(set_json["previous"].is_null());

  shown = cli({"config", kProbe});
  EXPECT_EQ(shown.out,
            "max-peers = \"8\"  (manifest)\n"
            "motd = \"line 1\\nline 2\"  (client)\n"
            "network = \"regtest\"  (client; manifest: \"mainnet\")\n");
  auto json = nlohmann::json::parse(cli({"config", kProbe, "--json"}).out);
  EXPECT_EQ(json["values"], (nlohmann::json{
                                {"max-peers", "8"}, {"motd", "line 1\nline 2"}, {"network", "regtest"}}));
  EXPECT_EQ(json["entries"][2]["source"], "client");
  EXPECT_EQ(json["entries"][2]["manifest_value"], "mainnet");

  auto unset = cli({"config", "unset", kProbe, "network"});
  ASSERT_EQ(unset.exit_code, 0) << unset.err;
  EXPECT_EQ(unset.out,
            "unset app.config-probe.test network (the manifest's value \"mainnet\" applies again)\n");
  unset = cli({"config", "unset", kProbe, "motd", "--json"});
  ASSERT_EQ(unset.exit_code, 0) << unset.err;
  EXPECT_TRUE(nlohmann::json::parse(unset.out)["value"].is_null());
  EXPECT_EQ(cli({"config", kProbe}).out,
            "max-peers = \"8\"  (manifest)\nnetwork = \"mainnet\"  (manifest)\n");
}

TEST_F(ConfigCommand, ReadsAValueFromAFile) {
  add_probe(kProbe, "");
  const auto pem = temp_.path() / "cert.pem";
  write_text(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  auto set = cli({"config", "set", kProbe, "tls-cert", "--file", pem.string(), "--json"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(nlohmann::json::parse(set.out)["value"],
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  auto both = cli({"config", "set", kProbe, "tls-cert", "x", "--file", pem.string()});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.err, HasSubstr("either as VALUE or with --file"));
  auto missing = cli({"config", "set", kProbe, "tls-cert", "--file", "/nonexistent/x"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("cannot read '/nonexistent/x'"));
}

TEST_F(ConfigCommand, BadInputIsAClearErrorAndChangesNothing) {
  add_probe(kProbe, "[config]\nnetwork = \"mainnet\"\n");
  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"config"}, 2, "needs a module ID"},
      {{"config", "Not-An-Id"}, 2, "invalid module id"},
      {{"config", "set", kProbe, "Network", "x"}, 2, "uppercase letter 'N'"},
      {{"config", "set", kProbe, std::string(129, 'k'), "x"}, 2, "129 characters long"},
      {{"config", "set", kProbe, "big", std::string(8193, 'v')}, 2,
       "8193 characters; at most 8192"},
      {{"config", "set", kProbe, "esc", "a\x1b[2Jb"}, 2, "control character U+001B"},
      {{"config", "set", kProbe, "bytes", "\xff"}, 2, "not UTF-8"},
      {{"config", "set", kProbe, "network"}, 2, "either as VALUE or with --file"},
      {{"config", "set", "app.missing.test", "network", "x"}, 1, "no module 'app.missing.test'"},
      {{"config", "app.missing.test"}, 1, "no module 'app.missing.test'"},
      {{"config", "unset", kProbe, "network"}, 1, "comes from the manifest"},
      {{"config", "unset", kProbe, "never-set"}, 1, "set no value for 'never-set'"},
  };
  for (const auto& c : cases) {
    auto result = cli(c.args);
    EXPECT_EQ(result.exit_code, c.exit_code) << c.args.back() << "\n" << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << c.args.back();
  }
  EXPECT_EQ(cli({"config", kProbe}).out, "network = \"mainnet\"  (manifest)\n");
}

TEST_F(ConfigCommand, HelpExplainsTheSemanticsWithExamples) {
  auto help = cli({"config", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("wasi:config/store"));
  EXPECT_THAT(help.out, HasSubstr("orivon config set app.node.example network regtest"));
  EXPECT_THAT(cli({"config", "set", "--help"}).out, HasSubstr("--file"));
  EXPECT_THAT(cli({"config", "unset", "--help"}).out, HasSubstr("manifest"));
  EXPECT_THAT(cli({"--help"}).out, HasSubstr("config"));
}

TEST_F(ConfigCommand, ASetIsSeenByTheNextCallOfARunningServiceWithoutARestart) {
  add_probe(kProbe, "[config]\nnetwork = \"mainnet\"\n");
  auto host = start_host();
  ASSERT_EQ(cli({"start", kProbe}).exit_code, 0);
  EXPECT_EQ(call(kProbe, "get(\"network\")"), "ok(some(\"mainnet\"))\n");
  EXPECT_EQ(call(kProbe, "get(\"rpc-user\")"), "ok(none)\n");

  auto set = cli({"config", "set", kProbe, "network", "regtest"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_THAT(set.err, HasSubstr("answered by the running host"));
  ASSERT_EQ(cli({"config", "set", kProbe, "rpc-user", "alice"}).exit_code, 0);
  EXPECT_EQ(call(kProbe, "get(\"network\")"), "ok(some(\"regtest\"))\n");
  EXPECT_EQ(call(kProbe, "get-all()"),
            "ok([(\"network\", \"regtest\"), (\"rpc-user\", \"alice\")])\n");

  ASSERT_EQ(cli({"config", "unset", kProbe, "network"}).exit_code, 0);
  EXPECT_EQ(call(kProbe, "get(\"network\")"), "ok(some(\"mainnet\"))\n");

  // The same instance answered every call: it was never restarted.
  auto listed = nlohmann::json::parse(cli({"list", "--json"}).out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["state"], "running");
  EXPECT_EQ(listed[0]["restarts"], 0);

  // The change was stored: a new host sees it too.
  host.reset();
  host = start_host();
  ASSERT_EQ(cli({"start", kProbe}).exit_code, 0);
  EXPECT_EQ(call(kProbe, "get(\"rpc-user\")"), "ok(some(\"alice\"))\n");
}

TEST_F(ConfigCommand, TheDraftVersionOfTheInterfaceReadsTheSameValues) {
  add_probe(kProbe, "[config]\nnetwork = \"mainnet\"\n", "config_probe_draft");
  ASSERT_EQ(cli({"config", "set", kProbe, "rpc-user", "alice"}).exit_code, 0);
  auto host = start_host();
  ASSERT_EQ(cli({"start", kProbe}).exit_code, 0);
  EXPECT_EQ(call(kProbe, "get-all()"),
            "ok([(\"network\", \"mainnet\"), (\"rpc-user\", \"alice\")])\n");
}

// Hostile: a module asks for keys only another module has. The interface
// names no module, so there is nothing to ask for; the host answers from the
// caller's own configuration, whatever key it guesses.
TEST_F(ConfigCommand, AModuleNeverReadsAnotherModulesConfiguration) {
  add_probe(kProbe, "[config]\nshared-name = \"mine\"\n");
  add_probe("app.victim.test", "[config]\nshared-name = \"victim's\"\nvictim-secret = \"s3cret\"\n");
  ASSERT_EQ(cli({"config", "set", "app.victim.test", "api-token", "t0ken"}).exit_code, 0);
  auto host = start_host();
  ASSERT_EQ(cli({"start", kProbe}).exit_code, 0);
  ASSERT_EQ(cli({"start", "app.victim.test"}).exit_code, 0);
  EXPECT_EQ(call(kProbe, "get-all()"), "ok([(\"shared-name\", \"mine\")])\n");
  for (const char* key : {"victim-secret", "api-token"}) {
    EXPECT_EQ(call(kProbe, std::string("get(\"") + key + "\")"), "ok(none)\n") << key;
  }
  EXPECT_EQ(call(kProbe, "get(\"shared-name\")"), "ok(some(\"mine\"))\n");
  // The victim still reads its own.
  EXPECT_EQ(call("app.victim.test", "get(\"victim-secret\")"), "ok(some(\"s3cret\"))\n");
  // An absurd key from the guest is just absent, however long.
  EXPECT_EQ(call(kProbe, "get(\"" + std::string(100'000, 'k') + "\")"), "ok(none)\n");
  EXPECT_THAT(cli({"config", kProbe}).out, Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace orivon::testing
