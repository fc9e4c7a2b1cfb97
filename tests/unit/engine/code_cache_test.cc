// The compiled-code cache behind Runtime::load_file(path, CodeCacheOptions)
// (what `orivon run` uses): hits, damaged entries, the size bound and
// concurrent loads, on small programs written as WebAssembly text.

#include "orivon/code_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "orivon/runtime.h"
#include "support/process.h"

namespace orivon {
namespace {

namespace fs = std::filesystem;
using orivon::testing::TempDir;

// A core module whose `answer` says which program it is.
std::string program_text(int answer) {
  return "(module (memory (export \"memory\") 1) (func (export \"answer\") (result i32) "
         "(i32.const " + std::to_string(answer) + ")))";
}

class CodeCache : public ::testing::Test {
 protected:
  void SetUp() override {
    auto runtime = Runtime::create({});
    ASSERT_TRUE(runtime) << runtime.error().to_string();
    runtime_ = std::move(*runtime);
    options_.dir = temp_.path() / "cache";
  }

  fs::path write_program(const std::string& name, int answer) {
    const fs::path path = temp_.path() / name;
    std::ofstream(path) << program_text(answer);
    return path;
  }

  // `answer()` of the program at `path`, loaded through the cache.
  std::string answer(const fs::path& path) {
    auto program = runtime_->load_file(path, options_);
    if (!program) return "error: " + program.error().to_string();
    auto outcome = runtime_->invoke(*program, "answer()", {}, {});
    return outcome ? outcome->results : "error: " + outcome.error().to_string();
  }

  std::vector<fs::path> entries() const {
    std::vector<fs::path> found;
    for (const auto& item : fs::directory_iterator(options_.dir)) found.push_back(item.path());
    std::sort(found.begin(), found.end());
    return found;
  }

  TempDir temp_;
  std::unique_ptr<Runtime> runtime_;
  CodeCacheOptions options_;
};

TEST_F(CodeCache, ASecondLoadReadsTheEntryInsteadOfCompiling) {
  const fs::path one = write_program("one.wat", 1);
  const fs::path two = write_program("two.wat", 2);
  EXPECT_EQ(answer(one), "1");
  ASSERT_EQ(entries().size(), 1u);
  const fs::path one_entry = entries()[0];
  EXPECT_EQ((fs::status(options_.dir).permissions() & fs::perms::all), fs::perms::owner_all);
  EXPECT_EQ(answer(two), "2");
  ASSERT_EQ(entries().size(), 2u);
  // Put program two's code under program one's name: loading one now runs
  // two's code, which only happens if the entry is read rather than compiled.
  const fs::path two_entry = entries()[0] == one_entry ? entries()[1] : entries()[0];
  fs::copy_file(two_entry, one_entry, fs::copy_options::overwrite_existing);
  EXPECT_EQ(answer(one), "2");
}

TEST_F(CodeCache, ADamagedOrTruncatedEntryIsCompiledAgain) {
  const fs::path one = write_program("one.wat", 1);
  EXPECT_EQ(answer(one), "1");
  ASSERT_EQ(entries().size(), 1u);
  const fs::path entry = entries()[0];
  const auto size = fs::file_size(entry);
  {
    // One byte changed in the middle of the machine code.
    std::fstream file(entry, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(size / 2));
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    file.seekp(static_cast<std::streamoff>(size / 2));
    file.write(&byte, 1);
  }
  EXPECT_EQ(answer(one), "1");
  EXPECT_EQ(fs::file_size(entry), size);  // written again, whole
  fs::resize_file(entry, 10);
  EXPECT_EQ(answer(one), "1");
  EXPECT_EQ(fs::file_size(entry), size);
  std::ofstream(entry, std::ios::trunc) << "not compiled code at all, but long enough to be read "
                                           "as an entry with a digest at its end .............";
  EXPECT_EQ(answer(one), "1");
  EXPECT_EQ(fs::file_size(entry), size);
}

TEST_F(CodeCache, TheLeastRecentlyUsedEntriesGoPastTheBound) {
  const fs::path one = write_program("one.wat", 1);
  const fs::path two = write_program("two.wat", 2);
  const fs::path three = write_program("three.wat", 3);
  EXPECT_EQ(answer(one), "1");
  const fs::path one_entry = entries()[0];
  options_.max_bytes = 2 * fs::file_size(one_entry) + 1024;  // room for two
  EXPECT_EQ(answer(two), "2");
  EXPECT_EQ(entries().size(), 2u);
  // Program one was used least recently: it goes when three arrives.
  fs::last_write_time(one_entry, fs::file_time_type::clock::now() - std::chrono::hours(1));
  EXPECT_EQ(answer(three), "3");
  ASSERT_EQ(entries().size(), 2u);
  EXPECT_FALSE(fs::exists(one_entry));
  // A bound smaller than one entry keeps only the newest.
  options_.max_bytes = 1;
  EXPECT_EQ(answer(one), "1");
  EXPECT_EQ(entries().size(), 1u);
}

TEST_F(CodeCache, ConcurrentLoadsOfOneProgramAllSucceed) {
  const fs::path one = write_program("one.wat", 1);
  std::vector<std::string> answers(6);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    threads.emplace_back([&, i] { answers[i] = answer(one); });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : answers) EXPECT_EQ(result, "1");
  // One entry, and no temporary file left behind.
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(entries()[0].extension(), ".cwasm");
  EXPECT_EQ(answer(one), "1");
}

TEST_F(CodeCache, AnotherEngineConfigurationHasItsOwnEntries) {
  const fs::path one = write_program("one.wat", 1);
  EXPECT_EQ(answer(one), "1");
  RuntimeOptions fuel;
  fuel.fuel = FuelMetering::On;
  auto counting = Runtime::create(fuel);
  ASSERT_TRUE(counting) << counting.error().to_string();
  auto program = (*counting)->load_file(one, options_);
  ASSERT_TRUE(program) << program.error().to_string();
  EXPECT_EQ(entries().size(), 2u);
}

TEST_F(CodeCache, ErrorsAreTheProgramsOwn) {
  auto missing = runtime_->load_file(temp_.path() / "missing.wasm", options_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
  const fs::path bad = temp_.path() / "bad.wasm";
  std::ofstream(bad) << "garbage, not WebAssembly";
  auto invalid = runtime_->load_file(bad, options_);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code(), ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace orivon
