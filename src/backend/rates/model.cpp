#include "backend/rates/model.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace rafiki::backend::rates {

namespace {

using money::u128;

// Largest power of ten a u128 holds.
constexpr int kPow10Max = 38;

u128 pow10(int n) {
  u128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

struct Factor {
  std::uint64_t mantissa = 1;
  int exponent = 0;  // value = amount × mantissa × 10^exponent
};

// The exact factor from the source to the destination asset, or the conversion error.
Result<Factor> factor_of(AssetRef source, AssetRef destination, const RateTable* table) {
  Factor f;
  if (source.code != destination.code) {
    if (table == nullptr) {
      return fail(kErrInvalidDestinationPrice, "Exchange rate error: InvalidDestinationPrice");
    }
    auto it = table->rates.find(std::string(destination.code));
    if (it == table->rates.end() || !it->second.usable()) {
      return fail(kErrInvalidDestinationPrice, "Exchange rate error: InvalidDestinationPrice");
    }
    f.mantissa = it->second.mantissa;
    f.exponent = it->second.exponent;
  }
  f.exponent += destination.scale - source.scale;
  return f;
}

Result<money::Amount> narrow(std::optional<u128> value) {
  if (!value) return fail(kErrAmountTooLarge, "converted amount does not fit 64 bits");
  auto amount = money::to_amount(*value);
  if (!amount) return fail(kErrAmountTooLarge, "converted amount does not fit 64 bits");
  return *amount;
}

}  // namespace

Rate Rate::from_double(double value) {
  if (!std::isfinite(value) || !(value > 0)) return {};
  char buf[64];
  // Shortest round-trip form: "1.1602e+00".
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  if (ec != std::errc{}) return {};
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  auto e = text.find('e');
  if (e == std::string_view::npos) return {};
  std::uint64_t mantissa = 0;
  int fraction_digits = 0;
  bool after_point = false;
  for (char c : text.substr(0, e)) {
    if (c == '.') {
      after_point = true;
      continue;
    }
    mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
    if (after_point) ++fraction_digits;
  }
  int exp10 = 0;
  auto exp_text = text.substr(e + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  Rate r;
  r.mantissa = mantissa;
  r.exponent = exp10 - fraction_digits;
  while (r.mantissa != 0 && r.mantissa % 10 == 0) {
    r.mantissa /= 10;
    ++r.exponent;
  }
  return r;
}

Rate Rate::from_integer(std::int64_t value) {
  Rate r;
  if (value <= 0) return r;
  r.mantissa = static_cast<std::uint64_t>(value);
  while (r.mantissa % 10 == 0) {
    r.mantissa /= 10;
    ++r.exponent;
  }
  return r;
}

double Rate::to_double() const {
  if (!usable()) return 0;
  auto text = std::to_string(mantissa) + "e" + std::to_string(exponent);
  return std::strtod(text.c_str(), nullptr);
}

Result<money::Amount> convert_source(money::Amount amount, AssetRef source, AssetRef destination,
                                     const RateTable* table) {
  auto f = factor_of(source, destination, table);
  if (!f) return std::unexpected(f.error());
  if (amount == 0) return money::Amount{0};
  u128 x = static_cast<u128>(amount) * f->mantissa;  // < 2^64 · 10^17: fits
  if (f->exponent >= 0) {
    if (f->exponent > kPow10Max) return narrow(std::nullopt);
    return narrow(money::mul(x, pow10(f->exponent)));
  }
  // floor(x / 10^-e); x < 10^38, so any larger divisor floors to 0 as 10^38 does.
  int down = -f->exponent > kPow10Max ? kPow10Max : -f->exponent;
  return narrow(x / pow10(down));
}

Result<money::Amount> convert_destination(money::Amount amount, AssetRef source,
                                          AssetRef destination, const RateTable* table) {
  auto f = factor_of(source, destination, table);
  if (!f) return std::unexpected(f.error());
  if (amount == 0) return money::Amount{0};
  if (f->exponent >= 0) {
    // ceil(amount / (mantissa · 10^e)); a divisor beyond u128 gives 1.
    if (f->exponent > kPow10Max) return money::Amount{1};
    auto divisor = money::mul(f->mantissa, pow10(f->exponent));
    if (!divisor) return money::Amount{1};
    return narrow(money::mul_div(amount, 1, *divisor, money::Rounding::kUp));
  }
  if (-f->exponent > kPow10Max) return narrow(std::nullopt);
  return narrow(money::mul_div(amount, pow10(-f->exponent), f->mantissa, money::Rounding::kUp));
}

std::optional<money::Amount> max_convertible_source(AssetRef source, AssetRef destination,
                                                    const RateTable* table) {
  auto f = factor_of(source, destination, table);
  if (!f) return std::nullopt;
  // Largest a with a·N < 2^64·D, i.e. ceil(2^64·D / N) − 1.
  const u128 two64 = static_cast<u128>(1) << 64;
  u128 n = f->mantissa, d = 1;
  if (f->exponent >= 0) {
    if (f->exponent > kPow10Max) return money::Amount{0};
    auto scaled = money::mul(n, pow10(f->exponent));
    if (!scaled) return money::Amount{0};
    n = *scaled;
  } else {
    if (-f->exponent > kPow10Max) return money::kAmountMax;
    d = pow10(-f->exponent);
  }
  auto bound = money::mul_div(two64, d, n, money::Rounding::kUp);
  if (!bound) return money::kAmountMax;
  auto max = *bound - 1;
  return max > money::kAmountMax ? money::kAmountMax : static_cast<money::Amount>(max);
}

}  // namespace rafiki::backend::rates
