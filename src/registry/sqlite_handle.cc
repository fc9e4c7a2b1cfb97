#include "registry/sqlite_handle.h"

#include <chrono>
#include <thread>

namespace orivon::registry {
namespace {

// How long a writer waits for another process's transaction to finish.
constexpr int kBusyTimeoutMs = 10'000;

Error sqlite_error(sqlite3* db, int code, std::string_view what) {
  std::string message = std::string(what) + ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  // Extended result codes are on: compare the primary code (low byte).
  const int primary = code & 0xff;
  const ErrorCode orivon_code = (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
                                    ? ErrorCode::Unavailable
                                    : ErrorCode::Internal;
  return Error(orivon_code, message);
}

}  // namespace

Statement& Statement::bind(int index, std::string_view text) {
  // A default string_view has no data pointer, which SQLite would bind as
  // NULL: an empty string is still a string.
  int rc = sqlite3_bind_text64(statement_.get(), index, text.data() ? text.data() : "", text.size(),
                               SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(statement_.get(), index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::byte> bytes) {
  // A zero-length blob binds as an empty blob, not NULL.
  static const std::byte kEmpty{};
  int rc = sqlite3_bind_blob64(statement_.get(), index, bytes.empty() ? &kEmpty : bytes.data(),
                               bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

std::span<const std::byte> Statement::blob(int column) const {
  const void* data = sqlite3_column_blob(statement_.get(), column);
  const int size = sqlite3_column_bytes(statement_.get(), column);
  if (data == nullptr || size <= 0) return {};
  return {static_cast<const std::byte*>(data), static_cast<std::size_t>(size)};
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(statement_.get(), index);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  sqlite3* db = sqlite3_db_handle(statement_.get());
  if (bind_error_ != SQLITE_OK) return sqlite_error(db, bind_error_, "binding a parameter");
  int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db, rc, "running SQL");
}

Result<void> Statement::run() {
  ORIVON_TRY(bool row, step());
  (void)row;
  return ok();
}

void Statement::reset() {
  sqlite3_reset(statement_.get());
  bind_error_ = SQLITE_OK;
}

std::string Statement::text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), column)));
}

std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(statement_.get(), column);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

sqlite3_stmt* StatementCache::take(std::string_view sql) {
  MutexLock lock(mutex_);
  auto kept = kept_.find(sql);
  if (kept == kept_.end()) return nullptr;
  sqlite3_stmt* statement = kept->second;
  kept_.erase(kept);
  return statement;
}

void StatementCache::give_back(sqlite3_stmt* statement) {
  if (statement == nullptr) return;
  // A reset statement holds no read transaction and no bound values.
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  {
    MutexLock lock(mutex_);
    if (!closed_ && kept_.size() < kMaxKept) {
      if (kept_.try_emplace(sqlite3_sql(statement), statement).second) return;
    }
  }
  sqlite3_finalize(statement);
}

void StatementCache::close() {
  std::map<std::string, sqlite3_stmt*, std::less<>> kept;
  {
    MutexLock lock(mutex_);
    closed_ = true;
    kept.swap(kept_);
  }
  for (const auto& [sql, statement] : kept) sqlite3_finalize(statement);
}

Database::~Database() {
  // Before the connection closes: statements still in use are finalized
  // when they are destroyed (sqlite3_close_v2 waits for them).
  if (statements_) statements_->close();
}

Result<Database> Database::open(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw);  // owns raw even on failure
  if (rc != SQLITE_OK) return sqlite_error(raw, rc, "opening '" + path.string() + "'");
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Result<void> Database::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    Error error = sqlite_error(nullptr, rc, "running SQL");
    return Error(error.code(), "running SQL: " + detail);
  }
  return ok();
}

Result<void> Database::use_wal() {
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  while (true) {
    auto done = exec("PRAGMA journal_mode = WAL");
    if (done || done.error().code() != ErrorCode::Unavailable ||
        std::chrono::steady_clock::now() > give_up) {
      return done;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (sqlite3_stmt* kept = statements_ ? statements_->take(sql) : nullptr) {
    return Statement(kept, statements_);
  }
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &statement,
                              nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, "preparing SQL");
  return Statement(statement, statements_);
}

Result<void> Database::run(std::string_view sql) {
  ORIVON_TRY(auto statement, prepare(sql));
  return statement.run();
}

Result<Transaction> Transaction::begin(Database& db) {
  ORIVON_RETURN_IF_ERROR(db.run("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->run("ROLLBACK");
}

Result<void> Transaction::commit() {
  if (db_ == nullptr) return Error(ErrorCode::Internal, "transaction already finished");
  ORIVON_RETURN_IF_ERROR(db_->run("COMMIT"));
  db_ = nullptr;
  return ok();
}

}  // namespace orivon::registry
