#include "backend/peer/service.h"

#include <boost/asio/co_spawn.hpp>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

#include "backend/asset/service.h"
#include "backend/config.h"
#include "backend/core/backend.h"
#include "backend/liquidity/service.h"
#include <spdlog/spdlog.h>
#include "crypto/hash.h"

namespace rafiki::backend::peer {

namespace asio = boost::asio;

// ---------------------------------------------------------------------------------------------
// Validation helpers (model.h)

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace

bool is_valid_http_endpoint(std::string_view url) {
  if (url.empty() || url.size() > kEndpointBytesMax) return false;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  std::string_view rest;
  if (iequals_prefix(url, "http://")) {
    rest = url.substr(7);
  } else if (iequals_prefix(url, "https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : authority.substr(1, close - 1)) {
      bool ok = c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                (c >= 'A' && c <= 'F');
      if (!ok) return false;
    }
    std::string_view after = authority.substr(close + 1);
    if (after.empty()) return true;
    return after.front() == ':' && valid_port(after.substr(1));
  }
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    if (!valid_port(authority.substr(colon + 1))) return false;
    host = authority.substr(0, colon);
  }
  if (host.empty()) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!is_alnum(c) && c != '-' && c != '_') return false;
    ++label;
  }
  return label > 0;
}

bool is_valid_route(std::string_view route) {
  if (is_valid_ilp_address(route)) return true;
  // A bare allocation scheme ("g", "test") is a default route for everything under it.
  return !route.empty() && route.find('.') == std::string_view::npos &&
         is_valid_ilp_address(std::string(route) + ".x");
}

std::vector<std::string_view> address_prefixes(std::string_view address) {
  std::vector<std::string_view> out;
  if (address.empty()) return out;
  out.push_back(address);
  for (std::size_t end = address.rfind('.'); end != std::string_view::npos && end > 0;
       end = address.rfind('.', end - 1)) {
    out.push_back(address.substr(0, end));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The snapshot

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

// Picks, among peers (oldest first), the one with the longest route that is a prefix of the
// address (from address_prefixes), skipping `exclude`: when every peer of a prefix is excluded,
// the next shorter prefix is tried.
const Peer* longest_prefix(const std::vector<const Peer*>& peers,
                           const std::vector<std::string_view>& prefixes,
                           const std::optional<Uuid>& exclude = std::nullopt) {
  for (std::string_view prefix : prefixes) {
    for (const Peer* p : peers) {
      if (exclude && p->id == *exclude) continue;
      if (std::find(p->routes.begin(), p->routes.end(), prefix) != p->routes.end()) return p;
    }
  }
  return nullptr;
}

}  // namespace

struct Snapshot {
  std::vector<Peer> peers;  // oldest first; never resized once built
  std::unordered_map<crypto::Sha256Digest, const Peer*, DigestHash> by_token;
  // asset → route prefix → peers (oldest first). An asset has one tenant, so the tenant check
  // is done on the peer found.
  std::unordered_map<Uuid,
                     std::unordered_map<std::string, std::vector<const Peer*>, StringHash,
                                        std::equal_to<>>,
                     UuidHash>
      routes;
  // tenant → route prefix → peers of any asset (oldest first): the connector's next hops.
  std::unordered_map<Uuid,
                     std::unordered_map<std::string, std::vector<const Peer*>, StringHash,
                                        std::equal_to<>>,
                     UuidHash>
      tenant_routes;
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

}  // namespace

// ---------------------------------------------------------------------------------------------
// The service

PeerService::PeerService(Backend& backend)
    : backend_(backend), store_(backend.pg), cache_(std::make_shared<CacheState>()) {}

PeerService::~PeerService() { stop_listener(); }

Result<void> PeerService::validate(const Peer& peer, const std::vector<std::string>* tokens) {
  if (!is_valid_ilp_address(peer.static_ilp_address)) {
    return fail(std::string(kPeerErrorInvalidAddress), "invalid ILP address");
  }
  if (peer.routes.size() > kRoutesMax + 1) {
    return fail(std::string(kPeerErrorInvalidInput),
                "too many routes (at most " + std::to_string(kRoutesMax) + ")");
  }
  for (const auto& route : peer.routes) {
    if (!is_valid_route(route)) {
      return fail(std::string(kPeerErrorInvalidAddress), "invalid ILP address");
    }
  }
  if (!is_valid_http_endpoint(peer.outgoing_endpoint)) {
    return fail(std::string(kPeerErrorInvalidEndpoint), "invalid HTTP endpoint");
  }
  if (peer.outgoing_token.size() > kTokenBytesMax) {
    return fail(std::string(kPeerErrorInvalidInput),
                "outgoing token too long (at most " + std::to_string(kTokenBytesMax) + " bytes)");
  }
  if (peer.name && peer.name->size() > kNameBytesMax) {
    return fail(std::string(kPeerErrorInvalidInput),
                "name too long (at most " + std::to_string(kNameBytesMax) + " bytes)");
  }
  if (tokens) {
    if (tokens->size() > kIncomingTokensMax) {
      return fail(std::string(kPeerErrorInvalidInput),
                  "too many incoming tokens (at most " + std::to_string(kIncomingTokensMax) + ")");
    }
    for (const auto& t : *tokens) {
      if (t.empty() || t.size() > kTokenBytesMax) {
        return fail(std::string(kPeerErrorInvalidInput),
                    "incoming tokens must be 1 to " + std::to_string(kTokenBytesMax) + " bytes");
      }
    }
  }
  return {};
}

namespace {

std::vector<std::string> all_routes(const std::string& address,
                                    const std::vector<std::string>& routes) {
  std::vector<std::string> out;
  out.reserve(routes.size() + 1);
  out.push_back(address);
  for (const auto& r : routes) {
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

}  // namespace

asio::awaitable<Result<Peer>> PeerService::create(CreatePeer input) {
  Peer peer;
  peer.id = Uuid::v4();
  peer.asset_id = input.asset_id;
  peer.static_ilp_address = std::move(input.static_ilp_address);
  if (input.routes.size() > kRoutesMax) {
    co_return fail(std::string(kPeerErrorInvalidInput),
                   "too many routes (at most " + std::to_string(kRoutesMax) + ")");
  }
  peer.routes = all_routes(peer.static_ilp_address, input.routes);
  peer.outgoing_token = std::move(input.outgoing_token);
  peer.outgoing_endpoint = std::move(input.outgoing_endpoint);
  peer.max_packet_amount = input.max_packet_amount;
  peer.liquidity_threshold = input.liquidity_threshold;
  peer.name = std::move(input.name);
  peer.created_at = now_ms();
  if (auto ok = validate(peer, &input.incoming_tokens); !ok) co_return std::unexpected(ok.error());

  Result<std::optional<asset::Asset>> asset;
  if (input.tenant_scope) {
    asset = co_await backend_.assets->get_for_tenant(input.asset_id, *input.tenant_scope);
  } else {
    asset = co_await backend_.assets->get(input.asset_id);
  }
  if (!asset) co_return std::unexpected(asset.error());
  if (!*asset) co_return fail(std::string(kPeerErrorUnknownAsset), "unknown asset");
  peer.tenant_id = (*asset)->tenant_id;
  const std::uint32_t ledger_number = (*asset)->ledger;
  if (auto allowed = backend_.outbound.check_url(peer.tenant_id, peer.outgoing_endpoint);
      !allowed) {
    co_return fail(std::string(kPeerErrorInvalidEndpoint), allowed.error().message);
  }

  // The row, its tokens, the notification and the ledger account in one transaction: the
  // account is created last, so a refused peer (duplicate) leaves no account behind. Should the
  // commit fail after the account was made, the account stays empty (harmless).
  auto created = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<void>> {
        if (auto r = co_await PeerStore::insert(conn, peer, input.incoming_tokens); !r) co_return r;
        co_return co_await backend_.liquidity->create_account(peer.id, ledger_number,
                                                              liquidity::account_code::kPeer);
      });
  if (!created) co_return std::unexpected(created.error());
  invalidate();  // this process need not wait for its own notification

  if (input.initial_liquidity && *input.initial_liquidity > 0) {
    auto outcome = co_await backend_.liquidity->deposit(peer.id, **asset,
                                                        *input.initial_liquidity, Uuid::v4());
    auto deposited = liquidity::to_result(std::move(outcome));
    if (!deposited) {
      spdlog::warn("peer {}: initial liquidity deposit failed: {} ({})", peer.id.str(),
                deposited.error().message, deposited.error().code);
      // No money reached the peer (its balance is checked again), so the peer goes too.
      auto removed = co_await remove(peer.id, peer.tenant_id);
      if (!removed) {
        spdlog::warn("peer {}: could not remove after failed initial deposit: {}", peer.id.str(),
                  removed.error().message);
      }
      co_return fail(std::string(kPeerErrorInitialLiquidity), "invalid initial liquidity for peer");
    }
  }
  co_return peer;
}

asio::awaitable<Result<Peer>> PeerService::update(UpdatePeer input) {
  if (input.routes && input.routes->size() > kRoutesMax) {
    co_return fail(std::string(kPeerErrorInvalidInput),
                   "too many routes (at most " + std::to_string(kRoutesMax) + ")");
  }
  // Cheap checks first, so that bad input is refused before any lookup.
  if (input.static_ilp_address && !is_valid_ilp_address(*input.static_ilp_address)) {
    co_return fail(std::string(kPeerErrorInvalidAddress), "invalid ILP address");
  }
  if (input.outgoing_endpoint && !is_valid_http_endpoint(*input.outgoing_endpoint)) {
    co_return fail(std::string(kPeerErrorInvalidEndpoint), "invalid HTTP endpoint");
  }
  auto updated = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<Peer>> {
        auto found = co_await PeerStore::lock(conn, input.id, true);
        if (!found) co_return std::unexpected(found.error());
        if (!*found || (input.tenant_scope && (*found)->tenant_id != *input.tenant_scope)) {
          co_return fail(std::string(kPeerErrorUnknown), "unknown peer");
        }
        Peer peer = std::move(**found);
        const std::string old_address = peer.static_ilp_address;
        if (input.static_ilp_address) peer.static_ilp_address = *input.static_ilp_address;
        if (input.routes) {
          peer.routes = all_routes(peer.static_ilp_address, *input.routes);
        } else if (peer.static_ilp_address != old_address) {
          // The static address leads the routes: swap it in, keep the others.
          std::vector<std::string> rest(peer.routes.begin() + (peer.routes.empty() ? 0 : 1),
                                        peer.routes.end());
          peer.routes = all_routes(peer.static_ilp_address, rest);
        }
        if (input.outgoing_token) peer.outgoing_token = *input.outgoing_token;
        if (input.outgoing_endpoint) peer.outgoing_endpoint = *input.outgoing_endpoint;
        if (input.max_packet_amount) peer.max_packet_amount = *input.max_packet_amount;
        if (input.liquidity_threshold) peer.liquidity_threshold = *input.liquidity_threshold;
        if (input.name) peer.name = input.name;
        if (auto ok = validate(peer, input.incoming_tokens ? &*input.incoming_tokens : nullptr);
            !ok) {
          co_return std::unexpected(ok.error());
        }
        if (input.outgoing_endpoint) {
          auto allowed = backend_.outbound.check_url(peer.tenant_id, peer.outgoing_endpoint);
          if (!allowed) {
            co_return fail(std::string(kPeerErrorInvalidEndpoint), allowed.error().message);
          }
        }
        if (auto r = co_await PeerStore::update(conn, peer, input.incoming_tokens); !r) {
          co_return std::unexpected(r.error());
        }
        co_return peer;
      });
  if (updated) invalidate();
  co_return updated;
}

asio::awaitable<Result<void>> PeerService::remove(Uuid id, Uuid tenant_id) {
  auto removed = co_await backend_.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<void>> {
        auto found = co_await PeerStore::lock(conn, id, true);
        if (!found) co_return std::unexpected(found.error());
        if (!*found || (*found)->tenant_id != tenant_id) {
          co_return fail(std::string(kPeerErrorUnknown), "unknown peer");
        }
        // Deposits and withdrawals share-lock the row around their transfer, so the balance read
        // here is final until this transaction ends. The connector does not lock the row: it
        // creates a packet's pending transfer, then checks that the peer row still exists (a
        // plain read). Locking the ledger account here (every ledger batch locks its accounts
        // until it commits) orders that with this delete: a batch that committed first is in the
        // balance read below (refused: the peer has liquidity); one that commits after this
        // transaction finds, in the connector's check after it, the row gone (voided, F02).
        auto locked = co_await conn.query(
            "SELECT 1 FROM ledger_accounts WHERE id = $1 FOR UPDATE", id);
        if (!locked) co_return std::unexpected(locked.error());
        auto account = co_await backend_.ledger.balances(id);
        if (!account) co_return std::unexpected(account.error());
        if (*account && ((*account)->credits_posted != (*account)->debits_posted ||
                         (*account)->credits_pending != 0 || (*account)->debits_pending != 0)) {
          co_return fail(std::string(kPeerErrorHasLiquidity),
                         "Cannot delete! Peer has liquidity.");
        }
        co_return co_await PeerStore::remove(conn, id);
      });
  if (removed) invalidate();
  co_return removed;
}

asio::awaitable<Result<std::optional<Peer>>> PeerService::get(Uuid id) {
  co_return co_await store_.find(id);
}

namespace {

using MoveLiquidity = std::function<asio::awaitable<Result<void>>(const asset::Asset&)>;

// Runs a deposit or withdrawal on the peer's account while the peer row is share-locked, so a
// concurrent deletePeer either sees the money or the peer is gone first ("unknown peer").
asio::awaitable<Result<void>> with_locked_peer(Backend& backend, Uuid peer_id,
                                               std::optional<Uuid> tenant_scope,
                                               MoveLiquidity move) {
  co_return co_await backend.pg.transaction(
      [&](store::PgConn& conn) -> asio::awaitable<Result<void>> {
        auto found = co_await PeerStore::lock(conn, peer_id, false);
        if (!found) co_return std::unexpected(found.error());
        if (!*found || (tenant_scope && (*found)->tenant_id != *tenant_scope)) {
          co_return fail(std::string(kPeerErrorUnknown), "unknown peer");
        }
        auto asset = co_await backend.assets->get_including_deleted((*found)->asset_id);
        if (!asset) co_return std::unexpected(asset.error());
        if (!*asset) co_return fail(std::string(kPeerErrorUnknownAsset), "unknown asset");
        co_return co_await move(**asset);
      });
}

}  // namespace

asio::awaitable<Result<void>> PeerService::deposit(Uuid peer_id, std::optional<Uuid> tenant_scope,
                                                   money::u128 amount, Uuid transfer_id) {
  // Named, not a temporary inside the co_await (g++ 12, docs/architecture.md).
  MoveLiquidity move = [&](const asset::Asset& asset) -> asio::awaitable<Result<void>> {
    auto done = co_await backend_.liquidity->deposit(peer_id, asset, amount, transfer_id);
    co_return liquidity::to_result(std::move(done));
  };
  co_return co_await with_locked_peer(backend_, peer_id, tenant_scope, std::move(move));
}

asio::awaitable<Result<void>> PeerService::withdraw(Uuid peer_id,
                                                    std::optional<Uuid> tenant_scope,
                                                    money::u128 amount, Uuid transfer_id,
                                                    std::uint32_t timeout_seconds) {
  MoveLiquidity move = [&](const asset::Asset& asset) -> asio::awaitable<Result<void>> {
    auto done = co_await backend_.liquidity->withdraw(peer_id, asset, amount, transfer_id,
                                                      timeout_seconds);
    co_return liquidity::to_result(std::move(done));
  };
  co_return co_await with_locked_peer(backend_, peer_id, tenant_scope, std::move(move));
}

asio::awaitable<Result<std::optional<money::u128>>> PeerService::liquidity(Uuid peer_id) {
  co_return co_await backend_.liquidity->balance(peer_id);
}

// ---------------------------------------------------------------------------------------------
// Lookups and the cache

void CacheState::invalidate() {
  std::lock_guard lock(mutex);
  ++generation;
  snapshot.reset();
}

void PeerService::invalidate() { cache_->invalidate(); }

bool PeerService::cache_live() const {
  std::lock_guard lock(cache_->mutex);
  return cache_->listener && cache_->listener->connected();
}

asio::awaitable<Result<std::shared_ptr<const Snapshot>>> PeerService::snapshot() {
  CacheState& cache = *cache_;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(cache.mutex);
    if (!cache.listener || !cache.listener->connected()) {
      co_return std::shared_ptr<const Snapshot>{};
    }
    if (cache.snapshot) co_return cache.snapshot;
    if (cache.loading) co_return std::shared_ptr<const Snapshot>{};
    cache.loading = true;
    generation = cache.generation;
  }
  auto rows = co_await store_.load_all();
  if (!rows) {
    std::lock_guard lock(cache.mutex);
    cache.loading = false;
    co_return std::unexpected(rows.error());
  }
  auto snap = build_snapshot(std::move(*rows));
  snapshot_loads_.fetch_add(1);
  {
    std::lock_guard lock(cache.mutex);
    cache.loading = false;
    // Installed only when nothing was invalidated meanwhile (a change might have committed
    // after the read). This call uses it either way: it was read after the call began.
    if (generation == cache.generation && cache.listener && cache.listener->connected()) {
      cache.snapshot = snap;
    }
  }
  co_return snap;
}

asio::awaitable<Result<std::shared_ptr<const Peer>>> PeerService::by_incoming_token(
    std::string_view token) {
  auto snap = co_await snapshot();
  if (!snap) co_return std::unexpected(snap.error());
  if (*snap) {
    auto it = (*snap)->by_token.find(crypto::sha256(token));
    if (it == (*snap)->by_token.end()) co_return std::shared_ptr<const Peer>{};
    co_return std::shared_ptr<const Peer>(*snap, it->second);  // shares the snapshot
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
    // Longest prefix first, without allocating: cut at each '.' from the right.
    std::string_view prefix = address;
    while (!prefix.empty()) {
      auto hit = table->second.find(prefix);
      if (hit != table->second.end()) {
        const Peer* p = hit->second.front();
        if (p->tenant_id != tenant_id) co_return std::shared_ptr<const Peer>{};
        co_return std::shared_ptr<const Peer>(*snap, p);
      }
      auto dot = prefix.rfind('.');
      if (dot == std::string_view::npos) break;
      prefix = prefix.substr(0, dot);
    }
    co_return std::shared_ptr<const Peer>{};
  }
  auto prefixes = address_prefixes(address);
  if (prefixes.empty()) co_return std::shared_ptr<const Peer>{};
  auto peers = co_await store_.find_by_routes(tenant_id, asset_id, prefixes);
  if (!peers) co_return std::unexpected(peers.error());
  std::vector<const Peer*> candidates;
  for (const auto& p : *peers) candidates.push_back(&p);
  const Peer* best = longest_prefix(candidates, prefixes);
  if (!best) co_return std::shared_ptr<const Peer>{};
  co_return std::make_shared<const Peer>(*best);
}

asio::awaitable<Result<std::shared_ptr<const Peer>>> PeerService::next_hop(
    Uuid tenant_id, std::string_view address, std::optional<Uuid> exclude_peer) {
  auto snap = co_await snapshot();
  if (!snap) co_return std::unexpected(snap.error());
  if (*snap) {
    auto table = (*snap)->tenant_routes.find(tenant_id);
    if (table == (*snap)->tenant_routes.end()) co_return std::shared_ptr<const Peer>{};
    // Longest prefix first, without allocating: cut at each '.' from the right; a prefix whose
    // peers are all excluded gives way to the next shorter one.
    std::string_view prefix = address;
    while (!prefix.empty()) {
      auto hit = table->second.find(prefix);
      if (hit != table->second.end()) {
        for (const Peer* p : hit->second) {
          if (exclude_peer && p->id == *exclude_peer) continue;
          co_return std::shared_ptr<const Peer>(*snap, p);
        }
      }
      auto dot = prefix.rfind('.');
      if (dot == std::string_view::npos) break;
      prefix = prefix.substr(0, dot);
    }
    co_return std::shared_ptr<const Peer>{};
  }
  auto prefixes = address_prefixes(address);
  if (prefixes.empty()) co_return std::shared_ptr<const Peer>{};
  auto peers = co_await store_.find_by_tenant_routes(tenant_id, prefixes);
  if (!peers) co_return std::unexpected(peers.error());
  std::vector<const Peer*> candidates;
  candidates.reserve(peers->size());
  for (const auto& p : *peers) candidates.push_back(&p);
  const Peer* best = longest_prefix(candidates, prefixes, exclude_peer);
  if (!best) co_return std::shared_ptr<const Peer>{};
  co_return std::make_shared<const Peer>(*best);
}

Result<void> PeerService::start_listener() {
  std::shared_ptr<store::PgListener> listener;
  {
    std::lock_guard lock(cache_->mutex);
    if (cache_->listener) return {};
    auto created = store::PgListener::create(backend_.executor, backend_.pg.config(),
                                             {std::string(kPeerChannel)});
    if (!created) return std::unexpected(created.error());
    listener = *created;
    // The callbacks hold the cache state, not the service: they may outlive it briefly.
    listener->on_notification(
        [cache = cache_](const store::PgNotification&) { cache->invalidate(); });
    listener->on_resync([cache = cache_] { cache->invalidate(); });
    cache_->listener = listener;
  }
  asio::co_spawn(backend_.executor, listener->run(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("peer cache listener stopped: {}", ex.what());
    }
  });
  return {};
}

void PeerService::stop_listener() {
  std::shared_ptr<store::PgListener> listener;
  {
    std::lock_guard lock(cache_->mutex);
    listener = std::move(cache_->listener);
    cache_->listener.reset();
    ++cache_->generation;
    cache_->snapshot.reset();
  }
  if (listener) listener->stop();
}

}  // namespace rafiki::backend::peer
