// The peer service: create, update and delete peers (with their liquidity accounts), peer
// liquidity deposits and withdrawals, and the lookups the ILP connector makes per packet —
// the peer presenting an incoming token, and the next-hop peer for an ILP address
// (longest-prefix match over the routes of all of a tenant's peers, any asset; the per-asset
// lookup serves peerByAddressAndAsset).
//
// The lookups are served from an in-memory snapshot of every peer, loaded from the database
// and dropped whenever any process changes a peer: each change sends a NOTIFY on kPeerChannel in
// its own transaction, and a PgListener (start_listener(), started by install() when a runtime
// is mounted) drops the snapshot on every notification and on every (re)connect. While the
// listener is not connected (or not started) the snapshot is not trusted and lookups read the
// database directly, so a lookup never answers from data older than the last committed change
// it could have missed.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "backend/peer/model.h"
#include "backend/peer/store.h"
#include "base/errors.h"
#include "store/listen.h"

namespace rafiki::backend {
struct Backend;
}

namespace rafiki::backend::peer {

struct Snapshot;

// What the cache shares with its listener's callbacks.
struct CacheState {
  std::mutex mutex;
  std::shared_ptr<const Snapshot> snapshot;  // null: none loaded (or invalidated)
  std::uint64_t generation = 0;              // bumped by every invalidation
  std::shared_ptr<store::PgListener> listener;
  // A load is under way: other lookups read the database meanwhile (a few indexed rows)
  // instead of loading every peer again.
  bool loading = false;
  void invalidate();
};

class PeerService {
 public:
  explicit PeerService(Backend& backend);
  ~PeerService();
  PeerService(const PeerService&) = delete;
  PeerService& operator=(const PeerService&) = delete;

  // Validates, creates the peer with its liquidity account (id = peer id, code 3, on the
  // asset's ledger) and then deposits initial_liquidity. Errors: kPeerErrorInvalidAddress,
  // kPeerErrorInvalidEndpoint, kPeerErrorInvalidInput, kPeerErrorUnknownAsset,
  // kPeerErrorDuplicate, kPeerErrorDuplicateToken, kPeerErrorInitialLiquidity (the peer is then
  // removed again, since no money reached it).
  boost::asio::awaitable<Result<Peer>> create(CreatePeer input);
  // Partial update; kPeerErrorUnknown when absent or outside tenant_scope, else as create.
  boost::asio::awaitable<Result<Peer>> update(UpdatePeer input);
  // Hard delete of the tenant's peer: kPeerErrorUnknown, or kPeerErrorHasLiquidity while its
  // liquidity account holds or reserves any amount (withdraw first: money is never orphaned).
  boost::asio::awaitable<Result<void>> remove(Uuid id, Uuid tenant_id);

  // Auto-peering (auto_peering.cpp): POSTs our ILP details to input.peer_url, then creates our
  // peer from the answer — or updates the existing peer with that address and asset — and
  // deposits liquidity_to_deposit. Errors: kPeerErrorAutoUnknownAsset, kPeerErrorPeerUrl,
  // kPeerErrorIlpConfiguration, kPeerErrorUnsupportedAsset, kPeerErrorPeeringRequest,
  // kPeerErrorPeerIlpConfiguration, kPeerErrorAutoLiquidity.
  boost::asio::awaitable<Result<Peer>> create_or_update_by_url(PeerByUrl input);

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
  boost::asio::awaitable<Result<std::optional<Peer>>> get(Uuid id);

  // settlement → peer. kPeerErrorUnknown (absent, or outside tenant_scope), or the liquidity
  // service's TransferError values. The peer row is share-locked while the transfer runs, so a
  // concurrent delete waits and then sees the new balance.
  boost::asio::awaitable<Result<void>> deposit(Uuid peer_id, std::optional<Uuid> tenant_scope,
                                               money::u128 amount, Uuid transfer_id);
  // peer → settlement, pending for timeout_seconds when > 0.
  boost::asio::awaitable<Result<void>> withdraw(Uuid peer_id, std::optional<Uuid> tenant_scope,
                                                money::u128 amount, Uuid transfer_id,
                                                std::uint32_t timeout_seconds);
  // The available balance of the peer's liquidity account (nullopt without one).
  boost::asio::awaitable<Result<std::optional<money::u128>>> liquidity(Uuid peer_id);

  // Connector lookups. The returned pointers stay valid while held (they may point into a
  // snapshot); null when nothing matches.
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

  // Starts the PgListener that makes the snapshot trustworthy (idempotent). Without it every
  // lookup reads the database.
  Result<void> start_listener();
  void stop_listener();
  // True while the listener is connected, i.e. lookups may use the snapshot.
  bool cache_live() const;
  // How many snapshots were loaded from the database so far (for tests and metrics).
  std::uint64_t snapshot_loads() const { return snapshot_loads_.load(); }

 private:
  // Auto-peering, both sides: creates the peer, or — when a peer with that address and asset
  // exists (peered before) — renews its tokens, endpoint, maximum packet amount, liquidity
  // threshold and name, and sets `renewed`.
  boost::asio::awaitable<Result<Peer>> create_or_renew(CreatePeer create, bool& renewed);
  // The current snapshot, loading one when there is none; null when the cache is not live.
  boost::asio::awaitable<Result<std::shared_ptr<const Snapshot>>> snapshot();
  void invalidate();
  static Result<void> validate(const Peer& peer, const std::vector<std::string>* tokens);

  Backend& backend_;
  PeerStore store_;
  std::shared_ptr<CacheState> cache_;
  std::atomic<std::uint64_t> snapshot_loads_{0};
};

}  // namespace rafiki::backend::peer
