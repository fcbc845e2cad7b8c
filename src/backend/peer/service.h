// The peer domain's rules: create, update and delete peers (with their liquidity accounts), peer
// liquidity deposits and withdrawals, auto-peering (auto_peering.cpp), and the lookups the ILP
// connector makes per packet — the peer presenting an incoming token, and the next-hop peer for
// an ILP address (longest-prefix match over the routes of all of a tenant's peers, any asset;
// the per-asset lookup serves peerByAddressAndAsset). Uses the asset, liquidity and tenant
// domains, the ledger, the HTTP client (auto-peering) and the operator's outbound policy.
//
// The lookups are served from an in-memory snapshot of every peer (a store::NotifyCache with one
// entry): every change sends a NOTIFY on kPeerChannel in its own transaction, and the cache's
// listener (start_listener(), started by install() when a runtime is mounted) drops the snapshot
// on every notification and on every (re)connect. While the listener is not connected (or not
// started), and while another lookup is loading the snapshot, lookups read the few rows they
// need from the database, so a lookup never answers from data older than the last committed
// change it could have missed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "backend/asset/service.h"
#include "backend/core/domain_error.h"
#include "backend/core/outbound.h"
#include "backend/core/pagination.h"
#include "backend/liquidity/service.h"
#include "backend/peer/model.h"
#include "backend/peer/store.h"
#include "backend/tenant/service.h"
#include "base/errors.h"
#include "ledger/ledger.h"
#include "net/client.h"
#include "store/notify_cache.h"

namespace rafiki::backend {
struct Config;
}

namespace rafiki::backend::peer {

// What a deposit or withdrawal of peer liquidity fails with: the peer domain's error, or the
// liquidity domain's transfer error (upstream's TransferError, with its own codes and messages).
using PeerLiquidityError = std::variant<PeerError, liquidity::TransferError>;
ErrorDescription describe(const PeerLiquidityError& error);

// A failure's message, for logs.
template <class E>
std::string_view message_of(const Failure<E>& failure) {
  if (failure.is_domain()) return describe(failure.domain()).message;
  return failure.infrastructure().message;
}

// The configuration auto-peering uses.
struct PeerSettings {
  std::optional<Uuid> operator_tenant_id;  // OPERATOR_TENANT_ID (nullopt: not a UUID)
  std::string ilp_address;        // ILP_ADDRESS, when the tenant has no ILP_ADDRESS setting
  std::string ilp_connector_url;  // ILP_CONNECTOR_URL
  std::string instance_name;      // INSTANCE_NAME

  static PeerSettings from_config(const Config& config);
};

struct Snapshot;

class PeerService {
 public:
  // `outbound` is read at every check (tests change it in place).
  PeerService(PeerStore store, PeerSettings settings, boost::asio::any_io_executor executor,
              asset::AssetService& assets, liquidity::LiquidityService& liquidity,
              tenant::TenantService& tenants, ledger::Ledger& ledger, net::HttpClient& http,
              const OutboundPolicy& outbound);
  ~PeerService();
  PeerService(const PeerService&) = delete;
  PeerService& operator=(const PeerService&) = delete;

  // Validates, creates the peer with its liquidity account (id = peer id, code 3, on the
  // asset's ledger) and then deposits initial_liquidity. Fails with kTooManyRoutes and the other
  // input errors, kUnknownAsset, kForbiddenEndpoint*, kDuplicate, kDuplicateToken, or
  // kInitialLiquidity (the peer is then removed again, since no money reached it).
  boost::asio::awaitable<Outcome<Peer, PeerError>> create(CreatePeer input);
  // Partial update; kUnknown when absent or outside tenant_scope, else as create.
  boost::asio::awaitable<Outcome<Peer, PeerError>> update(UpdatePeer input);
  // Hard delete of the tenant's peer: kUnknown, or kHasLiquidity while its liquidity account
  // holds or reserves any amount (withdraw first: money is never orphaned).
  boost::asio::awaitable<Outcome<void, PeerError>> remove(Uuid id, Uuid tenant_id);

  // Auto-peering (auto_peering.cpp): POSTs our ILP details to input.peer_url, then creates our
  // peer from the answer — or updates the existing peer with that address and asset — and
  // deposits liquidity_to_deposit. Fails with kAutoUnknownAsset, kForbiddenEndpoint* (the peer
  // URL), kAutoPeerUrl, kAutoIlpConfiguration, kAutoUnsupportedAsset, kAutoPeeringRequest,
  // kAutoPeerIlpConfiguration, kAutoLiquidity.
  boost::asio::awaitable<Outcome<Peer, PeerError>> create_or_update_by_url(PeerByUrl input);

  // Auto-peering, the accepting side (`ENABLE_AUTO_PEERING`, reference/connector.md §9): the
  // JSON body another instance POSTed → the HTTP status and JSON body to answer. Peers the
  // operator tenant with the sender on the operator's asset of that code and scale (or renews
  // the peer it made before), extending it kAutoPeeringInitialLiquidity of liquidity.
  struct PeeringAnswer {
    int status = 200;
    std::string body;
  };
  boost::asio::awaitable<PeeringAnswer> accept_peering(std::string body);

  // From the database (not the snapshot).
  boost::asio::awaitable<Outcome<std::optional<Peer>, PeerError>> get(Uuid id);
  // A page of peers (every tenant's when `tenant` is nullopt).
  boost::asio::awaitable<Outcome<Paged<Peer>, PeerError>> page(std::optional<Uuid> tenant,
                                                               const PageArgs& args);

  // settlement → peer. kUnknown (absent, or outside tenant_scope), kUnknownAsset, or the
  // liquidity domain's transfer errors. The peer row is share-locked while the transfer runs, so
  // a concurrent delete waits and then sees the new balance.
  boost::asio::awaitable<Outcome<void, PeerLiquidityError>> deposit(
      Uuid peer_id, std::optional<Uuid> tenant_scope, money::u128 amount, Uuid transfer_id);
  // peer → settlement, pending for timeout_seconds when > 0. As deposit, but an unknown peer is
  // kLiquidityUnknownPeer (upstream's LiquidityError.UnknownPeer).
  boost::asio::awaitable<Outcome<void, PeerLiquidityError>> withdraw(
      Uuid peer_id, std::optional<Uuid> tenant_scope, money::u128 amount, Uuid transfer_id,
      std::uint32_t timeout_seconds);
  // The available balance of the peer's liquidity account (nullopt without one).
  boost::asio::awaitable<Outcome<std::optional<money::u128>, PeerError>> liquidity(Uuid peer_id);

  // Connector lookups; they fail only when the database does (Result). The returned pointers
  // stay valid while held (they may point into a snapshot); null when nothing matches.
  boost::asio::awaitable<Result<std::shared_ptr<const Peer>>> by_incoming_token(
      std::string_view token);
  // The peer of `tenant_id` and `asset_id` whose route is the longest prefix of `address`
  // (whole segments; the address itself counts). Among peers sharing that prefix, the oldest.
  boost::asio::awaitable<Result<std::shared_ptr<const Peer>>> route(Uuid tenant_id, Uuid asset_id,
                                                                    std::string_view address);
  // The connector's next hop (reference/connector.md §6): the peer of `tenant_id`, of any asset,
  // whose route is the longest prefix of `address` (whole segments), never `exclude_peer`; when
  // every peer of the longest matching prefix is excluded, the next shorter prefix is tried.
  // Among peers sharing a prefix, the oldest.
  boost::asio::awaitable<Result<std::shared_ptr<const Peer>>> next_hop(
      Uuid tenant_id, std::string_view address, std::optional<Uuid> exclude_peer);
  // Which of `ids` are peers now, read from the database in one statement (for the connector's
  // batched "does this peer still exist?" checks after a forwarded packet's pending transfer
  // committed; see remove() for why a plain read suffices).
  boost::asio::awaitable<Result<std::vector<Uuid>>> existing(std::vector<Uuid> ids);

  // Starts the snapshot's listener (idempotent). Without it every lookup reads the database.
  Result<void> start_listener();
  void stop_listener();
  // True while the listener is connected, i.e. lookups may use the snapshot.
  bool cache_live() const { return cache_.live(); }
  // How many snapshots were loaded from the database so far (for tests and metrics).
  std::uint64_t snapshot_loads() const { return cache_.loads(); }

 private:
  // Auto-peering, both sides: creates the peer, or — when a peer with that address and asset
  // exists (peered before) — renews its tokens, endpoint, maximum packet amount, liquidity
  // threshold and name, and sets `renewed`.
  boost::asio::awaitable<Outcome<Peer, PeerError>> create_or_renew(CreatePeer create,
                                                                   bool& renewed);
  // The asset of a create: any live asset, or only `tenant_scope`'s when given.
  boost::asio::awaitable<Result<std::optional<asset::Asset>>> asset_in_scope(
      Uuid asset_id, std::optional<Uuid> tenant_scope);
  // The error for an endpoint the owner's outbound policy refuses; nullopt when allowed.
  std::optional<PeerError> forbidden_endpoint(const Uuid& owner, std::string_view url) const;
  // Runs a deposit or withdrawal while the peer row is share-locked; `unknown` when the peer is
  // absent or outside `tenant_scope`.
  using MoveLiquidity =
      std::function<boost::asio::awaitable<Result<void>>(const asset::Asset& asset)>;
  boost::asio::awaitable<Outcome<void, PeerLiquidityError>> with_locked_peer(
      Uuid peer_id, std::optional<Uuid> tenant_scope, PeerError unknown, MoveLiquidity move);
  // The peer of `tenant_id` (and `asset_id`, when given) with the longest route prefix of
  // `address`, never `exclude`, read from the database.
  boost::asio::awaitable<Result<std::shared_ptr<const Peer>>> route_from_database(
      Uuid tenant_id, std::optional<Uuid> asset_id, std::string_view address,
      std::optional<Uuid> exclude);
  // The current snapshot, loading one when there is none; null when the database is to be read
  // instead (the cache is not live, or another lookup is loading it).
  boost::asio::awaitable<Result<std::shared_ptr<const Snapshot>>> snapshot();
  // This process's own change: drops the snapshot at once.
  void invalidate() { cache_.clear(); }

  PeerStore store_;
  PeerSettings settings_;
  boost::asio::any_io_executor executor_;
  asset::AssetService& assets_;
  liquidity::LiquidityService& liquidity_;
  tenant::TenantService& tenants_;
  ledger::Ledger& ledger_;
  net::HttpClient& http_;
  const OutboundPolicy& outbound_;
  store::NotifyCache<std::monostate, Snapshot> cache_;
};

}  // namespace rafiki::backend::peer
