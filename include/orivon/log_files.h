#pragma once

/// \file
/// Reading back the log files a host writes for each service: every line a
/// service wrote to stdout or stderr and every runtime note about it
/// (state changes, crashes, restarts), in `<state>/logs/<id>.log` and the
/// files rotated out of it (`<id>.log.1`, `<id>.log.2`, older first). The host
/// writes each record as it arrives, so the files can be read with or without
/// a running host, by any process that may read the state directory: what
/// `orivon logs` shows.
///
/// Each line of a file is `<time_ms> <stream> <text>`. Lines of another shape
/// (a file edited by hand, a line cut short when a host died) are skipped;
/// the text is sanitized again as it is read (control characters and bytes
/// that are not UTF-8 become '?'), so a file cannot move a terminal's cursor.
/// What one call returns is bounded (kMaxLogHistoryRecords records,
/// kMaxLogHistoryBytes of text): past that the oldest records are left out
/// and `truncated` says so.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orivon/export.h"
#include "orivon/ids.h"
#include "orivon/result.h"
#include "orivon/service.h"

namespace orivon {

/// At most this many records per call...
inline constexpr std::size_t kMaxLogHistoryRecords = 200'000;
/// ...and at most this much text (the sum of the records' text sizes).
inline constexpr std::size_t kMaxLogHistoryBytes = 32u << 20;

/// Which records to read back.
struct LogQuery {
  /// Only records at or after this Unix time, in milliseconds.
  std::optional<std::int64_t> since_ms;
  /// Only the newest `tail` records (of each module) that pass `since_ms`.
  std::optional<std::uint64_t> tail;
};

/// A service's records read from its files, oldest first. Their `sequence`
/// is 0: the files keep no sequence numbers.
struct LogHistory {
  std::vector<LogEntry> entries;
  /// The newest record in the files whether or not the query kept it, so a
  /// follower knows where the files end.
  std::optional<LogEntry> last;
  /// The limits left out older records that matched.
  bool truncated = false;
};

/// One record of an interleaved history of every module (read_all_log_files).
struct ModuleLogEntry {
  ModuleId module;
  LogEntry entry;
};

struct InterleavedLogHistory {
  std::vector<ModuleLogEntry> entries;  ///< by time, oldest first
  /// Each module's newest record in its files, whether or not the query
  /// kept it (LogHistory::last), by id; a module with empty files has none.
  std::vector<ModuleLogEntry> last;
  bool truncated = false;
};

/// The records of `id` in the log files under `state_dir`; none (not an
/// error) when it has no files. Unavailable when a file exists but cannot
/// be read.
[[nodiscard]] ORIVON_API Result<LogHistory> read_log_files(const std::filesystem::path& state_dir,
                                                           const ModuleId& id,
                                                           const LogQuery& query);

/// The records of every module that has a log file under `state_dir`
/// (including modules removed since: their files stay), interleaved by time
/// (stable: one module's records keep their order). `query.tail` applies to
/// each module, as `docker compose logs --tail` does. Files whose names are
/// not `<valid id>.log` are ignored.
[[nodiscard]] ORIVON_API Result<InterleavedLogHistory> read_all_log_files(
    const std::filesystem::path& state_dir, const LogQuery& query);

/// The modules that have a log file under `state_dir` (`<valid id>.log`), by
/// id; none when there is no logs directory.
[[nodiscard]] ORIVON_API Result<std::vector<ModuleId>> logged_modules(
    const std::filesystem::path& state_dir);

/// Parses a --since value into a Unix time in milliseconds: a duration
/// before `now_ms` in parse_duration's syntax ("10m", "1h30m"), or an RFC 3339
/// time ("2026-12-03T10:20:00Z", "2026-12-03T12:20:00.5+02:00"; a space may
/// stand for the T). InvalidArgument for anything else. A duration longer
/// than the time since 1970 gives 0.
[[nodiscard]] ORIVON_API Result<std::int64_t> parse_log_since(std::string_view text,
                                                              std::int64_t now_ms);

/// `time_ms` as an RFC 3339 UTC time with milliseconds:
/// "2026-12-03T10:20:14.123Z".
ORIVON_API std::string format_log_time(std::int64_t time_ms);

}  // namespace orivon
