#include "crypto/aes_gcm.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "base/encoding.h"
#include "crypto/errors.h"

using namespace rafiki;
using namespace rafiki::crypto;

namespace {

Bytes unhex(std::string_view text) {
  return encoding::hex_decode(text).value();
}
std::string hex(ByteView data) {
  return encoding::hex_encode(data);
}

struct GcmCase {
  const char* name;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

constexpr const char* kKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr const char* kPlaintext =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
constexpr const char* kPlaintext60 =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr const char* kAad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";

// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13–18 (AES-256); 17 and 18
// use 8- and 60-byte IVs.
const GcmCase kGcmCases[] = {
    {"13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"15", kKey, "cafebabefacedbaddecaf888", kPlaintext, "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"16", kKey, "cafebabefacedbaddecaf888", kPlaintext60, kAad,
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    {"17", kKey, "cafebabefacedbad", kPlaintext60, kAad,
     "c3762df1ca787d32ae47c13bf19844cbaf1ae14d0b976afac52ff7d79bba9de0"
     "feb582d33934a4f0954cc2363bc73f7862ac430e64abe499f47c9b1f",
     "3a337dbf46a792c45e454913fe2ea8f2"},
    {"18", kKey,
     "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
     "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
     kPlaintext60, kAad,
     "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf4"
     "0fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f",
     "a44a8266ee1c8eb0c8b5d4cf5ae9f19a"},
};

}  // namespace

TEST(AesGcm, EncryptsTheGcmSpecTestCases) {
  for (const GcmCase& c : kGcmCases) {
    SCOPED_TRACE(std::string("test case ") + c.name);
    auto sealed = aes256_gcm_encrypt(unhex(c.key), unhex(c.iv), unhex(c.plaintext), unhex(c.aad));
    ASSERT_TRUE(sealed) << sealed.error().message;
    EXPECT_EQ(hex(sealed->ciphertext), c.ciphertext);
    EXPECT_EQ(hex(sealed->tag), c.tag);
  }
}

TEST(AesGcm, DecryptsTheGcmSpecTestCases) {
  for (const GcmCase& c : kGcmCases) {
    SCOPED_TRACE(std::string("test case ") + c.name);
    auto plaintext = aes256_gcm_decrypt(unhex(c.key), unhex(c.iv), unhex(c.ciphertext),
                                        unhex(c.tag), unhex(c.aad));
    ASSERT_TRUE(plaintext) << plaintext.error().message;
    EXPECT_EQ(hex(*plaintext), c.plaintext);
  }
}

TEST(AesGcm, RefusesAnyTampering) {
  const GcmCase& c = kGcmCases[3];  // test case 16: ciphertext and AAD
  Bytes key = unhex(c.key), iv = unhex(c.iv), ciphertext = unhex(c.ciphertext), tag = unhex(c.tag),
        aad = unhex(c.aad);
  auto expect_refused = [](const Result<Bytes>& result, const char* what) {
    ASSERT_FALSE(result) << what;
    EXPECT_EQ(result.error().code, kErrorDecryptFailed) << what;
  };
  for (std::size_t i : {std::size_t{0}, ciphertext.size() / 2, ciphertext.size() - 1}) {
    Bytes bad = ciphertext;
    bad[i] ^= 0x80;
    expect_refused(aes256_gcm_decrypt(key, iv, bad, tag, aad), "ciphertext bit");
  }
  for (std::size_t i : {std::size_t{0}, tag.size() - 1}) {
    Bytes bad = tag;
    bad[i] ^= 0x01;
    expect_refused(aes256_gcm_decrypt(key, iv, ciphertext, bad, aad), "tag bit");
  }
  Bytes bad_aad = aad;
  bad_aad[3] ^= 0x01;
  expect_refused(aes256_gcm_decrypt(key, iv, ciphertext, tag, bad_aad), "aad bit");
  expect_refused(aes256_gcm_decrypt(key, iv, ciphertext, tag, ByteView{}), "aad missing");
  Bytes extra_aad = aad;
  extra_aad.push_back(0);
  expect_refused(aes256_gcm_decrypt(key, iv, ciphertext, tag, extra_aad), "aad longer");
  Bytes bad_iv = iv;
  bad_iv[0] ^= 0x01;
  expect_refused(aes256_gcm_decrypt(key, bad_iv, ciphertext, tag, aad), "iv bit");
  Bytes bad_key = key;
  bad_key[31] ^= 0x01;
  expect_refused(aes256_gcm_decrypt(bad_key, iv, ciphertext, tag, aad), "key bit");
  expect_refused(
      aes256_gcm_decrypt(key, iv, ByteView(ciphertext).first(ciphertext.size() - 1), tag, aad),
      "truncated ciphertext");
  Bytes longer = ciphertext;
  longer.push_back(0);
  expect_refused(aes256_gcm_decrypt(key, iv, longer, tag, aad), "extended ciphertext");
}

TEST(AesGcm, RoundTripsWithAnyIvSizeUpToTheBound) {
  Bytes key(32, 0x42);
  Bytes plaintext = to_bytes("dataToTransmit");
  Bytes aad = to_bytes("context");
  // 44 bytes: upstream's database encryption uses a base64 string of 32 bytes as its IV.
  for (std::size_t iv_size :
       {std::size_t{1}, std::size_t{12}, std::size_t{16}, std::size_t{44}, kAesGcmIvMaxBytes}) {
    Bytes iv(iv_size, 0x07);
    auto sealed = aes256_gcm_encrypt(key, iv, plaintext, aad);
    ASSERT_TRUE(sealed) << iv_size;
    EXPECT_EQ(sealed->ciphertext.size(), plaintext.size());
    auto back = aes256_gcm_decrypt(key, iv, sealed->ciphertext, sealed->tag, aad);
    ASSERT_TRUE(back) << iv_size;
    EXPECT_EQ(*back, plaintext);
  }
}

TEST(AesGcm, RefusesKeysOfTheWrongSize) {
  for (std::size_t size : {0, 16, 24, 31, 33, 64}) {
    Bytes key(size, 1);
    auto sealed = aes256_gcm_encrypt(key, Bytes(12, 0), to_bytes("x"));
    ASSERT_FALSE(sealed) << size;
    EXPECT_EQ(sealed.error().code, kErrorInvalidKey);
    auto opened = aes256_gcm_decrypt(key, Bytes(12, 0), to_bytes("x"), Bytes(16, 0));
    ASSERT_FALSE(opened) << size;
    EXPECT_EQ(opened.error().code, kErrorInvalidKey);
  }
}

TEST(AesGcm, RefusesBadIvsTagsAndOversizedInput) {
  Bytes key(32, 1);
  for (std::size_t iv_size : {std::size_t{0}, kAesGcmIvMaxBytes + 1}) {
    auto sealed = aes256_gcm_encrypt(key, Bytes(iv_size, 0), to_bytes("x"));
    ASSERT_FALSE(sealed) << iv_size;
    EXPECT_EQ(sealed.error().code, kErrorInvalidInput);
    auto opened = aes256_gcm_decrypt(key, Bytes(iv_size, 0), to_bytes("x"), Bytes(16, 0));
    ASSERT_FALSE(opened) << iv_size;
    EXPECT_EQ(opened.error().code, kErrorInvalidInput);
  }
  // Truncated tags are refused outright, even when the prefix would match.
  auto sealed = aes256_gcm_encrypt(key, Bytes(12, 0), to_bytes("message"));
  ASSERT_TRUE(sealed);
  for (std::size_t tag_size : {0, 4, 12, 15, 17}) {
    Bytes tag(sealed->tag.begin(), sealed->tag.end());
    tag.resize(tag_size, 0);
    auto opened = aes256_gcm_decrypt(key, Bytes(12, 0), sealed->ciphertext, tag);
    ASSERT_FALSE(opened) << tag_size;
    EXPECT_EQ(opened.error().code, kErrorInvalidInput);
  }
  Bytes huge(kAesGcmMessageMaxBytes + 1);
  auto too_big = aes256_gcm_encrypt(key, Bytes(12, 0), huge);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, kErrorInvalidInput);
  auto too_big_aad = aes256_gcm_encrypt(key, Bytes(12, 0), to_bytes("x"), huge);
  ASSERT_FALSE(too_big_aad);
  EXPECT_EQ(too_big_aad.error().code, kErrorInvalidInput);
}

// --- STREAM envelope ----------------------------------------------------------------------

TEST(StreamEnvelope, LaysOutIvThenTagThenCiphertext) {
  Bytes key(32, 9);
  Bytes iv(12, 0xa0);
  Bytes plaintext = to_bytes("stream packet");
  auto envelope = stream_encrypt_with_iv(key, iv, plaintext);
  ASSERT_TRUE(envelope);
  auto sealed = aes256_gcm_encrypt(key, iv, plaintext);
  ASSERT_TRUE(sealed);
  // Compared part by part: building the expected bytes with vector::insert makes g++ 12 at -O3
  // report false -Warray-bounds / -Wstringop-overread positives (GCC bug 107852).
  ASSERT_EQ(envelope->size(), plaintext.size() + kStreamEnvelopeOverheadBytes);
  ByteView whole(*envelope);
  EXPECT_EQ(hex(whole.subspan(0, iv.size())), hex(iv));
  EXPECT_EQ(hex(whole.subspan(iv.size(), sealed->tag.size())), hex(sealed->tag));
  EXPECT_EQ(hex(whole.subspan(iv.size() + sealed->tag.size())), hex(sealed->ciphertext));
}

TEST(StreamEnvelope, RandomIvsMakeEveryEncryptionDifferent) {
  Bytes key(32, 3);
  Bytes plaintext = to_bytes("same plaintext");
  std::set<Bytes> seen;
  for (int i = 0; i < 100; ++i) {
    auto envelope = stream_encrypt(key, plaintext);
    ASSERT_TRUE(envelope);
    ASSERT_EQ(envelope->size(), plaintext.size() + 28);
    auto back = stream_decrypt(key, *envelope);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, plaintext);
    seen.insert(Bytes(envelope->begin(), envelope->begin() + 12));
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(StreamEnvelope, RoundTripsAnEmptyPlaintext) {
  Bytes key(32, 5);
  auto envelope = stream_encrypt(key, ByteView{});
  ASSERT_TRUE(envelope);
  EXPECT_EQ(envelope->size(), kStreamEnvelopeOverheadBytes);
  auto back = stream_decrypt(key, *envelope);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->empty());
}

TEST(StreamEnvelope, RefusesShortTamperedOrForeignData) {
  Bytes key(32, 5);
  auto envelope = stream_encrypt(key, to_bytes("money frames"));
  ASSERT_TRUE(envelope);
  for (std::size_t size : {0, 1, 12, 27}) {
    auto back = stream_decrypt(key, ByteView(*envelope).first(size));
    ASSERT_FALSE(back) << size;
    EXPECT_EQ(back.error().code, kErrorDecryptFailed);
  }
  for (std::size_t i = 0; i < envelope->size(); ++i) {  // IV, tag and ciphertext bytes alike
    Bytes bad = *envelope;
    bad[i] ^= 0x01;
    auto back = stream_decrypt(key, bad);
    ASSERT_FALSE(back) << "byte " << i;
    EXPECT_EQ(back.error().code, kErrorDecryptFailed);
  }
  auto other_key = stream_decrypt(Bytes(32, 6), *envelope);
  ASSERT_FALSE(other_key);
  EXPECT_EQ(other_key.error().code, kErrorDecryptFailed);
}

TEST(StreamEnvelope, RefusesBadKeysAndIvs) {
  auto short_key = stream_encrypt(Bytes(16, 1), to_bytes("x"));
  ASSERT_FALSE(short_key);
  EXPECT_EQ(short_key.error().code, kErrorInvalidKey);
  auto short_key_open = stream_decrypt(Bytes(16, 1), Bytes(40, 0));
  ASSERT_FALSE(short_key_open);
  EXPECT_EQ(short_key_open.error().code, kErrorInvalidKey);
  for (std::size_t iv_size : {0, 8, 16}) {
    auto sealed = stream_encrypt_with_iv(Bytes(32, 1), Bytes(iv_size, 0), to_bytes("x"));
    ASSERT_FALSE(sealed) << iv_size;
    EXPECT_EQ(sealed.error().code, kErrorInvalidInput);
  }
}
