#include "crypto/ed25519.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "crypto/errors.h"
#include "crypto/internal.h"
#include "crypto/random.h"

namespace rafiki::crypto {

namespace detail {
struct Ed25519Handle {
  explicit Ed25519Handle(EVP_PKEY* p) : pkey(p) {}
  ~Ed25519Handle() { EVP_PKEY_free(pkey); }
  Ed25519Handle(const Ed25519Handle&) = delete;
  Ed25519Handle& operator=(const Ed25519Handle&) = delete;

  EVP_PKEY* pkey;  // never modified after construction; OpenSSL reference-counts its uses
};
}  // namespace detail

namespace {

using detail::Ed25519Handle;
using internal::OpenSslErrorScope;
using internal::throw_openssl_failure;

constexpr const char* kAlgorithm = "ED25519";

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct MdContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdContext = std::unique_ptr<EVP_MD_CTX, MdContextFree>;

// OpenSSL treats a null buffer as "absent" in places; an empty message is still a message.
const std::uint8_t* bytes_or_empty(ByteView data) {
  static constexpr std::uint8_t kEmpty = 0;
  return data.empty() ? &kEmpty : data.data();
}

// Refuses to ask for a passphrase (OpenSSL's default would prompt on the terminal).
int refuse_passphrase(char*, int, int, void*) {
  return -1;
}

std::shared_ptr<const Ed25519Handle> own(PkeyPtr pkey) {
  auto handle = std::make_shared<const Ed25519Handle>(pkey.get());
  pkey.release();
  return handle;
}

Ed25519RawPublicKey raw_public_of(EVP_PKEY* pkey) {
  Ed25519RawPublicKey raw{};
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(pkey, raw.data(), &size) != 1 || size != raw.size()) {
    throw_openssl_failure("EVP_PKEY_get_raw_public_key");
  }
  return raw;
}

// A read-only memory BIO over `pem`, or an error when the text is empty or too large.
Result<BioPtr> pem_reader(std::string_view pem) {
  if (pem.empty()) return fail(kErrorInvalidPem, "PEM text is empty");
  if (pem.size() > kPemMaxBytes) {
    return fail(kErrorInvalidPem,
                "PEM text larger than " + std::to_string(kPemMaxBytes) + " bytes");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw_openssl_failure("BIO_new_mem_buf");
  return bio;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) throw_openssl_failure("BIO_get_mem_data");
  return std::string(data, static_cast<std::size_t>(size));
}

BioPtr pem_writer() {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) throw_openssl_failure("BIO_new");
  return bio;
}

}  // namespace

// --- public key ---------------------------------------------------------------------------

Ed25519PublicKey::Ed25519PublicKey(const Ed25519RawPublicKey& raw,
                                   std::shared_ptr<const detail::Ed25519Handle> handle)
    : raw_(raw), handle_(std::move(handle)) {}

Result<Ed25519PublicKey> Ed25519PublicKey::from_raw(ByteView raw) {
  if (raw.size() != kEd25519PublicKeyBytes) {
    return fail(kErrorInvalidKey,
                "Ed25519 public key must be 32 bytes, got " + std::to_string(raw.size()));
  }
  OpenSslErrorScope errors;
  PkeyPtr pkey(
      EVP_PKEY_new_raw_public_key_ex(nullptr, kAlgorithm, nullptr, raw.data(), raw.size()));
  if (!pkey) throw_openssl_failure("EVP_PKEY_new_raw_public_key_ex");
  Ed25519RawPublicKey copy;
  std::copy(raw.begin(), raw.end(), copy.begin());
  return Ed25519PublicKey(copy, own(std::move(pkey)));
}

Result<Ed25519PublicKey> Ed25519PublicKey::from_pem(std::string_view pem) {
  auto bio = pem_reader(pem);
  if (!bio) return std::unexpected(bio.error());
  OpenSslErrorScope errors;
  PkeyPtr pkey(
      PEM_read_bio_PUBKEY_ex(bio->get(), nullptr, refuse_passphrase, nullptr, nullptr, nullptr));
  if (!pkey) {
    return fail(kErrorInvalidPem, "not a PEM public key (expected \"BEGIN PUBLIC KEY\")");
  }
  if (EVP_PKEY_is_a(pkey.get(), kAlgorithm) != 1) {
    return fail(kErrorInvalidPem, "PEM public key is not an Ed25519 key");
  }
  Ed25519RawPublicKey raw = raw_public_of(pkey.get());
  return Ed25519PublicKey(raw, own(std::move(pkey)));
}

std::string Ed25519PublicKey::to_pem() const {
  BioPtr bio = pem_writer();
  if (PEM_write_bio_PUBKEY(bio.get(), handle_->pkey) != 1) {
    throw_openssl_failure("PEM_write_bio_PUBKEY");
  }
  return drain(bio.get());
}

bool Ed25519PublicKey::verify(ByteView message, ByteView signature) const {
  if (signature.size() != kEd25519SignatureBytes) return false;
  OpenSslErrorScope errors;  // a bad signature may queue an error; it is an answer, not a fault
  MdContext ctx(EVP_MD_CTX_new());
  if (!ctx) throw_openssl_failure("EVP_MD_CTX_new");
  if (EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, handle_->pkey,
                              nullptr) != 1) {
    throw_openssl_failure("EVP_DigestVerifyInit_ex");
  }
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), bytes_or_empty(message),
                          message.size()) == 1;
}

// --- private key --------------------------------------------------------------------------

Ed25519PrivateKey::Ed25519PrivateKey(std::shared_ptr<const detail::Ed25519Handle> handle,
                                     Ed25519PublicKey public_key)
    : handle_(std::move(handle)), public_key_(std::move(public_key)) {}

Ed25519PrivateKey Ed25519PrivateKey::generate() {
  Ed25519Seed seed;
  fill_random(seed);
  auto key = from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!key) throw std::runtime_error(key.error().message);  // cannot happen: the size is right
  return *std::move(key);
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_seed(ByteView seed) {
  if (seed.size() != kEd25519SeedBytes) {
    return fail(kErrorInvalidKey,
                "Ed25519 seed must be 32 bytes, got " + std::to_string(seed.size()));
  }
  OpenSslErrorScope errors;
  PkeyPtr pkey(
      EVP_PKEY_new_raw_private_key_ex(nullptr, kAlgorithm, nullptr, seed.data(), seed.size()));
  if (!pkey) throw_openssl_failure("EVP_PKEY_new_raw_private_key_ex");
  Ed25519RawPublicKey raw = raw_public_of(pkey.get());
  auto handle = own(std::move(pkey));
  // The private key verifies as well as it signs, so the public half shares the same handle.
  return Ed25519PrivateKey(handle, Ed25519PublicKey(raw, handle));
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_pem(std::string_view pem) {
  auto bio = pem_reader(pem);
  if (!bio) return std::unexpected(bio.error());
  OpenSslErrorScope errors;
  PkeyPtr pkey(PEM_read_bio_PrivateKey_ex(bio->get(), nullptr, refuse_passphrase, nullptr, nullptr,
                                          nullptr));
  if (!pkey) {
    return fail(kErrorInvalidPem,
                "not an unencrypted PKCS#8 PEM private key (expected \"BEGIN PRIVATE KEY\")");
  }
  if (EVP_PKEY_is_a(pkey.get(), kAlgorithm) != 1) {
    return fail(kErrorInvalidPem, "PEM private key is not an Ed25519 key");
  }
  Ed25519RawPublicKey raw = raw_public_of(pkey.get());
  auto handle = own(std::move(pkey));
  return Ed25519PrivateKey(handle, Ed25519PublicKey(raw, handle));
}

std::string Ed25519PrivateKey::to_pem() const {
  BioPtr bio = pem_writer();
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY") for provider keys.
  if (PEM_write_bio_PrivateKey(bio.get(), handle_->pkey, nullptr, nullptr, 0, nullptr, nullptr) !=
      1) {
    throw_openssl_failure("PEM_write_bio_PrivateKey");
  }
  return drain(bio.get());
}

Ed25519Seed Ed25519PrivateKey::seed() const {
  Ed25519Seed seed{};
  std::size_t size = seed.size();
  if (EVP_PKEY_get_raw_private_key(handle_->pkey, seed.data(), &size) != 1 || size != seed.size()) {
    throw_openssl_failure("EVP_PKEY_get_raw_private_key");
  }
  return seed;
}

Ed25519Signature Ed25519PrivateKey::sign(ByteView message) const {
  MdContext ctx(EVP_MD_CTX_new());
  if (!ctx) throw_openssl_failure("EVP_MD_CTX_new");
  if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, handle_->pkey,
                            nullptr) != 1) {
    throw_openssl_failure("EVP_DigestSignInit_ex");
  }
  Ed25519Signature signature{};
  std::size_t size = signature.size();
  if (EVP_DigestSign(ctx.get(), signature.data(), &size, bytes_or_empty(message), message.size()) !=
          1 ||
      size != signature.size()) {
    throw_openssl_failure("EVP_DigestSign");
  }
  return signature;
}

}  // namespace rafiki::crypto
