// Auto-peering (reference/connector.md §9). The initiating side: createOrUpdatePeerByUrl sends
// our ILP address, connector URL, asset and a fresh token to the other instance's auto-peering
// server, and peers with whatever it answers. The accepting side: that server.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include "backend/config.h"
#include "backend/peer/service.h"

namespace rafiki::backend::peer {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kIlpAddressSetting = "ILP_ADDRESS";

std::string member_string(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The error a non-200 answer stands for: {"error": {"type": ...}}.
PeerError remote_failure(const net::ClientResponse& response) {
  boost::system::error_code ec;
  json::value body = json::parse(response.body, ec);
  std::string type;
  if (!ec && body.is_object()) {
    if (const json::value* error = body.as_object().if_contains("error");
        error && error->is_object()) {
      type = member_string(error->as_object(), "type");
    }
  }
  if (type == "InvalidPeerIlpConfiguration") return PeerError::kAutoIlpConfiguration;
  if (type == "UnknownAsset") return PeerError::kAutoUnsupportedAsset;
  return PeerError::kAutoPeeringRequest;
}

// The accepting side's error answer: {"error": {"code", "message", "type"}}.
PeerService::PeeringAnswer peering_error(int status, std::string_view message,
                                         std::string_view type) {
  json::object error{{"code", status}, {"message", message}, {"type", type}};
  return {status, json::serialize(json::object{{"error", std::move(error)}})};
}

// Whether a deposit failed because a transfer with its id exists.
bool transfer_exists(const Failure<PeerLiquidityError>& failure) {
  return failure.is_domain() &&
         failure.domain() == PeerLiquidityError(liquidity::TransferError::kTransferExists);
}

}  // namespace

asio::awaitable<Outcome<Peer, PeerError>> PeerService::create_or_renew(CreatePeer create,
                                                                       bool& renewed) {
  UpdatePeer update;  // what a renewal changes, taken before `create` is spent
  update.tenant_scope = create.tenant_scope;
  update.incoming_tokens = create.incoming_tokens;
  update.outgoing_token = create.outgoing_token;
  update.outgoing_endpoint = create.outgoing_endpoint;
  // A renewal changes what the request names and leaves the rest.
  if (create.max_packet_amount) update.max_packet_amount = create.max_packet_amount;
  if (create.liquidity_threshold) update.liquidity_threshold = create.liquidity_threshold;
  update.name = create.name;
  const Uuid asset_id = create.asset_id;
  const std::string address = create.static_ilp_address;
  auto peer = co_await this->create(std::move(create));
  if (peer || !peer.error().is_domain() || peer.error().domain() != PeerError::kDuplicate) {
    co_return peer;
  }
  auto existing = co_await store_.find_by_address(asset_id, address);
  if (!existing) co_return pass_on<PeerError>(existing.error());
  if (!*existing) co_return peer;  // deleted meanwhile: the duplicate error stands
  update.id = (*existing)->id;
  renewed = true;
  co_return co_await this->update(std::move(update));
}

asio::awaitable<PeerService::PeeringAnswer> PeerService::accept_peering(std::string body) {
  const PeeringAnswer invalid_request =
      peering_error(400, "Invalid peering request", "InvalidPeeringRequest");
  const PeeringAnswer invalid_configuration = peering_error(
      400, "Requested peer's ILP configuration is misconfigured", "InvalidPeerIlpConfiguration");
  const PeeringAnswer unknown_asset = peering_error(404, "Unknown asset", "UnknownAsset");
  if (body.size() > kAutoPeeringBodyBytesMax) co_return invalid_request;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) co_return invalid_request;
  const json::object& o = parsed.as_object();
  const json::value* asset_value = o.if_contains("asset");
  const json::object* asset_object = asset_value ? asset_value->if_object() : nullptr;
  const json::value* scale_value = asset_object ? asset_object->if_contains("scale") : nullptr;
  const std::string address = member_string(o, "staticIlpAddress");
  const std::string endpoint = member_string(o, "ilpConnectorUrl");
  const std::string token = member_string(o, "httpToken");
  const std::string code = asset_object ? member_string(*asset_object, "code") : std::string();
  // As upstream, the asset is looked for first: no such asset (whatever else is wrong) is 404.
  boost::system::error_code number_ec;
  std::int64_t scale = -1;
  if (scale_value && scale_value->is_number()) {
    scale = scale_value->to_number<std::int64_t>(number_ec);
    if (number_ec) scale = -1;
  }
  if (code.empty() || scale < 0 || scale > 255) co_return unknown_asset;
  const std::optional<Uuid>& operator_id = settings_.operator_tenant_id;
  if (!operator_id) co_return peering_error(500, "no operator tenant", "InternalError");
  auto asset = co_await assets_.get_by_code_and_scale(*operator_id, code, static_cast<int>(scale));
  if (!asset) co_return peering_error(500, "Internal error", "InternalError");
  if (!*asset || (*asset)->deleted_at) co_return unknown_asset;
  const asset::Asset& a = **asset;

  if (!is_valid_ilp_address(address) || !is_valid_http_endpoint(endpoint)) {
    co_return invalid_configuration;
  }
  // A stranger's endpoint is no more trusted than a tenant's: a literal link-local, metadata,
  // reserved (or, without TENANT_OUTBOUND_ALLOW_PRIVATE, loopback or private) address is refused.
  // A host name is not checked here (the peer is the operator's, so its connections are not
  // restricted): auto-peering stays for testnets.
  if (auto allowed = outbound_.check_tenants_url(endpoint); !allowed) {
    co_return invalid_configuration;
  }
  if (token.empty() || token.size() > kTokenBytesMax) co_return invalid_request;
  std::optional<money::u128> max_packet_amount;
  if (const json::value* max = o.if_contains("maxPacketAmount"); max && !max->is_null()) {
    // A JavaScript sender sends Number(UInt64): values near 2^64 arrive as doubles beyond it.
    std::uint64_t amount = 0;
    if (max->is_uint64()) {
      amount = max->get_uint64();
    } else if (max->is_int64() && max->get_int64() >= 0) {
      amount = static_cast<std::uint64_t>(max->get_int64());
    } else if (max->is_double() && max->get_double() >= 0) {
      amount = max->get_double() >= 18446744073709551615.0
                   ? UINT64_MAX
                   : static_cast<std::uint64_t>(max->get_double());
    } else {
      co_return invalid_request;
    }
    if (amount > 0) max_packet_amount = amount;  // 0 means none, as upstream's "if truthy"
  }
  std::optional<std::string> name;
  if (std::string n = member_string(o, "name"); !n.empty()) name = std::move(n);
  auto own_address = co_await tenants_.setting(*operator_id, kIlpAddressSetting);
  if (!own_address) co_return peering_error(500, "Internal error", "InternalError");

  const std::string outgoing_token = Uuid::v4().str();
  CreatePeer create;
  create.asset_id = a.id;
  create.tenant_scope = *operator_id;
  create.static_ilp_address = address;
  create.incoming_tokens = {token};
  create.outgoing_token = outgoing_token;
  create.outgoing_endpoint = endpoint;
  create.max_packet_amount = max_packet_amount;
  create.initial_liquidity = kAutoPeeringInitialLiquidity;
  create.name = name;
  bool renewed = false;
  auto peer = co_await create_or_renew(std::move(create), renewed);
  if (peer && renewed) {
    // A peer whose first deposit never happened (the process died between creating the peer
    // and depositing, say) gets it now; the peer's id as the transfer id makes it happen once
    // at most.
    auto account = co_await ledger_.balances(peer->id);
    if (!account) co_return peering_error(500, "Internal error", "InternalError");
    if (!*account || (*account)->credits_posted == 0) {
      auto deposited =
          co_await deposit(peer->id, std::nullopt, kAutoPeeringInitialLiquidity, peer->id);
      // The transfer exists: a concurrent renewal made that one deposit.
      if (!deposited && !transfer_exists(deposited.error())) {
        spdlog::warn("auto-peering: deposit to peer {} failed: {}", peer->id.str(),
                     message_of(deposited.error()));
        co_return peering_error(500, "Internal error", "InternalError");
      }
    }
  }
  if (!peer) {
    if (peer.error().is_domain()) {
      if (is_ilp_configuration_error(peer.error().domain())) co_return invalid_configuration;
      co_return invalid_request;
    }
    spdlog::warn("auto-peering: accepting {} failed: {}", address, message_of(peer.error()));
    co_return peering_error(500, "Internal error", "InternalError");
  }
  spdlog::info("auto-peering: peered with {} ({}) on {} {}", address, endpoint, a.code, a.scale);
  json::object answer;
  answer["ilpConnectorUrl"] = settings_.ilp_connector_url;
  answer["staticIlpAddress"] = own_address->value_or(settings_.ilp_address);
  answer["httpToken"] = outgoing_token;
  answer["name"] = settings_.instance_name;
  answer["tenantId"] = operator_id->str();
  co_return PeeringAnswer{200, json::serialize(answer)};
}

asio::awaitable<Outcome<Peer, PeerError>> PeerService::create_or_update_by_url(PeerByUrl input) {
  auto asset = co_await asset_in_scope(input.asset_id, input.tenant_scope);
  if (!asset) co_return pass_on<PeerError>(asset.error());
  if (!*asset) co_return fail_with(PeerError::kAutoUnknownAsset);
  const asset::Asset& a = **asset;
  if (!is_valid_http_endpoint(input.peer_url)) co_return fail_with(PeerError::kAutoPeerUrl);
  if (auto refused = forbidden_endpoint(a.tenant_id, input.peer_url)) {
    co_return fail_with(*refused);
  }

  auto own_address = co_await tenants_.setting(a.tenant_id, kIlpAddressSetting);
  if (!own_address) co_return pass_on<PeerError>(own_address.error());
  const std::string outgoing_token = Uuid::v4().str();
  json::object request_body;
  request_body["staticIlpAddress"] = own_address->value_or(settings_.ilp_address);
  request_body["ilpConnectorUrl"] = settings_.ilp_connector_url;
  request_body["asset"] = json::object{{"code", a.code}, {"scale", a.scale}};
  request_body["httpToken"] = outgoing_token;
  if (input.max_packet_amount && *input.max_packet_amount <= UINT64_MAX) {
    request_body["maxPacketAmount"] = static_cast<std::uint64_t>(*input.max_packet_amount);
  } else {
    request_body["maxPacketAmount"] = nullptr;
  }
  request_body["name"] = settings_.instance_name;

  net::ClientRequest request;
  request.method = net::Method::kPost;
  request.url = input.peer_url;
  request.headers.set("Content-Type", "application/json");
  request.headers.set("Accept", "application/json");
  request.body = json::serialize(request_body);
  request.timeout_ms = kAutoPeeringTimeoutMs;
  request.address_policy = outbound_.for_owner(a.tenant_id);  // the asset's tenant's URL
  auto response = co_await http_.request(std::move(request));
  if (!response) {
    spdlog::info("auto-peering with {} failed: {}", input.peer_url, response.error().message);
    co_return fail_with(PeerError::kAutoPeerUrl);
  }
  if (response->status != 200) co_return fail_with(remote_failure(*response));

  boost::system::error_code ec;
  json::value answer = json::parse(response->body, ec);
  if (ec || !answer.is_object()) co_return fail_with(PeerError::kAutoPeeringRequest);
  const json::object& o = answer.as_object();
  std::string address = member_string(o, "staticIlpAddress");
  std::string endpoint = member_string(o, "ilpConnectorUrl");
  std::string incoming_token = member_string(o, "httpToken");
  std::string remote_name = member_string(o, "name");
  if (!is_valid_ilp_address(address) || !is_valid_http_endpoint(endpoint)) {
    co_return fail_with(PeerError::kAutoPeerIlpConfiguration);
  }
  if (incoming_token.empty() || incoming_token.size() > kTokenBytesMax) {
    co_return fail_with(PeerError::kAutoPeeringRequest);
  }
  std::optional<std::string> name = input.name;
  if (!name && !remote_name.empty()) name = remote_name;

  CreatePeer create;
  create.asset_id = a.id;
  create.tenant_scope = a.tenant_id;
  create.static_ilp_address = address;
  create.incoming_tokens = {incoming_token};
  create.outgoing_token = outgoing_token;
  create.outgoing_endpoint = endpoint;
  create.max_packet_amount = input.max_packet_amount;
  create.liquidity_threshold = input.liquidity_threshold;
  create.name = name;
  bool renewed = false;
  auto peer = co_await create_or_renew(std::move(create), renewed);
  if (!peer) {
    if (!peer.error().is_domain()) co_return peer;
    if (is_ilp_configuration_error(peer.error().domain())) {
      co_return fail_with(PeerError::kAutoPeerIlpConfiguration);
    }
    co_return fail_with(PeerError::kAutoPeeringRequest);
  }

  if (input.liquidity_to_deposit && *input.liquidity_to_deposit > 0) {
    auto deposited =
        co_await deposit(peer->id, std::nullopt, *input.liquidity_to_deposit, Uuid::v4());
    if (!deposited) {
      spdlog::warn("auto-peering: deposit to peer {} failed: {}", peer->id.str(),
                   message_of(deposited.error()));
      co_return fail_with(PeerError::kAutoLiquidity);
    }
  }
  co_return peer;
}

}  // namespace rafiki::backend::peer
