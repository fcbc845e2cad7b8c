// The peer domain's SQL (tables of migrations/backend/0004_peers.sql): peers with their routes
// and incoming-token digests, every change followed by a NOTIFY on kPeerChannel in the same
// transaction.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/peer/model.h"
#include "base/errors.h"
#include "store/pg.h"

namespace rafiki::backend::peer {

// The LISTEN/NOTIFY channel of peer changes; the payload is the peer id.
inline constexpr std::string_view kPeerChannel = "peer";

// The hex SHA-256 of an incoming token, as stored.
std::string token_digest(std::string_view token);

// The select list of a peer row (table alias t), read by peer_from_row.
extern const std::string_view kPeerColumns;
Peer peer_from_row(const store::PgRow& row);

// A peer row with the digests of its incoming tokens (hex, space-separated in "tokens").
struct PeerWithTokens {
  Peer peer;
  std::vector<std::string> token_digests;
};

class PeerStore {
 public:
  explicit PeerStore(store::PgPool pg) : pg_(std::move(pg)) {}

  boost::asio::awaitable<Result<std::optional<Peer>>> find(const Uuid& id);
  // Locks the peer row (FOR UPDATE when `exclusive`, else FOR SHARE) inside conn's transaction.
  static boost::asio::awaitable<Result<std::optional<Peer>>> lock(store::PgConn& conn,
                                                                  const Uuid& id, bool exclusive);

  // Inserts the peer and its tokens: kPeerErrorDuplicate / kPeerErrorDuplicateToken.
  static boost::asio::awaitable<Result<void>> insert(store::PgConn& conn, const Peer& peer,
                                                     const std::vector<std::string>& tokens);
  // Writes every column of `peer` (id unchanged); replaces the tokens when given.
  static boost::asio::awaitable<Result<void>> update(
      store::PgConn& conn, const Peer& peer,
      const std::optional<std::vector<std::string>>& tokens);
  static boost::asio::awaitable<Result<void>> remove(store::PgConn& conn, const Uuid& id);

  // Every peer with its token digests, as of one moment (one statement).
  boost::asio::awaitable<Result<std::vector<PeerWithTokens>>> load_all();
  boost::asio::awaitable<Result<std::optional<Peer>>> find_by_address(const Uuid& asset_id,
                                                                      std::string_view address);
  // The peer owning an incoming token digest.
  boost::asio::awaitable<Result<std::optional<Peer>>> find_by_token_digest(std::string_view digest);
  // The peers of a tenant's asset with a route among `prefixes`, oldest first.
  boost::asio::awaitable<Result<std::vector<Peer>>> find_by_routes(
      const Uuid& tenant_id, const Uuid& asset_id, const std::vector<std::string_view>& prefixes);
  // The peers of a tenant, of any asset, with a route among `prefixes`, oldest first.
  boost::asio::awaitable<Result<std::vector<Peer>>> find_by_tenant_routes(
      const Uuid& tenant_id, const std::vector<std::string_view>& prefixes);

 private:
  store::PgPool pg_;
};

}  // namespace rafiki::backend::peer
