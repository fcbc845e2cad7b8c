#include "crypto/stream_keys.h"

#include <gtest/gtest.h>

#include <string>

#include "base/encoding.h"
#include "crypto/aes_gcm.h"

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

// Vectors of reference/ilp.md §7.1–7.2 (ilp-protocol-stream with a forced IV, cross-checked
// independently).
TEST(StreamKeys, DeriveTheRfc29KeySchedule) {
  Bytes shared_secret(32, 0x11);
  EXPECT_EQ(hex(stream_encryption_key(shared_secret)),
            "90666606e466665b1a88dd9ecbfda97ec046ac36aafcd1237b5c1c6538fa6e44");
  EXPECT_EQ(hex(stream_fulfillment_key(shared_secret)),
            "c171d0d0da58c4fc59ecd6bfcb23e4038c631f6bdae4c762cc04ce5ca8768113");
}

TEST(StreamKeys, EncryptAPacketAndDeriveItsFulfillmentAndCondition) {
  Bytes shared_secret(32, 0x11);
  Bytes plaintext = unhex("010c010101640101110401010101");
  auto envelope =
      stream_encrypt_with_iv(stream_encryption_key(shared_secret), Bytes(12, 0xa0), plaintext);
  ASSERT_TRUE(envelope);
  EXPECT_EQ(hex(*envelope),
            "a0a0a0a0a0a0a0a0a0a0a0a0"
            "95bf9e58f27cf62ae6e7162d430b0999"
            "78ed81b2566104ca25fd3fde2016");
  auto back = stream_decrypt(stream_encryption_key(shared_secret), *envelope);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, plaintext);

  Sha256Digest fulfillment = stream_fulfillment(stream_fulfillment_key(shared_secret), *envelope);
  EXPECT_EQ(hex(fulfillment), "d8b4132970aa084d745a181e702968bc5d2926965e7bf6ae57a1de27c3082c39");
  EXPECT_EQ(hex(stream_condition(fulfillment)),
            "068493cdda7b68a84880b02281925f1d5cb9fba87decd8dcf57e1c32d4d43b84");
}

// Vectors of reference/ilp.md §7.8 (@interledger/stream-receiver with a forced IV).
TEST(StreamKeys, DeriveTheStatelessReceiverKeysAndSharedSecret) {
  Bytes server_secret(32, 0x44);
  Sha256Digest token_key = stream_connection_token_key(server_secret);
  Sha256Digest generator = stream_shared_secret_generator(server_secret);
  EXPECT_EQ(hex(token_key), "78e5669095cc92634dc760702d4e21cc94768f8ef84d89ae04ba6dc98123bfe9");
  EXPECT_EQ(hex(generator), "9dce7c1f163e856b6154b5657dd6fb24a5f5c660cf844c38b749f00661cca792");

  Bytes plaintext = unhex(
      "052439623661326634652d336436632d346137632d396130652d3063386337653266346131310355534402");
  auto token = stream_encrypt_with_iv(token_key, Bytes(12, 0xa5), plaintext);
  ASSERT_TRUE(token);
  EXPECT_EQ(hex(*token),
            "a5a5a5a5a5a5a5a5a5a5a5a52ba6cce85116a733f79de76f67a61d5c84675aea542fb480f742adf8c6f4"
            "a7b9ed30ee25a082ec426a9bcaab93cfbbbe912a2879b1087271a135ca");
  EXPECT_EQ(hex(stream_connection_shared_secret(generator, *token)),
            "52a6f601170337518f56ff089ee1953b8458eb14a0de38b18fc8d65c22b099d6");
  auto opened = stream_decrypt(token_key, *token);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, plaintext);
}

TEST(StreamKeys, OpenATokenTakenFromAnIlpAddress) {
  // The "with receipts" vector: the token is the base64url segment after "test.rafiki.".
  Bytes server_secret(32, 0x44);
  auto token = encoding::base64url_decode(
      "pqampqampqampqamfbpzTK0Q5PKyt66u04uiTObAvynG_-DMM-4BRay3eg3KgesuEJFZELTEX7Y8qdwJjh539rrhBK"
      "8bdm5MmbaNGVdMgK0LEPXgc0E");
  ASSERT_TRUE(token);
  EXPECT_EQ(
      hex(stream_connection_shared_secret(stream_shared_secret_generator(server_secret), *token)),
      "844d63459b65b21e8fe114d97b39be591fd529dcb02d3e212849c0c6bd1343fb");
  auto opened = stream_decrypt(stream_connection_token_key(server_secret), *token);
  ASSERT_TRUE(opened);
  EXPECT_EQ(hex(*opened),
            "0703616263" + std::string(32, '2') + std::string(64, '3') + "0345555209");
  // A token under another server secret does not open.
  EXPECT_FALSE(stream_decrypt(stream_connection_token_key(Bytes(32, 0x45)), *token));
}
