// How `orivon list` reads a page of the host's reply without parsing every
// module whole (host/listing_page.h): the spans it cuts and the members it
// reads must be exactly what nlohmann's parser reads from the same text,
// whatever the strings hold, and anything that is not a whole reply of the
// usual layout is left to the full parser. Then the table it prints
// (host/module_table.h).

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/json_writer.h"
#include "host/listing_page.h"
#include "host/module_table.h"

namespace orivon::cli {
namespace {

// The members of `object` whose keys are among `keys`, each parsed as the
// table reads a value, or nullopt when for_each_member or a value refuses.
std::optional<nlohmann::json> pick(std::string_view object,
                                   std::span<const std::string_view> keys) {
  nlohmann::json picked = nlohmann::json::object();
  const bool whole = for_each_member(object, [&](std::string_view key, std::string_view value) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) return true;
    auto parsed = parse_json_value(value);
    if (parsed.is_discarded()) return false;
    picked[std::string(key)] = std::move(parsed);
    return true;
  });
  if (!whole) return std::nullopt;
  return picked;
}

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

TEST(ForEachMember, ReadsOnlyTheWantedTopLevelMembers) {
  const std::string line = page_of(kAwkwardTexts);
  const auto whole = nlohmann::json::parse(line);
  auto items = listing_items(line);
  ASSERT_TRUE(items.has_value());
  constexpr std::string_view kWanted[] = {"id", "description", "size_bytes", "autostart"};
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto picked = pick((*items)[i], kWanted);
    ASSERT_TRUE(picked.has_value()) << i;
    nlohmann::json expected = whole["result"][i];
    expected.erase("events");  // not wanted, and its own "id" is not the module's
    EXPECT_EQ(*picked, expected) << i;
  }
}

TEST(ForEachMember, ReadsEveryKindOfValueAsTheParserDoes) {
  constexpr std::string_view kWanted[] = {"a"};
  for (std::string_view value :
       {"0", "7", "59674", "18446744073709551615", "18446744073709551616", "-5", "1.5", "1e3",
        "true", "false", "null", R"("")", R"("plain")", R"("with \"quote\"")", R"("\u00e9")",
        "\"caf\xc3\xa9\"", R"([1,"x"])", R"({"b":{"c":[]}})"}) {
    const std::string object = "{\"a\":" + std::string(value) + "}";
    auto picked = pick(object, kWanted);
    ASSERT_TRUE(picked.has_value()) << object;
    EXPECT_EQ(*picked, nlohmann::json::parse(object)) << object;
  }
  // Text the parser refuses is refused here too, however it is read.
  for (std::string_view value : {"01", "1x", "tru", "nul", "\"\x01\"", "\"\xff\"", "'a'"}) {
    const std::string object = "{\"a\":" + std::string(value) + "}";
    EXPECT_FALSE(pick(object, kWanted).has_value()) << object;
  }
}

TEST(ForEachMember, RefusesWhatIsNotAnObjectOfValidValues) {
  constexpr std::string_view kWanted[] = {"a"};
  EXPECT_EQ(pick("{}", kWanted), nlohmann::json::object());
  EXPECT_EQ(pick(R"( { "a" : [1, {"b": "}"}] , "c": x } )", kWanted),
            nlohmann::json::parse(R"({"a":[1,{"b":"}"}]})"));
  for (std::string_view bad : {"", "[]", "{", R"({"a"})", R"({"a":})", R"({"a":tru})",
                               R"({"a":1,})", R"({"a":1 "b":2})", R"({a:1})", R"({"a":"x)"}) {
    EXPECT_FALSE(pick(bad, kWanted).has_value()) << bad;
  }
}


// The lines ModuleTable prints, split.
std::vector<std::string> lines_of(const ModuleTable& table) {
  std::ostringstream out;
  table.print(out);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ModuleTable, ShowsEachModuleInAlignedColumns) {
  ModuleTable table;
  ASSERT_TRUE(table.add(R"({"id":"app.one.service","kind":"service","program_kind":"component",)"
                        R"("version":"1.2.0","state":"running","autostart":true,"uptime_ms":3723000,)"
                        R"("restarts":2,"calls":15,"traps":1,"size_bytes":59674,)"
                        R"("events":{"id":"not the module's","calls":99},"grants":[]})"));
  // Escaped text is shown decoded; members of other types show nothing.
  ASSERT_TRUE(table.add(R"({"size_bytes":3221225472,"id":"app.t\u00e9st.x","kind":"library",)"
                        R"("program_kind":"core","version":null,"state":"installed",)"
                        R"("autostart":true,"uptime_ms":0,"calls":"many"})"));
  EXPECT_EQ(table.size(), 2u);
  const auto lines = lines_of(table);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "ID               KIND     TYPE       VERSION  STATE                  UPTIME    "
            "RESTARTS  CALLS  TRAPS  SIZE");
  EXPECT_EQ(lines[1],
            "app.one.service  service  component  1.2.0    running                1h02m03s  "
            "2         15     1      58.3 KiB");
  // Widths count bytes (ids are ASCII; only this test's is not).
  EXPECT_EQ(lines[2],
            "app.t\xc3\xa9st.x      library  core       -        installed (autostart)  -         "
            "0         0      0      3.0 GiB");
}

TEST(ModuleTable, RefusesAModuleThatIsNotAnObjectOfValidMembers) {
  ModuleTable table;
  for (std::string_view bad : {"", "[]", R"({"id":"a.b.c")", R"({"id":"a\x"})",
                               R"({"state":"\ud800\u"})", R"({"calls":01})", R"({"id":tru})"}) {
    EXPECT_FALSE(table.add(bad)) << bad;
  }
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(lines_of(table), std::vector<std::string>{"no modules installed"});
  // A member the table does not show is not read, so its text is not judged.
  EXPECT_TRUE(table.add(R"({"id":"a.b.c","description":tru})"));
}

TEST(SizeText, UsesTheLargestUnitBelowTheSize) {
  EXPECT_EQ(size_text(0), "0 B");
  EXPECT_EQ(size_text(1023), "1023 B");
  EXPECT_EQ(size_text(1024), "1.0 KiB");
  EXPECT_EQ(size_text(1536 * 1024), "1.5 MiB");
  EXPECT_EQ(size_text(std::uint64_t{5} << 40), "5120.0 GiB");
}

}  // namespace
}  // namespace orivon::cli
