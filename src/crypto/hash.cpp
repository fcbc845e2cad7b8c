#include "crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/internal.h"

namespace rafiki::crypto {
namespace {

using internal::throw_openssl_failure;

// Algorithms are fetched once per process (an implicit fetch on every call costs a lookup under
// a lock); the fetched objects live as long as the process.
const EVP_MD* fetch_digest(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) throw_openssl_failure("EVP_MD_fetch");
  return md;
}

const EVP_MD* sha256_md() {
  static const EVP_MD* md = fetch_digest("SHA2-256");
  return md;
}

const EVP_MD* sha512_md() {
  static const EVP_MD* md = fetch_digest("SHA2-512");
  return md;
}

template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md, ByteView data) {
  std::array<std::uint8_t, N> out{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &size, md, nullptr) != 1 || size != N) {
    throw_openssl_failure("EVP_Digest");
  }
  return out;
}

struct MacContextFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacContextFree>;

// An HMAC context with its digest already set; each MAC starts from a copy of it, which skips
// the algorithm and digest lookups. The template itself is only read, so copies from several
// threads at once are safe.
const EVP_MAC_CTX* make_hmac_template(const char* digest_name) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw_openssl_failure("EVP_MAC_fetch");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context keeps its own reference
  if (ctx == nullptr) throw_openssl_failure("EVP_MAC_CTX_new");
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx, params) != 1) throw_openssl_failure("EVP_MAC_CTX_set_params");
  return ctx;
}

const EVP_MAC_CTX* hmac_sha256_template() {
  static const EVP_MAC_CTX* ctx = make_hmac_template("SHA2-256");
  return ctx;
}

const EVP_MAC_CTX* hmac_sha512_template() {
  static const EVP_MAC_CTX* ctx = make_hmac_template("SHA2-512");
  return ctx;
}

template <std::size_t N>
std::array<std::uint8_t, N> hmac(const EVP_MAC_CTX* tmpl, ByteView key, ByteView data) {
  MacContext ctx(EVP_MAC_CTX_dup(tmpl));
  if (!ctx) throw_openssl_failure("EVP_MAC_CTX_dup");
  // A null key pointer means "keep the previous key" to OpenSSL; an empty key must still be set.
  static constexpr std::uint8_t kNoKeyBytes = 0;
  const std::uint8_t* key_bytes = key.empty() ? &kNoKeyBytes : key.data();
  if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), nullptr) != 1) {
    throw_openssl_failure("EVP_MAC_init");
  }
  if (EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) {
    throw_openssl_failure("EVP_MAC_update");
  }
  std::array<std::uint8_t, N> out{};
  std::size_t size = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &size, out.size()) != 1 || size != N) {
    throw_openssl_failure("EVP_MAC_final");
  }
  return out;
}

}  // namespace

Sha256Digest sha256(ByteView data) {
  return digest<kSha256Bytes>(sha256_md(), data);
}
Sha512Digest sha512(ByteView data) {
  return digest<kSha512Bytes>(sha512_md(), data);
}

Sha256Digest hmac_sha256(ByteView key, ByteView data) {
  return hmac<kSha256Bytes>(hmac_sha256_template(), key, data);
}

Sha512Digest hmac_sha512(ByteView key, ByteView data) {
  return hmac<kSha512Bytes>(hmac_sha512_template(), key, data);
}

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }

  void reset() {
    if (EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1) {
      throw_openssl_failure("EVP_DigestInit_ex2");
    }
  }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  if (state_->ctx == nullptr) throw_openssl_failure("EVP_MD_CTX_new");
  state_->reset();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

Sha256& Sha256::update(ByteView data) {
  if (EVP_DigestUpdate(state_->ctx, data.data(), data.size()) != 1) {
    throw_openssl_failure("EVP_DigestUpdate");
  }
  return *this;
}

Sha256Digest Sha256::finish() {
  Sha256Digest out{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(state_->ctx, out.data(), &size) != 1 || size != kSha256Bytes) {
    throw_openssl_failure("EVP_DigestFinal_ex");
  }
  state_->reset();
  return out;
}

}  // namespace rafiki::crypto
