// wasi:keyvalue through the public Runtime API: the kv_probe guest (built
// from tests/guests/kv_probe) running as services on a real state directory,
// its buckets in a real SQLite file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <thread>

#include "orivon/runtime.h"
#include "support/process.h"

namespace orivon {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using orivon::testing::guest_path;
using orivon::testing::TempDir;

ModuleId id(const std::string& text) { return *ModuleId::parse(text); }

std::span<const std::byte> bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

std::string text(const std::vector<std::byte>& value) {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

class KeyValue : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open(BucketLimits limits = {}) {
    runtime_.reset();
    RuntimeOptions options;
    options.state_dir = temp_.path();
    options.kv_limits = limits;
    auto runtime = Runtime::create(options);
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
  }

  void service(const std::string& name) {
    AddOptions options;
    options.id = id(name);
    auto added = runtime_->add_module_file(guest_path("kv_probe", "component"), options);
    ASSERT_TRUE(added) << added.error().to_string();
    ServiceSettings settings;
    settings.restart.policy = RestartPolicy::Never;
    settings.call_deadline = 20s;
    runtime_->set_service_settings(id(name), settings);
    auto started = runtime_->start_service(id(name));
    ASSERT_TRUE(started) << started.error().to_string();
  }

  void allow(const std::string& name, const std::string& grant) {
    auto allowed = runtime_->allow_grant(id(name), grant);
    ASSERT_TRUE(allowed) << allowed.error().to_string();
  }

  void create(const std::string& bucket) {
    auto created = runtime_->kv_create_bucket(bucket);
    ASSERT_TRUE(created) << created.error().to_string();
  }

  // The guest's text result (a WAVE string), unquoted for readability.
  std::string call(const std::string& name, const std::string& expression) {
    auto outcome = runtime_->call(id(name), expression);
    if (!outcome) return "call failed: " + outcome.error().to_string();
    std::string result = outcome->results;
    if (result.size() >= 2 && result.front() == '"' && result.back() == '"') {
      result = result.substr(1, result.size() - 2);
    }
    return result;
  }

  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
};

TEST_F(KeyValue, APrivateBucketNeedsNoGrantAndKeepsItsValues) {
  service("test.kv.one");
  EXPECT_EQ(call("test.kv.one", R"(get("", "greeting"))"), "none");
  EXPECT_EQ(call("test.kv.one", R"(set("", "greeting", "hello"))"), "ok");
  EXPECT_EQ(call("test.kv.one", R"(get("", "greeting"))"), "hello");
  EXPECT_EQ(call("test.kv.one", R"(exists("", "greeting"))"), "true");
  EXPECT_EQ(call("test.kv.one", R"(remove("", "greeting"))"), "ok");
  EXPECT_EQ(call("test.kv.one", R"(exists("", "greeting"))"), "false");

  // The client sees the same bucket under @ID.
  EXPECT_EQ(call("test.kv.one", R"(set("", "k", "v"))"), "ok");
  auto entry = runtime_->kv_get("@test.kv.one", "k");
  ASSERT_TRUE(entry && *entry) << (entry ? "absent" : entry.error().to_string());
  EXPECT_EQ(text((*entry)->value), "v");
}

TEST_F(KeyValue, ANamedBucketNeedsAGrantAndReadOnlyRefusesWrites) {
  create("shared");
  service("test.kv.one");
  EXPECT_EQ(call("test.kv.one", R"(open-bucket("shared"))"), "error: access-denied");
  // Without a grant, whether a bucket exists is not revealed either.
  EXPECT_EQ(call("test.kv.one", R"(open-bucket("missing"))"), "error: access-denied");

  allow("test.kv.one", "kv:shared:ro");
  EXPECT_EQ(call("test.kv.one", R"(open-bucket("shared"))"), "ok");
  EXPECT_EQ(call("test.kv.one", R"(set("shared", "a", "1"))"), "error: access-denied");
  ASSERT_TRUE(runtime_->kv_set("shared", "a", bytes("from the client")));
  EXPECT_EQ(call("test.kv.one", R"(get("shared", "a"))"), "from the client");

  allow("test.kv.one", "kv:shared:rw");
  EXPECT_EQ(call("test.kv.one", R"(set("shared", "a", "2"))"), "ok");
  EXPECT_EQ(call("test.kv.one", R"(get("shared", "a"))"), "2");

  allow("test.kv.one", "kv:*:rw");
  EXPECT_EQ(call("test.kv.one", R"(open-bucket("missing"))"), "error: no-such-store");
}

TEST_F(KeyValue, ADenyReachesAHandleAlreadyOpen) {
  create("shared");
  service("test.kv.one");
  allow("test.kv.one", "kv:shared:rw");
  EXPECT_EQ(call("test.kv.one", R"(hold("shared"))"), "ok");
  EXPECT_EQ(call("test.kv.one", R"(held-set("a", "1"))"), "ok");
  ASSERT_TRUE(runtime_->deny_grant(id("test.kv.one"), "kv:shared:rw"));
  EXPECT_EQ(call("test.kv.one", R"(held-set("a", "2"))"), "error: access-denied");
  EXPECT_EQ(call("test.kv.one", R"(held-get("a"))"), "error: access-denied");
  allow("test.kv.one", "kv:shared:ro");
  EXPECT_EQ(call("test.kv.one", R"(held-get("a"))"), "1");
  EXPECT_EQ(call("test.kv.one", R"(held-set("a", "3"))"), "error: access-denied");
}

TEST_F(KeyValue, OneModuleCannotReachAnothersPrivateBucket) {
  service("test.kv.one");
  service("test.kv.two");
  EXPECT_EQ(call("test.kv.one", R"(set("", "secret", "one's"))"), "ok");
  EXPECT_EQ(call("test.kv.two", R"(get("", "secret"))"), "none");
  // A private bucket's storage name is no bucket name a guest can open.
  EXPECT_EQ(call("test.kv.two", R"(open-bucket("@test.kv.one"))"), "error: no-such-store");
  allow("test.kv.two", "kv:*:rw");
  EXPECT_EQ(call("test.kv.two", R"(open-bucket("@test.kv.one"))"), "error: no-such-store");
}

TEST_F(KeyValue, IncrementIsAtomicAcrossModules) {
  create("counters");
  constexpr int kModules = 8;
  constexpr int kEach = 10'000;
  for (int i = 0; i < kModules; ++i) {
    const std::string name = "test.kv.m" + std::to_string(i);
    service(name);
    allow(name, "kv:counters:rw");
  }
  std::vector<std::thread> threads;
  std::vector<std::string> outcomes(kModules);
  for (int i = 0; i < kModules; ++i) {
    threads.emplace_back([&, i] {
      outcomes[i] = call("test.kv.m" + std::to_string(i),
                         R"(increment-many("counters", "hits", )" + std::to_string(kEach) + ")");
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& outcome : outcomes) EXPECT_EQ(outcome, "ok");
  auto entry = runtime_->kv_get("counters", "hits");
  ASSERT_TRUE(entry && *entry);
  EXPECT_EQ(text((*entry)->value), std::to_string(kModules * kEach));
}

TEST_F(KeyValue, IncrementOfSomethingElseIsAnErrorValueNotATrap) {
  service("test.kv.one");
  EXPECT_EQ(call("test.kv.one", R"(set("", "name", "not a number"))"), "ok");
  EXPECT_THAT(call("test.kv.one", R"(increment("", "name", 1))"),
              HasSubstr("is not a decimal integer, so it cannot be incremented"));
  EXPECT_EQ(call("test.kv.one", R"(increment("", "n", 5))"), "5");
  EXPECT_EQ(call("test.kv.one", R"(increment("", "n", -7))"), "-2");
  EXPECT_EQ(call("test.kv.one", R"(increment("", "n", 9223372036854775807))"),
            "9223372036854775805");
  EXPECT_THAT(call("test.kv.one", R"(increment("", "n", 9))"), HasSubstr("overflows"));
  // The service is still running and answering.
  EXPECT_EQ(call("test.kv.one", R"(get("", "n"))"), "9223372036854775805");
}

TEST_F(KeyValue, OfModulesRacingACompareAndSwapExactlyOneWins) {
  create("race");
  constexpr int kModules = 6;
  for (int i = 0; i < kModules; ++i) {
    const std::string name = "test.kv.r" + std::to_string(i);
    service(name);
    allow(name, "kv:race:rw");
  }
  // Round 0 races on an absent key (a CAS there is no unconditional write),
  // the others on the value the last winner left.
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < kModules; ++i) {
      ASSERT_EQ(call("test.kv.r" + std::to_string(i), R"(cas-begin("race", "k"))"), "ok");
    }
    std::vector<std::thread> threads;
    std::vector<std::string> outcomes(kModules);
    for (int i = 0; i < kModules; ++i) {
      threads.emplace_back([&, i] {
        outcomes[i] = call("test.kv.r" + std::to_string(i),
                           "cas-finish(\"" + std::to_string(round) + "-" + std::to_string(i) + "\")");
      });
    }
    for (auto& thread : threads) thread.join();
    int won = -1, winners = 0;
    for (int i = 0; i < kModules; ++i) {
      EXPECT_TRUE(outcomes[i] == "won" || outcomes[i] == "lost") << outcomes[i];
      if (outcomes[i] == "won") {
        ++winners;
        won = i;
      }
    }
    ASSERT_EQ(winners, 1) << "round " << round;
    auto entry = runtime_->kv_get("race", "k");
    ASSERT_TRUE(entry && *entry);
    EXPECT_EQ(text((*entry)->value), std::to_string(round) + "-" + std::to_string(won));
  }
}

TEST_F(KeyValue, CompareAndSwapOnAStaleReadLoses) {
  service("test.kv.one");
  // set-with: ttl, if-absent, if-version
  const std::string first = call("test.kv.one", R"(set-with("", "k", "a", none, true, none))");
  ASSERT_THAT(first, ::testing::MatchesRegex("[0-9]+"));
  EXPECT_EQ(call("test.kv.one", R"(set-with("", "k", "b", none, true, none))"), "not written");
  EXPECT_EQ(call("test.kv.one", "set-with(\"\", \"k\", \"c\", none, false, some(" + first + "))")
                .find_first_not_of("0123456789"),
            std::string::npos);
  // `first` is stale now.
  EXPECT_EQ(call("test.kv.one", "set-with(\"\", \"k\", \"d\", none, false, some(" + first + "))"),
            "not written");
  EXPECT_THAT(call("test.kv.one", R"(entry("", "k"))"), ::testing::EndsWith(" c"));
  // A version on an absent key never writes.
  EXPECT_EQ(call("test.kv.one", "set-with(\"\", \"nope\", \"x\", none, false, some(1))"),
            "not written");
  EXPECT_EQ(call("test.kv.one", R"(get("", "nope"))"), "none");
  // Many rounds of cas.new + swap: handles are freed as they are used.
  EXPECT_EQ(call("test.kv.one", R"(cas-rounds("rounds", 3000))"), "ok");
}

TEST_F(KeyValue, ATimeToLiveExpiresTheKey) {
  service("test.kv.one");
  EXPECT_THAT(call("test.kv.one", R"(set-with("", "short", "v", some(150), false, none))"),
              ::testing::MatchesRegex("[0-9]+"));
  EXPECT_EQ(call("test.kv.one", R"(get("", "short"))"), "v");
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(call("test.kv.one", R"(get("", "short"))"), "none");
  EXPECT_EQ(call("test.kv.one", R"(exists("", "short"))"), "false");
}

TEST_F(KeyValue, KeysPageInOrderAndByPrefix) {
  service("test.kv.one");
  for (const char* key : {"b/2", "a/1", "b/1", "c", "b/3"}) {
    EXPECT_EQ(call("test.kv.one", std::string(R"(set("", ")") + key + R"(", "x"))"), "ok");
  }
  EXPECT_EQ(call("test.kv.one", R"(list-keys(""))"), "a/1,b/1,b/2,b/3,c");
  // list-prefix asks two keys per page, so this follows cursors.
  EXPECT_EQ(call("test.kv.one", R"(list-prefix("", "b/"))"), "b/1,b/2,b/3");
  EXPECT_EQ(call("test.kv.one", R"(get-many("", "a/1,zz,c"))"), "x,-,x");
}

TEST_F(KeyValue, WritesPastTheLimitsAreRefusedAndChangeNothing) {
  BucketLimits limits;
  limits.max_value_bytes = 1000;
  limits.max_keys = 10;
  limits.max_bytes = 1 << 20;
  open(limits);
  service("test.kv.one");
  EXPECT_THAT(call("test.kv.one", R"(set-size("", "big", 1001))"),
              HasSubstr("is at most 1000 bytes"));
  EXPECT_EQ(call("test.kv.one", R"(set-size("", "fits", 1000))"), "ok");
  std::string long_key(kMaxKeyBytes + 1, 'k');
  EXPECT_THAT(call("test.kv.one", R"(set("", ")" + long_key + R"(", "v"))"),
              HasSubstr("a key is at most 1024 bytes"));
  EXPECT_THAT(call("test.kv.one", R"(fill("", "key", 20, 1, 1))"),
              HasSubstr("full: it holds its limit of 10 keys"));
  auto info = runtime_->kv_keys("@test.kv.one");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->keys.size(), 10u);
  // An atomic batch past the quota writes none of it.
  EXPECT_EQ(call("test.kv.one", R"(remove("", "fits"))"), "ok");
  EXPECT_THAT(call("test.kv.one", R"(fill("", "batch", 5, 5, 1))"), HasSubstr("full"));
  EXPECT_EQ(runtime_->kv_keys("@test.kv.one")->keys.size(), 9u);
  EXPECT_EQ(call("test.kv.one", R"(get("", "key0"))"), "v");
}

TEST_F(KeyValue, TooManyOpenHandlesIsAnErrorNotExhaustion) {
  service("test.kv.one");
  EXPECT_EQ(call("test.kv.one", "open-many(1024)"), "1024");
  EXPECT_THAT(call("test.kv.one", "open-many(5000)"),
              ::testing::MatchesRegex("1024 error: other: .*open key-value handles.*"));
  // They were all dropped: the next call opens again.
  EXPECT_EQ(call("test.kv.one", R"(set("", "after", "ok"))"), "ok");
}

TEST_F(KeyValue, ValuesSurviveARestartOfTheHost) {
  create("durable");
  service("test.kv.one");
  allow("test.kv.one", "kv:durable:rw");
  EXPECT_EQ(call("test.kv.one", R"(set("durable", "k", "kept"))"), "ok");
  EXPECT_EQ(call("test.kv.one", R"(set("", "mine", "also kept"))"), "ok");
  open();
  ASSERT_TRUE(runtime_->start_service(id("test.kv.one")));
  EXPECT_EQ(call("test.kv.one", R"(get("durable", "k"))"), "kept");
  EXPECT_EQ(call("test.kv.one", R"(get("", "mine"))"), "also kept");
}

TEST_F(KeyValue, TheOlderDraftServesTheSameBuckets) {
  AddOptions options;
  options.id = id("test.kv.draft");
  ASSERT_TRUE(runtime_->add_module_file(guest_path("kv_draft", "component"), options));
  ServiceSettings settings;
  settings.restart.policy = RestartPolicy::Never;
  runtime_->set_service_settings(id("test.kv.draft"), settings);
  ASSERT_TRUE(runtime_->start_service(id("test.kv.draft")));
  EXPECT_EQ(call("test.kv.draft", R"(set-get("k", "from the draft"))"), "from the draft");
  EXPECT_EQ(call("test.kv.draft", R"(add("n", 40))"), "40");
  EXPECT_EQ(call("test.kv.draft", R"(add("n", 2))"), "42");
  auto entry = runtime_->kv_get("@test.kv.draft", "n");
  ASSERT_TRUE(entry && *entry);
  EXPECT_EQ(text((*entry)->value), "42");
  // More keys than one page (1,000): the numeric cursor carries on.
  for (int i = 0; i < 1500; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "p%04d", i);
    ASSERT_TRUE(runtime_->kv_set("@test.kv.draft", key, bytes("x")));
  }
  EXPECT_EQ(call("test.kv.draft", "keys()"), "1502 k p1499");
  // A negative value is no u64 to the older draft: an error, not a wrap.
  ASSERT_TRUE(runtime_->kv_set("@test.kv.draft", "neg", bytes("-5")));
  EXPECT_THAT(call("test.kv.draft", R"(add("neg", 1))"), HasSubstr("negative"));
  EXPECT_EQ(text((*runtime_->kv_get("@test.kv.draft", "neg"))->value), "-5");  // unchanged
}

TEST_F(KeyValue, RegionAndGlobalBucketsAreRefusedClearlyWithoutNats) {
  auto region = runtime_->kv_create_bucket("far", Scope::Region);
  ASSERT_FALSE(region);
  EXPECT_EQ(region.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_THAT(region.error().message(), HasSubstr("orivon up --nats"));
  EXPECT_FALSE(runtime_->kv_create_bucket("wide", Scope::Global));
  EXPECT_FALSE(runtime_->kv_create_bucket("bad name"));
}

}  // namespace
}  // namespace orivon
