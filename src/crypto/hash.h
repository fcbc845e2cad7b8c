// Digests and MACs: SHA-256 and SHA-512 (FIPS 180-4), HMAC over them (RFC 2104), and a
// comparison whose time does not depend on the bytes compared (for MACs, tokens, fulfillments).
// None of these fail on valid memory: an OpenSSL failure means broken infrastructure and throws
// std::runtime_error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "base/bytes.h"

namespace rafiki::crypto {

inline constexpr std::size_t kSha256Bytes = 32;
inline constexpr std::size_t kSha512Bytes = 64;

using Sha256Digest = std::array<std::uint8_t, kSha256Bytes>;
using Sha512Digest = std::array<std::uint8_t, kSha512Bytes>;

Sha256Digest sha256(ByteView data);
Sha512Digest sha512(ByteView data);
inline Sha256Digest sha256(std::string_view text) {
  return sha256(as_bytes(text));
}
inline Sha512Digest sha512(std::string_view text) {
  return sha512(as_bytes(text));
}

// Any key length is accepted, empty included; keys longer than the hash block are hashed first.
Sha256Digest hmac_sha256(ByteView key, ByteView data);
Sha512Digest hmac_sha512(ByteView key, ByteView data);

// True when a and b have the same length and the same bytes. The time taken depends on the
// lengths only (lengths are not treated as secret).
bool constant_time_equal(ByteView a, ByteView b);

// SHA-256 of data that arrives in pieces. Move-only; a moved-from hasher may only be assigned
// to or destroyed.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  Sha256& update(ByteView data);
  Sha256& update(std::string_view text) { return update(as_bytes(text)); }
  // The digest of everything given since construction or the last finish(); the hasher is then
  // empty again and can be reused.
  Sha256Digest finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rafiki::crypto
