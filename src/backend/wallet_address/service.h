// The wallet address service: the rules for creating, reading and updating wallet addresses and
// their keys (Admin API, reference/admin-api.md §9.4), their web monetization events and
// withdrawals, and what Open Payments publishes of them (the wallet address document and its
// JWKS, open-payments.md §7.1–7.2). Uses the tenant domain (a tenant's WALLET_ADDRESS_URL), the
// asset domain (an address's asset), liquidity (withdrawals), webhooks (events), the ledger
// (what an address received) and its store.
//
// Published documents are served from an in-memory cache (store::NotifyCache) keyed by the
// lower-cased URL that holds the response bodies ready to send, so a GET costs no database round
// trip. Every change to an address or its keys sends a notification on kNotifyChannel (the store
// does, inside the changing transaction, payload = the address's URL) and every process's cache
// drops that entry.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/config.h"
#include "backend/core/domain_error.h"
#include "backend/core/pagination.h"
#include "backend/wallet_address/model.h"
#include "backend/wallet_address/store.h"
#include "base/errors.h"
#include "crypto/ed25519.h"
#include "store/notify_cache.h"

namespace rafiki::ledger {
class Ledger;
}
namespace rafiki::backend::tenant {
class TenantService;
}
namespace rafiki::backend::asset {
class AssetService;
}
namespace rafiki::backend::liquidity {
class LiquidityService;
}
namespace rafiki::backend::webhook {
class WebhookService;
}

namespace rafiki::backend::wallet_address {

// Published documents kept in memory; when full, an arbitrary entry makes room.
constexpr std::size_t kCacheEntriesMax = 50'000;

// What the Open Payments routes serve for one wallet address.
struct Published {
  Uuid id;
  Uuid tenant_id;
  std::optional<TimePoint> deactivated_at;
  std::string asset_code;
  int asset_scale = 0;
  std::string document;  // the wallet address document (JSON text)
  std::string jwks;      // {"keys":[...]} of its non-revoked keys (JSON text)

  bool active(TimePoint now) const { return !deactivated_at || *deactivated_at > now; }
};

struct NewWalletAddress {
  Uuid tenant_id;
  bool is_operator = false;  // operators fall back to OPEN_PAYMENTS_URL as base
  Uuid asset_id;
  std::string address;  // absolute URL or a path relative to the tenant's base
  std::optional<std::string> public_name;
  std::vector<AdditionalProperty> additional_properties;
};

struct WalletAddressPatch {
  Uuid id;
  Uuid tenant_id;  // the address must belong to this tenant
  Patch<std::string> public_name;
  std::optional<bool> active;  // status ACTIVE / INACTIVE
  std::optional<std::vector<AdditionalProperty>> additional_properties;
};

// Keys/values trimmed, pairs with an empty key or value dropped (as upstream).
std::vector<AdditionalProperty> clean_properties(std::vector<AdditionalProperty> properties);

// The wallet address URL `address` denotes under `base` (a tenant's WALLET_ADDRESS_URL or
// OPEN_PAYMENTS_URL), lower-cased; kInvalidUrl unless it is an https URL under the base whose
// path is not "/" and names no Open Payments resource.
std::expected<std::string, WalletAddressError> resolve_url(std::string_view base,
                                                           std::string_view address);

// The URL a request addresses: "https://" + Host (X-Forwarded-Host when `trust_proxy`) + the
// percent-decoded path without trailing slashes, lower-cased. nullopt for a bad escape or no
// host.
struct RequestTarget {
  std::string host;
  std::string path;  // as received (percent-encoded)
};
std::optional<std::string> request_url(const RequestTarget& target);

// The configuration the service uses.
struct WalletAddressSettings {
  std::string open_payments_url;       // OPEN_PAYMENTS_URL: the operator's base, resourceServer
  std::string auth_server_grant_url;   // AUTH_SERVER_GRANT_URL: authServer
  std::optional<Uuid> operator_tenant_id;  // OPERATOR_TENANT_ID (nullopt: not a UUID)
  std::string database_url;            // the cache listener's own connection
  std::int64_t lookup_timeout_ms = 1'500;    // WALLET_ADDRESS_LOOKUP_TIMEOUT_MS
  std::int64_t polling_frequency_ms = 100;   // WALLET_ADDRESS_POLLING_FREQUENCY_MS

  static WalletAddressSettings from_config(const Config& config);
};

class WalletAddressService {
 public:
  WalletAddressService(WalletAddressStore store, WalletAddressSettings settings,
                       tenant::TenantService& tenants, asset::AssetService& assets,
                       liquidity::LiquidityService& liquidity, webhook::WebhookService& webhooks,
                       ledger::Ledger& ledger);
  ~WalletAddressService();
  WalletAddressService(const WalletAddressService&) = delete;
  WalletAddressService& operator=(const WalletAddressService&) = delete;

  // --- Admin API ---
  // kPublicNameTooLong, kTooManyProperties, kPropertyTooLong, kSettingNotFound (a tenant without
  // WALLET_ADDRESS_URL), kInvalidUrl, kUnknownAsset (not a live asset of the tenant), kDuplicate.
  boost::asio::awaitable<Outcome<WalletAddress, WalletAddressError>> create(NewWalletAddress input);
  // kUnknown when absent or another tenant's. Deactivation does not yet shorten the expiry
  // of the address's open incoming payments (upstream's
  // WALLET_ADDRESS_DEACTIVATION_PAYMENT_GRACE_PERIOD_MS): that belongs with incoming payments.
  boost::asio::awaitable<Outcome<WalletAddress, WalletAddressError>> update(WalletAddressPatch patch);
  // Has no domain error (a Result, as the connector reads it).
  boost::asio::awaitable<Result<std::optional<WalletAddress>>> get(Uuid id);
  // By URL, lower-cased first; straight from the database.
  boost::asio::awaitable<Outcome<std::optional<WalletAddress>, WalletAddressError>> get_by_url(
      std::string url);
  // A page of the tenant's addresses (every tenant's when nullopt).
  boost::asio::awaitable<Outcome<Paged<WalletAddress>, WalletAddressError>> page(
      std::optional<Uuid> tenant_id, const PageArgs& args);
  // Every additional property (visible or not), in creation order.
  boost::asio::awaitable<Outcome<std::vector<AdditionalProperty>, WalletAddressError>>
  additional_properties(Uuid id);

  // kUnknown for an unknown wallet address, kTooManyKeys, kDuplicateKey when a non-revoked key
  // with that kid exists.
  boost::asio::awaitable<Outcome<WalletAddressKey, WalletAddressError>> add_key(
      Uuid wallet_address_id, crypto::Jwk jwk);
  // Idempotent; kUnknownKey when there is no such key.
  boost::asio::awaitable<Outcome<WalletAddressKey, WalletAddressError>> revoke_key(Uuid key_id);
  // A page of the address's keys, revoked ones included.
  boost::asio::awaitable<Outcome<Paged<WalletAddressKey>, WalletAddressError>> keys(
      Uuid wallet_address_id, const PageArgs& args);

  // triggerWalletAddressEvents: for up to `limit` addresses due (process_at <= now; see
  // schedule_web_monetization), emits a wallet_address.web_monetization event for what they
  // received since the last event, and clears process_at. Returns how many addresses were
  // processed; kInvalidEventsLimit outside 1..kTriggerEventsLimitMax.
  boost::asio::awaitable<Outcome<int, WalletAddressError>> trigger_events(std::int64_t limit);
  // After a packet credited the address: when what it received (the ledger account's posted
  // credits) reaches `withdrawal_threshold` (its asset's) beyond what earlier events reported,
  // the address becomes due for a web monetization event (payments.md §5). One statement per
  // call; no domain error.
  boost::asio::awaitable<Result<void>> schedule_web_monetization(Uuid id,
                                                                 money::u128 withdrawal_threshold);

  // createWalletAddressWithdrawal: withdraws the address's whole balance under `transfer_id`,
  // pending for `timeout_seconds` when > 0. Returns the amount. kInvalidTransferTimeout,
  // kNoLiquidityAccount, kAmountZero, kWithdrawalUnknownAsset; a refused transfer fails with the
  // liquidity domain's Error as it reports it (liquidity::transfer_error reads it).
  boost::asio::awaitable<Outcome<money::u128, WalletAddressError>> withdraw(
      const WalletAddress& address, Uuid transfer_id, money::u128 timeout_seconds);

  // --- Open Payments ---
  // The published entry for a (lower-cased) URL; nullopt when there is no such address (active
  // or not: callers check).
  boost::asio::awaitable<Result<std::shared_ptr<const Published>>> published(std::string url);
  // The cached entry for a (lower-cased) URL without suspending; null on a miss or while the
  // cache is not in use (then call published()).
  std::shared_ptr<const Published> cached(const std::string& url) const {
    return cache_.cached(url);
  }
  // The same as published(), but on a miss emits wallet_address.not_found and polls for the address
  // until WALLET_ADDRESS_LOOKUP_TIMEOUT_MS (open-payments.md §7.1.3).
  boost::asio::awaitable<Result<std::shared_ptr<const Published>>> published_or_poll(
      std::string url);

  // Starts / stops the cache's listener (the cache is bypassed until it is connected).
  void start(boost::asio::any_io_executor executor);
  void stop() { cache_.stop(); }
  using Cache = store::NotifyCache<std::string, Published>;
  Cache& cache() { return cache_; }
  // Whether published() currently uses the cache (the listener is connected).
  bool cache_active() const { return cache_.live(); }

 private:
  boost::asio::awaitable<Result<std::shared_ptr<const Published>>> load_published(
      const std::string& url);
  boost::asio::awaitable<Result<void>> emit_not_found(const std::string& url);
  // Drops the local copy at once (other processes hear the notification).
  void changed(const std::string& url) { cache_.invalidate(url); }

  WalletAddressStore store_;
  WalletAddressSettings settings_;
  tenant::TenantService& tenants_;
  asset::AssetService& assets_;
  liquidity::LiquidityService& liquidity_;
  webhook::WebhookService& webhooks_;
  ledger::Ledger& ledger_;
  Cache cache_;
};

}  // namespace rafiki::backend::wallet_address
