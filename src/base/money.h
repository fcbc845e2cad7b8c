// Money: amounts are unsigned integers in an asset's smallest unit. Packet and payment amounts
// are u64 (as ILP's UInt64); balances and intermediate products are u128 with checked
// arithmetic, so an overflow is a value (nullopt), never a wrap-around.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rafiki::money {

__extension__ typedef unsigned __int128 u128;
using Amount = std::uint64_t;

constexpr u128 kU128Max = ~static_cast<u128>(0);
constexpr Amount kAmountMax = UINT64_MAX;
// Asset scales as upstream allows them (UInt8 in the Admin API; 0..255).
constexpr int kAssetScaleMax = 255;

std::optional<u128> add(u128 a, u128 b);
std::optional<u128> sub(u128 a, u128 b);  // nullopt when b > a
std::optional<u128> mul(u128 a, u128 b);

// Decimal text of an unsigned integer, no sign, no leading '+', no spaces; leading zeros are
// accepted ("007" = 7) as JavaScript's BigInt does. Empty or overflowing text → nullopt.
std::optional<u128> parse_u128(std::string_view text);
std::optional<Amount> parse_amount(std::string_view text);
std::string to_string(u128 value);

// Narrowing that says whether it fits.
std::optional<Amount> to_amount(u128 value);

enum class Rounding { kDown, kUp, kHalfUp };

// Converts `amount` from one asset scale to another (10^(to-from) factor). Scaling up is exact
// unless it overflows (nullopt); scaling down rounds as asked.
std::optional<u128> rescale(u128 amount, int from_scale, int to_scale, Rounding rounding);

// amount * numerator / denominator with the chosen rounding, exact in u128 intermediates.
// nullopt on overflow or a zero denominator.
std::optional<u128> mul_div(u128 amount, u128 numerator, u128 denominator, Rounding rounding);

}  // namespace rafiki::money
