// The token-introspection client library (reference/token-introspection.md): how a resource
// server asks the auth service whether a GNAP access token is active and what it grants. The
// backend links it; other C++ services can too. This is its home and its contract; the client
// arrives with the auth service (the GNAP issue).
//
// Contract: introspect({access_token, access?}) POSTs JSON to the configured
// AUTH_SERVER_INTROSPECTION_URL as is (no path appended, no signature: an internal hop) with a
// timeout of kRequestTimeoutMsDefault, validates the answer (`active` boolean; when true a
// `grant` string, an `access` array of valid Open Payments access items and a `client` with
// exactly one of `walletAddress` / `jwk`), and returns TokenInfo; any failure (network,
// timeout, non-2xx, invalid answer) is one error value whose message starts with
// kErrorPrefix. Answers are not cached beyond a bound that is off by default: a revoked token
// must stop working at once (DESIGN.md §7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rafiki::token_introspection {

inline constexpr std::uint32_t kRequestTimeoutMsDefault = 5'000;
inline constexpr std::string_view kErrorPrefix = "Error when making introspection request: ";
// At most this many access items in one request (the spec's maxItems).
inline constexpr std::size_t kAccessItemsMax = 3;

}  // namespace rafiki::token_introspection
