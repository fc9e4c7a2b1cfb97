#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orivon/calls.h"

namespace orivon {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Names = std::vector<std::string>;

TEST(ResolveFunctionName, FindsAnExactName) {
  const Names exports = {"add", "app:stats/api#record", "record"};
  EXPECT_THAT(resolve_function_name("add", exports), ElementsAre("add"));
  // An exact name wins over an interface's function of the same name.
  EXPECT_THAT(resolve_function_name("record", exports), ElementsAre("record"));
  EXPECT_THAT(resolve_function_name("app:stats/api#record", exports),
              ElementsAre("app:stats/api#record"));
}

TEST(ResolveFunctionName, QualifiesANameWithItsInterface) {
  const Names exports = {"app:stats/api#record", "app:stats/api#total"};
  EXPECT_THAT(resolve_function_name("total", exports), ElementsAre("app:stats/api#total"));
}

TEST(ResolveFunctionName, ListsEveryInterfaceOfAnAmbiguousName) {
  const Names exports = {"a:b/one#get", "a:b/two#get", "a:b/two#set"};
  EXPECT_THAT(resolve_function_name("get", exports), ElementsAre("a:b/one#get", "a:b/two#get"));
}

TEST(ResolveFunctionName, FindsNothingForAnUnknownName) {
  const Names exports = {"a:b/one#get", "add"};
  EXPECT_THAT(resolve_function_name("sub", exports), IsEmpty());
  EXPECT_THAT(resolve_function_name("", exports), IsEmpty());
  // Only the part after the last '#' is a function name.
  EXPECT_THAT(resolve_function_name("one#get", exports), IsEmpty());
  EXPECT_THAT(resolve_function_name("get", Names{}), IsEmpty());
}

TEST(StoredFunctionNames, GivesTheNamesAGrantStores) {
  const Names stored = {"app:stats/api#record", "app:stats/api#total"};
  EXPECT_THAT(stored_function_names(Names{"total", "record"}, stored),
              ElementsAre("app:stats/api#record", "app:stats/api#total"));
}

TEST(StoredFunctionNames, KeepsWhatDoesNotResolveAsTyped) {
  const Names stored = {"a:b/one#get", "a:b/two#get"};
  EXPECT_THAT(stored_function_names(Names{"get", "nope"}, stored), ElementsAre("get", "nope"));
  // A grant of every function stores no names.
  EXPECT_THAT(stored_function_names(Names{"record"}, Names{}), ElementsAre("record"));
}

TEST(StoredFunctionNames, SortsAndDropsDuplicates) {
  const Names stored = {"app:stats/api#record"};
  EXPECT_THAT(stored_function_names(Names{"record", "app:stats/api#record", "zeta", "alpha"}, stored),
              ElementsAre("alpha", "app:stats/api#record", "zeta"));
  EXPECT_THAT(stored_function_names(Names{}, stored), IsEmpty());
}

}  // namespace
}  // namespace orivon
