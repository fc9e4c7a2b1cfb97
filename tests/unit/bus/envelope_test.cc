// The envelope an event travels in between hosts (bus/nats_event_bus.h):
// every field round-trips, and bytes from the network that are not a whole
// envelope are refused with a clear error.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bus/nats_event_bus.h"
#include "cluster/nats_link.h"

namespace orivon::bus {
namespace {

using ::testing::HasSubstr;

std::vector<std::uint8_t> bytes(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

Envelope full() {
  Envelope envelope;
  envelope.origin = "host-a";
  envelope.publisher = "app.orders.publisher";
  envelope.hops = 3;
  envelope.message.topic = "orders.eu.created";
  envelope.message.data = {0, 1, 2, 255, 'x'};
  envelope.message.content_type = "application/octet-stream";
  envelope.message.metadata = {{"b", "2"}, {"a", ""}, {"b", "again"}};
  return envelope;
}

TEST(Envelope, EveryFieldRoundTrips) {
  const Envelope sent = full();
  auto got = decode_envelope(bytes(encode_envelope(sent)));
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->origin, sent.origin);
  EXPECT_EQ(got->publisher, sent.publisher);
  EXPECT_EQ(got->hops, 3u);
  EXPECT_EQ(got->message, sent.message);

  Envelope bare;
  bare.origin = "h";
  bare.publisher = "client";
  bare.message.topic = "t";
  auto empty = decode_envelope(bytes(encode_envelope(bare)));
  ASSERT_TRUE(empty) << empty.error().to_string();
  EXPECT_FALSE(empty->message.content_type.has_value());
  EXPECT_TRUE(empty->message.data.empty());
  EXPECT_TRUE(empty->message.metadata.empty());
}

TEST(Envelope, AnythingButAWholeEnvelopeIsRefused) {
  const std::string whole = encode_envelope(full());
  // Every cut is refused, as are bytes past the end.
  for (std::size_t size = 0; size < whole.size(); ++size) {
    auto cut = decode_envelope(bytes(whole.substr(0, size)));
    ASSERT_FALSE(cut) << size;
    EXPECT_EQ(cut.error().code(), ErrorCode::InvalidArgument);
  }
  auto longer = decode_envelope(bytes(whole + "!"));
  ASSERT_FALSE(longer);
  EXPECT_THAT(longer.error().message(), HasSubstr("past its end"));

  std::string other_version = whole;
  other_version[0] = 9;
  auto version = decode_envelope(bytes(other_version));
  ASSERT_FALSE(version);
  EXPECT_THAT(version.error().message(), HasSubstr("envelope version 9"));

  // A length field claiming 4 GiB of topic.
  std::string huge = whole.substr(0, 1) + std::string("\xff\xff\xff\xff", 4);
  EXPECT_FALSE(decode_envelope(bytes(huge)));

  // What a local publish refuses is refused from the network too.
  Envelope bad_topic = full();
  bad_topic.message.topic = "orders.*";
  auto wildcard = decode_envelope(bytes(encode_envelope(bad_topic)));
  ASSERT_FALSE(wildcard);
  EXPECT_EQ(wildcard.error().code(), ErrorCode::InvalidArgument);
  Envelope too_much = full();
  too_much.message.metadata.assign(65, {"k", "v"});
  EXPECT_FALSE(decode_envelope(bytes(encode_envelope(too_much))));
}

TEST(SubjectPrefix, TokensOnly) {
  for (const char* good : {"orivon", "app.prod", "a-b_c.d1"}) {
    EXPECT_TRUE(cluster::check_subject_prefix(good)) << good;
  }
  for (const char* bad : {"", ".", "a.", ".a", "a..b", "a b", "a.*", "a.>", "ä"}) {
    auto checked = cluster::check_subject_prefix(bad);
    ASSERT_FALSE(checked) << bad;
    EXPECT_THAT(checked.error().message(), HasSubstr("subject prefix"));
  }
}

}  // namespace
}  // namespace orivon::bus
