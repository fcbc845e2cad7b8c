// STREAM receipts (RFC 39): a receiver's signed statement of the total it has received on a
// stream, 58 bytes:
//   UInt8 version (1) ‖ nonce (16) ‖ UInt8 streamId ‖ UInt64 totalReceived ‖
//   HMAC-SHA256(receiptSecret, the first 26 bytes) (32)
// The nonce and secret come from whoever verifies (SPSP Receipt-Nonce / Receipt-Secret).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "base/errors.h"

namespace rafiki::ilp::stream {

inline constexpr std::size_t kReceiptNonceBytes = 16;
inline constexpr std::size_t kReceiptSecretBytes = 32;
inline constexpr std::size_t kReceiptBytes = 58;
inline constexpr std::uint8_t kReceiptVersion = 1;

inline constexpr const char* kErrBadReceipt = "ilp.stream.bad_receipt";

using ReceiptNonce = std::array<std::uint8_t, kReceiptNonceBytes>;
using ReceiptSecret = std::array<std::uint8_t, kReceiptSecretBytes>;

struct Receipt {
  ReceiptNonce nonce{};
  std::uint8_t stream_id = 0;
  std::uint64_t total_received = 0;
};

// The 58 receipt bytes. Never fails. (RFC 39 has a one-byte stream id: STREAM receivers issue
// receipts for stream 1.)
Bytes create_receipt(const ReceiptNonce& nonce, const ReceiptSecret& secret, std::uint8_t stream_id,
                     std::uint64_t total_received);

// The receipt's fields if `bytes` is exactly 58 bytes, version 1, and its HMAC verifies under
// `secret` (compared in constant time). Fails with kErrBadReceipt otherwise. Checking the nonce
// and that the total grew is the verifier's job.
Result<Receipt> verify_receipt(ByteView bytes, const ReceiptSecret& secret);

}  // namespace rafiki::ilp::stream
