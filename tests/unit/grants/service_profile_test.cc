// From allowed grants to a service's profile, and the checks on the way:
// the state directory is out of reach, contradictions are refused, and a
// service starts with exactly what was allowed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "grants/service_profile.h"
#include "orivon/runtime.h"
#include "support/process.h"

namespace orivon {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

std::optional<std::string> fake_environment(const std::string& name) {
  if (name == "HOME") return std::string("/home/orivon");
  return std::nullopt;
}

TEST(ServiceProfile, DefaultDenyGivesOnlyTheModuleIdAndALog) {
  auto profile = grants::build_service_profile(id("app.empty.test"), {}, "/state", fake_environment);
  ASSERT_TRUE(profile) << profile.error().to_string();
  EXPECT_THAT(profile->wasi.args, ElementsAre("app.empty.test"));
  EXPECT_TRUE(profile->wasi.env.empty());
  EXPECT_TRUE(profile->wasi.dirs.empty());
  EXPECT_EQ(profile->wasi.stdio, Stdio::Null);
  EXPECT_EQ(profile->stdio, StdioMode::Log);
  EXPECT_EQ(profile->wasi.network, Network::Denied);
  EXPECT_TRUE(profile->wasi.http_origins.empty());
}

TEST(ServiceProfile, EveryKindOfGrantLandsInTheProfile) {
  TempDir temp;
  fs::create_directories(temp.path() / "data");
  const std::string data = (temp.path() / "data").string();
  auto profile = grants::build_service_profile(
      id("app.full.test"),
      {"arg:--one", "fs:" + data + "=/data:rw", "env:HOME", "env:MODE=fast", "env:UNSET",
       "arg:two", "stdio:inherit", "clock", "random", "net:connect:*:443",
       "net:listen:[::]:9000-9100", "http:https://api.example.com", "host:example:log/sink"},
      temp.path() / "state", fake_environment);
  ASSERT_TRUE(profile) << profile.error().to_string();
  EXPECT_THAT(profile->wasi.args, ElementsAre("app.full.test", "--one", "two"));
  EXPECT_THAT(profile->wasi.env, ElementsAre(Pair("HOME", "/home/orivon"), Pair("MODE", "fast")));
  ASSERT_EQ(profile->wasi.dirs.size(), 1u);
  EXPECT_EQ(profile->wasi.dirs[0].host_path, fs::canonical(data));
  EXPECT_EQ(profile->wasi.dirs[0].guest_path, "/data");
  EXPECT_EQ(profile->wasi.dirs[0].access, DirAccess::ReadWrite);
  EXPECT_EQ(profile->stdio, StdioMode::Inherit);
  EXPECT_EQ(profile->wasi.stdio, Stdio::Inherit);
  EXPECT_EQ(profile->wasi.network, Network::Rules);
  ASSERT_EQ(profile->wasi.net_rules.size(), 2u);
  EXPECT_EQ(profile->wasi.net_rules[0].host, "*");
  EXPECT_EQ(profile->wasi.net_rules[1].kind, NetRule::Kind::Listen);
  EXPECT_EQ(profile->wasi.net_rules[1].host, "::");
  EXPECT_EQ(profile->wasi.net_rules[1].last_port, 9100);
  EXPECT_THAT(profile->wasi.http_origins, ElementsAre("https://api.example.com"));
  EXPECT_THAT(profile->notes, ElementsAre(HasSubstr("no UNSET in its environment")));
}

TEST(ServiceProfile, UnrestrictedNetworkWinsOverRulesAndIsNoted) {
  auto profile = grants::build_service_profile(
      id("app.net.test"), {"net:connect:*:443", "net:unrestricted"}, "/state", fake_environment);
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->wasi.network, Network::Full);
  EXPECT_THAT(profile->notes, ElementsAre(HasSubstr("UNRESTRICTED")));
}

TEST(ServiceProfile, StdioNoneDiscards) {
  auto profile =
      grants::build_service_profile(id("app.quiet.test"), {"stdio:none"}, "/state", fake_environment);
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->stdio, StdioMode::None);
  EXPECT_EQ(profile->wasi.stdio, Stdio::Null);
}

TEST(ServiceProfile, AMissingDirectoryOrAMalformedStoredGrantNamesTheGrant) {
  auto missing = grants::build_service_profile(id("app.gone.test"), {"fs:/no/such/dir=/d:ro"},
                                               "/state", fake_environment);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().to_string(), HasSubstr("grant 'fs:/no/such/dir=/d:ro'"));
  auto malformed =
      grants::build_service_profile(id("app.bad.test"), {"fs:oops"}, "/state", fake_environment);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code(), ErrorCode::InvalidArgument);
}

TEST(ServiceProfile, TheStateDirectoryIsOutOfReach) {
  TempDir temp;
  const fs::path state = temp.path() / "state";
  fs::create_directories(state / "logs");
  fs::create_directories(temp.path() / "beside");
  fs::create_directory_symlink(state, temp.path() / "alias");
  auto check = [&](const fs::path& host) {
    return grants::check_directory_grant(FsGrant{host, "/d", DirAccess::ReadOnly}, state,
                                         grants::PathCheck::MustExist);
  };
  for (const fs::path& host :
       {state, state / "logs", temp.path(), fs::path("/"), temp.path() / "alias",
        temp.path() / "alias" / "logs", state / "logs" / ".." / "..", state / "."}) {
    auto checked = check(host);
    ASSERT_FALSE(checked) << host;
    EXPECT_EQ(checked.error().code(), ErrorCode::PermissionDenied) << host;
    EXPECT_THAT(checked.error().message(), HasSubstr("state directory")) << host;
  }
  EXPECT_TRUE(check(temp.path() / "beside"));
  // A sibling whose name merely starts like the state directory is fine.
  fs::create_directories(temp.path() / "state-2");
  EXPECT_TRUE(check(temp.path() / "state-2"));
  // Not there yet: checked as it would resolve.
  auto later = grants::check_directory_grant(FsGrant{state / "new", "/d", DirAccess::ReadOnly},
                                             state, grants::PathCheck::MayNotExistYet);
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code(), ErrorCode::PermissionDenied);
}

class GrantDecisions : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.state_dir = temp_.path() / "state";
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
    AddOptions add;
    add.id = id(kModule);
    ASSERT_TRUE(runtime_->add_module_file(guest_path("service_probe", "core"), add));
  }
  static constexpr const char* kModule = "app.probe.test";
  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(GrantDecisions, MalformedGrantsAreRefusedWithTheExpectedSyntax) {
  auto allowed = runtime_->allow_grant(id(kModule), "fs:/srv/data=/data");
  ASSERT_FALSE(allowed);
  EXPECT_EQ(allowed.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(allowed.error().message(), HasSubstr("fs:HOST_PATH=GUEST_PATH:ro"));
  EXPECT_FALSE(runtime_->deny_grant(id(kModule), "net:everything"));
  EXPECT_EQ(runtime_->allow_grant(id("app.absent.test"), "env:HOME").error().code(),
            ErrorCode::NotFound);
  EXPECT_TRUE(runtime_->inspect_module(id(kModule))->decisions.empty());
}

TEST_F(GrantDecisions, TheStateDirectoryCannotBeGranted) {
  for (const fs::path& host : {temp_.path() / "state", temp_.path(), temp_.path() / "state" / "code"}) {
    auto allowed = runtime_->allow_grant(id(kModule), "fs:" + host.string() + "=/x:rw");
    ASSERT_FALSE(allowed) << host;
    EXPECT_EQ(allowed.error().code(), ErrorCode::PermissionDenied);
  }
  // Denying is always possible.
  EXPECT_TRUE(runtime_->deny_grant(id(kModule), "fs:" + temp_.path().string() + "=/x:rw"));
}

TEST_F(GrantDecisions, ContradictionsAreRefusedUntilTheOtherIsDenied) {
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "stdio:none"));
  auto second = runtime_->allow_grant(id(kModule), "stdio:inherit");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_THAT(second.error().message(), HasSubstr("'stdio:none'"));
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "stdio:none"));  // the same again: fine
  ASSERT_TRUE(runtime_->deny_grant(id(kModule), "stdio:none"));
  EXPECT_TRUE(runtime_->allow_grant(id(kModule), "stdio:inherit"));

  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "env:MODE=a"));
  EXPECT_FALSE(runtime_->allow_grant(id(kModule), "env:MODE=b"));
  EXPECT_FALSE(runtime_->allow_grant(id(kModule), "env:MODE"));
  fs::create_directories(temp_.path() / "one");
  fs::create_directories(temp_.path() / "two");
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "fs:" + (temp_.path() / "one").string() + "=/d:ro"));
  EXPECT_FALSE(runtime_->allow_grant(id(kModule), "fs:" + (temp_.path() / "two").string() + "=/d:ro"));
}

TEST(CoveredByDeny, ANameOrGuestPathCoversItsVariantsOnly) {
  const std::vector<std::string> allowed = {"env:MODE=a", "env:MODEX=1", "fs:/srv/a=/d:ro",
                                            "fs:/srv/b=/e:rw", "stdio:none", "kv:b:rw",
                                            "not a grant"};
  auto covered = [&](const std::string& text) {
    return grants::covered_by_deny(text, *parse_grant(text), allowed);
  };
  EXPECT_THAT(covered("env:MODE"), ElementsAre("env:MODE=a"));
  EXPECT_THAT(covered("env:MODE=b"), ElementsAre("env:MODE=a"));
  EXPECT_THAT(covered("fs:/other=/d:rw"), ElementsAre("fs:/srv/a=/d:ro"));
  EXPECT_TRUE(covered("fs:/srv/a=/x:ro").empty());  // another guest path
  EXPECT_TRUE(covered("stdio:inherit").empty());    // another mode, not a variant
  EXPECT_TRUE(covered("kv:b:ro").empty());
  EXPECT_TRUE(covered("env:MODE=a").empty());  // its own text is not another
}

TEST_F(GrantDecisions, ForgetMakesADecisionUndecidedAndFindsItByMeaning) {
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "http:https://API.example.com/"));
  ASSERT_TRUE(runtime_->deny_grant(id(kModule), "env:HOME"));
  auto forgot = runtime_->forget_grant(id(kModule), "http:https://api.example.com");
  ASSERT_TRUE(forgot) << forgot.error().to_string();
  EXPECT_THAT(*forgot, ElementsAre("http:https://API.example.com/"));
  ASSERT_TRUE(runtime_->forget_grant(id(kModule), "env:HOME"));
  EXPECT_TRUE(runtime_->inspect_module(id(kModule))->decisions.empty());
  EXPECT_EQ(runtime_->forget_grant(id(kModule), "env:HOME").error().code(), ErrorCode::NotFound);
  EXPECT_EQ(runtime_->forget_grant(id(kModule), "bogus").error().code(),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(runtime_->forget_grant(id("app.absent.test"), "env:HOME").error().code(),
            ErrorCode::NotFound);
}

TEST_F(GrantDecisions, ADenyOfAVariableTakesBackItsValues) {
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "env:MODE=a"));
  ASSERT_TRUE(runtime_->deny_grant(id(kModule), "env:MODE"));
  auto decisions = runtime_->inspect_module(id(kModule))->decisions;
  EXPECT_EQ(decisions["env:MODE=a"], GrantDecision::Deny);
  EXPECT_EQ(decisions["env:MODE"], GrantDecision::Deny);
  // Allowing another value afterwards is a new decision, and no contradiction.
  EXPECT_TRUE(runtime_->allow_grant(id(kModule), "env:MODE=b"));
}

TEST_F(GrantDecisions, AServiceGetsItsAllowedGrantsInTheOrderTheyWereAllowed) {
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "arg:first"));
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "net:connect:api.example.com:443"));
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "arg:second"));
  ASSERT_TRUE(runtime_->deny_grant(id(kModule), "arg:denied"));
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "http:https://api.example.com"));
  // Denied and allowed again: keeps its place.
  ASSERT_TRUE(runtime_->deny_grant(id(kModule), "arg:first"));
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "arg:first"));
  auto profile = runtime_->service_profile(id(kModule));
  ASSERT_TRUE(profile) << profile.error().to_string();
  EXPECT_THAT(profile->args, ElementsAre(kModule, "first", "second"));
  EXPECT_EQ(profile->network, Network::Rules);
  ASSERT_EQ(profile->net_rules.size(), 1u);
  EXPECT_EQ(profile->net_rules[0].host, "api.example.com");
  EXPECT_EQ(profile->net_rules[0].first_port, 443);
  EXPECT_THAT(profile->http_origins, ElementsAre("https://api.example.com"));
}

TEST_F(GrantDecisions, AGrantedDirectoryThatVanishedStopsTheStartWithTheReason) {
  fs::create_directories(temp_.path() / "data");
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "fs:" + (temp_.path() / "data").string() + "=/d:ro"));
  fs::remove(temp_.path() / "data");
  ServiceSettings settings;
  settings.restart.policy = RestartPolicy::Never;
  runtime_->set_service_settings(id(kModule), settings);
  auto started = runtime_->start_service(id(kModule));
  ASSERT_FALSE(started);
  EXPECT_THAT(started.error().to_string(), HasSubstr("fs:" + (temp_.path() / "data").string()));
}

TEST_F(GrantDecisions, AStartedServiceSeesItsEnvironmentAndArgv0) {
  AddOptions add;
  add.id = id("app.callee.test");
  ASSERT_TRUE(runtime_->add_module_file(guest_path("call_callee", "component"), add));
  ASSERT_TRUE(runtime_->allow_grant(id("app.callee.test"), "env:MODE=fast"));
  ASSERT_TRUE(runtime_->allow_grant(id("app.callee.test"), "env:ORIVON_TEST_NOT_SET_ANYWHERE"));
  ASSERT_TRUE(runtime_->start_service(id("app.callee.test")));
  EXPECT_EQ(runtime_->call(id("app.callee.test"), "env-count()")->results, "1");
  EXPECT_EQ(runtime_->call(id("app.callee.test"), "whoami()")->results, "\"app.callee.test\"");
  // A change applies at the next start.
  ASSERT_TRUE(runtime_->allow_grant(id("app.callee.test"), "env:OTHER=1"));
  EXPECT_EQ(runtime_->call(id("app.callee.test"), "env-count()")->results, "1");
  ASSERT_TRUE(runtime_->restart_service(id("app.callee.test")));
  EXPECT_EQ(runtime_->call(id("app.callee.test"), "env-count()")->results, "2");
}

TEST_F(GrantDecisions, OutputGoesToTheLogUnlessStdioSaysOtherwise) {
  auto output_records = [&] {
    int count = 0;
    for (const auto& entry : runtime_->service_logs(id(kModule), 0, 1000)) {
      if (entry.stream == "out") ++count;
    }
    return count;
  };
  ASSERT_TRUE(runtime_->start_service(id(kModule)));
  ASSERT_TRUE(runtime_->call(id(kModule), "say(2)"));
  EXPECT_GT(output_records(), 0);
  const int before = output_records();
  ASSERT_TRUE(runtime_->allow_grant(id(kModule), "stdio:none"));
  ASSERT_TRUE(runtime_->restart_service(id(kModule)));
  ASSERT_TRUE(runtime_->call(id(kModule), "say(2)"));
  EXPECT_EQ(output_records(), before);
}

}  // namespace
}  // namespace orivon
