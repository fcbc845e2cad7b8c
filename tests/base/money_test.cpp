#include "base/money.h"

#include <gtest/gtest.h>

using namespace rafiki::money;

TEST(Money, CheckedArithmeticReportsOverflowAndUnderflow) {
  EXPECT_EQ(add(1, 2), u128{3});
  EXPECT_FALSE(add(kU128Max, 1));
  EXPECT_FALSE(sub(1, 2));
  EXPECT_EQ(sub(5, 5), u128{0});
  EXPECT_FALSE(mul(kU128Max / 2 + 1, 2));
  EXPECT_EQ(mul(0, kU128Max), u128{0});
}

TEST(Money, ParsesAndPrintsFullU128Range) {
  const char* max = "340282366920938463463374607431768211455";
  auto v = parse_u128(max);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, kU128Max);
  EXPECT_EQ(to_string(*v), max);
  EXPECT_FALSE(parse_u128("340282366920938463463374607431768211456"));
  EXPECT_EQ(to_string(0), "0");
  EXPECT_EQ(parse_u128("007"), u128{7});
}

TEST(Money, RefusesNonDecimalAmounts) {
  EXPECT_FALSE(parse_u128(""));
  EXPECT_FALSE(parse_u128("-1"));
  EXPECT_FALSE(parse_u128("+1"));
  EXPECT_FALSE(parse_u128("1.5"));
  EXPECT_FALSE(parse_u128(" 1"));
  EXPECT_FALSE(parse_u128("1e3"));
  EXPECT_EQ(parse_amount("18446744073709551615"), Amount{UINT64_MAX});
  EXPECT_FALSE(parse_amount("18446744073709551616"));
}

TEST(Money, RescaleRoundsAsAsked) {
  EXPECT_EQ(rescale(123, 2, 4, Rounding::kDown), u128{12300});
  EXPECT_EQ(rescale(12345, 4, 2, Rounding::kDown), u128{123});
  EXPECT_EQ(rescale(12345, 4, 2, Rounding::kUp), u128{124});
  EXPECT_EQ(rescale(12350, 4, 2, Rounding::kHalfUp), u128{124});
  EXPECT_EQ(rescale(12349, 4, 2, Rounding::kHalfUp), u128{123});
  EXPECT_EQ(rescale(12300, 4, 2, Rounding::kUp), u128{123});
  EXPECT_FALSE(rescale(kU128Max, 0, 1, Rounding::kDown));
  EXPECT_EQ(rescale(5, 0, 200, Rounding::kDown), std::nullopt);
  EXPECT_EQ(rescale(5, 200, 0, Rounding::kDown), u128{0});
  EXPECT_EQ(rescale(5, 200, 0, Rounding::kUp), u128{1});
  EXPECT_FALSE(rescale(5, -1, 0, Rounding::kDown));
}

TEST(Money, MulDivIsExactBeyond128BitProducts) {
  EXPECT_EQ(mul_div(10, 1, 3, Rounding::kDown), u128{3});
  EXPECT_EQ(mul_div(10, 1, 3, Rounding::kUp), u128{4});
  EXPECT_EQ(mul_div(10, 1, 4, Rounding::kHalfUp), u128{3});  // 2.5 → 3
  // (2^127) * 6 / 3 = 2^128 does not fit; (2^127) * 3 / 6 = 2^126 does, via the wide path.
  u128 big = static_cast<u128>(1) << 127;
  EXPECT_FALSE(mul_div(big, 6, 3, Rounding::kDown));
  EXPECT_EQ(mul_div(big, 3, 6, Rounding::kDown), static_cast<u128>(1) << 126);
  EXPECT_EQ(mul_div(kU128Max, kU128Max, kU128Max, Rounding::kDown), kU128Max);
  EXPECT_FALSE(mul_div(1, 1, 0, Rounding::kDown));
}
