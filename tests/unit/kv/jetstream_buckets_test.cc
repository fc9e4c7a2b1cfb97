// Region buckets on a real NATS server with JetStream (Debian's
// nats-server, started on loopback by the test): two KvStores, each with its
// own NatsLink and state directory, are two hosts sharing one bucket.

#include "kv/jetstream_buckets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cluster/nats_link.h"
#include "kv/kv_store.h"
#include "support/jetstream_server.h"
#include "support/process.h"

namespace orivon::kv {
namespace {

using ::testing::HasSubstr;
using orivon::testing::JetStreamServer;
using orivon::testing::TempDir;

std::span<const std::byte> bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

std::string text(const std::vector<std::byte>& value) {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

// Waits up to `limit` for `done`; a bound, never an assertion on time.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

TEST(JetStreamKeys, PlainKeysStayAndTheRestRoundTrip) {
  EXPECT_EQ(encode_key("orders/2024-01.total_x"), "orders/2024-01.total_x");
  const std::vector<std::string> hostile = {
      "with space", "ünïcødé ✓", ".lead", "trail.", "a..b", "=looks-encoded", "star*and>gt",
      std::string("nul\0byte", 8), std::string(1024, '\xff')};
  for (const std::string& key : hostile) {
    const std::string stored = encode_key(key);
    EXPECT_TRUE(stored.starts_with('=')) << key;
    for (char c : stored) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '=')
          << stored;
    }
    auto decoded = decode_key(stored);
    ASSERT_TRUE(decoded) << stored;
    EXPECT_EQ(*decoded, key);
  }
  EXPECT_FALSE(decode_key("=not base64"));
}

// One host: a NatsLink and a KvStore on its own state directory.
struct Host {
  TempDir dir;
  std::shared_ptr<cluster::NatsLink> link;
  std::unique_ptr<KvStore> store;
};

class JetStreamBucketsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!JetStreamServer::is_installed()) {
      GTEST_SKIP() << JetStreamServer::kBinary << " is absent (Debian package nats-server)";
    }
    server_ = std::make_unique<JetStreamServer>(server_dir_.path() / "jetstream");
    ASSERT_TRUE(server_->is_running());
    a_ = open_host("a");
    b_ = open_host("b");
  }

  std::unique_ptr<Host> open_host(const std::string& name) {
    auto host = std::make_unique<Host>();
    ClusterOptions options;
    options.nats_url = server_->url();
    options.subject_prefix = "test.kv";
    auto link = cluster::NatsLink::open(options, name);
    EXPECT_TRUE(link) << link.error().to_string();
    if (!link) return host;
    host->link = std::move(*link);
    EXPECT_TRUE(wait_until(
        [&] { return host->link->state() == cluster::NatsLink::State::Connected; }));
    KvOptions kv_options;
    kv_options.link = host->link;
    auto store = KvStore::open(host->dir.path() / "kv.db", std::move(kv_options));
    EXPECT_TRUE(store) << store.error().to_string();
    if (store) host->store = std::move(*store);
    return host;
  }

  TempDir server_dir_;
  std::unique_ptr<JetStreamServer> server_;
  std::unique_ptr<Host> a_;
  std::unique_ptr<Host> b_;
  BucketRef shared_ = BucketRef::named("shared");
};

TEST_F(JetStreamBucketsTest, WrittenOnOneHostReadOnTheOther) {
  auto created = a_->store->create_bucket("shared", Scope::Region, {});
  ASSERT_TRUE(created) << created.error().to_string();
  EXPECT_EQ(created->scope, Scope::Region);
  auto again = b_->store->create_bucket("shared", Scope::Region, {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::AlreadyExists);

  auto set = a_->store->set(shared_, "greeting", bytes("hello from a"));
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_TRUE(set->written);
  auto got = b_->store->get(shared_, "greeting");
  ASSERT_TRUE(got) << got.error().to_string();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(text((*got)->value), "hello from a");
  EXPECT_EQ((*got)->version, set->version);  // the JetStream revision
  EXPECT_TRUE(b_->store->exists(shared_));
  EXPECT_TRUE(*b_->store->contains(shared_, "greeting"));
  EXPECT_FALSE(*b_->store->contains(shared_, "nothing"));

  auto listed = b_->store->buckets();
  ASSERT_TRUE(listed) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "shared");
  EXPECT_EQ((*listed)[0].scope, Scope::Region);
  auto info = b_->store->bucket_info(shared_);
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->keys, 1u);

  // Removed on B, gone on A; a local bucket beside it stays local.
  EXPECT_TRUE(*b_->store->remove(shared_, "greeting"));
  EXPECT_FALSE(a_->store->get(shared_, "greeting")->has_value());
  EXPECT_FALSE(*b_->store->remove(shared_, "greeting"));
  ASSERT_TRUE(a_->store->create_bucket("mine", Scope::Local, {}));
  EXPECT_FALSE(b_->store->exists(BucketRef::named("mine")));
  EXPECT_EQ(b_->store->get(BucketRef::named("mine"), "k").error().code(), ErrorCode::NotFound);

  ASSERT_TRUE(a_->store->drop_bucket("shared"));
  EXPECT_FALSE(a_->store->exists(shared_));
}

TEST_F(JetStreamBucketsTest, CompareAndSwapOnRevisions) {
  ASSERT_TRUE(a_->store->create_bucket("shared", Scope::Global, {}));
  auto first = a_->store->set(shared_, "k", bytes("1"));
  ASSERT_TRUE(first);
  auto second = b_->store->set(shared_, "k", bytes("2"));
  ASSERT_TRUE(second);
  EXPECT_GT(second->version, first->version);

  SetOptions stale;
  stale.if_version = first->version;
  auto refused = a_->store->set(shared_, "k", bytes("stale"), stale);
  ASSERT_TRUE(refused) << refused.error().to_string();
  EXPECT_FALSE(refused->written);
  EXPECT_EQ(refused->version, second->version);
  SetOptions fresh;
  fresh.if_version = second->version;
  auto won = a_->store->set(shared_, "k", bytes("3"), fresh);
  ASSERT_TRUE(won);
  EXPECT_TRUE(won->written);
  EXPECT_EQ(text((*b_->store->get(shared_, "k"))->value), "3");

  SetOptions absent;
  absent.if_absent = true;
  auto taken = b_->store->set(shared_, "k", bytes("x"), absent);
  ASSERT_TRUE(taken);
  EXPECT_FALSE(taken->written);
  EXPECT_EQ(taken->version, won->version);
  ASSERT_TRUE(b_->store->remove(shared_, "k"));
  auto recreated = b_->store->set(shared_, "k", bytes("new"), absent);
  ASSERT_TRUE(recreated);
  EXPECT_TRUE(recreated->written);
  // A version the key never had after its removal is stale too.
  auto old = a_->store->set(shared_, "k", bytes("late"), fresh);
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->written);

  SetOptions ttl;
  ttl.ttl = std::chrono::milliseconds(1000);
  auto expiring = a_->store->set(shared_, "t", bytes("v"), ttl);
  ASSERT_FALSE(expiring);
  EXPECT_EQ(expiring.error().code(), ErrorCode::Unimplemented);
  EXPECT_THAT(expiring.error().message(), HasSubstr("time-to-live"));
}

TEST_F(JetStreamBucketsTest, IncrementsFromTwoHostsAtOnceAddUpExactly) {
  ASSERT_TRUE(a_->store->create_bucket("shared", Scope::Region, {}));
  constexpr int kEach = 150;
  auto run = [&](KvStore& store, std::int64_t delta) {
    for (int i = 0; i < kEach; ++i) {
      auto sum = store.increment(shared_, "counter", delta);
      ASSERT_TRUE(sum) << sum.error().to_string();
    }
  };
  std::thread on_a([&] { run(*a_->store, 1); });
  std::thread on_b([&] { run(*b_->store, 2); });
  std::thread also_a([&] { run(*a_->store, 3); });
  on_a.join();
  on_b.join();
  also_a.join();
  auto total = b_->store->get(shared_, "counter");
  ASSERT_TRUE(total && total->has_value());
  EXPECT_EQ(text((*total)->value), std::to_string(kEach * (1 + 2 + 3)));

  ASSERT_TRUE(a_->store->set(shared_, "word", bytes("ten")));
  auto not_number = a_->store->increment(shared_, "word", 1);
  ASSERT_FALSE(not_number);
  EXPECT_EQ(not_number.error().code(), ErrorCode::InvalidArgument);
  auto negative = a_->store->increment(shared_, "zero", -1, KvStore::Sum::NonNegative);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code(), ErrorCode::InvalidArgument);
}

TEST_F(JetStreamBucketsTest, KeysInOrderByPages) {
  ASSERT_TRUE(a_->store->create_bucket("shared", Scope::Region, {}));
  std::vector<std::pair<std::string, std::vector<std::byte>>> pairs;
  for (int i = 0; i < 25; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "user/%02d", i);
    pairs.push_back({key, {std::byte{'v'}}});
  }
  pairs.push_back({"other", {}});
  ASSERT_TRUE(a_->store->set_many(shared_, pairs));

  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    std::optional<std::string_view> after;
    if (cursor) after = *cursor;
    auto page = b_->store->keys(shared_, "user/", after, 10);
    ASSERT_TRUE(page) << page.error().to_string();
    seen.insert(seen.end(), page->keys.begin(), page->keys.end());
    cursor = page->cursor;
    ++pages;
  } while (cursor && pages < 10);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(pages, 3);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.front(), "user/00");

  std::vector<std::string> doomed = {"user/00", "user/01", "other"};
  ASSERT_TRUE(b_->store->remove_many(shared_, doomed));
  auto rest = a_->store->keys(shared_, "", std::nullopt, 100);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->keys.size(), 23u);
  EXPECT_FALSE(rest->cursor);
}

TEST_F(JetStreamBucketsTest, HostileKeysAndValuesAsForLocalBuckets) {
  BucketLimits limits;
  limits.max_value_bytes = 64;
  ASSERT_TRUE(a_->store->create_bucket("shared", Scope::Region, limits));
  const std::string odd = "a key with spaces, ünïcødé and a.. dot";
  const std::string binary("\0\x01\xff value", 9);
  ASSERT_TRUE(a_->store->set(shared_, odd, bytes(binary)));
  ASSERT_TRUE(a_->store->set(shared_, "empty", bytes("")));
  auto got = b_->store->get(shared_, odd);
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ(text((*got)->value), binary);
  auto empty = b_->store->get(shared_, "empty");
  ASSERT_TRUE(empty && empty->has_value());
  EXPECT_TRUE((*empty)->value.empty());
  auto keys = b_->store->keys(shared_, "a key", std::nullopt, 10);
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->keys, std::vector<std::string>{odd});

  const std::string longest(kMaxKeyBytes, '\xe2');
  ASSERT_TRUE(a_->store->set(shared_, longest, bytes("x")));
  auto longest_back = b_->store->get(shared_, longest);
  ASSERT_TRUE(longest_back && longest_back->has_value());
  EXPECT_EQ(text((*longest_back)->value), "x");
  EXPECT_EQ(a_->store->set(shared_, longest + "y", bytes("x")).error().code(),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(a_->store->set(shared_, "", bytes("x")).error().code(), ErrorCode::InvalidArgument);
  auto big = a_->store->set(shared_, "big", bytes(std::string(65, 'x')));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(big.error().message(), HasSubstr("at most 64 bytes"));
}

TEST_F(JetStreamBucketsTest, AServerThatGoesAwayAndComesBackKeepsTheData) {
  ASSERT_TRUE(a_->store->create_bucket("shared", Scope::Region, {}));
  ASSERT_TRUE(a_->store->create_bucket("local", Scope::Local, {}));
  ASSERT_TRUE(a_->store->set(shared_, "kept", bytes("before")));

  server_->kill();
  ASSERT_TRUE(wait_until([&] { return a_->link->state() != cluster::NatsLink::State::Connected; }));
  auto away = a_->store->get(shared_, "kept");
  ASSERT_FALSE(away);
  EXPECT_EQ(away.error().code(), ErrorCode::Unavailable);
  EXPECT_THAT(away.error().message(), HasSubstr("not reachable"));
  EXPECT_THAT(away.error().message(), HasSubstr(server_->url()));
  EXPECT_EQ(a_->store->set(shared_, "k", bytes("v")).error().code(), ErrorCode::Unavailable);
  // Local buckets do not notice.
  ASSERT_TRUE(a_->store->set(BucketRef::named("local"), "k", bytes("v")));

  ASSERT_TRUE(server_->start());
  ASSERT_TRUE(wait_until([&] { return b_->link->state() == cluster::NatsLink::State::Connected; }));
  // JetStream recovers its streams a moment after the server listens.
  Result<std::optional<Entry>> back = Error(ErrorCode::Unavailable, "not tried");
  wait_until([&] {
    back = b_->store->get(shared_, "kept");
    return back.has_value();
  });
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ(text((*back)->value), "before");
  ASSERT_TRUE(wait_until([&] { return a_->store->set(shared_, "after", bytes("v")).has_value(); }));
  EXPECT_TRUE(b_->store->get(shared_, "after")->has_value());
}

TEST(JetStreamBucketsWithoutALink, RegionBucketsAreRefusedNamingTheFlag) {
  TempDir dir;
  auto store = KvStore::open(dir.path() / "kv.db");
  ASSERT_TRUE(store);
  auto refused = (*store)->create_bucket("far", Scope::Region, {});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_THAT(refused.error().message(), HasSubstr("orivon up --nats"));
}

}  // namespace
}  // namespace orivon::kv
