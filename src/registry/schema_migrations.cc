#include "registry/schema_migrations.h"

#include <array>
#include <string>
#include <string_view>

namespace orivon::registry {
namespace {

// Append only: a released migration never changes, since state directories
// in the field were built by it.
constexpr std::array<std::string_view, 5> kMigrations = {
    // 1: modules and the client's grant decisions.
    R"sql(
      CREATE TABLE modules (
        id            TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        program_kind  TEXT NOT NULL,
        version       TEXT NOT NULL DEFAULT '',
        description   TEXT NOT NULL DEFAULT '',
        content_hash  TEXT NOT NULL,
        size_bytes    INTEGER NOT NULL,
        manifest_json TEXT,
        state         TEXT NOT NULL DEFAULT 'installed',
        installed_at  INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      );
      CREATE TABLE grant_decisions (
        module_id  TEXT NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
        grant_text TEXT NOT NULL,
        decision   TEXT NOT NULL CHECK (decision IN ('allow', 'deny')),
        decided_at INTEGER NOT NULL,
        PRIMARY KEY (module_id, grant_text)
      );
    )sql",
    // 2: why a module crashed, the client's configuration overrides, and an
    // index for "which modules use this binary" when removing code files.
    R"sql(
      ALTER TABLE modules ADD COLUMN state_cause TEXT NOT NULL DEFAULT '';
      CREATE TABLE config_overrides (
        module_id TEXT NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
        key       TEXT NOT NULL,
        value     TEXT NOT NULL,
        PRIMARY KEY (module_id, key)
      );
      CREATE INDEX modules_by_hash ON modules(content_hash);
    )sql",
    // 3: which module may call which functions of which other module. '*'
    // stands for every function; rowid keeps the order grants were made in
    // (a group routes to its members in that order).
    R"sql(
      CREATE TABLE call_grants (
        caller     TEXT NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
        target     TEXT NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
        function   TEXT NOT NULL,
        granted_at INTEGER NOT NULL,
        PRIMARY KEY (caller, target, function)
      );
      CREATE INDEX call_grants_by_target ON call_grants(target);
    )sql",
    // 4: what each timer and start-up trigger did and when a timer runs
    // next (Unix milliseconds), so a host that restarts neither runs a timer
    // twice nor forgets the runs it missed. `trigger` names the trigger by
    // its kind, schedule and export, so a changed manifest starts afresh.
    R"sql(
      CREATE TABLE trigger_runs (
        module_id   TEXT NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
        trigger     TEXT NOT NULL,
        next_run_ms INTEGER NOT NULL DEFAULT 0,
        last_run_ms INTEGER NOT NULL DEFAULT 0,
        last_result TEXT NOT NULL DEFAULT '',
        runs        INTEGER NOT NULL DEFAULT 0,
        failures    INTEGER NOT NULL DEFAULT 0,
        skipped     INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (module_id, trigger)
      );
    )sql",
    // 5: inbound HTTP routes (`orivon route add [HOST]/PREFIX ID`). `host`
    // is '' for any host; both are stored normalized (src/http/route_table.h).
    // A module's routes go with it.
    R"sql(
      CREATE TABLE http_routes (
        host      TEXT NOT NULL,
        prefix    TEXT NOT NULL,
        module_id TEXT NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
        PRIMARY KEY (host, prefix)
      );
    )sql",
};

Result<int> user_version(Database& db) {
  ORIVON_TRY(auto statement, db.prepare("PRAGMA user_version"));
  ORIVON_TRY(bool row, statement.step());
  if (!row) return Error(ErrorCode::Internal, "PRAGMA user_version returned nothing");
  return static_cast<int>(statement.integer(0));
}

}  // namespace

int current_schema_version() { return static_cast<int>(kMigrations.size()); }

Result<void> migrate(Database& db, int target) {
  ORIVON_TRY(auto transaction, Transaction::begin(db));
  ORIVON_TRY(int version, user_version(db));
  if (version > target) {
    return Error(ErrorCode::FailedPrecondition,
                 "the state directory was written by a newer orivon (schema version " +
                     std::to_string(version) + "; this orivon knows up to " +
                     std::to_string(target) + "); upgrade orivon or use another --state");
  }
  for (int next = version; next < target; ++next) {
    ORIVON_RETURN_IF_ERROR(db.exec(kMigrations[static_cast<std::size_t>(next)]));
  }
  if (version != target) {
    ORIVON_RETURN_IF_ERROR(db.exec("PRAGMA user_version = " + std::to_string(target)));
  }
  return transaction.commit();
}

}  // namespace orivon::registry
