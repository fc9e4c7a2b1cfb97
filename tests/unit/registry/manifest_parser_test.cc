#include "orivon/manifest.h"
#include "orivon/service.h"
#include "registry/toml_nesting.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orivon {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using namespace std::string_view_literals;

// The manifest parsed from `text`; records a failure if parsing fails.
Manifest parse_ok(std::string_view text, ManifestFormat format) {
  auto manifest = parse_manifest(text, format);
  if (!manifest) {
    ADD_FAILURE() << "refused: " << manifest.error().message() << "\n--- input:\n" << text;
    return {};
  }
  return *std::move(manifest);
}

Manifest toml_ok(std::string_view text) { return parse_ok(text, ManifestFormat::Toml); }
Manifest json_ok(std::string_view text) { return parse_ok(text, ManifestFormat::Json); }

// The message of the error for `text`; records a failure if it parses.
std::string parse_error(std::string_view text, ManifestFormat format) {
  auto manifest = parse_manifest(text, format);
  if (manifest) {
    ADD_FAILURE() << "accepted:\n" << text;
    return "";
  }
  EXPECT_EQ(manifest.error().code(), ErrorCode::InvalidArgument) << text;
  return manifest.error().message();
}

std::string toml_error(std::string_view text) { return parse_error(text, ManifestFormat::Toml); }
std::string json_error(std::string_view text) { return parse_error(text, ManifestFormat::Json); }

Trigger make_trigger(Trigger::Kind kind, std::string call, std::string every = "",
                     std::string topic = "", std::string route = "") {
  Trigger trigger;
  trigger.kind = kind;
  trigger.call = std::move(call);
  trigger.every = std::move(every);
  trigger.topic = std::move(topic);
  trigger.route = std::move(route);
  return trigger;
}

constexpr std::string_view kFullToml = R"(
id = "bitcoin.node.metamask"          # optional if the client gives one
version = "1.2.0"
description = "A Bitcoin full node"
requests = ["fs:/srv/btc=/data:rw", "net:connect:*:8333"]

[config]                              # values the module reads
network = "mainnet"
max-peers = 8                         # scalars are kept as text
ratio = 0.25
verbose = true

[[triggers]]
kind = "timer"
every = "10s"
call = "tick"

[[triggers]]
kind = "startup"
call = "init"

[[triggers]]
kind = "event"
topic = "blocks.new"
call = "on_block"

[[triggers]]
kind = "http"
route = "/api"
call = "serve"

[[triggers]]
kind = "call"
call = "query"
)";

constexpr std::string_view kFullJson = R"({
  "id": "bitcoin.node.metamask",
  "version": "1.2.0",
  "description": "A Bitcoin full node",
  "requests": ["fs:/srv/btc=/data:rw", "net:connect:*:8333"],
  "config": {"network": "mainnet", "max-peers": 8, "ratio": 0.25, "verbose": true},
  "triggers": [
    {"kind": "timer", "every": "10s", "call": "tick"},
    {"kind": "startup", "call": "init"},
    {"kind": "event", "topic": "blocks.new", "call": "on_block"},
    {"kind": "http", "route": "/api", "call": "serve"},
    {"kind": "call", "call": "query"}
  ]
})";

Manifest full_manifest() {
  Manifest manifest;
  manifest.id = *ModuleId::parse("bitcoin.node.metamask");
  manifest.version = "1.2.0";
  manifest.description = "A Bitcoin full node";
  manifest.requests = {"fs:/srv/btc=/data:rw", "net:connect:*:8333"};
  manifest.config = {{"network", "mainnet"}, {"max-peers", "8"}, {"ratio", "0.25"},
                     {"verbose", "true"}};
  manifest.triggers = {
      make_trigger(Trigger::Kind::Timer, "tick", "10s"),
      make_trigger(Trigger::Kind::Startup, "init"),
      make_trigger(Trigger::Kind::Event, "on_block", "", "blocks.new"),
      make_trigger(Trigger::Kind::Http, "serve", "", "", "/api"),
      make_trigger(Trigger::Kind::Call, "query"),
  };
  return manifest;
}

// ---------------------------------------------------------------------------
// Well-formed manifests.

TEST(ManifestParser, ReadsAFullTomlManifest) { EXPECT_EQ(toml_ok(kFullToml), full_manifest()); }

TEST(ManifestParser, ReadsAFullJsonManifest) { EXPECT_EQ(json_ok(kFullJson), full_manifest()); }

TEST(ManifestParser, EverythingIsOptional) {
  EXPECT_EQ(toml_ok(""), Manifest{});
  EXPECT_EQ(toml_ok("# only a comment\n\n   \n"), Manifest{});
  EXPECT_EQ(json_ok("{}"), Manifest{});
  EXPECT_EQ(json_ok("  \n{ }\n"), Manifest{});
  EXPECT_EQ(toml_ok("requests = []\n[config]\n"), Manifest{});
  EXPECT_EQ(json_ok(R"({"requests": [], "config": {}, "triggers": []})"), Manifest{});
}

TEST(ManifestParser, IdIsParsedWithItsKind) {
  Manifest manifest = toml_ok(R"(id = "lib.math.orivon")");
  ASSERT_TRUE(manifest.id.has_value());
  EXPECT_EQ(manifest.id->str(), "lib.math.orivon");
  EXPECT_EQ(manifest.id->kind(), ModuleKind::Library);
}

TEST(ManifestParser, AcceptsInlineTablesForTriggers) {
  Manifest manifest = toml_ok(R"(triggers = [{ kind = "timer", every = "1m30s", call = "tick" }])");
  EXPECT_THAT(manifest.triggers, ElementsAre(make_trigger(Trigger::Kind::Timer, "tick", "1m30s")));
}

TEST(ManifestParser, RemovesDuplicateRequestsKeepingFirstOrder) {
  Manifest manifest = toml_ok(R"(requests = ["b", "a", "b", "c", "a", "b"])");
  EXPECT_THAT(manifest.requests, ElementsAre("b", "a", "c"));
  Manifest from_json = json_ok(R"({"requests": ["x", "x", "y", "x"]})");
  EXPECT_THAT(from_json.requests, ElementsAre("x", "y"));
}

TEST(ManifestParser, KeepsTomlConfigScalarsAsText) {
  Manifest manifest = toml_ok(R"(
[config]
name = "node"
empty = ""
count = 8
negative = -42
hex = 0x10
largest = 9223372036854775807
tenth = 0.1
whole = 2.0
huge = 1e300
tiny = 5e-324
negative-zero = -0.0
infinite = inf
minus-infinite = -inf
not-a-number = nan
on = true
off = false
multi_line = """
a
b"""
)");
  EXPECT_THAT(manifest.config,
              ElementsAre(Pair("count", "8"), Pair("empty", ""), Pair("hex", "16"),
                          Pair("huge", "1e+300"), Pair("infinite", "inf"),
                          Pair("largest", "9223372036854775807"), Pair("minus-infinite", "-inf"),
                          Pair("multi_line", "a\nb"), Pair("name", "node"),
                          Pair("negative", "-42"), Pair("negative-zero", "-0"),
                          Pair("not-a-number", "nan"), Pair("off", "false"), Pair("on", "true"),
                          Pair("tenth", "0.1"), Pair("tiny", "5e-324"), Pair("whole", "2")));
}

TEST(ManifestParser, KeepsJsonConfigScalarsAsText) {
  Manifest manifest = json_ok(R"({"config": {
    "name": "node", "count": 8, "negative": -42, "unsigned": 18446744073709551615,
    "tenth": 0.1, "whole": 2.0, "huge": 1e300, "on": true, "off": false}})");
  EXPECT_THAT(manifest.config,
              ElementsAre(Pair("count", "8"), Pair("huge", "1e+300"), Pair("name", "node"),
                          Pair("negative", "-42"), Pair("off", "false"), Pair("on", "true"),
                          Pair("tenth", "0.1"), Pair("unsigned", "18446744073709551615"),
                          Pair("whole", "2")));
}

TEST(ManifestParser, AcceptsTheLargestValues) {
  std::string toml = "version = \"" + std::string(64, 'v') + "\"\n";
  // Limits count characters, not bytes: 4096 two-byte characters fit.
  std::string description;
  for (int i = 0; i < 4096; ++i) description += "\xc3\xa9";
  toml += "description = \"" + description + "\"\n";
  toml += "requests = [";
  for (int i = 0; i < 255; ++i) toml += "\"r" + std::to_string(i) + "\",";
  toml += "\"" + std::string(1024, 'x') + "\"]\n";
  toml += "[config]\n" + std::string(128, 'k') + " = \"" + std::string(8192, 'c') + "\"\n";
  Manifest manifest = toml_ok(toml);
  EXPECT_EQ(manifest.version.size(), 64u);
  EXPECT_EQ(manifest.description, description);
  EXPECT_EQ(manifest.requests.size(), 256u);
  EXPECT_EQ(manifest.config.begin()->second.size(), 8192u);
}

TEST(ManifestParser, AcceptsExactly64KiB) {
  std::string toml = "version = \"1\"\n#";
  toml += std::string(64 * 1024 - toml.size(), 'x');
  ASSERT_EQ(toml.size(), 65536u);
  EXPECT_EQ(toml_ok(toml).version, "1");
}

TEST(ManifestParser, AcceptsManyConfigEntriesAndTriggersUpToTheLimit) {
  std::string toml = "[config]\n";
  for (int i = 0; i < 256; ++i) toml += "k" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  for (int i = 0; i < 256; ++i) toml += "[[triggers]]\nkind = \"call\"\ncall = \"f\"\n";
  Manifest manifest = toml_ok(toml);
  EXPECT_EQ(manifest.config.size(), 256u);
  EXPECT_EQ(manifest.triggers.size(), 256u);
}

TEST(ManifestParser, DescriptionMayHaveNewlinesAndTabs) {
  EXPECT_EQ(toml_ok("description = \"\"\"\nline one\n\tline two\"\"\"").description,
            "line one\n\tline two");
  EXPECT_EQ(json_ok(R"({"description": "a\r\nb"})").description, "a\r\nb");
}

// ---------------------------------------------------------------------------
// Malformed input.

TEST(ManifestParser, RefusesMalformedTomlWithItsLine) {
  EXPECT_THAT(toml_error("version = \"1.0\"\nrequests = [\"a\",\n  oops]\n"),
              AllOf(HasSubstr("invalid TOML at line 3"), HasSubstr("column")));
  EXPECT_THAT(toml_error("version = \"unterminated\n"), HasSubstr("invalid TOML at line 1"));
  EXPECT_THAT(toml_error("version = \"1\"\nversion = \"2\"\n"), HasSubstr("line 2"));
  EXPECT_THAT(toml_error("[config\n"), HasSubstr("invalid TOML"));
  EXPECT_THAT(toml_error("= 1"), HasSubstr("invalid TOML"));
  EXPECT_THAT(toml_error("version = \"\xff\""), HasSubstr("invalid TOML"));
  EXPECT_THAT(toml_error(kFullJson), HasSubstr("invalid TOML"));
}

// toml++ 3.3 asserts (or, optimized under clang, assumes) preconditions that
// these inputs break (marzer/tomlplusplus#301); they must be plain errors.
TEST(ManifestParser, RefusesTomlThatBreaksTomlPlusPlusPreconditions) {
  for (std::string_view text : {"[{a]", "[[[1]]]", "[[[a]]", "[[[]]", "[[=", "[ [a]]", "[\x01]",
                                "a = [1,}]", "a = [}]", "a = [,]", "a = {b = }", "a = [1 2]",
                                "requests = [\"x\",}  \"y\"]", "a = ", "a = #", "a = ]"}) {
    EXPECT_THAT(toml_error(text), HasSubstr("invalid TOML")) << text;
  }
}

TEST(ManifestParser, RefusesMalformedJsonWithItsLine) {
  EXPECT_THAT(json_error("{\n  \"version\": \"1.0\",\n}"),
              AllOf(HasSubstr("invalid JSON"), HasSubstr("line 3")));
  EXPECT_THAT(json_error(""), HasSubstr("invalid JSON"));
  EXPECT_THAT(json_error("   "), HasSubstr("invalid JSON"));
  EXPECT_THAT(json_error("{\"version\": \"1\"} trailing"), HasSubstr("invalid JSON"));
  EXPECT_THAT(json_error("{\"version\": '1'}"), HasSubstr("invalid JSON"));
  EXPECT_THAT(json_error("{\"version\": \"\xff\"}"), HasSubstr("invalid JSON"));
  EXPECT_THAT(json_error("{\"config\": {\"x\": 1e999}}"), HasSubstr("invalid JSON"));
  EXPECT_THAT(json_error("{\"version\": \"1\" // comment\n}"), HasSubstr("invalid JSON"));
  EXPECT_THAT(json_error(kFullToml), HasSubstr("invalid JSON"));
  EXPECT_THAT(json_error("{\"version\": \"1\""), HasSubstr("invalid JSON"));
}

TEST(ManifestParser, RefusesJsonThatIsNotAnObject) {
  EXPECT_THAT(json_error("[]"),
              HasSubstr("expected a JSON object at the top level, found an array"));
  EXPECT_THAT(json_error("\"id\""), HasSubstr("found a string"));
  EXPECT_THAT(json_error("42"), HasSubstr("found an integer"));
  EXPECT_THAT(json_error("4.5"), HasSubstr("found a float"));
  EXPECT_THAT(json_error("true"), HasSubstr("found a boolean"));
  EXPECT_THAT(json_error("null"), HasSubstr("found null"));
}

TEST(ManifestParser, RefusesDuplicateJsonKeys) {
  EXPECT_THAT(json_error(R"({"requests": ["a"], "requests": ["b"]})"),
              AllOf(HasSubstr("'requests'"), HasSubstr("twice")));
  EXPECT_THAT(json_error(R"({"config": {"a": 1, "a": 2}})"), HasSubstr("'a' appears twice"));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "call", "call": "f", "call": "g"}]})"),
              HasSubstr("'call' appears twice"));
  // The same key in different objects is fine.
  Manifest manifest = json_ok(
      R"({"triggers": [{"kind": "call", "call": "f"}, {"kind": "call", "call": "f"}]})");
  EXPECT_EQ(manifest.triggers.size(), 2u);
}

TEST(ManifestParser, SurvivesDeepJsonNesting) {
  for (int depth : {100, 1000, 30000}) {
    const std::string arrays = std::string(depth, '[') + std::string(depth, ']');
    EXPECT_THAT(json_error("{\"config\": {\"x\": " + arrays + "}}"),
                AllOf(HasSubstr("'config.x'"), HasSubstr("found an array")));
    EXPECT_THAT(json_error("{\"requests\": " + arrays + "}"),
                AllOf(HasSubstr("'requests[0]'"), HasSubstr("found an array")));
    EXPECT_THAT(json_error("{\"unknown\": " + arrays + "}"), HasSubstr("unknown key"));
    EXPECT_THAT(json_error(arrays), HasSubstr("found an array"));
    const int object_depth = std::min(depth, 10000);  // 6 bytes a level; stay under 64 KiB
    std::string objects;
    for (int i = 0; i < object_depth; ++i) objects += "{\"a\":";
    objects += "1" + std::string(object_depth, '}');
    EXPECT_THAT(json_error(objects), AllOf(HasSubstr("'a'"), HasSubstr("unknown key")));
  }
  // Unbalanced, right up to the size limit.
  EXPECT_THAT(json_error(std::string(64 * 1024, '[')), HasSubstr("invalid JSON"));
  std::string open_objects;
  while (open_objects.size() + 5 <= 64 * 1024) open_objects += "{\"a\":";
  EXPECT_THAT(json_error(open_objects), HasSubstr("invalid JSON"));
}

TEST(ManifestParser, SurvivesDeepTomlNesting) {
  // Past 32 levels the nesting check refuses before toml++ parses.
  EXPECT_THAT(toml_error("x = " + std::string(20000, '[') + std::string(20000, ']')),
              HasSubstr("nest more than 32 levels"));
  std::string inline_tables = "x = ";
  for (int i = 0; i < 20000; ++i) inline_tables += "{a=";
  EXPECT_THAT(toml_error(inline_tables), HasSubstr("nest more than 32 levels"));
  // Under it, toml++ parses and the validator names what is wrong.
  EXPECT_THAT(toml_error("[config]\nx = " + std::string(20, '[') + std::string(20, ']')),
              AllOf(HasSubstr("'config.x'"), HasSubstr("found an array")));
  EXPECT_THAT(toml_error("x = " + std::string(30, '[')), HasSubstr("invalid TOML"));
}

TEST(ManifestParser, RefusesInputOver64KiBBeforeParsing) {
  // Valid TOML that would otherwise parse: the size alone refuses it.
  std::string toml = "version = \"1\"\n#";
  toml += std::string(64 * 1024 + 1 - toml.size(), 'x');
  EXPECT_THAT(toml_error(toml), AllOf(HasSubstr("65537 bytes"), HasSubstr("64 KiB")));
  EXPECT_THAT(json_error("{}" + std::string(64 * 1024, ' ')), HasSubstr("65538 bytes"));
  EXPECT_THAT(toml_error(std::string(10 * 1024 * 1024, '[')), HasSubstr("at most 65536"));
}

TEST(ManifestParser, RefusesRawNulBytes) {
  EXPECT_THAT(toml_error("version = \"1\"\0\n"sv), HasSubstr("NUL byte at offset 13"));
  EXPECT_THAT(toml_error("version = \"a\0b\"\n"sv), HasSubstr("NUL byte"));
  EXPECT_THAT(json_error("{\"version\": \"a\0b\"}"sv), HasSubstr("NUL byte"));
  EXPECT_THAT(json_error("{}\0"sv), HasSubstr("NUL byte"));
  EXPECT_THAT(toml_error("\0"sv), HasSubstr("NUL byte at offset 0"));
}

TEST(ManifestParser, RefusesEscapedNulCharactersInStrings) {
  EXPECT_THAT(toml_error(R"(version = "1\u0000")"),
              AllOf(HasSubstr("'version'"), HasSubstr("NUL")));
  EXPECT_THAT(toml_error(R"(requests = ["net:connect\u0000:evil"])"),
              AllOf(HasSubstr("'requests[0]'"), HasSubstr("NUL")));
  EXPECT_THAT(json_error(R"({"description": "a\u0000b"})"),
              AllOf(HasSubstr("'description'"), HasSubstr("NUL")));
  EXPECT_THAT(json_error(R"({"config": {"x": "\u0000"}})"),
              AllOf(HasSubstr("'config.x'"), HasSubstr("NUL")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "call", "call": "f\u0000"}]})"),
              AllOf(HasSubstr("'triggers[0].call'"), HasSubstr("NUL")));
  EXPECT_THAT(json_error(R"({"id": "a.b.c\u0000"})"), AllOf(HasSubstr("'id'"), HasSubstr("NUL")));
}

TEST(ManifestParser, RefusesControlCharactersInSingleLineValues) {
  EXPECT_THAT(toml_error(R"(version = "1\u0007")"),
              AllOf(HasSubstr("'version'"), HasSubstr("U+0007")));
  EXPECT_THAT(json_error(R"({"requests": ["a\nb"]})"),
              AllOf(HasSubstr("'requests[0]'"), HasSubstr("single line")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "http", "route": "/a\tb", "call": "f"}]})"),
              HasSubstr("'triggers[0].route'"));
  EXPECT_THAT(json_error(R"({"description": "bell\u0007"})"), HasSubstr("U+0007"));
}

// ---------------------------------------------------------------------------
// Keys and types.

TEST(ManifestParser, RefusesUnknownTopLevelKeysAndSuggestsTheIntendedOne) {
  EXPECT_THAT(toml_error("reqeusts = [\"fs:/data\"]"),
              AllOf(HasSubstr("manifest key 'reqeusts' (line 1): unknown key"),
                    HasSubstr("did you mean 'requests'?"),
                    HasSubstr("id, version, description, requests, config, service, group, function, triggers")));
  EXPECT_THAT(json_error(R"({"trigger": []})"), HasSubstr("did you mean 'triggers'?"));
  EXPECT_THAT(json_error(R"({"name": "x"})"),
              AllOf(HasSubstr("'name'"), HasSubstr("unknown key"), Not(HasSubstr("did you"))));
  EXPECT_THAT(json_error(R"({"ab": "x"})"), Not(HasSubstr("did you")));
  EXPECT_THAT(json_error(R"({"ids": "x"})"), HasSubstr("did you mean 'id'?"));
  EXPECT_THAT(toml_error("[metadata]\nauthor = \"me\""), HasSubstr("'metadata'"));
  EXPECT_THAT(json_error(R"({"Requests": []})"), HasSubstr("'Requests'"));
  EXPECT_THAT(json_error("{\"\\u001b[31m\": 1}"), HasSubstr("'\\x1b[31m'"));
}

TEST(ManifestParser, ReportsTheLineOfTheOffendingTomlKey) {
  EXPECT_THAT(toml_error("id = \"a.b.c\"\n\nversion = 3\n"),
              HasSubstr("manifest key 'version' (line 3): expected a string, found an integer"));
  EXPECT_THAT(toml_error("[config]\nok = 1\nbad = [1]\n"), HasSubstr("'config.bad' (line 3)"));
  EXPECT_THAT(toml_error("[[triggers]]\nkind = \"call\"\ncall = \"f\"\n[[triggers]]\n"
                         "kind = \"timer\"\ncall = \"g\"\nevery = \"soon\"\n"),
              HasSubstr("'triggers[1].every' (line 7)"));
}

struct WrongType {
  std::string_view toml;
  std::string_view json;
  std::string_view key;                   // in the message
  std::string_view detail = "expected";  // in the message too
};

TEST(ManifestParser, RefusesWrongTypesForEveryKey) {
  const WrongType cases[] = {
      {"id = 1", R"({"id": 1})", "'id'"},
      {"id = [\"a.b.c\"]", R"({"id": ["a.b.c"]})", "'id'"},
      {"version = 1.5", R"({"version": 1.5})", "'version'", "expected a string, found a float"},
      {"version = true", R"({"version": null})", "'version'"},
      {"description = 1", R"({"description": {}})", "'description'"},
      {"requests = \"fs:/data\"", R"({"requests": "fs:/data"})", "'requests'"},
      {"requests = {a = 1}", R"({"requests": {"a": 1}})", "'requests'"},
      {"requests = [1]", R"({"requests": [1]})", "'requests[0]'",
       "expected a string, found an integer"},
      {"requests = [\"a\", [\"b\"]]", R"({"requests": ["a", ["b"]]})", "'requests[1]'"},
      {"config = 1", R"({"config": 1})", "'config'"},
      {"config = [\"a\"]", R"({"config": ["a"]})", "'config'"},
      {"[config]\nx = [1]", R"({"config": {"x": [1]}})",
       "'config.x'", "expected a string, integer, float or boolean, found an array"},
      {"[config.x]\ny = 1", R"({"config": {"x": {"y": 1}}})", "'config.x'"},
      {"[config]\nx.y = 1", R"({"config": {"x": null}})", "'config.x'"},
      {"triggers = 1", R"({"triggers": 1})", "'triggers'", "expected an array of "},
      {"[triggers]\nkind = \"call\"", R"({"triggers": {"kind": "call"}})", "'triggers'"},
      {"triggers = [\"tick\"]", R"({"triggers": ["tick"]})", "'triggers[0]'"},
      {"triggers = [[]]", R"({"triggers": [[]]})", "'triggers[0]'"},
      {"triggers = [{kind = 1, call = \"f\"}]", R"({"triggers": [{"kind": 1, "call": "f"}]})",
       "'triggers[0].kind'"},
      {"triggers = [{kind = \"call\", call = 1}]", R"({"triggers": [{"kind": "call", "call": 1}]})",
       "'triggers[0].call'"},
      {"triggers = [{kind = \"timer\", call = \"f\", every = 10}]",
       R"({"triggers": [{"kind": "timer", "call": "f", "every": 10}]})", "'triggers[0].every'"},
      {"triggers = [{kind = \"event\", call = \"f\", topic = []}]",
       R"({"triggers": [{"kind": "event", "call": "f", "topic": []}]})", "'triggers[0].topic'"},
      {"triggers = [{kind = \"http\", call = \"f\", route = false}]",
       R"({"triggers": [{"kind": "http", "call": "f", "route": false}]})", "'triggers[0].route'"},
  };
  for (const WrongType& c : cases) {
    EXPECT_THAT(toml_error(c.toml), AllOf(HasSubstr(c.key), HasSubstr(c.detail))) << c.toml;
    EXPECT_THAT(json_error(c.json), AllOf(HasSubstr(c.key), HasSubstr(c.detail))) << c.json;
  }
}

TEST(ManifestParser, NamesTypesInTheTermsOfTheFormat) {
  EXPECT_THAT(toml_error("version = {}"), HasSubstr("found a table"));
  EXPECT_THAT(toml_error("triggers = 1"), HasSubstr("expected an array of tables"));
  EXPECT_THAT(json_error(R"({"triggers": 1})"), HasSubstr("expected an array of objects"));
  EXPECT_THAT(json_error(R"({"version": {}})"), HasSubstr("found an object"));
  EXPECT_THAT(json_error(R"({"version": null})"), HasSubstr("found null"));
  EXPECT_THAT(toml_error("[config]\nwhen = 1979-05-27"), HasSubstr("found a date"));
  EXPECT_THAT(toml_error("[config]\nwhen = 07:32:00"), HasSubstr("found a time"));
  EXPECT_THAT(toml_error("[config]\nwhen = 1979-05-27T07:32:00Z"), HasSubstr("found a date-time"));
}

TEST(ManifestParser, RefusesBadIdsWithTheIdRules) {
  EXPECT_THAT(toml_error(R"(id = "Bitcoin.node.x")"),
              AllOf(HasSubstr("manifest key 'id' (line 1)"), HasSubstr("uppercase"),
                    HasSubstr("like 'bitcoin.node.metamask'")));
  EXPECT_THAT(json_error(R"({"id": "bitcoin.node"})"),
              AllOf(HasSubstr("'id'"), HasSubstr("2 segments")));
  EXPECT_THAT(json_error(R"({"id": ""})"), AllOf(HasSubstr("'id'"), HasSubstr("empty")));
  EXPECT_THAT(json_error(R"({"id": "a..b.c"})"), HasSubstr("two dots"));
  EXPECT_THAT(json_error(R"({"id": "a.b_c.d"})"), HasSubstr("underscore"));
  EXPECT_THAT(json_error(R"({"id": "a.b.c\u00e9"})"), HasSubstr("non-ASCII"));
  EXPECT_THAT(json_error("{\"id\": \"a.b." + std::string(300, 'c') + "\"}"),
              HasSubstr("304 characters"));
}

TEST(ManifestParser, RefusesOversizedValues) {
  EXPECT_THAT(toml_error("version = \"" + std::string(65, 'v') + "\""),
              AllOf(HasSubstr("'version'"), HasSubstr("65 characters"), HasSubstr("at most 64")));
  EXPECT_THAT(json_error("{\"description\": \"" + std::string(4097, 'd') + "\"}"),
              AllOf(HasSubstr("'description'"), HasSubstr("at most 4096")));
  EXPECT_THAT(json_error("{\"requests\": [\"" + std::string(1025, 'r') + "\"]}"),
              AllOf(HasSubstr("'requests[0]'"), HasSubstr("at most 1024")));
  std::string many = "requests = [";
  for (int i = 0; i < 257; ++i) many += "\"r\",";
  EXPECT_THAT(toml_error(many + "]"),
              AllOf(HasSubstr("'requests'"), HasSubstr("257 entries"), HasSubstr("at most 256")));
  std::string config = "[config]\n";
  for (int i = 0; i < 257; ++i) config += "k" + std::to_string(i) + " = 1\n";
  EXPECT_THAT(toml_error(config), AllOf(HasSubstr("'config'"), HasSubstr("257 entries")));
  EXPECT_THAT(toml_error("[config]\n" + std::string(129, 'k') + " = 1"),
              AllOf(HasSubstr("129 characters"), HasSubstr("1 to 128")));
  EXPECT_THAT(toml_error("[config]\nk = \"" + std::string(8193, 'c') + "\""),
              AllOf(HasSubstr("'config.k'"), HasSubstr("at most 8192")));
  std::string triggers;
  for (int i = 0; i < 257; ++i) triggers += "[[triggers]]\nkind = \"call\"\ncall = \"f\"\n";
  EXPECT_THAT(toml_error(triggers), AllOf(HasSubstr("'triggers'"), HasSubstr("257 entries")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "call", "call": ")" + std::string(1025, 'f') +
                         "\"}]}"),
              HasSubstr("'triggers[0].call'"));
  // Characters, not bytes: 65 two-byte characters are too many for a version.
  std::string accented;
  for (int i = 0; i < 65; ++i) accented += "\xc3\xa9";
  EXPECT_THAT(toml_error("version = \"" + accented + "\""), HasSubstr("65 characters"));
}

TEST(ManifestParser, RefusesEmptyRequests) {
  EXPECT_THAT(toml_error(R"(requests = ["a", ""])"),
              AllOf(HasSubstr("'requests[1]'"), HasSubstr("empty")));
}

TEST(ManifestParser, RefusesBadConfigNames) {
  EXPECT_THAT(toml_error("[config]\nMaxPeers = 1"),
              AllOf(HasSubstr("'config.MaxPeers'"), HasSubstr("uppercase letter 'M'"),
                    HasSubstr("like 'max-peers'")));
  EXPECT_THAT(toml_error("[config]\n\"\" = 1"), HasSubstr("the name is empty"));
  EXPECT_THAT(toml_error("[config]\n_x = 1"), HasSubstr("does not start with a letter or digit"));
  EXPECT_THAT(toml_error("[config]\n-x = 1"), HasSubstr("does not start with a letter or digit"));
  EXPECT_THAT(json_error(R"({"config": {"a.b": 1}})"),
              AllOf(HasSubstr("'config.a.b'"), HasSubstr("the character '.'")));
  EXPECT_THAT(json_error(R"({"config": {"a b": 1}})"),
              AllOf(HasSubstr("'config.a b'"), HasSubstr("the character ' '")));
  EXPECT_THAT(json_error(R"({"config": {"caf\u00e9": 1}})"), HasSubstr("'config.caf\\xc3\\xa9'"));
  EXPECT_EQ(toml_ok("[config]\n0_a-b9 = 1").config.count("0_a-b9"), 1u);
}

// ---------------------------------------------------------------------------
// Triggers.

TEST(ManifestParser, TriggersNeedAKnownKind) {
  EXPECT_THAT(toml_error("[[triggers]]\ncall = \"f\""),
              AllOf(HasSubstr("'triggers[0]' (line 1)"), HasSubstr("has no 'kind'")));
  EXPECT_THAT(toml_error("[[triggers]]\nkind = \"cron\"\ncall = \"f\""),
              AllOf(HasSubstr("'triggers[0].kind' (line 2)"), HasSubstr("'cron'"),
                    HasSubstr("startup, timer, event, http, call")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "Timer", "call": "f", "every": "1s"}]})"),
              HasSubstr("unknown trigger kind 'Timer'"));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "", "call": "f"}]})"),
              HasSubstr("'triggers[0].kind'"));
}

TEST(ManifestParser, TriggersNeedANonEmptyCall) {
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "startup"}]})"),
              AllOf(HasSubstr("'triggers[0]'"), HasSubstr("has no 'call'")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "startup", "call": ""}]})"),
              AllOf(HasSubstr("'triggers[0].call'"), HasSubstr("empty")));
}

TEST(ManifestParser, TimerTriggersNeedAPositiveDuration) {
  EXPECT_THAT(toml_error("triggers = [{kind = \"timer\", call = \"tick\"}]"),
              AllOf(HasSubstr("needs 'every'"), HasSubstr("'10s'")));
  EXPECT_THAT(toml_error("triggers = [{kind = \"timer\", call = \"tick\", every = \"soon\"}]"),
              AllOf(HasSubstr("'triggers[0].every'"), HasSubstr("invalid duration 'soon'")));
  EXPECT_THAT(toml_error("triggers = [{kind = \"timer\", call = \"tick\", every = \"\"}]"),
              HasSubstr("'triggers[0].every'"));
  EXPECT_THAT(toml_error("triggers = [{kind = \"timer\", call = \"tick\", every = \"0s\"}]"),
              HasSubstr("greater than zero"));
  EXPECT_THAT(toml_error("triggers = [{kind = \"timer\", call = \"tick\", every = \"-1s\"}]"),
              HasSubstr("invalid duration"));
  EXPECT_EQ(toml_ok("triggers = [{kind = \"timer\", call = \"tick\", every = \"250ms\"}]")
                .triggers.at(0)
                .every,
            "250ms");
}

TEST(ManifestParser, TimerTriggersTakeACronScheduleAndACatchUpPolicy) {
  const Manifest manifest = toml_ok(
      "[[triggers]]\nkind = \"timer\"\ncall = \"report\"\ncron = \"*/5 * * * *\"\n"
      "catch-up = \"once\"");
  EXPECT_EQ(manifest.triggers.at(0).cron, "*/5 * * * *");
  EXPECT_EQ(manifest.triggers.at(0).catch_up, "once");
  EXPECT_TRUE(manifest.triggers.at(0).every.empty());
  EXPECT_THAT(toml_error("triggers = [{kind = \"timer\", call = \"t\", cron = \"61 * * * *\"}]"),
              AllOf(HasSubstr("'triggers[0].cron'"), HasSubstr("minute field")));
  EXPECT_THAT(toml_error("triggers = [{kind = \"timer\", call = \"t\", every = \"1s\", "
                         "cron = \"* * * * *\"}]"),
              HasSubstr("'every' or 'cron', not both"));
  EXPECT_THAT(toml_error("triggers = [{kind = \"timer\", call = \"t\", every = \"1s\", "
                         "catch-up = \"all\"}]"),
              AllOf(HasSubstr("'triggers[0].catch-up'"), HasSubstr("expected none or once")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "event", "call": "f", "topic": "t",
                                           "cron": "* * * * *"}]})"),
              HasSubstr("does not apply to an event trigger"));
  // Both read back from the stored JSON.
  EXPECT_EQ(json_ok(manifest_to_json(manifest)), manifest);
}

TEST(ManifestParser, AFunctionTableDeclaresAFunctionModule) {
  EXPECT_FALSE(toml_ok("id = \"app.f.x\"").function.has_value());
  const Manifest empty = toml_ok("[function]");
  ASSERT_TRUE(empty.function.has_value());
  EXPECT_TRUE(empty.function->empty());
  EXPECT_EQ(json_ok(manifest_to_json(empty)), empty);

  const Manifest full = toml_ok(
      "[function]\nmax-instances = 4\ndeadline = \"250ms\"\nmax-memory = \"64MiB\"");
  EXPECT_EQ(full.function->at("max-instances"), "4");
  EXPECT_EQ(full.function->at("deadline"), "250ms");
  EXPECT_EQ(full.function->at("max-memory"), "64MiB");
  EXPECT_EQ(json_ok(manifest_to_json(full)), full);

  EXPECT_THAT(toml_error("[function]\nmax-instances = 0"),
              AllOf(HasSubstr("'function.max-instances'"), HasSubstr("from 1 to 1024")));
  EXPECT_THAT(toml_error("[function]\nmax-instances = 5000"), HasSubstr("from 1 to 1024"));
  EXPECT_THAT(toml_error("[function]\nmax-instances = \"4\""), HasSubstr("from 1 to 1024"));
  EXPECT_THAT(toml_error("[function]\ndeadline = \"0s\""), HasSubstr("greater than zero"));
  EXPECT_THAT(toml_error("[function]\nmax-memory = \"lots\""), HasSubstr("'function.max-memory'"));
  EXPECT_THAT(toml_error("[function]\ndeadlin = \"1s\""), HasSubstr("did you mean 'deadline'?"));
  EXPECT_THAT(toml_error("function = 3"), HasSubstr("'function'"));
}

TEST(ManifestParser, EventTriggersNeedATopic) {
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "event", "call": "f"}]})"),
              HasSubstr("needs 'topic'"));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "event", "call": "f", "topic": ""}]})"),
              HasSubstr("'triggers[0].topic'"));
}

TEST(ManifestParser, HttpTriggersNeedARouteStartingWithSlash) {
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "http", "call": "f"}]})"),
              HasSubstr("needs 'route'"));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "http", "call": "f", "route": "api"}]})"),
              AllOf(HasSubstr("'triggers[0].route'"), HasSubstr("start with '/'")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "http", "call": "f", "route": ""}]})"),
              HasSubstr("'triggers[0].route'"));
  EXPECT_EQ(json_ok(R"({"triggers": [{"kind": "http", "call": "f", "route": "/"}]})")
                .triggers.at(0)
                .route,
            "/");
}

TEST(ManifestParser, HttpTriggersTakeAHostAndNeedNoCall) {
  const Manifest manifest =
      json_ok(R"({"triggers": [{"kind": "http", "route": "api.example.com/v1"}]})");
  ASSERT_EQ(manifest.triggers.size(), 1u);
  EXPECT_EQ(manifest.triggers[0].route, "api.example.com/v1");
  EXPECT_EQ(manifest.triggers[0].call, "");
  // As the registry stores it and reads it back.
  EXPECT_EQ(json_ok(manifest_to_json(manifest)), manifest);
  // Other kinds still need a call.
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "timer", "every": "1s"}]})"),
              HasSubstr("has no 'call'"));
}

TEST(ManifestParser, RefusesKeysThatDoNotBelongToTheTriggerKind) {
  EXPECT_THAT(
      toml_error(R"(triggers = [{kind = "event", call = "f", topic = "t", every = "1s"}])"),
      AllOf(HasSubstr("'triggers[0].every'"), HasSubstr("does not apply to an event trigger"),
            HasSubstr("an event trigger has only kind, call, topic")));
  EXPECT_THAT(
      json_error(R"({"triggers": [{"kind": "timer", "call": "f", "every": "1s", "topic": "t"}]})"),
      HasSubstr("'triggers[0].topic'"));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "startup", "call": "f", "route": "/"}]})"),
              AllOf(HasSubstr("'triggers[0].route'"), HasSubstr("kind, call")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "call", "call": "f", "every": "1s"}]})"),
              HasSubstr("'triggers[0].every'"));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "call", "call": "f", "cal": "g"}]})"),
              AllOf(HasSubstr("'triggers[0].cal'"), HasSubstr("unknown key"),
                    HasSubstr("did you mean 'call'?")));
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "timer", "call": "f", "evry": "1s"}]})"),
              HasSubstr("did you mean 'every'?"));
}

TEST(ManifestParser, ReportsTheRightTriggerIndex) {
  EXPECT_THAT(json_error(R"({"triggers": [{"kind": "call", "call": "f"},
                                          {"kind": "call", "call": "g"},
                                          {"kind": "http", "call": "h", "route": "x"}]})"),
              HasSubstr("'triggers[2].route'"));
}

// ---------------------------------------------------------------------------
// Formats and serialization.

TEST(ManifestParser, ChoosesTheFormatFromTheFileName) {
  EXPECT_EQ(manifest_format_for("orivon.json"), ManifestFormat::Json);
  EXPECT_EQ(manifest_format_for("ORIVON.JSON"), ManifestFormat::Json);
  EXPECT_EQ(manifest_format_for("dir/m.Json"), ManifestFormat::Json);
  EXPECT_EQ(manifest_format_for(".json"), ManifestFormat::Json);
  EXPECT_EQ(manifest_format_for("orivon.toml"), ManifestFormat::Toml);
  EXPECT_EQ(manifest_format_for("orivon"), ManifestFormat::Toml);
  EXPECT_EQ(manifest_format_for("json"), ManifestFormat::Toml);
  EXPECT_EQ(manifest_format_for("x.json.toml"), ManifestFormat::Toml);
  EXPECT_EQ(manifest_format_for("x.jsonl"), ManifestFormat::Toml);
  EXPECT_EQ(manifest_format_for(""), ManifestFormat::Toml);
}

TEST(ManifestParser, SerializesAnEmptyManifestAsAnEmptyObject) {
  EXPECT_EQ(manifest_to_json(Manifest{}), "{}");
}

TEST(ManifestParser, SerializesInAReadableKeyOrder) {
  const std::string json = manifest_to_json(full_manifest());
  EXPECT_LT(json.find("\"id\""), json.find("\"version\""));
  EXPECT_LT(json.find("\"version\""), json.find("\"description\""));
  EXPECT_LT(json.find("\"description\""), json.find("\"requests\""));
  EXPECT_LT(json.find("\"requests\""), json.find("\"config\""));
  EXPECT_LT(json.find("\"config\""), json.find("\"triggers\""));
  EXPECT_THAT(json, HasSubstr("\"max-peers\": \"8\""));
}

void expect_round_trip(const Manifest& manifest) {
  const std::string json = manifest_to_json(manifest);
  auto again = parse_manifest(json, ManifestFormat::Json);
  ASSERT_TRUE(again) << again.error().message() << "\n" << json;
  EXPECT_EQ(*again, manifest) << json;
}

TEST(ManifestParser, JsonRoundTripsManifestsReadFromToml) {
  const std::string_view inputs[] = {
      "",
      kFullToml,
      R"(id = "group.network.btc-1-0")",
      "description = \"\"\"\nMulti\n\tline \xe2\x9c\x93 \"quoted\" \\\\ back\"\"\"",
      R"(requests = ["b", "a", "b", "net:connect:*:8333", "unicode:\u00e9\u4e2d"])",
      R"(
[config]
float = 0.1
whole = 3.0
huge = -1.7976931348623157e308
tiny = 5e-324
nan = nan
inf = -inf
int = -9223372036854775808
bool = false
text = "with \"quotes\" and \\ and a \t tab"
)",
      R"(triggers = [
  {kind = "startup", call = "init"},
  {kind = "timer", call = "tick", every = "1h30m"},
  {kind = "event", call = "on", topic = "a.b"},
  {kind = "http", call = "serve", route = "/x/y?z"},
  {kind = "call", call = "q"},
])",
  };
  for (std::string_view input : inputs) {
    auto manifest = parse_manifest(input, ManifestFormat::Toml);
    if (!manifest) {
      // Inputs here must all be valid; a refusal is itself a failure.
      ADD_FAILURE() << manifest.error().message() << "\n" << input;
      continue;
    }
    expect_round_trip(*manifest);
  }
}

TEST(ManifestParser, JsonRoundTripsManifestsReadFromJson) {
  const std::string_view inputs[] = {
      "{}",
      kFullJson,
      R"({"id": "lib.math.orivon", "version": "", "description": ""})",
      R"({"config": {"u": 18446744073709551615, "f": 1e-7, "s": "\u00e9\n", "b": true}})",
      R"({"requests": ["x", "y", "x"], "triggers": [{"kind": "call", "call": "f"}]})",
  };
  for (std::string_view input : inputs) {
    auto manifest = parse_manifest(input, ManifestFormat::Json);
    if (!manifest) {
      ADD_FAILURE() << manifest.error().message() << "\n" << input;
      continue;
    }
    expect_round_trip(*manifest);
  }
}

TEST(ManifestParser, TomlAndJsonOfTheSameManifestAgree) {
  EXPECT_EQ(toml_ok(kFullToml), json_ok(manifest_to_json(toml_ok(kFullToml))));
  EXPECT_EQ(toml_ok("[config]\nx = 1.5\ny = 7"), json_ok(R"({"config": {"x": 1.5, "y": 7}})"));
}

TEST(ManifestParser, SerializingMalformedUtf8DoesNotThrow) {
  Manifest manifest;
  manifest.description = "bad \xff byte";
  std::string json;
  EXPECT_NO_THROW(json = manifest_to_json(manifest));
  EXPECT_THAT(json, HasSubstr("description"));
}

}  // namespace
}  // namespace orivon

namespace orivon {
namespace {

TEST(ManifestService, ReadsAndRoundTripsServiceSettings) {
  auto manifest = parse_manifest(
      "[service]\nrestart = \"never\"\nrestart-budget = 3\nrestart-backoff = \"50ms\"\n"
      "stop-grace = \"1s\"\ncall-deadline = \"5s\"\nmax-memory = \"64MiB\"\n",
      ManifestFormat::Toml);
  ASSERT_TRUE(manifest) << manifest.error().to_string();
  EXPECT_EQ(manifest->service.at("restart"), "never");
  EXPECT_EQ(manifest->service.at("restart-budget"), "3");
  auto again = parse_manifest(manifest_to_json(*manifest), ManifestFormat::Json);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(*again, *manifest);
  auto settings = service_settings_from(*manifest);
  ASSERT_TRUE(settings);
  EXPECT_EQ(settings->restart.policy, RestartPolicy::Never);
  EXPECT_EQ(settings->restart.budget, 3);
  EXPECT_EQ(settings->restart.initial_backoff, std::chrono::milliseconds(50));
  EXPECT_EQ(settings->stop_grace, std::chrono::milliseconds(1000));
  EXPECT_EQ(settings->call_deadline, std::chrono::milliseconds(5000));
  EXPECT_EQ(settings->max_memory_bytes, 64ull << 20);
}

TEST(ManifestService, RefusesBadServiceSettings) {
  for (const char* text : {"service = 3\n", "[service]\nrestart = \"sometimes\"\n",
                           "[service]\nrestart-budget = -1\n", "[service]\nrestart-budget = \"5\"\n",
                           "[service]\nstop-grace = \"soon\"\n", "[service]\nmax-memory = \"lots\"\n",
                           "[service]\nretsart = \"never\"\n"}) {
    auto manifest = parse_manifest(text, ManifestFormat::Toml);
    ASSERT_FALSE(manifest) << text;
    EXPECT_EQ(manifest.error().code(), ErrorCode::InvalidArgument) << text;
    EXPECT_NE(manifest.error().to_string().find("service"), std::string::npos) << text;
  }
}


// Found by fuzzing from outside (issue #12): a table header or a dotted key
// nested some 32,000 levels fits in 64 KiB and overflowed toml++'s stack
// (SIGSEGV in toml::parse). Such a manifest is refused before parsing.
std::string repeated(std::string_view part, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += part;
  return out;
}

TEST(ManifestParser, RefusesDeeplyNestedTableHeadersWithoutCrashing) {
  const std::string text = "id = \"lib.a.b\"\n[" + repeated("a.", 32'000) + "a]\n";
  ASSERT_LE(text.size(), 64u * 1024);
  EXPECT_THAT(toml_error(text), HasSubstr("nest more than 32 levels"));
  const std::string arrays = "[[" + repeated("a.", 32'000) + "a]]\n";
  EXPECT_THAT(toml_error(arrays), HasSubstr("nest more than 32 levels"));
}

TEST(ManifestParser, RefusesDeeplyDottedKeysWithoutCrashing) {
  EXPECT_THAT(toml_error("[config]\n" + repeated("a.", 32'000) + "a = 1\n"),
              HasSubstr("nest more than 32 levels"));
  // Dotted keys inside nested inline tables add up.
  std::string inline_tables = "x = ";
  for (int i = 0; i < 40; ++i) inline_tables += "{" + repeated("k.", 4) + "k = ";
  inline_tables += "1" + repeated("}", 40) + "\n";
  EXPECT_THAT(toml_error(inline_tables), HasSubstr("nest more than 32 levels"));
  EXPECT_THAT(toml_error("x = " + repeated("[", 20'000) + "\n"), HasSubstr("nest more than"));
}

TEST(ManifestParser, NestingCheckIgnoresDotsInStringsAndComments) {
  const std::string dots = repeated("a.", 200);
  const Manifest manifest = toml_ok("id = \"lib.a.b\"\n"
                                    "description = \"" + dots + "\"\n"
                                    "version = '1.2.3'\n"
                                    "# " + dots + "\n"
                                    "[config]\n"
                                    "text = '''" + dots + "\n" + dots + "'''\n"
                                    "more = \"\"\"" + dots + "\\\"\"\"\"\n"
                                    "ratio = 1.5\n"
                                    "[service]\n"
                                    "restart = \"never\"\n");
  EXPECT_EQ(manifest.description, dots);
  EXPECT_EQ(manifest.config.count("ratio"), 1u);
}

TEST(TomlNesting, CountsEachLevelAndRefusesOnePastTheLimit) {
  const auto depth = [](const std::string& text) { return registry::toml_nesting_depth(text, 1000); };
  EXPECT_EQ(depth("a = 1\n"), 1u);
  EXPECT_EQ(depth("[a.b]\nc.d = 1\n"), 4u);
  EXPECT_EQ(depth("[[a.b]]\n"), 3u);
  // x and its table, a.b and its array: containers count one more than the
  // tables they are (a safe over-estimate).
  EXPECT_EQ(depth("x = {a.b = [1]}\n"), 5u);
  EXPECT_EQ(depth("s = \"a.b.c.d\" # e.f.g.h\n"), 1u);
  // 32 levels parse as TOML (the manifest then refuses the unknown table);
  // 33 are refused before parsing.
  const std::string at_limit = "[" + repeated("a.", 31) + "a]\n";
  EXPECT_EQ(depth(at_limit), 32u);
  EXPECT_THAT(toml_error(at_limit), Not(HasSubstr("nest more than")));
  EXPECT_THAT(toml_error("[" + repeated("a.", 32) + "a]\n"), HasSubstr("nest more than 32 levels"));
}

}  // namespace
}  // namespace orivon
