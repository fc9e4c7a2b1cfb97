#include "registry/sqlite_handle.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>
#include <vector>

#include "support/process.h"

namespace orivon::registry {
namespace {

using orivon::testing::TempDir;

Database open_database(const std::filesystem::path& path) {
  auto db = Database::open(path);
  EXPECT_TRUE(db) << db.error().to_string();
  return std::move(*db);
}

TEST(StatementCache, ADroppedStatementIsKeptAndTakenBackWithoutItsBindings) {
  TempDir temp;
  Database db = open_database(temp.path() / "db");
  {
    auto statement = db.prepare("SELECT ?1");
    ASSERT_TRUE(statement) << statement.error().to_string();
    statement->bind(1, std::int64_t{7});
    ASSERT_TRUE(*statement->step());
    EXPECT_EQ(statement->integer(0), 7);
  }
  EXPECT_EQ(db.kept_statements(), 1u);

  auto again = db.prepare("SELECT ?1");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(db.kept_statements(), 0u);  // taken back, not prepared anew
  ASSERT_TRUE(*again->step());
  EXPECT_TRUE(again->is_null(0));  // the last user's value is gone
}

TEST(StatementCache, TwoStatementsOfOneTextAtOnceAreBothUsable) {
  TempDir temp;
  Database db = open_database(temp.path() / "db");
  auto first = db.prepare("SELECT ?1");
  auto second = db.prepare("SELECT ?1");
  ASSERT_TRUE(first && second);
  first->bind(1, std::int64_t{1});
  second->bind(1, std::int64_t{2});
  ASSERT_TRUE(*first->step());
  ASSERT_TRUE(*second->step());
  EXPECT_EQ(first->integer(0), 1);
  EXPECT_EQ(second->integer(0), 2);
}

TEST(StatementCache, AStatementDroppedMidwayHoldsNoReadTransaction) {
  TempDir temp;
  const auto path = temp.path() / "db";
  Database db = open_database(path);
  ASSERT_TRUE(db.use_wal());
  ASSERT_TRUE(db.exec("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2), (3)"));
  {
    auto rows = db.prepare("SELECT x FROM t");
    ASSERT_TRUE(rows);
    ASSERT_TRUE(*rows->step());  // a read transaction is open now
  }
  ASSERT_EQ(db.kept_statements(), 1u);

  // Another connection can write and then check the whole log back into
  // the database, which no open reader would allow.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(other, "INSERT INTO t VALUES (4)", nullptr, nullptr, nullptr), SQLITE_OK);
  int log_frames = -1;
  int checkpointed = -1;
  EXPECT_EQ(sqlite3_wal_checkpoint_v2(other, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                      &checkpointed),
            SQLITE_OK)
      << sqlite3_errmsg(other);
  sqlite3_close(other);

  auto count = db.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count && *count->step());
  EXPECT_EQ(count->integer(0), 4);
}

TEST(StatementCache, KeepsAtMostItsLimit) {
  TempDir temp;
  Database db = open_database(temp.path() / "db");
  {
    std::vector<Statement> held;
    for (std::size_t i = 0; i < StatementCache::kMaxKept + 10; ++i) {
      auto statement = db.prepare("SELECT " + std::to_string(i));
      ASSERT_TRUE(statement);
      held.push_back(std::move(*statement));
    }
  }
  EXPECT_EQ(db.kept_statements(), StatementCache::kMaxKept);
}

TEST(StatementCache, AStatementMayOutliveItsDatabase) {
  TempDir temp;
  std::optional<Database> db = open_database(temp.path() / "db");
  auto statement = db->prepare("SELECT 1");
  ASSERT_TRUE(statement);
  {
    auto kept = db->prepare("SELECT 2");  // dropped: kept until the database closes
    ASSERT_TRUE(kept);
  }
  db.reset();
  // `statement` is finalized when the test ends, after the connection
  // closed: under ASan, one handed back to a freed cache would be reported.
  ASSERT_TRUE(*statement->step());
  EXPECT_EQ(statement->integer(0), 1);
}

}  // namespace
}  // namespace orivon::registry
