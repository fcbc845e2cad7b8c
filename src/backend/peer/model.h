// ILP peers: the connectors this instance exchanges packets with over ILP-over-HTTP. A peer
// belongs to one asset (and that asset's tenant), is reached at its outgoing endpoint with its
// outgoing token, authenticates to us with any of its incoming tokens (write-only: stored as
// SHA-256 digests, never returned), and is the next hop for every ILP address under one of its
// routes (its static ILP address first). Its liquidity is a ledger account (id = peer id).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/core/admin.h"
#include "backend/core/domain_error.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::backend::peer {

// Limits on what a client may store on one peer.
constexpr std::size_t kRoutesMax = 100;          // routes besides the static address
constexpr std::size_t kIncomingTokensMax = 100;  // incoming tokens per peer
constexpr std::size_t kTokenBytesMax = 1024;     // an incoming or outgoing token
// The liquidity the auto-peering server deposits for a peer it creates (upstream: 2^53 - 1).
constexpr std::uint64_t kAutoPeeringInitialLiquidity = (std::uint64_t{1} << 53) - 1;
constexpr std::size_t kAutoPeeringBodyBytesMax = 16 * 1024;  // a peering request
constexpr std::size_t kEndpointBytesMax = 2048;              // the outgoing endpoint URL
constexpr std::size_t kNameBytesMax = 1024;                  // the display name

// How long the peer's auto-peering server may take to answer.
constexpr std::uint32_t kAutoPeeringTimeoutMs = 10'000;

struct Peer {
  Uuid id;
  Uuid tenant_id;
  Uuid asset_id;
  std::string static_ilp_address;
  std::vector<std::string> routes;  // static_ilp_address first
  std::string outgoing_token;
  std::string outgoing_endpoint;
  std::optional<money::u128> max_packet_amount;
  std::optional<money::u128> liquidity_threshold;
  std::optional<std::string> name;
  TimePoint created_at;
};

struct CreatePeer {
  Uuid asset_id;
  // When set, the asset must belong to this tenant (a non-operator caller); else any asset.
  std::optional<Uuid> tenant_scope;
  std::string static_ilp_address;
  std::vector<std::string> routes;  // besides the static address
  std::vector<std::string> incoming_tokens;
  std::string outgoing_token;
  std::string outgoing_endpoint;
  std::optional<money::u128> max_packet_amount;
  std::optional<money::u128> liquidity_threshold;
  std::optional<money::u128> initial_liquidity;
  std::optional<std::string> name;
};

// A partial update: absent members are left as they are.
struct UpdatePeer {
  Uuid id;
  std::optional<Uuid> tenant_scope;  // when set, the peer must belong to this tenant
  std::optional<std::string> static_ilp_address;
  std::optional<std::vector<std::string>> routes;           // replaces all routes
  std::optional<std::vector<std::string>> incoming_tokens;  // replaces all incoming tokens
  std::optional<std::string> outgoing_token;                // with outgoing_endpoint
  std::optional<std::string> outgoing_endpoint;
  // Absent: unchanged; null: cleared (no packet limit / no threshold); a value: set.
  Patch<money::u128> max_packet_amount;
  Patch<money::u128> liquidity_threshold;
  std::optional<std::string> name;
};

// createOrUpdatePeerByUrl: ask the auto-peering server at peer_url to peer with us, then create
// (or update) our side of the peering.
struct PeerByUrl {
  Uuid asset_id;
  std::optional<Uuid> tenant_scope;  // as CreatePeer
  std::string peer_url;
  std::optional<money::u128> max_packet_amount;
  std::optional<money::u128> liquidity_threshold;
  std::optional<money::u128> liquidity_to_deposit;
  std::optional<std::string> name;
};

enum class PeerError {
  kUnknown,          // no such peer, or another tenant's
  kUnknownAsset,     // no such asset, or another tenant's
  kDuplicate,        // a peer with that ILP address on that asset exists
  kDuplicateToken,   // an incoming token another peer has (or named twice)
  kInvalidAddress,   // the static address or a route is no ILP address
  kInvalidEndpoint,  // the outgoing endpoint is no http(s) URL
  // The owner's outbound policy (backend/core/outbound.h) refuses the endpoint's literal host;
  // the messages are OutboundPolicy::check_url's, one per refused address class.
  kForbiddenEndpointLoopback,
  kForbiddenEndpointPrivate,
  kForbiddenEndpointLinkLocal,
  kForbiddenEndpointReserved,
  kTooManyRoutes,          // more than kRoutesMax routes
  kTooManyIncomingTokens,  // more than kIncomingTokensMax
  kIncomingTokenSize,      // an incoming token empty or over kTokenBytesMax
  kOutgoingTokenTooLong,   // over kTokenBytesMax
  kNameTooLong,            // over kNameBytesMax
  kInitialLiquidity,       // the initial deposit failed (the peer was removed again)
  kHasLiquidity,           // deletePeer while the liquidity account holds or reserves money
  // createPeerLiquidityWithdrawal and Peer.liquidity answer upstream's LiquidityError.UnknownPeer
  // (capitalised) where the other operations answer kUnknown.
  kLiquidityUnknownPeer,
  // Auto-peering (createOrUpdatePeerByUrl), reference/connector.md §9.
  kAutoUnknownAsset,          // the asset to peer on
  kAutoPeerUrl,               // the peer URL is invalid or its server does not answer
  kAutoIlpConfiguration,      // the other side refused our ILP configuration
  kAutoUnsupportedAsset,      // the other side has no such asset
  kAutoPeeringRequest,        // the other side refused the request, or answered nonsense
  kAutoPeerIlpConfiguration,  // the other side's ILP address or endpoint is unusable
  kAutoLiquidity,             // depositing liquidityToDeposit failed
};

static_assert(kRoutesMax == 100 && kIncomingTokensMax == 100 && kTokenBytesMax == 1024 &&
                  kNameBytesMax == 1024,
              "the messages of describe(PeerError) name these limits");

// The peer domain's error table (docs/architecture.md, "The domain template").
constexpr ErrorDescription describe(PeerError error) {
  switch (error) {
    case PeerError::kUnknown:
      return {"peer.unknown", code::kNotFound, "unknown peer"};
    case PeerError::kUnknownAsset:
      return {"peer.unknown_asset", code::kNotFound, "unknown asset"};
    case PeerError::kDuplicate:
      return {"peer.duplicate", code::kDuplicate,
              "duplicate peer found for same ILP address and asset"};
    case PeerError::kDuplicateToken:
      return {"peer.duplicate_token", code::kDuplicate, "duplicate incoming token"};
    case PeerError::kInvalidAddress:
      return {"peer.invalid_address", code::kBadUserInput, "invalid ILP address"};
    case PeerError::kInvalidEndpoint:
      return {"peer.invalid_endpoint", code::kBadUserInput, "invalid HTTP endpoint"};
    case PeerError::kForbiddenEndpointLoopback:
      return {"peer.forbidden_endpoint", code::kBadUserInput,
              "URL not allowed: its host is a loopback address, which tenants' URLs may not "
              "point at"};
    case PeerError::kForbiddenEndpointPrivate:
      return {"peer.forbidden_endpoint", code::kBadUserInput,
              "URL not allowed: its host is a private address, which tenants' URLs may not "
              "point at"};
    case PeerError::kForbiddenEndpointLinkLocal:
      return {"peer.forbidden_endpoint", code::kBadUserInput,
              "URL not allowed: its host is a link-local or metadata address, which tenants' "
              "URLs may not point at"};
    case PeerError::kForbiddenEndpointReserved:
      return {"peer.forbidden_endpoint", code::kBadUserInput,
              "URL not allowed: its host is a reserved address, which tenants' URLs may not "
              "point at"};
    case PeerError::kTooManyRoutes:
      return {"peer.too_many_routes", code::kBadUserInput, "too many routes (at most 100)"};
    case PeerError::kTooManyIncomingTokens:
      return {"peer.too_many_incoming_tokens", code::kBadUserInput,
              "too many incoming tokens (at most 100)"};
    case PeerError::kIncomingTokenSize:
      return {"peer.incoming_token_size", code::kBadUserInput,
              "incoming tokens must be 1 to 1024 bytes"};
    case PeerError::kOutgoingTokenTooLong:
      return {"peer.outgoing_token_too_long", code::kBadUserInput,
              "outgoing token too long (at most 1024 bytes)"};
    case PeerError::kNameTooLong:
      return {"peer.name_too_long", code::kBadUserInput, "name too long (at most 1024 bytes)"};
    case PeerError::kInitialLiquidity:
      return {"peer.initial_liquidity", code::kBadUserInput, "invalid initial liquidity for peer"};
    case PeerError::kHasLiquidity:
      return {"peer.has_liquidity", code::kForbidden, "Cannot delete! Peer has liquidity."};
    case PeerError::kLiquidityUnknownPeer:
      return {"peer.liquidity_unknown_peer", code::kNotFound, "Unknown peer"};
    case PeerError::kAutoUnknownAsset:
      return {"peer.auto.unknown_asset", code::kNotFound, "Unknown asset"};
    case PeerError::kAutoPeerUrl:
      return {"peer.auto.peer_url", code::kNotFound,
              "Peer URL is invalid or peer does not support auto-peering"};
    case PeerError::kAutoIlpConfiguration:
      return {"peer.auto.ilp_configuration", code::kBadUserInput,
              "The ILP configuration is misconfigured"};
    case PeerError::kAutoUnsupportedAsset:
      return {"peer.auto.unsupported_asset", code::kBadUserInput, "Peer does not support asset"};
    case PeerError::kAutoPeeringRequest:
      return {"peer.auto.peering_request", code::kBadUserInput, "Invalid peering request"};
    case PeerError::kAutoPeerIlpConfiguration:
      return {"peer.auto.peer_ilp_configuration", code::kInternal,
              "Requested peer's ILP configuration is misconfigured"};
    case PeerError::kAutoLiquidity:
      return {"peer.auto.liquidity", code::kInternal, "Could not deposit liquidity to peer"};
  }
  std::unreachable();
}

// Whether the error refuses a peer's ILP address or endpoint (auto-peering answers these as the
// other side's misconfiguration).
constexpr bool is_ilp_configuration_error(PeerError error) {
  return error == PeerError::kInvalidAddress || error == PeerError::kInvalidEndpoint ||
         error == PeerError::kForbiddenEndpointLoopback ||
         error == PeerError::kForbiddenEndpointPrivate ||
         error == PeerError::kForbiddenEndpointLinkLocal ||
         error == PeerError::kForbiddenEndpointReserved;
}

// Whether `url` is an absolute http:// or https:// URL whose host is an IP literal or a name of
// non-empty labels, with an optional port (1..65535), and no whitespace or control characters.
bool is_valid_http_endpoint(std::string_view url);

// Whether `route` may be stored as a route: an ILP address, or a bare allocation scheme ("g").
bool is_valid_route(std::string_view route);

// The candidate route prefixes of an ILP address, longest first: the address itself, then with
// its last segment dropped, and so on down to the first segment ("g.a.b" → "g.a.b", "g.a", "g").
std::vector<std::string_view> address_prefixes(std::string_view address);

}  // namespace rafiki::backend::peer
