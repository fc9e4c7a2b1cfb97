#pragma once

// A cron schedule, read as UTC: five fields (minute hour day-of-month month
// day-of-week) or six with a seconds field first, as in Vixie cron and the
// cron crates Spin's cron trigger uses. Each field takes `*`, numbers, ranges
// `a-b`, lists `a,b` and steps `*/n`, `a-b/n`, `a/n`; months and weekdays
// also take their English three-letter names (`jan`, `mon`), and weekday 7
// is Sunday like 0. When both day fields are restricted, a day matching
// either one matches (Vixie cron's rule). `@yearly`, `@monthly`, `@weekly`,
// `@daily` and `@hourly` stand for their usual five fields.

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "orivon/result.h"

namespace orivon {

class CronSchedule {
 public:
  // InvalidArgument naming the field at fault for anything else.
  static Result<CronSchedule> parse(std::string_view text);

  // The first matching instant strictly after `after_ms` (Unix time in
  // milliseconds), on a whole second; nothing if none comes within about five
  // years (a day that never exists, like "0 0 30 2 *").
  std::optional<std::int64_t> next_after(std::int64_t after_ms) const;

 private:
  bool day_matches(int day_of_month, int weekday) const;

  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1..31
  std::bitset<13> months_;    // 1..12
  std::bitset<7> weekdays_;   // 0 (Sunday)..6
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace orivon
