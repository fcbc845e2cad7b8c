#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <string>

#include "base/encoding.h"
#include "crypto/ed25519.h"
#include "crypto/errors.h"

using namespace rafiki;
using namespace rafiki::crypto;

namespace {

std::string hex(ByteView data) {
  return encoding::hex_encode(data);
}

// The test key of http-signatures.md §9 and its JWK as @interledger/http-signature-utils
// builds it.
constexpr std::string_view kReferenceX = "DqGLHrb_2pr-DPhSu6xoW-TQCLrMKfSG6VJ39AzB-T0";
constexpr std::string_view kReferencePublicHex =
    "0ea18b1eb6ffda9afe0cf852bbac685be4d008bacc29f486e95277f40cc1f93d";

boost::json::object reference_jwk() {
  return boost::json::object{{"alg", "EdDSA"},
                             {"kid", "notes-test-key-1"},
                             {"kty", "OKP"},
                             {"crv", "Ed25519"},
                             {"x", kReferenceX}};
}

// Parses `jwk` and expects it refused with a message containing `needle`.
void expect_refused(const boost::json::value& jwk, std::string_view needle) {
  auto parsed = jwk_from_json(jwk);
  ASSERT_FALSE(parsed) << boost::json::serialize(jwk);
  EXPECT_EQ(parsed.error().code, kErrorInvalidJwk);
  EXPECT_NE(parsed.error().message.find(needle), std::string::npos)
      << "message: " << parsed.error().message << "\njwk: " << boost::json::serialize(jwk);
}

}  // namespace

TEST(Jwk, ReadsTheOpenPaymentsReferenceKey) {
  auto jwk = jwk_from_json(reference_jwk());
  ASSERT_TRUE(jwk) << jwk.error().message;
  EXPECT_EQ(jwk->kid, "notes-test-key-1");
  EXPECT_EQ(hex(jwk->key.raw()), kReferencePublicHex);
}

TEST(Jwk, ReadsTheSpecExampleAsTheRfc8032TestKey) {
  // The wallet-address spec's example x is RFC 8037 §A.2, i.e. RFC 8032 TEST 1's public key.
  auto jwk =
      jwk_from_text(R"({"kid":"key-1","alg":"EdDSA","use":"sig","kty":"OKP","crv":"Ed25519",)"
                    R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  ASSERT_TRUE(jwk) << jwk.error().message;
  EXPECT_EQ(jwk->kid, "key-1");
  EXPECT_EQ(hex(jwk->key.raw()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST(Jwk, WritesExactlyTheMembersUpstreamPublishes) {
  auto key = Ed25519PublicKey::from_raw(encoding::hex_decode(kReferencePublicHex).value());
  ASSERT_TRUE(key);
  Jwk jwk{"notes-test-key-1", *key};
  EXPECT_EQ(jwk_to_text(jwk),
            R"({"kid":"notes-test-key-1","alg":"EdDSA","kty":"OKP","crv":"Ed25519",)"
            R"("x":"DqGLHrb_2pr-DPhSu6xoW-TQCLrMKfSG6VJ39AzB-T0"})");
  boost::json::object object = jwk_to_json(jwk);
  EXPECT_EQ(object.size(), 5u);
  EXPECT_EQ(object.at("x").as_string(), kReferenceX);
}

TEST(Jwk, RoundTripsAGeneratedKey) {
  Ed25519PrivateKey key = Ed25519PrivateKey::generate();
  Jwk jwk{"7097F83B-CB84-469E-96C6-2141C72E22C0", key.public_key()};
  auto back = jwk_from_text(jwk_to_text(jwk));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->kid, jwk.kid);
  EXPECT_EQ(back->key, key.public_key());
  Bytes message = to_bytes("signature base");
  EXPECT_TRUE(back->key.verify(message, key.sign(message)));
}

TEST(Jwk, AcceptsUseSigAndIgnoresUnrelatedMembers) {
  boost::json::object jwk = reference_jwk();
  jwk["use"] = "sig";
  jwk["key_ops"] = boost::json::array{"verify"};
  jwk["ext"] = true;
  auto parsed = jwk_from_json(jwk);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(hex(parsed->key.raw()), kReferencePublicHex);
}

TEST(Jwk, RefusesOtherKeyTypesCurvesAndAlgorithms) {
  auto with = [](std::string_view name, boost::json::value value) {
    boost::json::object jwk = reference_jwk();
    jwk[name] = std::move(value);
    return jwk;
  };
  expect_refused(with("kty", "RSA"), "\"kty\" must be \"OKP\", got \"RSA\"");
  expect_refused(with("kty", "EC"), "kty");
  expect_refused(with("kty", "okp"), "kty");
  expect_refused(with("crv", "X25519"), "\"crv\" must be \"Ed25519\"");
  expect_refused(with("crv", "Ed448"), "crv");
  expect_refused(with("alg", "ES256"), "\"alg\" must be \"EdDSA\"");
  expect_refused(with("alg", "none"), "alg");
  expect_refused(with("alg", "Ed25519"), "alg");
  expect_refused(with("use", "enc"), "\"use\" must be \"sig\"");
  expect_refused(with("kty", 1), "\"kty\" must be a string");
  expect_refused(with("alg", nullptr), "\"alg\" must be a string");
  // A long wrong value is cut short in the message.
  auto long_kty = jwk_from_json(with("kty", boost::json::string(std::string(1000, 'A'))));
  ASSERT_FALSE(long_kty);
  EXPECT_LT(long_kty.error().message.size(), 200u);
}

TEST(Jwk, RefusesMissingMembers) {
  for (std::string_view name : {"kid", "alg", "kty", "crv", "x"}) {
    boost::json::object jwk = reference_jwk();
    jwk.erase(name);
    expect_refused(jwk, "missing \"" + std::string(name) + "\"");
  }
}

TEST(Jwk, RefusesAKeyThatCarriesItsPrivatePart) {
  boost::json::object jwk = reference_jwk();
  jwk["d"] = "vMI88h_fecA7ljlGqxyJtgVsnw1EENkRfp5EdETcuR8";
  expect_refused(jwk, "private key member \"d\"");
  // The message never repeats the secret.
  auto parsed = jwk_from_json(jwk);
  EXPECT_EQ(parsed.error().message.find("vMI88h"), std::string::npos);
}

TEST(Jwk, RefusesBadKeyIds) {
  boost::json::object jwk = reference_jwk();
  jwk["kid"] = "";
  expect_refused(jwk, "\"kid\" is empty");
  jwk["kid"] = 42;
  expect_refused(jwk, "\"kid\" must be a string");
  jwk["kid"] = std::string(kJwkKidMaxBytes + 1, 'k');
  expect_refused(jwk, "\"kid\" longer than");
  jwk["kid"] = std::string(kJwkKidMaxBytes, 'k');
  EXPECT_TRUE(jwk_from_json(jwk));
}

TEST(Jwk, RefusesXThatIsNotUnpaddedBase64UrlOf32Bytes) {
  auto with_x = [](boost::json::value x) {
    boost::json::object jwk = reference_jwk();
    jwk["x"] = std::move(x);
    return jwk;
  };
  expect_refused(with_x(boost::json::string(std::string(kReferenceX) + "=")),
                 "not unpadded base64url");
  expect_refused(with_x("DqGLHrb/2pr+DPhSu6xoW+TQCLrMKfSG6VJ39AzB+T0"), "not unpadded base64url");
  expect_refused(with_x("DqGLHrb_2pr-DPhSu6xoW-TQCLrMKfSG6VJ39AzB-T0 "), "not unpadded base64url");
  expect_refused(with_x(""), "must encode 32 bytes, got 0");
  // 31 and 33 bytes.
  expect_refused(with_x(boost::json::string(encoding::base64url_encode(Bytes(31, 1)))),
                 "must encode 32 bytes, got 31");
  expect_refused(with_x(boost::json::string(encoding::base64url_encode(Bytes(33, 1)))),
                 "must encode 32 bytes, got 33");
  // Non-canonical last character (trailing bits set): T0 → T1.
  expect_refused(with_x("DqGLHrb_2pr-DPhSu6xoW-TQCLrMKfSG6VJ39AzB-T1"), "not unpadded base64url");
  expect_refused(with_x(32), "\"x\" must be a string");
}

TEST(Jwk, RefusesWhatIsNotAJsonObject) {
  expect_refused(boost::json::array{reference_jwk()}, "not a JSON object");
  expect_refused(boost::json::value("OKP"), "not a JSON object");
  expect_refused(boost::json::value(nullptr), "not a JSON object");

  for (std::string_view text : {std::string_view(""), std::string_view("{"),
                                std::string_view("{\"kty\":\"OKP\",}"), std::string_view("nope")}) {
    auto parsed = jwk_from_text(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, kErrorInvalidJwk);
    EXPECT_NE(parsed.error().message.find("not JSON"), std::string::npos);
  }
  auto huge = jwk_from_text(std::string(kJwkTextMaxBytes + 1, ' '));
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().message.find("longer than"), std::string::npos);
}
