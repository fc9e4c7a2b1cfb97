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
using ::testing::IsEmpty;
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

  // Removing the callee takes its grants and its cached exports with it.
  ASSERT_TRUE(registry_->remove(id("app.callee.test")));
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

}  // namespace
}  // namespace orivon::registry
