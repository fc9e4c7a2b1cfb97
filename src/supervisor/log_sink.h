#pragma once

// Captures one module's output: what it writes to stdout and stderr, and
// log records the runtime adds (state changes, traps). Bounded in memory (a
// ring of the most recent records) and persisted to a file with rotation.
//
// Thread-safe: writers (the module's WASI streams, on worker threads) and
// readers (`orivon logs`, on the host's control thread) may call at once.
//
// The file holds one line per record: `<time_ms> <stream> <text>\n`, stream
// being `out`, `err` or `orivon`. The text is sanitized once, for the file
// and the ring alike, without changing its length: control characters (C0,
// DEL and C1) other than tab become '?', and so does every byte that is not
// part of a valid UTF-8 sequence, so the text is always valid UTF-8 and can
// neither move a terminal's cursor nor fake a record. A "\r\n" line ending
// counts as "\n". Writes reach the file as they arrive, unbuffered and not
// fsynced (best effort). The sink does not hold its file open: it takes the
// descriptor from a LogFileCache shared with other sinks for each write and
// gives it back, and opens the file again (appending, its size read anew)
// when the cache closed it to make room. Before a write would take the file past
// `file_bytes`, it rotates: <file>.(n-1) -> <file>.n, ..., <file> -> <file>.1,
// keeping `kept_files` files in all; a single record longer than `file_bytes`
// still goes whole into a fresh file. If the file cannot be opened or written,
// one Runtime record "log file unavailable: <reason>" says so and the sink goes
// on in memory only, for the rest of its life.
//
// `read_after` serves the ring only: `orivon logs` shows the recent window,
// older records are only in the files.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/thread_annotations.h"
#include "supervisor/log_file_cache.h"

namespace orivon::supervisor {

enum class LogStream { Stdout, Stderr, Runtime };

struct LogRecord {
  std::uint64_t sequence = 0;  // 1, 2, 3, ... per sink, never reused
  std::int64_t time_ms = 0;    // Unix time in milliseconds
  LogStream stream = LogStream::Stdout;
  std::string text;            // one line, without its newline
};

struct LogLimits {
  // Ring size (sum of text sizes); the newest record is always kept. So that
  // a flood of empty lines cannot grow it without bound, the ring also holds
  // at most max(memory_bytes / 32, 256) records.
  std::size_t memory_bytes = 256 * 1024;
  std::uint64_t file_bytes = 1024 * 1024;   // rotate the file past this
  int kept_files = 3;                        // <name>.log, <name>.log.1, ... .2
  std::size_t max_line_bytes = 16 * 1024;   // longer lines are split
};

class LogSink {
 public:
  // `file` may be empty: memory only. The directory must exist. An existing
  // file (a restarted host) is appended to, its size counting towards
  // `file_bytes`. `files` keeps the descriptor between writes (by default
  // the process's cache, LogFileCache::shared()).
  LogSink(std::filesystem::path file, LogLimits limits,
          std::shared_ptr<LogFileCache> files = LogFileCache::shared());
  ~LogSink();  // closes the file if its descriptor is still cached
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  // Appends bytes as the module wrote them: splits into lines; a partial last
  // line is held until its newline arrives (or flush()). Never fails: a file
  // that cannot be written is reported once as a Runtime record and skipped.
  // Lines longer than `max_line_bytes` become several records (cut between
  // UTF-8 characters where possible); a held partial line is emitted in
  // pieces of `max_line_bytes` as soon as it grows past that.
  void write(LogStream stream, std::string_view bytes);
  // Adds one runtime record (e.g. "crashed: wasm trap: unreachable"); text
  // with newlines becomes one record per line.
  void note(std::string_view text);
  // Emits held partial lines. Call it before destroying the sink: a line
  // still held then is lost.
  void flush();

  // Records with sequence > `after`, oldest first, at most `max` of them.
  // Only what is still in the ring: older records are not returned.
  std::vector<LogRecord> read_after(std::uint64_t after, std::size_t max) const;
  std::uint64_t last_sequence() const;

 private:
  // All *_locked members run with `mutex_` held.
  // Commits the lines of `held` + `bytes`; keeps an unfinished last line in
  // `held` if `hold_tail`, else commits it too.
  void split_locked(LogStream stream, std::string& held, std::string_view bytes, bool hold_tail)
      ORIVON_REQUIRES(mutex_);
  // Commits `line` (no newline in it) as records of at most max_line_bytes_.
  // With `keep_tail`, returns the last piece (at most max_line_bytes_ long)
  // instead of committing it.
  std::string_view commit_pieces_locked(LogStream stream, std::string_view line, bool keep_tail)
      ORIVON_REQUIRES(mutex_);
  void commit_locked(LogStream stream, std::string_view raw_text) ORIVON_REQUIRES(mutex_);
  // Whether records still go to the file (a path was given and it has not
  // failed).
  bool has_file_locked() const ORIVON_REQUIRES(mutex_) { return !path_.empty() && !file_failed_; }
  void append_to_file_locked(const std::string& line) ORIVON_REQUIRES(mutex_);
  // Rotates the files and opens a fresh one: its descriptor, or -1 after
  // file_failed_locked().
  int rotate_locked() ORIVON_REQUIRES(mutex_);
  // Opens the file for appending and reads its size into file_bytes_: the
  // descriptor (owned by the caller), or -1 after file_failed_locked().
  int open_file_locked() ORIVON_REQUIRES(mutex_);
  void file_failed_locked(const std::string& reason) ORIVON_REQUIRES(mutex_);

  const std::filesystem::path path_;
  const LogLimits limits_;
  const std::size_t max_line_bytes_;  // limits_.max_line_bytes, at least 1
  const std::size_t max_records_;

  mutable Mutex mutex_;
  std::deque<LogRecord> ring_ ORIVON_GUARDED_BY(mutex_);
  std::size_t ring_bytes_ ORIVON_GUARDED_BY(mutex_) = 0;  // sum of ring_[i].text.size()
  std::uint64_t last_sequence_ ORIVON_GUARDED_BY(mutex_) = 0;
  std::string held_[3] ORIVON_GUARDED_BY(mutex_);  // partial line per LogStream
  const std::shared_ptr<LogFileCache> files_;  // shared with other sinks
  const LogFileCache::Key file_key_;
  // The size of the file, as last opened and written.
  std::uint64_t file_bytes_ ORIVON_GUARDED_BY(mutex_) = 0;
  bool file_failed_ ORIVON_GUARDED_BY(mutex_) = false;  // reported; memory only from now on
};

}  // namespace orivon::supervisor
