#include "backend/peer/store.h"

#include <algorithm>
#include <utility>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "store/listen.h"
#include "store/pg_binary.h"

namespace rafiki::backend::peer {
namespace {

namespace asio = boost::asio;
using store::PgParam;
using store::PgRow;

std::vector<std::string> split_spaces(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<std::string> digests_of(const std::vector<std::string>& tokens) {
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) out.push_back(token_digest(t));
  return out;
}

asio::awaitable<Outcome<void, PeerError>> insert_tokens(store::PgConn& conn, const Uuid& peer_id,
                                                        const std::vector<std::string>& tokens) {
  if (tokens.empty()) co_return Outcome<void, PeerError>{};
  auto digests = digests_of(tokens);
  auto inserted = co_await conn.query(
      "INSERT INTO peer_incoming_tokens (token_sha256, peer_id)"
      " SELECT DISTINCT d, $2::uuid FROM unnest($1::text[]) AS d ON CONFLICT DO NOTHING",
      store::text_array(digests), peer_id);
  if (!inserted) co_return pass_on<PeerError>(inserted.error());
  // Fewer rows than tokens: one was taken already, or the input named one twice.
  if (inserted->affected_rows() != static_cast<std::int64_t>(tokens.size())) {
    co_return fail_with(PeerError::kDuplicateToken);
  }
  co_return Outcome<void, PeerError>{};
}

asio::awaitable<Outcome<void, PeerError>> notify_change(store::PgConn& conn, const Uuid& id) {
  auto sent = co_await store::notify(conn, kPeerChannel, id.str());
  if (!sent) co_return pass_on<PeerError>(sent.error());
  co_return Outcome<void, PeerError>{};
}

// The select list of a peer row (table alias t), read by peer_from_row.
constexpr std::string_view kPeerColumns =
    "t.id, t.tenant_id, t.asset_id, t.static_ilp_address,"
    " array_to_string(t.routes, ' ') AS routes_text, t.outgoing_token, t.outgoing_endpoint,"
    " t.max_packet_amount, t.liquidity_threshold, t.name, t.created_at";

std::string select_peers(std::string_view rest) {
  return std::string("SELECT ") + std::string(kPeerColumns) + " " + std::string(rest);
}

Peer peer_from_row(const PgRow& row) {
  Peer p;
  p.id = row.get<Uuid>("id");
  p.tenant_id = row.get<Uuid>("tenant_id");
  p.asset_id = row.get<Uuid>("asset_id");
  p.static_ilp_address = row.get<std::string>("static_ilp_address");
  // Routes are validated ILP addresses: no spaces.
  p.routes = split_spaces(row.get<std::string_view>("routes_text"));
  p.outgoing_token = row.get<std::string>("outgoing_token");
  p.outgoing_endpoint = row.get<std::string>("outgoing_endpoint");
  p.max_packet_amount = row.get<std::optional<money::u128>>("max_packet_amount");
  p.liquidity_threshold = row.get<std::optional<money::u128>>("liquidity_threshold");
  p.name = row.get<std::optional<std::string>>("name");
  p.created_at = row.get<TimePoint>("created_at");
  return p;
}

std::optional<Peer> first_peer(const store::PgResult& rows) {
  if (rows.empty()) return std::nullopt;
  return peer_from_row(rows.row(0));
}

std::vector<Peer> all_peers(const store::PgResult& rows) {
  std::vector<Peer> out;
  out.reserve(static_cast<std::size_t>(rows.rows()));
  for (const auto& row : rows) out.push_back(peer_from_row(row));
  return out;
}

}  // namespace

std::string token_digest(std::string_view token) {
  return encoding::hex_encode(crypto::sha256(token));
}

asio::awaitable<Result<std::optional<Peer>>> PeerStore::find(const Uuid& id) {
  auto rows = co_await pg_.query(select_peers("FROM peers t WHERE t.id = $1"), id);
  if (!rows) co_return std::unexpected(rows.error());
  co_return first_peer(*rows);
}

asio::awaitable<Result<std::optional<Peer>>> PeerStore::lock(store::PgConn& conn, const Uuid& id,
                                                             bool exclusive) {
  auto rows =
      co_await conn.query(select_peers(exclusive ? "FROM peers t WHERE t.id = $1 FOR UPDATE"
                                                 : "FROM peers t WHERE t.id = $1 FOR SHARE"),
                          id);
  if (!rows) co_return std::unexpected(rows.error());
  co_return first_peer(*rows);
}

asio::awaitable<Result<void>> PeerStore::lock_liquidity_account(store::PgConn& conn,
                                                                const Uuid& id) {
  auto locked = co_await conn.query("SELECT 1 FROM ledger_accounts WHERE id = $1 FOR UPDATE", id);
  if (!locked) co_return std::unexpected(locked.error());
  co_return Result<void>{};
}

asio::awaitable<Outcome<void, PeerError>> PeerStore::insert(
    store::PgConn& conn, const Peer& peer, const std::vector<std::string>& tokens) {
  auto inserted = co_await conn.query(
      "INSERT INTO peers (id, tenant_id, asset_id, static_ilp_address, routes, outgoing_token,"
      " outgoing_endpoint, max_packet_amount, liquidity_threshold, name, created_at, updated_at)"
      " VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, $11, $11)"
      " ON CONFLICT ON CONSTRAINT peers_asset_address DO NOTHING",
      peer.id, peer.tenant_id, peer.asset_id, peer.static_ilp_address, store::text_array(peer.routes),
      peer.outgoing_token, peer.outgoing_endpoint, peer.max_packet_amount, peer.liquidity_threshold,
      peer.name, peer.created_at);
  if (!inserted) co_return pass_on<PeerError>(inserted.error());
  if (inserted->affected_rows() == 0) co_return fail_with(PeerError::kDuplicate);
  if (auto t = co_await insert_tokens(conn, peer.id, tokens); !t) co_return t;
  co_return co_await notify_change(conn, peer.id);
}

asio::awaitable<Outcome<void, PeerError>> PeerStore::update(
    store::PgConn& conn, const Peer& peer, const std::optional<std::vector<std::string>>& tokens) {
  auto updated = co_await conn.query(
      "UPDATE peers SET static_ilp_address = $2, routes = $3::text[], outgoing_token = $4,"
      " outgoing_endpoint = $5, max_packet_amount = $6, liquidity_threshold = $7, name = $8,"
      " updated_at = now()"
      " WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM peers o WHERE o.asset_id = peers.asset_id"
      " AND o.static_ilp_address = $2 AND o.id <> $1)",
      peer.id, peer.static_ilp_address, store::text_array(peer.routes), peer.outgoing_token,
      peer.outgoing_endpoint, peer.max_packet_amount, peer.liquidity_threshold, peer.name);
  if (!updated) {
    if (updated.error().code == store::kPgUniqueViolation) {
      co_return fail_with(PeerError::kDuplicate);
    }
    co_return pass_on<PeerError>(updated.error());
  }
  if (updated->affected_rows() == 0) co_return fail_with(PeerError::kDuplicate);
  if (tokens) {
    auto removed =
        co_await conn.query("DELETE FROM peer_incoming_tokens WHERE peer_id = $1", peer.id);
    if (!removed) co_return pass_on<PeerError>(removed.error());
    if (auto t = co_await insert_tokens(conn, peer.id, *tokens); !t) co_return t;
  }
  co_return co_await notify_change(conn, peer.id);
}

asio::awaitable<Result<void>> PeerStore::remove(store::PgConn& conn, const Uuid& id) {
  auto removed = co_await conn.query("DELETE FROM peers WHERE id = $1", id);
  if (!removed) co_return std::unexpected(removed.error());
  co_return co_await store::notify(conn, kPeerChannel, id.str());
}

asio::awaitable<Result<Paged<Peer>>> PeerStore::page(std::optional<Uuid> tenant,
                                                     const PageArgs& args) {
  PageQuery query;
  query.table = "peers";
  query.columns = std::string(kPeerColumns);
  if (tenant) {
    query.where = "t.tenant_id = $1";
    query.params.emplace_back(*tenant);
  }
  auto page = co_await fetch_page(pg_, query, args);
  if (!page) co_return std::unexpected(page.error());
  co_return typed_page<Peer>(*page, peer_from_row);
}

asio::awaitable<Result<std::vector<PeerWithTokens>>> PeerStore::load_all() {
  auto rows = co_await pg_.query(
      select_peers(", (SELECT string_agg(k.token_sha256, ' ') FROM peer_incoming_tokens k"
                   " WHERE k.peer_id = t.id) AS tokens"
                   " FROM peers t ORDER BY t.created_at, t.id"));
  if (!rows) co_return std::unexpected(rows.error());
  std::vector<PeerWithTokens> out;
  out.reserve(static_cast<std::size_t>(rows->rows()));
  for (const auto& row : *rows) {
    PeerWithTokens p;
    p.peer = peer_from_row(row);
    if (auto tokens = row.get<std::optional<std::string_view>>("tokens")) {
      p.token_digests = split_spaces(*tokens);
    }
    out.push_back(std::move(p));
  }
  co_return out;
}

asio::awaitable<Result<std::optional<Peer>>> PeerStore::find_by_address(const Uuid& asset_id,
                                                                        std::string_view address) {
  auto rows = co_await pg_.query(
      select_peers("FROM peers t WHERE t.asset_id = $1 AND t.static_ilp_address = $2"), asset_id,
      address);
  if (!rows) co_return std::unexpected(rows.error());
  co_return first_peer(*rows);
}

asio::awaitable<Result<std::optional<Peer>>> PeerStore::find_by_token_digest(
    std::string_view digest) {
  auto rows =
      co_await pg_.query(select_peers("FROM peer_incoming_tokens k JOIN peers t ON t.id = k.peer_id"
                                      " WHERE k.token_sha256 = $1"),
                         digest);
  if (!rows) co_return std::unexpected(rows.error());
  co_return first_peer(*rows);
}

asio::awaitable<Result<std::vector<Peer>>> PeerStore::find_by_routes(
    const Uuid& tenant_id, std::optional<Uuid> asset_id,
    const std::vector<std::string_view>& prefixes) {
  std::vector<std::string> items(prefixes.begin(), prefixes.end());
  std::vector<PgParam> params{tenant_id, store::text_array(items)};
  std::string where = "FROM peers t WHERE t.tenant_id = $1 AND t.routes && $2::text[]";
  if (asset_id) {
    where += " AND t.asset_id = $3";
    params.emplace_back(*asset_id);
  }
  auto rows = co_await pg_.query_params(select_peers(where + " ORDER BY t.created_at, t.id"),
                                        std::move(params));
  if (!rows) co_return std::unexpected(rows.error());
  co_return all_peers(*rows);
}

asio::awaitable<Result<std::vector<Uuid>>> PeerStore::existing(std::vector<Uuid> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto rows =
      co_await pg_.query("SELECT id FROM peers WHERE id = ANY($1::uuid[])", store::uuid_array(ids));
  if (!rows) co_return std::unexpected(rows.error());
  std::vector<Uuid> out;
  out.reserve(static_cast<std::size_t>(rows->rows()));
  for (const auto& row : *rows) out.push_back(row.get<Uuid>(0));
  co_return out;
}

}  // namespace rafiki::backend::peer
