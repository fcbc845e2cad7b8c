#include "ilp/timestamp.h"

#include <chrono>

#include "ilp/oer.h"

namespace rafiki::ilp {
namespace {

constexpr int kYearMax = 9999;

void put_digits(char* out, long value, int count) {
  for (int i = count - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

bool get_digits(std::string_view text, std::size_t pos, std::size_t count, unsigned& out) {
  unsigned value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  out = value;
  return true;
}

}  // namespace

Result<void> format_timestamp_to(TimePoint time, char* out) {
  using namespace std::chrono;
  auto day = floor<days>(time);
  year_month_day ymd{day};
  int year = static_cast<int>(ymd.year());
  if (year < 0 || year > kYearMax) return fail(kErrBadTimestamp, "year outside 0000..9999");
  hh_mm_ss<milliseconds> hms{time - day};
  put_digits(out, year, 4);
  put_digits(out + 4, static_cast<unsigned>(ymd.month()), 2);
  put_digits(out + 6, static_cast<unsigned>(ymd.day()), 2);
  put_digits(out + 8, hms.hours().count(), 2);
  put_digits(out + 10, hms.minutes().count(), 2);
  put_digits(out + 12, hms.seconds().count(), 2);
  put_digits(out + 14, hms.subseconds().count(), 3);
  return {};
}

Result<std::string> format_timestamp(TimePoint time) {
  std::string text(kTimestampChars, '0');
  auto written = format_timestamp_to(time, text.data());
  if (!written) return std::unexpected(std::move(written.error()));
  return text;
}

Result<TimePoint> parse_timestamp(std::string_view text) {
  using namespace std::chrono;
  if (text.size() != kTimestampChars) return fail(kErrBadTimestamp, "timestamp must be 17 digits");
  unsigned y, mo, d, h, mi, s, ms;
  if (!get_digits(text, 0, 4, y) || !get_digits(text, 4, 2, mo) || !get_digits(text, 6, 2, d) ||
      !get_digits(text, 8, 2, h) || !get_digits(text, 10, 2, mi) || !get_digits(text, 12, 2, s) ||
      !get_digits(text, 14, 3, ms))
    return fail(kErrBadTimestamp, "timestamp must be 17 digits");
  year_month_day ymd{year{static_cast<int>(y)}, month{mo}, day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59)
    return fail(kErrBadTimestamp, "timestamp field out of range");
  return TimePoint{sys_days{ymd}.time_since_epoch() + hours{h} + minutes{mi} + seconds{s} +
                   milliseconds{ms}};
}

}  // namespace rafiki::ilp
