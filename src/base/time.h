// Wall-clock time as RFC 3339 / ISO 8601 text, the way upstream's JSON carries it
// (JavaScript's Date#toISOString: UTC, millisecond precision, "Z").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rafiki {

using SystemClock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<SystemClock, std::chrono::milliseconds>;

TimePoint now_ms();

// "2025-01-02T03:04:05.678Z"
std::string format_rfc3339(TimePoint t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"; 't'/'z' and a space separator too.
// Fractions beyond milliseconds are truncated. Returns nullopt on any other form or an
// out-of-range field (month 13, Feb 30, hour 24, ...).
std::optional<TimePoint> parse_rfc3339(std::string_view text);

}  // namespace rafiki
