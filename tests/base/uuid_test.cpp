#include "base/uuid.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

using rafiki::Uuid;

TEST(Uuid, V4HasVersionAndVariantBitsAndIsUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    Uuid u = Uuid::v4();
    EXPECT_EQ(u.version(), 4);
    EXPECT_EQ(u.bytes[8] & 0xc0, 0x80);
    EXPECT_TRUE(seen.insert(u.str()).second);
  }
}

TEST(Uuid, ParsesCanonicalFormAnyCaseAndPrintsLowercase) {
  auto u = Uuid::parse("438FA74A-fa7d-4317-9ced-dde32ece1787");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->str(), "438fa74a-fa7d-4317-9ced-dde32ece1787");
  EXPECT_EQ(Uuid::parse(u->str()), u);
}

TEST(Uuid, RefusesNonCanonicalText) {
  EXPECT_FALSE(Uuid::parse(""));
  EXPECT_FALSE(Uuid::parse("438fa74afa7d43179ceddde32ece1787"));
  EXPECT_FALSE(Uuid::parse("{438fa74a-fa7d-4317-9ced-dde32ece1787}"));
  EXPECT_FALSE(Uuid::parse("438fa74a-fa7d-4317-9ced-dde32ece178g"));
  EXPECT_FALSE(Uuid::parse("438fa74a-fa7d-4317-9ced-dde32ece17870"));
  EXPECT_FALSE(Uuid::parse("438fa74-afa7d-4317-9ced-dde32ece1787"));
  EXPECT_FALSE(rafiki::is_uuid("not-a-uuid"));
}

TEST(Uuid, Version7IsTimeOrderedAndVersioned) {
  Uuid first = Uuid::v7();
  EXPECT_EQ(first.version(), 7);
  EXPECT_EQ(first.bytes[8] & 0xc0, 0x80);  // RFC 9562 variant
  // A millisecond later an id sorts after every id of the millisecond before.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  for (int i = 0; i < 100; ++i) EXPECT_LT(first, Uuid::v7());
  EXPECT_NE(Uuid::v7(), Uuid::v7());
}
