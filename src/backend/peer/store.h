// All SQL on the peer domain's tables (migrations/backend/0004_peers.sql): peers with their
// routes and incoming-token digests. Every change is followed by a NOTIFY on kPeerChannel in the
// same transaction (the snapshot of PeerService listens to it). Rows come back as Peer; the only
// decisions here are the ones the database makes (a duplicate address or token).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/core/pagination.h"
#include "backend/peer/model.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend::peer {

// The LISTEN/NOTIFY channel of peer changes; the payload is the peer id.
inline constexpr std::string_view kPeerChannel = "peer";

// The hex SHA-256 of an incoming token, as stored.
std::string token_digest(std::string_view token);

// A peer row with the digests of its incoming tokens (hex).
struct PeerWithTokens {
  Peer peer;
  std::vector<std::string> token_digests;
};

class PeerStore {
 public:
  explicit PeerStore(store::PgPool pg) : pg_(std::move(pg)) {}

  // Runs `fn(PgConn&)` in a transaction (store::PgPool::transaction); the static functions below
  // that take a PgConn run inside it.
  template <class F>
  auto transaction(F fn) {
    return pg_.transaction(std::move(fn));
  }
  const store::PgPool& pool() const { return pg_; }

  boost::asio::awaitable<Result<std::optional<Peer>>> find(const Uuid& id);
  // Locks the peer row (FOR UPDATE when `exclusive`, else FOR SHARE) inside conn's transaction.
  static boost::asio::awaitable<Result<std::optional<Peer>>> lock(store::PgConn& conn,
                                                                  const Uuid& id, bool exclusive);
  // Locks the peer's liquidity account row (FOR UPDATE): every ledger batch on the account holds
  // that lock until it commits, so whoever takes it then reads the balance those batches left.
  static boost::asio::awaitable<Result<void>> lock_liquidity_account(store::PgConn& conn,
                                                                     const Uuid& id);

  // Inserts the peer and its tokens: kDuplicate / kDuplicateToken.
  static boost::asio::awaitable<Outcome<void, PeerError>> insert(
      store::PgConn& conn, const Peer& peer, const std::vector<std::string>& tokens);
  // Writes every column of `peer` (id unchanged); replaces the tokens when given. kDuplicate
  // when another peer of the asset has the new address; kDuplicateToken.
  static boost::asio::awaitable<Outcome<void, PeerError>> update(
      store::PgConn& conn, const Peer& peer, const std::optional<std::vector<std::string>>& tokens);
  static boost::asio::awaitable<Result<void>> remove(store::PgConn& conn, const Uuid& id);

  // A page of peers (every tenant's when `tenant` is nullopt), as upstream pages them.
  boost::asio::awaitable<Result<Paged<Peer>>> page(std::optional<Uuid> tenant,
                                                   const PageArgs& args);
  // Every peer with its token digests, oldest first, as of one moment (one statement).
  boost::asio::awaitable<Result<std::vector<PeerWithTokens>>> load_all();
  boost::asio::awaitable<Result<std::optional<Peer>>> find_by_address(const Uuid& asset_id,
                                                                      std::string_view address);
  // The peer owning an incoming token digest.
  boost::asio::awaitable<Result<std::optional<Peer>>> find_by_token_digest(std::string_view digest);
  // The peers of a tenant (of `asset_id` only, when given) with a route among `prefixes`,
  // oldest first.
  boost::asio::awaitable<Result<std::vector<Peer>>> find_by_routes(
      const Uuid& tenant_id, std::optional<Uuid> asset_id,
      const std::vector<std::string_view>& prefixes);
  // Which of `ids` are peers now, in one statement (duplicates in `ids` are fine).
  boost::asio::awaitable<Result<std::vector<Uuid>>> existing(std::vector<Uuid> ids);

 private:
  store::PgPool pg_;
};

}  // namespace rafiki::backend::peer
