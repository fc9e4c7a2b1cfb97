#include "orivon/ids.h"

#include <set>
#include <string>
#include <string_view>
#include <unordered_set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orivon {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// The message of the error parse() gives for `text`; fails the test if it
// succeeds.
std::string parse_error(std::string_view text) {
  auto id = ModuleId::parse(text);
  if (id) {
    ADD_FAILURE() << "'" << text << "' was accepted";
    return "";
  }
  EXPECT_EQ(id.error().code(), ErrorCode::InvalidArgument) << text;
  return id.error().message();
}

TEST(ModuleId, AcceptsReverseDnsIds) {
  for (const char* text : {"bitcoin.node.metamask", "lib.math.orivon", "group.network.btc-1-0",
                           "a.b.c", "0.1.2", "com.example.app.extra", "x-y.z9.q-", "a.b.9c"}) {
    auto id = ModuleId::parse(text);
    ASSERT_TRUE(id) << text << ": " << id.error().message();
    EXPECT_EQ(id->str(), text);
  }
}

TEST(ModuleId, GivesTheKindFromTheFirstSegment) {
  EXPECT_EQ(ModuleId::parse("lib.math.orivon")->kind(), ModuleKind::Library);
  EXPECT_EQ(ModuleId::parse("group.network.btc")->kind(), ModuleKind::Group);
  EXPECT_EQ(ModuleId::parse("bitcoin.node.metamask")->kind(), ModuleKind::Service);
  // Only the whole first segment counts.
  EXPECT_EQ(ModuleId::parse("libs.x.y")->kind(), ModuleKind::Service);
  EXPECT_EQ(ModuleId::parse("library.x.y")->kind(), ModuleKind::Service);
  EXPECT_EQ(ModuleId::parse("groups.x.y")->kind(), ModuleKind::Service);
  EXPECT_EQ(ModuleId::parse("x.lib.y")->kind(), ModuleKind::Service);
  EXPECT_EQ(ModuleId::parse("x.y.lib")->kind(), ModuleKind::Service);
  EXPECT_EQ(ModuleId::parse("x.group.y")->kind(), ModuleKind::Service);
}

TEST(ModuleId, NamesKinds) {
  EXPECT_EQ(module_kind_name(ModuleKind::Service), "service");
  EXPECT_EQ(module_kind_name(ModuleKind::Library), "library");
  EXPECT_EQ(module_kind_name(ModuleKind::Group), "group");
}

TEST(ModuleId, RefusesEmpty) {
  EXPECT_THAT(parse_error(""), AllOf(HasSubstr("''"), HasSubstr("empty")));
}

TEST(ModuleId, RefusesTooFewSegments) {
  EXPECT_THAT(parse_error("bitcoin"), HasSubstr("it has 1 segment;"));
  EXPECT_THAT(parse_error("bitcoin.node"), HasSubstr("it has 2 segments"));
  EXPECT_THAT(parse_error("lib.math"), HasSubstr("it has 2 segments"));
}

TEST(ModuleId, RefusesEmptySegments) {
  EXPECT_THAT(parse_error(".bitcoin.node.x"), HasSubstr("starts with a dot"));
  EXPECT_THAT(parse_error("bitcoin.node.x."), HasSubstr("ends with a dot"));
  EXPECT_THAT(parse_error("bitcoin..node.x"), HasSubstr("two dots in a row"));
  EXPECT_THAT(parse_error("."), HasSubstr("dot"));
  EXPECT_THAT(parse_error("..."), HasSubstr("dot"));
}

TEST(ModuleId, RefusesUppercase) {
  EXPECT_EQ(parse_error("Bitcoin.node"),
            "invalid module id 'Bitcoin.node': segment 1 'Bitcoin' has an uppercase letter 'B'; "
            "ids are reverse-DNS like 'bitcoin.node.metamask': at least 3 dot-separated segments "
            "of a-z, 0-9 and '-', each starting with a letter or digit, at most 255 characters");
  EXPECT_THAT(parse_error("bitcoin.Node.metamask"),
              HasSubstr("segment 2 'Node' has an uppercase letter 'N'"));
}

TEST(ModuleId, RefusesUnderscore) {
  EXPECT_THAT(parse_error("bitcoin.full_node.x"),
              HasSubstr("segment 2 'full_node' has an underscore"));
}

TEST(ModuleId, RefusesSpaces) {
  EXPECT_THAT(parse_error("bitcoin.full node.x"), HasSubstr("has a space"));
  EXPECT_THAT(parse_error(" bitcoin.node.x"), HasSubstr("has a space"));
  EXPECT_THAT(parse_error("bitcoin.node.x "), HasSubstr("has a space"));
  EXPECT_THAT(parse_error("bitcoin.node.\tx"), HasSubstr("control character"));
}

TEST(ModuleId, RefusesNonAsciiAndShowsItEscaped) {
  const std::string message = parse_error("caf\xc3\xa9.node.x");
  EXPECT_THAT(message, HasSubstr("non-ASCII"));
  EXPECT_THAT(message, HasSubstr("'caf\\xc3\\xa9.node.x'"));
  EXPECT_THAT(parse_error("bitcoin.node.\xff"), HasSubstr("non-ASCII"));
}

TEST(ModuleId, RefusesNulBytes) {
  using namespace std::string_view_literals;
  const std::string message = parse_error("bitcoin.node\0.evil"sv);
  EXPECT_THAT(message, HasSubstr("NUL"));
  EXPECT_THAT(message, HasSubstr("bitcoin.node\\x00.evil"));
  EXPECT_THAT(parse_error("\0"sv), HasSubstr("NUL"));
}

TEST(ModuleId, RefusesOtherPunctuation) {
  for (const char* text : {"bitcoin.node.x/y", "bitcoin.node.x:y", "bitcoin.no!de.x",
                           "bitcoin.node.x+y", "bitcoin.node.x@y", "bitcoin.node.x\\y"}) {
    EXPECT_THAT(parse_error(text), HasSubstr("has the character")) << text;
  }
}

TEST(ModuleId, RefusesSegmentStartingWithHyphen) {
  EXPECT_THAT(parse_error("bitcoin.-node.x"), HasSubstr("segment 2 '-node' starts with '-'"));
  EXPECT_THAT(parse_error("-bitcoin.node.x"), HasSubstr("segment 1"));
  EXPECT_THAT(parse_error("bitcoin.node.-"), HasSubstr("segment 3"));
}

TEST(ModuleId, AcceptsExactly255Characters) {
  const std::string id = "a.b." + std::string(ModuleId::kMaxLength - 4, 'c');
  ASSERT_EQ(id.size(), 255u);
  auto parsed = ModuleId::parse(id);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->str(), id);
}

TEST(ModuleId, RefusesOver255CharactersWithoutEchoingThemAll) {
  const std::string id = "a.b." + std::string(ModuleId::kMaxLength - 3, 'c');
  ASSERT_EQ(id.size(), 256u);
  const std::string message = parse_error(id);
  EXPECT_THAT(message, HasSubstr("256 characters long"));
  EXPECT_THAT(message, HasSubstr("..."));
  EXPECT_LT(message.size(), 400u);
  EXPECT_THAT(parse_error(std::string(100'000, 'a')), HasSubstr("100000 characters"));
}

TEST(ModuleId, EveryErrorShowsAGoodExample) {
  for (std::string_view text : {"", "a", "a..b.c", "A.b.c", "a_b.c.d", "-a.b.c", "a.b"}) {
    EXPECT_THAT(parse_error(text), HasSubstr("like 'bitcoin.node.metamask'")) << text;
  }
}

TEST(ModuleId, ComparesAndHashesByText) {
  auto a = *ModuleId::parse("a.b.c");
  auto a2 = *ModuleId::parse("a.b.c");
  auto b = *ModuleId::parse("a.b.d");
  EXPECT_EQ(a, a2);
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  std::set<ModuleId> ordered = {b, a, a2};
  EXPECT_EQ(ordered.size(), 2u);
  std::unordered_set<ModuleId> hashed = {b, a, a2};
  EXPECT_EQ(hashed.size(), 2u);
  EXPECT_TRUE(hashed.contains(*ModuleId::parse("a.b.d")));
}

}  // namespace
}  // namespace orivon
