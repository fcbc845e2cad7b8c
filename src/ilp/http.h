// ILP over HTTP (RFC 35, the synchronous mode every Rafiki speaks): a Prepare is POSTed with
// `Authorization: Bearer <token>` and `Content-Type: application/octet-stream`; the answer is
// `200 OK` with the Fulfill or Reject as the body (a Reject is still a 200). Any other status
// means the link failed.
//
// Client side: send_prepare() posts one Prepare and returns the peer's reply bytes, with the
// request timeout cut to what is left of the Prepare's expiry; reject_for_send_error() turns a
// failed send into the Reject to pass upstream (R00 when the expiry passed, T00 otherwise).
// Server side: make_http_handler() is a net::Handler that authenticates the bearer token,
// checks the content type, decodes the Prepare and answers with what the application returns.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/errors.h"
#include "ilp/packet.h"
#include "net/client.h"
#include "net/router.h"

namespace rafiki::ilp {

inline constexpr std::string_view kOctetStream = "application/octet-stream";
// Upper bound on one ILP-over-HTTP exchange, whatever the Prepare's expiry (upstream: 30 s).
inline constexpr std::uint32_t kHttpSendTimeoutMsMax = 30'000;

// Error::code values of send_prepare (besides the decoder codes of a bad Prepare argument).
inline constexpr const char* kErrHttpExpired = "ilp_http.expired";      // expiry passed first
inline constexpr const char* kErrHttpTransport = "ilp_http.transport";  // no HTTP answer
inline constexpr const char* kErrHttpStatus = "ilp_http.status";        // a non-2xx answer
inline constexpr const char* kErrHttpBadReply = "ilp_http.bad_reply";   // 2xx, not a reply

// Messages of the Rejects made for a failed send (as upstream Rafiki words them).
inline constexpr std::string_view kExpiredMessage = "packet expired.";
inline constexpr std::string_view kInternalErrorMessage = "unexpected internal error";

struct HttpEndpoint {
  std::string url;         // absolute http(s) URL of the peer's ILP endpoint
  std::string auth_token;  // sent as the bearer token; never logged
  // Addresses the endpoint may resolve to (net/address_policy.h).
  net::AddressPolicy address_policy = net::AddressPolicy::kAny;
};

// POSTs an encoded Prepare to `endpoint` and returns the reply: a valid encoded Fulfill or
// Reject, owned. Fails with a decoder code when `prepare` is not a valid Prepare (nothing is
// sent); kErrHttpExpired when the expiry has already passed or passes before the reply
// arrives; kErrHttpTransport when the connection or request fails (the net client's error in
// the message); kErrHttpStatus on a non-2xx status; kErrHttpBadReply when a 2xx body is not a
// Fulfill or Reject. The request timeout is min(kHttpSendTimeoutMsMax, expiry - now). The
// client must outlive the call; its response_body_bytes_max must be at least kPacketBytesMax.
boost::asio::awaitable<Result<Bytes>> send_prepare(net::HttpClient& client, HttpEndpoint endpoint,
                                                   Bytes prepare);

// The Reject for a failed send_prepare: R00 "packet expired." for kErrHttpExpired, T00
// "unexpected internal error" for anything else; triggeredBy is `own_address` (may be empty).
// Never fails for a valid (or empty) own_address; an invalid one is left out.
Bytes reject_for_send_error(const Error& error, std::string_view own_address);

// The token of an `Authorization: Bearer <token>` header: exactly two space-separated parts,
// scheme "Bearer" in any case. nullopt otherwise.
std::optional<std::string_view> bearer_token(const net::Headers& headers);

// A Prepare that came in over HTTP, for the application. `account` is what the token lookup
// returned; `packet` is the encoded Prepare and `prepare` its decoded view; both borrow from the
// HTTP request and live until the handler's coroutine finishes.
template <class Account>
struct IncomingPrepareFor {
  Account account;
  ByteView packet;
  Prepare prepare;
};
using IncomingPrepare = IncomingPrepareFor<std::string>;

// Returns the account (e.g. the peer) a bearer token belongs to, nullopt when no account has it,
// or an error when it could not be found out (e.g. the database failed): the request is then
// answered 503, not 401, so the peer retries instead of doubting its token. Compare tokens in
// constant time where they are secrets.
template <class Account>
using AccountLookup =
    std::function<boost::asio::awaitable<Result<std::optional<Account>>>(std::string token)>;
// Handles a Prepare; returns an encoded Fulfill or Reject.
template <class Account>
using PrepareHandlerFor =
    std::function<boost::asio::awaitable<Bytes>(const IncomingPrepareFor<Account>&)>;

using TokenLookupResult = Result<std::optional<std::string>>;
using TokenLookup = AccountLookup<std::string>;
using PrepareHandler = PrepareHandlerFor<std::string>;

// The answers of the server side other than the application's (http.cpp).
namespace http_server {
// The request's bearer token, or the 401 answer when it has none.
std::expected<std::string_view, net::Response> token_of(const net::Request& request);
net::Response lookup_failed();  // 503
net::Response unknown_token();  // 401
// The request's Prepare, or the 400 answer (wrong media type, not a valid Prepare).
std::expected<Prepare, net::Response> prepare_of(const net::Request& request);
// 200 with `reply`, or 500 when it is not a valid Fulfill or Reject.
net::Response answer(ByteView reply);
}  // namespace http_server

// The server side as a net::Handler (any method and path). Answers
//   401 "Bearer token required in Authorization header" without a well-formed bearer token,
//   401 "Access Denied - Invalid Token" when the lookup finds no account,
//   503 "Service Unavailable - the token could not be checked" when the lookup failed,
//   400 "Expected Content-Type of application/octet-stream" for another media type,
//   400 "Invalid ILP Prepare: <reason>" when the body is not a valid Prepare,
//   500 when the application's answer is not a valid Fulfill or Reject,
//   200 with the application's Fulfill or Reject (application/octet-stream) otherwise.
// The token is looked up once per request and the Prepare decoded once; the handler gets both.
// The lookup and handler are kept in the returned handler. Serve it with a body limit
// (net::ServerLimits::body_bytes_max) of at least kPacketBytesMax.
template <class Account>
net::Handler make_http_handler_for(AccountLookup<Account> lookup,
                                   PrepareHandlerFor<Account> handler) {
  return [lookup = std::move(lookup), handler = std::move(handler)](
             net::Request& request) -> boost::asio::awaitable<net::Response> {
    auto token = http_server::token_of(request);
    if (!token) co_return std::move(token.error());
    std::string owned_token(*token);
    Result<std::optional<Account>> found = co_await lookup(std::move(owned_token));
    if (!found) co_return http_server::lookup_failed();
    if (!*found) co_return http_server::unknown_token();
    auto prepare = http_server::prepare_of(request);
    if (!prepare) co_return std::move(prepare.error());
    IncomingPrepareFor<Account> incoming;
    incoming.account = std::move(**found);
    incoming.packet = as_bytes(request.body);
    incoming.prepare = *prepare;
    Bytes reply = co_await handler(incoming);
    co_return http_server::answer(reply);
  };
}
// The same with the account as text (what most tests and tools need).
net::Handler make_http_handler(TokenLookup lookup, PrepareHandler handler);

}  // namespace rafiki::ilp
