#include "ilp/address.h"

#include <gtest/gtest.h>

#include <string>

using namespace rafiki::ilp;

TEST(Address, AcceptsEverySchemeWithSegments) {
  for (const char* good :
       {"g.a", "private.x", "example.alice", "peer.config", "self.me", "test.rafiki", "test1.a",
        "test2.a", "test3.a", "local.b", "g.us.bank.alice_~-09AZaz",
        "test.rafiki.paWlpaWlpaWlpaWlK6bM6FEWpzP3nedvZ6YdXIRnWupUL7SA90Kt-Mb0p7ntMO4loILsQm"}) {
    EXPECT_TRUE(is_valid_address(good)) << good;
  }
}

TEST(Address, RefusesBareSchemesEmptySegmentsAndForeignCharacters) {
  for (const char* bad :
       {"", "g", "test", "g.", ".g.a", "g..a", "g.a.", "test4.a", "G.a", "x.a", "g.a b", "g.a/b",
        "g.a+b", "g.a=", "g.é", "gg.a", "tes.a", "g.a\n", "peer"}) {
    EXPECT_FALSE(is_valid_address(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_address(std::string_view("g.a\0b", 5)));
}

TEST(Address, AllowsAtMost1023Bytes) {
  std::string longest = "g." + std::string(kAddressLengthMax - 2, 'a');
  EXPECT_TRUE(is_valid_address(longest));
  EXPECT_FALSE(is_valid_address(longest + "a"));
}

TEST(Address, SchemeAndPrefix) {
  EXPECT_EQ(address_scheme("test1.a.b"), "test1");
  EXPECT_EQ(address_scheme("bad"), "");
  EXPECT_TRUE(address_has_prefix("g.a.b", "g.a"));
  EXPECT_TRUE(address_has_prefix("g.a", "g.a"));
  EXPECT_FALSE(address_has_prefix("g.ab", "g.a"));
  EXPECT_FALSE(address_has_prefix("g", "g.a"));
}
