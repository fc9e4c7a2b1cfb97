// build_wasi_config: what a profile's network part turns into.

#include "wasi/wasi_config_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orivon::wasi {
namespace {

using ::testing::HasSubstr;

TEST(WasiConfigBuilder, AcceptsNetworkRules) {
  WasiProfile profile;
  profile.network = Network::Rules;
  profile.net_rules = {NetRule{NetRule::Kind::Connect, "10.0.0.0/8", 443, 443},
                       NetRule{NetRule::Kind::Listen, "*", 8080, 8080}};
  EXPECT_TRUE(build_wasi_config(profile));
  profile.net_rules.clear();  // no rules: every address refused, still valid
  EXPECT_TRUE(build_wasi_config(profile));
}

TEST(WasiConfigBuilder, RefusesMalformedNetworkRules) {
  WasiProfile profile;
  profile.network = Network::Rules;
  profile.net_rules = {NetRule{NetRule::Kind::Connect, "10.0.0.0/99", 443, 443}};
  auto config = build_wasi_config(profile);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(config.error().to_string(), HasSubstr("10.0.0.0/99"));
}

}  // namespace
}  // namespace orivon::wasi
