// The key-value store alone, on a real SQLite file.

#include "kv/kv_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "support/process.h"

namespace orivon::kv {
namespace {

using ::testing::HasSubstr;
using orivon::testing::TempDir;

std::span<const std::byte> bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

std::string text(const std::vector<std::byte>& value) {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

class KvStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<KvStore> open(KvOptions options = {}) {
    if (!options.now_ms) options.now_ms = [this] { return now_.load(); };
    auto store = KvStore::open(temp_.path() / "kv.db", std::move(options));
    EXPECT_TRUE(store) << store.error().to_string();
    return store ? std::move(*store) : nullptr;
  }

  TempDir temp_;
  std::atomic<std::int64_t> now_{1'000'000};
};

TEST_F(KvStoreTest, VersionsGrowAndAreNeverReusedAcrossReopens) {
  std::uint64_t last = 0;
  {
    auto store = open();
    auto bucket = BucketRef::named("b");
    ASSERT_TRUE(store->create_bucket("b", Scope::Local, {}));
    for (int i = 0; i < 3000; ++i) {
      auto set = store->set(bucket, "k", bytes("v"));
      ASSERT_TRUE(set);
      ASSERT_GT(set->version, last);
      last = set->version;
    }
    ASSERT_TRUE(store->remove(bucket, "k"));
  }
  auto store = open();
  auto set = store->set(BucketRef::named("b"), "k", bytes("again"));
  ASSERT_TRUE(set);
  EXPECT_GT(set->version, last);
}

TEST_F(KvStoreTest, CountsAndQuotasFollowWritesAndDeletes) {
  auto store = open();
  BucketLimits limits;
  limits.max_keys = 3;
  limits.max_bytes = 20;
  limits.max_value_bytes = 10;
  ASSERT_TRUE(store->create_bucket("q", Scope::Local, limits));
  auto q = BucketRef::named("q");
  ASSERT_TRUE(store->set(q, "a", bytes("12345")));  // 6 bytes
  ASSERT_TRUE(store->set(q, "b", bytes("12345")));  // 12
  auto over = store->set(q, "c", bytes("123456789"));  // would be 22
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), ErrorCode::ResourceExhausted);
  ASSERT_TRUE(store->set(q, "a", bytes("1")));  // overwrite shrinks: 8
  ASSERT_TRUE(store->set(q, "c", bytes("1234")));
  auto info = store->bucket_info(q);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->keys, 3u);
  EXPECT_EQ(info->bytes, 2u + 6u + 5u);
  auto fourth = store->set(q, "d", bytes(""));
  ASSERT_FALSE(fourth);
  EXPECT_THAT(fourth.error().message(), HasSubstr("limit of 3 keys"));
  ASSERT_TRUE(store->remove(q, "b"));
  EXPECT_TRUE(store->set(q, "d", bytes("")));
}

TEST_F(KvStoreTest, ExpiredKeysAreAbsentAndSweptAway) {
  auto store = open();
  auto mine = BucketRef::private_of(*ModuleId::parse("test.kv.one"));
  SetOptions ttl;
  ttl.ttl = std::chrono::milliseconds(100);
  ASSERT_TRUE(store->set(mine, "t", bytes("soon gone"), ttl));
  ASSERT_TRUE(store->set(mine, "kept", bytes("stays")));
  EXPECT_TRUE(*store->contains(mine, "t"));
  now_ += 101;
  EXPECT_FALSE(*store->contains(mine, "t"));
  EXPECT_FALSE(store->get(mine, "t")->has_value());
  EXPECT_EQ(store->keys(mine, "", std::nullopt, 10)->keys, std::vector<std::string>{"kept"});
  // An expired key does not block a create-if-absent.
  SetOptions create;
  create.if_absent = true;
  EXPECT_TRUE(store->set(mine, "t", bytes("new"), create)->written);
  now_ += 1'000'000;
  ASSERT_TRUE(store->set(mine, "x", bytes("1"), ttl));
  now_ += 1'000'000;
  EXPECT_EQ(*store->sweep_expired(100), 1u);
  EXPECT_EQ(store->bucket_info(mine)->keys, 2u);
}

TEST_F(KvStoreTest, ADroppedBucketIsGoneForEveryone) {
  auto store = open();
  ASSERT_TRUE(store->create_bucket("gone", Scope::Local, {}));
  ASSERT_TRUE(store->set(BucketRef::named("gone"), "k", bytes("v")));
  ASSERT_TRUE(store->drop_bucket("gone"));
  auto get = store->get(BucketRef::named("gone"), "k");
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code(), ErrorCode::NotFound);
  ASSERT_TRUE(store->create_bucket("gone", Scope::Local, {}));
  EXPECT_FALSE(store->get(BucketRef::named("gone"), "k")->has_value());
  EXPECT_EQ(store->create_bucket("gone", Scope::Local, {}).error().code(),
            ErrorCode::AlreadyExists);
}

TEST_F(KvStoreTest, AnAcknowledgedWriteSurvivesASigkill) {
  // A child process writes and reports each acknowledged key through a pipe,
  // then is killed with SIGKILL mid-stream; every key it reported is there.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const auto path = temp_.path() / "kv.db";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto store = KvStore::open(path);
    if (!store) ::_exit(2);
    auto b = BucketRef::private_of(*ModuleId::parse("test.kv.one"));
    for (std::uint32_t i = 0;; ++i) {
      const std::string key = "k" + std::to_string(i);
      if (!(*store)->set(b, key, bytes(key))) ::_exit(3);
      if (::write(pipe_fds[1], &i, sizeof i) != sizeof i) ::_exit(4);
    }
  }
  ::close(pipe_fds[1]);
  std::uint32_t acknowledged = 0, i = 0;
  while (acknowledged < 500 && ::read(pipe_fds[0], &i, sizeof i) == sizeof i) acknowledged = i + 1;
  ::kill(child, SIGKILL);
  while (::read(pipe_fds[0], &i, sizeof i) == sizeof i) acknowledged = i + 1;
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_GE(acknowledged, 500u);

  auto store = open();
  auto b = BucketRef::private_of(*ModuleId::parse("test.kv.one"));
  for (std::uint32_t k = 0; k < acknowledged; ++k) {
    auto entry = store->get(b, "k" + std::to_string(k));
    ASSERT_TRUE(entry && *entry) << "acknowledged key k" << k << " was lost";
    ASSERT_EQ(text((*entry)->value), "k" + std::to_string(k));
  }
  // The counts the store keeps agree with the rows that survived.
  auto info = store->bucket_info(b);
  ASSERT_TRUE(info);
  auto all = store->keys(b, "", std::nullopt, 10'000);
  EXPECT_EQ(info->keys, all->keys.size());
}

TEST_F(KvStoreTest, ConcurrentIncrementsAddUp) {
  auto store = open();
  auto b = BucketRef::named("c");
  ASSERT_TRUE(store->create_bucket("c", Scope::Local, {}));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) ASSERT_TRUE(store->increment(b, "n", 1));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(text((*store->get(b, "n"))->value), "2000");
}

}  // namespace
}  // namespace orivon::kv
