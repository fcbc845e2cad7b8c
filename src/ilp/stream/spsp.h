// SPSP (RFC 9) with the receipts extension (RFC 39): how a sender learns a receiver's STREAM
// credentials. The client GETs an endpoint with `Accept: application/spsp4+json` and reads
// `{destination_account, shared_secret, receipts_enabled?}`; the server side answers such a
// GET with fresh credentials from our STREAM receiver, the way upstream Rafiki does on a wallet
// address URL (a request whose Accept header contains application/spsp4+json is SPSP, any
// other goes to the caller's fallback handler).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/errors.h"
#include "ilp/stream/receiver.h"
#include "net/client.h"
#include "net/router.h"

namespace rafiki::ilp::spsp {

inline constexpr std::string_view kSpspMediaType = "application/spsp4+json";
inline constexpr std::string_view kDefaultPath = "/.well-known/pay";  // RFC 26
inline constexpr std::size_t kSharedSecretBytes = 32;
// Bounds of a query: a real SPSP answer is a few hundred bytes.
inline constexpr std::size_t kResponseBytesMax = 64 * 1024;
inline constexpr std::uint32_t kQueryTimeoutMs = 10'000;
inline constexpr int kRedirectsMax = 3;
inline constexpr std::size_t kJsonDepthMax = 8;

// Error::code values of the client side.
inline constexpr const char* kErrSpspUrl = "spsp.url";                   // not a URL / pointer
inline constexpr const char* kErrSpspTransport = "spsp.transport";       // no HTTP answer
inline constexpr const char* kErrSpspStatus = "spsp.status";             // not a 2xx
inline constexpr const char* kErrSpspContentType = "spsp.content_type";  // not spsp4+json
inline constexpr const char* kErrSpspJson = "spsp.json";                 // not a JSON object
inline constexpr const char* kErrSpspField = "spsp.field";               // a field missing/bad

struct SpspResponse {
  std::string destination_account;  // a valid ILP address
  std::array<std::uint8_t, kSharedSecretBytes> shared_secret{};
  bool receipts_enabled = false;
};

// The endpoint of a payment pointer (RFC 26): "$host/path" → "https://host/path", "$host" or
// "$host/" → "https://host/.well-known/pay". An http(s) URL is returned unchanged. Fails with
// kErrSpspUrl for anything else (no host, userinfo, query or fragment in a pointer).
Result<std::string> endpoint_url(std::string_view pointer_or_url);

// Parses an SPSP answer. Fails with kErrSpspContentType when the media type (parameters
// ignored) is not application/spsp4+json; kErrSpspJson when the body is over
// kResponseBytesMax, deeper than kJsonDepthMax or not a JSON object; kErrSpspField when
// destination_account is not a valid ILP address, shared_secret is not base64 or base64url of
// exactly 32 bytes, or receipts_enabled is present and not a boolean. Unknown fields are
// ignored.
Result<SpspResponse> parse_response(std::string_view content_type, std::string_view body);

// The JSON body of an answer (shared_secret base64url without padding, as Rafiki sends it).
std::string encode_response(const SpspResponse& response);

// Queries an SPSP endpoint (payment pointer or URL), sending Receipt-Nonce / Receipt-Secret
// when `receipt` is given. Fails with kErrSpspUrl for a bad pointer, kErrSpspTransport when no
// HTTP answer came (the net client's error in the message), kErrSpspStatus on a non-2xx
// status, and parse_response's errors. Follows up to kRedirectsMax redirects; the whole query
// is bounded by kQueryTimeoutMs. The client must outlive the call.
boost::asio::awaitable<Result<SpspResponse>> query(
    net::HttpClient& client, std::string pointer_or_url,
    std::optional<stream::ReceiptDetails> receipt = std::nullopt);

// True when an Accept header value asks for SPSP (contains application/spsp4+json, as
// upstream Rafiki checks).
bool accepts_spsp(std::string_view accept);

// The connection details (payment tag, asset) for a request, e.g. of the wallet address its
// path names; nullopt when there is nothing to pay there (answered 404). The handler adds the
// receipt details from the request headers itself.
using DetailsLookup =
    std::function<boost::asio::awaitable<std::optional<stream::ConnectionDetails>>(
        const net::Request&)>;

// The server side as a net::Handler. A request whose Accept header does not ask for SPSP goes
// to `fallback` (406 when fallback is empty). An SPSP request is answered
//   404 {"error":{"code":"404","description":"Could not get wallet address"}} when the lookup
//       finds nothing,
//   400 when exactly one of Receipt-Nonce / Receipt-Secret is present, or either is not base64
//       of 16 / 32 bytes,
//   500 when the receiver cannot make credentials (e.g. an over-long payment tag),
//   200 with Content-Type application/spsp4+json, Cache-Control no-store (every answer is a
//       fresh connection) and Access-Control-Allow-Origin *, body as encode_response.
// The receiver is shared with the handler; it and the lookup are kept in the returned handler.
net::Handler make_spsp_handler(std::shared_ptr<const stream::Receiver> receiver,
                               DetailsLookup lookup, net::Handler fallback = {});

// Base64 in either alphabet, padding optional (what Node's Buffer decoder accepts, which the
// reference implementations use); nullopt otherwise.
std::optional<Bytes> decode_base64_any(std::string_view text);

}  // namespace rafiki::ilp::spsp
