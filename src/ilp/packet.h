// ILPv4 packets (RFC 27): Prepare (type 12), Fulfill (13) and Reject (14), each an OER
// envelope `UInt8 type ‖ var octet string contents`.
//
// The structs are views: decoding fills them with pointers into the input bytes (which must
// outlive them) and copies only the fixed-size fields; encoding reads them and returns a new
// buffer, sized once. Encoders and decoders apply the same rules, so anything we encode we can
// decode: destination a valid address (RFC 15), triggeredBy a valid address or empty, reject
// code three ASCII letters or digits, message valid UTF-8 of at most 8191 bytes, data at most
// 32767 bytes, expiresAt a strict 17-digit timestamp. Decoders never throw and never read out
// of bounds; they refuse bytes after the envelope but ignore bytes after the last known field
// inside the contents (RFC 27 extensibility, as ilp-packet does).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>

#include "base/bytes.h"
#include "base/errors.h"
#include "base/time.h"
#include "ilp/address.h"
#include "ilp/timestamp.h"

namespace rafiki::ilp {

enum class PacketType : std::uint8_t { kPrepare = 12, kFulfill = 13, kReject = 14 };

inline constexpr std::size_t kConditionBytes = 32;     // SHA-256 digest
inline constexpr std::size_t kFulfillmentBytes = 32;   // its preimage
inline constexpr std::size_t kDataBytesMax = 32767;    // data field of every packet (ASN.1 bound)
inline constexpr std::size_t kMessageBytesMax = 8191;  // reject message, UTF-8 bytes

// Largest envelope any packet can have (a Reject with every field at its bound): a bound for
// transports reading a packet from the network.
inline constexpr std::size_t kPacketBytesMax =
    1 + 3 + 3 + (3 + kAddressLengthMax) + (3 + kMessageBytesMax) + (3 + kDataBytesMax);

using Condition = std::array<std::uint8_t, kConditionBytes>;
using Fulfillment = std::array<std::uint8_t, kFulfillmentBytes>;

struct Prepare {
  std::uint64_t amount = 0;
  TimePoint expires_at{};
  Condition execution_condition{};
  std::string_view destination;  // borrowed
  ByteView data;                 // borrowed
};

struct Fulfill {
  Fulfillment fulfillment{};
  ByteView data;  // borrowed
};

struct Reject {
  std::string_view code;          // "F02"; borrowed
  std::string_view triggered_by;  // an address or empty; borrowed
  std::string_view message;       // borrowed
  ByteView data;                  // borrowed
};

using Reply = std::variant<Fulfill, Reject>;

// Encoders fail with kErrBadAddress (destination / triggeredBy), kErrTooLarge (data, message),
// kErrBadUtf8 (message), kErrBadCode (code), kErrBadTimestamp (expiry outside years 0..9999).
Result<Bytes> encode_prepare(const Prepare& prepare);
Result<Bytes> encode_fulfill(const Fulfill& fulfill);
Result<Bytes> encode_reject(const Reject& reject);
Result<Bytes> encode_reply(const Reply& reply);

// The type byte of a packet: kErrTruncated on empty input, kErrBadType on a byte other than
// 12, 13 or 14. Looks at nothing else.
Result<PacketType> packet_type(ByteView packet);

// Decoders fail with kErrTruncated (input ends inside a field, or the envelope length is longer
// than the input), kErrBadLength (non-canonical length determinant), kErrBadType (another
// packet type), kErrTrailingBytes (bytes after the envelope), and the field rules above
// (kErrBadAddress, kErrTooLarge, kErrBadUtf8, kErrBadCode, kErrBadTimestamp). The result
// borrows from `packet`.
Result<Prepare> decode_prepare(ByteView packet);
Result<Fulfill> decode_fulfill(ByteView packet);
Result<Reject> decode_reject(ByteView packet);
// A Fulfill or a Reject (what comes back for a Prepare); kErrBadType for a Prepare.
Result<Reply> decode_reply(ByteView packet);

// True when SHA-256(fulfillment) == condition (compared in constant time).
bool fulfillment_matches(const Fulfillment& fulfillment, const Condition& condition);
// SHA-256(fulfillment): the condition a Prepare carries for it.
Condition condition_of(const Fulfillment& fulfillment);

// Rewrites a valid encoded Prepare's amount and expiry in place (a connector forwarding it
// never re-encodes). Fails, leaving the bytes untouched, when `packet` is not a valid Prepare
// (as decode_prepare) or the expiry cannot be formatted (kErrBadTimestamp).
Result<void> rewrite_prepare(std::span<std::uint8_t> packet, std::uint64_t amount,
                             TimePoint expires_at);

}  // namespace rafiki::ilp
