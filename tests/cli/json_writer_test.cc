// The streaming JSON writer behind large replies (host/json_writer.h), read
// back by nlohmann's parser: hostile strings (quotes, backslashes, control
// characters, invalid UTF-8), and a listing's module exactly as the tree
// form (to_json) prints it.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/json_writer.h"
#include "host/module_json.h"

namespace orivon::cli {
namespace {

std::string nlohmann_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Whether nlohmann takes `text` as UTF-8 (its strict dump throws otherwise).
bool is_utf8_to_nlohmann(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

// Strings a module or a client can put in a reply: every byte value, JSON's
// own syntax, and broken UTF-8 (truncated, overlong, surrogate, past
// U+10FFFF, stray continuation bytes).
std::vector<std::string> hostile_strings() {
  std::vector<std::string> texts = {
      "",
      "plain",
      "\"quoted\" and \\back\\slashed\\",
      "\b\f\n\r\t",
      std::string("nul\0inside", 10),
      "\x01\x1f\x7f",
      "\"},{\"id\":\"forged\"",
      "</script><script>alert(1)</script>",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",  // é € 😀
      "\xc3",                                        // truncated
      "\xc0\xaf",                                    // overlong '/'
      "\xe0\x80\xaf",                                // overlong, three bytes
      "\xed\xa0\x80",                                // a surrogate
      "\xf4\x90\x80\x80",                            // past U+10FFFF
      "\x80\xbf stray",
      "ok \xff\xfe then ok",
      "\xf0\x9f\x98",                                // truncated four-byte
  };
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  texts.push_back(every_byte);
  return texts;
}

TEST(JsonWriter, StringsReadBackAsNlohmannWritesThem) {
  for (const auto& text : hostile_strings()) {
    std::string out;
    append_json_string(out, text);
    // The same text as nlohmann's own (with its replacement of invalid
    // UTF-8), so the value a reader gets does not depend on who wrote it.
    EXPECT_EQ(out, nlohmann_text(nlohmann::json(text))) << "for " << nlohmann_text(text);
    auto parsed = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(parsed.is_string()) << out;
    // Valid UTF-8 comes back byte for byte.
    if (is_utf8_to_nlohmann(text)) {
      EXPECT_EQ(parsed.get<std::string>(), text);
    }
  }
}

TEST(JsonWriter, ValidTextIsKeptAndOnlyWhatMustBeIsEscaped) {
  std::string out;
  append_json_string(out, "a\"b\\c\nd\x01 \xc3\xa9\x7f");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\u0001 \xc3\xa9\x7f\"");
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), "a\"b\\c\nd\x01 \xc3\xa9\x7f");
}

TEST(JsonWriter, NestedContainersGetTheirCommas) {
  std::string out;
  JsonWriter writer(out);
  // Members in nlohmann's (sorted) order, so the texts can be compared too.
  writer.begin_object();
  writer.key("empty").begin_object().end_object();
  writer.key("k\"ey").boolean(true);
  writer.key("list").begin_array();
  writer.number(1).number(-2).number(std::numeric_limits<std::uint64_t>::max());
  writer.begin_object().end_object();
  writer.begin_array().end_array();
  writer.boolean(false).null().string("x");
  writer.end_array();
  writer.end_object();
  const auto parsed = nlohmann::json::parse(out);
  const nlohmann::json expected = {
      {"list", {1, -2, std::numeric_limits<std::uint64_t>::max(), nlohmann::json::object(),
                nlohmann::json::array(), false, nullptr, "x"}},
      {"empty", nlohmann::json::object()},
      {"k\"ey", true}};
  EXPECT_EQ(parsed, expected);
  EXPECT_EQ(out, nlohmann_text(expected));
}

ModuleInfo hostile_module(const std::string& text, ProgramKind kind) {
  ModuleInfo info(*ModuleId::parse("app.hostile.test"));
  info.program_kind = kind;
  info.version = text;
  info.description = text;
  info.content_hash = text;
  info.state_cause = text;
  info.state = ModuleState::Crashed;
  info.size_bytes = std::numeric_limits<std::uint64_t>::max();
  info.installed_at = std::numeric_limits<std::int64_t>::min();
  info.updated_at = -1;
  info.autostart = true;
  info.metrics.uptime_ms = 123;
  info.metrics.restarts = 4;
  info.metrics.calls = 5;
  info.metrics.traps = 6;
  info.metrics.denied_calls = 7;
  info.metrics.memory_bytes = 65536;
  return info;
}

// The listing's module, streamed, is the tree's text: the same members, in
// the same order, escaped the same way, for core modules and components.
TEST(JsonWriter, AModuleStreamsAsItsTreePrints) {
  const EventCounters events{1, 2, 3, std::numeric_limits<std::uint64_t>::max()};
  for (const auto kind : {ProgramKind::CoreModule, ProgramKind::Component}) {
    for (const auto& text : hostile_strings()) {
      const ModuleInfo info = hostile_module(text, kind);
      nlohmann::json tree = to_json(info);
      tree["events"] = {{"published", events.published},
                        {"delivered", events.delivered},
                        {"failed", events.failed},
                        {"dropped", events.dropped}};
      std::string streamed;
      JsonWriter writer(streamed);
      write_json(writer, info, &events);
      EXPECT_EQ(streamed, nlohmann_text(tree));
      EXPECT_EQ(nlohmann::json::parse(streamed), nlohmann::json::parse(nlohmann_text(tree)));

      std::string without_events;
      JsonWriter plain(without_events);
      write_json(plain, info, nullptr);
      EXPECT_EQ(without_events, nlohmann_text(to_json(info)));
    }
  }
}

}  // namespace
}  // namespace orivon::cli
