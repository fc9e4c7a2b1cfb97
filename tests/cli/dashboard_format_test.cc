// The dashboard's pieces that need no host: reading --dashboard, the token
// file, the Prometheus text and the latency text.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "dashboard/access.h"
#include "dashboard/host_snapshot.h"
#include "support/process.h"

namespace orivon::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(DashboardAddress, ABarePortStaysOnLoopback) {
  auto address = parse_dashboard_address("8080");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 8080);
  address = parse_dashboard_address("0.0.0.0:0");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "0.0.0.0");
  EXPECT_EQ(address->port, 0);
  address = parse_dashboard_address("[::1]:9000");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "::1");
  EXPECT_EQ(format_address(address->host, address->port), "[::1]:9000");
}

TEST(DashboardAddress, MalformedAddressesSayWhatIsExpected) {
  for (const char* bad :
       {"", "abc", ":80", "host:", "host:65536", "host:-1", "::1:80", "1.2.3.4:8x"}) {
    auto address = parse_dashboard_address(bad);
    ASSERT_FALSE(address) << bad;
    EXPECT_EQ(address.error().code(), ErrorCode::InvalidArgument);
    EXPECT_THAT(address.error().message(), HasSubstr("HOST:PORT")) << bad;
  }
}

TEST(DashboardAddress, LoopbackNames) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("0.0.0.0"));
  EXPECT_FALSE(is_loopback_host("evil.example"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.example"));
}

TEST(DashboardToken, IsMadeOncePrivateAndKept) {
  testing::TempDir dir;
  EXPECT_EQ(read_dashboard_token(dir.path()).error().code(), ErrorCode::NotFound);
  auto token = ensure_dashboard_token(dir.path());
  ASSERT_TRUE(token) << token.error().to_string();
  EXPECT_EQ(token->size(), 64u);
  struct stat info {};
  ASSERT_EQ(::stat((dir.path() / "dashboard.token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(*ensure_dashboard_token(dir.path()), *token);
  EXPECT_EQ(*read_dashboard_token(dir.path()), *token);

  // Made readable by others: made private again, same token.
  ASSERT_EQ(::chmod((dir.path() / "dashboard.token").c_str(), 0644), 0);
  EXPECT_EQ(*ensure_dashboard_token(dir.path()), *token);
  ASSERT_EQ(::stat((dir.path() / "dashboard.token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  // Another directory, another token.
  testing::TempDir other;
  EXPECT_NE(*ensure_dashboard_token(other.path()), *token);
}

TEST(DashboardToken, AFileThatHoldsNoTokenIsRefused) {
  testing::TempDir dir;
  testing::write_text(dir.path() / "dashboard.token", "<script>\n");
  auto token = ensure_dashboard_token(dir.path());
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code(), ErrorCode::FailedPrecondition);
}

TEST(DashboardToken, ComparisonNeedsEveryCharacter) {
  EXPECT_TRUE(tokens_match("abc", "abc"));
  EXPECT_FALSE(tokens_match("abd", "abc"));
  EXPECT_FALSE(tokens_match("ab", "abc"));
  EXPECT_FALSE(tokens_match("", "abc"));
}

TEST(Prometheus, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escape_label_value("line\nbreak"), "line\\nbreak");
  EXPECT_EQ(escape_label_value("app.svc.test"), "app.svc.test");
}

TEST(Prometheus, ASnapshotBecomesFamiliesWithHelpTypeAndSamples) {
  HostSnapshot snapshot;
  snapshot.uptime_ms = 1500;
  snapshot.modules_by_state = {{"running", 1}, {"stopped", 0}};
  ModuleRow row;
  row.id = "app.svc.test";
  row.kind = "service";
  row.state = ModuleState::Running;
  row.metrics.calls = 3;
  row.metrics.call_durations.counts[2] = 2;  // <= 4 us
  row.metrics.call_durations.counts[5] = 1;  // <= 32 us
  row.metrics.call_durations.total_us = 40;
  snapshot.modules.push_back(row);
  const std::string text = to_prometheus(snapshot);
  EXPECT_THAT(text, HasSubstr("# TYPE orivon_module_calls_total counter\n"));
  EXPECT_THAT(text, HasSubstr("orivon_module_calls_total{module=\"app.svc.test\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("orivon_modules{state=\"running\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("orivon_host_uptime_seconds 1.5\n"));
  EXPECT_THAT(text, HasSubstr(
      "orivon_module_call_duration_seconds_bucket{module=\"app.svc.test\",le=\"4e-06\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(
      "orivon_module_call_duration_seconds_bucket{module=\"app.svc.test\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(
      "orivon_module_call_duration_seconds_count{module=\"app.svc.test\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(
      "orivon_module_call_duration_seconds_sum{module=\"app.svc.test\"} 4e-05\n"));
}

TEST(Prometheus, AHostOnNatsShowsItsLinkAndAHostAloneDoesNot) {
  HostSnapshot alone;
  EXPECT_THAT(to_prometheus(alone), Not(HasSubstr("orivon_cluster_")));
  EXPECT_FALSE(to_json(alone)["host"].contains("cluster"));

  HostSnapshot linked;
  ClusterReport cluster;
  cluster.url = "nats://127.0.0.1:4222";
  cluster.host = "b";
  cluster.state = "down";
  cluster.sent = 7;
  cluster.received = 5;
  cluster.outbox = 2;
  cluster.last_error = "lost the NATS server";
  linked.cluster = cluster;
  const std::string text = to_prometheus(linked);
  EXPECT_THAT(text, HasSubstr("orivon_cluster_connected 0\n"));
  EXPECT_THAT(text, HasSubstr("orivon_cluster_events_sent_total 7\n"));
  EXPECT_THAT(text, HasSubstr("orivon_cluster_events_received_total 5\n"));
  EXPECT_THAT(text, HasSubstr("orivon_cluster_outbox 2\n"));
  const auto json = to_json(linked)["host"]["cluster"];
  EXPECT_EQ(json["state"], "down");
  EXPECT_EQ(json["host"], "b");
  EXPECT_EQ(json["outbox"], 2);
  EXPECT_EQ(json["last_error"], "lost the NATS server");

  linked.cluster->state = "connected";
  EXPECT_THAT(to_prometheus(linked), HasSubstr("orivon_cluster_connected 1\n"));
}

TEST(LatencyText, ReadsBucketBounds) {
  CallDurations durations;
  EXPECT_EQ(latency_text(durations, 0.5), "-");
  durations.counts[4] = 1;  // <= 16 us
  EXPECT_EQ(latency_text(durations, 0.5), "<= 16 us");
  durations.counts[4] = 0;
  durations.counts[11] = 1;  // <= 2048 us
  EXPECT_EQ(latency_text(durations, 0.99), "<= 2.0 ms");
  durations.counts[11] = 0;
  durations.counts[CallDurations::kBuckets - 1] = 1;
  EXPECT_EQ(latency_text(durations, 0.99), "> 67.1 s");
}

}  // namespace
}  // namespace orivon::cli
