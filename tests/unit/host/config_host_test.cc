// wasi:config/store served by the host (src/host/): ConfigReader's
// per-call snapshots with a fake source, then real guests through the
// Runtime, built against both version strings of the interface.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <map>

#include "host/config_reader.h"
#include "orivon/runtime.h"
#include "support/process.h"

namespace orivon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

ModuleId id(const char* text) { return *ModuleId::parse(text); }

std::shared_ptr<const registry::ConfigSnapshot> snapshot(
    std::map<std::string, std::string, std::less<>> values) {
  return std::make_shared<const registry::ConfigSnapshot>(
      registry::ConfigSnapshot{std::move(values)});
}

class FakeSource : public host::ConfigSource {
 public:
  Result<std::shared_ptr<registry::ConfigCell>> config_cell(const ModuleId& module) override {
    ++lookups;
    if (!cell) return Error(ErrorCode::NotFound, "no module '" + module.str() + "'");
    return cell;
  }
  std::shared_ptr<registry::ConfigCell> cell;
  int lookups = 0;
};

TEST(ConfigReader, PinsOneSnapshotPerCall) {
  FakeSource source;
  source.cell = std::make_shared<registry::ConfigCell>(snapshot({{"network", "mainnet"}}));
  host::ConfigReader reader(id("app.reader.test"), source);

  EXPECT_EQ(*reader.get(1, "network"), "mainnet");
  source.cell->publish(snapshot({{"network", "regtest"}, {"extra", "x"}}));
  // The rest of call 1 still reads what it first saw.
  EXPECT_EQ(*reader.get(1, "network"), "mainnet");
  EXPECT_THAT(*reader.get_all(1), ElementsAre(Pair("network", "mainnet")));
  // Call 2 sees the change.
  EXPECT_EQ(*reader.get(2, "network"), "regtest");
  EXPECT_THAT(*reader.get_all(2), ElementsAre(Pair("extra", "x"), Pair("network", "regtest")));
  EXPECT_FALSE(*reader.get(2, "missing"));
  EXPECT_EQ(source.lookups, 1) << "the cell is found once per store";
}

TEST(ConfigReader, AFailureIsAnErrorAndTheNextCallTriesAgain) {
  FakeSource source;
  host::ConfigReader reader(id("app.reader.test"), source);
  auto failed = reader.get(1, "network");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::NotFound);
  source.cell = std::make_shared<registry::ConfigCell>(snapshot({{"network", "mainnet"}}));
  EXPECT_EQ(*reader.get(2, "network"), "mainnet");
}

TEST(ConfigReader, AStoreWithoutAModuleReadsNothing) {
  FakeSource source;
  host::ConfigReader reader(std::nullopt, source);
  EXPECT_FALSE(*reader.get(1, "network"));
  EXPECT_THAT(*reader.get_all(1), IsEmpty());
  EXPECT_EQ(source.lookups, 0);
}

constexpr const char* kProbe = "app.config-probe.test";
constexpr const char* kHook = "test:config-probe/hook";

class ConfigHost : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.state_dir = temp_.path();
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
  }

  void install(const char* name, std::string_view manifest_toml,
               const char* guest = "config_probe") {
    AddOptions options;
    options.id = id(name);
    auto manifest = parse_manifest(manifest_toml, ManifestFormat::Toml);
    ASSERT_TRUE(manifest) << manifest.error().to_string();
    options.manifest = std::move(*manifest);
    auto added = runtime_->add_module_file(guest_path(guest, "component"), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  void start(const char* name) {
    auto started = runtime_->start_service(id(name));
    ASSERT_TRUE(started) << started.error().to_string();
  }

  std::string call(const char* name, const std::string& expression) {
    auto outcome = runtime_->call(id(name), expression);
    EXPECT_TRUE(outcome) << outcome.error().to_string();
    return outcome ? outcome->results : "";
  }

  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(ConfigHost, AServiceReadsItsManifestsValuesAndTheClientsWithoutARestart) {
  install(kProbe, "[config]\nnetwork = \"mainnet\"\nmax-peers = 8\n");
  start(kProbe);
  EXPECT_EQ(call(kProbe, "get(\"network\")"), "ok(some(\"mainnet\"))");
  EXPECT_EQ(call(kProbe, "get(\"nothing\")"), "ok(none)");
  EXPECT_EQ(call(kProbe, "get-all()"), "ok([(\"max-peers\", \"8\"), (\"network\", \"mainnet\")])");

  ASSERT_TRUE(runtime_->set_config(id(kProbe), "network", "regtest"));
  EXPECT_EQ(call(kProbe, "get(\"network\")"), "ok(some(\"regtest\"))");
  ASSERT_TRUE(runtime_->unset_config(id(kProbe), "network"));
  EXPECT_EQ(call(kProbe, "get(\"network\")"), "ok(some(\"mainnet\"))");
  EXPECT_EQ(runtime_->service_metrics(id(kProbe)).restarts, 0u);
  EXPECT_EQ(runtime_->service_metrics(id(kProbe)).state, ModuleState::Running);
}

TEST_F(ConfigHost, OneCallReadsOneSnapshotAndTheNextCallTheNewOne) {
  install(kProbe, "[config]\nnetwork = \"mainnet\"\n");
  ASSERT_TRUE(runtime_->allow_grant(id(kProbe), std::string("host:") + kHook));
  std::atomic<int> pokes{0};
  // Called by the guest between its two reads: changes the value mid-call.
  ASSERT_TRUE(runtime_->register_host_function(
      kHook, "poke", [&](std::span<const Value>) -> Result<std::vector<Value>> {
        ++pokes;
        ORIVON_RETURN_IF_ERROR(runtime_->set_config(id(kProbe), "network",
                                                    "changed-" + std::to_string(pokes.load())));
        return std::vector<Value>{Value::ok()};
      }));
  start(kProbe);
  EXPECT_EQ(call(kProbe, "get-around-poke(\"network\")"),
            "ok((some(\"mainnet\"), some(\"mainnet\")))");
  EXPECT_EQ(pokes, 1);
  EXPECT_EQ(call(kProbe, "get-around-poke(\"network\")"),
            "ok((some(\"changed-1\"), some(\"changed-1\")))");
  EXPECT_EQ(call(kProbe, "get(\"network\")"), "ok(some(\"changed-2\"))");
}

TEST_F(ConfigHost, AServiceExportingTheWatchIsToldWhichKeysChanged) {
  install(kProbe, "[config]\nnetwork = \"mainnet\"\n");
  // Not running: nothing to tell, and the change is stored all the same.
  ASSERT_TRUE(runtime_->set_config(id(kProbe), "rpc-user", "alice"));
  start(kProbe);
  EXPECT_EQ(call(kProbe, "last-change()"), "(0, \"\")");

  ASSERT_TRUE(runtime_->set_config(id(kProbe), "network", "regtest"));
  // Told during set_config, and its reads in on-change saw the new value.
  EXPECT_EQ(call(kProbe, "last-change()"), "(1, \"network=regtest\")");
  ASSERT_TRUE(runtime_->unset_config(id(kProbe), "rpc-user"));
  EXPECT_EQ(call(kProbe, "last-change()"), "(2, \"rpc-user\")");
  ASSERT_TRUE(runtime_->unset_config(id(kProbe), "network"));
  EXPECT_EQ(call(kProbe, "last-change()"), "(3, \"network=mainnet\")");
  // Setting the value it already sees changes nothing: it is not called.
  ASSERT_TRUE(runtime_->set_config(id(kProbe), "network", "mainnet"));
  EXPECT_EQ(call(kProbe, "last-change()"), "(3, \"network=mainnet\")");
  EXPECT_EQ(runtime_->service_metrics(id(kProbe)).restarts, 0u);
}

TEST_F(ConfigHost, TheDraftVersionIsServedByTheSameImplementation) {
  install(kProbe, "[config]\nnetwork = \"mainnet\"\n", "config_probe_draft");
  ASSERT_TRUE(runtime_->set_config(id(kProbe), "rpc-user", "alice"));
  start(kProbe);
  EXPECT_EQ(call(kProbe, "get-all()"),
            "ok([(\"network\", \"mainnet\"), (\"rpc-user\", \"alice\")])");
}

// Hostile: the interface names no module, so whatever key a module guesses
// it reads only its own configuration.
TEST_F(ConfigHost, AModuleNeverReadsAnotherModulesConfiguration) {
  install(kProbe, "[config]\nshared = \"mine\"\n");
  install("app.victim.test", "[config]\nshared = \"victim\"\nsecret = \"s3cret\"\n");
  ASSERT_TRUE(runtime_->set_config(id("app.victim.test"), "token", "t0ken"));
  start(kProbe);
  start("app.victim.test");
  EXPECT_EQ(call(kProbe, "get-all()"), "ok([(\"shared\", \"mine\")])");
  EXPECT_EQ(call(kProbe, "get(\"secret\")"), "ok(none)");
  EXPECT_EQ(call(kProbe, "get(\"token\")"), "ok(none)");
  EXPECT_EQ(call("app.victim.test", "get(\"secret\")"), "ok(some(\"s3cret\"))");
  // A key far past any limit is simply absent.
  EXPECT_EQ(call(kProbe, "get(\"" + std::string(1 << 20, 'k') + "\")"), "ok(none)");
}

TEST_F(ConfigHost, AProgramRunFromAFileHasNoConfiguration) {
  auto program = runtime_->load_file(guest_path("config_probe_draft", "component"));
  ASSERT_TRUE(program) << program.error().to_string();
  auto outcome = runtime_->invoke(*program, "get-all()", {}, {});
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_EQ(outcome->results, "ok([])");
}

TEST_F(ConfigHost, ADamagedStoredValueReachesTheGuestAsAnErrorValue) {
  install(kProbe, "[config]\nnetwork = \"mainnet\"\n");
  ASSERT_TRUE(runtime_->set_config(id(kProbe), "network", "regtest"));
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((temp_.path() / "state.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE config_overrides SET value = 'bell' || char(7)", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  start(kProbe);
  const std::string got = call(kProbe, "get(\"network\")");
  // The guest turns error::upstream(message) into "upstream: message".
  EXPECT_THAT(got, HasSubstr("err(\"upstream: "));
  EXPECT_THAT(got, HasSubstr("damaged"));
  EXPECT_EQ(runtime_->service_metrics(id(kProbe)).state, ModuleState::Running);
}

}  // namespace
}  // namespace orivon
