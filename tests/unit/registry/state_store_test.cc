#include "registry/state_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "registry/schema_migrations.h"
#include "support/process.h"

namespace orivon::registry {
namespace {

using orivon::testing::TempDir;

ModuleRecord record(const std::string& id, const std::string& hash) {
  ModuleRecord r;
  r.id = id;
  r.kind = "service";
  r.program_kind = "core";
  r.content_hash = hash;
  r.size_bytes = 4;
  r.state = "installed";
  r.installed_at = r.updated_at = 1;
  return r;
}

void set_user_version(const std::filesystem::path& db_path, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, ("PRAGMA user_version = " + std::to_string(version)).c_str(), nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
}

TEST(StateStore, CreatesAPrivateDirectory) {
  TempDir temp;
  const auto dir = temp.path() / "state";
  auto store = StateStore::open(dir);
  ASSERT_TRUE(store) << store.error().to_string();
  struct stat info {};
  ASSERT_EQ(stat(dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_TRUE(std::filesystem::exists(dir / "state.db"));
}

TEST(StateStore, RefusesAStateDirectoryFromANewerOrivon) {
  TempDir temp;
  { ASSERT_TRUE(StateStore::open(temp.path())); }
  set_user_version(temp.path() / "state.db", current_schema_version() + 1);
  auto store = StateStore::open(temp.path());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::FailedPrecondition);
  EXPECT_NE(store.error().to_string().find("newer orivon"), std::string::npos);
}

TEST(StateStore, MigratesAnOlderSchemaKeepingItsData) {
  ASSERT_GE(current_schema_version(), 2);
  TempDir temp;
  {
    auto old = StateStore::open(temp.path(), 1);
    ASSERT_TRUE(old) << old.error().to_string();
    // Schema 1 has no state_cause column: insert by hand, as version 1 did.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((temp.path() / "state.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "INSERT INTO modules (id, kind, program_kind, content_hash, size_bytes, "
                           "installed_at, updated_at) VALUES ('a.b.c', 'service', 'core', "
                           "'00', 4, 1, 1)",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = StateStore::open(temp.path());
  ASSERT_TRUE(store) << store.error().to_string();
  auto found = (*store)->find("a.b.c");
  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->state_cause, "");
}

TEST(StateStore, InsertFindRemove) {
  TempDir temp;
  auto store = StateStore::open(temp.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->insert(record("a.b.c", "11")));
  auto duplicate = (*store)->insert(record("a.b.c", "22"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code(), ErrorCode::AlreadyExists);
  auto all = (*store)->all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].content_hash, "11");
  ASSERT_TRUE((*store)->remove("a.b.c", {}));
  EXPECT_EQ((*store)->remove("a.b.c", {}).error().code(), ErrorCode::NotFound);
}

// PRAGMA data_version, read on a connection of its own: it changes when
// another connection commits a change to the database.
std::int64_t data_version(sqlite3* db) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &statement, nullptr) != SQLITE_OK) {
    return -1;
  }
  const std::int64_t version =
      sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : -1;
  sqlite3_finalize(statement);
  return version;
}

TEST(StateStore, MarksAStateOnlyWhenItChangesAndOnlyForAnInstalledModule) {
  TempDir temp;
  auto store = StateStore::open(temp.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->insert(record("a.b.c", "11")));
  sqlite3* watcher = nullptr;
  ASSERT_EQ(sqlite3_open((temp.path() / "state.db").c_str(), &watcher), SQLITE_OK);
  const std::int64_t before = data_version(watcher);
  ASSERT_GE(before, 0);

  ASSERT_TRUE((*store)->set_state("a.b.c", "running"));
  const std::int64_t marked = data_version(watcher);
  EXPECT_NE(marked, before);  // a change is committed
  EXPECT_EQ((*(*store)->find("a.b.c"))->state, "running");

  // The same mark again commits nothing. (SQLite itself leaves a row it
  // would overwrite with identical bytes alone; set_state now also skips
  // the write transaction, which only the density sweep's restarts show.)
  ASSERT_TRUE((*store)->set_state("a.b.c", "running"));
  EXPECT_EQ(data_version(watcher), marked);

  ASSERT_TRUE((*store)->set_state("a.b.c", "installed"));
  EXPECT_NE(data_version(watcher), marked);
  EXPECT_EQ((*(*store)->find("a.b.c"))->state, "installed");
  sqlite3_close(watcher);

  auto missing = (*store)->set_state("x.y.z", "running");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
}

TEST(StateStore, ARemovalsCheckSeesItsCallGrantsAndAnErrorRemovesNothing) {
  TempDir temp;
  auto store = StateStore::open(temp.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->insert(record("a.b.c", "11")));
  ASSERT_TRUE((*store)->insert(record("d.e.f", "22")));
  ASSERT_TRUE((*store)->insert(record("g.h.i", "33")));
  ASSERT_TRUE((*store)->add_call_grants("d.e.f", "a.b.c", {"f", "g"}, 1));
  ASSERT_TRUE((*store)->add_call_grants("a.b.c", "g.h.i", {"*"}, 2));
  ASSERT_TRUE((*store)->add_call_grants("d.e.f", "g.h.i", {"*"}, 3));

  std::vector<CallGrantRow> seen;
  auto refused = (*store)->remove("a.b.c", [&](const std::vector<CallGrantRow>& rows) {
    seen = rows;
    return Result<void>(Error(ErrorCode::FailedPrecondition, "refused"));
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::FailedPrecondition);
  ASSERT_EQ(seen.size(), 3u);  // the grants on it and its own, not d.e.f's to g.h.i
  EXPECT_EQ(seen[0].caller, "d.e.f");
  EXPECT_EQ(seen[2].target, "g.h.i");
  EXPECT_TRUE(*(*store)->find("a.b.c"));
  EXPECT_EQ((*store)->call_grants()->size(), 4u);

  auto removed = (*store)->remove("a.b.c", {});
  ASSERT_TRUE(removed) << removed.error().to_string();
  EXPECT_EQ(removed->size(), 3u);
  EXPECT_FALSE(*(*store)->find("a.b.c"));
  ASSERT_EQ((*store)->call_grants()->size(), 1u);
  EXPECT_EQ((*store)->call_grants()->at(0).caller, "d.e.f");
}

TEST(StateStore, DecisionsAreStoredApartAndGoWithTheModule) {
  TempDir temp;
  auto store = StateStore::open(temp.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->insert(record("a.b.c", "11")));
  ASSERT_TRUE((*store)->set_decision("a.b.c", "env:HOME", GrantDecision::Allow, 5));
  ASSERT_TRUE((*store)->set_decision("a.b.c", "env:HOME", GrantDecision::Deny, 6));
  auto decisions = (*store)->decisions("a.b.c");
  ASSERT_TRUE(decisions);
  EXPECT_EQ(decisions->at("env:HOME"), GrantDecision::Deny);
  EXPECT_EQ((*store)->set_decision("x.y.z", "env:HOME", GrantDecision::Allow, 1).error().code(),
            ErrorCode::NotFound);
  ASSERT_TRUE((*store)->remove("a.b.c", {}));
  ASSERT_TRUE((*store)->insert(record("a.b.c", "11")));
  EXPECT_TRUE((*store)->decisions("a.b.c")->empty());
}

TEST(StateStore, CollectsOrphanCodeFilesButKeepsUsedOnes) {
  TempDir temp;
  const std::string used(64, 'a');
  const std::string orphan(64, 'b');
  {
    auto store = StateStore::open(temp.path());
    ASSERT_TRUE(store);
    const std::byte bytes[] = {std::byte{1}};
    ASSERT_TRUE((*store)->put_code(used, bytes));
    ASSERT_TRUE((*store)->put_code(orphan, bytes));
    ASSERT_TRUE((*store)->insert(record("a.b.c", used)));
  }
  // Old enough that no other process can still be adding it.
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  std::filesystem::last_write_time(temp.path() / "code" / (used + ".wasm"), old);
  std::filesystem::last_write_time(temp.path() / "code" / (orphan + ".wasm"), old);
  auto reopened = StateStore::open(temp.path());
  ASSERT_TRUE(reopened);
  // Opening alone removes nothing (a CLI command opens it too).
  EXPECT_TRUE(std::filesystem::exists(temp.path() / "code" / (orphan + ".wasm")));
  ASSERT_TRUE((*reopened)->collect_garbage());
  EXPECT_TRUE(std::filesystem::exists(temp.path() / "code" / (used + ".wasm")));
  EXPECT_FALSE(std::filesystem::exists(temp.path() / "code" / (orphan + ".wasm")));
}

TEST(StateStore, CollectsOldTemporaryCacheFilesOnly) {
  TempDir temp;
  { ASSERT_TRUE(StateStore::open(temp.path())); }
  const auto cache = temp.path() / "cache";
  const auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  auto write = [&](const std::string& name, bool aged) {
    const auto path = cache / name;
    std::ofstream(path) << "x";
    if (aged) std::filesystem::last_write_time(path, old);
    return path;
  };
  const auto interrupted = write(std::string(64, 'a') + "-x.cwasm.tmp.123", true);
  const auto in_progress = write(std::string(64, 'b') + "-x.cwasm.tmp.456", false);
  const auto compiled = write(std::string(64, 'c') + "-x.cwasm", true);
  auto store = StateStore::open(temp.path());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->collect_garbage());
  EXPECT_FALSE(std::filesystem::exists(interrupted));
  EXPECT_TRUE(std::filesystem::exists(in_progress));  // another process may be writing it
  EXPECT_TRUE(std::filesystem::exists(compiled));
}

}  // namespace
}  // namespace orivon::registry
