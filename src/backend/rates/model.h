// Exchange rates and currency conversion (reference/payments.md §7). A rate table is what the
// ASE's rates endpoint answers for one base currency: units of X per one unit of base, in whole
// units. Rates are kept as exact decimals (the shortest decimal that reads back as the JSON
// number, e.g. 1.1602 = 11602·10^-4), and amounts are converted with exact integer arithmetic,
// rounded in the connector's favour: convert_source floors (the receiver never gets more than
// the rate gives), convert_destination rounds up (the sender pays at least what the rate asks).
// Nothing overflows: a result that does not fit a u64 is an error.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/errors.h"
#include "base/money.h"

namespace rafiki::backend::rates {

// Error codes (upstream's names, payments.md §7).
inline constexpr const char* kErrMissingUrl = "MissingExchangeRatesUrl";
inline constexpr const char* kErrCouldNotFetch = "CouldNotFetchRates";
inline constexpr const char* kErrMissingBaseAsset = "MissingBaseAsset";
inline constexpr const char* kErrInvalidBaseAsset = "InvalidBaseAsset";
inline constexpr const char* kErrInvalidDestinationPrice = "InvalidDestinationPrice";
inline constexpr const char* kErrAmountTooLarge = "AmountTooLarge";  // result does not fit u64

inline constexpr std::string_view kMissingUrlMessage =
    "Exchange rate conversion currently not supported";
inline constexpr std::string_view kCouldNotFetchMessage = "Could not fetch exchange rates";

// A positive decimal rate mantissa·10^exponent; mantissa 0 means "not a usable rate" (zero,
// negative or not a number in the answer).
struct Rate {
  std::uint64_t mantissa = 0;  // < 10^17 for rates read from a double
  int exponent = 0;

  bool usable() const { return mantissa != 0; }
  // The exact decimal of a JSON number; unusable for ≤ 0, NaN or infinity.
  static Rate from_double(double value);
  static Rate from_integer(std::int64_t value);
  double to_double() const;
};

struct RateTable {
  std::string base;
  std::unordered_map<std::string, Rate> rates;  // by currency code
};
using RateTablePtr = std::shared_ptr<const RateTable>;

struct AssetRef {
  std::string_view code;
  int scale = 0;
};

// Source amount → destination amount (connector packets, LOCAL quotes): same code and scale →
// unchanged; same code → 10^(dst−src) floored; else table.rates[dst.code] (the table of the
// source code) × 10^(dst−src), floored. `table` may be null when the codes are equal. Fails with
// kErrInvalidDestinationPrice (no usable rate, or no table for different codes) or
// kErrAmountTooLarge (the result exceeds 2^64−1).
Result<money::Amount> convert_source(money::Amount amount, AssetRef source, AssetRef destination,
                                     const RateTable* table);
// Destination amount → the source amount that buys it (LOCAL fixed-receive quotes): the same
// rate, divided, rounded up. Same errors.
Result<money::Amount> convert_destination(money::Amount amount, AssetRef source,
                                          AssetRef destination, const RateTable* table);
// The largest source amount convert_source accepts for this pair (its result fits a u64);
// nullopt when there is no usable rate.
std::optional<money::Amount> max_convertible_source(AssetRef source, AssetRef destination,
                                                    const RateTable* table);

// Where rates come from (the rates client; fakes in tests). `tenant_id` selects the tenant's
// EXCHANGE_RATES_URL; `base` is a currency code.
class RatesSource {
 public:
  virtual ~RatesSource() = default;
  virtual boost::asio::awaitable<Result<RateTablePtr>> rates(std::string_view tenant_id,
                                                             std::string_view base) = 0;
};

}  // namespace rafiki::backend::rates
