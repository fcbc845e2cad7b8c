#include "ilp/ildcp.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crypto/hash.h"
#include "ilp/oer.h"
#include "vectors.h"

using namespace rafiki;
using namespace rafiki::ilp;
using rafiki::ilp::testing::hex;
using rafiki::ilp::testing::vector_bytes;
using rafiki::ilp::testing::vector_text;

namespace {
TimePoint at(std::string_view iso) {
  return parse_rfc3339(iso).value();
}
}  // namespace

TEST(Ildcp, ConditionIsTheHashOfTheZeroFulfillment) {
  EXPECT_EQ(hex(ildcp::kCondition), vector_text({"ildcpCondition"}));
  EXPECT_EQ(crypto::sha256(ildcp::kFulfillment), ildcp::kCondition);
}

TEST(Ildcp, RequestMatchesTheReferenceVector) {
  Bytes expected = vector_bytes({"ildcpRequest"});
  EXPECT_EQ(hex(ildcp::encode_request(at("2030-01-01T00:00:00.000Z")).value()), hex(expected));
  auto prepare = decode_prepare(expected);
  ASSERT_TRUE(prepare);
  EXPECT_TRUE(ildcp::validate_request(*prepare, at("2029-12-31T23:59:59.999Z")));
}

TEST(Ildcp, ServerRefusesRequestsThatAreNotIldcp) {
  Bytes request = vector_bytes({"ildcpRequest"});
  Prepare prepare = decode_prepare(request).value();
  TimePoint before = at("2029-01-01T00:00:00.000Z");

  EXPECT_EQ(ildcp::validate_request(prepare, at("2030-01-01T00:00:00.000Z")).error().code,
            kErrBadTimestamp);  // expired exactly at its expiry
  Prepare wrong_destination = prepare;
  wrong_destination.destination = "peer.configx";
  EXPECT_EQ(ildcp::validate_request(wrong_destination, before).error().code, kErrBadAddress);
  Prepare wrong_condition = prepare;
  wrong_condition.execution_condition[0] ^= 1;
  EXPECT_EQ(ildcp::validate_request(wrong_condition, before).error().code, kErrBadValue);
}

TEST(Ildcp, ResponseMatchesTheReferenceVector) {
  ildcp::Response response;
  response.client_address = "test.rafiki.child";
  response.asset_scale = 9;
  response.asset_code = "XRP";
  Bytes expected = vector_bytes({"ildcpResponse"});
  EXPECT_EQ(hex(ildcp::encode_response(response).value()), hex(expected));
  auto decoded = ildcp::decode_response(expected);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->client_address, "test.rafiki.child");
  EXPECT_EQ(decoded->asset_scale, 9);
  EXPECT_EQ(decoded->asset_code, "XRP");
}

TEST(Ildcp, ResponseWithBoundaryScaleAndUnicodeCodeRoundTrips) {
  ildcp::Response response;
  response.client_address = "g.parent.child-1";
  response.asset_scale = 255;
  response.asset_code = "\xe2\x82\xac";  // €
  auto encoded = ildcp::encode_response(response);
  ASSERT_TRUE(encoded);
  auto decoded = ildcp::decode_response(*encoded);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->asset_scale, 255);
  EXPECT_EQ(decoded->asset_code, "\xe2\x82\xac");
  response.asset_code = "";
  EXPECT_EQ(ildcp::decode_response(ildcp::encode_response(response).value()).value().asset_code,
            "");
}

TEST(Ildcp, EncoderRefusesBadFields) {
  ildcp::Response response;
  response.client_address = "g";
  response.asset_code = "USD";
  EXPECT_EQ(ildcp::encode_response(response).error().code, kErrBadAddress);
  response.client_address = "g.a";
  std::string long_code(ildcp::kAssetCodeBytesMax + 1, 'A');
  response.asset_code = long_code;
  EXPECT_EQ(ildcp::encode_response(response).error().code, kErrTooLarge);
  response.asset_code = "\xff";
  EXPECT_EQ(ildcp::encode_response(response).error().code, kErrBadUtf8);
}

TEST(Ildcp, ResponseWithANonZeroFulfillmentIsRefused) {
  Bytes response = vector_bytes({"ildcpResponse"});
  response[2] = 1;
  EXPECT_EQ(ildcp::decode_response(response).error().code, kErrBadValue);
}

TEST(Ildcp, ResponseDataTruncatedAtEveryPositionIsAnError) {
  Bytes response = vector_bytes({"ildcpResponse"});
  ByteView data = decode_fulfill(response).value().data;
  for (std::size_t n = 0; n < data.size(); ++n) {
    EXPECT_FALSE(ildcp::decode_response_data(data.first(n))) << n;
  }
  for (std::size_t n = 0; n < response.size(); ++n) {
    EXPECT_FALSE(ildcp::decode_response(ByteView(response).first(n))) << n;
  }
}

TEST(Ildcp, ResponseDataWithBadFieldsIsRefused) {
  Bytes bad_address = rafiki::ilp::testing::unhex(
      "0167"
      "09"
      "03585250");  // "g"
  EXPECT_EQ(ildcp::decode_response_data(bad_address).error().code, kErrBadAddress);
  Bytes bad_code = rafiki::ilp::testing::unhex(
      "03672e61"
      "02"
      "01ff");
  EXPECT_EQ(ildcp::decode_response_data(bad_code).error().code, kErrBadUtf8);
  Bytes long_length = rafiki::ilp::testing::unhex(
      "8103672e61"
      "02"
      "00");
  EXPECT_EQ(ildcp::decode_response_data(long_length).error().code, kErrBadLength);
  Bytes extra = rafiki::ilp::testing::unhex(
      "03672e61"
      "02"
      "00"
      "ffff");
  EXPECT_TRUE(ildcp::decode_response_data(extra));
}
