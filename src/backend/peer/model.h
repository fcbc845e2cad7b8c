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
#include <vector>

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
constexpr std::size_t kEndpointBytesMax = 2048;  // the outgoing endpoint URL
constexpr std::size_t kNameBytesMax = 1024;      // the display name

// Error codes of the peer domain (Error::code); the Admin API maps them once (install.cpp).
inline constexpr std::string_view kPeerErrorUnknown = "peer.unknown";                // NOT_FOUND
inline constexpr std::string_view kPeerErrorUnknownAsset = "peer.unknown_asset";     // NOT_FOUND
inline constexpr std::string_view kPeerErrorDuplicate = "peer.duplicate";            // DUPLICATE
inline constexpr std::string_view kPeerErrorDuplicateToken = "peer.duplicate_token";  // DUPLICATE
inline constexpr std::string_view kPeerErrorInvalidAddress = "peer.invalid_address";  // BAD_USER_INPUT
inline constexpr std::string_view kPeerErrorInvalidEndpoint = "peer.invalid_endpoint";  // BAD_USER_INPUT
inline constexpr std::string_view kPeerErrorInvalidInput = "peer.invalid_input";  // BAD_USER_INPUT (limits)
inline constexpr std::string_view kPeerErrorInitialLiquidity = "peer.initial_liquidity";  // BAD_USER_INPUT
// Auto-peering (createOrUpdatePeerByUrl), reference/connector.md §9.
inline constexpr std::string_view kPeerErrorPeerUrl = "peer.auto.peer_url";  // NOT_FOUND
inline constexpr std::string_view kPeerErrorIlpConfiguration = "peer.auto.ilp_configuration";  // BAD_USER_INPUT
inline constexpr std::string_view kPeerErrorPeerIlpConfiguration = "peer.auto.peer_ilp_configuration";  // INTERNAL
inline constexpr std::string_view kPeerErrorUnsupportedAsset = "peer.auto.unsupported_asset";  // BAD_USER_INPUT
inline constexpr std::string_view kPeerErrorPeeringRequest = "peer.auto.peering_request";  // BAD_USER_INPUT
inline constexpr std::string_view kPeerErrorAutoUnknownAsset = "peer.auto.unknown_asset";  // NOT_FOUND
inline constexpr std::string_view kPeerErrorAutoLiquidity = "peer.auto.liquidity";  // INTERNAL
// How long the peer's auto-peering server may take to answer.
constexpr std::uint32_t kAutoPeeringTimeoutMs = 10'000;
// deletePeer refuses a peer whose liquidity account still holds (or reserves) money.
inline constexpr std::string_view kPeerErrorHasLiquidity = "peer.has_liquidity";  // FORBIDDEN

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
  std::optional<std::optional<money::u128>> max_packet_amount;
  std::optional<std::optional<money::u128>> liquidity_threshold;
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

// Whether `url` is an absolute http:// or https:// URL whose host is an IP literal or a name of
// non-empty labels, with an optional port (1..65535), and no whitespace or control characters.
bool is_valid_http_endpoint(std::string_view url);

// Whether `route` may be stored as a route: an ILP address, or a bare allocation scheme ("g").
bool is_valid_route(std::string_view route);

// The candidate route prefixes of an ILP address, longest first: the address itself, then with
// its last segment dropped, and so on down to the first segment ("g.a.b" → "g.a.b", "g.a", "g").
std::vector<std::string_view> address_prefixes(std::string_view address);

}  // namespace rafiki::backend::peer
