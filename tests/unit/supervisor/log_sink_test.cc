#include "supervisor/log_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace orivon::supervisor {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string name = (fs::temp_directory_path() / "log_sink_test.XXXXXX").string();
    if (::mkdtemp(name.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The file's lines, without their newlines. The file must end with one.
std::vector<std::string> read_lines(const fs::path& path) {
  const std::string text = read_text(path);
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  EXPECT_EQ(start, text.size()) << "unterminated last line in " << path;
  return lines;
}

struct FileRecord {
  std::int64_t time_ms = 0;
  std::string stream;
  std::string text;
};

// Parses `<time_ms> <stream> <text>`.
FileRecord parse(const std::string& line) {
  FileRecord record;
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string::npos ? first : line.find(' ', first + 1);
  if (second == std::string::npos) {
    ADD_FAILURE() << "malformed line: " << line;
    return record;
  }
  record.time_ms = std::stoll(line.substr(0, first));
  record.stream = line.substr(first + 1, second - first - 1);
  record.text = line.substr(second + 1);
  return record;
}

std::vector<FileRecord> read_records(const fs::path& path) {
  std::vector<FileRecord> records;
  for (const std::string& line : read_lines(path)) records.push_back(parse(line));
  return records;
}

std::vector<std::string> texts(const std::vector<LogRecord>& records) {
  std::vector<std::string> result;
  for (const LogRecord& record : records) result.push_back(record.text);
  return result;
}

std::vector<std::string> texts(const std::vector<FileRecord>& records) {
  std::vector<std::string> result;
  for (const FileRecord& record : records) result.push_back(record.text);
  return result;
}

std::vector<LogRecord> all(const LogSink& sink) { return sink.read_after(0, SIZE_MAX); }

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// An independent check that `text` is valid UTF-8 with no control
// characters but tab.
bool is_clean_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if ((byte < 0x20 && byte != '\t') || byte == 0x7F) return false;
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code = byte & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10FFFF) return false;
    if (code >= 0xD800 && code <= 0xDFFF) return false;
    if (code >= 0x80 && code <= 0x9F) return false;
    i += length;
  }
  return true;
}

LogLimits limits_with(std::size_t memory_bytes, std::uint64_t file_bytes, int kept_files,
                      std::size_t max_line_bytes) {
  LogLimits limits;
  limits.memory_bytes = memory_bytes;
  limits.file_bytes = file_bytes;
  limits.kept_files = kept_files;
  limits.max_line_bytes = max_line_bytes;
  return limits;
}

using Texts = std::vector<std::string>;

TEST(LogSink, StartsEmpty) {
  LogSink sink({}, LogLimits{});
  EXPECT_EQ(sink.last_sequence(), 0u);
  EXPECT_TRUE(all(sink).empty());
  sink.flush();
  EXPECT_EQ(sink.last_sequence(), 0u);
}

TEST(LogSink, SplitsLinesAcrossWrites) {
  ScratchDir dir;
  LogSink sink(dir.path() / "m.log", LogLimits{});
  sink.write(LogStream::Stdout, "hel");
  sink.write(LogStream::Stdout, "lo\nwor");
  sink.write(LogStream::Stdout, "ld\n\nlast\n");
  EXPECT_EQ(texts(all(sink)), (Texts{"hello", "world", "", "last"}));
  EXPECT_EQ(texts(read_records(dir.path() / "m.log")), (Texts{"hello", "world", "", "last"}));
  EXPECT_EQ(sink.last_sequence(), 4u);
}

TEST(LogSink, HoldsPartialLineUntilFlush) {
  ScratchDir dir;
  LogSink sink(dir.path() / "m.log", LogLimits{});
  sink.write(LogStream::Stderr, "no newline yet");
  EXPECT_EQ(sink.last_sequence(), 0u);
  EXPECT_TRUE(all(sink).empty());
  EXPECT_EQ(read_text(dir.path() / "m.log"), "");

  sink.flush();
  auto records = all(sink);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].text, "no newline yet");
  EXPECT_EQ(records[0].stream, LogStream::Stderr);
  EXPECT_EQ(records[0].sequence, 1u);

  sink.flush();  // nothing held any more
  sink.write(LogStream::Stderr, "\n");  // the flushed line is not continued
  EXPECT_EQ(texts(all(sink)), (Texts{"no newline yet", ""}));
  auto file = read_records(dir.path() / "m.log");
  ASSERT_EQ(file.size(), 2u);
  EXPECT_EQ(file[0].stream, "err");
  EXPECT_EQ(file[0].text, "no newline yet");
}

TEST(LogSink, InterleavesStreamsWithIncreasingSequences) {
  ScratchDir dir;
  LogSink sink(dir.path() / "m.log", LogLimits{});
  const std::int64_t before = now_ms();
  sink.write(LogStream::Stdout, "o1\nunfinished");
  sink.write(LogStream::Stderr, "e1\ne-partial");
  sink.note("started");
  sink.write(LogStream::Stdout, " line\n");
  sink.write(LogStream::Stderr, " done\n");
  const std::int64_t after = now_ms();

  auto records = all(sink);
  ASSERT_EQ(records.size(), 5u);
  const Texts expected = {"o1", "e1", "started", "unfinished line", "e-partial done"};
  const LogStream streams[] = {LogStream::Stdout, LogStream::Stderr, LogStream::Runtime,
                               LogStream::Stdout, LogStream::Stderr};
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].sequence, i + 1);
    EXPECT_EQ(records[i].text, expected[i]);
    EXPECT_EQ(records[i].stream, streams[i]);
    EXPECT_GE(records[i].time_ms, before);
    EXPECT_LE(records[i].time_ms, after);
  }
  EXPECT_EQ(sink.last_sequence(), 5u);

  auto file = read_records(dir.path() / "m.log");
  ASSERT_EQ(file.size(), 5u);
  const char* names[] = {"out", "err", "orivon", "out", "err"};
  for (std::size_t i = 0; i < file.size(); ++i) {
    EXPECT_EQ(file[i].stream, names[i]);
    EXPECT_EQ(file[i].text, expected[i]);
    EXPECT_EQ(file[i].time_ms, records[i].time_ms);
  }
}

TEST(LogSink, NoteSplitsMultiLineText) {
  LogSink sink({}, LogLimits{});
  sink.note("crashed: wasm trap: unreachable\nwasm backtrace:\n  0: main\n");
  sink.note("");
  EXPECT_EQ(texts(all(sink)),
            (Texts{"crashed: wasm trap: unreachable", "wasm backtrace:", "  0: main", ""}));
  for (const LogRecord& record : all(sink)) EXPECT_EQ(record.stream, LogStream::Runtime);
}

TEST(LogSink, NoteDoesNotDisturbAHeldLine) {
  LogSink sink({}, LogLimits{});
  sink.write(LogStream::Runtime, "held ");
  sink.note("note");
  sink.write(LogStream::Runtime, "line\n");
  EXPECT_EQ(texts(all(sink)), (Texts{"note", "held line"}));
}

TEST(LogSink, EvictsOldestRecordsByBytes) {
  LogSink sink({}, limits_with(10, 1024, 3, 1024));
  sink.write(LogStream::Stdout, "aaaa\nbbbb\n");
  EXPECT_EQ(texts(all(sink)), (Texts{"aaaa", "bbbb"}));
  sink.write(LogStream::Stdout, "cc\n");  // 10 bytes in all: still fits
  EXPECT_EQ(texts(all(sink)), (Texts{"aaaa", "bbbb", "cc"}));
  sink.write(LogStream::Stdout, "d\n");  // 11: the oldest goes
  auto records = all(sink);
  EXPECT_EQ(texts(records), (Texts{"bbbb", "cc", "d"}));
  EXPECT_EQ(records.front().sequence, 2u);

  // A record larger than the whole ring replaces everything but stays.
  sink.write(LogStream::Stdout, std::string(25, 'x') + "\n");
  records = all(sink);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].text, std::string(25, 'x'));
  EXPECT_EQ(records[0].sequence, 5u);
  EXPECT_EQ(sink.last_sequence(), 5u);

  sink.write(LogStream::Stdout, "e\n");
  EXPECT_EQ(texts(all(sink)), (Texts{"e"}));
}

TEST(LogSink, BoundsTheRingOfEmptyLines) {
  LogSink sink({}, limits_with(1024, 1024, 3, 1024));  // at most 256 records
  sink.write(LogStream::Stdout, std::string(10000, '\n'));
  EXPECT_EQ(sink.last_sequence(), 10000u);
  auto records = all(sink);
  ASSERT_EQ(records.size(), 256u);
  EXPECT_EQ(records.front().sequence, 10000u - 255);
  EXPECT_EQ(records.back().sequence, 10000u);
}

TEST(LogSink, ReadAfterPages) {
  LogSink sink({}, LogLimits{});
  for (int i = 1; i <= 10; ++i) sink.write(LogStream::Stdout, "line " + std::to_string(i) + "\n");

  std::vector<std::uint64_t> seen;
  std::uint64_t cursor = 0;
  int pages = 0;
  for (;;) {
    auto page = sink.read_after(cursor, 3);
    if (page.empty()) break;
    ++pages;
    EXPECT_LE(page.size(), 3u);
    for (const LogRecord& record : page) {
      EXPECT_EQ(record.text, "line " + std::to_string(record.sequence));
      seen.push_back(record.sequence);
    }
    cursor = page.back().sequence;
  }
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));

  EXPECT_TRUE(sink.read_after(10, 5).empty());
  EXPECT_TRUE(sink.read_after(UINT64_MAX, 5).empty());
  EXPECT_TRUE(sink.read_after(0, 0).empty());
  auto tail = sink.read_after(7, 100);
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].sequence, 8u);
}

TEST(LogSink, ReadAfterStartsAtTheOldestRecordStillInTheRing) {
  LogSink sink({}, limits_with(12, 1024, 3, 1024));
  for (int i = 1; i <= 10; ++i) sink.write(LogStream::Stdout, "r" + std::to_string(i % 10) + "\n");
  auto records = sink.read_after(2, 100);  // 3..4 fell out of the ring
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records.front().sequence, 5u);
  EXPECT_EQ(records.back().sequence, 10u);
}

TEST(LogSink, SplitsLongLines) {
  ScratchDir dir;
  LogSink sink(dir.path() / "m.log", limits_with(1024, 1 << 20, 3, 4));
  sink.write(LogStream::Stdout, "abcdefghij\nabcd\nabcde\n");
  const Texts expected = {"abcd", "efgh", "ij", "abcd", "abcd", "e"};
  EXPECT_EQ(texts(all(sink)), expected);
  EXPECT_EQ(texts(read_records(dir.path() / "m.log")), expected);
}

TEST(LogSink, SplitsLongLinesBetweenUtf8Characters) {
  LogSink sink({}, limits_with(1024, 1 << 20, 3, 4));
  // a (1 byte) é (2) € (3) x (1): a cut after 4 bytes would split the €.
  sink.write(LogStream::Stdout, "a\xC3\xA9\xE2\x82\xACx\n");
  EXPECT_EQ(texts(all(sink)), (Texts{"a\xC3\xA9", "\xE2\x82\xACx"}));

  // A limit smaller than a character still makes progress.
  LogSink tiny({}, limits_with(1024, 1 << 20, 3, 1));
  tiny.write(LogStream::Stdout, "\xE2\x82\xAC\n");
  EXPECT_EQ(tiny.last_sequence(), 3u);
}

TEST(LogSink, EmitsAHeldPartialLinePastTheLimit) {
  LogSink piecewise({}, limits_with(1024, 1 << 20, 3, 4));
  piecewise.write(LogStream::Stdout, "abcdef");
  EXPECT_EQ(texts(all(piecewise)), (Texts{"abcd"}));  // "ef" is held
  piecewise.write(LogStream::Stdout, "gh");            // exactly the limit: still held
  EXPECT_EQ(piecewise.last_sequence(), 1u);
  piecewise.write(LogStream::Stdout, "i");
  EXPECT_EQ(texts(all(piecewise)), (Texts{"abcd", "efgh"}));
  piecewise.write(LogStream::Stdout, "\n");

  LogSink whole({}, limits_with(1024, 1 << 20, 3, 4));
  whole.write(LogStream::Stdout, "abcdefghi\n");
  EXPECT_EQ(texts(all(piecewise)), texts(all(whole)));
  EXPECT_EQ(texts(all(whole)), (Texts{"abcd", "efgh", "i"}));

  // A partial line that never ends, written byte by byte, comes out in
  // pieces as it grows.
  LogSink endless({}, limits_with(1024, 1 << 20, 3, 4));
  for (int i = 0; i < 10; ++i) endless.write(LogStream::Stdout, "z");
  EXPECT_EQ(texts(all(endless)), (Texts{"zzzz", "zzzz"}));
  endless.flush();
  EXPECT_EQ(texts(all(endless)), (Texts{"zzzz", "zzzz", "zz"}));
}

TEST(LogSink, RotatesPastTheFileLimit) {
  ScratchDir dir;
  const fs::path file = dir.path() / "m.log";
  const std::uint64_t limit = 300;
  {
    LogSink sink(file, limits_with(1 << 20, limit, 3, 1024));
    for (int i = 0; i < 200; ++i) sink.write(LogStream::Stdout, "line " + std::to_string(i) + "\n");
    EXPECT_EQ(sink.last_sequence(), 200u);
  }

  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    names.insert(entry.path().filename().string());
  }
  EXPECT_EQ(names, (std::set<std::string>{"m.log", "m.log.1", "m.log.2"}));

  // Oldest first: m.log.2, m.log.1, m.log hold consecutive lines ending with
  // the newest, each file at most the limit and nearly full but the last.
  std::vector<int> numbers;
  for (const char* name : {"m.log.2", "m.log.1", "m.log"}) {
    const auto size = fs::file_size(dir.path() / name);
    EXPECT_LE(size, limit) << name;
    EXPECT_GT(size, 0u) << name;
    if (std::string(name) != "m.log") {
      EXPECT_GT(size, limit - 30) << name;
    }
    for (const FileRecord& record : read_records(dir.path() / name)) {
      EXPECT_EQ(record.stream, "out");
      ASSERT_EQ(record.text.rfind("line ", 0), 0u);
      numbers.push_back(std::stoi(record.text.substr(5)));
    }
  }
  ASSERT_FALSE(numbers.empty());
  EXPECT_EQ(numbers.back(), 199);
  for (std::size_t i = 1; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], numbers[i - 1] + 1);
  EXPECT_EQ(read_records(file).back().text, "line 199");

  auto file_mode = fs::status(file).permissions();
  EXPECT_EQ(file_mode & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST(LogSink, RotatesWithOneKeptFile) {
  ScratchDir dir;
  const fs::path file = dir.path() / "m.log";
  LogSink sink(file, limits_with(1 << 20, 100, 1, 1024));
  for (int i = 0; i < 50; ++i) sink.write(LogStream::Stdout, "line " + std::to_string(i) + "\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  EXPECT_LE(fs::file_size(file), 100u);
  EXPECT_EQ(read_records(file).back().text, "line 49");
}

TEST(LogSink, WritesARecordLargerThanTheFileLimitToAFileOfItsOwn) {
  ScratchDir dir;
  const fs::path file = dir.path() / "m.log";
  LogSink sink(file, limits_with(1 << 20, 50, 3, 1024));
  sink.write(LogStream::Stdout, "short\n");
  sink.write(LogStream::Stdout, std::string(100, 'y') + "\n");
  sink.write(LogStream::Stdout, "after\n");
  EXPECT_EQ(texts(read_records(dir.path() / "m.log.2")), (Texts{"short"}));
  EXPECT_EQ(texts(read_records(dir.path() / "m.log.1")), (Texts{std::string(100, 'y')}));
  EXPECT_EQ(texts(read_records(file)), (Texts{"after"}));
}

TEST(LogSink, AppendsToAnExistingFileAfterRestart) {
  ScratchDir dir;
  const fs::path file = dir.path() / "m.log";
  {
    LogSink first(file, LogLimits{});
    first.write(LogStream::Stdout, "one\ntwo\n");
  }
  const auto size = fs::file_size(file);
  {
    LogSink second(file, LogLimits{});
    EXPECT_EQ(second.last_sequence(), 0u);  // sequences are per sink
    second.write(LogStream::Stderr, "three\n");
    EXPECT_EQ(second.last_sequence(), 1u);
  }
  auto records = read_records(file);
  EXPECT_EQ(texts(records), (Texts{"one", "two", "three"}));
  EXPECT_EQ(records[2].stream, "err");

  // The existing size counts towards the limit: the next line would pass it.
  const auto full = fs::file_size(file);
  ASSERT_GT(full, size);
  {
    LogSink third(file, limits_with(1 << 20, full + 5, 3, 1024));
    third.write(LogStream::Stdout, "four\n");
  }
  EXPECT_EQ(texts(read_records(dir.path() / "m.log.1")), (Texts{"one", "two", "three"}));
  EXPECT_EQ(texts(read_records(file)), (Texts{"four"}));
}

TEST(LogSink, EndsALineLeftUnfinishedByACrash) {
  ScratchDir dir;
  const fs::path file = dir.path() / "m.log";
  write_text(file, "1700000000000 out cut sho");
  {
    LogSink sink(file, LogLimits{});
    sink.write(LogStream::Stdout, "next\n");
  }
  auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "1700000000000 out cut sho");
  EXPECT_EQ(parse(lines[1]).text, "next");
}

TEST(LogSink, SanitizesControlCharacters) {
  ScratchDir dir;
  const fs::path file = dir.path() / "m.log";
  LogSink sink(file, LogLimits{});
  sink.write(LogStream::Stdout, "\x1b[31mred\x1b[0m\tok\r\n");
  sink.write(LogStream::Stdout, std::string_view("nul\0bel\a del\x7f bs\b cr\rlf\n", 24));
  sink.write(LogStream::Stdout, "forged?\n1700000000000 err fake record\n");
  sink.write(LogStream::Stdout, "c1 csi \xC2\x9B" "2J next \xC2\xA0" "nbsp\n");
  sink.write(LogStream::Stdout,
             "bad \xFF\xFE overlong \xC0\xAF surrogate \xED\xA0\x80 cut \xE2\x82\n");
  sink.write(LogStream::Stdout, "fine: h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80\n");
  sink.note("path \x1b]0;title\x07");

  const Texts expected = {
      "?[31mred?[0m\tok",
      "nul?bel? del? bs? cr?lf",
      "forged?",
      "1700000000000 err fake record",
      "c1 csi ??2J next \xC2\xA0nbsp",
      "bad ?? overlong ?? surrogate ??? cut ??",
      "fine: h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80",
      "path ?]0;title?",
  };
  EXPECT_EQ(texts(all(sink)), expected);
  auto records = read_records(file);
  EXPECT_EQ(texts(records), expected);
  EXPECT_EQ(records[3].stream, "out");  // the forged record is only text
  for (const FileRecord& record : records) EXPECT_TRUE(is_clean_utf8(record.text)) << record.text;
  EXPECT_EQ(read_text(file).find('\x1b'), std::string::npos);
}

TEST(LogSink, SurvivesArbitraryBytes) {
  ScratchDir dir;
  const fs::path file = dir.path() / "m.log";
  LogSink sink(file, limits_with(4096, 2048, 2, 64));
  std::mt19937 random(12345);
  std::size_t newlines = 0;
  for (int i = 0; i < 500; ++i) {
    std::string bytes(random() % 300, '\0');
    for (char& byte : bytes) {
      byte = static_cast<char>(random() % 7 == 0 ? '\n' : random() % 256);
      newlines += byte == '\n';
    }
    const auto stream = static_cast<LogStream>(random() % 3);
    if (stream == LogStream::Runtime && i % 2 == 0) {
      sink.note(bytes);
    } else {
      sink.write(stream, bytes);
    }
  }
  sink.flush();
  EXPECT_GE(sink.last_sequence(), newlines / 2);
  std::uint64_t previous = 0;
  for (const LogRecord& record : all(sink)) {
    EXPECT_GT(record.sequence, previous);
    previous = record.sequence;
    EXPECT_LE(record.text.size(), 64u);
    EXPECT_TRUE(is_clean_utf8(record.text));
  }
  for (const char* name : {"m.log", "m.log.1"}) {
    EXPECT_LE(fs::file_size(dir.path() / name), 2048u);
    for (const FileRecord& record : read_records(dir.path() / name)) {
      EXPECT_TRUE(record.stream == "out" || record.stream == "err" || record.stream == "orivon");
      EXPECT_TRUE(is_clean_utf8(record.text));
    }
  }
}

TEST(LogSink, ConcurrentWritersRecordEverythingOnce) {
  ScratchDir dir;
  const fs::path file = dir.path() / "m.log";
  LogSink sink(file, limits_with(1 << 20, 1 << 30, 3, 1024));
  constexpr int kThreads = 4;
  constexpr int kLines = 2000;

  std::atomic<bool> done{false};
  std::thread reader([&] {
    std::uint64_t cursor = 0;
    while (!done.load()) {
      for (const LogRecord& record : sink.read_after(cursor, 100)) {
        EXPECT_GT(record.sequence, cursor);
        cursor = record.sequence;
      }
      EXPECT_GE(sink.last_sequence(), cursor);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&sink, t] {
      for (int i = 0; i < kLines; ++i) {
        const std::string line = "t" + std::to_string(t) + " " + std::to_string(i);
        if (t == 3) {
          sink.note(line);
        } else {
          sink.write(t == 2 ? LogStream::Stderr : LogStream::Stdout, line + "\n");
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  done = true;
  reader.join();

  constexpr std::size_t kTotal = kThreads * kLines;
  EXPECT_EQ(sink.last_sequence(), kTotal);
  auto check = [&](const std::vector<std::string>& lines) {
    ASSERT_EQ(lines.size(), kTotal);
    std::vector<int> next(kThreads, 0);  // each thread's lines appear in order
    for (const std::string& line : lines) {
      const int t = line[1] - '0';
      ASSERT_GE(t, 0);
      ASSERT_LT(t, kThreads);
      EXPECT_EQ(line, "t" + std::to_string(t) + " " + std::to_string(next[t]));
      ++next[t];
    }
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kLines);
  };

  auto records = all(sink);
  ASSERT_EQ(records.size(), kTotal);
  for (std::size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].sequence, i + 1);
  check(texts(records));

  // The file holds the same records in the same (sequence) order.
  auto file_records = read_records(file);
  check(texts(file_records));
  for (std::size_t i = 0; i < std::min(records.size(), file_records.size()); ++i) {
    EXPECT_EQ(file_records[i].text, records[i].text);
  }
}

std::size_t count_unavailable_notes(const LogSink& sink) {
  std::size_t count = 0;
  for (const LogRecord& record : all(sink)) {
    if (record.stream == LogStream::Runtime &&
        record.text.rfind("log file unavailable: ", 0) == 0) {
      ++count;
    }
  }
  return count;
}

TEST(LogSink, UnwritablePathDegradesToMemoryOnly) {
  ScratchDir dir;
  const fs::path file = dir.path() / "missing" / "m.log";
  LogSink sink(file, limits_with(1 << 20, 100, 3, 1024));
  auto records = all(sink);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].sequence, 1u);
  EXPECT_EQ(records[0].stream, LogStream::Runtime);
  EXPECT_EQ(records[0].text, "log file unavailable: cannot open '" + file.string() +
                                 "': No such file or directory");

  for (int i = 0; i < 20; ++i) sink.write(LogStream::Stdout, "line " + std::to_string(i) + "\n");
  sink.note("still here");
  EXPECT_EQ(sink.last_sequence(), 22u);
  EXPECT_EQ(count_unavailable_notes(sink), 1u);
  EXPECT_EQ(all(sink).back().text, "still here");
  EXPECT_FALSE(fs::exists(file.parent_path()));

  // A directory where the file should be, or a device, is no better.
  LogSink on_directory(dir.path(), LogLimits{});
  EXPECT_EQ(count_unavailable_notes(on_directory), 1u);
  LogSink on_device("/dev/null", LogLimits{});
  on_device.write(LogStream::Stdout, "x\n");
  ASSERT_EQ(count_unavailable_notes(on_device), 1u);
  EXPECT_EQ(all(on_device).front().text,
            "log file unavailable: '/dev/null' is not a regular file");
}

TEST(LogSink, RemovedDirectoryDegradesToMemoryOnly) {
  ScratchDir dir;
  const fs::path logs = dir.path() / "logs";
  fs::create_directory(logs);
  LogSink sink(logs / "m.log", limits_with(1 << 20, 100, 3, 1024));
  sink.write(LogStream::Stdout, "before\n");
  fs::remove_all(logs);
  for (int i = 0; i < 20; ++i) sink.write(LogStream::Stdout, "line " + std::to_string(i) + "\n");
  sink.flush();

  EXPECT_EQ(count_unavailable_notes(sink), 1u);
  std::size_t lines = 0;
  for (const LogRecord& record : all(sink)) lines += record.stream == LogStream::Stdout;
  EXPECT_EQ(lines, 21u);
  EXPECT_EQ(sink.last_sequence(), 22u);
  EXPECT_FALSE(fs::exists(logs));
}

TEST(LogSink, EmptyPathIsMemoryOnly) {
  LogSink sink({}, LogLimits{});
  sink.write(LogStream::Stdout, "hello\n");
  EXPECT_EQ(texts(all(sink)), (Texts{"hello"}));
  EXPECT_EQ(count_unavailable_notes(sink), 0u);
}

// Descriptors this process has open now.
std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

TEST(LogSink, ManySinksKeepABoundedNumberOfFilesOpen) {
  // One open file per sink met the open-files limit with many services:
  // sinks share a cache of at most kOpen descriptors, and each still writes
  // every line to its own file.
  constexpr std::size_t kOpen = 4;
  constexpr int kSinks = 300;
  constexpr int kRounds = 3;
  ScratchDir dir;
  auto files = std::make_shared<LogFileCache>(kOpen);
  const std::size_t before = open_descriptors();
  {
    std::vector<std::unique_ptr<LogSink>> sinks;
    for (int i = 0; i < kSinks; ++i) {
      sinks.push_back(std::make_unique<LogSink>(dir.path() / (std::to_string(i) + ".log"),
                                                LogLimits{}, files));
    }
    // Opening each file at creation (to report an unwritable one) leaves
    // only the cache's share open.
    EXPECT_LE(open_descriptors(), before + kOpen);
    for (int round = 0; round < kRounds; ++round) {
      for (int i = 0; i < kSinks; ++i) {
        sinks[i]->write(LogStream::Stdout,
                        "sink " + std::to_string(i) + " round " + std::to_string(round) + "\n");
      }
      EXPECT_LE(files->open_count(), kOpen);
      EXPECT_LE(open_descriptors(), before + kOpen) << "round " << round;
    }
    for (const auto& sink : sinks) {
      sink->flush();
      EXPECT_EQ(count_unavailable_notes(*sink), 0u);
    }
  }
  EXPECT_EQ(files->open_count(), 0u);  // a sink going away closes its file
  EXPECT_EQ(open_descriptors(), before);
  for (int i = 0; i < kSinks; ++i) {
    Texts expected;
    for (int round = 0; round < kRounds; ++round) {
      expected.push_back("sink " + std::to_string(i) + " round " + std::to_string(round));
    }
    EXPECT_EQ(texts(read_records(dir.path() / (std::to_string(i) + ".log"))), expected) << i;
  }
}

TEST(LogSink, RotatesAndAppendsAcrossReopens) {
  // With one cached descriptor for two sinks, every write reopens the file;
  // the size read at each open keeps rotation exact, and a line written to
  // the file by someone else in between counts too.
  ScratchDir dir;
  auto files = std::make_shared<LogFileCache>(1);
  const std::uint64_t limit = 200;
  const fs::path a = dir.path() / "a.log";
  const fs::path b = dir.path() / "b.log";
  LogSink sink_a(a, limits_with(1 << 20, limit, 3, 1024), files);
  LogSink sink_b(b, limits_with(1 << 20, limit, 3, 1024), files);
  for (int i = 0; i < 40; ++i) {
    sink_a.write(LogStream::Stdout, "a " + std::to_string(i) + "\n");
    sink_b.write(LogStream::Stderr, "b " + std::to_string(i) + "\n");
  }
  std::vector<int> numbers;
  for (const char* name : {"a.log.2", "a.log.1", "a.log"}) {
    EXPECT_LE(fs::file_size(dir.path() / name), limit) << name;
    for (const FileRecord& record : read_records(dir.path() / name)) {
      EXPECT_EQ(record.stream, "out");
      numbers.push_back(std::stoi(record.text.substr(2)));
    }
  }
  ASSERT_FALSE(numbers.empty());
  EXPECT_EQ(numbers.back(), 39);
  for (std::size_t i = 1; i < numbers.size(); ++i) EXPECT_EQ(numbers[i], numbers[i - 1] + 1);
  EXPECT_EQ(read_records(b).back().text, "b 39");

  // Filling a.log from outside while it is closed makes the next write rotate.
  fs::remove(dir.path() / "a.log.2");
  sink_b.write(LogStream::Stdout, "b takes the descriptor\n");
  std::ofstream(a, std::ios::binary | std::ios::app) << std::string(limit, 'x') << "\n";
  sink_a.write(LogStream::Stdout, "a after\n");
  EXPECT_EQ(texts(read_records(a)), (Texts{"a after"}));
  EXPECT_EQ(read_lines(dir.path() / "a.log.1").back(), std::string(limit, 'x'));
  EXPECT_EQ(count_unavailable_notes(sink_a), 0u);
}

TEST(LogFileCache, ClosesTheLeastRecentlyUsedPastItsCapacity) {
  ScratchDir dir;
  LogFileCache cache(2);
  const auto open_file = [&](const char* name) {
    return ::open((dir.path() / name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  };
  const auto is_open = [](int fd) { return ::fcntl(fd, F_GETFD) != -1; };
  const LogFileCache::Key one = cache.new_key();
  const LogFileCache::Key two = cache.new_key();
  const LogFileCache::Key three = cache.new_key();
  EXPECT_NE(one, two);
  EXPECT_EQ(cache.take(one), -1);  // nothing given yet

  const int fd_one = open_file("1");
  const int fd_two = open_file("2");
  cache.put(one, fd_one);
  cache.put(two, fd_two);
  // Using `one` makes `two` the least recently used.
  EXPECT_EQ(cache.take(one), fd_one);
  EXPECT_EQ(cache.open_count(), 1u);
  cache.put(one, fd_one);
  const int fd_three = open_file("3");
  cache.put(three, fd_three);
  EXPECT_EQ(cache.open_count(), 2u);
  EXPECT_FALSE(is_open(fd_two));
  EXPECT_EQ(cache.take(two), -1);
  EXPECT_TRUE(is_open(fd_one));
  EXPECT_TRUE(is_open(fd_three));

  // A descriptor lent out is never closed by the cache.
  EXPECT_EQ(cache.take(three), fd_three);
  const int fd_four = open_file("4");
  cache.put(two, fd_four);
  EXPECT_TRUE(is_open(fd_three));
  cache.forget(three);  // lent: its entry goes, the descriptor stays the caller's
  EXPECT_TRUE(is_open(fd_three));
  ::close(fd_three);
  cache.forget(one);
  EXPECT_FALSE(is_open(fd_one));
  EXPECT_EQ(cache.open_count(), 1u);
}

}  // namespace
}  // namespace orivon::supervisor
