// ILDCP, the Interledger Dynamic Configuration Protocol (RFC 31): a child asks its parent for
// its ILP address and asset with a Prepare to `peer.config`, and the parent answers with a
// Fulfill whose data is `var octet string address ‖ UInt8 asset scale ‖ var UTF-8 asset code`.
// The request's condition is SHA-256 of 32 zero bytes and the answer's fulfillment is 32 zero
// bytes, so neither side needs a secret.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/errors.h"
#include "base/time.h"
#include "ilp/packet.h"

namespace rafiki::ildcp {

// SHA-256 of kFulfillment.
inline constexpr ilp::Condition kCondition = {
    0x66, 0x68, 0x7a, 0xad, 0xf8, 0x62, 0xbd, 0x77, 0x6c, 0x8f, 0xc1, 0x8b, 0x8e, 0x9f, 0x8e, 0x20,
    0x08, 0x97, 0x14, 0x85, 0x6e, 0xe2, 0x33, 0xb3, 0x90, 0x2a, 0x59, 0x1d, 0x0d, 0x5f, 0x29, 0x25};
inline constexpr ilp::Fulfillment kFulfillment{};
// Asset codes are short ("USD", "XRP"); bounded so a response is small.
inline constexpr std::size_t kAssetCodeBytesMax = 255;

struct Response {
  std::string_view client_address;  // borrowed
  std::uint8_t asset_scale = 0;
  std::string_view asset_code;  // UTF-8; borrowed
};

// The Prepare a child sends: amount 0, the ILDCP condition, destination peer.config, empty
// data. Fails only with kErrBadTimestamp (expiry outside years 0..9999).
Result<Bytes> encode_request(TimePoint expires_at);

// Checks a decoded Prepare is an ILDCP request the way ilp-protocol-ildcp's server does:
// destination peer.config (kErrBadAddress), the ILDCP condition (kErrBadValue), not expired at
// `now` (kErrBadTimestamp). The message suits the F00 reject a server answers with.
Result<void> validate_request(const ilp::Prepare& prepare, TimePoint now);

// The Fulfill a parent answers with. Fails with kErrBadAddress (client address), kErrTooLarge
// or kErrBadUtf8 (asset code).
Result<Bytes> encode_response(const Response& response);

// The Response inside an encoded Fulfill. Fails as ilp::decode_fulfill, with kErrBadValue when
// the fulfillment is not 32 zero bytes, and as decode_response_data. Borrows from `packet`.
Result<Response> decode_response(ByteView packet);
// The Response inside a Fulfill's data. Fails with kErrTruncated, kErrBadLength,
// kErrBadAddress, kErrTooLarge, kErrBadUtf8; bytes after the asset code are ignored.
Result<Response> decode_response_data(ByteView data);

}  // namespace rafiki::ildcp
