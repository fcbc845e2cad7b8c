// The Interledger timestamp of an ILP Prepare's expiresAt (RFC 27): exactly 17 ASCII digits,
// UTC, "YYYYMMDDHHmmssfff" (GeneralizedTime without separators, milliseconds always present).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/errors.h"
#include "base/time.h"

namespace rafiki::ilp {

inline constexpr std::size_t kTimestampChars = 17;

// Fails with kErrBadTimestamp when the year is outside 0000..9999.
Result<std::string> format_timestamp(TimePoint time);
// Writes the 17 characters to out (which must hold kTimestampChars); same failure.
Result<void> format_timestamp_to(TimePoint time, char* out);

// Strict: fails with kErrBadTimestamp unless there are exactly 17 digits and every field is in
// range (month 1..12, a day the month has, hour < 24, minute < 60, second < 60).
Result<TimePoint> parse_timestamp(std::string_view text);

}  // namespace rafiki::ilp
