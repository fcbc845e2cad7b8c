#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>

#include "base/encoding.h"

using namespace rafiki;
using namespace rafiki::crypto;

namespace {

Bytes unhex(std::string_view text) {
  return encoding::hex_decode(text).value();
}
std::string hex(ByteView data) {
  return encoding::hex_encode(data);
}

}  // namespace

// FIPS 180-2 Appendix B / NIST CSRC examples.
TEST(Sha256, MatchesNistExamples) {
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, HashesTheEmptyMessage) {
  EXPECT_EQ(hex(sha256(ByteView{})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256(""), sha256(ByteView{}));
}

// FIPS 180-2 Appendix C / NIST CSRC examples.
TEST(Sha512, MatchesNistExamples) {
  EXPECT_EQ(hex(sha512("abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(hex(sha512("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
            "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
  EXPECT_EQ(hex(sha512(std::string(1000000, 'a'))),
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
            "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");
  EXPECT_EQ(hex(sha512("")),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
}

TEST(Sha256, IncrementalHasherMatchesOneShotWhateverTheSplit) {
  std::string message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (std::size_t split = 0; split <= message.size(); ++split) {
    Sha256 hasher;
    hasher.update(std::string_view(message).substr(0, split));
    hasher.update(std::string_view(message).substr(split));
    EXPECT_EQ(hasher.finish(), sha256(message)) << "split at " << split;
  }
}

TEST(Sha256, IncrementalHasherStartsOverAfterFinish) {
  Sha256 hasher;
  hasher.update("ab").update("c");
  EXPECT_EQ(hasher.finish(), sha256("abc"));
  EXPECT_EQ(hasher.finish(), sha256(""));
  hasher.update("abc");
  Sha256 moved = std::move(hasher);
  EXPECT_EQ(moved.finish(), sha256("abc"));
}

struct HmacCase {
  const char* name;
  Bytes key;
  Bytes data;
  const char* sha256;
  const char* sha512;
};

// RFC 4231 §4.2–4.8 (test case 5, the truncated output, does not apply).
TEST(Hmac, MatchesRfc4231TestCases) {
  const HmacCase cases[] = {
      {"1", Bytes(20, 0x0b), to_bytes("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
       "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
      {"2", to_bytes("Jefe"), to_bytes("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
       "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      {"3", Bytes(20, 0xaa), Bytes(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
       "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
       "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"},
      {"4", unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Bytes(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
       "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
       "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"},
      {"6", Bytes(131, 0xaa), to_bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
       "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
      {"7", Bytes(131, 0xaa),
       to_bytes("This is a test using a larger than block-size key and a larger than "
                "block-size data. The key needs to be hashed before being used by the HMAC "
                "algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
       "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
       "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},
  };
  for (const HmacCase& c : cases) {
    EXPECT_EQ(hex(hmac_sha256(c.key, c.data)), c.sha256) << "test case " << c.name;
    EXPECT_EQ(hex(hmac_sha512(c.key, c.data)), c.sha512) << "test case " << c.name;
  }
}

TEST(Hmac, AcceptsAnEmptyKeyAndEmptyData) {
  // HMAC-SHA256("", ""), as computed independently by Python's hmac module.
  EXPECT_EQ(hex(hmac_sha256(ByteView{}, ByteView{})),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  // An empty key is not the absence of a key: the MAC depends on the key.
  EXPECT_NE(hmac_sha256(ByteView{}, as_bytes("x")), hmac_sha256(as_bytes("k"), as_bytes("x")));
}

TEST(Hmac, DifferentKeysOrDataGiveDifferentMacs) {
  auto base = hmac_sha512(as_bytes("key"), as_bytes("data"));
  EXPECT_NE(base, hmac_sha512(as_bytes("key2"), as_bytes("data")));
  EXPECT_NE(base, hmac_sha512(as_bytes("key"), as_bytes("data2")));
  EXPECT_EQ(base, hmac_sha512(as_bytes("key"), as_bytes("data")));
}

TEST(ConstantTimeEqual, ComparesContentsAndLengths) {
  Bytes a = to_bytes("fulfillment");
  EXPECT_TRUE(constant_time_equal(a, to_bytes("fulfillment")));
  EXPECT_FALSE(constant_time_equal(a, to_bytes("fulfillmenT")));
  EXPECT_FALSE(constant_time_equal(a, to_bytes("Fulfillment")));
  EXPECT_FALSE(constant_time_equal(a, to_bytes("fulfillment!")));
  EXPECT_FALSE(constant_time_equal(a, to_bytes("fulfil")));
  EXPECT_FALSE(constant_time_equal(a, ByteView{}));
  EXPECT_TRUE(constant_time_equal(ByteView{}, ByteView{}));
}
