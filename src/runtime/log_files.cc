#include "orivon/log_files.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <string>
#include <system_error>

#include "orivon/units.h"
#include "supervisor/log_text.h"

namespace orivon {
namespace {

namespace fs = std::filesystem;

// Rotated files looked for past <id>.log.1; LogSink keeps 3 in all, but a
// host configured to keep more leaves more.
constexpr int kMaxRotatedFiles = 99;

// One line of a log file; false for a line of another shape.
bool parse_line(std::string_view line, LogEntry& entry) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0) return false;
  std::int64_t time_ms = 0;
  const auto [end, error] = std::from_chars(line.data(), line.data() + space, time_ms);
  if (error != std::errc() || end != line.data() + space) return false;
  line.remove_prefix(space + 1);
  const std::size_t stream_end = line.find(' ');
  if (stream_end == std::string_view::npos) return false;
  const std::string_view stream = line.substr(0, stream_end);
  if (stream != "out" && stream != "err" && stream != "orivon") return false;
  entry.sequence = 0;
  entry.time_ms = time_ms;
  entry.stream = std::string(stream);
  entry.text = supervisor::sanitize_log_text(line.substr(stream_end + 1));
  return true;
}

// Keeps the newest records that pass the query within the limits.
class Collector {
 public:
  explicit Collector(const LogQuery& query) : query_(query) {}

  void add(LogEntry entry) {
    if (query_.since_ms && entry.time_ms < *query_.since_ms) return;
    bytes_ += entry.text.size();
    entries_.push_back(std::move(entry));
    if (query_.tail && entries_.size() > *query_.tail) drop_oldest();
    while (entries_.size() > kMaxLogHistoryRecords ||
           (bytes_ > kMaxLogHistoryBytes && entries_.size() > 1)) {
      drop_oldest();
      truncated_ = true;
    }
  }

  std::vector<LogEntry> take() {
    return std::vector<LogEntry>(std::make_move_iterator(entries_.begin()),
                                 std::make_move_iterator(entries_.end()));
  }
  bool truncated() const { return truncated_; }

 private:
  void drop_oldest() {
    bytes_ -= entries_.front().text.size();
    entries_.pop_front();
  }

  const LogQuery& query_;
  std::deque<LogEntry> entries_;
  std::size_t bytes_ = 0;
  bool truncated_ = false;
};

Result<void> read_file(const fs::path& path, Collector& collector, std::optional<LogEntry>& last) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || status.type() == fs::file_type::not_found) return {};  // rotated away meanwhile
  if (status.type() != fs::file_type::regular) {
    return Error(ErrorCode::Unavailable, "'" + path.string() + "' is not a regular file");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    if (errno == ENOENT) return {};
    return Error(ErrorCode::Unavailable,
                 "cannot read '" + path.string() + "': " + std::strerror(errno));
  }
  std::string line;
  LogEntry entry;
  while (std::getline(file, line)) {
    if (!parse_line(line, entry)) continue;
    last = entry;
    collector.add(std::move(entry));
  }
  if (file.bad()) {
    return Error(ErrorCode::Unavailable, "cannot read '" + path.string() + "'");
  }
  return {};
}

fs::path log_file(const fs::path& state_dir, const ModuleId& id) {
  return state_dir / "logs" / (id.str() + ".log");
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Reads exactly `width` digits at text[at].
bool digits(std::string_view text, std::size_t at, std::size_t width, int& value) {
  if (text.size() < at + width) return false;
  value = 0;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

Result<std::int64_t> parse_rfc3339(std::string_view text) {
  const Error bad(ErrorCode::InvalidArgument,
                  "'" + std::string(text) +
                      "' is neither a duration (10m, 1h30m) nor an RFC 3339 time "
                      "(2026-12-03T10:20:00Z, 2026-12-03T12:20:00+02:00)");
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
      text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
      !digits(text, 17, 2, second)) {
    return bad;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && is_leap(year) ? 1 : 0) || hour > 23 ||
      minute > 59 || second > 60) {
    return bad;
  }
  std::size_t at = 19;
  std::int64_t millis = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    const std::size_t first = at;
    std::int64_t scale = 100;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      millis += (text[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == first) return bad;
  }
  std::int64_t offset_minutes = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int offset_hours = 0, offset_mins = 0;
    if (!digits(text, at + 1, 2, offset_hours) || text.size() < at + 6 || text[at + 3] != ':' ||
        !digits(text, at + 4, 2, offset_mins) || offset_hours > 23 || offset_mins > 59) {
      return bad;
    }
    offset_minutes = (offset_hours * 60 + offset_mins) * (text[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return bad;  // RFC 3339 requires the offset
  }
  if (at != text.size()) return bad;
  const std::int64_t seconds = days_from_civil(year, static_cast<unsigned>(month),
                                               static_cast<unsigned>(day)) *
                                   86'400 +
                               hour * 3'600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace

Result<LogHistory> read_log_files(const fs::path& state_dir, const ModuleId& id,
                                  const LogQuery& query) {
  const fs::path base = log_file(state_dir, id);
  // Oldest first: the highest rotated number that exists, down to the file
  // being written.
  std::vector<fs::path> files;
  for (int n = 1; n <= kMaxRotatedFiles; ++n) {
    fs::path rotated = base;
    rotated += "." + std::to_string(n);
    std::error_code ec;
    if (!fs::exists(rotated, ec)) break;
    files.push_back(std::move(rotated));
  }
  std::reverse(files.begin(), files.end());
  files.push_back(base);

  Collector collector(query);
  LogHistory history;
  for (const auto& file : files) {
    if (auto read = read_file(file, collector, history.last); !read) return read.error();
  }
  history.entries = collector.take();
  history.truncated = collector.truncated();
  return history;
}

Result<std::vector<ModuleId>> logged_modules(const fs::path& state_dir) {
  std::vector<ModuleId> ids;
  std::error_code ec;
  fs::directory_iterator it(state_dir / "logs", ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Error(ErrorCode::Unavailable,
                 "cannot list '" + (state_dir / "logs").string() + "': " + ec.message());
  }
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    if (path.extension() != ".log") continue;
    if (auto id = ModuleId::parse(path.stem().string())) ids.push_back(std::move(*id));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<InterleavedLogHistory> read_all_log_files(const fs::path& state_dir,
                                                 const LogQuery& query) {
  ORIVON_TRY(auto ids, logged_modules(state_dir));
  InterleavedLogHistory all;
  for (const auto& id : ids) {
    auto history = read_log_files(state_dir, id, query);
    if (!history) return history.error();
    all.truncated = all.truncated || history->truncated;
    if (history->last) all.last.push_back(ModuleLogEntry{id, *history->last});
    for (auto& entry : history->entries) {
      all.entries.push_back(ModuleLogEntry{id, std::move(entry)});
    }
  }
  std::stable_sort(all.entries.begin(), all.entries.end(),
                   [](const ModuleLogEntry& a, const ModuleLogEntry& b) {
                     return a.entry.time_ms < b.entry.time_ms;
                   });
  // The same limits over all of them: the newest are kept.
  std::size_t keep = 0;
  std::size_t bytes = 0;
  for (auto entry = all.entries.rbegin(); entry != all.entries.rend(); ++entry) {
    if (keep == kMaxLogHistoryRecords ||
        (keep > 0 && bytes + entry->entry.text.size() > kMaxLogHistoryBytes)) {
      break;
    }
    bytes += entry->entry.text.size();
    ++keep;
  }
  if (keep < all.entries.size()) {
    all.entries.erase(all.entries.begin(),
                      all.entries.begin() + static_cast<std::ptrdiff_t>(all.entries.size() - keep));
    all.truncated = true;
  }
  return all;
}

Result<std::int64_t> parse_log_since(std::string_view text, std::int64_t now_ms) {
  if (text.empty()) return Error(ErrorCode::InvalidArgument, "the time is empty");
  // A time starts with its 4-digit year; a duration has its unit within the
  // first few characters.
  if (text.size() >= 5 && text[4] == '-') return parse_rfc3339(text);
  auto duration = parse_duration(text);
  if (!duration) return parse_rfc3339(text);
  const auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(*duration).count();
  return ago >= now_ms ? 0 : now_ms - ago;
}

std::string format_log_time(std::int64_t time_ms) {
  // H. Hinnant's civil_from_days.
  std::int64_t days = time_ms >= 0 ? time_ms / 86'400'000 : (time_ms - 86'399'999) / 86'400'000;
  const std::int64_t in_day = time_ms - days * 86'400'000;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(year), month, day,
                static_cast<long long>(in_day / 3'600'000),
                static_cast<long long>(in_day / 60'000 % 60),
                static_cast<long long>(in_day / 1000 % 60), static_cast<long long>(in_day % 1000));
  return buffer;
}

}  // namespace orivon
