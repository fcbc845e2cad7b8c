// Entry point of the connector domain (backend/core/domains.h): the accounts the chain needs,
// answered from the peer, asset, wallet address and tenant services behind short-lived caches
// (DomainAccounts), the liquidity events after posted packets (reference/connector.md §10), the
// stage chain in upstream's order, and the ILP-over-HTTP handler on the connector listener.
#include <spdlog/spdlog.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/asset/service.h"
#include "backend/connector/stages.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/liquidity/service.h"
#include "backend/peer/service.h"
#include "backend/rates/client.h"
#include "backend/tenant/service.h"
#include "backend/wallet_address/service.h"
#include "backend/webhook/model.h"
#include "backend/webhook/service.h"
#include "base/encoding.h"
#include "ilp/error_codes.h"
#include "ilp/http.h"
#include "ilp/stream/receiver.h"
#include "net/router.h"

namespace rafiki::backend::connector {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Assets are re-read at most this often (their liquidity and withdrawal thresholds may change;
// code, scale and ledger never do). Tenant settings (ILP_ADDRESS, EXCHANGE_RATES_URL) likewise.
constexpr std::int64_t kAssetCacheTtlMs = 1'000;
constexpr std::int64_t kSettingCacheTtlMs = 1'000;
// Entries per cache; a full cache is emptied (entries are cheap to load again).
constexpr std::size_t kCacheEntriesMax = 100'000;
// Idle keep-alive connections kept per peer ILP endpoint. A busy link has hundreds of packets in
// flight to one peer; with fewer idle slots than that, every packet beyond them opened (and the
// peer accepted) a new TCP connection. Idle ones close after the client's idle timeout.
constexpr std::size_t kPeerIdleConnectionsMax = 1'024;

template <class V>
struct TimedEntry {
  V value;
  std::int64_t loaded_ms = 0;
};

struct AssetEntry {
  AssetInfo info;
  Uuid tenant_id;
  std::optional<money::u128> liquidity_threshold;
  std::optional<money::u128> withdrawal_threshold;
};

json::object asset_json(const AssetInfo& asset) {
  json::object a;
  a["id"] = asset.id;
  a["code"] = asset.code;
  a["scale"] = asset.scale;
  return a;
}

// "Does this peer row still exist?" for forwarded packets, read for many packets at once: checks
// queue on a strand and one query (at most one in flight) answers all those queued before it
// started. A check is queued after its packet's pending transfer committed, and the query's
// snapshot is taken after the check was queued, so it sees that commit and every delete
// committed before it: the answer a read of its own would give (PeerService::remove says why
// that read suffices). One round trip per read instead of one per packet.
class PeerRowReads : public std::enable_shared_from_this<PeerRowReads> {
 public:
  PeerRowReads(store::PgPool pg, asio::any_io_executor executor)
      : pg_(std::move(pg)), strand_(asio::make_strand(std::move(executor))) {}

  asio::awaitable<Result<bool>> exists(Uuid id) {
    auto self = shared_from_this();
    auto initiation = [self](auto handler, Uuid peer) {
      Check check{peer, std::make_unique<Completion<decltype(handler)>>(std::move(handler))};
      asio::post(self->strand_, [self, check = std::move(check)]() mutable {
        self->queue_.push_back(std::move(check));
        if (self->reading_) return;
        self->reading_ = true;
        asio::co_spawn(self->strand_, read_loop(self), asio::detached);
      });
    };
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<bool>)>(
        std::move(initiation), asio::use_awaitable, id);
  }

 private:
  // Checks answered by one query at most (the rest wait for the next).
  static constexpr std::size_t kChecksPerReadMax = 8'192;

  struct Waiter {
    virtual ~Waiter() = default;
    virtual void complete(Result<bool> answer) = 0;
  };
  template <class Handler>
  struct Completion final : Waiter {
    explicit Completion(Handler h) : handler(std::move(h)) {}
    void complete(Result<bool> answer) override {
      auto executor = asio::get_associated_executor(handler);
      asio::post(executor, [h = std::move(handler), a = std::move(answer)]() mutable {
        std::move(h)(std::move(a));
      });
    }
    Handler handler;
  };
  struct Check {
    Uuid id;
    std::unique_ptr<Waiter> waiter;
  };

  // Runs on the strand while checks are queued.
  static asio::awaitable<void> read_loop(std::shared_ptr<PeerRowReads> self) {
    while (!self->queue_.empty()) {
      std::vector<Check> batch;
      const std::size_t n = std::min(self->queue_.size(), kChecksPerReadMax);
      batch.reserve(n);
      std::move(self->queue_.begin(), self->queue_.begin() + static_cast<std::ptrdiff_t>(n),
                std::back_inserter(batch));
      self->queue_.erase(self->queue_.begin(), self->queue_.begin() + static_cast<std::ptrdiff_t>(n));
      std::vector<Uuid> ids;
      ids.reserve(n);
      for (const auto& c : batch) ids.push_back(c.id);
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      std::string array = "{";
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) array += ',';
        array += ids[i].str();
      }
      array += '}';
      Result<std::vector<Uuid>> found = std::vector<Uuid>{};
      try {
        auto rows = co_await self->pg_.query("SELECT id FROM peers WHERE id = ANY($1::uuid[])",
                                             std::move(array));
        if (!rows) {
          found = std::unexpected(rows.error());
        } else {
          for (store::PgRow row : *rows) found->push_back(row.get<Uuid>(0));
        }
      } catch (const std::exception& e) {
        found = fail("connector.peer_check", e.what());
      }
      for (auto& c : batch) {
        if (!found) {
          c.waiter->complete(std::unexpected(found.error()));
        } else {
          c.waiter->complete(std::find(found->begin(), found->end(), c.id) != found->end());
        }
      }
    }
    self->reading_ = false;
  }

  store::PgPool pg_;
  asio::strand<asio::any_io_executor> strand_;
  std::vector<Check> queue_;  // on strand_
  bool reading_ = false;      // on strand_
};

class DomainAccounts final : public AccountResolver, public BalanceHooks {
 public:
  explicit DomainAccounts(Backend& backend)
      : b_(backend), peer_rows_(std::make_shared<PeerRowReads>(backend.pg, backend.executor)) {}

  asio::awaitable<Result<std::optional<std::string>>> setting(std::string tenant_id,
                                                              std::string key) {
    if (tenant_id == b_.config.operator_tenant_id) {
      if (key == "ILP_ADDRESS") co_return std::optional<std::string>(b_.config.ilp_address);
    }
    const std::string cache_key = tenant_id + '\n' + key;
    {
      std::lock_guard lock(mutex_);
      auto it = settings_.find(cache_key);
      if (it != settings_.end() && monotonic_ms() - it->second.loaded_ms < kSettingCacheTtlMs) {
        co_return it->second.value;
      }
    }
    auto id = Uuid::parse(tenant_id);
    if (!id) co_return std::optional<std::string>{};
    auto value = co_await b_.tenants->setting(*id, key);
    if (!value) co_return std::unexpected(value.error());
    std::lock_guard lock(mutex_);
    if (settings_.size() >= kCacheEntriesMax) settings_.clear();
    settings_[cache_key] = {*value, monotonic_ms()};
    co_return *value;
  }

  asio::awaitable<Result<std::shared_ptr<const AssetEntry>>> asset(const Uuid& id) {
    const std::string key = id.str();
    {
      std::lock_guard lock(mutex_);
      auto it = assets_.find(key);
      if (it != assets_.end() && monotonic_ms() - it->second.loaded_ms < kAssetCacheTtlMs) {
        co_return it->second.value;
      }
    }
    auto found = co_await b_.assets->get_including_deleted(id);
    if (!found) co_return std::unexpected(found.error());
    if (!*found) co_return fail("connector.unknown_asset", "unknown asset " + key);
    auto entry = std::make_shared<AssetEntry>();
    entry->info.id = key;
    entry->info.code = (*found)->code;
    entry->info.scale = (*found)->scale;
    entry->info.ledger = (*found)->ledger;
    entry->tenant_id = (*found)->tenant_id;
    entry->liquidity_threshold = (*found)->liquidity_threshold;
    entry->withdrawal_threshold = (*found)->withdrawal_threshold;
    std::lock_guard lock(mutex_);
    if (assets_.size() >= kCacheEntriesMax) assets_.clear();
    assets_[key] = {entry, monotonic_ms()};
    co_return entry;
  }

  // --- AccountResolver ---

  asio::awaitable<Result<AccountPtr>> incoming_peer_by_token(std::string_view token) override {
    auto peer = co_await b_.peers->by_incoming_token(token);
    if (!peer) co_return std::unexpected(peer.error());
    if (!*peer) co_return AccountPtr{};
    co_return co_await peer_account(std::move(*peer));
  }

  asio::awaitable<Result<AccountPtr>> local_account(std::string_view payment_tag) override {
    auto id = Uuid::parse(payment_tag);
    if (!id) co_return AccountPtr{};
    const std::string key = id->str();
    {
      std::lock_guard lock(mutex_);
      auto it = wallets_.find(key);
      if (it != wallets_.end()) co_return it->second;
    }
    // Wallet addresses never change tenant or asset (deactivation is not checked here, as
    // upstream), so an entry stays good; its ledger account was created with it.
    auto wallet = co_await b_.wallet_addresses->get(*id);
    if (!wallet) co_return std::unexpected(wallet.error());
    if (!*wallet) co_return AccountPtr{};
    auto asset_entry = co_await asset((*wallet)->asset_id);
    if (!asset_entry) co_return std::unexpected(asset_entry.error());
    auto created = co_await b_.liquidity->create_account(
        *id, (*asset_entry)->info.ledger, liquidity::account_code::kWalletAddress);
    if (!created) co_return std::unexpected(created.error());
    auto account = std::make_shared<Account>();
    account->id = key;
    account->kind = AccountKind::kWalletAddress;
    account->asset = (*asset_entry)->info;
    account->tenant_id = (*wallet)->tenant_id.str();
    std::lock_guard lock(mutex_);
    if (wallets_.size() >= kCacheEntriesMax) wallets_.clear();
    wallets_[key] = account;
    co_return AccountPtr(std::move(account));
  }

  asio::awaitable<Result<AccountPtr>> next_hop(const Account& incoming,
                                               std::string_view destination) override {
    auto tenant = Uuid::parse(incoming.tenant_id);
    if (!tenant) co_return AccountPtr{};
    // Peers of any asset (a peer of another asset is paid through the two assets' liquidity
    // accounts by the balance stage, at the rate-conversion stage's amount), never back to the
    // incoming peer.
    std::optional<Uuid> exclude;
    if (incoming.kind == AccountKind::kPeer) exclude = Uuid::parse(incoming.id);
    auto peer = co_await b_.peers->next_hop(*tenant, destination, exclude);
    if (!peer) co_return std::unexpected(peer.error());
    if (!*peer) co_return AccountPtr{};
    co_return co_await peer_account(std::move(*peer));
  }

  // --- BalanceHooks ---

  asio::awaitable<Result<bool>> peer_still_exists(const Account& peer) override {
    auto id = Uuid::parse(peer.id);
    if (!id) co_return false;
    // A plain read after the pending transfer committed: deletePeer locks the peer's ledger
    // account before reading its balance, so either it saw our pending credit and refused, or
    // it committed before our ledger batch did, and then this read no longer finds the row
    // (PeerService::remove). No row lock: a FOR SHARE is a write (WAL, a durable commit, and
    // MultiXacts when packets overlap) on every forwarded packet.
    // (coalesced with other packets' checks: PeerRowReads).
    co_return co_await peer_rows_->exists(*id);
  }

  asio::awaitable<void> posted(const Context& ctx) override {
    try {
      if (ctx.incoming->kind == AccountKind::kPeer && ctx.incoming->liquidity_threshold) {
        co_await check_liquidity(webhook::event_type::kPeerLiquidityLow, ctx.incoming->id,
                                 ctx.incoming->asset, ctx.incoming->tenant_id,
                                 *ctx.incoming->liquidity_threshold);
      }
      auto dest_asset = Uuid::parse(ctx.outgoing->asset.id);
      if (!dest_asset) co_return;
      auto entry = co_await asset(*dest_asset);
      if (!entry) {
        spdlog::warn("connector: asset of a posted packet: {}", entry.error().message);
        co_return;
      }
      if ((*entry)->liquidity_threshold) {
        co_await check_liquidity(webhook::event_type::kAssetLiquidityLow, (*entry)->info.id,
                                 (*entry)->info, (*entry)->tenant_id.str(),
                                 *(*entry)->liquidity_threshold);
      }
      if (ctx.outgoing->kind == AccountKind::kWalletAddress && (*entry)->withdrawal_threshold) {
        co_await schedule_web_monetization(ctx.outgoing->id, *(*entry)->withdrawal_threshold);
      }
    } catch (const std::exception& e) {
      spdlog::warn("connector: after-post checks failed: {}", e.what());
    }
  }

 private:
  asio::awaitable<Result<AccountPtr>> peer_account(std::shared_ptr<const peer::Peer> peer) {
    const std::string key = peer->id.str();
    {
      std::lock_guard lock(mutex_);
      auto it = peers_.find(key);
      // The same snapshot object: the account built from it is still right.
      if (it != peers_.end() && it->second.first == peer) co_return it->second.second;
    }
    auto asset_entry = co_await asset(peer->asset_id);
    if (!asset_entry) co_return std::unexpected(asset_entry.error());
    auto account = std::make_shared<Account>();
    account->id = key;
    account->kind = AccountKind::kPeer;
    account->asset = (*asset_entry)->info;
    account->tenant_id = peer->tenant_id.str();
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
    std::lock_guard lock(mutex_);
    if (peers_.size() >= kCacheEntriesMax) peers_.clear();
    peers_[key] = {std::move(peer), shared};
    co_return shared;
  }

  // Emits `type` once per crossing: when the balance is at or below the threshold and the
  // account was not known to be below already (shared through the key-value store, so several
  // processes emit once between them); a balance above the threshold re-arms it.
  asio::awaitable<void> check_liquidity(std::string_view type, const std::string& account_id,
                                        const AssetInfo& asset, const std::string& tenant_id,
                                        money::u128 threshold) {
    auto id = Uuid::parse(account_id);
    auto tenant = Uuid::parse(tenant_id);
    if (!id || !tenant) co_return;
    auto balance = co_await b_.liquidity->balance(*id);
    if (!balance || !*balance) co_return;
    const bool low = **balance <= threshold;
    const std::string key = std::string("liquidity_low:") + account_id;
    {
      std::lock_guard lock(mutex_);
      auto it = below_.find(account_id);
      if (it != below_.end() && it->second == low) co_return;
      if (below_.size() >= kCacheEntriesMax) below_.clear();
      below_[account_id] = low;
    }
    if (!low) {
      auto removed = co_await b_.kv->remove(key);
      if (!removed) spdlog::warn("connector: {}: {}", key, removed.error().message);
      co_return;
    }
    auto first = co_await b_.kv->set_if_absent(key, "1", store::kKvTtlMax);
    if (!first) {
      spdlog::warn("connector: {}: {}", key, first.error().message);
      std::lock_guard lock(mutex_);
      below_.erase(account_id);  // try again next time
      co_return;
    }
    if (!*first) co_return;  // another process already told
    webhook::NewEvent event;
    event.type = std::string(type);
    event.tenant_id = *tenant;
    event.data["id"] = account_id;
    event.data["asset"] = asset_json(asset);
    event.data["liquidityThreshold"] = money::to_string(threshold);
    event.data["balance"] = money::to_string(**balance);
    auto emitted = co_await b_.webhooks->emit(std::move(event));
    if (!emitted) spdlog::warn("connector: {} not emitted: {}", type, emitted.error().message);
  }

  // payments.md §5: a wallet address whose not-yet-reported receipts reach the asset's
  // withdrawal threshold is due for a wallet_address.web_monetization event.
  asio::awaitable<void> schedule_web_monetization(const std::string& wallet_id,
                                                  money::u128 threshold) {
    auto id = Uuid::parse(wallet_id);
    if (!id) co_return;
    auto account = co_await b_.ledger.balances(*id);
    if (!account || !*account) co_return;
    const money::u128 received = (*account)->credits_posted;
    if (received < threshold) co_return;
    auto updated = co_await b_.pg.query(
        "UPDATE wallet_addresses SET process_at = now() WHERE id = $1 AND process_at IS NULL "
        "AND total_events_amount <= $2",
        *id, received - threshold);
    if (!updated) spdlog::warn("connector: web monetization not scheduled: {}", updated.error().message);
  }

  Backend& b_;
  std::shared_ptr<PeerRowReads> peer_rows_;
  std::mutex mutex_;
  std::unordered_map<std::string, TimedEntry<std::optional<std::string>>> settings_;
  std::unordered_map<std::string, TimedEntry<std::shared_ptr<const AssetEntry>>> assets_;
  std::unordered_map<std::string, AccountPtr> wallets_;
  std::unordered_map<std::string, std::pair<std::shared_ptr<const peer::Peer>, AccountPtr>> peers_;
  std::unordered_map<std::string, bool> below_;
};

// No STREAM_SECRET usable: nothing is received locally.
class NoReceivers final : public StreamReceivers {
 public:
  asio::awaitable<Result<std::shared_ptr<const ilp::stream::Receiver>>> receiver(
      std::string_view) override {
    co_return std::shared_ptr<const ilp::stream::Receiver>{};
  }
};

struct ConnectorState {
  explicit ConnectorState(Backend& backend) : accounts(backend) {}
  DomainAccounts accounts;
  std::unique_ptr<StreamReceivers> receivers;
  std::unique_ptr<rates::RatesClient> rates;
  std::unique_ptr<Chain> chain;
  std::string own_address;
};

Bytes internal_reject(std::string_view own_address) {
  ilp::Reject r;
  r.code = ilp::kT00InternalError;
  r.triggered_by = own_address;
  r.message = kInternalErrorMessage;
  auto encoded = ilp::encode_reject(r);
  return encoded ? std::move(*encoded) : Bytes{};
}

}  // namespace

void install(Backend& backend, const Mount& mount) {
  auto state = std::make_shared<ConnectorState>(backend);
  state->own_address = backend.config.ilp_address;
  DomainAccounts* accounts = &state->accounts;

  auto secret = encoding::base64_decode(backend.config.stream_secret);
  if (secret) {
    auto receivers = SecretStreamReceivers::create(
        std::move(*secret),
        [accounts](std::string tenant_id) -> asio::awaitable<Result<std::optional<std::string>>> {
          co_return co_await accounts->setting(std::move(tenant_id), "ILP_ADDRESS");
        });
    if (receivers) state->receivers = std::move(*receivers);
  }
  if (!state->receivers) {
    spdlog::warn("connector: STREAM_SECRET is not 32 bytes of base64; nothing is received");
    state->receivers = std::make_unique<NoReceivers>();
  }

  rates::RatesClientOptions rate_options;
  rate_options.lifetime_ms = backend.config.exchange_rates_lifetime_ms;
  auto fallback_url = backend.config.exchange_rates_url;
  const OutboundPolicy outbound = backend.outbound;
  state->rates = std::make_unique<rates::RatesClient>(
      backend.executor,
      [accounts, fallback_url, outbound](
          std::string tenant_id) -> asio::awaitable<Result<std::optional<rates::RatesEndpoint>>> {
        const net::AddressPolicy policy = outbound.for_owner(tenant_id);
        auto url = co_await accounts->setting(std::move(tenant_id), "EXCHANGE_RATES_URL");
        if (!url) co_return std::unexpected(url.error());
        rates::RatesEndpoint endpoint;
        if (*url && !(*url)->empty()) {
          endpoint.url = std::move(**url);
          endpoint.address_policy = policy;  // the tenant's own URL
        } else if (fallback_url) {
          endpoint.url = *fallback_url;  // the operator's
        } else {
          co_return std::optional<rates::RatesEndpoint>{};
        }
        co_return std::optional<rates::RatesEndpoint>(std::move(endpoint));
      },
      rate_options);

  BalanceOptions balance_options;
  if (backend.config.two_phase_timeout_seconds > 0) {
    balance_options.two_phase_timeout_seconds =
        static_cast<std::uint32_t>(std::min<std::int64_t>(backend.config.two_phase_timeout_seconds,
                                                          UINT32_MAX));
  }

  // Upstream's order (reference/connector.md §3; docs/connector.md for where ours differs).
  std::vector<std::unique_ptr<Stage>> stages;
  stages.push_back(std::make_unique<ErrorHandlerStage>());
  stages.push_back(std::make_unique<StreamAddressStage>(*state->receivers));
  stages.push_back(std::make_unique<EchoStage>());
  stages.push_back(std::make_unique<IldcpStage>());
  stages.push_back(std::make_unique<AccountStage>(state->accounts));
  stages.push_back(std::make_unique<MaxPacketAmountStage>());
  stages.push_back(std::make_unique<RateLimitStage>());
  stages.push_back(std::make_unique<ThroughputStage>(Direction::kIncoming));
  stages.push_back(std::make_unique<RateConversionStage>(*state->rates));
  stages.push_back(std::make_unique<BalanceStage>(backend.ledger, state->accounts,
                                                  balance_options));
  stages.push_back(std::make_unique<StreamReceiverStage>(backend.kv));
  stages.push_back(std::make_unique<ThroughputStage>(Direction::kOutgoing));
  stages.push_back(std::make_unique<ReduceExpiryStage>());
  stages.push_back(std::make_unique<ExpireStage>());
  stages.push_back(std::make_unique<ValidateFulfillmentStage>());
  net::ClientOptions peer_client;
  peer_client.idle_connections_per_origin_max = kPeerIdleConnectionsMax;
  stages.push_back(
      std::make_unique<HttpClientStage>(net::HttpClient(backend.executor, peer_client),
                                        backend.outbound));
  state->chain = std::make_unique<Chain>(std::move(stages));

  if (!mount.connector) return;
  // The token itself stands for the account: the handler resolves it again (a hash lookup in
  // the peer snapshot), so nothing per connection is kept here.
  auto lookup = [state](std::string token) -> asio::awaitable<ilp::TokenLookupResult> {
    auto peer = co_await state->accounts.incoming_peer_by_token(token);
    if (!peer) {
      spdlog::warn("connector: token lookup failed: {}", peer.error().message);
      co_return std::unexpected(peer.error());  // 503: the peer retries
    }
    if (!*peer) co_return std::optional<std::string>();
    co_return std::optional<std::string>(std::move(token));
  };
  auto handler = [state](const ilp::IncomingPrepare& in) -> asio::awaitable<Bytes> {
    auto peer = co_await state->accounts.incoming_peer_by_token(in.account);
    if (!peer || !*peer) co_return internal_reject(state->own_address);
    auto ctx = Context::make(in.packet, std::move(*peer), state->own_address);
    if (!ctx) co_return internal_reject(state->own_address);
    co_await state->chain->run(*ctx);
    co_return std::move(ctx->reply);
  };
  mount.connector->fallback(ilp::make_http_handler(std::move(lookup), std::move(handler)));
}

void register_resolvers(graphql::Schema& /*schema*/, Backend& /*backend*/) {}

}  // namespace rafiki::backend::connector
