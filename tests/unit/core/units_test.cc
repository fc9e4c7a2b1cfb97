#include "orivon/units.h"

#include <gtest/gtest.h>

namespace orivon {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsEachUnitAndCombinations) {
  EXPECT_EQ(*parse_duration("250ms"), 250ms);
  EXPECT_EQ(*parse_duration("2s"), 2s);
  EXPECT_EQ(*parse_duration("1m30s"), 90s);
  EXPECT_EQ(*parse_duration("1h"), 3600s);
  EXPECT_EQ(*parse_duration("15us"), 15us);
  EXPECT_EQ(*parse_duration("7ns"), 7ns);
  EXPECT_EQ(*parse_duration("3"), 3s);
  EXPECT_EQ(*parse_duration("0ms"), 0ms);
}

TEST(ParseDuration, RefusesMalformedInput) {
  for (const char* text : {"", "ms", "abc", "5 parsecs", "5x", "-1s", "1.5s", "3 s", "1s2", "1s 2s",
                           "99999999999999999999s", "9999999999h"}) {
    auto parsed = parse_duration(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument) << text;
  }
}

TEST(ParseDuration, ErrorSaysWhatIsExpected) {
  auto parsed = parse_duration("soon");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("500ms"), std::string::npos);
}

TEST(ParseSize, AcceptsBinaryUnitsCaseInsensitively) {
  EXPECT_EQ(*parse_size("4096"), 4096u);
  EXPECT_EQ(*parse_size("10B"), 10u);
  EXPECT_EQ(*parse_size("64KiB"), 64u << 10);
  EXPECT_EQ(*parse_size("64k"), 64u << 10);
  EXPECT_EQ(*parse_size("16MiB"), 16u << 20);
  EXPECT_EQ(*parse_size("16mb"), 16u << 20);
  EXPECT_EQ(*parse_size("2G"), 2ull << 30);
  EXPECT_EQ(*parse_size("1TiB"), 1ull << 40);
}

TEST(ParseSize, RefusesMalformedInputAndOverflow) {
  for (const char* text : {"", "MiB", "lots", "1.5G", "-1", "12 MiB", "1PiB", "99999999999TiB"}) {
    auto parsed = parse_size(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument) << text;
  }
}

TEST(ParseCount, AcceptsDigitsOnly) {
  EXPECT_EQ(*parse_count("0"), 0u);
  EXPECT_EQ(*parse_count("18446744073709551615"), 18446744073709551615ull);
  for (const char* text : {"", "-3", "+3", "1e6", "12k", " 1", "18446744073709551616"}) {
    EXPECT_FALSE(parse_count(text)) << text;
  }
}

TEST(FormatCount, GroupsThousands) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(62254), "62,254");
  EXPECT_EQ(format_count(18446744073709551615u), "18,446,744,073,709,551,615");
}

}  // namespace
}  // namespace orivon
