#include "crypto/aes_gcm.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>
#include <string>

#include "crypto/errors.h"
#include "crypto/internal.h"
#include "crypto/random.h"

namespace rafiki::crypto {
namespace {

using internal::throw_openssl_failure;

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

const EVP_CIPHER* aes256_gcm() {
  static const EVP_CIPHER* cipher = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (c == nullptr) throw_openssl_failure("EVP_CIPHER_fetch");
    return c;
  }();
  return cipher;
}

enum class Direction { kEncrypt, kDecrypt };

Result<void> check_sizes(ByteView key, ByteView iv, ByteView text, ByteView aad) {
  if (key.size() != kAes256KeyBytes) {
    return fail(kErrorInvalidKey,
                "AES-256-GCM key must be 32 bytes, got " + std::to_string(key.size()));
  }
  if (iv.empty() || iv.size() > kAesGcmIvMaxBytes) {
    return fail(kErrorInvalidInput, "AES-GCM IV must be 1 to " + std::to_string(kAesGcmIvMaxBytes) +
                                        " bytes, got " + std::to_string(iv.size()));
  }
  if (text.size() > kAesGcmMessageMaxBytes || aad.size() > kAesGcmMessageMaxBytes) {
    return fail(kErrorInvalidInput, "AES-GCM message or AAD larger than 64 MiB");
  }
  return {};
}

// A context keyed for one message. Sizes were checked, so a failure here is OpenSSL's.
CipherContext start(Direction direction, ByteView key, ByteView iv) {
  CipherContext ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw_openssl_failure("EVP_CIPHER_CTX_new");
  int enc = direction == Direction::kEncrypt ? 1 : 0;
  if (EVP_CipherInit_ex2(ctx.get(), aes256_gcm(), nullptr, nullptr, enc, nullptr) != 1) {
    throw_openssl_failure("EVP_CipherInit_ex2");
  }
  std::size_t iv_size = iv.size();
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &iv_size),
                         OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_set_params(ctx.get(), params) != 1) {
    throw_openssl_failure("EVP_CIPHER_CTX_set_params(ivlen)");
  }
  if (EVP_CipherInit_ex2(ctx.get(), nullptr, key.data(), iv.data(), enc, nullptr) != 1) {
    throw_openssl_failure("EVP_CipherInit_ex2(key)");
  }
  return ctx;
}

// Feeds AAD (out == nullptr) or text; sizes are bounded by kAesGcmMessageMaxBytes, far below
// INT_MAX, so one call suffices.
void update(EVP_CIPHER_CTX* ctx, std::uint8_t* out, ByteView in) {
  if (in.empty()) return;
  int written = 0;
  if (EVP_CipherUpdate(ctx, out, &written, in.data(), static_cast<int>(in.size())) != 1 ||
      (out != nullptr && static_cast<std::size_t>(written) != in.size())) {
    throw_openssl_failure("EVP_CipherUpdate");
  }
}

}  // namespace

Result<AesGcmSealed> aes256_gcm_encrypt(ByteView key, ByteView iv, ByteView plaintext,
                                        ByteView aad) {
  if (auto ok = check_sizes(key, iv, plaintext, aad); !ok) return std::unexpected(ok.error());
  CipherContext ctx = start(Direction::kEncrypt, key, iv);
  update(ctx.get(), nullptr, aad);
  AesGcmSealed sealed{Bytes(plaintext.size()), {}};
  update(ctx.get(), sealed.ciphertext.data(), plaintext);
  int written = 0;
  std::uint8_t final_block[16];  // GCM is a stream mode: nothing is written here
  if (EVP_EncryptFinal_ex(ctx.get(), final_block, &written) != 1 || written != 0) {
    throw_openssl_failure("EVP_EncryptFinal_ex");
  }
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                                           sealed.tag.data(), sealed.tag.size()),
                         OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_get_params(ctx.get(), params) != 1) {
    throw_openssl_failure("EVP_CIPHER_CTX_get_params(tag)");
  }
  return sealed;
}

Result<Bytes> aes256_gcm_decrypt(ByteView key, ByteView iv, ByteView ciphertext, ByteView tag,
                                 ByteView aad) {
  if (auto ok = check_sizes(key, iv, ciphertext, aad); !ok) return std::unexpected(ok.error());
  if (tag.size() != kAesGcmTagBytes) {
    return fail(kErrorInvalidInput,
                "AES-GCM tag must be 16 bytes, got " + std::to_string(tag.size()));
  }
  internal::OpenSslErrorScope errors;  // a failed tag check queues an error; drop it
  CipherContext ctx = start(Direction::kDecrypt, key, iv);
  update(ctx.get(), nullptr, aad);
  Bytes plaintext(ciphertext.size());
  update(ctx.get(), plaintext.data(), ciphertext);
  AesGcmTag expected;
  std::copy(tag.begin(), tag.end(), expected.begin());
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                                           expected.data(), expected.size()),
                         OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_set_params(ctx.get(), params) != 1) {
    throw_openssl_failure("EVP_CIPHER_CTX_set_params(tag)");
  }
  int written = 0;
  std::uint8_t final_block[16];
  if (EVP_DecryptFinal_ex(ctx.get(), final_block, &written) != 1) {
    // Unauthenticated plaintext must not linger in memory that is about to be freed.
    if (!plaintext.empty()) OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return fail(kErrorDecryptFailed, "AES-GCM authentication failed");
  }
  return plaintext;
}

Result<Bytes> stream_encrypt(ByteView key, ByteView plaintext) {
  std::array<std::uint8_t, kAesGcmIvBytes> iv;
  fill_random(iv);
  return stream_encrypt_with_iv(key, iv, plaintext);
}

Result<Bytes> stream_encrypt_with_iv(ByteView key, ByteView iv, ByteView plaintext) {
  if (iv.size() != kAesGcmIvBytes) {
    return fail(kErrorInvalidInput, "STREAM IV must be 12 bytes, got " + std::to_string(iv.size()));
  }
  auto sealed = aes256_gcm_encrypt(key, iv, plaintext);
  if (!sealed) return std::unexpected(sealed.error());
  Bytes out;
  out.reserve(kStreamEnvelopeOverheadBytes + sealed->ciphertext.size());
  out.insert(out.end(), iv.begin(), iv.end());
  out.insert(out.end(), sealed->tag.begin(), sealed->tag.end());
  out.insert(out.end(), sealed->ciphertext.begin(), sealed->ciphertext.end());
  return out;
}

Result<Bytes> stream_decrypt(ByteView key, ByteView data) {
  if (key.size() != kAes256KeyBytes) {
    return fail(kErrorInvalidKey, "STREAM key must be 32 bytes, got " + std::to_string(key.size()));
  }
  if (data.size() < kStreamEnvelopeOverheadBytes) {
    return fail(kErrorDecryptFailed, "STREAM data shorter than IV and tag (28 bytes)");
  }
  ByteView iv = data.first(kAesGcmIvBytes);
  ByteView tag = data.subspan(kAesGcmIvBytes, kAesGcmTagBytes);
  ByteView ciphertext = data.subspan(kStreamEnvelopeOverheadBytes);
  auto plaintext = aes256_gcm_decrypt(key, iv, ciphertext, tag);
  if (!plaintext && plaintext.error().code == kErrorInvalidInput) {
    return fail(kErrorDecryptFailed, plaintext.error().message);  // e.g. over the size bound
  }
  return plaintext;
}

}  // namespace rafiki::crypto
