#include "core/cron_schedule.h"

#include <chrono>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace orivon {
namespace {

using namespace std::chrono;

// Unix milliseconds of a UTC date and time.
std::int64_t at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  const sys_days date{year{y} / month{mo} / std::chrono::day{d}};
  return duration_cast<milliseconds>((date + hours{h} + minutes{mi} + seconds{s}).time_since_epoch())
      .count();
}

std::int64_t next(std::string_view text, std::int64_t after) {
  auto schedule = CronSchedule::parse(text);
  EXPECT_TRUE(schedule) << schedule.error().to_string();
  auto when = schedule->next_after(after);
  EXPECT_TRUE(when.has_value()) << text;
  return when.value_or(-1);
}

TEST(CronSchedule, EveryMinuteIsTheNextWholeMinute) {
  EXPECT_EQ(next("* * * * *", at(2026, 12, 3, 10, 15, 30)), at(2026, 12, 3, 10, 16));
  // Strictly after: a time on the minute moves to the next one.
  EXPECT_EQ(next("* * * * *", at(2026, 12, 3, 10, 16)), at(2026, 12, 3, 10, 17));
}

TEST(CronSchedule, StepsRangesAndLists) {
  EXPECT_EQ(next("*/15 * * * *", at(2026, 12, 3, 10, 16)), at(2026, 12, 3, 10, 30));
  EXPECT_EQ(next("0 9-17/4 * * *", at(2026, 12, 3, 10, 0)), at(2026, 12, 3, 13, 0));
  EXPECT_EQ(next("5,50 * * * *", at(2026, 12, 3, 10, 6)), at(2026, 12, 3, 10, 50));
  EXPECT_EQ(next("30/10 * * * *", at(2026, 12, 3, 10, 55)), at(2026, 12, 3, 11, 30));
}

TEST(CronSchedule, SixFieldsStartWithSeconds) {
  EXPECT_EQ(next("*/2 * * * * *", at(2026, 12, 3, 10, 0, 1)), at(2026, 12, 3, 10, 0, 2));
  EXPECT_EQ(next("30 0 12 * * *", at(2026, 12, 3, 12, 0, 30)), at(2026, 12, 4, 12, 0, 30));
}

TEST(CronSchedule, MonthsAndWeekdaysByNameAndSundayAsSeven) {
  // 2026-12-03 is a Thursday.
  EXPECT_EQ(next("0 0 * * mon", at(2026, 12, 3)), at(2026, 12, 7));
  EXPECT_EQ(next("0 0 * * 7", at(2026, 12, 3)), at(2026, 12, 6));
  EXPECT_EQ(next("0 0 * * 0", at(2026, 12, 3)), at(2026, 12, 6));
  EXPECT_EQ(next("0 0 1 FEB *", at(2026, 12, 3)), at(2027, 2, 1));
}

TEST(CronSchedule, BothDayFieldsMatchEither) {
  // The 15th, or any Monday: Monday the 7th comes first.
  EXPECT_EQ(next("0 0 15 * 1", at(2026, 12, 3)), at(2026, 12, 7));
  // Only the day of the month restricted: weekdays do not matter.
  EXPECT_EQ(next("0 0 15 * *", at(2026, 12, 3)), at(2026, 12, 15));
}

TEST(CronSchedule, LeapDaysAndMacros) {
  EXPECT_EQ(next("0 0 29 2 *", at(2026, 12, 3)), at(2028, 2, 29));
  EXPECT_EQ(next("@daily", at(2026, 12, 31, 23, 59)), at(2027, 1, 1));
  EXPECT_EQ(next("@hourly", at(2026, 12, 3, 10, 1)), at(2026, 12, 3, 11));
  EXPECT_EQ(next("@monthly", at(2026, 12, 3)), at(2027, 1, 1));
}

TEST(CronSchedule, ADayThatNeverComesHasNoNextRun) {
  auto schedule = CronSchedule::parse("0 0 30 2 *");
  ASSERT_TRUE(schedule);
  EXPECT_FALSE(schedule->next_after(at(2026, 12, 3)).has_value());
}

TEST(CronSchedule, MalformedSchedulesSayWhichFieldIsWrong) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "5 fields"},
      {"* * * *", "has 4"},
      {"* * * * * * *", "has 7"},
      {"60 * * * *", "minute field '60': 60 is outside 0-59"},
      {"* 24 * * *", "hour field"},
      {"* * 0 * *", "day-of-month field"},
      {"* * * 13 *", "month field"},
      {"* * * * 8", "day-of-week field"},
      {"*/0 * * * *", "step '0'"},
      {"5-1 * * * *", "runs backwards"},
      {"1,,2 * * * *", "empty list item"},
      {"x * * * *", "'x' is not a number"},
      {"* * * foo *", "'foo' is not a number"},
      {"@often", "unknown cron macro"},
      {"-1 * * * *", "is not a number"},
  };
  for (const Case& c : cases) {
    auto schedule = CronSchedule::parse(c.text);
    ASSERT_FALSE(schedule) << c.text;
    EXPECT_EQ(schedule.error().code(), ErrorCode::InvalidArgument) << c.text;
    EXPECT_NE(schedule.error().to_string().find(c.says), std::string::npos)
        << c.text << ": " << schedule.error().to_string();
  }
  EXPECT_FALSE(CronSchedule::parse(std::string(300, '*')));
}

}  // namespace
}  // namespace orivon
