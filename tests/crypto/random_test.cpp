#include "crypto/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <set>

using namespace rafiki;
using namespace rafiki::crypto;

TEST(Random, ReturnsExactlyTheRequestedNumberOfBytes) {
  EXPECT_TRUE(random_bytes(0).empty());
  EXPECT_EQ(random_bytes(1).size(), 1u);
  EXPECT_EQ(random_bytes(32).size(), 32u);
  EXPECT_EQ(random_bytes(100000).size(), 100000u);
}

// g++ 12 at -O3 reports a false -Wstringop-overread in the memcmp of the inlined std::vector
// comparison that std::set<Bytes> uses (GCC bug 107986: an impossible size range is assumed).
// Silenced for this test only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overread"
TEST(Random, DrawsDoNotRepeat) {
  std::set<Bytes> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(random_bytes(16));
  EXPECT_EQ(seen.size(), 1000u);
}
#pragma GCC diagnostic pop

TEST(Random, FillOverwritesTheWholeBuffer) {
  std::array<std::uint8_t, 64> zeros{};
  std::array<std::uint8_t, 64> buffer{};
  fill_random(buffer);
  EXPECT_NE(buffer, zeros);
  // Both halves were written, not just a prefix.
  EXPECT_FALSE(std::equal(buffer.begin(), buffer.begin() + 32, zeros.begin()));
  EXPECT_FALSE(std::equal(buffer.begin() + 32, buffer.end(), zeros.begin()));
  fill_random(std::span<std::uint8_t>{});  // an empty span is fine
}

TEST(Random, BitsAreBalanced) {
  // 8 Mbit: a fair source lands within 0.1% of half ones with overwhelming probability
  // (the bound is about 5.8 standard deviations).
  Bytes data = random_bytes(1 << 20);
  std::size_t ones = 0;
  for (std::uint8_t b : data) ones += static_cast<std::size_t>(std::popcount(b));
  double ratio = static_cast<double>(ones) / (8.0 * static_cast<double>(data.size()));
  EXPECT_NEAR(ratio, 0.5, 0.001);
}
