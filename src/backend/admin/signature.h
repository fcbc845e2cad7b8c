// Authentication of Admin API requests by HMAC signature. A client sends
//   signature: t=<ms since epoch>, v<version>=<lowercase hex HMAC-SHA256>
// over "<t>." + the canonical JSON (backend/admin/canonical_json.h) of the request body, keyed
// with the API secret as UTF-8 bytes. The header has one accepted spelling (decimal numbers
// without leading zeros, 64 lowercase hex digits, nothing else), so one signature cannot be
// dressed up as many. The server accepts a signature once: within the TTL after its timestamp
// (and at most kSignatureFutureSkewMax ahead of our clock), with the configured version, a
// matching digest, and never seen before: accepted (timestamp, digest) pairs are remembered in
// the shared KeyValue store, so a replay to another process or under another tenant-id is
// refused too. The signature covers only the body, so the Admin API executes only what a POST
// body says (see api.cpp). Every refusal is 401 with the text body "Unauthorized", as upstream answers.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/errors.h"
#include "base/uuid.h"
#include "net/router.h"
#include "store/kv.h"

namespace rafiki::backend::admin {

inline constexpr std::string_view kSignatureHeader = "signature";
inline constexpr std::string_view kSignatureReplayKeyPrefix = "signature:";
constexpr std::size_t kSignatureHeaderBytesMax = 512;
constexpr std::chrono::seconds kSignatureTtlDefault{30};
constexpr std::uint32_t kSignatureVersionDefault = 1;
// How far ahead of our clock a signature's timestamp may be (clock skew between hosts). Further
// ahead is refused: such a header would stay usable long after it was captured.
constexpr std::chrono::seconds kSignatureFutureSkewMax{60};
// The digest is a lowercase hex HMAC-SHA256.
constexpr std::size_t kSignatureDigestHexChars = 64;

inline constexpr std::string_view kSignatureErrorMalformed = "signature.malformed";

struct SignatureConfig {
  std::string secret;  // ADMIN_API_SECRET, used as raw UTF-8 bytes
  std::uint32_t version = kSignatureVersionDefault;     // ADMIN_API_SIGNATURE_VERSION
  std::chrono::seconds ttl = kSignatureTtlDefault;      // ADMIN_API_SIGNATURE_TTL_SECONDS
};

struct ParsedSignature {
  std::int64_t timestamp_ms = 0;
  std::uint32_t version = 0;
  std::string digest;  // as sent (hex)
};

// Parses "t=<ms>, v<version>=<hex>", the one canonical spelling. Fails with
// kSignatureErrorMalformed when the header is longer than kSignatureHeaderBytesMax, lacks the
// ", " separator or either part, has any other key or text, when the timestamp or version is not
// a decimal integer without leading zeros (upstream lets a non-numeric timestamp through its
// window check as NaN, and "t=0017..." as 17...; we refuse both), or when the digest is not
// kSignatureDigestHexChars lowercase hex digits.
Result<ParsedSignature> parse_signature_header(std::string_view header);

// The lowercase hex HMAC-SHA256 of "<timestamp_ms>." + canonical_body under `secret`.
std::string signature_digest(std::string_view secret, std::int64_t timestamp_ms,
                             std::string_view canonical_body);

// The header value a client sends for `body` (a JSON text) at `timestamp_ms`. Fails with
// kCanonicalJsonErrorInvalid when the body is not JSON.
Result<std::string> sign_request_body(std::string_view secret, std::uint32_t version,
                                      std::int64_t timestamp_ms, std::string_view body);

// The middleware. It answers 401 "Unauthorized" when the header is missing or malformed, the
// timestamp is older than the TTL or more than kSignatureFutureSkewMax ahead, the version
// differs, the body is not JSON (an empty body signs as {}), the digest differs (compared in
// constant time), or the same timestamp and digest were already accepted within the window
// (for any tenant); 500 "Internal Server Error" when the store fails. Otherwise it calls `next`.
// Unlike upstream, the digest is checked before the replay store is written, so requests that
// do not authenticate cannot fill the store; an accepted signature is remembered until its
// timestamp leaves the window (upstream keeps it 1000× longer by passing milliseconds to EXPIRE).
net::Middleware make_signature_middleware(SignatureConfig config,
                                          std::shared_ptr<store::KeyValue> seen);

// Multi-tenant signatures (upstream since v2): the `tenant-id` header names whose API secret
// signed the request. An unknown or deleted tenant, or a missing or malformed tenant-id, is
// refused like a bad signature (401). On success the middleware tells the handler who signed in
// kAuthenticatedTenantHeader ("<tenant uuid>" or "<tenant uuid>;operator"), after removing any
// value a client sent under that name.
inline constexpr std::string_view kTenantIdHeader = "tenant-id";
inline constexpr std::string_view kAuthenticatedTenantHeader = "x-rafiki-authenticated-tenant";

struct TenantCredentials {
  Uuid id;
  std::string api_secret;
  bool is_operator = false;
};
// nullopt: no such tenant (or deleted). A failure answers 500.
using TenantLookup =
    std::function<boost::asio::awaitable<Result<std::optional<TenantCredentials>>>(const Uuid&)>;

struct TenantSignatureConfig {
  std::uint32_t version = kSignatureVersionDefault;
  std::chrono::seconds ttl = kSignatureTtlDefault;
  TenantLookup lookup;
};

net::Middleware make_tenant_signature_middleware(TenantSignatureConfig config,
                                                 std::shared_ptr<store::KeyValue> seen);

}  // namespace rafiki::backend::admin
