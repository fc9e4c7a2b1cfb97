// Reading log files back (include/orivon/log_files.h): rotation order,
// limits, --since parsing and the time format, on files written by hand.

#include "orivon/log_files.h"

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/process.h"

namespace orivon {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using orivon::testing::TempDir;
using orivon::testing::write_text;

ModuleId id(const char* text) { return *ModuleId::parse(text); }

class LogFiles : public ::testing::Test {
 protected:
  void write(const std::string& name, const std::string& text) {
    fs::create_directories(temp_.path() / "logs");
    write_text(temp_.path() / "logs" / name, text);
  }
  std::string texts(const LogHistory& history) {
    std::string out;
    for (const auto& entry : history.entries) out += entry.text + ";";
    return out;
  }
  TempDir temp_;
};

TEST_F(LogFiles, ReadsRotatedFilesOldestFirstAndKeepsTheLastRecord) {
  write("app.a.test.log.2", "1 out one\n");
  write("app.a.test.log.1", "2 out two\n");
  write("app.a.test.log", "3 err three\n4 orivon four\n");
  auto history = read_log_files(temp_.path(), id("app.a.test"), LogQuery{});
  ASSERT_TRUE(history) << history.error().to_string();
  EXPECT_EQ(texts(*history), "one;two;three;four;");
  EXPECT_EQ(history->entries[2].stream, "err");
  EXPECT_EQ(history->entries[2].time_ms, 3);
  EXPECT_EQ(history->entries[2].sequence, 0u);
  // The query filters; `last` is the files' last record all the same.
  LogQuery query;
  query.since_ms = 2;
  query.tail = 2;
  history = read_log_files(temp_.path(), id("app.a.test"), query);
  ASSERT_TRUE(history);
  EXPECT_EQ(texts(*history), "three;four;");
  query.since_ms = 100;
  history = read_log_files(temp_.path(), id("app.a.test"), query);
  ASSERT_TRUE(history);
  EXPECT_TRUE(history->entries.empty());
  ASSERT_TRUE(history->last);
  EXPECT_EQ(history->last->text, "four");
  EXPECT_FALSE(history->truncated);
  // No files: nothing, and no error.
  history = read_log_files(temp_.path(), id("app.none.test"), LogQuery{});
  ASSERT_TRUE(history);
  EXPECT_TRUE(history->entries.empty());
  EXPECT_FALSE(history->last);
}

TEST_F(LogFiles, TheLimitsKeepTheNewestAndSaySo) {
  // More records than kMaxLogHistoryRecords: the oldest are left out.
  std::string text;
  text.reserve((kMaxLogHistoryRecords + 10) * 8);
  for (std::size_t i = 0; i < kMaxLogHistoryRecords + 10; ++i) {
    text += std::to_string(i) + " out x\n";
  }
  write("app.a.test.log", text);
  auto history = read_log_files(temp_.path(), id("app.a.test"), LogQuery{});
  ASSERT_TRUE(history);
  EXPECT_EQ(history->entries.size(), kMaxLogHistoryRecords);
  EXPECT_EQ(history->entries.front().time_ms, 10);
  EXPECT_TRUE(history->truncated);
  // A tail within the limits is not a truncation.
  LogQuery query;
  query.tail = 5;
  history = read_log_files(temp_.path(), id("app.a.test"), query);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->entries.size(), 5u);
  EXPECT_FALSE(history->truncated);
}

TEST_F(LogFiles, AllInterleavesByTimeAndSkipsOtherNames) {
  write("app.a.test.log", "1 out a1\n3 out a3\n");
  write("app.b.test.log", "2 out b2\n3 out b3\n");
  write("app.b.test.log.1", "0 out b0\n");
  write("BAD.log", "1 out bad\n");
  write("app.c.test.txt", "1 out c\n");
  auto all = read_all_log_files(temp_.path(), LogQuery{});
  ASSERT_TRUE(all) << all.error().to_string();
  std::string order;
  for (const auto& entry : all->entries) order += entry.module.str() + ":" + entry.entry.text + ";";
  // Equal times keep the modules' order (by id): stable.
  EXPECT_EQ(order, "app.b.test:b0;app.a.test:a1;app.b.test:b2;app.a.test:a3;app.b.test:b3;");
  // No logs directory at all: nothing.
  auto none = read_all_log_files(temp_.path() / "elsewhere", LogQuery{});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->entries.empty());
}

TEST(LogSince, DurationsAndRfc3339Times) {
  const std::int64_t now = 1'000'000'000'000;  // 2001-09-09T01:46:40Z
  EXPECT_EQ(*parse_log_since("10m", now), now - 600'000);
  EXPECT_EQ(*parse_log_since("1h30m", now), now - 5'400'000);
  EXPECT_EQ(*parse_log_since("2562047h", now), 0);  // before 1970: from the start
  EXPECT_EQ(*parse_log_since("2001-09-09T01:46:40Z", now), now);
  EXPECT_EQ(*parse_log_since("2001-09-09t01:46:40.5z", now), now + 500);
  EXPECT_EQ(*parse_log_since("2001-09-09 03:46:40.123+02:00", now), now + 123);
  EXPECT_EQ(*parse_log_since("2001-09-08T20:46:40-05:00", now), now);
  EXPECT_EQ(*parse_log_since("2024-02-29T00:00:00Z", now), 1'709'164'800'000);
  for (const char* bad : {"", "soon", "-5m", "2023-02-29T00:00:00Z", "2001-09-09T01:46:40",
                          "2001-09-09T25:00:00Z", "2001-9-09T01:46:40Z", "2001-09-09T01:46:40+2",
                          "2001-09-09T01:46:40Z ", "2001-09-09T01:46:40.Z"}) {
    auto parsed = parse_log_since(bad, now);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument) << bad;
  }
  EXPECT_THAT(parse_log_since("soon", now).error().message(), HasSubstr("RFC 3339"));
}

TEST(LogTime, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_log_time(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_log_time(1'000'000'000'123), "2001-09-09T01:46:40.123Z");
  EXPECT_EQ(format_log_time(1'709'164'800'000), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(format_log_time(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace orivon
