#pragma once

// Move-only RAII over SQLite's C API (STYLE.md rule 16), with errors as
// orivon Errors. Only what the registry needs: open, exec, prepared
// statements with typed binds and columns, transactions.
//
// A Database keeps the statements it prepared for reuse: when a Statement
// is destroyed it is reset and kept, keyed by its SQL text, and the next
// prepare() of the same text takes it back instead of parsing the SQL
// again (Python's sqlite3 and Go's database/sql cache statements the same
// way). Parsing was most of the cost of a small query: a service's start
// reads its module's row three times.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/mutex.h"
#include "orivon/result.h"

namespace orivon::registry {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// The statements a Database keeps for reuse, at most one per SQL text and
// kMaxKept in all. Shared by the Database and its Statements, so a Statement
// that outlives its Database is finalized rather than kept. Thread-safe.
class StatementCache {
 public:
  static constexpr std::size_t kMaxKept = 128;

  StatementCache() = default;
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() { close(); }

  // A kept statement prepared from exactly `sql`, or nullptr.
  sqlite3_stmt* take(std::string_view sql);
  // Resets `statement` and keeps it, or finalizes it when one of its text
  // is already kept, the cache is full or closed.
  void give_back(sqlite3_stmt* statement);
  // Finalizes every kept statement; later give_backs finalize theirs.
  void close();
  std::size_t kept() {
    MutexLock lock(mutex_);
    return kept_.size();
  }

 private:
  Mutex mutex_;
  std::map<std::string, sqlite3_stmt*, std::less<>> kept_ ORIVON_GUARDED_BY(mutex_);
  bool closed_ ORIVON_GUARDED_BY(mutex_) = false;
};

// Hands a statement back to its cache, or finalizes it when it has none.
struct StatementFinalizer {
  std::shared_ptr<StatementCache> cache;
  void operator()(sqlite3_stmt* statement) const {
    if (cache) {
      cache->give_back(statement);
    } else {
      sqlite3_finalize(statement);
    }
  }
};

// One prepared statement. Bind parameters are 1-based, columns 0-based.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* statement, std::shared_ptr<StatementCache> cache = nullptr)
      : statement_(statement, StatementFinalizer{std::move(cache)}) {}

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_null(int index);
  // Binds `bytes` as a blob, copied by SQLite.
  Statement& bind_blob(int index, std::span<const std::byte> bytes);

  // Advances: true with a row available, false when done, or an error.
  [[nodiscard]] Result<bool> step();
  // Runs a statement that returns no rows.
  [[nodiscard]] Result<void> run();
  // Makes the statement ready to run again (bindings are kept until rebound).
  void reset();

  std::string text(int column) const;
  std::int64_t integer(int column) const;
  bool is_null(int column) const;
  // The column's bytes; valid until the statement steps, resets or is
  // destroyed.
  std::span<const std::byte> blob(int column) const;

 private:
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> statement_;
  int bind_error_ = SQLITE_OK;
};

// An open database. Not thread-safe: the registry serializes access.
class Database {
 public:
  // Opens (creating) the file with a busy timeout, so that two processes
  // writing the same state directory wait for each other instead of failing.
  static Result<Database> open(const std::filesystem::path& path);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database();

  [[nodiscard]] Result<void> exec(std::string_view sql);
  // Runs one statement that returns no rows, kept for reuse like prepare()'s
  // (exec() parses its SQL every time: for scripts and one-off statements).
  [[nodiscard]] Result<void> run(std::string_view sql);
  // Puts the database in WAL mode. Switching takes an exclusive lock that
  // SQLite does not wait for (the busy handler is not called), so two
  // processes creating one database at once would fail: this retries for
  // as long as the busy timeout.
  [[nodiscard]] Result<void> use_wal();
  // A statement for `sql`: a kept one when there is one, else newly prepared.
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);
  std::int64_t changes() const { return sqlite3_changes64(db_.get()); }
  // How many prepared statements wait for reuse.
  std::size_t kept_statements() const { return statements_ ? statements_->kept() : 0; }
  sqlite3* raw() { return db_.get(); }

 private:
  explicit Database(sqlite3* db)
      : db_(db), statements_(std::make_shared<StatementCache>()) {}
  std::unique_ptr<sqlite3, SqliteCloser> db_;
  std::shared_ptr<StatementCache> statements_;
};

// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit()
// succeeded. IMMEDIATE takes the write lock up front, so a transaction never
// fails half-way with SQLITE_BUSY on its first write.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  [[nodiscard]] Result<void> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

}  // namespace orivon::registry
