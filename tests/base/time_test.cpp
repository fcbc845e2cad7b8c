#include "base/time.h"

#include <gtest/gtest.h>

using namespace rafiki;
using namespace std::chrono;

TEST(Time, FormatsLikeJavaScriptToIsoString) {
  TimePoint t{milliseconds{1700000000123}};
  EXPECT_EQ(format_rfc3339(t), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_rfc3339(TimePoint{milliseconds{0}}), "1970-01-01T00:00:00.000Z");
}

TEST(Time, ParsesOffsetsFractionsAndRoundTrips) {
  auto t = parse_rfc3339("2023-11-14T22:13:20.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->time_since_epoch().count(), 1700000000123);
  auto with_offset = parse_rfc3339("2023-11-15T00:13:20.123456+02:00");
  ASSERT_TRUE(with_offset);
  EXPECT_EQ(*with_offset, *t);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20Z")->time_since_epoch().count(), 1700000000000);
  auto now = now_ms();
  EXPECT_EQ(parse_rfc3339(format_rfc3339(now)), now);
}

TEST(Time, RefusesMalformedOrOutOfRangeTimes) {
  EXPECT_FALSE(parse_rfc3339(""));
  EXPECT_FALSE(parse_rfc3339("2023-11-14"));
  EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20"));      // no zone
  EXPECT_FALSE(parse_rfc3339("2023-02-30T00:00:00Z"));     // no such day
  EXPECT_FALSE(parse_rfc3339("2023-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2023-01-01T24:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2023-01-01T00:00:00.Z"));
  EXPECT_FALSE(parse_rfc3339("2023-01-01T00:00:00Zjunk"));
  EXPECT_FALSE(parse_rfc3339("2023-01-01T00:00:00+2:00"));
}
