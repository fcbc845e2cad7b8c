// AES-256-GCM authenticated encryption (NIST SP 800-38D), and the STREAM (RFC 29) envelope built
// on it: IV(12) || tag(16) || ciphertext, no AAD. Decryption checks the tag before anything is
// returned: tampered ciphertext, tag, IV or AAD yields an error, never plaintext.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/errors.h"

namespace rafiki::crypto {

inline constexpr std::size_t kAes256KeyBytes = 32;
inline constexpr std::size_t kAesGcmIvBytes = 12;  // the recommended IV size; STREAM uses it
// GCM accepts other IV sizes (hashed into a counter); upstream's database encryption uses a
// 44-byte IV, so anything from 1 to this many bytes is accepted.
inline constexpr std::size_t kAesGcmIvMaxBytes = 128;
inline constexpr std::size_t kAesGcmTagBytes = 16;
// Bound on plaintext, ciphertext and AAD sizes, each (everything here is held in memory).
inline constexpr std::size_t kAesGcmMessageMaxBytes = std::size_t{64} << 20;

using AesGcmTag = std::array<std::uint8_t, kAesGcmTagBytes>;

struct AesGcmSealed {
  Bytes ciphertext;  // same length as the plaintext
  AesGcmTag tag;
};

// Never encrypt two messages with the same key and IV. Errors: crypto.invalid_key (key not 32
// bytes), crypto.invalid_input (IV size outside 1..kAesGcmIvMaxBytes, plaintext or AAD over
// kAesGcmMessageMaxBytes).
Result<AesGcmSealed> aes256_gcm_encrypt(ByteView key, ByteView iv, ByteView plaintext,
                                        ByteView aad = {});

// The plaintext, only if `tag` (exactly 16 bytes; truncated tags are refused) authenticates
// key, IV, ciphertext and AAD. Errors: crypto.invalid_key, crypto.invalid_input (sizes as for
// encryption, or a tag that is not 16 bytes), crypto.decrypt_failed (authentication failed).
Result<Bytes> aes256_gcm_decrypt(ByteView key, ByteView iv, ByteView ciphertext, ByteView tag,
                                 ByteView aad = {});

// --- STREAM envelope (RFC 29 §5.2; key from stream_encryption_key in crypto/stream_keys.h) ---

inline constexpr std::size_t kStreamEnvelopeOverheadBytes = kAesGcmIvBytes + kAesGcmTagBytes;

// IV(12 random bytes) || tag || ciphertext. Errors as aes256_gcm_encrypt. Throws
// std::runtime_error only if the random generator fails.
Result<Bytes> stream_encrypt(ByteView key, ByteView plaintext);

// The same envelope with a caller-chosen IV, to reproduce published vectors. Production code
// uses stream_encrypt: a repeated IV under one key breaks GCM.
Result<Bytes> stream_encrypt_with_iv(ByteView key, ByteView iv, ByteView plaintext);

// The plaintext of an envelope. Errors: crypto.invalid_key; crypto.decrypt_failed when `data` is
// shorter than kStreamEnvelopeOverheadBytes or does not authenticate under `key`.
Result<Bytes> stream_decrypt(ByteView key, ByteView data);

}  // namespace rafiki::crypto
