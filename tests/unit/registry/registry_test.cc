// The registry through the public Runtime API, on real guests built by the
// build and a real SQLite state directory.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/sha256.h"
#include "orivon/runtime.h"
#include "support/process.h"

namespace orivon {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using orivon::testing::guest_path;
using orivon::testing::read_text;
using orivon::testing::TempDir;

ModuleId id(const char* text) { return *ModuleId::parse(text); }

AddOptions with_id(const char* text) {
  AddOptions options;
  options.id = id(text);
  return options;
}

std::unique_ptr<Runtime> open_runtime(const std::filesystem::path& dir,
                                      FuelMetering fuel = FuelMetering::Off) {
  RuntimeOptions options;
  options.state_dir = dir;
  options.fuel = fuel;
  auto runtime = Runtime::create(options);
  EXPECT_TRUE(runtime) << runtime.error().to_string();
  return runtime ? std::move(*runtime) : nullptr;
}

std::size_t count_files(const std::filesystem::path& dir) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++count;
  return count;
}

TEST(Registry, NeedsAStateDirectory) {
  auto runtime = Runtime::create({});
  ASSERT_TRUE(runtime);
  auto list = (*runtime)->list_modules();
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code(), ErrorCode::FailedPrecondition);
}

TEST(Registry, AddsListsInspectsAndRemoves) {
  TempDir temp;
  auto runtime = open_runtime(temp.path());
  const auto typed = guest_path("typed", "component");
  auto added = runtime->add_module_file(typed, with_id("app.typed.test"));
  ASSERT_TRUE(added) << added.error().to_string();
  EXPECT_EQ(added->kind, ModuleKind::Service);
  EXPECT_EQ(added->program_kind, ProgramKind::Component);
  EXPECT_EQ(added->state, ModuleState::Installed);
  const std::string bytes = read_text(typed);
  EXPECT_EQ(added->content_hash, sha256_hex(std::as_bytes(std::span(bytes))));
  EXPECT_EQ(added->size_bytes, bytes.size());

  ASSERT_TRUE(runtime->add_module_file(guest_path("reactor", "core"), with_id("lib.math.test")));
  auto list = runtime->list_modules();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id.str(), "app.typed.test");
  EXPECT_EQ((*list)[1].kind, ModuleKind::Library);

  auto details = runtime->inspect_module(id("app.typed.test"));
  ASSERT_TRUE(details) << details.error().to_string();
  EXPECT_THAT(details->exports, Contains("export greet: func(name: string) -> string"));
  auto core = runtime->inspect_module(id("lib.math.test"));
  ASSERT_TRUE(core);
  EXPECT_THAT(core->exports, Contains("export add: func(i32, i32) -> i32"));

  ASSERT_TRUE(runtime->remove_module(id("lib.math.test")));
  EXPECT_EQ(runtime->remove_module(id("lib.math.test")).error().code(), ErrorCode::NotFound);
  EXPECT_EQ(runtime->inspect_module(id("lib.math.test")).error().code(), ErrorCode::NotFound);
  EXPECT_EQ(runtime->list_modules()->size(), 1u);
  EXPECT_EQ(count_files(temp.path() / "code"), 1u);  // the removed binary went with it
}

TEST(Registry, RefusesDuplicatesAndBadBinariesWithoutStoringThem) {
  TempDir temp;
  auto runtime = open_runtime(temp.path());
  ASSERT_TRUE(runtime->add_module_file(guest_path("reactor", "core"), with_id("a.b.c")));
  auto duplicate = runtime->add_module_file(guest_path("typed", "component"), with_id("a.b.c"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code(), ErrorCode::AlreadyExists);

  const std::string junk = "\0asm\x01\0\0\0garbage";
  auto bad = runtime->add_module(std::as_bytes(std::span(junk)), with_id("d.e.f"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(runtime->list_modules()->size(), 1u);
  EXPECT_EQ(count_files(temp.path() / "code"), 1u);
}

TEST(Registry, IdComesFromTheClientOrTheManifestAndMustAgree) {
  TempDir temp;
  auto runtime = open_runtime(temp.path());
  const auto file = guest_path("reactor", "core");
  auto manifest = parse_manifest(
      "id = \"org.example.calc\"\nversion = \"1.2.0\"\ndescription = \"adds\"\n"
      "requests = [\"env:HOME\"]\n",
      ManifestFormat::Toml);
  ASSERT_TRUE(manifest) << manifest.error().to_string();

  auto none = runtime->add_module_file(file, {});
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message(), HasSubstr("--id"));

  AddOptions mismatch = with_id("org.example.other");
  mismatch.manifest = *manifest;
  EXPECT_EQ(runtime->add_module_file(file, mismatch).error().code(), ErrorCode::InvalidArgument);

  AddOptions from_manifest;
  from_manifest.manifest = *manifest;
  auto added = runtime->add_module_file(file, from_manifest);
  ASSERT_TRUE(added) << added.error().to_string();
  EXPECT_EQ(added->id.str(), "org.example.calc");
  EXPECT_EQ(added->version, "1.2.0");
  auto details = runtime->inspect_module(added->id);
  ASSERT_TRUE(details);
  EXPECT_TRUE(details->has_manifest);
  EXPECT_EQ(details->manifest, *manifest);
  EXPECT_TRUE(details->decisions.empty());  // requested, not granted
}

TEST(Registry, UpdateReplacesCodeAndKeepsGrantsAndManifest) {
  TempDir temp;
  auto runtime = open_runtime(temp.path());
  AddOptions options = with_id("app.thing.test");
  options.manifest = *parse_manifest("version = \"1\"\nrequests = [\"env:A\"]\n", ManifestFormat::Toml);
  ASSERT_TRUE(runtime->add_module_file(guest_path("reactor", "core"), options));
  ASSERT_TRUE(runtime->decide_grant(id("app.thing.test"), "env:A", GrantDecision::Allow));
  auto updated = runtime->update_module_file(id("app.thing.test"), guest_path("typed", "component"));
  ASSERT_TRUE(updated) << updated.error().to_string();
  EXPECT_EQ(updated->program_kind, ProgramKind::Component);
  auto details = runtime->inspect_module(id("app.thing.test"));
  ASSERT_TRUE(details);
  EXPECT_EQ(details->decisions.at("env:A"), GrantDecision::Allow);
  EXPECT_EQ(details->manifest.version, "1");
  EXPECT_THAT(details->exports, Contains("export greet: func(name: string) -> string"));
  EXPECT_EQ(runtime->update_module_file(id("no.such.module"), guest_path("typed", "component"))
                .error()
                .code(),
            ErrorCode::NotFound);
}

TEST(Registry, RestartKeepsEverythingAndReadsCompiledCodeFromTheCache) {
  TempDir temp;
  {
    auto runtime = open_runtime(temp.path());
    ASSERT_TRUE(runtime->add_module_file(guest_path("reactor", "core"), with_id("lib.math.test")));
    ASSERT_TRUE(runtime->add_module_file(guest_path("typed", "component"), with_id("app.typed.test")));
    ASSERT_TRUE(runtime->decide_grant(id("app.typed.test"), "net:connect:*:443", GrantDecision::Deny));
  }
  auto runtime = open_runtime(temp.path());
  auto report = runtime->load_installed();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->modules, 2u);
  EXPECT_EQ(report->from_cache, 2u);
  EXPECT_EQ(report->compiled, 0u);
  EXPECT_EQ(runtime->inspect_module(id("app.typed.test"))->decisions.at("net:connect:*:443"),
            GrantDecision::Deny);

  // The cached code runs.
  auto program = runtime->program(id("lib.math.test"));
  ASSERT_TRUE(program);
  auto sum = runtime->invoke(*program, "add(20, 22)", {}, {});
  ASSERT_TRUE(sum) << sum.error().to_string();
  EXPECT_EQ(sum->results, "42");
}

// An add interrupted after writing its binary leaves a file no module
// refers to: a host's load removes it, a client that only opens the state
// (a CLI command) leaves it.
TEST(Registry, LoadingCollectsBinariesNothingRefersTo) {
  TempDir temp;
  { ASSERT_TRUE(open_runtime(temp.path())->add_module_file(guest_path("reactor", "core"), with_id("a.b.c"))); }
  const auto leftover = temp.path() / "code" / (std::string(64, 'f') + ".wasm");
  orivon::testing::write_text(leftover, "an interrupted add's binary");
  std::filesystem::last_write_time(
      leftover, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  EXPECT_TRUE(open_runtime(temp.path())->list_modules());
  EXPECT_TRUE(std::filesystem::exists(leftover));
  auto runtime = open_runtime(temp.path());
  auto report = runtime->load_installed();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->modules, 1u);
  EXPECT_FALSE(std::filesystem::exists(leftover));
  EXPECT_TRUE(runtime->program(id("a.b.c")));  // the module's own binary stays
}

TEST(Registry, DamagedOrMissingCompiledCodeIsRecompiled) {
  TempDir temp;
  { ASSERT_TRUE(open_runtime(temp.path())->add_module_file(guest_path("reactor", "core"), with_id("a.b.c"))); }
  for (const auto& entry : std::filesystem::directory_iterator(temp.path() / "cache")) {
    orivon::testing::write_text(entry.path(), "not compiled code");
  }
  auto report = open_runtime(temp.path())->load_installed();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->compiled, 1u);
  EXPECT_EQ(open_runtime(temp.path())->load_installed()->from_cache, 1u);
}

TEST(Registry, AnotherEngineConfigurationHasItsOwnCompiledCode) {
  TempDir temp;
  { ASSERT_TRUE(open_runtime(temp.path())->add_module_file(guest_path("reactor", "core"), with_id("a.b.c"))); }
  auto report = open_runtime(temp.path(), FuelMetering::On)->load_installed();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->compiled, 1u);  // fuel-metered code differs
}

TEST(Registry, TwoRuntimesOnOneDirectoryLoseNoAdds) {
  // Two processes adding at once are modelled by two runtimes on two threads:
  // each has its own SQLite connection, as two processes would.
  TempDir temp;
  const std::string code = read_text(guest_path("reactor", "core"));
  auto add_many = [&](const std::string& prefix, std::vector<std::string>& added) {
    auto runtime = open_runtime(temp.path());
    if (!runtime) return;
    for (int i = 0; i < 15; ++i) {
      const std::string name = prefix + ".module.n" + std::to_string(i);
      AddOptions options;
      options.id = *ModuleId::parse(name);
      auto result = runtime->add_module(std::as_bytes(std::span(code)), options);
      if (result) {
        added.push_back(name);
      } else {
        ADD_FAILURE() << name << ": " << result.error().to_string();
      }
    }
  };
  std::vector<std::string> first, second;
  std::thread other([&] { add_many("first", first); });
  add_many("second", second);
  other.join();
  EXPECT_EQ(first.size(), 15u);
  EXPECT_EQ(second.size(), 15u);
  EXPECT_EQ(open_runtime(temp.path())->list_modules()->size(), 30u);
}

// Many modules in one transaction: copies of one binary compile once and
// share their compiled code, and after a restart they load as one too.
TEST(Registry, AddsManyModulesAtOnceSharingTheirCode) {
  TempDir temp;
  const std::string code = read_text(guest_path("reactor", "core"));
  std::vector<ModuleSource> sources;
  for (int i = 0; i < 50; ++i) {
    ModuleSource source;
    source.code = std::as_bytes(std::span(code));
    source.options.id = id(("app.copy.m" + std::to_string(100 + i)).c_str());
    sources.push_back(source);
  }
  ModuleSource from_file;
  from_file.file = guest_path("typed", "component");
  from_file.options.id = id("app.typed.bulk");
  sources.push_back(from_file);
  {
    auto runtime = open_runtime(temp.path());
    auto added = runtime->add_modules(sources);
    ASSERT_TRUE(added) << added.error().to_string();
    ASSERT_EQ(added->size(), 51u);
    EXPECT_EQ((*added)[0].id.str(), "app.copy.m100");
    EXPECT_EQ((*added)[50].program_kind, ProgramKind::Component);
    EXPECT_EQ(runtime->list_modules()->size(), 51u);
    EXPECT_EQ(count_files(temp.path() / "code"), 2u);  // one binary per content
    auto program = runtime->program(id("app.copy.m149"));
    ASSERT_TRUE(program) << program.error().to_string();
    EXPECT_EQ(program->name(), "app.copy.m149");  // shared code, its own name
    auto sum = runtime->invoke(*program, "add(2, 3)", WasiProfile{}, ExecutionLimits{});
    ASSERT_TRUE(sum) << sum.error().to_string();
  }
  auto reopened = open_runtime(temp.path());
  auto report = reopened->load_installed();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->modules, 51u);
  EXPECT_EQ(report->compiled, 0u);
  auto program = reopened->program(id("app.copy.m120"));
  ASSERT_TRUE(program);
  EXPECT_EQ(program->name(), "app.copy.m120");
}

// One bad module fails the whole batch, which names it; nothing is installed.
TEST(Registry, ABulkInstallIsAllOrNothing) {
  TempDir temp;
  auto runtime = open_runtime(temp.path());
  ASSERT_TRUE(runtime->add_module_file(guest_path("reactor", "core"), with_id("app.taken.one")));
  const std::string good = read_text(guest_path("reactor", "core"));
  const std::string junk = "\0asm\x01\0\0\0garbage";
  auto source = [](const std::string& code, const char* name) {
    ModuleSource s;
    s.code = std::as_bytes(std::span(code));
    s.options.id = id(name);
    return s;
  };
  std::vector<ModuleSource> bad_binary = {source(good, "app.bulk.a"), source(junk, "app.bulk.b"),
                                          source(good, "app.bulk.c")};
  auto refused = runtime->add_modules(bad_binary);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(refused.error().message(), HasSubstr("module 2 of 3 ('app.bulk.b')"));

  std::vector<ModuleSource> taken = {source(good, "app.bulk.a"), source(good, "app.taken.one")};
  EXPECT_EQ(runtime->add_modules(taken).error().code(), ErrorCode::AlreadyExists);
  std::vector<ModuleSource> twice = {source(good, "app.bulk.a"), source(good, "app.bulk.a")};
  auto repeated = runtime->add_modules(twice);
  ASSERT_FALSE(repeated);
  EXPECT_THAT(repeated.error().to_string(), HasSubstr("given twice"));
  ModuleSource missing;
  missing.file = temp.path() / "no-such.wasm";
  missing.options.id = id("app.bulk.d");
  std::vector<ModuleSource> absent = {source(good, "app.bulk.c"), missing};
  EXPECT_EQ(runtime->add_modules(absent).error().code(), ErrorCode::NotFound);

  EXPECT_EQ(runtime->list_modules()->size(), 1u);
}

TEST(Registry, ListsAPageAfterAnId) {
  TempDir temp;
  auto runtime = open_runtime(temp.path());
  const std::string code = read_text(guest_path("reactor", "core"));
  std::vector<ModuleSource> sources;
  for (const char* name : {"app.p.c", "app.p.a", "app.p.e", "app.p.b", "app.p.d"}) {
    ModuleSource source;
    source.code = std::as_bytes(std::span(code));
    source.options.id = id(name);
    sources.push_back(source);
  }
  ASSERT_TRUE(runtime->add_modules(sources));
  auto ids = [&](const ListOptions& options) {
    std::vector<std::string> out;
    auto listed = runtime->list_modules(options);
    EXPECT_TRUE(listed) << listed.error().to_string();
    if (listed) {
      for (const auto& info : *listed) out.push_back(info.id.str());
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}), (V{"app.p.a", "app.p.b", "app.p.c", "app.p.d", "app.p.e"}));
  EXPECT_EQ(ids({"", 2}), (V{"app.p.a", "app.p.b"}));
  EXPECT_EQ(ids({"app.p.b", 2}), (V{"app.p.c", "app.p.d"}));
  EXPECT_EQ(ids({"app.p.d", 2}), (V{"app.p.e"}));
  EXPECT_EQ(ids({"app.p.e", 2}), V{});
  EXPECT_EQ(ids({"app.p.bb", 0}), (V{"app.p.c", "app.p.d", "app.p.e"}));  // any text, not only ids
}

// Loading compiled code from the cache keeps no file open per module: a
// host with 100,000 modules would otherwise meet the open-files limit.
TEST(Registry, LoadingFromTheCacheHoldsNoDescriptorPerModule) {
  TempDir temp;
  constexpr int kModules = 60;
  std::vector<std::string> codes;
  for (int i = 0; i < kModules; ++i) {
    codes.push_back("(module (func (export \"n\") (result i32) (i32.const " + std::to_string(i) +
                    ")))");
  }
  {
    auto runtime = open_runtime(temp.path());
    std::vector<ModuleSource> sources;
    for (int i = 0; i < kModules; ++i) {
      ModuleSource source;
      source.code = std::as_bytes(std::span(codes[static_cast<std::size_t>(i)]));
      source.options.id = id(("app.distinct.m" + std::to_string(i)).c_str());
      sources.push_back(source);
    }
    ASSERT_TRUE(runtime->add_modules(sources));
  }
  auto reopened = open_runtime(temp.path());
  const std::size_t before = count_files("/proc/self/fd");
  auto report = reopened->load_installed();
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->from_cache, static_cast<std::size_t>(kModules));
  EXPECT_LT(count_files("/proc/self/fd"), before + kModules / 2);
}

// A host's start loads modules on several threads, with the same outcome
// as one after another: every module, damaged compiled code recompiled (never
// loaded), copies sharing their code, and the error of the first module (in
// the registry's order) whose binary is damaged too, every time.
TEST(Registry, LoadingOnSeveralThreadsIsDeterministic) {
  TempDir temp;
  constexpr int kModules = 40;
  std::vector<std::string> codes;
  for (int i = 0; i < kModules; ++i) {
    codes.push_back("(module (func (export \"n\") (result i32) (i32.const " + std::to_string(i) +
                    ")))");
  }
  auto name = [](int i) { return "app.load.m" + std::to_string(10 + i); };
  {
    auto runtime = open_runtime(temp.path());
    std::vector<ModuleSource> sources;
    for (int i = 0; i < kModules; ++i) {
      ModuleSource source;
      source.code = std::as_bytes(std::span(codes[static_cast<std::size_t>(i)]));
      source.options.id = id(name(i).c_str());
      sources.push_back(source);
    }
    // Three copies of the first binary.
    for (int copy = 0; copy < 3; ++copy) {
      ModuleSource source;
      source.code = std::as_bytes(std::span(codes[0]));
      source.options.id = id(("app.load.copy" + std::to_string(copy)).c_str());
      sources.push_back(source);
    }
    ASSERT_TRUE(runtime->add_modules(sources));
  }
  auto hash_of = [&](int i) {
    return sha256_hex(std::as_bytes(std::span(codes[static_cast<std::size_t>(i)])));
  };
  auto cache_of = [&](int i) {
    for (const auto& entry : std::filesystem::directory_iterator(temp.path() / "cache")) {
      if (entry.path().filename().string().rfind(hash_of(i), 0) == 0) {
        return entry.path();
      }
    }
    return std::filesystem::path();
  };
  // Every third module's compiled code damaged: recompiled, and each module
  // still answers with its own code.
  for (int i = 0; i < kModules; i += 3) {
    ASSERT_FALSE(cache_of(i).empty());
    orivon::testing::write_text(cache_of(i), "damaged");
  }
  {
    auto runtime = open_runtime(temp.path());
    auto report = runtime->load_installed();
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->modules, static_cast<std::size_t>(kModules + 3));
    EXPECT_EQ(report->compiled, static_cast<std::size_t>((kModules + 2) / 3));
    EXPECT_EQ(report->from_cache, static_cast<std::size_t>(kModules + 3 - (kModules + 2) / 3));
    for (int i : {0, 1, 2, 3, kModules - 1}) {
      auto program = runtime->program(id(name(i).c_str()));
      ASSERT_TRUE(program) << program.error().to_string();
      auto result = runtime->invoke(*program, "n()", {}, {});
      ASSERT_TRUE(result) << result.error().to_string();
      EXPECT_EQ(result->results, std::to_string(i));
    }
    auto copy = runtime->program(id("app.load.copy2"));
    ASSERT_TRUE(copy);
    EXPECT_EQ(runtime->invoke(*copy, "n()", {}, {})->results, "0");
  }
  // Modules 7 and 25: compiled code and binary both damaged. Module 7's
  // error, whichever thread reaches which first.
  for (int i : {7, 25}) {
    orivon::testing::write_text(cache_of(i), "damaged");
    orivon::testing::write_text(
        temp.path() / "code" / (hash_of(i) + ".wasm"),
        "damaged");
  }
  for (int round = 0; round < 5; ++round) {
    auto report = open_runtime(temp.path())->load_installed();
    ASSERT_FALSE(report);
    EXPECT_THAT(report.error().to_string(), HasSubstr("loading module '" + name(7) + "'"));
    EXPECT_THAT(report.error().to_string(), HasSubstr("does not match its hash"));
  }
}

}  // namespace
}  // namespace orivon
