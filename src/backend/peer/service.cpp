#include "backend/peer/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "backend/config.h"

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
// The service

namespace {

// Runs `body(conn) -> awaitable<Outcome<T, E>>` in a transaction of the peer store: a domain
// error rolls the transaction back like any failure and comes out as itself.
template <class T, class E, class F>
asio::awaitable<Outcome<T, E>> in_transaction(PeerStore& store, F body) {
  std::optional<E> refused;
  auto done = co_await store.transaction([&](store::PgConn& conn) -> asio::awaitable<Result<T>> {
    refused.reset();
    Outcome<T, E> outcome = co_await body(conn);
    if (!outcome) {
      if (!outcome.error().is_domain()) co_return std::unexpected(outcome.error().infrastructure());
      refused = outcome.error().domain();
      co_return fail("peer.refused", "refused: rolled back");
    }
    if constexpr (std::is_void_v<T>) {
      co_return Result<void>{};
    } else {
      co_return std::move(*outcome);
    }
  });
  if (refused) co_return fail_with(*refused);
  if (!done) co_return pass_on<E>(done.error());
  if constexpr (std::is_void_v<T>) {
    co_return Outcome<void, E>{};
  } else {
    co_return std::move(*done);
  }
}

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

// The first rule `peer` (with `tokens`, when they are being set) breaks, in this order.
std::optional<PeerError> invalid(const Peer& peer, const std::vector<std::string>* tokens) {
  if (!is_valid_ilp_address(peer.static_ilp_address)) return PeerError::kInvalidAddress;
  if (peer.routes.size() > kRoutesMax + 1) return PeerError::kTooManyRoutes;
  for (const auto& route : peer.routes) {
    if (!is_valid_route(route)) return PeerError::kInvalidAddress;
  }
  if (!is_valid_http_endpoint(peer.outgoing_endpoint)) return PeerError::kInvalidEndpoint;
  if (peer.outgoing_token.size() > kTokenBytesMax) return PeerError::kOutgoingTokenTooLong;
  if (peer.name && peer.name->size() > kNameBytesMax) return PeerError::kNameTooLong;
  if (tokens) {
    if (tokens->size() > kIncomingTokensMax) return PeerError::kTooManyIncomingTokens;
    for (const auto& t : *tokens) {
      if (t.empty() || t.size() > kTokenBytesMax) return PeerError::kIncomingTokenSize;
    }
  }
  return std::nullopt;
}

}  // namespace

ErrorDescription describe(const PeerLiquidityError& error) {
  if (const auto* peer_error = std::get_if<PeerError>(&error)) return describe(*peer_error);
  const auto transfer = std::get<liquidity::TransferError>(error);
  return liquidity::describe(transfer);
}

PeerSettings PeerSettings::from_config(const Config& config) {
  PeerSettings settings;
  settings.operator_tenant_id = Uuid::parse(config.operator_tenant_id);
  settings.ilp_address = config.ilp_address;
  settings.ilp_connector_url = config.ilp_connector_url;
  settings.instance_name = config.instance_name;
  return settings;
}

PeerService::PeerService(PeerStore store, PeerSettings settings, asio::any_io_executor executor,
                         asset::AssetService& assets, liquidity::LiquidityService& liquidity,
                         tenant::TenantService& tenants, ledger::Ledger& ledger,
                         net::HttpClient& http, const OutboundPolicy& outbound)
    : store_(std::move(store)),
      settings_(std::move(settings)),
      executor_(std::move(executor)),
      assets_(assets),
      liquidity_(liquidity),
      tenants_(tenants),
      ledger_(ledger),
      http_(http),
      outbound_(outbound),
      cache_([] {
        store::NotifyCache<std::monostate, Snapshot>::Options options;
        options.channel = std::string(kPeerChannel);
        options.name = "peer cache";
        options.entries_max = 1;
        options.single_load = true;  // every notification drops the one snapshot
        return options;
      }()) {}

PeerService::~PeerService() {
  stop_listener();
}

Result<void> PeerService::start_listener() {
  return cache_.start(executor_, store_.pool().config());
}

void PeerService::stop_listener() {
  cache_.stop();
}

asio::awaitable<Result<std::optional<asset::Asset>>> PeerService::asset_in_scope(
    Uuid asset_id, std::optional<Uuid> tenant_scope) {
  if (tenant_scope) co_return co_await assets_.get_for_tenant(asset_id, *tenant_scope);
  co_return co_await assets_.get(asset_id);
}

std::optional<PeerError> PeerService::forbidden_endpoint(const Uuid& owner,
                                                         std::string_view url) const {
  if (outbound_.check_url(owner, url)) return std::nullopt;
  // check_url refuses only a literal host of a class the owner's policy forbids.
  switch (net::literal_host_class(url).value_or(net::AddressClass::kReserved)) {
    case net::AddressClass::kLoopback:
      return PeerError::kForbiddenEndpointLoopback;
    case net::AddressClass::kPrivate:
      return PeerError::kForbiddenEndpointPrivate;
    case net::AddressClass::kLinkLocal:
      return PeerError::kForbiddenEndpointLinkLocal;
    case net::AddressClass::kPublic:
    case net::AddressClass::kReserved:
      break;
  }
  return PeerError::kForbiddenEndpointReserved;
}

asio::awaitable<Outcome<Peer, PeerError>> PeerService::create(CreatePeer input) {
  Peer peer;
  peer.id = Uuid::v4();
  peer.asset_id = input.asset_id;
  peer.static_ilp_address = std::move(input.static_ilp_address);
  if (input.routes.size() > kRoutesMax) co_return fail_with(PeerError::kTooManyRoutes);
  peer.routes = all_routes(peer.static_ilp_address, input.routes);
  peer.outgoing_token = std::move(input.outgoing_token);
  peer.outgoing_endpoint = std::move(input.outgoing_endpoint);
  peer.max_packet_amount = input.max_packet_amount;
  peer.liquidity_threshold = input.liquidity_threshold;
  peer.name = std::move(input.name);
  peer.created_at = now_ms();
  if (auto refused = invalid(peer, &input.incoming_tokens)) co_return fail_with(*refused);

  auto asset = co_await asset_in_scope(input.asset_id, input.tenant_scope);
  if (!asset) co_return pass_on<PeerError>(asset.error());
  if (!*asset) co_return fail_with(PeerError::kUnknownAsset);
  peer.tenant_id = (*asset)->tenant_id;
  const std::uint32_t ledger_number = (*asset)->ledger;
  if (auto refused = forbidden_endpoint(peer.tenant_id, peer.outgoing_endpoint)) {
    co_return fail_with(*refused);
  }

  // The row, its tokens, the notification and the ledger account in one transaction: the
  // account is created last, so a refused peer (duplicate) leaves no account behind. Should the
  // commit fail after the account was made, the account stays empty (harmless).
  auto created = co_await in_transaction<void, PeerError>(
      store_, [&](store::PgConn& conn) -> asio::awaitable<Outcome<void, PeerError>> {
        if (auto r = co_await PeerStore::insert(conn, peer, input.incoming_tokens); !r) co_return r;
        auto account = co_await liquidity_.create_account(peer.id, ledger_number,
                                                          liquidity::account_code::kPeer);
        if (!account) co_return pass_on<PeerError>(account.error());
        co_return Outcome<void, PeerError>{};
      });
  if (!created) co_return std::unexpected(created.error());
  invalidate();  // this process need not wait for its own notification

  if (input.initial_liquidity && *input.initial_liquidity > 0) {
    auto outcome =
        co_await liquidity_.deposit(peer.id, **asset, *input.initial_liquidity, Uuid::v4());
    auto deposited = liquidity::to_result(std::move(outcome));
    if (!deposited) {
      spdlog::warn("peer {}: initial liquidity deposit failed: {} ({})", peer.id.str(),
                   deposited.error().message, deposited.error().code);
      // No money reached the peer (its balance is checked again), so the peer goes too.
      auto removed = co_await remove(peer.id, peer.tenant_id);
      if (!removed) {
        spdlog::warn("peer {}: could not remove after failed initial deposit: {}", peer.id.str(),
                     message_of(removed.error()));
      }
      co_return fail_with(PeerError::kInitialLiquidity);
    }
  }
  co_return peer;
}

asio::awaitable<Outcome<Peer, PeerError>> PeerService::update(UpdatePeer input) {
  if (input.routes && input.routes->size() > kRoutesMax) {
    co_return fail_with(PeerError::kTooManyRoutes);
  }
  // Cheap checks first, so that bad input is refused before any lookup.
  if (input.static_ilp_address && !is_valid_ilp_address(*input.static_ilp_address)) {
    co_return fail_with(PeerError::kInvalidAddress);
  }
  if (input.outgoing_endpoint && !is_valid_http_endpoint(*input.outgoing_endpoint)) {
    co_return fail_with(PeerError::kInvalidEndpoint);
  }
  auto updated = co_await in_transaction<Peer, PeerError>(
      store_, [&](store::PgConn& conn) -> asio::awaitable<Outcome<Peer, PeerError>> {
        auto found = co_await PeerStore::lock(conn, input.id, true);
        if (!found) co_return pass_on<PeerError>(found.error());
        if (!*found || (input.tenant_scope && (*found)->tenant_id != *input.tenant_scope)) {
          co_return fail_with(PeerError::kUnknown);
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
        if (auto refused =
                invalid(peer, input.incoming_tokens ? &*input.incoming_tokens : nullptr)) {
          co_return fail_with(*refused);
        }
        if (input.outgoing_endpoint) {
          if (auto refused = forbidden_endpoint(peer.tenant_id, peer.outgoing_endpoint)) {
            co_return fail_with(*refused);
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

asio::awaitable<Outcome<void, PeerError>> PeerService::remove(Uuid id, Uuid tenant_id) {
  auto removed = co_await in_transaction<void, PeerError>(
      store_, [&](store::PgConn& conn) -> asio::awaitable<Outcome<void, PeerError>> {
        auto found = co_await PeerStore::lock(conn, id, true);
        if (!found) co_return pass_on<PeerError>(found.error());
        if (!*found || (*found)->tenant_id != tenant_id) co_return fail_with(PeerError::kUnknown);
        // Deposits and withdrawals share-lock the row around their transfer, so the balance read
        // here is final until this transaction ends. The connector does not lock the row: it
        // creates a packet's pending transfer, then checks that the peer row still exists (a
        // plain read). Locking the ledger account here (every ledger batch locks its accounts
        // until it commits) orders that with this delete: a batch that committed first is in the
        // balance read below (refused: the peer has liquidity); one that commits after this
        // transaction finds, in the connector's check after it, the row gone (voided, F02).
        if (auto locked = co_await PeerStore::lock_liquidity_account(conn, id); !locked) {
          co_return pass_on<PeerError>(locked.error());
        }
        auto account = co_await ledger_.balances(id);
        if (!account) co_return pass_on<PeerError>(account.error());
        if (*account && ((*account)->credits_posted != (*account)->debits_posted ||
                         (*account)->credits_pending != 0 || (*account)->debits_pending != 0)) {
          co_return fail_with(PeerError::kHasLiquidity);
        }
        if (auto gone = co_await PeerStore::remove(conn, id); !gone) {
          co_return pass_on<PeerError>(gone.error());
        }
        co_return Outcome<void, PeerError>{};
      });
  if (removed) invalidate();
  co_return removed;
}

asio::awaitable<Outcome<std::optional<Peer>, PeerError>> PeerService::get(Uuid id) {
  auto found = co_await store_.find(id);
  if (!found) co_return pass_on<PeerError>(found.error());
  co_return std::move(*found);
}

asio::awaitable<Outcome<Paged<Peer>, PeerError>> PeerService::page(std::optional<Uuid> tenant,
                                                                   const PageArgs& args) {
  auto page = co_await store_.page(tenant, args);
  if (!page) co_return pass_on<PeerError>(page.error());
  co_return std::move(*page);
}

asio::awaitable<Outcome<void, PeerLiquidityError>> PeerService::with_locked_peer(
    Uuid peer_id, std::optional<Uuid> tenant_scope, PeerError unknown, MoveLiquidity move) {
  using Moved = Outcome<void, PeerLiquidityError>;
  co_return co_await in_transaction<void, PeerLiquidityError>(
      store_, [&](store::PgConn& conn) -> asio::awaitable<Moved> {
        auto found = co_await PeerStore::lock(conn, peer_id, false);
        if (!found) co_return pass_on<PeerLiquidityError>(found.error());
        if (!*found || (tenant_scope && (*found)->tenant_id != *tenant_scope)) {
          co_return fail_with(PeerLiquidityError(unknown));
        }
        auto asset = co_await assets_.get_including_deleted((*found)->asset_id);
        if (!asset) co_return pass_on<PeerLiquidityError>(asset.error());
        if (!*asset) co_return fail_with(PeerLiquidityError(PeerError::kUnknownAsset));
        auto moved = co_await move(**asset);
        if (!moved) {
          if (auto transfer = liquidity::transfer_error(moved.error())) {
            co_return fail_with(PeerLiquidityError(*transfer));
          }
          co_return pass_on<PeerLiquidityError>(moved.error());
        }
        co_return Moved{};
      });
}

asio::awaitable<Outcome<void, PeerLiquidityError>> PeerService::deposit(
    Uuid peer_id, std::optional<Uuid> tenant_scope, money::u128 amount, Uuid transfer_id) {
  // Named, not a temporary inside the co_await (g++ 12, docs/architecture.md).
  MoveLiquidity move = [&](const asset::Asset& asset) -> asio::awaitable<Result<void>> {
    auto done = co_await liquidity_.deposit(peer_id, asset, amount, transfer_id);
    co_return liquidity::to_result(std::move(done));
  };
  co_return co_await with_locked_peer(peer_id, tenant_scope, PeerError::kUnknown, std::move(move));
}

asio::awaitable<Outcome<void, PeerLiquidityError>> PeerService::withdraw(
    Uuid peer_id, std::optional<Uuid> tenant_scope, money::u128 amount, Uuid transfer_id,
    std::uint32_t timeout_seconds) {
  MoveLiquidity move = [&](const asset::Asset& asset) -> asio::awaitable<Result<void>> {
    auto done = co_await liquidity_.withdraw(peer_id, asset, amount, transfer_id, timeout_seconds);
    co_return liquidity::to_result(std::move(done));
  };
  co_return co_await with_locked_peer(peer_id, tenant_scope, PeerError::kLiquidityUnknownPeer,
                                      std::move(move));
}

asio::awaitable<Outcome<std::optional<money::u128>, PeerError>> PeerService::liquidity(
    Uuid peer_id) {
  auto balance = co_await liquidity_.balance(peer_id);
  if (!balance) co_return pass_on<PeerError>(balance.error());
  co_return *balance;
}

}  // namespace rafiki::backend::peer
