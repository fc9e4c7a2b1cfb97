// Module configuration in the registry (src/registry/module_config.cc): the
// manifest's values overridden by the client's, persisted, checked, and
// published to the cell running instances read.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include "engine/engine.h"
#include "registry/module_registry.h"
#include "support/process.h"

namespace orivon::registry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using orivon::testing::TempDir;

ModuleId id(const char* text) { return *ModuleId::parse(text); }

constexpr const char* kModule = "app.configured.test";

ConfigEntry entry(std::string key, std::string value, ConfigSource source,
                  std::optional<std::string> manifest_value = std::nullopt) {
  return ConfigEntry{std::move(key), std::move(value), source, std::move(manifest_value)};
}

class ModuleConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = engine::Engine::create({});
    ASSERT_TRUE(engine) << engine.error().to_string();
    engine_ = std::move(*engine);
    reopen();
    install(kModule, "[config]\nnetwork = \"mainnet\"\nmax-peers = 8\n");
  }

  void reopen() {
    registry_.reset();
    auto registry = ModuleRegistry::open(*engine_, temp_.path());
    ASSERT_TRUE(registry) << registry.error().to_string();
    registry_ = std::move(*registry);
  }

  void install(const char* name, std::string_view manifest_toml) {
    AddOptions options;
    options.id = id(name);
    if (!manifest_toml.empty()) {
      auto manifest = parse_manifest(manifest_toml, ManifestFormat::Toml);
      ASSERT_TRUE(manifest) << manifest.error().to_string();
      options.manifest = std::move(*manifest);
    }
    constexpr std::string_view kWat = "(module)";
    auto added = registry_->add(std::as_bytes(std::span(kWat.data(), kWat.size())), options);
    ASSERT_TRUE(added) << added.error().to_string();
  }

  std::vector<ConfigEntry> config(const char* name = kModule) {
    auto config = registry_->config(id(name));
    EXPECT_TRUE(config) << config.error().to_string();
    return config ? *config : std::vector<ConfigEntry>{};
  }

  TempDir temp_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<ModuleRegistry> registry_;
};

TEST_F(ModuleConfig, StartsAsTheManifestSaysSortedByKey) {
  EXPECT_THAT(config(), ElementsAre(entry("max-peers", "8", ConfigSource::Manifest),
                                    entry("network", "mainnet", ConfigSource::Manifest)));
  install("app.plain.test", "");
  EXPECT_THAT(config("app.plain.test"), IsEmpty());
}

TEST_F(ModuleConfig, TheClientOverridesAndAddsKeysAndUnsetBringsTheManifestBack) {
  ASSERT_TRUE(registry_->set_config(id(kModule), "network", "regtest"));
  ASSERT_TRUE(registry_->set_config(id(kModule), "rpc-user", "alice"));
  EXPECT_THAT(config(), ElementsAre(entry("max-peers", "8", ConfigSource::Manifest),
                                    entry("network", "regtest", ConfigSource::Client, "mainnet"),
                                    entry("rpc-user", "alice", ConfigSource::Client)));

  ASSERT_TRUE(registry_->unset_config(id(kModule), "network"));
  ASSERT_TRUE(registry_->unset_config(id(kModule), "rpc-user"));
  EXPECT_THAT(config(), ElementsAre(entry("max-peers", "8", ConfigSource::Manifest),
                                    entry("network", "mainnet", ConfigSource::Manifest)));
}

TEST_F(ModuleConfig, ClientValuesSurviveReopeningAndGoWithTheModule) {
  ASSERT_TRUE(registry_->set_config(id(kModule), "network", "regtest"));
  reopen();
  EXPECT_THAT(config(), ElementsAre(entry("max-peers", "8", ConfigSource::Manifest),
                                    entry("network", "regtest", ConfigSource::Client, "mainnet")));

  ASSERT_TRUE(registry_->remove(id(kModule), RemoveDependents::Refuse));
  install(kModule, "");
  EXPECT_THAT(config(), IsEmpty()) << "a new module of the same id starts afresh";
}

TEST_F(ModuleConfig, UnsettingWhatTheClientNeverSetIsNotFoundAndSaysWhy) {
  auto manifest_key = registry_->unset_config(id(kModule), "network");
  ASSERT_FALSE(manifest_key);
  EXPECT_EQ(manifest_key.error().code(), ErrorCode::NotFound);
  EXPECT_THAT(manifest_key.error().message(), HasSubstr("comes from the manifest"));

  auto unknown_key = registry_->unset_config(id(kModule), "nothing");
  ASSERT_FALSE(unknown_key);
  EXPECT_EQ(unknown_key.error().code(), ErrorCode::NotFound);
  EXPECT_THAT(unknown_key.error().message(), HasSubstr("set no value for 'nothing'"));
}

TEST_F(ModuleConfig, RefusesUnknownModulesGroupsAndBadEntries) {
  auto missing = registry_->set_config(id("app.missing.test"), "a", "b");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(registry_->config(id("app.missing.test")).error().code(), ErrorCode::NotFound);

  auto group = registry_->set_config(id("group.some.test"), "a", "b");
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code(), ErrorCode::FailedPrecondition);

  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"Upper", "v"},
           {"", "v"},
           {std::string(129, 'k'), "v"},
           {"ok", std::string(8193, 'v')},
           {"ok", "bell\x07"},
           {"ok", "\xff\xfe"}}) {
    auto refused = registry_->set_config(id(kModule), key, value);
    ASSERT_FALSE(refused) << key;
    EXPECT_EQ(refused.error().code(), ErrorCode::InvalidArgument) << key;
  }
  // Nothing was stored by the refusals.
  EXPECT_EQ(config().size(), 2u);
}

TEST_F(ModuleConfig, AModuleHasAtMost256Keys) {
  // The manifest holds 2; the client may add 254 more.
  for (int i = 0; i < 254; ++i) {
    ASSERT_TRUE(registry_->set_config(id(kModule), "key-" + std::to_string(i), "v")) << i;
  }
  auto one_more = registry_->set_config(id(kModule), "one-more", "v");
  ASSERT_FALSE(one_more);
  EXPECT_EQ(one_more.error().code(), ErrorCode::ResourceExhausted);
  EXPECT_THAT(one_more.error().message(), HasSubstr("256"));
  // Replacing an existing key is still allowed at the limit.
  EXPECT_TRUE(registry_->set_config(id(kModule), "network", "testnet"));
  EXPECT_TRUE(registry_->set_config(id(kModule), "key-0", "w"));
}

TEST_F(ModuleConfig, TheCellIsSwappedOnEveryChangeAndOldSnapshotsStayWhole) {
  auto cell = registry_->config_cell(id(kModule));
  ASSERT_TRUE(cell) << cell.error().to_string();
  const auto before = (*cell)->load();
  EXPECT_THAT(before->values, ElementsAre(Pair("max-peers", "8"), Pair("network", "mainnet")));

  ASSERT_TRUE(registry_->set_config(id(kModule), "network", "regtest"));
  const auto after = (*cell)->load();
  EXPECT_THAT(after->values, ElementsAre(Pair("max-peers", "8"), Pair("network", "regtest")));
  // A reader holding the old snapshot still sees it, unchanged.
  EXPECT_THAT(before->values, ElementsAre(Pair("max-peers", "8"), Pair("network", "mainnet")));
  // The same cell is handed out again.
  EXPECT_EQ(registry_->config_cell(id(kModule))->get(), cell->get());

  ASSERT_TRUE(registry_->remove(id(kModule), RemoveDependents::Refuse));
  EXPECT_THAT((*cell)->load()->values, IsEmpty()) << "a removed module's cell is emptied";
  EXPECT_EQ(registry_->config_cell(id(kModule)).error().code(), ErrorCode::NotFound);
}

TEST_F(ModuleConfig, ADamagedStoredValueIsAnErrorNotAGuestValue) {
  ASSERT_TRUE(registry_->set_config(id(kModule), "network", "regtest"));
  registry_.reset();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((temp_.path() / "state.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE config_overrides SET key = 'Bad Key'", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  reopen();
  auto damaged = registry_->config(id(kModule));
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code(), ErrorCode::Internal);
  EXPECT_THAT(damaged.error().to_string(), HasSubstr("damaged"));
  EXPECT_FALSE(registry_->config_cell(id(kModule)));
}

}  // namespace
}  // namespace orivon::registry
