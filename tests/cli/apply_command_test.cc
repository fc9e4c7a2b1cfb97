// `orivon apply` through the real binary: the example application from one
// file, applied to a state directory and through a running host; a second
// apply changes nothing, an edited file applies only the difference, and a
// bad file changes nothing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/state_dir_test.h"

namespace orivon::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string module(const std::string& id, const std::string& guest, const std::string& kind,
                   const std::string& rest) {
  return "[[module]]\nid = \"" + id + "\"\nfile = \"" + guest_path(guest, kind).string() +
         "\"\n" + rest + "\n";
}

// The example application (examples/app/app.toml) with absolute paths.
std::string app(const std::string& front_calls, const std::string& front_extra = "") {
  return module("lib.text.demo", "app_text", "component", "") +
         module("group.greeter.demo", "app_greeter_group", "component",
                "members = [\"app.greeter.en\", \"app.greeter.fr\"]") +
         module("app.greeter.en", "app_greeter_en", "component",
                "calls = { \"lib.text.demo\" = [] }\nallow = [\"kv:visits:rw\"]\nstart = true") +
         module("app.greeter.fr", "app_greeter_fr", "component",
                "calls = { \"lib.text.demo\" = [] }\nallow = [\"kv:visits:rw\"]\nstart = true") +
         module("app.stats.go", "stats_go", "core", "start = true") +
         module("app.visits.demo", "app_visits", "component",
                "allow = [\"topic:visits.*:subscribe\"]\nsubscribe = [\"visits.*\"]\nstart = true") +
         module("app.front.demo", "app_front", "component",
                "calls = { \"group.greeter.demo\" = [\"greet\"], \"app.stats.go\" = " + front_calls +
                    " }\nallow = [\"topic:visits.*:publish\"]\nstart = true\n" + front_extra);
}

class ApplyCommand : public StateDirTest {
 protected:
  std::string write_app(const std::string& name, const std::string& text) {
    const auto path = temp_.path() / name;
    write_text(path, text);
    return path.string();
  }
};

TEST_F(ApplyCommand, AppliesAWholeApplicationThenNothingThenOnlyTheDifference) {
  const auto file = write_app("app.toml", app("[\"record\", \"count\"]"));
  auto dry = cli({"apply", file, "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  auto planned = nlohmann::json::parse(dry.out);
  EXPECT_EQ(planned["changes"].size(), 23u) << dry.out;
  EXPECT_EQ(planned["applied"], 0);
  EXPECT_EQ(cli({"list", "--json"}).out, "[]\n");  // the dry run changed nothing

  auto first = cli({"apply", file});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("+ grant app.front.demo -> group.greeter.demo: greet\n"));
  EXPECT_THAT(first.out, HasSubstr("applied 23 changes"));
  auto again = cli({"apply", file});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "nothing to change: 7 modules as the file says\n");

  // The application works as wired: front -> group -> greeter -> library.
  auto host = start_host();
  auto hello = cli({"call", "app.front.demo", "hello(\"Ada\")"});
  ASSERT_EQ(hello.exit_code, 0) << hello.err;
  EXPECT_THAT(hello.out, HasSubstr("Hello, ADA!"));

  // An edit applies only its difference, through the running host.
  const auto edited = write_app("app2.toml", app("[\"record\"]", "config = { greeting = \"hi\" }"));
  auto changed = cli({"apply", edited});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.out,
            "- revoke app.front.demo -> app.stats.go (to grant what the file says)\n"
            "+ grant app.front.demo -> app.stats.go: record\n"
            "~ config app.front.demo greeting = \"hi\"\n"
            "applied 3 changes\n");
  EXPECT_THAT(changed.err, HasSubstr("through the running host"));
  auto grants = cli({"grants", "app.front.demo"});
  EXPECT_THAT(grants.out, HasSubstr("app.front.demo -> app.stats.go: record\n"));
  EXPECT_EQ(cli({"apply", edited}).out, "nothing to change: 7 modules as the file says\n");
  // Back to the first file: the config value the file no longer gives goes.
  auto back = cli({"apply", file});
  EXPECT_THAT(back.out, HasSubstr("- config app.front.demo greeting (no longer in the file)\n"));
}

// An application file's entry for the hello HTTP handler under `id`, with
// `manifest` and `routes` (a TOML array).
std::string http_module(const std::string& id, const std::filesystem::path& manifest,
                        const std::string& routes) {
  return "[[module]]\nid = \"" + id + "\"\nfile = \"" +
         guest_path("http_hello", "component").string() + "\"\nmanifest = \"" +
         manifest.string() + "\"\nroutes = " + routes + "\n";
}

TEST_F(ApplyCommand, RoutesFollowTheFile) {
  const auto manifest = temp_.path() / "hello.toml";
  write_text(manifest, "[function]\n");
  auto hello = [&](const std::string& routes) {
    return http_module("app.hello.test", manifest, routes);
  };
  const auto file = write_app("http.toml", hello("[\"/hello\", \"Example.COM/api/\"]"));
  auto first = cli({"apply", file});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("+ route /hello -> app.hello.test\n"));
  // Written in another form than the host keeps it: still the same route.
  EXPECT_EQ(cli({"apply", file}).out, "nothing to change: 1 modules as the file says\n");
  auto routes = nlohmann::json::parse(cli({"routes", "--json"}).out);
  EXPECT_EQ(routes.size(), 2u) << routes.dump();

  const auto moved = write_app("http2.toml", hello("[\"/hi\"]"));
  auto changed = cli({"apply", moved});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_THAT(changed.out, HasSubstr("+ route /hi -> app.hello.test\n"));
  EXPECT_THAT(changed.out, HasSubstr("- route /hello (no longer in the file)\n"));
  EXPECT_THAT(changed.out, HasSubstr("applied 3 changes"));
  routes = nlohmann::json::parse(cli({"routes", "--json"}).out);
  ASSERT_EQ(routes.size(), 1u) << routes.dump();
  EXPECT_EQ(routes[0]["prefix"], "/hi");
}

// A manifest's http trigger routes are the module's own: the file's routes
// add to them, and apply never takes them away.
TEST_F(ApplyCommand, LeavesTheManifestsRoutesAlone) {
  const auto manifest = temp_.path() / "routed.toml";
  write_text(manifest, "[function]\n\n[[triggers]]\nkind = \"http\"\nroute = \"/mine\"\n");
  auto routed = [&](const std::string& routes) {
    return http_module("app.routed.test", manifest, routes);
  };
  const auto file = write_app("app.toml", routed("[\"/extra\", \"/mine/\"]"));
  auto first = cli({"apply", file});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("+ route /extra -> app.routed.test\n"));
  EXPECT_THAT(first.out, Not(HasSubstr("/mine")));  // it comes with the add
  auto routes = nlohmann::json::parse(cli({"routes", "--json"}).out);
  EXPECT_EQ(routes.size(), 2u) << routes.dump();
  EXPECT_EQ(cli({"apply", file}).out, "nothing to change: 1 modules as the file says\n");

  const auto fewer = write_app("fewer.toml", routed("[]"));
  auto changed = cli({"apply", fewer});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_EQ(changed.out, "- route /extra (no longer in the file)\napplied 1 changes\n");
  routes = nlohmann::json::parse(cli({"routes", "--json"}).out);
  ASSERT_EQ(routes.size(), 1u) << routes.dump();
  EXPECT_EQ(routes[0]["prefix"], "/mine");
  EXPECT_EQ(cli({"apply", fewer}).out, "nothing to change: 1 modules as the file says\n");
}

TEST_F(ApplyCommand, ABadFileIsAClearErrorAndChangesNothing) {
  const std::string ok = module("lib.text.demo", "app_text", "component", "");
  struct Case {
    std::string text;
    std::string says;
  };
  // A header 100,000 tables deep: toml++ alone overflows its stack on it.
  std::string deep = "[a";
  for (int i = 1; i < 100000; ++i) deep += ".a";
  deep += "]\n";
  const std::vector<Case> cases = {
      {deep, "nest more than 32 levels deep"},
      {"[[module]]\nid = \"lib.text.demo\"\nfiles = \"x\"\n", "unknown key"},
      {"[app]\nname = \"x\"\n", "an application file has only [[module]]"},
      {"", "no [[module]] tables"},
      {"[[module]]\nid = \"Not An Id\"\n", "Not An Id"},
      {ok + ok, "is listed twice"},
      {"[[module]]\nid = \"app.a.test\"\nfile = \"missing.wasm\"\n", "cannot read"},
      {"[[module]]\nid = \"app.a.test\"\n", "is not installed"},
      {"[[module]]\nid = \"app.a.test\"\ncalls = \"lib.text.demo\"\n", "expected a table"},
      {"[[module]]\nid = \"app.a.test\"\nstart = \"yes\"\n", "expected true or false"},
      {"[[module\nid = 1\n", "app.toml"},
      {ok + "[[module]]\nid = \"app.b.test\"\ncalls = { \"bad id\" = [] }\n", "bad id"},
  };
  for (const auto& c : cases) {
    const auto file = write_app("app.toml", c.text);
    auto result = cli({"apply", file});
    EXPECT_EQ(result.exit_code, 1) << c.text.substr(0, 200);
    EXPECT_THAT(result.err, HasSubstr(c.says)) << c.text.substr(0, 200);
  }
  EXPECT_EQ(cli({"list", "--json"}).out, "[]\n");
  auto none = cli({"apply", (temp_.path() / "nothing.toml").string()});
  EXPECT_EQ(none.exit_code, 1);

  // A change the runtime refuses stops the apply, saying how far it got.
  const auto refused = write_app(
      "refused.toml", ok + "allow = [\"env:HOME\", \"bogus:grant\"]\n");
  auto partial = cli({"apply", refused, "--json"});
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_THAT(partial.err, HasSubstr("bogus:grant"));
  EXPECT_THAT(partial.err, HasSubstr("changes were applied before it"));
  auto reported = nlohmann::json::parse(partial.out);
  EXPECT_THAT(reported["error"]["message"].get<std::string>(),
              HasSubstr("changes were applied before it"));
}

}  // namespace
}  // namespace orivon::testing
