#include "backend/connector/accounts.h"

#include "backend/asset/service.h"
#include "backend/config.h"
#include "backend/connector/stages.h"
#include "backend/liquidity/service.h"
#include "backend/peer/service.h"
#include "backend/tenant/service.h"
#include "backend/wallet_address/service.h"

namespace rafiki::backend::connector {

namespace asio = boost::asio;

namespace {

std::string_view key_of(TenantSetting which) {
  switch (which) {
    case TenantSetting::kIlpAddress:
      return "ILP_ADDRESS";
    case TenantSetting::kExchangeRatesUrl:
      return "EXCHANGE_RATES_URL";
  }
  std::unreachable();
}

}  // namespace

DomainAccounts::DomainAccounts(const Config& config, Services services)
    : operator_tenant_(Uuid::parse(config.operator_tenant_id).value_or(Uuid{})),
      operator_address_(config.ilp_address),
      services_(services) {}

asio::awaitable<Result<std::optional<std::string>>> DomainAccounts::setting(Uuid tenant,
                                                                            TenantSetting which) {
  if (tenant == operator_tenant_ && which == TenantSetting::kIlpAddress) {
    co_return std::optional<std::string>(operator_address_);
  }
  const auto slot = static_cast<std::size_t>(which);
  {
    std::lock_guard lock(mutex_);
    auto it = settings_.find(tenant);
    if (it != settings_.end() && it->second[slot].loaded_ms != 0 &&
        monotonic_ms() - it->second[slot].loaded_ms < kSettingCacheTtlMs) {
      co_return it->second[slot].value;
    }
  }
  auto value = co_await services_.tenants.setting(tenant, key_of(which));
  if (!value) co_return std::unexpected(value.error());
  std::lock_guard lock(mutex_);
  if (settings_.size() >= kCacheEntriesMax) settings_.clear();
  // A load time of 0 means "never loaded"; the monotonic clock is past it after the first ms.
  settings_[tenant][slot] = {*value, std::max<std::int64_t>(monotonic_ms(), 1)};
  co_return *value;
}

asio::awaitable<Result<std::shared_ptr<const AssetEntry>>> DomainAccounts::asset(Uuid id) {
  {
    std::lock_guard lock(mutex_);
    auto it = assets_.find(id);
    if (it != assets_.end() && monotonic_ms() - it->second.loaded_ms < kAssetCacheTtlMs) {
      co_return it->second.value;
    }
  }
  auto found = co_await services_.assets.get_including_deleted(id);
  if (!found) co_return std::unexpected(found.error());
  if (!*found) co_return fail("connector.unknown_asset", "unknown asset " + id.str());
  auto entry = std::make_shared<AssetEntry>();
  entry->info.id = id;
  entry->info.code = (*found)->code;
  entry->info.scale = (*found)->scale;
  entry->info.ledger = (*found)->ledger;
  entry->tenant_id = (*found)->tenant_id;
  entry->liquidity_threshold = (*found)->liquidity_threshold;
  entry->withdrawal_threshold = (*found)->withdrawal_threshold;
  std::lock_guard lock(mutex_);
  if (assets_.size() >= kCacheEntriesMax) assets_.clear();
  assets_[id] = {entry, monotonic_ms()};
  co_return entry;
}

asio::awaitable<Result<AccountPtr>> DomainAccounts::incoming_peer_by_token(std::string_view token) {
  auto peer = co_await services_.peers.by_incoming_token(token);
  if (!peer) co_return std::unexpected(peer.error());
  if (!*peer) co_return AccountPtr{};
  co_return co_await peer_account(std::move(*peer));
}

asio::awaitable<Result<AccountPtr>> DomainAccounts::local_account(std::string_view payment_tag) {
  auto id = Uuid::parse(payment_tag);
  if (!id) co_return AccountPtr{};
  {
    std::lock_guard lock(mutex_);
    auto it = wallets_.find(*id);
    if (it != wallets_.end()) co_return it->second;
  }
  // Wallet addresses never change tenant or asset (deactivation is not checked here, as
  // upstream), so an entry stays good; its ledger account was created with it.
  auto wallet = co_await services_.wallet_addresses.get(*id);
  if (!wallet) co_return std::unexpected(wallet.error());
  if (!*wallet) co_return AccountPtr{};
  auto asset_entry = co_await asset((*wallet)->asset_id);
  if (!asset_entry) co_return std::unexpected(asset_entry.error());
  auto created = co_await services_.liquidity.create_account(
      *id, (*asset_entry)->info.ledger, liquidity::account_code::kWalletAddress);
  if (!created) co_return std::unexpected(created.error());
  auto account = std::make_shared<Account>();
  account->id = *id;
  account->kind = AccountKind::kWalletAddress;
  account->asset = (*asset_entry)->info;
  account->tenant_id = (*wallet)->tenant_id;
  std::lock_guard lock(mutex_);
  if (wallets_.size() >= kCacheEntriesMax) wallets_.clear();
  wallets_[*id] = account;
  co_return AccountPtr(std::move(account));
}

asio::awaitable<Result<AccountPtr>> DomainAccounts::next_hop(const Account& incoming,
                                                             std::string_view destination) {
  // Peers of any asset (a peer of another asset is paid through the two assets' liquidity
  // accounts by the balance stage, at the rate-conversion stage's amount), never back to the
  // incoming peer.
  std::optional<Uuid> exclude;
  if (incoming.kind == AccountKind::kPeer) exclude = incoming.id;
  auto peer = co_await services_.peers.next_hop(incoming.tenant_id, destination, exclude);
  if (!peer) co_return std::unexpected(peer.error());
  if (!*peer) co_return AccountPtr{};
  co_return co_await peer_account(std::move(*peer));
}

asio::awaitable<Result<AccountPtr>> DomainAccounts::peer_account(
    std::shared_ptr<const peer::Peer> peer) {
  {
    std::lock_guard lock(mutex_);
    auto it = peers_.find(peer->id);
    // The same snapshot object: the account built from it is still right.
    if (it != peers_.end() && it->second.first.lock() == peer) co_return it->second.second;
  }
  auto asset_entry = co_await asset(peer->asset_id);
  if (!asset_entry) co_return std::unexpected(asset_entry.error());
  auto account = std::make_shared<Account>();
  account->id = peer->id;
  account->kind = AccountKind::kPeer;
  account->asset = (*asset_entry)->info;
  account->tenant_id = peer->tenant_id;
  if (peer->max_packet_amount) {
    account->max_packet_amount = *peer->max_packet_amount > money::u128(UINT64_MAX)
                                     ? UINT64_MAX
                                     : static_cast<std::uint64_t>(*peer->max_packet_amount);
  }
  account->static_ilp_address = peer->static_ilp_address;
  account->http_endpoint = peer->outgoing_endpoint;
  account->http_auth_token = peer->outgoing_token;
  account->liquidity_threshold = peer->liquidity_threshold;
  AccountPtr shared = std::move(account);
  const Uuid id = peer->id;
  std::lock_guard lock(mutex_);
  if (peers_.size() >= kCacheEntriesMax) peers_.clear();
  peers_[id] = {std::move(peer), shared};
  co_return shared;
}

}  // namespace rafiki::backend::connector
