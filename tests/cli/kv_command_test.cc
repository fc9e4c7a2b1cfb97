// `orivon kv`: buckets and keys from the command line, on the state
// directory and through a running host, meeting what a module (the
// kv_probe guest) reads and writes through wasi:keyvalue.

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

using ::testing::HasSubstr;

class KvCommand : public StateDirTest {
 protected:
  void ok(std::vector<std::string> args) {
    auto result = cli(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
};

TEST_F(KvCommand, BucketsAndKeysWithoutAHost) {
  ok({"kv", "create", "visits", "--max-value-bytes", "16"});
  ok({"kv", "set", "visits", "home", "3"});
  auto got = cli({"kv", "get", "visits", "home"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, "3");
  auto json = cli({"kv", "get", "visits", "home", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["value_base64"], "Mw==");

  auto big = cli({"kv", "set", "visits", "big", "more than sixteen bytes"});
  EXPECT_EQ(big.exit_code, 1);
  EXPECT_THAT(big.err, HasSubstr("is at most 16 bytes"));

  for (const char* key : {"a", "b", "c"}) ok({"kv", "set", "visits", key, "x"});
  auto page = cli({"kv", "keys", "visits", "--limit", "2", "--json"});
  ASSERT_EQ(page.exit_code, 0) << page.err;
  auto first = nlohmann::json::parse(page.out);
  EXPECT_EQ(first["keys"], nlohmann::json({"a", "b"}));
  ASSERT_EQ(first["next"], "b");
  auto rest = cli({"kv", "keys", "visits", "--after", "b", "--json"});
  EXPECT_EQ(nlohmann::json::parse(rest.out)["keys"], nlohmann::json({"c", "home"}));

  auto missing = cli({"kv", "get", "visits", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no key 'nope'"));
  EXPECT_EQ(cli({"kv", "get", "nowhere", "k"}).exit_code, 1);
  auto region = cli({"kv", "create", "far", "--scope", "region"});
  EXPECT_EQ(region.exit_code, 1);
  EXPECT_THAT(region.err, HasSubstr("orivon up --nats"));
  EXPECT_EQ(cli({"kv", "create", "bad name"}).exit_code, 1);
  EXPECT_EQ(cli({"kv"}).exit_code, 2);
  EXPECT_EQ(cli({"kv", "get", "visits"}).exit_code, 2);

  ok({"kv", "drop", "visits"});
  auto buckets = cli({"kv", "buckets", "--json"});
  EXPECT_EQ(nlohmann::json::parse(buckets.out), nlohmann::json::array());
}

TEST_F(KvCommand, AHostAndItsModulesShareTheBucketsWithTheClient) {
  ok({"kv", "create", "shared"});
  ok({"add", guest_path("kv_probe", "component").string(), "--id", "app.kv.probe"});
  ok({"allow", "app.kv.probe", "kv:shared:rw"});
  auto host = start_host();
  ok({"start", "app.kv.probe"});

  auto call = [&](const std::string& expression) {
    auto result = cli({"call", "app.kv.probe", expression});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  };
  EXPECT_THAT(call(R"(set("shared", "from-module", "hello"))"), HasSubstr("\"ok\""));
  auto got = cli({"kv", "get", "shared", "from-module"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, "hello");
  EXPECT_THAT(got.err, HasSubstr("answered by the running host"));

  ok({"kv", "set", "shared", "from-client", "hi there"});
  EXPECT_THAT(call(R"(get("shared", "from-client"))"), HasSubstr("hi there"));
  // The module's private bucket, as the client names it.
  EXPECT_THAT(call(R"(set("", "mine", "private"))"), HasSubstr("\"ok\""));
  auto mine = cli({"kv", "get", "@app.kv.probe", "mine"});
  EXPECT_EQ(mine.out, "private");

  // A deny reaches the running module at its next operation.
  ok({"deny", "app.kv.probe", "kv:shared:rw"});
  EXPECT_THAT(call(R"(get("shared", "from-client"))"), HasSubstr("access-denied"));
}

TEST_F(KvCommand, WhatAModuleWroteSurvivesASigkillOfTheHost) {
  ok({"add", guest_path("kv_probe", "component").string(), "--id", "app.kv.probe"});
  auto host = start_host();
  ok({"start", "app.kv.probe"});
  for (int i = 0; i < 20; ++i) {
    auto set = cli({"call", "app.kv.probe",
                    "set(\"\", \"k" + std::to_string(i) + "\", \"v" + std::to_string(i) + "\")"});
    ASSERT_EQ(set.exit_code, 0) << set.err;
    ASSERT_THAT(set.out, HasSubstr("\"ok\""));
  }
  host->send_signal(SIGKILL);
  host->wait(std::chrono::seconds(10));
  // Every write the module was told succeeded is there, read without a host.
  for (int i = 0; i < 20; ++i) {
    auto got = cli({"kv", "get", "@app.kv.probe", "k" + std::to_string(i)});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_EQ(got.out, "v" + std::to_string(i));
    EXPECT_THAT(got.err, HasSubstr("no host running"));
  }
}

}  // namespace
}  // namespace orivon::testing
