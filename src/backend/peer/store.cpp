#include "backend/peer/store.h"

#include <utility>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "store/listen.h"

namespace rafiki::backend::peer {
namespace {

namespace asio = boost::asio;
using store::PgParam;
using store::PgRow;

// A text[] literal: {"a","b"} with " and \ escaped.
std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

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

asio::awaitable<Result<void>> insert_tokens(store::PgConn& conn, const Uuid& peer_id,
                                            const std::vector<std::string>& tokens) {
  if (tokens.empty()) co_return Result<void>{};
  auto digests = digests_of(tokens);
  auto inserted = co_await conn.query(
      "INSERT INTO peer_incoming_tokens (token_sha256, peer_id)"
      " SELECT DISTINCT d, $2::uuid FROM unnest($1::text[]) AS d ON CONFLICT DO NOTHING",
      array_literal(digests), peer_id);
  if (!inserted) co_return std::unexpected(inserted.error());
  // Fewer rows than tokens: one was taken already, or the input named one twice.
  if (inserted->affected_rows() != static_cast<std::int64_t>(tokens.size())) {
    co_return fail(std::string(kPeerErrorDuplicateToken), "duplicate incoming token");
  }
  co_return Result<void>{};
}

}  // namespace

std::string token_digest(std::string_view token) { return encoding::hex_encode(crypto::sha256(token)); }

const std::string_view kPeerColumns =
    "t.id, t.tenant_id, t.asset_id, t.static_ilp_address,"
    " array_to_string(t.routes, ' ') AS routes_text, t.outgoing_token, t.outgoing_endpoint,"
    " t.max_packet_amount, t.liquidity_threshold, t.name, t.created_at";

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

asio::awaitable<Result<std::optional<Peer>>> PeerStore::find(const Uuid& id) {
  auto r = co_await pg_.query(std::string("SELECT ") + std::string(kPeerColumns) +
                                  " FROM peers t WHERE t.id = $1",
                              id);
  if (!r) co_return std::unexpected(r.error());
  if (r->empty()) co_return std::optional<Peer>{};
  co_return peer_from_row(r->row(0));
}

asio::awaitable<Result<std::optional<Peer>>> PeerStore::lock(store::PgConn& conn, const Uuid& id,
                                                             bool exclusive) {
  auto r = co_await conn.query(std::string("SELECT ") + std::string(kPeerColumns) +
                                   " FROM peers t WHERE t.id = $1" +
                                   (exclusive ? " FOR UPDATE" : " FOR SHARE"),
                               id);
  if (!r) co_return std::unexpected(r.error());
  if (r->empty()) co_return std::optional<Peer>{};
  co_return peer_from_row(r->row(0));
}

asio::awaitable<Result<void>> PeerStore::insert(store::PgConn& conn, const Peer& peer,
                                                const std::vector<std::string>& tokens) {
  auto inserted = co_await conn.query(
      "INSERT INTO peers (id, tenant_id, asset_id, static_ilp_address, routes, outgoing_token,"
      " outgoing_endpoint, max_packet_amount, liquidity_threshold, name, created_at, updated_at)"
      " VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, $11, $11)"
      " ON CONFLICT ON CONSTRAINT peers_asset_address DO NOTHING",
      peer.id, peer.tenant_id, peer.asset_id, peer.static_ilp_address, array_literal(peer.routes),
      peer.outgoing_token, peer.outgoing_endpoint, peer.max_packet_amount,
      peer.liquidity_threshold, peer.name, peer.created_at);
  if (!inserted) co_return std::unexpected(inserted.error());
  if (inserted->affected_rows() == 0) {
    co_return fail(std::string(kPeerErrorDuplicate),
                   "duplicate peer found for same ILP address and asset");
  }
  if (auto t = co_await insert_tokens(conn, peer.id, tokens); !t) co_return t;
  co_return co_await store::notify(conn, kPeerChannel, peer.id.str());
}

asio::awaitable<Result<void>> PeerStore::update(
    store::PgConn& conn, const Peer& peer, const std::optional<std::vector<std::string>>& tokens) {
  auto updated = co_await conn.query(
      "UPDATE peers SET static_ilp_address = $2, routes = $3::text[], outgoing_token = $4,"
      " outgoing_endpoint = $5, max_packet_amount = $6, liquidity_threshold = $7, name = $8,"
      " updated_at = now()"
      " WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM peers o WHERE o.asset_id = peers.asset_id"
      " AND o.static_ilp_address = $2 AND o.id <> $1)",
      peer.id, peer.static_ilp_address, array_literal(peer.routes), peer.outgoing_token,
      peer.outgoing_endpoint, peer.max_packet_amount, peer.liquidity_threshold, peer.name);
  if (!updated) {
    if (updated.error().code == store::kPgUniqueViolation) {
      co_return fail(std::string(kPeerErrorDuplicate),
                     "duplicate peer found for same ILP address and asset");
    }
    co_return std::unexpected(updated.error());
  }
  if (updated->affected_rows() == 0) {
    co_return fail(std::string(kPeerErrorDuplicate),
                   "duplicate peer found for same ILP address and asset");
  }
  if (tokens) {
    auto removed = co_await conn.query("DELETE FROM peer_incoming_tokens WHERE peer_id = $1",
                                       peer.id);
    if (!removed) co_return std::unexpected(removed.error());
    if (auto t = co_await insert_tokens(conn, peer.id, *tokens); !t) co_return t;
  }
  co_return co_await store::notify(conn, kPeerChannel, peer.id.str());
}

asio::awaitable<Result<void>> PeerStore::remove(store::PgConn& conn, const Uuid& id) {
  auto removed = co_await conn.query("DELETE FROM peers WHERE id = $1", id);
  if (!removed) co_return std::unexpected(removed.error());
  co_return co_await store::notify(conn, kPeerChannel, id.str());
}

asio::awaitable<Result<std::vector<PeerWithTokens>>> PeerStore::load_all() {
  auto r = co_await pg_.query(
      std::string("SELECT ") + std::string(kPeerColumns) +
      ", (SELECT string_agg(k.token_sha256, ' ') FROM peer_incoming_tokens k"
      " WHERE k.peer_id = t.id) AS tokens"
      " FROM peers t ORDER BY t.created_at, t.id");
  if (!r) co_return std::unexpected(r.error());
  std::vector<PeerWithTokens> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (const auto& row : *r) {
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
  auto r = co_await pg_.query(std::string("SELECT ") + std::string(kPeerColumns) +
                                  " FROM peers t WHERE t.asset_id = $1 AND t.static_ilp_address = $2",
                              asset_id, address);
  if (!r) co_return std::unexpected(r.error());
  if (r->empty()) co_return std::optional<Peer>{};
  co_return peer_from_row(r->row(0));
}

asio::awaitable<Result<std::optional<Peer>>> PeerStore::find_by_token_digest(
    std::string_view digest) {
  auto r = co_await pg_.query(std::string("SELECT ") + std::string(kPeerColumns) +
                                  " FROM peer_incoming_tokens k JOIN peers t ON t.id = k.peer_id"
                                  " WHERE k.token_sha256 = $1",
                              digest);
  if (!r) co_return std::unexpected(r.error());
  if (r->empty()) co_return std::optional<Peer>{};
  co_return peer_from_row(r->row(0));
}

asio::awaitable<Result<std::vector<Peer>>> PeerStore::find_by_routes(
    const Uuid& tenant_id, const Uuid& asset_id, const std::vector<std::string_view>& prefixes) {
  std::vector<std::string> items(prefixes.begin(), prefixes.end());
  auto r = co_await pg_.query(std::string("SELECT ") + std::string(kPeerColumns) +
                                  " FROM peers t WHERE t.tenant_id = $1 AND t.asset_id = $2"
                                  " AND t.routes && $3::text[] ORDER BY t.created_at, t.id",
                              tenant_id, asset_id, array_literal(items));
  if (!r) co_return std::unexpected(r.error());
  std::vector<Peer> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (const auto& row : *r) out.push_back(peer_from_row(row));
  co_return out;
}

asio::awaitable<Result<std::vector<Peer>>> PeerStore::find_by_tenant_routes(
    const Uuid& tenant_id, const std::vector<std::string_view>& prefixes) {
  std::vector<std::string> items(prefixes.begin(), prefixes.end());
  auto r = co_await pg_.query(std::string("SELECT ") + std::string(kPeerColumns) +
                                  " FROM peers t WHERE t.tenant_id = $1"
                                  " AND t.routes && $2::text[] ORDER BY t.created_at, t.id",
                              tenant_id, array_literal(items));
  if (!r) co_return std::unexpected(r.error());
  std::vector<Peer> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (const auto& row : *r) out.push_back(peer_from_row(row));
  co_return out;
}

}  // namespace rafiki::backend::peer
