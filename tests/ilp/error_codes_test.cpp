#include "ilp/error_codes.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ilp/oer.h"
#include "vectors.h"

using namespace rafiki;
using namespace rafiki::ilp;
using rafiki::ilp::testing::hex;
using rafiki::ilp::testing::vector_bytes;

TEST(ErrorCodes, TableHoldsEveryRfc27CodeWithItsName) {
  const std::map<std::string, std::string> expected = {
      {"F00", "Bad Request"},
      {"F01", "Invalid Packet"},
      {"F02", "Unreachable"},
      {"F03", "Invalid Amount"},
      {"F04", "Insufficient Destination Amount"},
      {"F05", "Wrong Condition"},
      {"F06", "Unexpected Payment"},
      {"F07", "Cannot Receive"},
      {"F08", "Amount Too Large"},
      {"F99", "Application Error"},
      {"T00", "Internal Error"},
      {"T01", "Peer Unreachable"},
      {"T02", "Peer Busy"},
      {"T03", "Connector Busy"},
      {"T04", "Insufficient Liquidity"},
      {"T05", "Rate Limited"},
      {"T99", "Application Error"},
      {"R00", "Transfer Timed Out"},
      {"R01", "Insufficient Source Amount"},
      {"R02", "Insufficient Timeout"},
      {"R99", "Application Error"},
  };
  ASSERT_EQ(error_codes().size(), expected.size());
  for (const ErrorCodeInfo& info : error_codes()) {
    auto it = expected.find(std::string(info.code));
    ASSERT_NE(it, expected.end()) << info.code;
    EXPECT_EQ(info.name, it->second);
    EXPECT_EQ(error_code_name(info.code), it->second);
    EXPECT_TRUE(is_known_error_code(info.code));
    EXPECT_TRUE(is_well_formed_error_code(info.code));
    EXPECT_EQ(error_family(info.code), info.family);
  }
}

TEST(ErrorCodes, FamilyComesFromTheFirstLetter) {
  EXPECT_EQ(error_family(kF08AmountTooLarge), ErrorFamily::kFinal);
  EXPECT_EQ(error_family(kT04InsufficientLiquidity), ErrorFamily::kTemporary);
  EXPECT_EQ(error_family(kR00TransferTimedOut), ErrorFamily::kRelative);
  EXPECT_EQ(error_family("F42"), ErrorFamily::kFinal);  // unknown but well-formed
  EXPECT_EQ(error_family("X00"), std::nullopt);
  EXPECT_EQ(error_family(""), std::nullopt);
}

TEST(ErrorCodes, UnknownCodesHaveNoName) {
  EXPECT_FALSE(is_known_error_code("F42"));
  EXPECT_EQ(error_code_name("F42"), "");
  EXPECT_TRUE(is_well_formed_error_code("F42"));
  for (const char* bad : {"", "F0", "F000", "F 0", "F-1", "é0"}) {
    EXPECT_FALSE(is_well_formed_error_code(bad)) << bad;
  }
}

TEST(ErrorCodes, AmountTooLargeDataMatchesTheReferenceVector) {
  AmountTooLargeData data;
  data.received_amount = 150;
  data.maximum_amount = 100;
  Bytes encoded = encode_amount_too_large_data(data);
  EXPECT_EQ(encoded, vector_bytes({"f08Data"}));
  auto decoded = decode_amount_too_large_data(encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->received_amount, 150u);
  EXPECT_EQ(decoded->maximum_amount, 100u);
}

TEST(ErrorCodes, AmountTooLargeDataShorterThan16BytesIsRefused) {
  Bytes encoded = vector_bytes({"f08Data"});
  for (std::size_t n = 0; n < encoded.size(); ++n) {
    auto decoded = decode_amount_too_large_data(ByteView(encoded).first(n));
    ASSERT_FALSE(decoded) << n;
    EXPECT_EQ(decoded.error().code, kErrTruncated);
  }
}
