#include "registry/state_store.h"

#include <dirent.h>

#include <chrono>
#include <functional>
#include <thread>
#include <unordered_set>

#include "core/file_util.h"

namespace orivon::registry {
namespace {

constexpr std::string_view kColumns =
    "id, kind, program_kind, version, description, content_hash, size_bytes, manifest_json, "
    "state, state_cause, installed_at, updated_at";

ModuleRecord read_record(const Statement& row) {
  ModuleRecord record;
  record.id = row.text(0);
  record.kind = row.text(1);
  record.program_kind = row.text(2);
  record.version = row.text(3);
  record.description = row.text(4);
  record.content_hash = row.text(5);
  record.size_bytes = row.integer(6);
  if (!row.is_null(7)) record.manifest_json = row.text(7);
  record.state = row.text(8);
  record.state_cause = row.text(9);
  record.installed_at = row.integer(10);
  record.updated_at = row.integer(11);
  return record;
}

bool is_hash(std::string_view name) {
  return name.size() == 64 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Calls `visit` with the name of each entry of `dir` but "." and "..", in
// no order; nothing when `dir` cannot be read.
void for_each_file_name(const std::filesystem::path& dir,
                        const std::function<void(std::string_view)>& visit) {
  std::unique_ptr<DIR, int (*)(DIR*)> stream(opendir(dir.c_str()), closedir);
  if (!stream) return;
  while (const dirent* entry = readdir(stream.get())) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") visit(name);
  }
}

Result<Database> open_database(const std::filesystem::path& path, int schema_version) {
  ORIVON_TRY(auto db, Database::open(path));
  // WAL lets readers proceed beside a writer; synchronous=FULL makes every
  // commit durable before it returns, which is what "acknowledged" promises.
  ORIVON_RETURN_IF_ERROR(db.use_wal());
  ORIVON_RETURN_IF_ERROR(db.exec("PRAGMA synchronous = FULL"));
  ORIVON_RETURN_IF_ERROR(db.exec("PRAGMA foreign_keys = ON"));
  ORIVON_RETURN_IF_ERROR(migrate(db, schema_version));
  return db;
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::open(const std::filesystem::path& dir,
                                                     int schema_version) {
  ORIVON_RETURN_IF_ERROR(ensure_private_directory(dir));
  ORIVON_RETURN_IF_ERROR(ensure_private_directory(dir / "code"));
  ORIVON_RETURN_IF_ERROR(ensure_private_directory(dir / "cache"));
  // Two processes opening a new state directory at once can find it locked
  // while the other switches it to WAL, a step SQLite does not retry by
  // itself: retry the whole open for a while.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Result<Database> opened = Error(ErrorCode::Internal, "not opened");
  while (true) {
    opened = open_database(dir / "state.db", schema_version);
    if (opened || opened.error().code() != ErrorCode::Unavailable ||
        std::chrono::steady_clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (!opened) return Error::wrap("state directory '" + dir.string() + "'", opened.error());
  return std::unique_ptr<StateStore>(new StateStore(dir, std::move(*opened)));
}

std::filesystem::path StateStore::code_path(const std::string& hash) const {
  return dir_ / "code" / (hash + ".wasm");
}

Result<void> StateStore::put_code(const std::string& hash, std::span<const std::byte> bytes) {
  const auto path = code_path(hash);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return ok();
  return write_file_durably(path, bytes);
}

Result<void> StateStore::insert(std::span<const ModuleRecord> records) {
  ORIVON_TRY(auto transaction, Transaction::begin(db_));
  ORIVON_TRY(auto statement,
             db_.prepare("INSERT INTO modules (" + std::string(kColumns) +
                         ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"));
  for (const ModuleRecord& r : records) {
    statement.reset();
    statement.bind(1, r.id).bind(2, r.kind).bind(3, r.program_kind).bind(4, r.version);
    statement.bind(5, r.description).bind(6, r.content_hash).bind(7, r.size_bytes);
    if (r.manifest_json) {
      statement.bind(8, *r.manifest_json);
    } else {
      statement.bind_null(8);
    }
    statement.bind(9, r.state).bind(10, r.state_cause).bind(11, r.installed_at);
    statement.bind(12, r.updated_at);
    // The primary key refuses an id installed meanwhile (the registry
    // checked before compiling); the transaction then records nothing.
    if (auto inserted = statement.run(); !inserted) {
      ORIVON_TRY(auto raced, find(r.id));
      if (raced) return Error(ErrorCode::AlreadyExists, "module '" + r.id + "' is already installed");
      return inserted;
    }
  }
  // With synchronous=FULL the batch is on disk when the commit returns.
  return transaction.commit();
}

Result<std::vector<CallGrantRow>> StateStore::remove(const std::string& id,
                                                     const RemovalCheck& check) {
  ORIVON_TRY(auto transaction, Transaction::begin(db_));
  ORIVON_TRY(auto existing, find(id));
  if (!existing) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
  std::vector<CallGrantRow> grants;
  {
    ORIVON_TRY(auto statement,
               db_.prepare("SELECT caller, target, function FROM call_grants "
                           "WHERE caller = ?1 OR target = ?1 ORDER BY rowid"));
    statement.bind(1, id);
    while (true) {
      ORIVON_TRY(bool row, statement.step());
      if (!row) break;
      grants.push_back(CallGrantRow{statement.text(0), statement.text(1), statement.text(2)});
    }
  }
  if (check) {
    ORIVON_RETURN_IF_ERROR(check(grants));
  }
  // The call grants, decisions and configuration go by ON DELETE CASCADE.
  ORIVON_TRY(auto statement, db_.prepare("DELETE FROM modules WHERE id = ?1"));
  ORIVON_RETURN_IF_ERROR(statement.bind(1, id).run());
  if (db_.changes() == 0) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
  ORIVON_RETURN_IF_ERROR(transaction.commit());
  remove_code_if_unused(existing->content_hash);
  return grants;
}

Result<void> StateStore::replace_code(const std::string& id, const std::string& old_hash,
                                      const std::string& hash, std::int64_t size_bytes,
                                      const std::string& program_kind, std::int64_t now) {
  ORIVON_TRY(auto statement,
             db_.prepare("UPDATE modules SET content_hash = ?2, size_bytes = ?3, "
                         "program_kind = ?4, updated_at = ?5 WHERE id = ?1"));
  statement.bind(1, id).bind(2, hash).bind(3, size_bytes).bind(4, program_kind).bind(5, now);
  ORIVON_RETURN_IF_ERROR(statement.run());
  if (db_.changes() == 0) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
  if (old_hash != hash) remove_code_if_unused(old_hash);
  return ok();
}

Result<void> StateStore::replace_manifest(const std::string& id,
                                          const std::optional<std::string>& manifest_json,
                                          const std::string& version,
                                          const std::string& description, std::int64_t now) {
  ORIVON_TRY(auto statement,
             db_.prepare("UPDATE modules SET manifest_json = ?2, version = ?3, description = ?4, "
                         "updated_at = ?5 WHERE id = ?1"));
  statement.bind(1, id);
  if (manifest_json) {
    statement.bind(2, *manifest_json);
  } else {
    statement.bind_null(2);
  }
  statement.bind(3, version).bind(4, description).bind(5, now);
  ORIVON_RETURN_IF_ERROR(statement.run());
  if (db_.changes() == 0) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
  return ok();
}

Result<void> StateStore::set_state(const std::string& id, const std::string& state) {
  // Whether a service comes back at the next start is marked at every start
  // and stop, so it is not worth an fsync each (about 4 ms on this machine's
  // disk, 36 times the update): committed with synchronous=NORMAL, it is in
  // the WAL at once and survives the process dying; only a crash of the
  // machine itself may lose the marks since the last durable commit or
  // checkpoint.
  //
  // A mark that is already so takes no write transaction: a host that
  // starts its autostart services marks each one anew, and a read costs a
  // fraction of the transaction and its two PRAGMAs (bench/README.md has
  // the density sweep's restarts before and after).
  {
    ORIVON_TRY(auto statement, db_.prepare("SELECT state FROM modules WHERE id = ?1"));
    statement.bind(1, id);
    ORIVON_TRY(bool row, statement.step());
    if (!row) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
    if (statement.text(0) == state) return ok();
  }
  ORIVON_RETURN_IF_ERROR(db_.run("PRAGMA synchronous = NORMAL"));
  auto updated = [&]() -> Result<void> {
    ORIVON_TRY(auto statement, db_.prepare("UPDATE modules SET state = ?2 WHERE id = ?1"));
    return statement.bind(1, id).bind(2, state).run();
  }();
  const bool found = updated && db_.changes() != 0;
  ORIVON_RETURN_IF_ERROR(db_.run("PRAGMA synchronous = FULL"));
  ORIVON_RETURN_IF_ERROR(updated);
  if (!found) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
  return ok();
}

Result<std::optional<ModuleRecord>> StateStore::find(const std::string& id) {
  ORIVON_TRY(auto statement,
             db_.prepare("SELECT " + std::string(kColumns) + " FROM modules WHERE id = ?1"));
  statement.bind(1, id);
  ORIVON_TRY(bool row, statement.step());
  if (!row) return std::optional<ModuleRecord>();
  return std::optional<ModuleRecord>(read_record(statement));
}

Result<std::vector<ModuleRecord>> StateStore::all() { return page("", 0); }

Result<std::vector<ModuleRecord>> StateStore::page(const std::string& after, std::size_t limit) {
  // SQLite reads a negative LIMIT as none.
  ORIVON_TRY(auto statement, db_.prepare("SELECT " + std::string(kColumns) +
                                         " FROM modules WHERE id > ?1 ORDER BY id LIMIT ?2"));
  statement.bind(1, after);
  statement.bind(2, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
  std::vector<ModuleRecord> records;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    records.push_back(read_record(statement));
  }
  return records;
}

Result<void> StateStore::set_decision(const std::string& id, const std::string& grant,
                                      GrantDecision decision, std::int64_t now) {
  ORIVON_TRY(auto existing, find(id));
  if (!existing) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
  ORIVON_TRY(auto statement,
             db_.prepare("INSERT INTO grant_decisions (module_id, grant_text, decision, decided_at) "
                         "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (module_id, grant_text) DO UPDATE "
                         "SET decision = excluded.decision, decided_at = excluded.decided_at"));
  statement.bind(1, id).bind(2, grant);
  statement.bind(3, std::string_view(decision == GrantDecision::Allow ? "allow" : "deny"));
  statement.bind(4, now);
  return statement.run();
}

Result<std::map<std::string, GrantDecision>> StateStore::decisions(const std::string& id) {
  ORIVON_TRY(auto statement,
             db_.prepare("SELECT grant_text, decision FROM grant_decisions WHERE module_id = ?1"));
  statement.bind(1, id);
  std::map<std::string, GrantDecision> result;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    result[statement.text(0)] =
        statement.text(1) == "allow" ? GrantDecision::Allow : GrantDecision::Deny;
  }
  return result;
}

Result<bool> StateStore::remove_decision(const std::string& id, const std::string& grant) {
  ORIVON_TRY(auto statement, db_.prepare("DELETE FROM grant_decisions WHERE module_id = ?1 AND "
                                         "grant_text = ?2"));
  ORIVON_RETURN_IF_ERROR(statement.bind(1, id).bind(2, grant).run());
  return db_.changes() > 0;
}

Result<std::vector<std::string>> StateStore::allowed_grants(const std::string& id) {
  // The upsert in set_decision keeps a row's rowid, so rowid order is the
  // order of first decisions.
  ORIVON_TRY(auto statement,
             db_.prepare("SELECT grant_text FROM grant_decisions WHERE module_id = ?1 "
                         "AND decision = 'allow' ORDER BY rowid"));
  statement.bind(1, id);
  std::vector<std::string> result;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    result.push_back(statement.text(0));
  }
  return result;
}

Result<void> StateStore::add_call_grants(const std::string& caller, const std::string& target,
                                         const std::vector<std::string>& functions,
                                         std::int64_t now) {
  ORIVON_TRY(auto transaction, Transaction::begin(db_));
  ORIVON_TRY(auto statement,
             db_.prepare("INSERT OR IGNORE INTO call_grants (caller, target, function, granted_at) "
                         "VALUES (?1, ?2, ?3, ?4)"));
  for (const auto& function : functions) {
    statement.reset();
    statement.bind(1, caller).bind(2, target).bind(3, function).bind(4, now);
    ORIVON_RETURN_IF_ERROR(statement.run());
  }
  return transaction.commit();
}

Result<std::int64_t> StateStore::remove_call_grants(const std::string& caller,
                                                    const std::string& target,
                                                    const std::vector<std::string>& functions) {
  ORIVON_TRY(auto transaction, Transaction::begin(db_));
  std::int64_t removed = 0;
  if (functions.empty()) {
    ORIVON_TRY(auto statement,
               db_.prepare("DELETE FROM call_grants WHERE caller = ?1 AND target = ?2"));
    ORIVON_RETURN_IF_ERROR(statement.bind(1, caller).bind(2, target).run());
    removed = db_.changes();
  } else {
    ORIVON_TRY(auto statement,
               db_.prepare("DELETE FROM call_grants WHERE caller = ?1 AND target = ?2 AND "
                           "function = ?3"));
    for (const auto& function : functions) {
      statement.reset();
      ORIVON_RETURN_IF_ERROR(statement.bind(1, caller).bind(2, target).bind(3, function).run());
      removed += db_.changes();
    }
  }
  ORIVON_RETURN_IF_ERROR(transaction.commit());
  return removed;
}

Result<std::vector<CallGrantRow>> StateStore::call_grants() {
  ORIVON_TRY(auto statement,
             db_.prepare("SELECT caller, target, function FROM call_grants ORDER BY rowid"));
  std::vector<CallGrantRow> rows;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    rows.push_back(CallGrantRow{statement.text(0), statement.text(1), statement.text(2)});
  }
  return rows;
}

Result<std::map<std::string, std::string>> StateStore::config_overrides(const std::string& id) {
  ORIVON_TRY(auto statement,
             db_.prepare("SELECT key, value FROM config_overrides WHERE module_id = ?1"));
  statement.bind(1, id);
  std::map<std::string, std::string> values;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    values[statement.text(0)] = statement.text(1);
  }
  return values;
}

Result<void> StateStore::set_config_override(const std::string& id, const std::string& key,
                                             const std::string& value) {
  ORIVON_TRY(auto existing, find(id));
  if (!existing) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
  ORIVON_TRY(auto statement,
             db_.prepare("INSERT INTO config_overrides (module_id, key, value) VALUES (?1, ?2, ?3) "
                         "ON CONFLICT (module_id, key) DO UPDATE SET value = excluded.value"));
  return statement.bind(1, id).bind(2, key).bind(3, value).run();
}

Result<bool> StateStore::remove_config_override(const std::string& id, const std::string& key) {
  ORIVON_TRY(auto statement,
             db_.prepare("DELETE FROM config_overrides WHERE module_id = ?1 AND key = ?2"));
  ORIVON_RETURN_IF_ERROR(statement.bind(1, id).bind(2, key).run());
  return db_.changes() > 0;
}

Result<std::vector<TriggerRunRow>> StateStore::trigger_runs(const std::string& id) {
  ORIVON_TRY(auto statement,
             db_.prepare("SELECT trigger, next_run_ms, last_run_ms, last_result, runs, failures, "
                         "skipped FROM trigger_runs WHERE module_id = ?1"));
  statement.bind(1, id);
  std::vector<TriggerRunRow> rows;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    rows.push_back(TriggerRunRow{statement.text(0), statement.integer(1), statement.integer(2),
                                 statement.text(3), statement.integer(4), statement.integer(5),
                                 statement.integer(6)});
  }
  return rows;
}

Result<void> StateStore::save_trigger_run(const std::string& id, const TriggerRunRow& row) {
  ORIVON_TRY(auto existing, find(id));
  if (!existing) return Error(ErrorCode::NotFound, "no module '" + id + "' is installed");
  ORIVON_TRY(auto statement,
             db_.prepare("INSERT OR REPLACE INTO trigger_runs (module_id, trigger, next_run_ms, "
                         "last_run_ms, last_result, runs, failures, skipped) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  return statement.bind(1, id)
      .bind(2, row.trigger)
      .bind(3, row.next_run_ms)
      .bind(4, row.last_run_ms)
      .bind(5, row.last_result)
      .bind(6, row.runs)
      .bind(7, row.failures)
      .bind(8, row.skipped)
      .run();
}

Result<std::vector<std::pair<std::string, std::string>>> StateStore::manifests_with_triggers() {
  ORIVON_TRY(auto statement,
             db_.prepare("SELECT id, manifest_json FROM modules WHERE manifest_json LIKE "
                         "'%\"triggers\"%' OR manifest_json LIKE '%\"function\"%' ORDER BY id"));
  std::vector<std::pair<std::string, std::string>> rows;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    rows.emplace_back(statement.text(0), statement.text(1));
  }
  return rows;
}

Result<std::vector<StateStore::RouteRow>> StateStore::http_routes() {
  ORIVON_TRY(auto statement,
             db_.prepare("SELECT host, prefix, module_id FROM http_routes ORDER BY host, prefix"));
  std::vector<RouteRow> rows;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    rows.push_back(RouteRow{statement.text(0), statement.text(1), statement.text(2)});
  }
  return rows;
}

Result<void> StateStore::put_http_route(const RouteRow& row) {
  ORIVON_TRY(auto existing, find(row.module_id));
  if (!existing) return Error(ErrorCode::NotFound, "no module '" + row.module_id + "' is installed");
  ORIVON_TRY(auto statement,
             db_.prepare("INSERT OR REPLACE INTO http_routes (host, prefix, module_id) "
                         "VALUES (?1, ?2, ?3)"));
  return statement.bind(1, row.host).bind(2, row.prefix).bind(3, row.module_id).run();
}

Result<bool> StateStore::remove_http_route(const std::string& host, const std::string& prefix) {
  ORIVON_TRY(auto statement,
             db_.prepare("DELETE FROM http_routes WHERE host = ?1 AND prefix = ?2"));
  ORIVON_RETURN_IF_ERROR(statement.bind(1, host).bind(2, prefix).run());
  return db_.changes() > 0;
}

void StateStore::remove_code_if_unused(const std::string& hash) {
  auto statement = db_.prepare("SELECT COUNT(*) FROM modules WHERE content_hash = ?1");
  if (!statement) return;
  statement->bind(1, hash);
  auto row = statement->step();
  if (!row || !*row || statement->integer(0) != 0) return;
  std::error_code ignored;  // a leftover file is collected at the next open
  std::filesystem::remove(code_path(hash), ignored);
  for (const auto& entry : std::filesystem::directory_iterator(cache_dir(), ignored)) {
    if (entry.path().filename().string().starts_with(hash + "-")) {
      std::filesystem::remove(entry.path(), ignored);
    }
  }
}

Result<void> StateStore::collect_garbage() {
  // A state directory of 100,000 modules holds 200,000 files: names are
  // read with readdir, looked up in a hash set, and only a file that may go
  // gets a path and a stat.
  ORIVON_TRY(auto statement, db_.prepare("SELECT DISTINCT content_hash FROM modules"));
  std::unordered_set<std::string> used;
  while (true) {
    ORIVON_TRY(bool row, statement.step());
    if (!row) break;
    used.insert(statement.text(0));
  }
  auto older_than_a_minute = [](const std::filesystem::path& path) {
    std::error_code ec;
    auto age = std::filesystem::file_time_type::clock::now() -
               std::filesystem::last_write_time(path, ec);
    return !ec && age > std::chrono::minutes(1);
  };
  const auto code = dir_ / "code";
  for_each_file_name(code, [&](std::string_view name) {
    const bool referenced = name.size() == 69 && name.ends_with(".wasm") &&
                            is_hash(name.substr(0, 64)) &&
                            used.count(std::string(name.substr(0, 64))) > 0;
    // Another process may be mid-add, with its binary written but its row
    // not yet committed: files younger than a minute are left for a later
    // open.
    if (referenced) return;
    const auto path = code / name;
    std::error_code ec;
    if (older_than_a_minute(path)) std::filesystem::remove(path, ec);
  });
  // Temporary files of interrupted cache writes.
  const auto cache = cache_dir();
  for_each_file_name(cache, [&](std::string_view name) {
    if (name.find(".tmp.") == std::string_view::npos) return;
    const auto path = cache / name;
    std::error_code ec;
    if (older_than_a_minute(path)) std::filesystem::remove(path, ec);
  });
  return ok();
}

}  // namespace orivon::registry
