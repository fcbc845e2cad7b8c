#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>

#include "crypto/internal.h"

namespace rafiki::crypto {
namespace {

// RAND_bytes takes an int length; larger requests are served in pieces of this size.
constexpr std::size_t kRandChunkMaxBytes = std::size_t{1} << 30;

}  // namespace

void fill_random(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    std::size_t n = std::min(out.size(), kRandChunkMaxBytes);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      internal::throw_openssl_failure("RAND_bytes");
    }
    out = out.subspan(n);
  }
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  fill_random(out);
  return out;
}

}  // namespace rafiki::crypto
