// Export tables and the grant snapshot (src/registry/call_grants.cc): built
// from the engine's structured interface items, keyed by ModuleId.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "engine/engine.h"
#include "engine/interface_text.h"
#include "registry/module_registry.h"
#include "support/process.h"

namespace orivon::registry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

using engine::InterfaceItem;
using engine::ItemKind;

ModuleId id(const char* text) { return *ModuleId::parse(text); }

constexpr const char* kValues = "orivon:calltest/values@0.1.0";

TEST(ExportTable, HoldsFunctionsByKindNotBySignatureText) {
  const std::vector<InterfaceItem> exports = {
      {"greet", "", ItemKind::Function, "func(name: string) -> string"},
      {"api#add", "api", ItemKind::Function, "func(a: u32, b: u32) -> u32"},
      {"api#later", "api", ItemKind::Function, "async func()"},
      {"api#handle", "api", ItemKind::Resource, "resource"},
      // Looks like a function, is not one: left out.
      {"api#alias", "api", ItemKind::Type, "func(x: u8)"},
      {"lowered", "", ItemKind::CoreFunction, "core func(i32)"},
      {"outer#inner#f", "outer#inner", ItemKind::Function, "func(x: u8)"},
      {"types", "", ItemKind::Instance, "instance"},
  };
  const ExportTable table = export_table(ProgramKind::Component, exports);
  EXPECT_EQ(table.kind, ProgramKind::Component);
  EXPECT_THAT(table.functions,
              ElementsAre(Pair("api#add", "func(a: u32, b: u32) -> u32"),
                          Pair("api#later", "async func()"),
                          Pair("greet", "func(name: string) -> string"),
                          Pair("outer#inner#f", "func(x: u8)")));
  ASSERT_EQ(table.interfaces.size(), 2u);
  EXPECT_THAT(table.interface_functions("api"),
              ElementsAre(Pair("add", "func(a: u32, b: u32) -> u32"),
                          Pair("later", "async func()")));
  // A nested instance is an interface of its own, not part of its parent.
  EXPECT_THAT(table.interface_functions("outer#inner"), ElementsAre(Pair("f", "func(x: u8)")));
  EXPECT_THAT(table.interface_functions("outer"), IsEmpty());
  EXPECT_THAT(table.interface_functions("types"), IsEmpty());
}

TEST(CallGrantsFromRows, MergesRowsPerCallerAndTargetInTheOrderMade) {
  const std::vector<CallGrantRow> rows = {
      {"app.a.test", "lib.x.test", "f"},     {"app.b.test", "lib.x.test", "*"},
      {"app.a.test", "lib.x.test", "g"},     {"app.a.test", "lib.y.test", "h"},
      {"NotAnId", "lib.x.test", "*"},        {"app.b.test", "lib.x.test", "f"},
  };
  const auto grants = call_grants_from_rows(rows);
  ASSERT_EQ(grants.size(), 3u);
  EXPECT_EQ(grants[0].caller, id("app.a.test"));
  EXPECT_EQ(grants[0].target, id("lib.x.test"));
  EXPECT_THAT(grants[0].functions, ElementsAre("f", "g"));
  // "*" stands for every function, whatever else was granted by name.
  EXPECT_EQ(grants[1].caller, id("app.b.test"));
  EXPECT_THAT(grants[1].functions, IsEmpty());
  EXPECT_EQ(grants[2].target, id("lib.y.test"));
  EXPECT_THAT(grants[2].functions, ElementsAre("h"));
}

TEST(RefuseDependents, NamesEveryDependentAndIgnoresTheModulesOwnGrants) {
  const ModuleId lib = id("lib.x.test");
  EXPECT_TRUE(refuse_dependents(lib, {}));
  EXPECT_TRUE(refuse_dependents(lib, {CallGrant{lib, id("lib.y.test"), {}}}));

  auto refused = refuse_dependents(lib, {CallGrant{id("app.a.test"), lib, {"f", "g"}},
                                         CallGrant{lib, id("lib.y.test"), {}},
                                         CallGrant{id("group.g.test"), lib, {}},
                                         CallGrant{id("app.b.test"), lib, {}}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::FailedPrecondition);
  const std::string& message = refused.error().message();
  EXPECT_THAT(message, HasSubstr("cannot remove 'lib.x.test': 3 modules depend on it"));
  EXPECT_THAT(message, HasSubstr("app.a.test may call lib.x.test (grant: f, g)"));
  EXPECT_THAT(message, HasSubstr("group.g.test has lib.x.test as a member"));
  EXPECT_THAT(message, HasSubstr("app.b.test may call lib.x.test (grant: every function)"));
  EXPECT_THAT(message, Not(HasSubstr("lib.y.test")));
}

TEST(RefuseDependents, AThousandDependentsMakeABoundedMessage) {
  const ModuleId lib = id("lib.x.test");
  std::vector<CallGrant> grants;
  for (int i = 0; i < 1000; ++i) {
    grants.push_back(CallGrant{*ModuleId::parse("app.m" + std::to_string(i) + ".test"), lib, {}});
  }
  auto refused = refuse_dependents(lib, grants);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), HasSubstr("1000 modules depend on it"));
  EXPECT_THAT(refused.error().message(), HasSubstr("... and 950 more"));
  EXPECT_LT(refused.error().message().size(), 8'000u);
}

TEST(ExportTable, ACoreModuleHasFunctionsAndNoInterfaces) {
  const std::vector<InterfaceItem> exports = {
      {"add", "", ItemKind::Function, "func(i32, i32) -> i32"},
      {"memory", "", ItemKind::Memory, "memory(min 1 pages)"},
      {"counter", "", ItemKind::Global, "global(mut i32)"},
  };
  const ExportTable table = export_table(ProgramKind::CoreModule, exports);
  EXPECT_THAT(table.functions, ElementsAre(Pair("add", "func(i32, i32) -> i32")));
  EXPECT_THAT(table.interfaces, IsEmpty());
}

class CallGrants : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::Engine::create({});
    ASSERT_TRUE(engine) << engine.error().to_string();
    engine_ = std::move(*engine);
    auto registry = ModuleRegistry::open(*engine_, temp_.path());
    ASSERT_TRUE(registry) << registry.error().to_string();
    registry_ = std::move(*registry);
  }

  void install_text(const char* name, std::string_view wat) {
    AddOptions options;
    options.id = id(name);
    auto added = registry_->add(std::as_bytes(std::span(wat.data(), wat.size())), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  void install_guest(const char* name, const std::string& guest) {
    std::ifstream in(guest_path(guest, "component"), std::ios::binary);
    ASSERT_TRUE(in) << guest;
    const std::string code(std::istreambuf_iterator<char>(in), {});
    install_text(name, code);
  }

  TempDir temp_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<ModuleRegistry> registry_;
};

TEST_F(CallGrants, TheGrantSnapshotIsKeyedByModuleId) {
  install_text("app.caller.test", "(module)");
  install_text("app.callee.test", R"((module (func (export "ping") (result i32) i32.const 1)
                                             (memory (export "m") 1)))");
  ASSERT_TRUE(registry_->grant_calls(id("app.caller.test"), id("app.callee.test"), {"ping"}));
  const auto snapshot = registry_->grant_snapshot();
  const auto* grants = snapshot->grants_of(id("app.caller.test"));
  ASSERT_NE(grants, nullptr);
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].target, id("app.callee.test"));
  EXPECT_FALSE((*grants)[0].all);
  EXPECT_THAT((*grants)[0].functions, ElementsAre("ping"));
  EXPECT_EQ(snapshot->grants_of(id("app.callee.test")), nullptr);

  auto exports = registry_->exports(id("app.callee.test"));
  ASSERT_TRUE(exports) << exports.error().to_string();
  EXPECT_THAT((*exports)->functions, ElementsAre(Pair("ping", "func() -> i32")));

  // Removing the callee (forced: the caller depends on it) takes its grants
  // and its cached exports with it.
  ASSERT_TRUE(registry_->remove(id("app.callee.test"), RemoveDependents::Remove));
  EXPECT_EQ(registry_->grant_snapshot()->grants_of(id("app.caller.test")), nullptr);
  EXPECT_FALSE(registry_->exports(id("app.callee.test")));
}

TEST_F(CallGrants, AComponentsExportTableGroupsFunctionsByInterface) {
  install_guest("app.callee.test", "call_callee");
  install_guest("group.values.test", "call_values_group");
  auto exports = registry_->exports(id("app.callee.test"));
  ASSERT_TRUE(exports) << exports.error().to_string();
  EXPECT_EQ((*exports)->kind, ProgramKind::Component);
  ASSERT_EQ((*exports)->interfaces.size(), 1u);
  const auto functions = (*exports)->interface_functions(kValues);
  EXPECT_EQ(functions.at("add"), "func(a: s64, b: s64) -> s64");
  EXPECT_EQ(functions.at("spin"), "func()");
  EXPECT_EQ((*exports)->functions.at(std::string(kValues) + "#whoami"), "func() -> string");

  // A group stands for the one interface it exports.
  auto group = registry_->group(id("group.values.test"));
  ASSERT_TRUE(group) << group.error().to_string();
  EXPECT_EQ(group->interface, kValues);
  ASSERT_TRUE(registry_->grant_calls(id("group.values.test"), id("app.callee.test"), {}));
}

TEST_F(CallGrants, RemovingAModuleOthersDependOnIsRefusedUnlessForced) {
  install_guest("app.callee.test", "call_callee");
  install_guest("group.values.test", "call_values_group");
  install_text("app.caller.test", "(module)");
  install_text("app.other.test", "(module (func (export \"f\")))");
  ASSERT_TRUE(registry_->grant_calls(id("app.caller.test"), id("app.callee.test"), {"add"}));
  ASSERT_TRUE(registry_->grant_calls(id("group.values.test"), id("app.callee.test"), {}));
  ASSERT_TRUE(registry_->grant_calls(id("app.callee.test"), id("app.other.test"), {}));

  // Refused, naming the caller and the group, and nothing changed.
  auto refused = registry_->remove(id("app.callee.test"), RemoveDependents::Refuse);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_THAT(refused.error().message(),
              HasSubstr("app.caller.test may call app.callee.test (grant: " +
                        std::string(kValues) + "#add)"));
  EXPECT_THAT(refused.error().message(),
              HasSubstr("group.values.test has app.callee.test as a member"));
  EXPECT_FALSE(registry_->refuse_if_depended_on(id("app.callee.test")));
  auto kept = registry_->call_grants(std::nullopt);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->size(), 3u);
  EXPECT_TRUE(registry_->inspect(id("app.callee.test")));

  // A module only others' grants point away from is removed with its own.
  auto caller = registry_->remove(id("app.caller.test"), RemoveDependents::Refuse);
  ASSERT_TRUE(caller) << caller.error().to_string();
  ASSERT_EQ(caller->size(), 1u);
  EXPECT_EQ((*caller)[0].target, id("app.callee.test"));

  // Forced: the module goes, and every grant held by it or on it is reported.
  auto forced = registry_->remove(id("app.callee.test"), RemoveDependents::Remove);
  ASSERT_TRUE(forced) << forced.error().to_string();
  ASSERT_EQ(forced->size(), 2u);
  EXPECT_EQ((*forced)[0].caller, id("group.values.test"));
  EXPECT_THAT((*forced)[0].functions, IsEmpty());
  EXPECT_EQ((*forced)[1].caller, id("app.callee.test"));
  EXPECT_EQ((*forced)[1].target, id("app.other.test"));
  EXPECT_THAT(*registry_->call_grants(std::nullopt), IsEmpty());
  EXPECT_TRUE(registry_->refuse_if_depended_on(id("app.callee.test")));
  EXPECT_EQ(registry_->remove(id("app.callee.test"), RemoveDependents::Remove).error().code(),
            ErrorCode::NotFound);
}

}  // namespace
}  // namespace orivon::registry
