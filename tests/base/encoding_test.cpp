#include "base/encoding.h"

#include <gtest/gtest.h>

using namespace rafiki;
using namespace rafiki::encoding;

TEST(Encoding, Base64MatchesRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(std::string_view(plain)), encoded);
    auto back = base64_decode(encoded);
    ASSERT_TRUE(back) << encoded;
    EXPECT_EQ(to_string(*back), plain);
  }
}

TEST(Encoding, Base64UrlUsesUrlAlphabetWithoutPadding) {
  Bytes data{0xfb, 0xff, 0xfe};
  EXPECT_EQ(base64url_encode(data), "-__-");
  EXPECT_EQ(base64_encode(data), "+//+");
  EXPECT_EQ(base64url_encode(std::string_view("f")), "Zg");
  ASSERT_TRUE(base64url_decode("Zg"));
  ASSERT_TRUE(base64url_decode("Zg=="));
  EXPECT_EQ(*base64url_decode("-__-"), data);
}

TEST(Encoding, Base64RejectsMalformedText) {
  EXPECT_FALSE(base64_decode("Zm9v!"));
  EXPECT_FALSE(base64_decode("Z"));        // impossible length
  EXPECT_FALSE(base64_decode("Zg="));      // padding that does not complete a quantum
  EXPECT_FALSE(base64_decode("Zh=="));     // non-zero trailing bits
  EXPECT_FALSE(base64_decode("-__-"));     // url alphabet in standard decoding
  EXPECT_FALSE(base64url_decode("+//+"));  // standard alphabet in url decoding
  EXPECT_FALSE(base64_decode(std::string_view("Zm\0v", 4)));
}

TEST(Encoding, HexRoundTripsAndRejectsBadDigits) {
  Bytes data{0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(hex_encode(data), "0001abff");
  EXPECT_EQ(*hex_decode("0001ABff"), data);
  EXPECT_FALSE(hex_decode("abc"));
  EXPECT_FALSE(hex_decode("zz"));
  EXPECT_TRUE(hex_decode("")->empty());
}
