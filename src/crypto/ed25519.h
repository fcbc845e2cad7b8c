// Ed25519 signatures (RFC 8032, pure EdDSA): the keys behind HTTP message signatures (RFC 9421)
// and Open Payments clients. Private keys come from a 32-byte seed, a fresh generation, or a
// PKCS#8 PEM (`openssl genpkey -algorithm ed25519`, Node's generateKeyPairSync('ed25519'), the
// file named by PRIVATE_KEY_FILE); public keys from 32 raw bytes, SPKI PEM or an Open Payments
// JWK. Keys are immutable and cheap to copy (copies share one OpenSSL key); every operation is
// safe from several threads at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/errors.h"

namespace boost::json {
class value;
class object;
}  // namespace boost::json

namespace rafiki::crypto {

inline constexpr std::size_t kEd25519SeedBytes = 32;
inline constexpr std::size_t kEd25519PublicKeyBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;
// Bound on PEM text handed to the parsers (a PEM Ed25519 key is about 120 bytes).
inline constexpr std::size_t kPemMaxBytes = 16 * 1024;

using Ed25519Seed = std::array<std::uint8_t, kEd25519SeedBytes>;
using Ed25519RawPublicKey = std::array<std::uint8_t, kEd25519PublicKeyBytes>;
using Ed25519Signature = std::array<std::uint8_t, kEd25519SignatureBytes>;

namespace detail {
struct Ed25519Handle;  // the OpenSSL key, defined in ed25519.cpp
}

class Ed25519PublicKey {
 public:
  // Errors: crypto.invalid_key unless `raw` is exactly 32 bytes.
  static Result<Ed25519PublicKey> from_raw(ByteView raw);
  // A SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"). Errors: crypto.invalid_pem when
  // the text is not such a PEM, is over kPemMaxBytes, or holds a key of another algorithm.
  static Result<Ed25519PublicKey> from_pem(std::string_view pem);

  const Ed25519RawPublicKey& raw() const { return raw_; }
  std::string to_pem() const;

  // True only when `signature` is a valid 64-byte Ed25519 signature of `message` by this key;
  // anything else (wrong size, other key, altered message) is false.
  bool verify(ByteView message, ByteView signature) const;

  friend bool operator==(const Ed25519PublicKey& a, const Ed25519PublicKey& b) {
    return a.raw_ == b.raw_;
  }

 private:
  friend class Ed25519PrivateKey;
  Ed25519PublicKey(const Ed25519RawPublicKey& raw,
                   std::shared_ptr<const detail::Ed25519Handle> handle);

  Ed25519RawPublicKey raw_;
  std::shared_ptr<const detail::Ed25519Handle> handle_;
};

class Ed25519PrivateKey {
 public:
  // A new key from the CSPRNG. Throws std::runtime_error only if the generator fails.
  static Ed25519PrivateKey generate();
  // Errors: crypto.invalid_key unless `seed` is exactly 32 bytes.
  static Result<Ed25519PrivateKey> from_seed(ByteView seed);
  // An unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). Errors: crypto.invalid_pem when
  // the text is not such a PEM, is over kPemMaxBytes, is encrypted (no passphrase is ever
  // asked for), or holds a key of another algorithm.
  static Result<Ed25519PrivateKey> from_pem(std::string_view pem);

  // PKCS#8 PEM, the form from_pem reads. It holds the secret: never log it.
  std::string to_pem() const;
  // The 32-byte secret seed (RFC 8032 "private key"). Never log it.
  Ed25519Seed seed() const;
  const Ed25519PublicKey& public_key() const { return public_key_; }

  // The deterministic 64-byte signature of `message`. Throws std::runtime_error only if
  // OpenSSL fails.
  Ed25519Signature sign(ByteView message) const;

 private:
  Ed25519PrivateKey(std::shared_ptr<const detail::Ed25519Handle> handle,
                    Ed25519PublicKey public_key);

  std::shared_ptr<const detail::Ed25519Handle> handle_;
  Ed25519PublicKey public_key_;
};

// --- JWK (RFC 8037) as Open Payments uses it -----------------------------------------------

// Bounds on what a client may send us as a key.
inline constexpr std::size_t kJwkKidMaxBytes = 256;
inline constexpr std::size_t kJwkTextMaxBytes = 4096;

struct Jwk {
  std::string kid;
  Ed25519PublicKey key;
};

// Reads an Open Payments public key: a JSON object whose members kid (non-empty string of at
// most kJwkKidMaxBytes), alg ("EdDSA"), kty ("OKP"), crv ("Ed25519") and x (unpadded base64url
// of the 32-byte public key) are all required; use, if present, must be "sig". A JWK carrying
// the private member "d" is refused (the key is exposed and must not be stored or published).
// Other members are ignored. Errors: crypto.invalid_jwk with a message naming the member.
Result<Jwk> jwk_from_json(const boost::json::value& value);
// The same from JSON text; also crypto.invalid_jwk for text that is not JSON or is over
// kJwkTextMaxBytes.
Result<Jwk> jwk_from_text(std::string_view text);

// {"kid","alg":"EdDSA","kty":"OKP","crv":"Ed25519","x"}: exactly the members upstream publishes
// in a JWKS document.
boost::json::object jwk_to_json(const Jwk& jwk);
std::string jwk_to_text(const Jwk& jwk);

}  // namespace rafiki::crypto
