// Entry points of the peer domain (backend/core/domains.h) and its Admin API resolvers:
// peer, peers, peerByAddressAndAsset; createPeer, updatePeer, deletePeer,
// depositPeerLiquidity, createPeerLiquidityWithdrawal, createOrUpdatePeerByUrl
// (reference/admin-api.md §8, §9.2, §9.3).
#include <boost/json/array.hpp>

#include "backend/asset/resolvers.h"
#include "backend/asset/service.h"
#include "backend/core/admin.h"
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/core/idempotency.h"
#include "backend/core/pagination.h"
#include "backend/liquidity/service.h"
#include "backend/peer/service.h"
#include "backend/tenant/service.h"
#include "service/runtime.h"

namespace rafiki::backend::peer {

namespace asio = boost::asio;
namespace json = boost::json;
using graphql::FieldResult;
using graphql::ResolveInfo;

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
  o["liquidityThreshold"] =
      p.liquidity_threshold ? uint64_value(*p.liquidity_threshold) : nullptr;
  o["name"] = p.name ? json::value(*p.name) : json::value(nullptr);
  o["createdAt"] = iso_time(p.created_at);
  return o;
}

// The one mapping of the domain's errors to GraphQL codes (admin-api.md §5).
std::unexpected<graphql::FieldError> peer_error(const Error& e) {
  if (e.code == kPeerErrorUnknown || e.code == kPeerErrorUnknownAsset) {
    return field_error(code::kNotFound, e.message);
  }
  if (e.code == kPeerErrorDuplicate || e.code == kPeerErrorDuplicateToken) {
    return field_error(code::kDuplicate, e.message);
  }
  if (e.code == kPeerErrorInvalidAddress || e.code == kPeerErrorInvalidEndpoint ||
      e.code == kPeerErrorInvalidInput || e.code == kPeerErrorInitialLiquidity) {
    return field_error(code::kBadUserInput, e.message);
  }
  if (e.code == kPeerErrorHasLiquidity) return field_error(code::kForbidden, e.message);
  if (e.code == kPeerErrorPeerUrl || e.code == kPeerErrorAutoUnknownAsset) {
    return field_error(code::kNotFound, e.message);
  }
  if (e.code == kPeerErrorIlpConfiguration || e.code == kPeerErrorUnsupportedAsset ||
      e.code == kPeerErrorPeeringRequest) {
    return field_error(code::kBadUserInput, e.message);
  }
  if (e.code == kPeerErrorPeerIlpConfiguration || e.code == kPeerErrorAutoLiquidity) {
    return field_error(code::kInternal, e.message);
  }
  if (auto t = liquidity::transfer_error(e)) {
    return field_error(liquidity::graphql_code(*t), std::string(liquidity::message(*t)));
  }
  return internal_error(e);
}

std::unexpected<graphql::FieldError> transfer_failure(liquidity::TransferError t) {
  return field_error(liquidity::graphql_code(t), std::string(liquidity::message(t)));
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

}  // namespace

void install(Backend& backend, const Mount& mount) {
  if (mount.auto_peering) {
    mount.auto_peering->post("/", [&backend](net::Request& request) -> asio::awaitable<net::Response> {
      PeerService::PeeringAnswer answer = co_await backend.peers->accept_peering(request.body);
      co_return net::Response::json(answer.status, std::move(answer.body));
    });
  }
  if (mount.runtime) {
    mount.runtime->on_startup("peer cache listener", [&backend]() -> asio::awaitable<Result<void>> {
      co_return backend.peers->start_listener();
    });
    mount.runtime->on_shutdown([&backend]() -> asio::awaitable<void> {
      backend.peers->stop_listener();
      co_return;
    });
  }
}

void register_resolvers(graphql::Schema& schema, Backend& backend) {
  // --- Queries ---------------------------------------------------------------------------

  set_resolver(schema, "Query.peer", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const AdminContext& context = admin_context(info);
    auto id = Uuid::parse(info.string_argument("id").value_or(""));
    if (!id) co_return field_error(code::kNotFound, "unknown peer");
    auto peer = co_await backend.peers->get(*id);
    if (!peer) co_return internal_error(peer.error());
    if (!*peer || !may_read(context, (*peer)->tenant_id)) {
      co_return field_error(code::kNotFound, "unknown peer");
    }
    co_return json::value(peer_json(**peer));
  });

  set_resolver(schema, "Query.peers", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    PageQuery query;
    query.table = "peers";
    query.columns = std::string(kPeerColumns);
    if (auto tenant = list_tenant_scope(info)) {
      query.where = "t.tenant_id = $1";
      query.params.emplace_back(*tenant);
    }
    co_return co_await resolve_connection(
        backend.pg, info, std::move(query),
        [](const store::PgRow& row) { return peer_json(peer_from_row(row)); });
  });

  set_resolver(schema, "Query.peerByAddressAndAsset",
      [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
        const AdminContext& context = admin_context(info);
        auto asset_id = Uuid::parse(info.string_argument("assetId").value_or(""));
        std::string address(info.string_argument("staticIlpAddress").value_or(""));
        if (!asset_id) co_return json::value(nullptr);
        auto peer = co_await backend.peers->route(context.tenant_id, *asset_id, address);
        if (!peer) co_return internal_error(peer.error());
        if (!*peer) co_return json::value(nullptr);
        co_return json::value(peer_json(**peer));
      });

  // --- Peer fields -----------------------------------------------------------------------

  set_resolver(schema, "Peer.asset", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    auto asset_id = uuid_member(info.parent.as_object(), "assetId");
    if (!asset_id) co_return field_error(code::kNotFound, "unknown asset");
    auto asset = co_await backend.assets->get_including_deleted(*asset_id);
    if (!asset) co_return internal_error(asset.error());
    if (!*asset) co_return field_error(code::kNotFound, "unknown asset");
    co_return json::value(asset::to_json(**asset));
  });

  set_resolver(schema, "Peer.liquidity", [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
    const auto& parent = info.parent.as_object();
    auto id = uuid_member(parent, "id");
    auto tenant = uuid_member(parent, "tenantId");
    if (!id || !tenant || !may_read(admin_context(info), *tenant)) {
      co_return field_error(code::kNotFound, "Unknown peer");
    }
    auto balance = co_await backend.peers->liquidity(*id);
    if (!balance) co_return internal_error(balance.error());
    if (!*balance) co_return json::value(nullptr);
    co_return uint64_value(**balance);
  });

  set_resolver(schema, "Peer.tenant", tenant::owner_tenant_resolver(backend));

  // --- Mutations -------------------------------------------------------------------------

  set_resolver(schema, "Mutation.createPeer",
      idempotent(backend, "createPeer",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const AdminContext& context = admin_context(info);
                   const json::object& input = input_argument(info);
                   CreatePeer create;
                   auto asset_id = uuid_member(input, "assetId");
                   if (!asset_id) co_return field_error(code::kNotFound, "unknown asset");
                   create.asset_id = *asset_id;
                   if (!context.is_operator) create.tenant_scope = context.tenant_id;
                   create.static_ilp_address =
                       std::string(string_member(input, "staticIlpAddress").value_or(""));
                   create.routes = string_list(input.if_contains("routes"));
                   HttpInput http = http_input(input);
                   create.incoming_tokens = std::move(http.incoming_tokens).value_or(
                       std::vector<std::string>());
                   create.outgoing_token = std::move(http.outgoing_token).value_or("");
                   create.outgoing_endpoint = std::move(http.outgoing_endpoint).value_or("");
                   create.max_packet_amount = uint64_member(input, "maxPacketAmount");
                   create.liquidity_threshold = uint64_member(input, "liquidityThreshold");
                   create.initial_liquidity = uint64_member(input, "initialLiquidity");
                   create.name = opt_string(input, "name");
                   auto peer = co_await backend.peers->create(std::move(create));
                   if (!peer) co_return peer_error(peer.error());
                   json::object out;
                   out["peer"] = peer_json(*peer);
                   co_return json::value(std::move(out));
                 }));

  set_resolver(schema, "Mutation.updatePeer",
      idempotent(backend, "updatePeer",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const AdminContext& context = admin_context(info);
                   const json::object& input = input_argument(info);
                   UpdatePeer update;
                   auto id = uuid_member(input, "id");
                   if (!id) co_return field_error(code::kNotFound, "unknown peer");
                   update.id = *id;
                   if (!context.is_operator) update.tenant_scope = context.tenant_id;
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
                   auto peer = co_await backend.peers->update(std::move(update));
                   if (!peer) co_return peer_error(peer.error());
                   json::object out;
                   out["peer"] = peer_json(*peer);
                   co_return json::value(std::move(out));
                 }));

  set_resolver(schema, "Mutation.deletePeer",
      idempotent(backend, "deletePeer",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const AdminContext& context = admin_context(info);
                   const json::object& input = input_argument(info);
                   auto id = uuid_member(input, "id");
                   if (!id) co_return field_error(code::kNotFound, "unknown peer");
                   // Signature tenant only, the operator included (as upstream).
                   auto removed = co_await backend.peers->remove(*id, context.tenant_id);
                   if (!removed) co_return peer_error(removed.error());
                   json::object out;
                   out["success"] = true;
                   co_return json::value(std::move(out));
                 }));

  set_resolver(schema, "Mutation.depositPeerLiquidity",
      idempotent(backend, "depositPeerLiquidity",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const AdminContext& context = admin_context(info);
                   const json::object& input = input_argument(info);
                   auto amount = uint64_member(input, "amount").value_or(0);
                   if (amount == 0) co_return transfer_failure(liquidity::TransferError::kAmountZero);
                   auto transfer_id = uuid_member(input, "id");
                   if (!transfer_id) co_return transfer_failure(liquidity::TransferError::kInvalidId);
                   auto peer_id = uuid_member(input, "peerId");
                   if (!peer_id) co_return field_error(code::kNotFound, "unknown peer");
                   std::optional<Uuid> scope;
                   if (!context.is_operator) scope = context.tenant_id;
                   auto done = co_await backend.peers->deposit(*peer_id, scope, amount, *transfer_id);
                   if (!done) co_return peer_error(done.error());
                   json::object out;
                   out["success"] = true;
                   co_return json::value(std::move(out));
                 }));

  set_resolver(schema, "Mutation.createPeerLiquidityWithdrawal",
      idempotent(backend, "createPeerLiquidityWithdrawal",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const AdminContext& context = admin_context(info);
                   const json::object& input = input_argument(info);
                   auto amount = uint64_member(input, "amount").value_or(0);
                   if (amount == 0) co_return transfer_failure(liquidity::TransferError::kAmountZero);
                   auto transfer_id = uuid_member(input, "id");
                   if (!transfer_id) co_return transfer_failure(liquidity::TransferError::kInvalidId);
                   auto timeout = uint64_member(input, "timeoutSeconds").value_or(0);
                   if (timeout > liquidity::kWithdrawalTimeoutSecondsMax) {
                     co_return transfer_failure(liquidity::TransferError::kInvalidTimeout);
                   }
                   auto peer_id = uuid_member(input, "peerId");
                   // This mutation's message is capitalised (LiquidityError.UnknownPeer).
                   if (!peer_id) co_return field_error(code::kNotFound, "Unknown peer");
                   std::optional<Uuid> scope;
                   if (!context.is_operator) scope = context.tenant_id;
                   auto done = co_await backend.peers->withdraw(
                       *peer_id, scope, amount, *transfer_id, static_cast<std::uint32_t>(timeout));
                   if (!done) {
                     if (done.error().code == kPeerErrorUnknown) {
                       co_return field_error(code::kNotFound, "Unknown peer");
                     }
                     co_return peer_error(done.error());
                   }
                   json::object out;
                   out["success"] = true;
                   co_return json::value(std::move(out));
                 }));

  set_resolver(schema, "Mutation.createOrUpdatePeerByUrl",
      idempotent(backend, "createOrUpdatePeerByUrl",
                 [&backend](const ResolveInfo& info) -> asio::awaitable<FieldResult> {
                   const AdminContext& context = admin_context(info);
                   const json::object& input = input_argument(info);
                   PeerByUrl by_url;
                   auto asset_id = uuid_member(input, "assetId");
                   if (!asset_id) co_return field_error(code::kNotFound, "Unknown asset");
                   by_url.asset_id = *asset_id;
                   if (!context.is_operator) by_url.tenant_scope = context.tenant_id;
                   by_url.peer_url = opt_string(input, "peerUrl").value_or("");
                   by_url.max_packet_amount = uint64_member(input, "maxPacketAmount");
                   by_url.liquidity_threshold = uint64_member(input, "liquidityThreshold");
                   by_url.liquidity_to_deposit = uint64_member(input, "liquidityToDeposit");
                   by_url.name = opt_string(input, "name");
                   auto peer = co_await backend.peers->create_or_update_by_url(std::move(by_url));
                   if (!peer) co_return peer_error(peer.error());
                   json::object out;
                   out["peer"] = peer_json(*peer);
                   co_return json::value(std::move(out));
                 }));
}

}  // namespace rafiki::backend::peer
