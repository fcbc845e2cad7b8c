// The peer domain's Admin API (reference/admin-api.md §8, §9.2, §9.3): peer, peers,
// peerByAddressAndAsset; the Peer fields asset, liquidity and tenant; createPeer, updatePeer,
// deletePeer, depositPeerLiquidity, createPeerLiquidityWithdrawal, createOrUpdatePeerByUrl.
// Reads the input, asks PeerService, writes the answer; nothing else.
#include <boost/json/array.hpp>

#include <expected>

#include "backend/asset/resolvers.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/core/pagination.h"
#include "backend/peer/service.h"
#include "backend/tenant/resolvers.h"

namespace rafiki::backend::peer {

namespace {

// Peer nodes carry assetId and tenantId for Peer.asset, Peer.liquidity and Peer.tenant.
// Incoming tokens are never part of a node.
json::object peer_json(const Peer& p) {
  json::object o;
  o["id"] = p.id.str();
  o["assetId"] = p.asset_id.str();
  o["tenantId"] = p.tenant_id.str();
  o["staticIlpAddress"] = p.static_ilp_address;
  json::array routes;
  for (const auto& r : p.routes) routes.emplace_back(r);
  o["routes"] = std::move(routes);
  json::object outgoing;
  outgoing["authToken"] = p.outgoing_token;
  outgoing["endpoint"] = p.outgoing_endpoint;
  json::object http;
  http["outgoing"] = std::move(outgoing);
  o["http"] = std::move(http);
  o["maxPacketAmount"] = p.max_packet_amount ? uint64_value(*p.max_packet_amount) : nullptr;
  o["liquidityThreshold"] = p.liquidity_threshold ? uint64_value(*p.liquidity_threshold) : nullptr;
  o["name"] = p.name ? json::value(*p.name) : json::value(nullptr);
  o["createdAt"] = iso_time(p.created_at);
  return o;
}

// A domain error as the GraphQL error the table gives it.
template <class E>
std::unexpected<graphql::FieldError> refuse(E error) {
  return field_error_of(Failure<E>(error));
}
std::unexpected<graphql::FieldError> refuse(liquidity::TransferError error) {
  return refuse(PeerLiquidityError(error));
}

// A non-operator acts on its own peers only.
std::optional<Uuid> tenant_scope(const AdminContext& context) {
  if (context.is_operator) return std::nullopt;
  return context.tenant_id;
}

json::value peer_payload(const Peer& peer) {
  json::object out;
  out["peer"] = peer_json(peer);
  return out;
}

json::value success() {
  json::object out;
  out["success"] = true;
  return out;
}

std::vector<std::string> string_list(const json::value* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}

const json::object* object_member(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

std::optional<std::string> opt_string(const json::object& o, std::string_view name) {
  if (auto s = string_member(o, name)) return std::string(*s);
  return std::nullopt;
}

// The `http` member of a createPeer / updatePeer input, as given: absent parts stay nullopt.
struct HttpInput {
  std::optional<std::vector<std::string>> incoming_tokens;
  std::optional<std::string> outgoing_token;
  std::optional<std::string> outgoing_endpoint;
};

HttpInput http_input(const json::object& input) {
  HttpInput out;
  const json::object* http = object_member(input, "http");
  if (!http) return out;
  if (const json::object* incoming = object_member(*http, "incoming")) {
    out.incoming_tokens = string_list(incoming->if_contains("authTokens"));
  }
  if (const json::object* outgoing = object_member(*http, "outgoing")) {
    out.outgoing_token = opt_string(*outgoing, "authToken");
    out.outgoing_endpoint = opt_string(*outgoing, "endpoint");
  }
  return out;
}

// The input of depositPeerLiquidity / createPeerLiquidityWithdrawal, checked in upstream's
// order: amount, transfer id, (timeout), peer id (`unknown_peer` when malformed).
struct LiquidityInput {
  money::u128 amount = 0;
  Uuid transfer_id;
  std::uint32_t timeout_seconds = 0;
  Uuid peer_id;
  std::optional<Uuid> scope;
};

std::expected<LiquidityInput, graphql::FieldError> liquidity_input(const ResolveInfo& info,
                                                                   bool with_timeout,
                                                                   PeerError unknown_peer) {
  const json::object& input = input_argument(info);
  LiquidityInput out;
  out.amount = uint64_member(input, "amount").value_or(0);
  if (out.amount == 0) return refuse(liquidity::TransferError::kAmountZero);
  auto transfer_id = uuid_member(input, "id");
  if (!transfer_id) return refuse(liquidity::TransferError::kInvalidId);
  out.transfer_id = *transfer_id;
  if (with_timeout) {
    auto timeout = uint64_member(input, "timeoutSeconds").value_or(0);
    if (timeout > liquidity::kWithdrawalTimeoutSecondsMax) {
      return refuse(liquidity::TransferError::kInvalidTimeout);
    }
    out.timeout_seconds = static_cast<std::uint32_t>(timeout);
  }
  auto peer_id = uuid_member(input, "peerId");
  if (!peer_id) return refuse(unknown_peer);
  out.peer_id = *peer_id;
  out.scope = tenant_scope(admin_context(info));
  return out;
}

// depositPeerLiquidity, or createPeerLiquidityWithdrawal when `withdrawal`.
graphql::Resolver liquidity_mutation(PeerService& peers, bool withdrawal) {
  return [&peers, withdrawal](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto in = liquidity_input(info, withdrawal,
                              withdrawal ? PeerError::kLiquidityUnknownPeer : PeerError::kUnknown);
    if (!in) co_return std::unexpected(in.error());
    Outcome<void, PeerLiquidityError> done;
    if (withdrawal) {
      done = co_await peers.withdraw(in->peer_id, in->scope, in->amount, in->transfer_id,
                                     in->timeout_seconds);
    } else {
      done = co_await peers.deposit(in->peer_id, in->scope, in->amount, in->transfer_id);
    }
    if (!done) co_return field_error_of(done.error());
    co_return success();
  };
}

}  // namespace

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  PeerService& peers = *backend.peers;
  asset::AssetService& assets = *backend.assets;

  // --- Queries ---------------------------------------------------------------------------

  set_resolver(schema, "Query.peer",
               [&peers](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 const AdminContext& context = admin_context(info);
                 auto id = Uuid::parse(info.string_argument("id").value_or(""));
                 if (!id) co_return refuse(PeerError::kUnknown);
                 auto peer = co_await peers.get(*id);
                 if (!peer) co_return field_error_of(peer.error());
                 if (!*peer || !may_read(context, (*peer)->tenant_id))
                   co_return refuse(PeerError::kUnknown);
                 co_return json::value(peer_json(**peer));
               });

  set_resolver(schema, "Query.peers",
               [&peers](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 auto args = page_args(info);
                 if (!args) co_return std::unexpected(args.error());
                 auto page = co_await peers.page(list_tenant_scope(info), *args);
                 if (!page) co_return field_error_of(page.error());
                 co_return json::value(connection_json(*page, peer_json));
               });

  set_resolver(schema, "Query.peerByAddressAndAsset",
               [&peers](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 const AdminContext& context = admin_context(info);
                 auto asset_id = Uuid::parse(info.string_argument("assetId").value_or(""));
                 std::string address(info.string_argument("staticIlpAddress").value_or(""));
                 if (!asset_id) co_return json::value(nullptr);
                 auto peer = co_await peers.route(context.tenant_id, *asset_id, address);
                 if (!peer) co_return internal_error(peer.error());
                 if (!*peer) co_return json::value(nullptr);
                 co_return json::value(peer_json(**peer));
               });

  // --- Peer fields -----------------------------------------------------------------------

  set_resolver(schema, "Peer.asset",
               [&assets](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 auto asset_id = uuid_member(info.parent.as_object(), "assetId");
                 if (!asset_id) co_return refuse(PeerError::kUnknownAsset);
                 auto asset = co_await assets.get_including_deleted(*asset_id);
                 if (!asset) co_return internal_error(asset.error());
                 if (!*asset) co_return refuse(PeerError::kUnknownAsset);
                 co_return json::value(asset::to_json(**asset));
               });

  set_resolver(schema, "Peer.liquidity",
               [&peers](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                 const auto& parent = info.parent.as_object();
                 auto id = uuid_member(parent, "id");
                 auto tenant = uuid_member(parent, "tenantId");
                 if (!id || !tenant || !may_read(admin_context(info), *tenant)) {
                   co_return refuse(PeerError::kLiquidityUnknownPeer);
                 }
                 auto balance = co_await peers.liquidity(*id);
                 if (!balance) co_return field_error_of(balance.error());
                 if (!*balance) co_return json::value(nullptr);
                 co_return uint64_value(**balance);
               });

  set_resolver(schema, "Peer.tenant", tenant::owner_tenant_resolver(backend));

  // --- Mutations -------------------------------------------------------------------------

  set_resolver(
      schema, "Mutation.createPeer",
      idempotent(backend, "createPeer",
                 [&peers](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const json::object& input = input_argument(info);
                   CreatePeer create;
                   auto asset_id = uuid_member(input, "assetId");
                   if (!asset_id) co_return refuse(PeerError::kUnknownAsset);
                   create.asset_id = *asset_id;
                   create.tenant_scope = tenant_scope(admin_context(info));
                   create.static_ilp_address =
                       std::string(string_member(input, "staticIlpAddress").value_or(""));
                   create.routes = string_list(input.if_contains("routes"));
                   HttpInput http = http_input(input);
                   create.incoming_tokens =
                       std::move(http.incoming_tokens).value_or(std::vector<std::string>());
                   create.outgoing_token = std::move(http.outgoing_token).value_or("");
                   create.outgoing_endpoint = std::move(http.outgoing_endpoint).value_or("");
                   create.max_packet_amount = uint64_member(input, "maxPacketAmount");
                   create.liquidity_threshold = uint64_member(input, "liquidityThreshold");
                   create.initial_liquidity = uint64_member(input, "initialLiquidity");
                   create.name = opt_string(input, "name");
                   auto peer = co_await peers.create(std::move(create));
                   if (!peer) co_return field_error_of(peer.error());
                   co_return peer_payload(*peer);
                 }));

  set_resolver(schema, "Mutation.updatePeer",
               idempotent(backend, "updatePeer",
                          [&peers](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                            const json::object& input = input_argument(info);
                            UpdatePeer update;
                            auto id = uuid_member(input, "id");
                            if (!id) co_return refuse(PeerError::kUnknown);
                            update.id = *id;
                            update.tenant_scope = tenant_scope(admin_context(info));
                            update.static_ilp_address = opt_string(input, "staticIlpAddress");
                            if (const json::value* routes = input.if_contains("routes");
                                routes && routes->is_array()) {
                              update.routes = string_list(routes);
                            }
                            HttpInput http = http_input(input);
                            update.incoming_tokens = std::move(http.incoming_tokens);
                            update.outgoing_token = std::move(http.outgoing_token);
                            update.outgoing_endpoint = std::move(http.outgoing_endpoint);
                            update.max_packet_amount = uint64_patch(input, "maxPacketAmount");
                            update.liquidity_threshold = uint64_patch(input, "liquidityThreshold");
                            update.name = opt_string(input, "name");
                            auto peer = co_await peers.update(std::move(update));
                            if (!peer) co_return field_error_of(peer.error());
                            co_return peer_payload(*peer);
                          }));

  set_resolver(schema, "Mutation.deletePeer",
               idempotent(backend, "deletePeer",
                          [&peers](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                            auto id = uuid_member(input_argument(info), "id");
                            if (!id) co_return refuse(PeerError::kUnknown);
                            // Signature tenant only, the operator included (as upstream).
                            auto removed =
                                co_await peers.remove(*id, admin_context(info).tenant_id);
                            if (!removed) co_return field_error_of(removed.error());
                            co_return success();
                          }));

  set_resolver(schema, "Mutation.depositPeerLiquidity",
               idempotent(backend, "depositPeerLiquidity", liquidity_mutation(peers, false)));
  set_resolver(
      schema, "Mutation.createPeerLiquidityWithdrawal",
      idempotent(backend, "createPeerLiquidityWithdrawal", liquidity_mutation(peers, true)));

  set_resolver(schema, "Mutation.createOrUpdatePeerByUrl",
               idempotent(backend, "createOrUpdatePeerByUrl",
                          [&peers](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                            const json::object& input = input_argument(info);
                            PeerByUrl by_url;
                            auto asset_id = uuid_member(input, "assetId");
                            if (!asset_id) co_return refuse(PeerError::kAutoUnknownAsset);
                            by_url.asset_id = *asset_id;
                            by_url.tenant_scope = tenant_scope(admin_context(info));
                            by_url.peer_url = opt_string(input, "peerUrl").value_or("");
                            by_url.max_packet_amount = uint64_member(input, "maxPacketAmount");
                            by_url.liquidity_threshold = uint64_member(input, "liquidityThreshold");
                            by_url.liquidity_to_deposit =
                                uint64_member(input, "liquidityToDeposit");
                            by_url.name = opt_string(input, "name");
                            auto peer = co_await peers.create_or_update_by_url(std::move(by_url));
                            if (!peer) co_return field_error_of(peer.error());
                            co_return peer_payload(*peer);
                          }));
}

}  // namespace rafiki::backend::peer
