// The connector's view of the domains: the accounts a packet moves money between (peers,
// wallet addresses) and the tenant settings the chain reads (ILP_ADDRESS, EXCHANGE_RATES_URL),
// answered by the owning services behind short-lived caches so the packet path rarely waits on
// the database. Implements AccountResolver for the account stage.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "backend/connector/resolver.h"
#include "base/uuid.h"

namespace rafiki::backend {
struct Config;
namespace tenant {
class TenantService;
}
namespace asset {
class AssetService;
}
namespace liquidity {
class LiquidityService;
}
namespace peer {
class PeerService;
struct Peer;
}  // namespace peer
namespace wallet_address {
class WalletAddressService;
}
}  // namespace rafiki::backend

namespace rafiki::backend::connector {

// Assets are re-read at most this often (their liquidity and withdrawal thresholds may change;
// code, scale and ledger never do). Tenant settings likewise.
inline constexpr std::int64_t kAssetCacheTtlMs = 1'000;
inline constexpr std::int64_t kSettingCacheTtlMs = 1'000;
// Entries per cache; a full cache is emptied (entries are cheap to load again).
inline constexpr std::size_t kCacheEntriesMax = 100'000;

// What the connector knows of an asset.
struct AssetEntry {
  AssetInfo info;
  Uuid tenant_id;
  std::optional<money::u128> liquidity_threshold;
  std::optional<money::u128> withdrawal_threshold;
};

// The tenant settings the connector reads.
enum class TenantSetting { kIlpAddress, kExchangeRatesUrl };

class DomainAccounts final : public AccountResolver {
 public:
  struct Services {
    tenant::TenantService& tenants;
    asset::AssetService& assets;
    liquidity::LiquidityService& liquidity;
    peer::PeerService& peers;
    wallet_address::WalletAddressService& wallet_addresses;
  };
  DomainAccounts(const Config& config, Services services);

  // The tenant's setting (the operator's ILP_ADDRESS comes from the configuration); nullopt
  // when it is not set.
  boost::asio::awaitable<Result<std::optional<std::string>>> setting(Uuid tenant,
                                                                     TenantSetting which);
  // The asset, deleted ones included (packets in flight may still name one).
  boost::asio::awaitable<Result<std::shared_ptr<const AssetEntry>>> asset(Uuid id);

  // --- AccountResolver ---
  boost::asio::awaitable<Result<AccountPtr>> incoming_peer_by_token(
      std::string_view token) override;
  boost::asio::awaitable<Result<AccountPtr>> local_account(std::string_view payment_tag) override;
  boost::asio::awaitable<Result<AccountPtr>> next_hop(const Account& incoming,
                                                      std::string_view destination) override;

 private:
  template <class V>
  struct TimedEntry {
    V value;
    std::int64_t loaded_ms = 0;
  };
  using SettingEntries = std::array<TimedEntry<std::optional<std::string>>, 2>;

  boost::asio::awaitable<Result<AccountPtr>> peer_account(std::shared_ptr<const peer::Peer> peer);

  const Uuid operator_tenant_;
  const std::string operator_address_;
  Services services_;
  std::mutex mutex_;
  std::unordered_map<Uuid, SettingEntries> settings_;
  std::unordered_map<Uuid, TimedEntry<std::shared_ptr<const AssetEntry>>> assets_;
  std::unordered_map<Uuid, AccountPtr> wallets_;
  std::unordered_map<Uuid, std::pair<std::weak_ptr<const peer::Peer>, AccountPtr>> peers_;
};

}  // namespace rafiki::backend::connector
