// core/utf8.h: the one decoder and encoder of UTF-8 that the values (WAVE
// text, guest strings) and the checks of untrusted text share.

#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace orivon {
namespace {

TEST(Utf8, EncodesEveryLengthAndDecodesItBack) {
  for (char32_t c : {U'\0', U'a', U'\x7f', U'\x80', U'\xe9', U'\x7ff', U'\x800', U'\xd7ff',
                     U'\xe000', U'\xfffd', U'\xffff', U'\x10000', U'\x1f600', U'\x10ffff'}) {
    std::string text;
    append_utf8(c, &text);
    const std::size_t expected = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    EXPECT_EQ(text.size(), expected) << static_cast<unsigned>(c);
    char32_t decoded = 0;
    EXPECT_EQ(decode_utf8(text, 0, &decoded), expected) << static_cast<unsigned>(c);
    EXPECT_EQ(decoded, c);
    EXPECT_EQ(invalid_utf8_at(text), std::string_view::npos);
  }
  std::string euro;
  append_utf8(U'\x20ac', &euro);
  EXPECT_EQ(euro, "\xe2\x82\xac");
}

TEST(Utf8, RefusesWhatIsNotWellFormed) {
  for (std::string_view bad : {
           std::string_view("\x80"),          // a continuation byte first
           std::string_view("\xc3"),          // cut short
           std::string_view("\xe2\x82"),      // cut short
           std::string_view("\xc3\x28"),      // not a continuation byte
           std::string_view("\xc0\xaf"),      // overlong '/'
           std::string_view("\xe0\x80\xaf"),  // overlong
           std::string_view("\xed\xa0\x80"),  // a surrogate, U+D800
           std::string_view("\xf4\x90\x80\x80"),  // past U+10FFFF
           std::string_view("\xf8\x88\x80\x80\x80"), std::string_view("\xff")}) {
    char32_t c = U'x';
    EXPECT_EQ(decode_utf8(bad, 0, &c), 0u) << ::testing::PrintToString(bad);
    EXPECT_EQ(c, U'x');  // untouched
    EXPECT_EQ(invalid_utf8_at("ok" + std::string(bad)), 2u);
  }
  EXPECT_FALSE(is_scalar_value(0xD800));
  EXPECT_FALSE(is_scalar_value(0xDFFF));
  EXPECT_FALSE(is_scalar_value(0x110000));
  EXPECT_TRUE(is_scalar_value(0x10FFFF));
}

TEST(Utf8, FindsTheFaultPastALongAsciiRun) {
  const std::string text = std::string(1000, 'a') + "\xc3\xa9" + std::string(37, 'b') + "\xc3";
  EXPECT_EQ(invalid_utf8_at(text), 1000u + 2u + 37u);
  EXPECT_EQ(invalid_utf8_at(text.substr(0, text.size() - 1)), std::string_view::npos);
}

}  // namespace
}  // namespace orivon
