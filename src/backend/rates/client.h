// The exchange-rates client (reference/payments.md §7, specs/exchange-rates.yaml): GET
// `<EXCHANGE_RATES_URL>?base=<CODE>` → {"base": "USD", "rates": {"EUR": 1.1602, ...}}, cached
// per (URL, base) for EXCHANGE_RATES_LIFETIME ms. Concurrent callers of a key share one fetch
// (single flight); the fetch runs on its own, so a caller that gives up (its packet expired)
// does not fail the others. Failures are never cached. The cache is bounded.
// Errors (Error::code): kErrMissingUrl when the tenant has no URL; kErrCouldNotFetch for a
// transport failure, timeout, non-200 status, a body that is not JSON of the contract's shape,
// or an answer for another base; kErrMissingBaseAsset / kErrInvalidBaseAsset as upstream.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "backend/rates/model.h"
#include "base/errors.h"
#include "base/money.h"
#include "net/address_policy.h"

namespace rafiki::backend::rates {

struct RatesClientOptions {
  static constexpr std::int64_t kLifetimeMsDefault = 15'000;  // EXCHANGE_RATES_LIFETIME
  static constexpr std::uint32_t kTimeoutMsDefault = 5'000;   // upstream's HTTP timeout
  static constexpr std::size_t kCacheEntriesMax = 1'024;      // (URL, base) pairs kept
  static constexpr std::size_t kResponseBytesMax = 256 * 1024;
  static constexpr std::size_t kRatesPerTableMax = 2'000;  // ISO 4217 has < 200 codes
  static constexpr std::size_t kCodeBytesMax = 32;         // a base currency code

  std::int64_t lifetime_ms = kLifetimeMsDefault;
  std::uint32_t timeout_ms = kTimeoutMsDefault;
  std::size_t cache_entries_max = kCacheEntriesMax;
  // Monotonic milliseconds for cache expiry; injectable for tests.
  std::int64_t (*clock)() = nullptr;  // null: std::chrono::steady_clock
};

// Where a tenant's rates come from, and which addresses that URL may reach (a tenant's own
// EXCHANGE_RATES_URL obeys the operator's outbound policy; the environment's is unrestricted).
struct RatesEndpoint {
  std::string url;
  net::AddressPolicy address_policy = net::AddressPolicy::kAny;
};

// The rates endpoint for a tenant (its EXCHANGE_RATES_URL setting, else the environment's);
// nullopt when there is none.
using RatesUrlLookup = std::function<boost::asio::awaitable<Result<std::optional<RatesEndpoint>>>(
    std::string tenant_id)>;

class RatesClient final : public RatesSource {
 public:
  RatesClient(boost::asio::any_io_executor executor, RatesUrlLookup url_for_tenant,
              RatesClientOptions options = {});
  ~RatesClient() override;
  RatesClient(const RatesClient&) = delete;
  RatesClient& operator=(const RatesClient&) = delete;

  // The same URL for every tenant (the environment's EXCHANGE_RATES_URL), unrestricted.
  static RatesUrlLookup fixed_url(std::optional<std::string> url);

  boost::asio::awaitable<Result<RateTablePtr>> rates(std::string_view tenant_id,
                                                     std::string_view base) override;
  // Rates from a known URL (cached per URL, base and address policy).
  boost::asio::awaitable<Result<RateTablePtr>> rates_from(
      std::string url, std::string base,
      net::AddressPolicy address_policy = net::AddressPolicy::kAny);

  // convert_source with the tenant's rates for `from.code` (no fetch when the codes are equal).
  boost::asio::awaitable<Result<money::Amount>> convert(money::Amount amount, AssetRef from,
                                                        AssetRef to, std::string_view tenant_id);

  std::size_t fetches() const;     // HTTP fetches started (for tests and metrics)
  std::size_t cache_size() const;  // (URL, base) entries held

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace rafiki::backend::rates
