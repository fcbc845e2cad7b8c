// The connector's lookups (PeerService::by_incoming_token, route, next_hop): from the snapshot
// of every peer when the cache is live, else from the database.
#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include "backend/peer/service.h"
#include "crypto/hash.h"

namespace rafiki::backend::peer {

namespace asio = boost::asio;

namespace {

struct UuidHash {
  std::size_t operator()(const Uuid& id) const noexcept {
    std::size_t h;
    std::memcpy(&h, id.bytes.data(), sizeof h);
    return h;
  }
};

struct DigestHash {
  std::size_t operator()(const crypto::Sha256Digest& d) const noexcept {
    std::size_t h;
    std::memcpy(&h, d.data(), sizeof h);
    return h;
  }
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// Route prefix → peers (oldest first).
using RouteTable =
    std::unordered_map<std::string, std::vector<const Peer*>, StringHash, std::equal_to<>>;

std::optional<crypto::Sha256Digest> digest_from_hex(std::string_view hex) {
  if (hex.size() != crypto::kSha256Bytes * 2) return std::nullopt;
  crypto::Sha256Digest out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

struct Snapshot {
  std::vector<Peer> peers;  // oldest first; never resized once built
  std::unordered_map<crypto::Sha256Digest, const Peer*, DigestHash> by_token;
  // asset → route prefix → peers (oldest first). An asset has one tenant, so the tenant check
  // is done on the peer found.
  std::unordered_map<Uuid, RouteTable, UuidHash> routes;
  // tenant → route prefix → peers of any asset (oldest first): the connector's next hops.
  std::unordered_map<Uuid, RouteTable, UuidHash> tenant_routes;
};

namespace {

std::shared_ptr<const Snapshot> build_snapshot(std::vector<PeerWithTokens> rows) {
  auto snap = std::make_shared<Snapshot>();
  snap->peers.reserve(rows.size());
  for (auto& row : rows) snap->peers.push_back(std::move(row.peer));
  for (std::size_t i = 0; i < snap->peers.size(); ++i) {
    const Peer* p = &snap->peers[i];
    for (const auto& hex : rows[i].token_digests) {
      if (auto d = digest_from_hex(hex)) snap->by_token.emplace(*d, p);
    }
    auto& table = snap->routes[p->asset_id];
    auto& tenant_table = snap->tenant_routes[p->tenant_id];
    for (const auto& route : p->routes) {
      auto& list = table[route];
      if (std::find(list.begin(), list.end(), p) == list.end()) list.push_back(p);
      auto& tenant_list = tenant_table[route];
      if (std::find(tenant_list.begin(), tenant_list.end(), p) == tenant_list.end()) {
        tenant_list.push_back(p);
      }
    }
  }
  return snap;
}

// The first peer, never `exclude`, of the longest route prefix of `address` in `table` (whole
// segments): cut at each '.' from the right, without allocating; a prefix whose peers are all
// excluded gives way to the next shorter one.
const Peer* longest_match(const RouteTable& table, std::string_view address,
                          const std::optional<Uuid>& exclude) {
  std::string_view prefix = address;
  while (!prefix.empty()) {
    if (auto hit = table.find(prefix); hit != table.end()) {
      for (const Peer* p : hit->second) {
        if (!exclude || p->id != *exclude) return p;
      }
    }
    auto dot = prefix.rfind('.');
    if (dot == std::string_view::npos) break;
    prefix = prefix.substr(0, dot);
  }
  return nullptr;
}

// The same over peers read from the database (oldest first) for the prefixes of the address.
const Peer* longest_match(const std::vector<Peer>& peers,
                          const std::vector<std::string_view>& prefixes,
                          const std::optional<Uuid>& exclude) {
  for (std::string_view prefix : prefixes) {
    for (const Peer& p : peers) {
      if (exclude && p.id == *exclude) continue;
      if (std::find(p.routes.begin(), p.routes.end(), prefix) != p.routes.end()) return &p;
    }
  }
  return nullptr;
}

// A peer of the snapshot, sharing its ownership; null for none.
std::shared_ptr<const Peer> held(const std::shared_ptr<const Snapshot>& snapshot, const Peer* p) {
  if (!p) return nullptr;
  return std::shared_ptr<const Peer>(snapshot, p);
}

constexpr std::monostate kEveryPeer;  // the cache's one key

}  // namespace

asio::awaitable<Result<std::shared_ptr<const Snapshot>>> PeerService::snapshot() {
  store::NotifyCache<std::monostate, Snapshot>::Loader load =
      [this]() -> asio::awaitable<Result<std::shared_ptr<const Snapshot>>> {
    auto rows = co_await store_.load_all();
    if (!rows) co_return std::unexpected(rows.error());
    co_return build_snapshot(std::move(*rows));
  };
  co_return co_await cache_.get(kEveryPeer, std::move(load));
}

asio::awaitable<Result<std::shared_ptr<const Peer>>> PeerService::by_incoming_token(
    std::string_view token) {
  auto snap = co_await snapshot();
  if (!snap) co_return std::unexpected(snap.error());
  if (*snap) {
    auto it = (*snap)->by_token.find(crypto::sha256(token));
    if (it == (*snap)->by_token.end()) co_return std::shared_ptr<const Peer>{};
    co_return held(*snap, it->second);
  }
  auto found = co_await store_.find_by_token_digest(token_digest(token));
  if (!found) co_return std::unexpected(found.error());
  if (!*found) co_return std::shared_ptr<const Peer>{};
  co_return std::make_shared<const Peer>(std::move(**found));
}

asio::awaitable<Result<std::shared_ptr<const Peer>>> PeerService::route(Uuid tenant_id,
                                                                        Uuid asset_id,
                                                                        std::string_view address) {
  auto snap = co_await snapshot();
  if (!snap) co_return std::unexpected(snap.error());
  if (*snap) {
    auto table = (*snap)->routes.find(asset_id);
    if (table == (*snap)->routes.end()) co_return std::shared_ptr<const Peer>{};
    const Peer* p = longest_match(table->second, address, std::nullopt);
    // An asset has one tenant: a peer of another tenant means none of this tenant's.
    if (p && p->tenant_id != tenant_id) p = nullptr;
    co_return held(*snap, p);
  }
  co_return co_await route_from_database(tenant_id, asset_id, address, std::nullopt);
}

asio::awaitable<Result<std::shared_ptr<const Peer>>> PeerService::next_hop(
    Uuid tenant_id, std::string_view address, std::optional<Uuid> exclude_peer) {
  auto snap = co_await snapshot();
  if (!snap) co_return std::unexpected(snap.error());
  if (*snap) {
    auto table = (*snap)->tenant_routes.find(tenant_id);
    if (table == (*snap)->tenant_routes.end()) co_return std::shared_ptr<const Peer>{};
    co_return held(*snap, longest_match(table->second, address, exclude_peer));
  }
  co_return co_await route_from_database(tenant_id, std::nullopt, address, exclude_peer);
}

asio::awaitable<Result<std::shared_ptr<const Peer>>> PeerService::route_from_database(
    Uuid tenant_id, std::optional<Uuid> asset_id, std::string_view address,
    std::optional<Uuid> exclude) {
  auto prefixes = address_prefixes(address);
  if (prefixes.empty()) co_return std::shared_ptr<const Peer>{};
  auto peers = co_await store_.find_by_routes(tenant_id, asset_id, prefixes);
  if (!peers) co_return std::unexpected(peers.error());
  const Peer* best = longest_match(*peers, prefixes, exclude);
  if (!best) co_return std::shared_ptr<const Peer>{};
  co_return std::make_shared<const Peer>(*best);
}

asio::awaitable<Result<std::vector<Uuid>>> PeerService::existing(std::vector<Uuid> ids) {
  co_return co_await store_.existing(std::move(ids));
}

}  // namespace rafiki::backend::peer
