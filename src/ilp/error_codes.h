// ILP reject codes (RFC 27 §"Error Codes"): three ASCII characters, a family letter and two
// digits. F = final (do not retry the same packet), T = temporary (retry later), R = relative
// (retry with more time or amount margin). The table holds every code RFC 27 defines and the
// names ilp-packet gives them; codes outside it are still valid on the wire (a reject from a
// peer is relayed unchanged).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/errors.h"

namespace rafiki::ilp {

inline constexpr std::size_t kErrorCodeBytes = 3;

inline constexpr std::string_view kF00BadRequest = "F00";
inline constexpr std::string_view kF01InvalidPacket = "F01";
inline constexpr std::string_view kF02Unreachable = "F02";
inline constexpr std::string_view kF03InvalidAmount = "F03";
inline constexpr std::string_view kF04InsufficientDestinationAmount = "F04";
inline constexpr std::string_view kF05WrongCondition = "F05";
inline constexpr std::string_view kF06UnexpectedPayment = "F06";
inline constexpr std::string_view kF07CannotReceive = "F07";
inline constexpr std::string_view kF08AmountTooLarge = "F08";
inline constexpr std::string_view kF99ApplicationError = "F99";
inline constexpr std::string_view kT00InternalError = "T00";
inline constexpr std::string_view kT01PeerUnreachable = "T01";
inline constexpr std::string_view kT02PeerBusy = "T02";
inline constexpr std::string_view kT03ConnectorBusy = "T03";
inline constexpr std::string_view kT04InsufficientLiquidity = "T04";
inline constexpr std::string_view kT05RateLimited = "T05";
inline constexpr std::string_view kT99ApplicationError = "T99";
inline constexpr std::string_view kR00TransferTimedOut = "R00";
inline constexpr std::string_view kR01InsufficientSourceAmount = "R01";
inline constexpr std::string_view kR02InsufficientTimeout = "R02";
inline constexpr std::string_view kR99ApplicationError = "R99";

enum class ErrorFamily { kFinal, kTemporary, kRelative };

struct ErrorCodeInfo {
  std::string_view code;  // "F00"
  std::string_view name;  // "Bad Request"
  ErrorFamily family;
};

// Every code RFC 27 defines, in the RFC's order.
std::span<const ErrorCodeInfo> error_codes();

// True when `code` has the wire form: exactly three ASCII letters or digits.
bool is_well_formed_error_code(std::string_view code);
// True when `code` is in the table.
bool is_known_error_code(std::string_view code);
// The RFC name of a code in the table ("Amount Too Large"); empty for any other code.
std::string_view error_code_name(std::string_view code);
// The family from the first letter; nullopt unless it is F, T or R.
std::optional<ErrorFamily> error_family(std::string_view code);

// The `data` of an F08 reject: UInt64 received amount ‖ UInt64 maximum amount (ilp-packet's
// AmountTooLargeError).
struct AmountTooLargeData {
  std::uint64_t received_amount = 0;
  std::uint64_t maximum_amount = 0;
};
inline constexpr std::size_t kAmountTooLargeDataBytes = 16;

Bytes encode_amount_too_large_data(const AmountTooLargeData& data);
// Fails with kErrTruncated on fewer than 16 bytes; bytes after the two amounts are ignored.
Result<AmountTooLargeData> decode_amount_too_large_data(ByteView data);

}  // namespace rafiki::ilp
