#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "base/encoding.h"
#include "crypto/errors.h"
#include "crypto/hash.h"

using namespace rafiki;
using namespace rafiki::crypto;

namespace {

Bytes unhex(std::string_view text) {
  return encoding::hex_decode(text).value();
}
std::string hex(ByteView data) {
  return encoding::hex_encode(data);
}

struct Rfc8032Case {
  const char* name;
  const char* seed;
  const char* public_key;
  Bytes message;
  const char* signature;
};

// RFC 8032 §7.1: TEST 1, 2, 3 and TEST SHA(abc) (whose message is SHA-512("abc")).
std::vector<Rfc8032Case> rfc8032_cases() {
  Sha512Digest abc = sha512("abc");
  return {
      {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Bytes{},
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", unhex("72"),
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
      {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
       "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", unhex("af82"),
       "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
       "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
      {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
       "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
       Bytes(abc.begin(), abc.end()),
       "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589"
       "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"},
  };
}

// Generated with `openssl genpkey -algorithm ed25519` for these tests only.
constexpr std::string_view kOpensslPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIDOPX5XGjqQJmETquPKb9qFw/d6OBZO8SCDKUqS/n+9a\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kOpensslSeed =
    "338f5f95c68ea4099844eab8f29bf6a170fdde8e0593bc4820ca52a4bf9fef5a";
constexpr std::string_view kOpensslPublic =
    "082d7bcaeed0bf0a7f30bbcb32872eb870a7f0ac20fc86715739f7cbf328153d";
// `openssl pkey -pubout` of the same key.
constexpr std::string_view kOpensslPublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEACC17yu7Qvwp/MLvLMocuuHCn8Kwg/IZxVzn3y/MoFT0=\n"
    "-----END PUBLIC KEY-----\n";

// Node 20: generateKeyPairSync('ed25519').privateKey.export({type: 'pkcs8', format: 'pem'}).
constexpr std::string_view kNodePem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIPKjr6AKMjPiQUq4/C52kzIwdkGBLlh5cp6cXhdHU1B5\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kNodePublic =
    "6314cac98f6a8bb4223b4b62dcf7211164fda6a996f672300f97375346aaa81c";

// `openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret`.
constexpr std::string_view kEncryptedPem =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAi3OEa2yHB6mAICCAAw\n"
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEG4yWgVJ56haB0YXoJSpT9QEQM6+\n"
    "E/PO/Tmdd454yNWeR/OvqH7guwqqSWsde7ZrAsEsnry2oJSN0A5Ae67wIMd5RHlT\n"
    "j2yQAxGm+YrWuCJiYNw=\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`.
constexpr std::string_view kP256Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1pcOYJp72Wk6dh3a\n"
    "xUC5OFouHcucL6Pf04x5mDKLxj2hRANCAAQFqvTa26uJY6obRzlhP2VR7cUP8ATE\n"
    "iNBNMWjok1qnFskAxlsTG34DPiOlRyFxeMRoUFlCQPGNvofJhEsJ27oc\n"
    "-----END PRIVATE KEY-----\n";

// `openssl genpkey -algorithm x25519`: same curve family, but a key-agreement key.
constexpr std::string_view kX25519Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VuBCIEILilpucOPQl95pjNX4ECbK1EySNfFltyH6zTNB/Ce/B6\n"
    "-----END PRIVATE KEY-----\n";

Ed25519PrivateKey key_from_seed(std::string_view seed_hex) {
  return Ed25519PrivateKey::from_seed(unhex(seed_hex)).value();
}

}  // namespace

TEST(Ed25519, MatchesRfc8032TestVectors) {
  for (const Rfc8032Case& c : rfc8032_cases()) {
    SCOPED_TRACE(c.name);
    Ed25519PrivateKey key = key_from_seed(c.seed);
    EXPECT_EQ(hex(key.public_key().raw()), c.public_key);
    Ed25519Signature signature = key.sign(c.message);
    EXPECT_EQ(hex(signature), c.signature);

    auto public_key = Ed25519PublicKey::from_raw(unhex(c.public_key));
    ASSERT_TRUE(public_key);
    EXPECT_TRUE(public_key->verify(c.message, unhex(c.signature)));
    EXPECT_EQ(*public_key, key.public_key());
  }
}

TEST(Ed25519, RefusesATamperedMessage) {
  for (const Rfc8032Case& c : rfc8032_cases()) {
    SCOPED_TRACE(c.name);
    auto public_key = Ed25519PublicKey::from_raw(unhex(c.public_key)).value();
    Bytes signature = unhex(c.signature);
    Bytes longer = c.message;
    longer.push_back(0);
    EXPECT_FALSE(public_key.verify(longer, signature));
    if (!c.message.empty()) {
      Bytes flipped = c.message;
      flipped[0] ^= 0x01;
      EXPECT_FALSE(public_key.verify(flipped, signature));
      EXPECT_FALSE(public_key.verify(ByteView(c.message).first(c.message.size() - 1), signature));
    }
  }
}

TEST(Ed25519, RefusesATamperedSignature) {
  for (const Rfc8032Case& c : rfc8032_cases()) {
    SCOPED_TRACE(c.name);
    auto public_key = Ed25519PublicKey::from_raw(unhex(c.public_key)).value();
    Bytes signature = unhex(c.signature);
    for (std::size_t i : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{63}}) {
      Bytes bad = signature;
      bad[i] ^= 0x01;  // in R (first half) and in S (second half)
      EXPECT_FALSE(public_key.verify(c.message, bad)) << "byte " << i;
    }
    EXPECT_FALSE(public_key.verify(c.message, ByteView(signature).first(63)));
    Bytes longer = signature;
    longer.push_back(0);
    EXPECT_FALSE(public_key.verify(c.message, longer));
    EXPECT_FALSE(public_key.verify(c.message, ByteView{}));
    EXPECT_FALSE(public_key.verify(c.message, Bytes(64, 0)));
  }
}

TEST(Ed25519, RefusesASignatureByAnotherKey) {
  auto cases = rfc8032_cases();
  auto other = Ed25519PublicKey::from_raw(unhex(cases[1].public_key)).value();
  EXPECT_FALSE(other.verify(cases[0].message, unhex(cases[0].signature)));
}

TEST(Ed25519, RefusesSeedsAndPublicKeysOfTheWrongSize) {
  for (std::size_t size : {0, 16, 31, 33, 64}) {
    auto seed = Ed25519PrivateKey::from_seed(Bytes(size, 7));
    ASSERT_FALSE(seed) << size;
    EXPECT_EQ(seed.error().code, kErrorInvalidKey);
    auto raw = Ed25519PublicKey::from_raw(Bytes(size, 7));
    ASSERT_FALSE(raw) << size;
    EXPECT_EQ(raw.error().code, kErrorInvalidKey);
    EXPECT_NE(raw.error().message.find(std::to_string(size)), std::string::npos);
  }
}

TEST(Ed25519, GeneratedKeysSignAndVerifyAndAreDistinct) {
  Ed25519PrivateKey a = Ed25519PrivateKey::generate();
  Ed25519PrivateKey b = Ed25519PrivateKey::generate();
  EXPECT_NE(a.seed(), b.seed());
  EXPECT_NE(a.public_key(), b.public_key());

  Bytes message = to_bytes("POST https://auth.example.com/");
  Ed25519Signature signature = a.sign(message);
  EXPECT_TRUE(a.public_key().verify(message, signature));
  EXPECT_FALSE(b.public_key().verify(message, signature));
  EXPECT_EQ(a.sign(message), signature);  // deterministic

  // The seed alone rebuilds the same key.
  auto again = Ed25519PrivateKey::from_seed(a.seed());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), a.public_key());
  EXPECT_EQ(again->sign(message), signature);
}

TEST(Ed25519, CopiesShareTheKey) {
  Ed25519PrivateKey key = key_from_seed(kOpensslSeed);
  Ed25519PrivateKey copy = key;
  Ed25519PublicKey public_copy = key.public_key();
  Bytes message = to_bytes("hello");
  EXPECT_EQ(copy.sign(message), key.sign(message));
  EXPECT_TRUE(public_copy.verify(message, key.sign(message)));
}

TEST(Ed25519, SignsAndVerifiesFromSeveralThreadsAtOnce) {
  Ed25519PrivateKey key = Ed25519PrivateKey::generate();
  Ed25519PublicKey public_key = key.public_key();
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        std::string message = std::to_string(t) + ":" + std::to_string(i);
        Ed25519Signature signature = key.sign(as_bytes(message));
        if (!public_key.verify(as_bytes(message), signature)) ++failures[t];
        if (public_key.verify(as_bytes(message + "x"), signature)) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

// The worked example of http-signatures.md §9 (example A): the signature base signed by
// @interledger/http-signature-utils with Node's Ed25519 must come out byte-identical.
TEST(Ed25519, ReproducesTheOpenPaymentsSignatureExample) {
  constexpr std::string_view kPem =
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VwBCIEILzCPPIf33nAO5Y5RqscibYFbJ8NRBDZEX6eRHRE3Lkf\n"
      "-----END PRIVATE KEY-----\n";
  auto key = Ed25519PrivateKey::from_pem(kPem);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(hex(key->seed()), "bcc23cf21fdf79c03b963946ab1c89b6056c9f0d4410d9117e9e447444dcb91f");
  EXPECT_EQ(hex(key->public_key().raw()),
            "0ea18b1eb6ffda9afe0cf852bbac685be4d008bacc29f486e95277f40cc1f93d");

  std::string body =
      R"({"access_token":{"access":[{"type":"incoming-payment","actions":["create","read"],)"
      R"("identifier":"https://wallet.example.com/alice"}]},)"
      R"("client":"https://client.example.com/app"})";
  ASSERT_EQ(body.size(), 175u);
  std::string digest = "sha-512=:" + encoding::base64_encode(sha512(body)) + ":";
  EXPECT_EQ(digest,
            "sha-512=:qYssnZYcWcSgE+BPdTPHWuvn7r0o6pbSCLCFJFfS8g7NtV4Duww9EhzUW1Pj3usJf/"
            "pzifKaExij94aOszCNEA==:");

  std::string base =
      "\"@method\": POST\n"
      "\"@target-uri\": https://auth.example.com/5b2b0a3c-9d1e-4f3a-8b7c-6d5e4f3a2b1c\n"
      "\"content-digest\": " +
      digest +
      "\n"
      "\"content-length\": 175\n"
      "\"content-type\": application/json\n"
      "\"@signature-params\": (\"@method\" \"@target-uri\" \"content-digest\" "
      "\"content-length\" \"content-type\");keyid=\"notes-test-key-1\";created=1767225600";
  ASSERT_EQ(base.size(), 404u);
  EXPECT_EQ(hex(sha256(base)), "8271c2f79220def80a3545d81849ff6f4a5c10dc7134e0364e8ba3b0c1ca6540");

  Ed25519Signature signature = key->sign(as_bytes(base));
  EXPECT_EQ(
      encoding::base64_encode(signature),
      "Umm2ux/Ht5s7BAVyMzUj2QA5gTbidlCzZDjDCoK/OA1gfp1pfGwGimUTpH6riW3+5zSFbcon4o72BzmWkxOSBg==");
  EXPECT_TRUE(key->public_key().verify(as_bytes(base), signature));
  EXPECT_FALSE(key->public_key().verify(as_bytes(base + " "), signature));
}

// --- PEM --------------------------------------------------------------------------------------

TEST(Ed25519Pem, ReadsAKeyWrittenByOpensslGenpkey) {
  auto key = Ed25519PrivateKey::from_pem(kOpensslPem);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(hex(key->seed()), kOpensslSeed);
  EXPECT_EQ(hex(key->public_key().raw()), kOpensslPublic);
}

TEST(Ed25519Pem, ReadsAKeyWrittenByNode) {
  auto key = Ed25519PrivateKey::from_pem(kNodePem);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(hex(key->public_key().raw()), kNodePublic);
}

TEST(Ed25519Pem, WritesTheSamePkcs8TextOpensslWrites) {
  Ed25519PrivateKey key = key_from_seed(kOpensslSeed);
  EXPECT_EQ(key.to_pem(), kOpensslPem);
  EXPECT_EQ(key.public_key().to_pem(), kOpensslPublicPem);
}

TEST(Ed25519Pem, RoundTripsAGeneratedKey) {
  Ed25519PrivateKey key = Ed25519PrivateKey::generate();
  std::string pem = key.to_pem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << pem;
  auto back = Ed25519PrivateKey::from_pem(pem);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->seed(), key.seed());
  EXPECT_EQ(back->public_key(), key.public_key());

  auto public_back = Ed25519PublicKey::from_pem(key.public_key().to_pem());
  ASSERT_TRUE(public_back) << public_back.error().message;
  EXPECT_EQ(*public_back, key.public_key());
}

TEST(Ed25519Pem, ReadsAPublicKeyPem) {
  auto key = Ed25519PublicKey::from_pem(kOpensslPublicPem);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(hex(key->raw()), kOpensslPublic);
}

TEST(Ed25519Pem, ToleratesCrlfAndSurroundingText) {
  std::string crlf =
      "-----BEGIN PRIVATE KEY-----\r\n"
      "MC4CAQAwBQYDK2VwBCIEIDOPX5XGjqQJmETquPKb9qFw/d6OBZO8SCDKUqS/n+9a\r\n"
      "-----END PRIVATE KEY-----\r\n";
  auto key = Ed25519PrivateKey::from_pem(crlf);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(hex(key->public_key().raw()), kOpensslPublic);

  auto padded = Ed25519PrivateKey::from_pem("\n  \n" + std::string(kOpensslPem) + "\n\n");
  ASSERT_TRUE(padded) << padded.error().message;
  EXPECT_EQ(hex(padded->public_key().raw()), kOpensslPublic);
}

TEST(Ed25519Pem, RefusesWhatIsNotAnUnencryptedEd25519PrivateKey) {
  std::string corrupted(kOpensslPem);
  corrupted.replace(corrupted.find("MC4C"), 4, "MC5C");  // DER length no longer matches
  std::string truncated(kOpensslPem);
  truncated.erase(truncated.find("-----END"));
  const std::pair<const char*, std::string> cases[] = {
      {"empty", ""},
      {"garbage", "not a key at all"},
      {"public key", std::string(kOpensslPublicPem)},
      {"encrypted", std::string(kEncryptedPem)},
      {"P-256", std::string(kP256Pem)},
      {"X25519", std::string(kX25519Pem)},
      {"corrupted DER", corrupted},
      {"no END line", truncated},
      {"bad base64", "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"},
      {"too large", std::string(kOpensslPem) + std::string(kPemMaxBytes, '\n')},
  };
  for (const auto& [name, pem] : cases) {
    auto key = Ed25519PrivateKey::from_pem(pem);
    ASSERT_FALSE(key) << name;
    EXPECT_EQ(key.error().code, kErrorInvalidPem) << name;
  }
  auto p256 = Ed25519PrivateKey::from_pem(kP256Pem);
  EXPECT_NE(p256.error().message.find("not an Ed25519 key"), std::string::npos);
}

TEST(Ed25519Pem, RefusesWhatIsNotAnEd25519PublicKey) {
  for (std::string_view pem :
       {std::string_view(""), std::string_view("garbage"), kOpensslPem, kP256Pem, kEncryptedPem}) {
    auto key = Ed25519PublicKey::from_pem(pem);
    ASSERT_FALSE(key) << pem;
    EXPECT_EQ(key.error().code, kErrorInvalidPem);
  }
}
