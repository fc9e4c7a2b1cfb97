// `orivon grant`, `orivon revoke`, `orivon grants`, the call grants in
// `orivon inspect`, and `orivon call` of a library: real processes on a real
// state directory, with and without a running host.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
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
using ::testing::StartsWith;

class GrantCommand : public StateDirTest {
 protected:
  void add(const std::string& file, const std::string& id) {
    auto added = cli({"add", file, "--id", id});
    ASSERT_EQ(added.exit_code, 0) << added.err;
  }

  nlohmann::json grants_json(std::vector<std::string> args = {}) {
    args.insert(args.begin(), "grants");
    args.push_back("--json");
    auto listed = cli(args);
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return nlohmann::json::parse(listed.out, nullptr, false);
  }

  // Core module exporting add, ping, say, trap, ...
  const std::string probe_ = guest_path("service_probe", "core").string();
  // Core module exporting add, mul64, half, ...
  const std::string reactor_ = guest_path("reactor", "core").string();
  // Component exporting greet, sum, translate, ... at the top level.
  const std::string typed_ = guest_path("typed", "component").string();
  // Command component: exports run inside the interface wasi:cli/run@0.2.x.
  const std::string command_ = guest_path("cli_probe", "component").string();
};

TEST_F(GrantCommand, GrantsEveryOrSelectedFunctionsWithoutAHost) {
  add(reactor_, "app.front.test");
  add(probe_, "app.probe.test");
  add(typed_, "app.typed.test");

  auto selected = cli({"grant", "app.front.test", "app.probe.test", "ping", "add"});
  EXPECT_EQ(selected.exit_code, 0) << selected.err;
  EXPECT_EQ(selected.out, "granted app.front.test -> app.probe.test: add, ping\n");
  EXPECT_THAT(selected.err, HasSubstr("no host running"));
  auto all = cli({"grant", "app.front.test", "app.typed.test"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out, "granted app.front.test -> app.typed.test: all functions\n");
  auto component = cli({"grant", "app.typed.test", "app.front.test", "add", "--json"});
  ASSERT_EQ(component.exit_code, 0) << component.err;
  auto granted = nlohmann::json::parse(component.out);
  EXPECT_EQ(granted["functions"], nlohmann::json::array({"add"}));
  EXPECT_EQ(granted["all"], false);

  auto listed = cli({"grants"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out,
            "app.front.test -> app.probe.test: add, ping\n"
            "app.front.test -> app.typed.test: all functions\n"
            "app.typed.test -> app.front.test: add\n");
  auto front = grants_json({"app.front.test"});
  ASSERT_TRUE(front.is_array());
  ASSERT_EQ(front.size(), 2u);
  EXPECT_EQ(front[0]["caller"], "app.front.test");
  EXPECT_EQ(front[0]["target"], "app.probe.test");
  EXPECT_EQ(front[0]["functions"], nlohmann::json::array({"add", "ping"}));
  EXPECT_EQ(front[1]["all"], true);
  EXPECT_EQ(front[1]["functions"], nlohmann::json::array());
  EXPECT_EQ(cli({"grants", "app.probe.test"}).out, "app.probe.test holds no call grants\n");

  // inspect shows both directions.
  auto inspect = cli({"inspect", "app.front.test"});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr("  may call:\n    app.probe.test: add, ping\n"
                                     "    app.typed.test: all functions\n"));
  EXPECT_THAT(inspect.out, HasSubstr("  called by:\n    app.typed.test: add\n"));
  auto details = nlohmann::json::parse(cli({"inspect", "app.probe.test", "--json"}).out);
  EXPECT_EQ(details["may_call"], nlohmann::json::array());
  ASSERT_EQ(details["called_by"].size(), 1u);
  EXPECT_EQ(details["called_by"][0]["caller"], "app.front.test");
  EXPECT_THAT(cli({"inspect", "app.probe.test"}).out, HasSubstr("  may call: none\n"));
}

TEST_F(GrantCommand, UnqualifiedNamesBecomeTheTargetsExportNames) {
  add(reactor_, "app.front.test");
  add(command_, "app.command.test");
  auto granted = cli({"grant", "app.front.test", "app.command.test", "run", "--json"});
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  const auto functions = nlohmann::json::parse(granted.out)["functions"];
  ASSERT_EQ(functions.size(), 1u);
  const std::string qualified = functions[0].get<std::string>();
  EXPECT_THAT(qualified, StartsWith("wasi:cli/run@"));
  EXPECT_TRUE(qualified.ends_with("#run")) << qualified;
  EXPECT_EQ(grants_json()[0]["functions"], nlohmann::json::array({qualified}));

  // The same short name revokes it.
  auto revoked = cli({"revoke", "app.front.test", "app.command.test", "run"});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(revoked.out, "revoked app.front.test -> app.command.test: " + qualified + "\n");
  EXPECT_EQ(grants_json(), nlohmann::json::array());
}

TEST_F(GrantCommand, BadGrantsAreRefusedClearly) {
  add(reactor_, "app.front.test");
  add(probe_, "app.probe.test");
  add(typed_, "app.typed.test");

  auto core = cli({"grant", "app.front.test", "app.probe.test", "add", "nosuch"});
  EXPECT_EQ(core.exit_code, 1);
  EXPECT_THAT(core.err, HasSubstr("exports no function 'nosuch'"));
  for (const char* function : {"add", "ping", "say", "trap"}) {
    EXPECT_THAT(core.err, HasSubstr(function));  // lists what exists
  }
  auto component = cli({"grant", "app.front.test", "app.typed.test", "greeet"});
  EXPECT_EQ(component.exit_code, 1);
  EXPECT_THAT(component.err, HasSubstr("'greeet'"));
  EXPECT_THAT(component.err, HasSubstr("greet, "));
  EXPECT_THAT(component.err, HasSubstr("sum"));

  auto unknown = cli({"grant", "app.front.test", "no.such.module"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no module 'no.such.module' is installed"));
  auto bad_id = cli({"grant", "NotAnId", "app.probe.test"});
  EXPECT_EQ(bad_id.exit_code, 2);
  EXPECT_THAT(bad_id.err, HasSubstr("NotAnId"));
  EXPECT_EQ(cli({"revoke", "app.front.test", "bad..id"}).exit_code, 2);
  EXPECT_EQ(cli({"grants", "Bad"}).exit_code, 2);
  auto self = cli({"grant", "app.front.test", "app.front.test"});
  EXPECT_EQ(self.exit_code, 1);
  EXPECT_THAT(self.err, HasSubstr("its own functions"));
  auto missing_target = cli({"grant", "app.front.test"});
  EXPECT_EQ(missing_target.exit_code, 2);
  EXPECT_THAT(missing_target.err, HasSubstr("TARGET"));

  // Nothing was stored by the refusals.
  EXPECT_EQ(grants_json(), nlohmann::json::array());
}

TEST_F(GrantCommand, KindRulesAreEnforced) {
  add(probe_, "app.probe.test");
  add(reactor_, "lib.math.test");
  add(typed_, "lib.typed.test");
  add(reactor_, "group.math.test");

  auto library_to_service = cli({"grant", "lib.math.test", "app.probe.test", "ping"});
  EXPECT_EQ(library_to_service.exit_code, 1);
  EXPECT_THAT(library_to_service.err,
              HasSubstr("'lib.math.test' is a library: it may be granted only other libraries"));
  EXPECT_THAT(library_to_service.err, HasSubstr("service 'app.probe.test'"));
  auto group_to_library = cli({"grant", "group.math.test", "lib.math.test"});
  EXPECT_EQ(group_to_library.exit_code, 1);
  EXPECT_THAT(group_to_library.err, HasSubstr("is a group"));

  auto library_to_library = cli({"grant", "lib.math.test", "lib.typed.test", "greet"});
  EXPECT_EQ(library_to_library.exit_code, 0) << library_to_library.err;
  EXPECT_EQ(library_to_library.out, "granted lib.math.test -> lib.typed.test: greet\n");
  EXPECT_EQ(cli({"grant", "app.probe.test", "lib.math.test"}).exit_code, 0);
  EXPECT_EQ(cli({"grant", "app.probe.test", "group.math.test"}).exit_code, 0);
  EXPECT_EQ(grants_json().size(), 3u);
}

TEST_F(GrantCommand, AGroupIsGrantedItsMembersWhole) {
  // The command component exports one interface, wasi:cli/run, so it can
  // serve as a group's binary and as a member.
  add(command_, "group.run.test");
  add(command_, "app.command.test");
  add(probe_, "app.probe.test");

  auto named = cli({"grant", "group.run.test", "app.command.test", "run"});
  EXPECT_EQ(named.exit_code, 1);
  EXPECT_THAT(named.err, HasSubstr("leave out the function names"));
  auto not_exporting = cli({"grant", "group.run.test", "app.probe.test"});
  EXPECT_EQ(not_exporting.exit_code, 1);
  EXPECT_THAT(not_exporting.err, HasSubstr("cannot join group 'group.run.test'"));
  auto member = cli({"grant", "group.run.test", "app.command.test"});
  EXPECT_EQ(member.exit_code, 0) << member.err;
  EXPECT_EQ(member.out,
            "granted group.run.test -> app.command.test: all functions "
            "(app.command.test is a member of group.run.test)\n");
  EXPECT_THAT(cli({"inspect", "group.run.test"}).out,
              HasSubstr("  members:\n    app.command.test: all functions\n"));
}

TEST_F(GrantCommand, RevokesSelectedOrAllAndRefusesWhatIsNotHeld) {
  add(reactor_, "app.front.test");
  add(probe_, "app.probe.test");
  ASSERT_EQ(cli({"grant", "app.front.test", "app.probe.test", "add", "ping", "say"}).exit_code, 0);

  auto one = cli({"revoke", "app.front.test", "app.probe.test", "ping"});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out,
            "revoked app.front.test -> app.probe.test: ping\n"
            "app.front.test still may call app.probe.test: add, say\n");
  auto again = cli({"revoke", "app.front.test", "app.probe.test", "ping"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("holds no such grant to 'app.probe.test'"));
  EXPECT_THAT(again.err, HasSubstr("it holds add, say"));

  auto all = cli({"revoke", "app.front.test", "app.probe.test", "--json"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  auto revoked = nlohmann::json::parse(all.out);
  EXPECT_EQ(revoked["all"], true);
  EXPECT_TRUE(revoked["remaining"].is_null());
  EXPECT_EQ(cli({"grants", "app.front.test"}).out, "app.front.test holds no call grants\n");
  auto nothing = cli({"revoke", "app.front.test", "app.probe.test"});
  EXPECT_EQ(nothing.exit_code, 1);
  EXPECT_THAT(nothing.err, HasSubstr("holds no such grant"));

  // Holding every function, a single name cannot be taken back alone.
  ASSERT_EQ(cli({"grant", "app.front.test", "app.probe.test"}).exit_code, 0);
  auto part = cli({"revoke", "app.front.test", "app.probe.test", "add"});
  EXPECT_EQ(part.exit_code, 1);
  EXPECT_THAT(part.err, HasSubstr("it holds every function"));

  auto unknown = cli({"grants", "no.such.module"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no module 'no.such.module' is installed"));
}

TEST_F(GrantCommand, GrantsGoThroughAHostAndSurviveItsRestart) {
  add(reactor_, "app.front.test");
  add(probe_, "app.probe.test");
  add(typed_, "lib.typed.test");
  // Made without a host, seen by the next one.
  ASSERT_EQ(cli({"grant", "app.front.test", "lib.typed.test", "greet"}).exit_code, 0);
  {
    auto host = start_host();
    auto granted = cli({"grant", "app.front.test", "app.probe.test", "add", "say"});
    EXPECT_EQ(granted.exit_code, 0) << granted.err;
    EXPECT_THAT(granted.err, HasSubstr("answered by the running host"));
    EXPECT_EQ(granted.out, "granted app.front.test -> app.probe.test: add, say\n");
    auto revoked = cli({"revoke", "app.front.test", "app.probe.test", "say"});
    EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
    EXPECT_THAT(revoked.err, HasSubstr("answered by the running host"));
    auto refused = cli({"grant", "lib.typed.test", "app.probe.test"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_THAT(refused.err, HasSubstr("is a library"));
    auto unknown = cli({"grant", "app.front.test", "app.probe.test", "nosuch"});
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_THAT(unknown.err, HasSubstr("ping"));
    auto inspect = cli({"inspect", "app.front.test"});
    EXPECT_THAT(inspect.out, HasSubstr("    app.probe.test: add\n"));
    EXPECT_THAT(inspect.out, HasSubstr("    lib.typed.test: greet\n"));
    for (const auto& module : nlohmann::json::parse(cli({"list", "--json"}).out)) {
      EXPECT_EQ(module["denied_calls"], 0) << module["id"];
    }
    host->send_signal(SIGTERM);
    EXPECT_EQ(host->wait(30s), 0) << host->output();
  }
  auto host = start_host();
  auto listed = cli({"grants"});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.err, HasSubstr("answered by the running host"));
  EXPECT_EQ(listed.out,  // a caller's grants in the order they were made
            "app.front.test -> lib.typed.test: greet\n"
            "app.front.test -> app.probe.test: add\n");
}

// A missing grant shows before a call traps: `inspect` gives each import's
// route, `start` warns once per import no call can pass (on stderr, and in
// the service's log when a host starts it), and a failure two hops down
// reaches the client with its cause.
TEST_F(GrantCommand, ImportRoutesShowInInspectAndStartWarnsOfMissingGrants) {
  add(guest_path("chain_bottom", "core").string(), "test.chain.bottom");
  add(guest_path("chain_middle", "component").string(), "test.chain.middle");
  add(guest_path("chain_top", "component").string(), "test.chain.top");
  const std::string upper = "orivon:chain/upper@0.1.0";

  auto inspect = cli({"inspect", "test.chain.top"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr("  routes of imported functions:\n    " + upper +
                                     "#divide NO GRANT: a call will trap (orivon grant "
                                     "test.chain.top "));
  EXPECT_THAT(inspect.out, HasSubstr("    " + upper + "#checked-divide NO GRANT: a call returns "
                                     "an error (orivon grant test.chain.top test.chain.middle " +
                                     upper + "#checked-divide)\n"));
  auto json = nlohmann::json::parse(cli({"inspect", "test.chain.top", "--json"}).out);
  const auto& routes = json["import_routes"];
  ASSERT_TRUE(routes.is_array());
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0]["import"], upper);
  EXPECT_EQ(routes[0]["function"], "divide");
  EXPECT_EQ(routes[0]["status"], "denied");
  EXPECT_EQ(routes[0]["on_failure"], "trap");
  EXPECT_EQ(routes[1]["function"], "checked-divide");
  EXPECT_EQ(routes[1]["target"], "test.chain.middle");
  EXPECT_EQ(routes[1]["target_function"], upper + "#checked-divide");
  EXPECT_EQ(routes[1]["on_failure"], "err");
  EXPECT_THAT(routes[1]["text"].get<std::string>(),
              StartsWith("NO GRANT: a call returns an error"));
  auto bottom = nlohmann::json::parse(cli({"inspect", "test.chain.bottom", "--json"}).out);
  EXPECT_EQ(bottom["import_routes"][0]["status"], "unavailable");

  // Without a host, start records autostart and still warns.
  auto recorded = cli({"start", "test.chain.middle"});
  EXPECT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_THAT(recorded.err, HasSubstr("warning: 'test.chain.middle' imports "
                                      "orivon:chain/lower@0.1.0#divide: NO GRANT: a call will "
                                      "trap (orivon grant test.chain.middle test.chain.bottom "
                                      "divide)\n"));
  ASSERT_EQ(cli({"grant", "test.chain.middle", "test.chain.bottom"}).exit_code, 0);
  ASSERT_EQ(cli({"grant", "test.chain.top", "test.chain.middle", "divide"}).exit_code, 0);
  inspect = cli({"inspect", "test.chain.top"});
  EXPECT_THAT(inspect.out, HasSubstr("    " + upper + "#divide -> test.chain.middle (granted)\n"));

  auto host = start_host();
  for (const char* id : {"test.chain.bottom", "test.chain.middle"}) {
    auto started = cli({"start", id});
    EXPECT_EQ(started.exit_code, 0) << started.err;
  }
  auto started = cli({"start", "test.chain.top"});
  EXPECT_EQ(started.exit_code, 0) << started.err;
  EXPECT_THAT(started.err, Not(HasSubstr("#divide: NO GRANT")));
  EXPECT_THAT(started.err, HasSubstr("warning: 'test.chain.top' imports " + upper +
                                     "#checked-divide: NO GRANT: a call returns an error"));
  auto logs = cli({"logs", "test.chain.top"});
  EXPECT_THAT(logs.out, HasSubstr("import " + upper + "#long-trap: NO GRANT: a call will trap"));

  auto trapped = cli({"call", "test.chain.top", "divide(1, 0)"});
  EXPECT_NE(trapped.exit_code, 0);
  EXPECT_THAT(trapped.err, HasSubstr("'test.chain.middle' failed in " + upper +
                                     "#divide: 'test.chain.bottom' failed in divide: wasm trap: "
                                     "integer divide by zero"));
  host->send_signal(SIGTERM);
  EXPECT_EQ(host->wait(30s), 0) << host->output();
}

TEST_F(GrantCommand, CallReachesALibraryWithOrWithoutAHost) {
  add(typed_, "lib.typed.test");
  add(probe_, "app.probe.test");

  auto offline = cli({"call", "lib.typed.test", R"(greet("x"))"});
  EXPECT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(offline.out, "\"hello, x\"\n");
  EXPECT_THAT(offline.err, HasSubstr("no host running"));
  auto service = cli({"call", "app.probe.test", "ping()"});
  EXPECT_EQ(service.exit_code, 1);
  EXPECT_THAT(service.err, HasSubstr("needs a running host"));
  auto unknown = cli({"call", "lib.typed.test", "nosuch()"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("greet"));

  auto host = start_host();
  auto hosted = cli({"call", "lib.typed.test", R"(greet("y"))"});
  EXPECT_EQ(hosted.exit_code, 0) << hosted.err;
  EXPECT_EQ(hosted.out, "\"hello, y\"\n");
  EXPECT_THAT(hosted.err, HasSubstr("answered by the running host"));
  EXPECT_EQ(cli({"call", "--timeout", "5s", "lib.typed.test", "sum([1, 2, 3])"}).out, "6\n");
  // A library cannot be started, but it needs not be.
  EXPECT_EQ(cli({"start", "lib.typed.test"}).exit_code, 1);
  auto stopped_service = cli({"call", "app.probe.test", "ping()"});
  EXPECT_EQ(stopped_service.exit_code, 1);
  EXPECT_THAT(stopped_service.err, Not(HasSubstr("needs a running host")));
}

TEST_F(GrantCommand, RemoveRefusesWhileOthersDependAndForceListsWhatWent) {
  add(reactor_, "app.front.test");
  add(probe_, "app.probe.test");
  add(command_, "group.run.test");
  add(command_, "app.command.test");
  ASSERT_EQ(cli({"grant", "app.front.test", "app.probe.test", "ping", "add"}).exit_code, 0);
  ASSERT_EQ(cli({"grant", "app.probe.test", "app.front.test", "add"}).exit_code, 0);
  ASSERT_EQ(cli({"grant", "group.run.test", "app.command.test"}).exit_code, 0);

  // Refused with a precondition failure naming each dependent and its grant.
  auto refused = cli({"remove", "app.probe.test"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("cannot remove 'app.probe.test': another module depends"));
  EXPECT_THAT(refused.err, HasSubstr("app.front.test may call app.probe.test (grant: add, ping)"));
  EXPECT_THAT(refused.err, HasSubstr("orivon remove --force app.probe.test"));
  EXPECT_EQ(refused.out, "");
  auto member = cli({"remove", "app.command.test", "--json"});
  EXPECT_EQ(member.exit_code, 1);
  EXPECT_THAT(member.err, HasSubstr("group.run.test has app.command.test as a member"));
  EXPECT_EQ(grants_json().size(), 3u);
  EXPECT_THAT(cli({"list"}).out, HasSubstr("app.probe.test"));

  // --force removes it and prints every grant that went with it.
  auto forced = cli({"remove", "app.probe.test", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(forced.out,
            "removed app.probe.test\n"
            "removed call grant: app.front.test -> app.probe.test: add, ping\n"
            "removed call grant: app.probe.test -> app.front.test: add\n");
  auto json = cli({"remove", "app.command.test", "--force", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto removed = nlohmann::json::parse(json.out);
  EXPECT_EQ(removed["id"], "app.command.test");
  ASSERT_EQ(removed["removed_grants"].size(), 1u);
  EXPECT_EQ(removed["removed_grants"][0]["caller"], "group.run.test");
  EXPECT_EQ(removed["removed_grants"][0]["target"], "app.command.test");
  EXPECT_EQ(removed["removed_grants"][0]["all"], true);
  EXPECT_EQ(grants_json(), nlohmann::json::array());

  // Nothing depends on the rest: removed without --force, as before.
  auto plain = cli({"remove", "app.front.test", "--json"});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(nlohmann::json::parse(plain.out)["removed_grants"], nlohmann::json::array());
  EXPECT_EQ(cli({"remove", "group.run.test"}).out, "removed group.run.test\n");
}

TEST_F(GrantCommand, RemoveThroughARunningHostRefusesLikeWithoutOne) {
  add(reactor_, "app.front.test");
  add(probe_, "app.probe.test");
  auto host = start_host();
  ASSERT_EQ(cli({"grant", "app.front.test", "app.probe.test", "ping"}).exit_code, 0);
  auto started = cli({"start", "app.probe.test"});
  ASSERT_EQ(started.exit_code, 0) << started.err;

  auto refused = cli({"remove", "app.probe.test"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("answered by the running host"));
  EXPECT_THAT(refused.err, HasSubstr("app.front.test may call app.probe.test (grant: ping)"));
  EXPECT_THAT(refused.err, HasSubstr("--force"));
  // The refusal stopped nothing: the service still answers.
  auto ping = cli({"call", "app.probe.test", "ping()"});
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  EXPECT_EQ(ping.out, "42\n");

  auto forced = cli({"remove", "--force", "app.probe.test", "--json"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_THAT(forced.err, HasSubstr("answered by the running host"));
  auto removed = nlohmann::json::parse(forced.out);
  ASSERT_EQ(removed["removed_grants"].size(), 1u);
  EXPECT_EQ(removed["removed_grants"][0]["caller"], "app.front.test");
  EXPECT_EQ(removed["removed_grants"][0]["functions"], nlohmann::json::array({"ping"}));
  EXPECT_EQ(grants_json(), nlohmann::json::array());
  EXPECT_EQ(cli({"call", "app.probe.test", "ping()"}).exit_code, 1);
  EXPECT_EQ(host->wait(100ms), -1);  // the same host served it all
}

TEST_F(GrantCommand, HelpShowsTheSyntaxAndExamples) {
  for (const char* command : {"grant", "revoke"}) {
    auto help = cli({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr(std::string("orivon ") + command +
                                    " CALLER TARGET [FUNCTION...]"));
    EXPECT_THAT(help.out, HasSubstr("Examples"));
  }
  auto grants = cli({"grants", "--help"});
  EXPECT_EQ(grants.exit_code, 0);
  EXPECT_THAT(grants.out, HasSubstr("orivon grants [CALLER]"));
  auto top = cli({"--help"});
  for (const char* command : {"grant", "revoke", "grants"}) {
    EXPECT_THAT(top.out, HasSubstr(command));
  }
}

}  // namespace
}  // namespace orivon::testing
