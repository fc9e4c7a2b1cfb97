#include "supervisor/log_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "supervisor/log_text.h"

namespace orivon::supervisor {
namespace {

constexpr std::size_t kMinRingRecords = 256;
constexpr std::size_t kBytesPerRingRecord = 32;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const char* stream_name(LogStream stream) {
  switch (stream) {
    case LogStream::Stdout:
      return "out";
    case LogStream::Stderr:
      return "err";
    case LogStream::Runtime:
      break;
  }
  return "orivon";
}

// Where to cut `line` (longer than `max`) for its first record: after `max`
// bytes, moved back to the start of a UTF-8 character that the cut would
// split. Always at least 1, so splitting makes progress.
std::size_t cut_length(std::string_view line, std::size_t max) {
  std::size_t start = max;
  while (start > 0 && max - start < 3 && is_utf8_continuation(static_cast<unsigned char>(line[start]))) {
    --start;
  }
  if (start == 0 || start == max) return max;
  const std::size_t length = utf8_sequence_length(static_cast<unsigned char>(line[start]));
  return length > 0 && start + length > max ? start : max;
}

std::string format_line(const LogRecord& record) {
  std::string line = std::to_string(record.time_ms);
  line.reserve(line.size() + record.text.size() + 10);
  line += ' ';
  line += stream_name(record.stream);
  line += ' ';
  line += record.text;
  line += '\n';
  return line;
}

std::string quote(const std::string& path) { return "'" + path + "'"; }

// Writes all of `data`; 0 on success, else the errno.
int write_all(int fd, const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;  // should not happen on a regular file
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace

LogSink::LogSink(std::filesystem::path file, LogLimits limits,
                 std::shared_ptr<LogFileCache> files)
    : path_(std::move(file)),
      limits_(limits),
      max_line_bytes_(std::max<std::size_t>(limits.max_line_bytes, 1)),
      max_records_(std::max(limits.memory_bytes / kBytesPerRingRecord, kMinRingRecords)),
      files_(files ? std::move(files) : LogFileCache::shared()),
      file_key_(files_->new_key()) {
  if (path_.empty()) return;
  try {
    MutexLock lock(mutex_);
    // Opened now so that a file that cannot be written is reported at once.
    const int fd = open_file_locked();
    if (fd >= 0) files_->put(file_key_, fd);
  } catch (...) {
    // Memory only.
  }
}

LogSink::~LogSink() { files_->forget(file_key_); }

void LogSink::write(LogStream stream, std::string_view bytes) {
  try {
    MutexLock lock(mutex_);
    split_locked(stream, held_[static_cast<int>(stream)], bytes, /*hold_tail=*/true);
  } catch (...) {
    // Out of memory: what was not committed yet is dropped.
  }
}

void LogSink::note(std::string_view text) {
  try {
    MutexLock lock(mutex_);
    std::string none;
    split_locked(LogStream::Runtime, none, text, /*hold_tail=*/false);
  } catch (...) {
  }
}

void LogSink::flush() {
  try {
    MutexLock lock(mutex_);
    for (int i = 0; i < 3; ++i) {
      if (held_[i].empty()) continue;
      commit_pieces_locked(static_cast<LogStream>(i), held_[i], /*keep_tail=*/false);
      held_[i].clear();
    }
  } catch (...) {
  }
}

std::vector<LogRecord> LogSink::read_after(std::uint64_t after, std::size_t max) const {
  try {
    MutexLock lock(mutex_);
    auto first = std::upper_bound(
        ring_.begin(), ring_.end(), after,
        [](std::uint64_t value, const LogRecord& record) { return value < record.sequence; });
    const auto available = static_cast<std::size_t>(ring_.end() - first);
    const std::size_t count = std::min(available, max);
    std::vector<LogRecord> records;
    records.reserve(count);
    records.insert(records.end(), first, first + static_cast<std::ptrdiff_t>(count));
    return records;
  } catch (...) {
    return {};
  }
}

std::uint64_t LogSink::last_sequence() const {
  try {
    MutexLock lock(mutex_);
    return last_sequence_;
  } catch (...) {
    return 0;
  }
}

void LogSink::split_locked(LogStream stream, std::string& held, std::string_view bytes,
                           bool hold_tail) {
  bool committed = false;
  for (std::size_t newline = bytes.find('\n'); newline != std::string_view::npos;
       newline = bytes.find('\n')) {
    std::string_view line = bytes.substr(0, newline);
    bytes.remove_prefix(newline + 1);
    if (!held.empty()) {
      held.append(line);
      line = held;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    commit_pieces_locked(stream, line, /*keep_tail=*/false);
    held.clear();
    committed = true;
  }
  if (hold_tail) {
    if (bytes.empty()) return;
    held.append(bytes);
    const std::string_view rest = commit_pieces_locked(stream, held, /*keep_tail=*/true);
    held.erase(0, held.size() - rest.size());
  } else if (!bytes.empty() || !committed) {
    std::string_view line = bytes;
    if (!held.empty()) {
      held.append(bytes);
      line = held;
    }
    commit_pieces_locked(stream, line, /*keep_tail=*/false);
    held.clear();
  }
}

std::string_view LogSink::commit_pieces_locked(LogStream stream, std::string_view line,
                                               bool keep_tail) {
  while (line.size() > max_line_bytes_) {
    const std::size_t length = cut_length(line, max_line_bytes_);
    commit_locked(stream, line.substr(0, length));
    line.remove_prefix(length);
  }
  if (keep_tail) return line;
  commit_locked(stream, line);
  return {};
}

void LogSink::commit_locked(LogStream stream, std::string_view raw_text) {
  try {
    LogRecord record;
    record.sequence = last_sequence_ + 1;
    record.time_ms = now_ms();
    record.stream = stream;
    record.text = sanitize_log_text(raw_text);
    std::string line;
    if (has_file_locked()) line = format_line(record);

    ring_.push_back(std::move(record));
    last_sequence_ = ring_.back().sequence;
    ring_bytes_ += ring_.back().text.size();
    while (ring_.size() > 1 &&
           (ring_bytes_ > limits_.memory_bytes || ring_.size() > max_records_)) {
      ring_bytes_ -= ring_.front().text.size();
      ring_.pop_front();
    }

    if (!line.empty()) append_to_file_locked(line);
  } catch (...) {
    // Out of memory: this record is dropped (its sequence number is not used
    // unless it reached the ring).
  }
}

void LogSink::append_to_file_locked(const std::string& line) {
  if (!has_file_locked()) return;
  // The descriptor is ours until it goes back to the cache below.
  int fd = files_->take(file_key_);
  if (fd < 0) fd = open_file_locked();
  if (fd < 0) return;
  if (file_bytes_ > 0 && file_bytes_ + line.size() > limits_.file_bytes) {
    ::close(fd);
    fd = rotate_locked();
    if (fd < 0) return;
  }
  const int error = write_all(fd, line.data(), line.size());
  if (error != 0) {
    ::close(fd);
    file_failed_locked("cannot write " + quote(path_.string()) + ": " + std::strerror(error));
    return;
  }
  file_bytes_ += line.size();
  files_->put(file_key_, fd);
}

int LogSink::rotate_locked() {
  const std::string base = path_.string();
  const int kept = std::max(limits_.kept_files, 1);
  // Older files shift up; a failure here (a missing file is the usual case)
  // costs at most one old file, and the rename below replaces <file>.1.
  for (int n = kept - 1; n >= 2; --n) {
    const std::string from = base + "." + std::to_string(n - 1);
    const std::string to = base + "." + std::to_string(n);
    ::rename(from.c_str(), to.c_str());
  }
  if (kept >= 2) {
    const std::string first = base + ".1";
    if (::rename(base.c_str(), first.c_str()) != 0 && errno != ENOENT) {
      file_failed_locked("cannot rename " + quote(base) + ": " + std::strerror(errno));
      return -1;
    }
  } else if (::unlink(base.c_str()) != 0 && errno != ENOENT) {
    file_failed_locked("cannot remove " + quote(base) + ": " + std::strerror(errno));
    return -1;
  }
  return open_file_locked();
}

int LogSink::open_file_locked() {
  const std::string name = path_.string();
  // Read access too: to check the last byte of a file we append to.
  const int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    file_failed_locked("cannot open " + quote(name) + ": " + std::strerror(errno));
    return -1;
  }
  const auto fail = [&](const std::string& reason) ORIVON_REQUIRES(mutex_) {
    ::close(fd);
    file_failed_locked(reason);
    return -1;
  };
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return fail("cannot stat " + quote(name) + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) return fail(quote(name) + " is not a regular file");
  // Read anew at every open: the file may have been rotated or truncated by
  // someone else while it was closed.
  file_bytes_ = static_cast<std::uint64_t>(info.st_size);
  // A host that died in the middle of a line left it unfinished: end it, so
  // that the next record starts on a line of its own.
  char last = '\n';
  if (file_bytes_ > 0 && ::pread(fd, &last, 1, info.st_size - 1) == 1 && last != '\n') {
    const int error = write_all(fd, "\n", 1);
    if (error != 0) return fail("cannot write " + quote(name) + ": " + std::strerror(error));
    ++file_bytes_;
  }
  return fd;
}

void LogSink::file_failed_locked(const std::string& reason) {
  if (file_failed_) return;
  file_failed_ = true;
  commit_locked(LogStream::Runtime, "log file unavailable: " + reason);
}

}  // namespace orivon::supervisor
