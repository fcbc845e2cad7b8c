// Refusals must leave OpenSSL's per-thread error queue as they found it: a TLS stream on the
// same thread reads that queue and would otherwise report a stale key or tag error as its own.
#include "crypto/internal.h"

#include <openssl/err.h>

#include <gtest/gtest.h>

#include <stdexcept>

#include "crypto/aes_gcm.h"
#include "crypto/ed25519.h"

using namespace rafiki;
using namespace rafiki::crypto;

TEST(OpenSslErrors, RefusalsLeaveNoQueuedErrors) {
  ERR_clear_error();
  EXPECT_FALSE(
      Ed25519PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n"));
  EXPECT_FALSE(Ed25519PrivateKey::from_pem("garbage"));
  EXPECT_FALSE(Ed25519PublicKey::from_pem("garbage"));
  Ed25519PrivateKey key = Ed25519PrivateKey::generate();
  EXPECT_FALSE(key.public_key().verify(as_bytes("message"), Bytes(64, 0)));
  EXPECT_FALSE(aes256_gcm_decrypt(Bytes(32, 1), Bytes(12, 0), Bytes(8, 0), Bytes(16, 0)));
  EXPECT_FALSE(stream_decrypt(Bytes(32, 1), Bytes(40, 0)));
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(OpenSslErrors, ScopeKeepsErrorsRaisedBeforeIt) {
  ERR_clear_error();
  ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);  // someone else's pending error
  unsigned long before = ERR_peek_error();
  ASSERT_NE(before, 0u);
  EXPECT_FALSE(Ed25519PrivateKey::from_pem("garbage"));
  EXPECT_EQ(ERR_peek_error(), before);
  EXPECT_EQ(ERR_peek_last_error(), before);
  ERR_clear_error();
}

TEST(OpenSslErrors, InfrastructureFailureThrowsWithTheReason) {
  ERR_clear_error();
  ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);
  try {
    internal::throw_openssl_failure("TestOperation");
    FAIL() << "did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("TestOperation"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("internal error"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ERR_peek_error(), 0u);
}
