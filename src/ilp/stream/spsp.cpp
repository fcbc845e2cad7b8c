#include "ilp/stream/spsp.h"

#include <boost/json.hpp>

#include <utility>

#include "base/encoding.h"
#include "ilp/address.h"

namespace rafiki::ilp::spsp {
namespace {

namespace json = boost::json;

std::string_view trim(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// The media type of a Content-Type value: parameters and surrounding spaces dropped.
std::string_view media_type(std::string_view value) {
  return trim(value.substr(0, value.find(';')));
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && net::iequals(text.substr(0, prefix.size()), prefix);
}

net::Response spsp_error(int status, std::string_view description) {
  net::Response response = net::Response::error(status, description);
  response.headers.set("Access-Control-Allow-Origin", "*");
  return response;
}

template <std::size_t N>
bool decode_fixed(std::string_view text, std::array<std::uint8_t, N>& out) {
  auto bytes = decode_base64_any(text);
  if (!bytes || bytes->size() != N) return false;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return true;
}

// The receipt details of Receipt-Nonce / Receipt-Secret: nullopt without either, an error
// message for exactly one or a bad one.
Result<std::optional<stream::ReceiptDetails>> receipt_from_headers(const net::Headers& headers) {
  auto nonce = headers.get("Receipt-Nonce");
  auto secret = headers.get("Receipt-Secret");
  if (!nonce && !secret) return std::optional<stream::ReceiptDetails>();
  if (!nonce || !secret)
    return fail("spsp.receipt",
                "Failed to generate credentials: receipt nonce and secret must "
                "accompany each other");
  stream::ReceiptDetails details;
  if (!decode_fixed(trim(*nonce), details.nonce))
    return fail("spsp.receipt", "Failed to generate credentials: receipt nonce must be 16 bytes");
  if (!decode_fixed(trim(*secret), details.secret))
    return fail("spsp.receipt", "Failed to generate credentials: receipt secret must be 32 bytes");
  return std::optional<stream::ReceiptDetails>(details);
}

}  // namespace

std::optional<Bytes> decode_base64_any(std::string_view text) {
  bool url = text.find_first_of("-_") != std::string_view::npos;
  bool standard = text.find_first_of("+/") != std::string_view::npos;
  if (url && standard) return std::nullopt;
  if (url) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    return encoding::base64url_decode(text);
  }
  return encoding::base64_decode(text);
}

Result<std::string> endpoint_url(std::string_view pointer_or_url) {
  if (starts_with_nocase(pointer_or_url, "https://") ||
      starts_with_nocase(pointer_or_url, "http://")) {
    return std::string(pointer_or_url);
  }
  if (pointer_or_url.empty() || pointer_or_url.front() != '$')
    return fail(kErrSpspUrl, "not a payment pointer or http(s) URL");
  std::string_view rest = pointer_or_url.substr(1);
  std::size_t slash = rest.find('/');
  std::string_view host = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (host.empty()) return fail(kErrSpspUrl, "payment pointer without a host");
  for (char c : rest) {
    if (c == '@' || c == '?' || c == '#' || c == ':' || c == '\\' ||
        static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return fail(kErrSpspUrl, "payment pointer with a character it may not have");
  }
  if (path.empty() || path == "/") path = kDefaultPath;
  return "https://" + std::string(host) + std::string(path);
}

Result<SpspResponse> parse_response(std::string_view content_type, std::string_view body) {
  if (!net::iequals(media_type(content_type), kSpspMediaType))
    return fail(kErrSpspContentType, "expected Content-Type " + std::string(kSpspMediaType) +
                                         ", got \"" + std::string(content_type.substr(0, 100)) +
                                         "\"");
  if (body.size() > kResponseBytesMax)
    return fail(kErrSpspJson, "SPSP response over " + std::to_string(kResponseBytesMax) + " bytes");
  json::parse_options options;
  options.max_depth = kJsonDepthMax;
  boost::system::error_code ec;
  json::value value = json::parse(body, ec, {}, options);
  if (ec) return fail(kErrSpspJson, "SPSP response is not JSON: " + ec.message());
  const json::object* object = value.if_object();
  if (!object) return fail(kErrSpspJson, "SPSP response is not a JSON object");

  SpspResponse response;
  const json::value* account = object->if_contains("destination_account");
  if (!account || !account->is_string())
    return fail(kErrSpspField, "destination_account missing or not a string");
  response.destination_account = std::string(account->get_string());
  if (!is_valid_address(response.destination_account))
    return fail(kErrSpspField, "destination_account is not a valid ILP address");

  const json::value* secret = object->if_contains("shared_secret");
  if (!secret || !secret->is_string())
    return fail(kErrSpspField, "shared_secret missing or not a string");
  if (!decode_fixed(std::string_view(secret->get_string()), response.shared_secret))
    return fail(kErrSpspField, "shared_secret is not base64 of 32 bytes");

  if (const json::value* receipts = object->if_contains("receipts_enabled")) {
    if (!receipts->is_bool()) return fail(kErrSpspField, "receipts_enabled is not a boolean");
    response.receipts_enabled = receipts->get_bool();
  }
  return response;
}

std::string encode_response(const SpspResponse& response) {
  json::object object;
  object["destination_account"] = response.destination_account;
  object["shared_secret"] = encoding::base64url_encode(
      ByteView(response.shared_secret.data(), response.shared_secret.size()));
  object["receipts_enabled"] = response.receipts_enabled;
  return json::serialize(object);
}

boost::asio::awaitable<Result<SpspResponse>> query(net::HttpClient& client,
                                                   std::string pointer_or_url,
                                                   std::optional<stream::ReceiptDetails> receipt) {
  auto url = endpoint_url(pointer_or_url);
  if (!url) co_return std::unexpected(std::move(url.error()));
  net::ClientRequest request;
  request.method = net::Method::kGet;
  request.url = std::move(*url);
  request.headers.set("Accept", kSpspMediaType);
  if (receipt) {
    request.headers.set("Receipt-Nonce", encoding::base64_encode(ByteView(receipt->nonce.data(),
                                                                          receipt->nonce.size())));
    request.headers.set("Receipt-Secret", encoding::base64_encode(ByteView(
                                              receipt->secret.data(), receipt->secret.size())));
  }
  request.timeout_ms = kQueryTimeoutMs;
  request.redirects_max = kRedirectsMax;
  auto response = co_await client.request(std::move(request));
  if (!response)
    co_return fail(kErrSpspTransport, response.error().code + ": " + response.error().message);
  if (response->status < 200 || response->status >= 300)
    co_return fail(kErrSpspStatus,
                   "SPSP endpoint answered HTTP " + std::to_string(response->status));
  co_return parse_response(response->headers.get("Content-Type").value_or(""), response->body);
}

bool accepts_spsp(std::string_view accept) {
  // Case-insensitive "contains", as media types are case-insensitive.
  if (accept.size() < kSpspMediaType.size()) return false;
  for (std::size_t i = 0; i + kSpspMediaType.size() <= accept.size(); ++i) {
    if (net::iequals(accept.substr(i, kSpspMediaType.size()), kSpspMediaType)) return true;
  }
  return false;
}

net::Handler make_spsp_handler(std::shared_ptr<const stream::Receiver> receiver,
                               DetailsLookup lookup, net::Handler fallback) {
  return
      [receiver = std::move(receiver), lookup = std::move(lookup), fallback = std::move(fallback)](
          net::Request& request) -> boost::asio::awaitable<net::Response> {
        if (!accepts_spsp(request.headers.get("Accept").value_or(""))) {
          if (fallback) co_return co_await fallback(request);
          co_return spsp_error(406, "Expected Accept: application/spsp4+json");
        }
        auto details = co_await lookup(request);
        if (!details) co_return spsp_error(404, "Could not get wallet address");
        auto receipt = receipt_from_headers(request.headers);
        if (!receipt) co_return spsp_error(400, receipt.error().message);
        details->receipt = *receipt;
        auto credentials = receiver->generate_credentials(*details);
        if (!credentials) co_return spsp_error(500, "Failed to generate credentials");

        SpspResponse answer;
        answer.destination_account = std::move(credentials->ilp_address);
        answer.shared_secret = credentials->shared_secret;
        answer.receipts_enabled = receipt->has_value();
        net::Response response;
        response.status = 200;
        response.headers.set("Content-Type", kSpspMediaType);
        response.headers.set("Cache-Control", "no-store");
        response.headers.set("Access-Control-Allow-Origin", "*");
        response.body = encode_response(answer);
        co_return response;
      };
}

}  // namespace rafiki::ilp::spsp
