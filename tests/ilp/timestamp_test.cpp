#include "ilp/timestamp.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "ilp/oer.h"
#include "vectors.h"

using namespace rafiki;
using namespace rafiki::ilp;
using rafiki::ilp::testing::vectors;

TEST(Timestamp, MatchesEveryReferenceVector) {
  const auto& table = vectors().as_object().at("timestamps").as_object();
  ASSERT_EQ(table.size(), 3u);
  for (const auto& [iso, value] : table) {
    std::string expected(value.as_string());
    auto time = parse_rfc3339(std::string(iso));
    ASSERT_TRUE(time) << iso;
    EXPECT_EQ(format_timestamp(*time).value(), expected);
    auto parsed = parse_timestamp(expected);
    ASSERT_TRUE(parsed) << expected;
    EXPECT_EQ(*parsed, *time);
  }
}

TEST(Timestamp, RoundTripsTheWholeYearRange) {
  for (const char* text :
       {"00000101000000000", "99991231235959999", "19700101000000000", "20240229120000001"}) {
    auto parsed = parse_timestamp(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(format_timestamp(*parsed).value(), text);
  }
}

TEST(Timestamp, RefusesYearsThatDoNotFitFourDigits) {
  auto late = parse_timestamp("99991231235959999").value() + std::chrono::milliseconds(1);
  EXPECT_EQ(format_timestamp(late).error().code, kErrBadTimestamp);
  auto early = parse_timestamp("00000101000000000").value() - std::chrono::milliseconds(1);
  EXPECT_EQ(format_timestamp(early).error().code, kErrBadTimestamp);
}

TEST(Timestamp, ParsingIsStrict) {
  for (const char* bad :
       {"", "2017122416143227", "201712241614322799", "20171324161432279", "20170024161432279",
        "20170230161432279", "20230229000000000", "20171200161432279", "20171224241432279",
        "20171224166032279", "20171224161460279", "2017122416143227x", "2017-12-24T16:14",
        "+0171224161432279", " 0171224161432279"}) {
    auto parsed = parse_timestamp(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, kErrBadTimestamp);
  }
}
