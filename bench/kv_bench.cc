// Key-value operations from a guest (the kv_probe component through
// wasi:keyvalue, a service on a real state directory) beside raw SQLite
// doing the same work from C++ in the same run, with the same schema, the
// same WAL journal and the same commit mode: the limit for a store built on
// SQLite. Each guest operation is timed inside the guest (its monotonic
// clock), each raw one around the SQLite calls.
//
//   orivon_kv_bench [--ops N]      (scripts/bench.sh runs it)

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bench_common.h"
#include "orivon/runtime.h"

namespace {

using orivon::bench::must;

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
  std::fprintf(stderr, "orivon_kv_bench: %s\n", what.c_str());
  std::exit(1);
}

// "[1, 2, 3]" (a WAVE list of u64) into numbers.
std::vector<std::uint64_t> parse_list(const std::string& text) {
  std::vector<std::uint64_t> out;
  const char* p = text.c_str();
  while (*p) {
    if (*p >= '0' && *p <= '9') {
      char* end = nullptr;
      out.push_back(std::strtoull(p, &end, 10));
      p = end;
    } else {
      ++p;
    }
  }
  return out;
}

class RawSqlite {
 public:
  RawSqlite(const std::filesystem::path& path, orivon::KvSync sync) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) die("opening raw SQLite");
    exec("PRAGMA journal_mode = WAL");
    exec(sync == orivon::KvSync::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    exec("CREATE TABLE entries (bucket TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
         "version INTEGER NOT NULL, expires_at INTEGER, PRIMARY KEY (bucket, key)) WITHOUT ROWID, "
         "STRICT");
    get_ = prepare("SELECT value, version, expires_at FROM entries WHERE bucket = ?1 AND key = ?2");
    set_ = prepare("INSERT INTO entries (bucket, key, value, version) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value, "
                   "version = excluded.version");
  }
  ~RawSqlite() {
    sqlite3_finalize(get_);
    sqlite3_finalize(set_);
    sqlite3_close(db_);
  }

  std::vector<std::uint64_t> run(const std::string& op, std::uint32_t n) {
    std::vector<std::uint64_t> ns;
    ns.reserve(n);
    std::string value(16, 'v');
    if (op == "get") set("hot", value);
    for (std::uint32_t i = 0; i < n; ++i) {
      const auto start = Clock::now();
      if (op == "get") {
        get("hot");
      } else if (op == "set") {
        set("k" + std::to_string(i % 1000), value);
      } else {
        // What an increment must do: read, add, write, in one transaction.
        exec("BEGIN IMMEDIATE");
        std::string current = get("counter");
        long long sum = (current.empty() ? 0 : std::atoll(current.c_str())) + 1;
        set("counter", std::to_string(sum));
        exec("COMMIT");
      }
      ns.push_back(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
    }
    return ns;
  }

 private:
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) die(sqlite3_errmsg(db_));
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) die(sqlite3_errmsg(db_));
    return statement;
  }
  std::string get(const std::string& key) {
    sqlite3_reset(get_);
    sqlite3_bind_text(get_, 1, "bench", -1, SQLITE_STATIC);
    sqlite3_bind_text(get_, 2, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    std::string out;
    if (sqlite3_step(get_) == SQLITE_ROW) {
      out.assign(static_cast<const char*>(sqlite3_column_blob(get_, 0)),
                 static_cast<std::size_t>(sqlite3_column_bytes(get_, 0)));
    }
    sqlite3_reset(get_);
    return out;
  }
  void set(const std::string& key, const std::string& value) {
    sqlite3_reset(set_);
    sqlite3_bind_text(set_, 1, "bench", -1, SQLITE_STATIC);
    sqlite3_bind_text(set_, 2, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(set_, 3, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(set_, 4, ++version_);
    if (sqlite3_step(set_) != SQLITE_DONE) die(sqlite3_errmsg(db_));
    sqlite3_reset(set_);
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* set_ = nullptr;
  long long version_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t ops = 20000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--ops") ops = static_cast<std::uint32_t>(std::atoi(argv[i + 1]));
  }
  const auto dir = std::filesystem::temp_directory_path() /
                   ("orivon-kv-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::printf("%-10s %-6s | %-30s | %-30s | %s\n", "operation", "sync", "guest via wasi:keyvalue",
              "raw SQLite (same schema)", "guest/raw");
  std::printf("%-10s %-6s | %9s %9s %10s | %9s %9s %10s |\n", "", "", "p50 us", "p99 us", "ops/s",
              "p50 us", "p99 us", "ops/s");
  for (auto sync : {orivon::KvSync::Normal, orivon::KvSync::Full}) {
    const auto state = dir / (sync == orivon::KvSync::Full ? "full" : "normal");
    orivon::RuntimeOptions options;
    options.state_dir = state;
    options.kv_sync = sync;
    auto runtime = must(orivon::Runtime::create(options), "creating the runtime");
    const auto id = *orivon::ModuleId::parse("bench.kv.probe");
    orivon::AddOptions add;
    add.id = id;
    must(runtime->add_module_file(std::filesystem::path(ORIVON_BUILD_DIR) / "guests" /
                                      "kv_probe.component.wasm",
                                  add),
         "installing kv_probe");
    must(runtime->kv_create_bucket("bench"), "creating the bucket");
    must(runtime->allow_grant(id, "kv:bench:rw"), "granting the bucket");
    orivon::ServiceSettings settings;
    settings.call_deadline = std::chrono::seconds(600);
    runtime->set_service_settings(id, settings);
    must(runtime->start_service(id), "starting kv_probe");
    RawSqlite raw(state / "raw.db", sync);
    for (const char* op : {"get", "set", "increment"}) {
      if (sync == orivon::KvSync::Full && std::string(op) == "get") continue;
      const std::uint32_t n = sync == orivon::KvSync::Full ? std::min<std::uint32_t>(ops, 2000) : ops;
      const std::string call = std::string("timed(\"") + op + "\", \"bench\", " + std::to_string(n) + ")";
      auto outcome = must(runtime->call(id, call), "calling timed");
      auto guest = summarize(parse_list(outcome.results));
      auto base = summarize(raw.run(op, n));
      std::printf("%-10s %-6s | %9.2f %9.2f %10.0f | %9.2f %9.2f %10.0f | %.2fx\n", op,
                  sync == orivon::KvSync::Full ? "full" : "normal", guest.p50_us, guest.p99_us,
                  guest.ops_per_second, base.p50_us, base.p99_us, base.ops_per_second,
                  base.ops_per_second > 0 ? guest.ops_per_second / base.ops_per_second : 0.0);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
