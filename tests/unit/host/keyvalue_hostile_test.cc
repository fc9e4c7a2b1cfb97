// Hostile modules against the key-value host: an import under the standard
// name with another signature, and a module writing a million keys. The
// host must refuse or trap the module, keep its own memory bounded, and go
// on serving others. (Grants, quotas, oversize keys and values, other
// modules' private buckets and handle floods are in keyvalue_test.cc.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "engine/engine.h"
#include "host/keyvalue_host.h"
#include "instance/live_instance.h"
#include "orivon/runtime.h"
#include "support/process.h"
#include "support/wat_program.h"

namespace orivon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

class NoGrants final : public host::BucketPolicy {
 public:
  std::uint64_t version() const override { return 1; }
  host::BucketAccess access(const ModuleId&, std::string_view) override {
    return host::BucketAccess::None;
  }
};

// wasi:keyvalue/store's `open`, imported as taking a number.
constexpr std::string_view kWrongSignature = R"((component
  (import "wasi:keyvalue/store@0.2.0-draft2" (instance $kv
    (export "open" (func (param "identifier" u32) (result u32)))))
  (core func $open (canon lower (func $kv "open")))
  (core module $m
    (import "kv" "open" (func $open (param i32) (result i32)))
    (func (export "go") (result i32) (call $open (i32.const 7))))
  (core instance $i (instantiate $m (with "kv" (instance (export "open" (func $open))))))
  (func (export "go") (result u32) (canon lift (core func $i "go"))))
)";

TEST(HostileKeyValue, AnImportWithAnotherSignatureTrapsOnlyItsCaller) {
  TempDir temp;
  auto store = kv::KvStore::open(temp.path() / "kv.db");
  ASSERT_TRUE(store) << store.error().to_string();
  std::shared_ptr<kv::KvStore> shared = std::move(*store);
  auto engine = engine::Engine::create(
      RuntimeOptions{},
      {std::make_shared<host::KeyValueHost>(shared, std::make_shared<NoGrants>())});
  ASSERT_TRUE(engine) << engine.error().to_string();
  Program program = testing::load_wat((*engine)->wasmtime_engine(), kWrongSignature);
  instance::StoreHooks hooks;
  hooks.module = *ModuleId::parse("test.kv.hostile");
  auto live = instance::LiveInstance::create(**engine, program.shared_data(), WasiProfile{},
                                             ExecutionLimits{}, hooks);
  ASSERT_TRUE(live) << live.error().to_string();
  auto called = instance::call_by_name(*live, "go", {});
  ASSERT_FALSE(called);
  EXPECT_THAT(called.error().message(), HasSubstr("wasi:keyvalue open: expected a string"));
  // The store still works for everyone else.
  auto mine = kv::BucketRef::private_of(*ModuleId::parse("test.kv.other"));
  EXPECT_TRUE(shared->set(mine, "k", std::as_bytes(std::span("v", 1))));
}

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

TEST(HostileKeyValue, AMillionKeysFromOneModuleKeepTheHostsMemoryBounded) {
  TempDir temp;
  RuntimeOptions options;
  options.state_dir = temp.path();
  auto runtime = Runtime::create(options);
  ASSERT_TRUE(runtime) << runtime.error().to_string();
  const auto flood = *ModuleId::parse("test.kv.flood");
  const auto calm = *ModuleId::parse("test.kv.calm");
  for (const auto& id : {flood, calm}) {
    AddOptions add;
    add.id = id;
    ASSERT_TRUE((*runtime)->add_module_file(guest_path("kv_probe", "component"), add));
    ServiceSettings settings;
    settings.call_deadline = 300s;
    (*runtime)->set_service_settings(id, settings);
    ASSERT_TRUE((*runtime)->start_service(id));
  }
  ASSERT_TRUE((*runtime)->call(calm, R"(set("", "before", "1"))"));
  const std::uint64_t before = resident_bytes();
  // 1,000,000 keys of 16-byte values, a thousand per set-many.
  auto filled = (*runtime)->call(flood, R"(fill("", "key-", 1000000, 1000, 16))");
  ASSERT_TRUE(filled) << filled.error().to_string();
  EXPECT_EQ(filled->results, "\"ok\"");
  const std::uint64_t after = resident_bytes();
  // The keys are on disk, not in the host: what grows is SQLite's page cache
  // (bounded by its cache size) and allocator slack. AddressSanitizer keeps
  // freed memory in quarantine (256 MiB by default), so there the bound
  // would measure the sanitizer.
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(after - std::min(after, before), std::uint64_t{96} << 20)
      << "resident memory grew from " << before << " to " << after;
#else
  (void)before;
  (void)after;
#endif
  auto info = (*runtime)->kv_buckets();
  ASSERT_TRUE(info);
  std::uint64_t keys = 0;
  for (const auto& bucket : *info) {
    if (bucket.name == "@test.kv.flood") keys = bucket.keys;
  }
  EXPECT_EQ(keys, 1'000'000u);
  // The other module was never held up for good.
  auto calm_get = (*runtime)->call(calm, R"(get("", "before"))");
  ASSERT_TRUE(calm_get) << calm_get.error().to_string();
  EXPECT_EQ(calm_get->results, "\"1\"");
}

}  // namespace
}  // namespace orivon
