// Event numbers, each beside a baseline measured in the same run:
//  - ephemeral publish -> handler latency (p50, p99) and events/s, with 1 and
//    with 100 subscribing modules (the events probe, tests/guests/events),
//    beside a client's typed call into the same module (the same store, the
//    same call path a delivery takes);
//  - durable publishes/s beside SQLite's own insert rate with the same
//    durability settings (WAL, synchronous=FULL, one transaction each) on
//    the same disk;
//  - memory per idle subscription.
//
//   build/bin/orivon_events_bench [EVENTS]   (default 2000)
//
// The state directory is under $TMPDIR (not /dev/shm): durable numbers are
// about fsync on the disk the state would live on.

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "bench_common.h"
#include "orivon/runtime.h"

namespace {

using orivon::bench::must;
using orivon::bench::percentile;

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double us_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

std::size_t resident_kib() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) / 1024;
}

orivon::ModuleId id(const std::string& text) { return *orivon::ModuleId::parse(text); }

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<orivon::Runtime> runtime;
  std::vector<orivon::ModuleId> subscribers;

  Fixture(std::size_t count, orivon::EventDurability durability, const std::string& topic) {
    dir = std::filesystem::temp_directory_path() /
          ("orivon-events-bench-" + std::to_string(::getpid()) + "-" + std::to_string(count));
    std::filesystem::remove_all(dir);
    orivon::RuntimeOptions options;
    options.state_dir = dir;
    runtime = must(orivon::Runtime::create(options), "runtime");
    const std::filesystem::path guest =
        std::filesystem::path(ORIVON_BUILD_DIR) / "guests" / "events_probe.component.wasm";
    for (std::size_t i = 0; i < count; ++i) {
      orivon::AddOptions add;
      add.id = id("bench.events.s" + std::to_string(i));
      must(runtime->add_module_file(guest, add), "add");
      must(runtime->allow_grant(*add.id, "topic:" + topic + ":subscribe"), "allow");
      must(runtime->subscribe_module(*add.id, topic, durability), "subscribe");
      must(runtime->start_service(*add.id), "start");
      subscribers.push_back(*add.id);
    }
  }
  ~Fixture() {
    runtime.reset();
    std::filesystem::remove_all(dir);
  }
  std::uint64_t delivered() {
    std::uint64_t total = 0;
    for (const auto& s : subscribers) total += runtime->event_counters(s).delivered;
    return total;
  }
};

orivon::EventMessage message(const std::string& topic, std::size_t bytes) {
  orivon::EventMessage m;
  m.topic = topic;
  m.data.assign(bytes, 'x');
  return m;
}

// Publish -> every subscriber's handler acknowledged, one event at a time.
std::vector<double> event_latencies(Fixture& f, std::size_t events, std::size_t bytes) {
  std::vector<double> out;
  std::uint64_t expected = f.delivered();
  for (std::size_t i = 0; i < events; ++i) {
    const auto start = Clock::now();
    must(f.runtime->publish(message("bench.x", bytes)), "publish");
    expected += f.subscribers.size();
    while (f.delivered() < expected) std::this_thread::yield();
    out.push_back(us_between(start, Clock::now()));
  }
  return out;
}

// Events/s handled by every subscriber, keeping at most `window` in flight
// (below the ephemeral queue bound, so nothing is dropped).
double event_rate(Fixture& f, std::size_t events, std::size_t bytes, std::size_t window) {
  const std::uint64_t base = f.delivered();
  const std::uint64_t per_event = f.subscribers.size();
  const auto start = Clock::now();
  for (std::size_t i = 0; i < events; ++i) {
    while (base + (i > window ? (i - window) * per_event : 0) > f.delivered()) {
      std::this_thread::yield();
    }
    must(f.runtime->publish(message("bench.x", bytes)), "publish");
  }
  while (f.delivered() < base + events * per_event) std::this_thread::yield();
  return static_cast<double>(events) / (us_between(start, Clock::now()) / 1e6);
}

// The baseline: a client's typed call into the subscriber, carrying the
// same payload (publish(topic, bytes) is refused for want of a grant: the
// call still crosses into the guest and back with the bytes).
std::vector<double> call_latencies(Fixture& f, std::size_t calls, std::size_t bytes) {
  std::vector<orivon::Value> args;
  args.push_back(orivon::Value::string("bench.x"));
  std::vector<orivon::Value> list;
  for (std::size_t i = 0; i < bytes; ++i) list.push_back(orivon::Value::u8('x'));
  args.push_back(orivon::Value::list(std::move(list)));
  std::vector<double> out;
  for (std::size_t i = 0; i < calls; ++i) {
    const auto start = Clock::now();
    must(f.runtime->call(f.subscribers[0], "orivon:eventstest/probe@0.1.0#publish", args), "call");
    out.push_back(us_between(start, Clock::now()));
  }
  return out;
}

// SQLite alone: one row per transaction, WAL, synchronous=FULL. Rounds reuse
// the file (and its grown WAL), as the bus reuses events.db: a fresh WAL that
// grows on every commit costs a metadata flush per fdatasync and made the
// baseline look three times slower than it is.
double sqlite_insert_rate(const std::filesystem::path& dir, std::size_t rows, std::size_t bytes) {
  std::filesystem::create_directories(dir);
  const auto path = dir / "baseline.db";
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) std::exit(1);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                   "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, topic TEXT, data BLOB)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t(topic, data) VALUES('bench.x', ?1)", -1, &insert, nullptr);
  std::vector<unsigned char> data(bytes, 'x');
  const auto start = Clock::now();
  for (std::size_t i = 0; i < rows; ++i) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_bind_blob(insert, 1, data.data(), static_cast<int>(data.size()), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double rate = static_cast<double>(rows) / (us_between(start, Clock::now()) / 1e6);
  sqlite3_finalize(insert);
  sqlite3_close(db);  // the file stays for the next round, as events.db does
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t events = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000;
  constexpr std::size_t kBytes = 64;
  std::printf("events bench: %zu events of %zu bytes (load average: ", events, kBytes);
  std::printf("%s", orivon::bench::load_average().c_str());
  std::printf(")\n\n");

  {
    Fixture one(1, orivon::EventDurability::Ephemeral, "bench.x");
    auto calls = call_latencies(one, events, kBytes);
    auto latencies = event_latencies(one, events, kBytes);
    const double rate = event_rate(one, events * 5, kBytes, 256);
    std::printf("%-52s %10.1f us p50 %10.1f us p99\n", "client typed call into the module (baseline)",
                percentile(calls, 0.5), percentile(calls, 0.99));
    std::printf("%-52s %10.1f us p50 %10.1f us p99   ratio p50 %.2fx\n",
                "ephemeral publish -> handler ack, 1 subscriber", percentile(latencies, 0.5),
                percentile(latencies, 0.99), percentile(latencies, 0.5) / percentile(calls, 0.5));
    std::printf("%-52s %10.0f events/s\n", "ephemeral throughput, 1 subscriber", rate);
  }
  {
    Fixture hundred(100, orivon::EventDurability::Ephemeral, "bench.x");
    auto latencies = event_latencies(hundred, events / 10, kBytes);
    const double rate = event_rate(hundred, events / 2, kBytes, 256);
    std::printf("%-52s %10.1f us p50 %10.1f us p99\n",
                "ephemeral publish -> all handlers ack, 100 subs", percentile(latencies, 0.5),
                percentile(latencies, 0.99));
    std::printf("%-52s %10.0f events/s (%.0f deliveries/s)\n",
                "ephemeral throughput, 100 subscribers", rate, rate * 100);
  }
  {
    Fixture durable(1, orivon::EventDurability::Durable, "bench.x");
    must(durable.runtime->stop_service(durable.subscribers[0]), "stop");  // publish only
    const std::size_t count = std::min<std::size_t>(events, 1000);
    // Alternated, best of three each: fsync times on a shared disk wander.
    double rate = 0;
    double baseline = 0;
    for (int round = 0; round < 3; ++round) {
      baseline = std::max(baseline, sqlite_insert_rate(durable.dir / "baseline", count, kBytes));
      const auto start = Clock::now();
      for (std::size_t i = 0; i < count; ++i) {
        must(durable.runtime->publish(message("bench.x", kBytes)), "durable publish");
      }
      rate = std::max(rate, static_cast<double>(count) / (us_between(start, Clock::now()) / 1e6));
      must(durable.runtime->unsubscribe_module(durable.subscribers[0], "bench.x"), "drain");
      must(durable.runtime->subscribe_module(durable.subscribers[0], "bench.x",
                                             orivon::EventDurability::Durable),
           "resubscribe");
    }
    std::printf("%-52s %10.0f inserts/s\n", "SQLite alone: 1 insert per transaction, WAL, FULL",
                baseline);
    std::printf("%-52s %10.0f events/s   ratio %.2fx\n", "durable publish (stored before return)",
                rate, rate / baseline);
  }
  {
    Fixture none(0, orivon::EventDurability::Ephemeral, "bench.x");
    constexpr std::size_t kSubscriptions = 100'000;
    std::vector<std::uint64_t> ids;
    ids.reserve(kSubscriptions);
    const std::size_t before = resident_kib();
    for (std::size_t i = 0; i < kSubscriptions; ++i) {
      ids.push_back(must(none.runtime->subscribe_events(
                             "idle." + std::to_string(i) + ".*",
                             [](const orivon::ReceivedEvent&) -> orivon::Result<void> {
                               return orivon::ok();
                             }),
                         "subscribe"));
    }
    const std::size_t after = resident_kib();
    std::printf("%-52s %10.0f bytes (%zu subscriptions)\n", "memory per idle subscription",
                static_cast<double>(after - before) * 1024.0 / kSubscriptions, kSubscriptions);
  }
  return 0;
}
