#include "ilp/http.h"

#include <algorithm>
#include <utility>

#include "ilp/error_codes.h"
#include "ilp/oer.h"

namespace rafiki::ilp {
namespace {

bool is_2xx(int status) {
  return status >= 200 && status < 300;
}

// The media type of a Content-Type value: parameters and surrounding spaces dropped.
std::string_view media_type(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

net::Response octet_stream(ByteView packet) {
  net::Response response;
  response.status = 200;
  response.headers.set("Content-Type", kOctetStream);
  response.body = std::string(as_chars(packet));
  return response;
}

}  // namespace

boost::asio::awaitable<Result<Bytes>> send_prepare(net::HttpClient& client, HttpEndpoint endpoint,
                                                   Bytes prepare) {
  TimePoint now = now_ms();
  auto decoded = decode_prepare(prepare);
  if (!decoded) co_return std::unexpected(std::move(decoded.error()));
  TimePoint expires_at = decoded->expires_at;
  if (expires_at <= now) co_return fail(kErrHttpExpired, "the Prepare has already expired");
  auto left_ms = (expires_at - now).count();
  std::uint32_t timeout_ms =
      static_cast<std::uint32_t>(std::min<std::int64_t>(left_ms, kHttpSendTimeoutMsMax));

  net::ClientRequest request;
  request.method = net::Method::kPost;
  request.url = std::move(endpoint.url);
  request.headers.set("Authorization", "Bearer " + endpoint.auth_token);
  request.headers.set("Content-Type", kOctetStream);
  request.headers.set("Accept", kOctetStream);
  request.body = std::string(as_chars(prepare));
  request.timeout_ms = timeout_ms;
  request.redirects_max = 0;
  request.address_policy = endpoint.address_policy;
  auto response = co_await client.request(std::move(request));
  if (!response) {
    // Timer and clock granularity: a timeout within this of the expiry is the expiry.
    constexpr std::chrono::milliseconds kExpirySlack{10};
    if (response.error().code == "http.timeout" && now_ms() + kExpirySlack >= expires_at)
      co_return fail(kErrHttpExpired, "no reply before the Prepare expired");
    co_return fail(kErrHttpTransport, response.error().code + ": " + response.error().message);
  }
  if (!is_2xx(response->status))
    co_return fail(kErrHttpStatus, "peer answered HTTP " + std::to_string(response->status));
  Bytes reply = to_bytes(response->body);
  auto valid = decode_reply(reply);
  if (!valid)
    co_return fail(kErrHttpBadReply,
                   "peer's reply is not a Fulfill or Reject: " + valid.error().message);
  co_return reply;
}

Bytes reject_for_send_error(const Error& error, std::string_view own_address) {
  Reject reject;
  bool expired = error.code == kErrHttpExpired;
  reject.code = expired ? kR00TransferTimedOut : kT00InternalError;
  reject.message = expired ? kExpiredMessage : kInternalErrorMessage;
  reject.triggered_by = is_valid_address(own_address) ? own_address : std::string_view{};
  // Every field is valid by construction.
  return encode_reject(reject).value();
}

std::optional<std::string_view> bearer_token(const net::Headers& headers) {
  auto value = headers.get("Authorization");
  if (!value) return std::nullopt;
  std::size_t space = value->find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view scheme = value->substr(0, space);
  std::string_view token = value->substr(space + 1);
  if (!net::iequals(scheme, "Bearer") || token.empty() || token.find(' ') != std::string_view::npos)
    return std::nullopt;
  return token;
}

namespace http_server {

std::expected<std::string_view, net::Response> token_of(const net::Request& request) {
  auto token = bearer_token(request.headers);
  if (!token) {
    return std::unexpected(
        net::Response::text(401, "Bearer token required in Authorization header"));
  }
  return *token;
}

net::Response lookup_failed() {
  return net::Response::text(503, "Service Unavailable - the token could not be checked");
}

net::Response unknown_token() {
  return net::Response::text(401, "Access Denied - Invalid Token");
}

std::expected<Prepare, net::Response> prepare_of(const net::Request& request) {
  auto content_type = request.headers.get("Content-Type");
  if (!content_type || !net::iequals(media_type(*content_type), kOctetStream)) {
    return std::unexpected(
        net::Response::text(400, "Expected Content-Type of application/octet-stream"));
  }
  auto prepare = decode_prepare(as_bytes(request.body));
  if (!prepare) {
    return std::unexpected(
        net::Response::text(400, "Invalid ILP Prepare: " + prepare.error().message));
  }
  return *prepare;
}

net::Response answer(ByteView reply) {
  if (!decode_reply(reply)) {
    return net::Response::text(500, "the application's reply is not a Fulfill or Reject");
  }
  return octet_stream(reply);
}

}  // namespace http_server

net::Handler make_http_handler(TokenLookup lookup, PrepareHandler handler) {
  return make_http_handler_for<std::string>(std::move(lookup), std::move(handler));
}

}  // namespace rafiki::ilp
