// The rules for configuration keys and values (orivon/config.h): every
// source of configuration (manifest, client, database) is held to them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/utf8.h"
#include "orivon/config.h"

namespace orivon {
namespace {

using ::testing::HasSubstr;

TEST(ConfigKey, AcceptsLowercaseDigitsUnderscoresAndHyphens) {
  for (const std::string& key : std::vector<std::string>{"network", "max-peers", "rpc_user",
                                                        "8ball", "a", std::string(128, 'k')}) {
    EXPECT_TRUE(check_config_key(key)) << key;
  }
}

TEST(ConfigKey, SaysWhatIsWrongAndWhatAKeyMayBe) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "is empty"},
      {std::string(129, 'k'), "129 characters long"},
      {"Network", "uppercase letter 'N'"},
      {"a.b", "the character '.'"},
      {"a b", "the character ' '"},
      {"-lead", "does not start with a letter or digit"},
      {"_lead", "does not start with a letter or digit"},
      {"caf\xc3\xa9", "non-ASCII"},
      {std::string("a\0b", 3), "control"},
  };
  for (const auto& [key, problem] : cases) {
    auto checked = check_config_key(key);
    ASSERT_FALSE(checked) << key;
    EXPECT_EQ(checked.error().code(), ErrorCode::InvalidArgument);
    EXPECT_THAT(checked.error().message(), HasSubstr(problem)) << key;
    EXPECT_THAT(checked.error().message(), HasSubstr("like 'max-peers'"));
  }
}

TEST(ConfigValue, AcceptsUtf8TextWithNewlinesAndTabs) {
  for (const std::string value : {"", "mainnet", "line 1\nline 2\r\n\tindented", "caf\xc3\xa9",
                                  "\xf0\x9f\x98\x80 emoji"}) {
    EXPECT_TRUE(check_config_value(value)) << value;
  }
}

TEST(ConfigValue, CountsCharactersNotBytes) {
  std::string wide;
  for (int i = 0; i < 8192; ++i) wide += "\xc3\xa9";  // 8,192 characters, 16,384 bytes
  EXPECT_TRUE(check_config_value(wide));
  EXPECT_TRUE(check_config_value(std::string(8192, 'v')));
  auto long_value = check_config_value(std::string(8193, 'v'));
  ASSERT_FALSE(long_value);
  EXPECT_EQ(long_value.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(long_value.error().message(), HasSubstr("8193 characters; at most 8192"));
}

TEST(ConfigValue, RefusesControlCharactersAndBrokenUtf8) {
  EXPECT_THAT(check_config_value("a\x1b[2Jb").error().message(), HasSubstr("U+001B"));
  EXPECT_THAT(check_config_value(std::string("a\0b", 3)).error().message(), HasSubstr("U+0000"));
  EXPECT_THAT(check_config_value("a\x7f").error().message(), HasSubstr("U+007F"));
  EXPECT_THAT(check_config_value("ok \xff").error().message(), HasSubstr("byte 3 is not UTF-8"));
  // Overlong encodings and surrogates are not UTF-8 either.
  EXPECT_FALSE(check_config_value("\xc0\xaf"));
  EXPECT_FALSE(check_config_value("\xed\xa0\x80"));
  EXPECT_FALSE(check_config_value("\xe2\x82"));  // cut short
}

TEST(Utf8, FindsTheFirstBadByteAndCountsCharacters) {
  EXPECT_EQ(invalid_utf8_at("plain"), std::string_view::npos);
  EXPECT_EQ(invalid_utf8_at("ab\x80"), 2u);
  EXPECT_EQ(utf8_char_count("caf\xc3\xa9"), 4u);
  EXPECT_EQ(utf8_char_count(""), 0u);
}

TEST(ConfigSource, HasNames) {
  EXPECT_EQ(config_source_name(ConfigSource::Manifest), "manifest");
  EXPECT_EQ(config_source_name(ConfigSource::Client), "client");
}

}  // namespace
}  // namespace orivon
