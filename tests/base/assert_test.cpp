#include "base/assert.h"

#include <gtest/gtest.h>

namespace rafiki {
namespace {

int checked_half(int even) {
  RAFIKI_ASSERT(even % 2 == 0, "only even numbers are halved");
  return even / 2;
}

TEST(Assert, AHeldInvariantCostsNothingVisible) { EXPECT_EQ(checked_half(8), 4); }

TEST(AssertDeathTest, ABrokenInvariantLogsWhereAndWhyAndAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(checked_half(7),
               "invariant broken: even % 2 == 0: only even numbers are halved at .*assert_test.cpp");
}

}  // namespace
}  // namespace rafiki
