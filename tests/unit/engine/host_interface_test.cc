#include "engine/host_interface.h"

#include <gtest/gtest.h>

namespace orivon::engine {
namespace {

TEST(HostInterface, AStoreHasNoContextUntilOneIsSet) {
  wasmtime::Engine engine;
  wasmtime::Store store(engine);
  EXPECT_EQ(store_context(store.context()), nullptr);

  set_store_context(store.context(), std::make_shared<StoreContext>(ModuleId::parse("test.host.one").value()));
  auto* context = store_context(store.context());
  ASSERT_NE(context, nullptr);
  ASSERT_TRUE(context->module().has_value());
  EXPECT_EQ(context->module()->str(), "test.host.one");
}

TEST(HostInterface, EachOwnerGetsItsOwnStateMadeOnce) {
  StoreContext context(std::nullopt);
  int made = 0;
  const int first_owner = 0, second_owner = 0;
  auto make = [&] {
    ++made;
    return std::make_shared<int>(made * 10);
  };
  int& a = context.state<int>(&first_owner, make);
  int& again = context.state<int>(&first_owner, make);
  int& b = context.state<int>(&second_owner, make);
  EXPECT_EQ(&a, &again);
  EXPECT_EQ(a, 10);
  EXPECT_EQ(b, 20);
  EXPECT_EQ(made, 2);
}

TEST(HostInterface, OnlyTheHostsOwnPackagesAreReserved) {
  EXPECT_TRUE(is_host_namespace("wasi:keyvalue/store@0.2.0-draft2"));
  EXPECT_TRUE(is_host_namespace("orivon:keyvalue/ext@0.1.0"));
  EXPECT_FALSE(is_host_namespace("orivon:calltest/back@0.1.0"));
  EXPECT_FALSE(is_host_namespace("example:log/sink@1.0.0"));
}

}  // namespace
}  // namespace orivon::engine
