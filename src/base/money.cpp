#include "base/money.h"

#include <algorithm>

namespace rafiki::money {
namespace {

std::optional<u128> pow10(int exponent) {
  u128 r = 1;
  for (int i = 0; i < exponent; ++i) {
    auto next = mul(r, 10);
    if (!next) return std::nullopt;
    r = *next;
  }
  return r;
}

u128 divide(u128 numerator, u128 denominator, Rounding rounding) {
  u128 q = numerator / denominator;
  u128 r = numerator % denominator;
  switch (rounding) {
    case Rounding::kDown:
      return q;
    case Rounding::kUp:
      return r != 0 ? q + 1 : q;
    case Rounding::kHalfUp:
      // r >= denominator - r  <=>  2r >= denominator, without overflowing 2r.
      return (r != 0 && r >= denominator - r) ? q + 1 : q;
  }
  return q;
}

// 256-bit product of two u128 as (hi, lo).
void mul_wide(u128 a, u128 b, u128& hi, u128& lo) {
  const u128 mask = (static_cast<u128>(1) << 64) - 1;
  u128 a_lo = a & mask, a_hi = a >> 64, b_lo = b & mask, b_hi = b >> 64;
  u128 p0 = a_lo * b_lo, p1 = a_lo * b_hi, p2 = a_hi * b_lo, p3 = a_hi * b_hi;
  u128 mid = (p0 >> 64) + (p1 & mask) + (p2 & mask);
  lo = (p0 & mask) | (mid << 64);
  hi = p3 + (p1 >> 64) + (p2 >> 64) + (mid >> 64);
}

}  // namespace

std::optional<u128> add(u128 a, u128 b) {
  if (a > kU128Max - b) return std::nullopt;
  return a + b;
}

std::optional<u128> sub(u128 a, u128 b) {
  if (b > a) return std::nullopt;
  return a - b;
}

std::optional<u128> mul(u128 a, u128 b) {
  if (a != 0 && b > kU128Max / a) return std::nullopt;
  return a * b;
}

std::optional<u128> parse_u128(std::string_view text) {
  if (text.empty()) return std::nullopt;
  u128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    auto m = mul(v, 10);
    if (!m) return std::nullopt;
    auto s = add(*m, static_cast<u128>(c - '0'));
    if (!s) return std::nullopt;
    v = *s;
  }
  return v;
}

std::optional<Amount> parse_amount(std::string_view text) {
  auto v = parse_u128(text);
  if (!v) return std::nullopt;
  return to_amount(*v);
}

std::optional<Amount> to_amount(u128 value) {
  if (value > kAmountMax) return std::nullopt;
  return static_cast<Amount>(value);
}

std::string to_string(u128 value) {
  if (value == 0) return "0";
  char buf[40];
  int pos = 40;
  while (value > 0) {
    buf[--pos] = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  }
  return std::string(buf + pos, buf + 40);
}

std::optional<u128> rescale(u128 amount, int from_scale, int to_scale, Rounding rounding) {
  if (from_scale < 0 || to_scale < 0 || from_scale > kAssetScaleMax || to_scale > kAssetScaleMax)
    return std::nullopt;
  if (to_scale >= from_scale) {
    auto factor = pow10(to_scale - from_scale);
    if (!factor) return amount == 0 ? std::optional<u128>(0) : std::nullopt;
    return mul(amount, *factor);
  }
  auto factor = pow10(from_scale - to_scale);
  if (!factor) {
    // 10^k exceeds u128: the result is below 1 unit.
    if (amount == 0 || rounding == Rounding::kDown || rounding == Rounding::kHalfUp) return 0;
    return 1;
  }
  return divide(amount, *factor, rounding);
}

std::optional<u128> mul_div(u128 amount, u128 numerator, u128 denominator, Rounding rounding) {
  if (denominator == 0) return std::nullopt;
  if (auto p = mul(amount, numerator)) return divide(*p, denominator, rounding);
  // Wide path: 256-bit product divided by a u128, by long division bit by bit.
  u128 hi, lo;
  mul_wide(amount, numerator, hi, lo);
  if (hi >= denominator) return std::nullopt;  // quotient would not fit in u128
  u128 rem = hi;
  u128 q = 0;
  for (int i = 127; i >= 0; --i) {
    bool carry = (rem >> 127) != 0;
    rem = (rem << 1) | ((lo >> i) & 1);
    q <<= 1;
    if (carry || rem >= denominator) {
      rem -= denominator;
      q |= 1;
    }
  }
  switch (rounding) {
    case Rounding::kDown:
      return q;
    case Rounding::kUp:
      return rem != 0 ? add(q, 1) : std::optional<u128>(q);
    case Rounding::kHalfUp:
      return (rem != 0 && rem >= denominator - rem) ? add(q, 1) : std::optional<u128>(q);
  }
  return q;
}

}  // namespace rafiki::money
