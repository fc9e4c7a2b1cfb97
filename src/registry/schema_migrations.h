#pragma once

// The registry's SQLite schema, as an ordered list of migrations. The
// database's `PRAGMA user_version` is the number of migrations applied.
// Opening applies the missing ones in one transaction; a database with a
// higher version than this orivon knows is refused, never touched.

#include "orivon/result.h"
#include "registry/sqlite_handle.h"

namespace orivon::registry {

// The schema version this orivon writes.
int current_schema_version();

// Brings `db` up to `target` (normally current_schema_version()).
// FailedPrecondition if the database is newer than `target`.
[[nodiscard]] Result<void> migrate(Database& db, int target);

}  // namespace orivon::registry
