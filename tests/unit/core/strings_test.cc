#include "core/strings.h"

#include <gtest/gtest.h>

#include <string>

#include "core/utf8.h"

namespace orivon {
namespace {

TEST(ElideMiddle, ShortTextIsKeptWhole) {
  EXPECT_EQ(elide_middle("", 10), "");
  EXPECT_EQ(elide_middle("0123456789", 10), "0123456789");
}

TEST(ElideMiddle, LongTextKeepsItsStartAndItsEnd) {
  const std::string text = "'a' failed in f: " + std::string(10'000, 'x') + ": root cause";
  const std::string cut = elide_middle(text, 100);
  EXPECT_LT(cut.size(), 100u + 40u);
  EXPECT_EQ(cut.substr(0, 17), "'a' failed in f: ");
  EXPECT_EQ(cut.substr(cut.size() - 12), ": root cause");
  EXPECT_NE(cut.find("[... " + std::to_string(text.size() - 100) + " bytes left out ...]"),
            std::string::npos);
}

TEST(ElideMiddle, NeverSplitsAUtf8Character) {
  // Two-byte characters throughout: any cut at an odd offset would split one.
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "\xc3\xa9";
  for (std::size_t limit : {1u, 2u, 3u, 51u, 100u, 101u}) {
    const std::string cut = elide_middle(text, limit);
    EXPECT_EQ(invalid_utf8_at(cut), std::string::npos) << limit;
    EXPECT_LT(cut.size(), limit + 40u) << limit;
  }
}

}  // namespace
}  // namespace orivon
