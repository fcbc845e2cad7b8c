// Cryptographically secure random bytes (OpenSSL's DRBG, seeded by the OS) for keys, nonces,
// IVs, tokens and secrets. The generator failing is broken infrastructure, not an expected
// outcome: both functions throw std::runtime_error then and never return weak bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.h"

namespace rafiki::crypto {

// n fresh random bytes (n may be 0).
Bytes random_bytes(std::size_t n);

// Overwrites every byte of `out` with fresh random bytes.
void fill_random(std::span<std::uint8_t> out);

}  // namespace rafiki::crypto
