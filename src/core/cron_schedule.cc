#include "core/cron_schedule.h"

#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <vector>

namespace orivon {
namespace {

struct FieldSpec {
  std::string_view name;
  int low;
  int high;
  // Names for the values from `low` on (months, weekdays), lower case.
  const std::array<std::string_view, 12>* names = nullptr;
};

constexpr std::array<std::string_view, 12> kMonthNames = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kWeekdayNames = {"sun", "mon", "tue", "wed",
                                                            "thu", "fri", "sat"};

Error field_error(const FieldSpec& spec, std::string_view text, std::string_view problem) {
  return Error(ErrorCode::InvalidArgument, "cron " + std::string(spec.name) + " field '" +
                                               std::string(text) + "': " + std::string(problem));
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

Result<int> read_value(const FieldSpec& spec, std::string_view field, std::string_view text) {
  if (spec.names != nullptr && text.size() == 3) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (std::size_t i = 0; i < spec.names->size(); ++i) {
      if ((*spec.names)[i] == lower) return spec.low + static_cast<int>(i);
    }
  }
  int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return field_error(spec, field, "'" + std::string(text) + "' is not a number");
  }
  if (value < spec.low || value > spec.high) {
    return field_error(spec, field,
                       std::to_string(value) + " is outside " + std::to_string(spec.low) + "-" +
                           std::to_string(spec.high));
  }
  return value;
}

// The values one field selects, as bits from 0; `restricted` is false for a
// bare `*` (or `*/1`), which matters for the two day fields.
template <std::size_t N>
Result<void> read_field(const FieldSpec& spec, std::string_view field, std::bitset<N>& bits,
                        bool& restricted) {
  if (field.empty()) return field_error(spec, field, "is empty");
  restricted = field != "*" && field != "*/1";
  for (std::string_view part : split(field, ',')) {
    if (part.empty()) return field_error(spec, field, "has an empty list item");
    int step = 1;
    if (const auto slash = part.find('/'); slash != std::string_view::npos) {
      const std::string_view step_text = part.substr(slash + 1);
      const char* end = step_text.data() + step_text.size();
      auto [ptr, ec] = std::from_chars(step_text.data(), end, step);
      if (step_text.empty() || ec != std::errc() || ptr != end || step < 1 ||
          step > spec.high) {
        return field_error(spec, field, "the step '" + std::string(step_text) +
                                            "' is not a number from 1 to " +
                                            std::to_string(spec.high));
      }
      part = part.substr(0, slash);
    }
    int first = spec.low;
    int last = spec.high;
    if (part != "*") {
      const auto dash = part.find('-');
      ORIVON_TRY(first, read_value(spec, field, part.substr(0, dash)));
      if (dash != std::string_view::npos) {
        ORIVON_TRY(last, read_value(spec, field, part.substr(dash + 1)));
        if (last < first) {
          return field_error(spec, field, "the range '" + std::string(part) + "' runs backwards");
        }
      } else if (step == 1) {
        last = first;  // a single value; "a/n" runs from a to the end
      }
    }
    for (int value = first; value <= last; value += step) {
      bits.set(static_cast<std::size_t>(value));
    }
  }
  return ok();
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::string_view expand_macro(std::string_view text) {
  if (text == "@yearly" || text == "@annually") return "0 0 1 1 *";
  if (text == "@monthly") return "0 0 1 * *";
  if (text == "@weekly") return "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") return "0 0 * * *";
  if (text == "@hourly") return "0 * * * *";
  return text;
}

}  // namespace

Result<CronSchedule> CronSchedule::parse(std::string_view text) {
  constexpr std::size_t kMaxChars = 256;
  if (text.size() > kMaxChars) {
    return Error(ErrorCode::InvalidArgument, "a cron schedule has at most 256 characters");
  }
  text = expand_macro(trim(text));
  if (!text.empty() && text.front() == '@') {
    return Error(ErrorCode::InvalidArgument,
                 "unknown cron macro '" + std::string(text) +
                     "'; expected @yearly, @monthly, @weekly, @daily or @hourly");
  }
  std::vector<std::string_view> fields;
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  if (fields.size() != 5 && fields.size() != 6) {
    return Error(ErrorCode::InvalidArgument,
                 "a cron schedule has 5 fields (minute hour day-of-month month day-of-week) or 6 "
                 "(seconds first); '" +
                     std::string(text) + "' has " + std::to_string(fields.size()));
  }
  CronSchedule schedule;
  std::size_t next = 0;
  bool unused = false;
  if (fields.size() == 6) {
    ORIVON_RETURN_IF_ERROR(
        read_field(FieldSpec{"seconds", 0, 59}, fields[next++], schedule.seconds_, unused));
  } else {
    schedule.seconds_.set(0);
  }
  ORIVON_RETURN_IF_ERROR(
      read_field(FieldSpec{"minute", 0, 59}, fields[next++], schedule.minutes_, unused));
  ORIVON_RETURN_IF_ERROR(read_field(FieldSpec{"hour", 0, 23}, fields[next++], schedule.hours_, unused));
  ORIVON_RETURN_IF_ERROR(read_field(FieldSpec{"day-of-month", 1, 31}, fields[next++],
                                    schedule.days_, schedule.days_restricted_));
  ORIVON_RETURN_IF_ERROR(read_field(FieldSpec{"month", 1, 12, &kMonthNames}, fields[next++],
                                    schedule.months_, unused));
  std::bitset<8> weekdays;  // 7 is Sunday too
  ORIVON_RETURN_IF_ERROR(read_field(FieldSpec{"day-of-week", 0, 7, &kWeekdayNames}, fields[next++],
                                    weekdays, schedule.weekdays_restricted_));
  for (std::size_t day = 0; day < 7; ++day) schedule.weekdays_[day] = weekdays[day];
  if (weekdays[7]) schedule.weekdays_.set(0);
  return schedule;
}

bool CronSchedule::day_matches(int day_of_month, int weekday) const {
  const bool by_day = days_[static_cast<std::size_t>(day_of_month)];
  const bool by_weekday = weekdays_[static_cast<std::size_t>(weekday)];
  if (days_restricted_ && weekdays_restricted_) return by_day || by_weekday;
  return by_day && by_weekday;
}

std::optional<std::int64_t> CronSchedule::next_after(std::int64_t after_ms) const {
  using namespace std::chrono;
  // Whole seconds, from the one after `after_ms`.
  sys_seconds t{seconds{after_ms >= 0 ? after_ms / 1000 : (after_ms - 999) / 1000} + seconds{1}};
  const auto give_up = t + days{5 * 366};
  while (t < give_up) {
    const sys_days day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss time{t - day};
    const auto month = static_cast<unsigned>(date.month());
    if (!months_[month]) {
      const year_month_day first = date.year() / date.month() / 1;
      t = sys_days{first + months{1}};
      continue;
    }
    const int day_of_week = static_cast<int>(weekday{day}.c_encoding());
    if (!day_matches(static_cast<int>(static_cast<unsigned>(date.day())), day_of_week)) {
      t = day + days{1};
      continue;
    }
    const auto hour = time.hours().count();
    if (!hours_[static_cast<std::size_t>(hour)]) {
      t = day + hours{hour + 1};
      continue;
    }
    const auto minute = time.minutes().count();
    if (!minutes_[static_cast<std::size_t>(minute)]) {
      t = day + hours{hour} + minutes{minute + 1};
      continue;
    }
    if (!seconds_[static_cast<std::size_t>(time.seconds().count())]) {
      t += seconds{1};
      continue;
    }
    return duration_cast<milliseconds>(t.time_since_epoch()).count();
  }
  return std::nullopt;
}

}  // namespace orivon
