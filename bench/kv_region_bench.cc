// Region bucket operations through orivon's KvStore (a JetStream key-value
// bucket, kv/jetstream_buckets.h) beside raw libnats key-value calls on a
// bucket made the same way, on the same server, in the same run: the limit
// for a store built on the C client. Each operation is timed around the call,
// one at a time (a round trip to the server each).
//
//   orivon_kv_region_bench --nats URL [--ops N]
//
// scripts/bench.sh starts a nats-server with JetStream on loopback for it.

#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "cluster/nats_link.h"
#include "kv/kv_store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Summary {
  double p50_us = 0, p99_us = 0, ops_per_second = 0;
};

Summary summarize(std::vector<std::uint64_t> ns) {
  Summary s;
  if (ns.empty()) return s;
  std::sort(ns.begin(), ns.end());
  double total = 0;
  for (auto v : ns) total += static_cast<double>(v);
  s.p50_us = ns[ns.size() / 2] / 1000.0;
  s.p99_us = ns[std::min(ns.size() - 1, ns.size() * 99 / 100)] / 1000.0;
  s.ops_per_second = 1e9 * static_cast<double>(ns.size()) / total;
  return s;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "orivon_kv_region_bench: %s\n", what.c_str());
  std::exit(1);
}

// Runs `op(i)` n times (after n/10 unmeasured), each timed.
std::vector<std::uint64_t> timed(int n, const std::function<void(int)>& op) {
  for (int i = 0; i < n / 10; ++i) op(i);
  std::vector<std::uint64_t> ns;
  ns.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    op(i);
    const auto took = Clock::now() - start;
    ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
  }
  return ns;
}

std::span<const std::byte> bytes(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int ops = 5000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--nats") == 0 && i + 1 < argc) {
      url = argv[++i];
    } else if (std::strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
      ops = std::max(10, std::atoi(argv[++i]));
    } else {
      die("usage: orivon_kv_region_bench --nats URL [--ops N]");
    }
  }
  if (url.empty()) die("give --nats URL (a nats-server with JetStream)");

  // orivon: a link and a store, as a host has them.
  orivon::ClusterOptions options;
  options.nats_url = url;
  options.subject_prefix = "bench";
  auto link = orivon::cluster::NatsLink::open(options, "bench");
  if (!link) die(link.error().to_string());
  std::shared_ptr<orivon::cluster::NatsLink> shared_link = std::move(*link);
  using State = orivon::cluster::NatsLink::State;
  for (int i = 0; i < 500 && shared_link->state() != State::Connected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  char dir_template[] = "/tmp/orivon-kv-region-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) die("no temporary directory");
  const std::filesystem::path dir = dir_template;
  orivon::kv::KvOptions kv_options;
  kv_options.link = shared_link;
  auto store = orivon::kv::KvStore::open(dir / "kv.db", kv_options);
  if (!store) die(store.error().to_string());
  auto& kv = **store;
  (void)kv.drop_bucket("region");
  if (auto created = kv.create_bucket("region", orivon::Scope::Region, {}); !created) {
    die(created.error().to_string());
  }
  const auto bucket = orivon::kv::BucketRef::named("region");

  // raw: the C client on its own connection, a bucket made the same way.
  natsConnection* connection = nullptr;
  if (natsConnection_ConnectTo(&connection, url.c_str()) != NATS_OK) die("raw connect");
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, connection, nullptr) != NATS_OK) die("raw JetStream");
  (void)js_DeleteKeyValue(js, "bench_raw");
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = "bench_raw";
  config.History = 1;
  config.StorageType = js_FileStorage;
  kvStore* raw = nullptr;
  if (js_CreateKeyValue(&raw, js, &config) != NATS_OK) die("raw bucket");

  const std::string value(16, 'v');
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("key" + std::to_string(i));

  struct Row {
    const char* op;
    std::vector<std::uint64_t> orivon, raw;
  };
  std::vector<Row> rows;

  // set: 16-byte values over 1000 keys.
  Row set{"set", {}, {}};
  set.orivon = timed(ops, [&](int i) {
    if (!kv.set(bucket, keys[i % 1000], bytes(value))) die("orivon set");
  });
  set.raw = timed(ops, [&](int i) {
    if (kvStore_Put(nullptr, raw, keys[i % 1000].c_str(), value.data(), value.size()) != NATS_OK) {
      die("raw put");
    }
  });
  rows.push_back(std::move(set));

  // get: one hot key.
  Row get{"get", {}, {}};
  get.orivon = timed(ops, [&](int) {
    auto entry = kv.get(bucket, "key0");
    if (!entry || !entry->has_value()) die("orivon get");
  });
  get.raw = timed(ops, [&](int) {
    kvEntry* entry = nullptr;
    if (kvStore_Get(&entry, raw, "key0") != NATS_OK) die("raw get");
    kvEntry_Destroy(entry);
  });
  rows.push_back(std::move(get));

  // cas: update one key expecting the revision the last write returned.
  Row cas{"cas", {}, {}};
  std::uint64_t version = kv.set(bucket, "cas", bytes(value))->version;
  cas.orivon = timed(ops, [&](int) {
    orivon::kv::SetOptions expect;
    expect.if_version = version;
    auto written = kv.set(bucket, "cas", bytes(value), expect);
    if (!written || !written->written) die("orivon cas");
    version = written->version;
  });
  std::uint64_t revision = 0;
  if (kvStore_Put(&revision, raw, "cas", value.data(), value.size()) != NATS_OK) die("raw put");
  cas.raw = timed(ops, [&](int) {
    if (kvStore_Update(&revision, raw, "cas", value.data(), value.size(), revision) != NATS_OK) {
      die("raw update");
    }
  });
  rows.push_back(std::move(cas));

  // increment: the store's compare-and-swap loop (a read and a write);
  // raw: the same two calls by hand.
  Row increment{"increment", {}, {}};
  increment.orivon = timed(ops, [&](int) {
    if (!kv.increment(bucket, "counter", 1)) die("orivon increment");
  });
  std::uint64_t counter_revision = 0;
  if (kvStore_Put(&counter_revision, raw, "counter", "0", 1) != NATS_OK) die("raw put");
  increment.raw = timed(ops, [&](int) {
    kvEntry* entry = nullptr;
    if (kvStore_Get(&entry, raw, "counter") != NATS_OK) die("raw get");
    const std::string text(static_cast<const char*>(kvEntry_Value(entry)), kvEntry_ValueLen(entry));
    const std::uint64_t last = kvEntry_Revision(entry);
    kvEntry_Destroy(entry);
    const std::string next = std::to_string(std::stoll(text) + 1);
    if (kvStore_Update(nullptr, raw, "counter", next.data(), next.size(), last) != NATS_OK) {
      die("raw update");
    }
  });
  rows.push_back(std::move(increment));

  std::printf("region bucket on %s, %d operations each, one at a time\n", url.c_str(), ops);
  std::printf("%-10s | %-30s | %-30s | %s\n", "operation", "orivon KvStore",
              "raw libnats kvStore_*", "orivon/raw rate");
  std::printf("%-10s | %9s %9s %10s | %9s %9s %10s |\n", "", "p50 us", "p99 us", "ops/s", "p50 us",
              "p99 us", "ops/s");
  for (const auto& row : rows) {
    const Summary o = summarize(row.orivon);
    const Summary r = summarize(row.raw);
    std::printf("%-10s | %9.1f %9.1f %10.0f | %9.1f %9.1f %10.0f | %.2fx\n", row.op, o.p50_us,
                o.p99_us, o.ops_per_second, r.p50_us, r.p99_us, r.ops_per_second,
                o.ops_per_second / std::max(1.0, r.ops_per_second));
  }

  (void)kv.drop_bucket("region");
  (void)js_DeleteKeyValue(js, "bench_raw");
  kvStore_Destroy(raw);
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
  std::filesystem::remove_all(dir);
  return 0;
}
