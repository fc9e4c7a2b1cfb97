// How `orivon list` reads a page of the host's reply without parsing every
// module whole (host/listing_page.h): the spans it cuts and the members it
// picks must be exactly what nlohmann's parser reads from the same text,
// whatever the strings hold, and anything that is not a whole reply of the
// usual layout is left to the full parser.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/json_writer.h"
#include "host/listing_page.h"

namespace orivon::cli {
namespace {

// Strings that end or open nothing although they look as if they did.
const std::vector<std::string> kAwkwardTexts = {
    "", "plain", "quote \" inside", "backslash \\", "ends with backslash \\\\",
    "}]} closers", "{[ openers", "comma, and: colon", "line\nbreak\ttab", "\x01 control",
    "caf\xc3\xa9", "\\\"", "\"}"};

// A reply as the host writes a page: {"ok":true,"result":[...]}.
std::string page_of(const std::vector<std::string>& descriptions) {
  std::string line;
  JsonWriter out(line);
  out.begin_object().key("ok").boolean(true).key("result").begin_array();
  for (std::size_t n = 0; n < descriptions.size(); ++n) {
    out.begin_object()
        .key("id").string("app.module.m" + std::to_string(n))
        .key("description").string(descriptions[n])
        .key("events").begin_object().key("id").string("nested").key("n").number(std::uint64_t{3})
        .end_object()
        .key("size_bytes").number(std::uint64_t{59674})
        .key("autostart").boolean(n % 2 == 0)
        .end_object();
  }
  out.end_array().end_object();
  line.push_back('\n');
  return line;
}

TEST(ListingItems, CutsEachModuleExactlyAsTheParserReadsIt) {
  const std::string line = page_of(kAwkwardTexts);
  const auto whole = nlohmann::json::parse(line);
  auto items = listing_items(line);
  ASSERT_TRUE(items.has_value());
  ASSERT_EQ(items->size(), kAwkwardTexts.size());
  for (std::size_t i = 0; i < items->size(); ++i) {
    EXPECT_EQ(nlohmann::json::parse((*items)[i]), whole["result"][i]) << i;
  }
}

TEST(ListingItems, AnEmptyPageHasNoItems) {
  auto items = listing_items(page_of({}));
  ASSERT_TRUE(items.has_value());
  EXPECT_TRUE(items->empty());
}

TEST(ListingItems, LeavesEverythingElseToTheParser) {
  for (std::string_view other : {
           R"({"error":{"code":"NotFound","message":"x"},"ok":false})",
           R"({"ok":true,"result":{"id":"a.b.c"}})",  // not an array
           R"({"ok":true,"result":[1,2]})",           // not objects
           R"({"ok":true,"result":[{"a":1}{"b":2}]})",  // no comma
           R"({"ok":true,"result":[{"a":1},]})",
           R"({"ok":true,"result":[{"a":"}]})",      // the string never ends
           R"({"ok":true,"result":[{"a":1}}]})",     // one closer too many
           R"({"ok":true,"result":[{"a":[1}]})",     // closed by the wrong bracket
           R"({"ok":true,"result":[{"a":{"b":1]}]})",
           R"({"ok": true, "result": [{"a":1}]})",   // another layout
           R"({"ok":true,"result":[{"a":1}]} trailing)", ""}) {
    EXPECT_FALSE(listing_items(other).has_value()) << other;
  }
  // No line cut short is taken for a whole one.
  const std::string line = page_of(kAwkwardTexts);
  for (std::size_t length = 0; length + 1 < line.size(); ++length) {
    EXPECT_FALSE(listing_items(std::string_view(line).substr(0, length)).has_value()) << length;
  }
}

TEST(PickMembers, ReadsOnlyTheWantedTopLevelMembers) {
  const std::string line = page_of(kAwkwardTexts);
  const auto whole = nlohmann::json::parse(line);
  auto items = listing_items(line);
  ASSERT_TRUE(items.has_value());
  constexpr std::string_view kWanted[] = {"id", "description", "size_bytes", "autostart"};
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto picked = pick_members((*items)[i], kWanted);
    ASSERT_TRUE(picked.has_value()) << i;
    nlohmann::json expected = whole["result"][i];
    expected.erase("events");  // not wanted, and its own "id" is not the module's
    EXPECT_EQ(*picked, expected) << i;
  }
}

TEST(PickMembers, ReadsEveryKindOfValueAsTheParserDoes) {
  constexpr std::string_view kWanted[] = {"a"};
  for (std::string_view value :
       {"0", "7", "59674", "18446744073709551615", "18446744073709551616", "-5", "1.5", "1e3",
        "true", "false", "null", R"("")", R"("plain")", R"("with \"quote\"")", R"("\u00e9")",
        "\"caf\xc3\xa9\"", R"([1,"x"])", R"({"b":{"c":[]}})"}) {
    const std::string object = "{\"a\":" + std::string(value) + "}";
    auto picked = pick_members(object, kWanted);
    ASSERT_TRUE(picked.has_value()) << object;
    EXPECT_EQ(*picked, nlohmann::json::parse(object)) << object;
  }
  // Text the parser refuses is refused here too, however it is read.
  for (std::string_view value : {"01", "1x", "tru", "nul", "\"\x01\"", "\"\xff\"", "'a'"}) {
    const std::string object = "{\"a\":" + std::string(value) + "}";
    EXPECT_FALSE(pick_members(object, kWanted).has_value()) << object;
  }
}

TEST(PickMembers, RefusesWhatIsNotAnObjectOfValidValues) {
  constexpr std::string_view kWanted[] = {"a"};
  EXPECT_EQ(pick_members("{}", kWanted), nlohmann::json::object());
  EXPECT_EQ(pick_members(R"( { "a" : [1, {"b": "}"}] , "c": x } )", kWanted),
            nlohmann::json::parse(R"({"a":[1,{"b":"}"}]})"));
  for (std::string_view bad : {"", "[]", "{", R"({"a"})", R"({"a":})", R"({"a":tru})",
                               R"({"a":1,})", R"({"a":1 "b":2})", R"({a:1})", R"({"a":"x)"}) {
    EXPECT_FALSE(pick_members(bad, kWanted).has_value()) << bad;
  }
}

}  // namespace
}  // namespace orivon::cli
