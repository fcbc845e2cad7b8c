// The Open Payments documents of wallet addresses (reference/open-payments.md §7.1–7.2):
// GET <wallet address> → the wallet address document, GET <wallet address>/jwks.json → its keys.
// A wallet address's path is arbitrary, so these answer every request no other Open Payments
// route matches (the router's fallback).
#include "backend/wallet_address/routes.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <spdlog/spdlog.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "backend/core/backend.h"
#include "backend/tenant/service.h"
#include "backend/wallet_address/service.h"
#include "base/encoding.h"
#include "base/time.h"
#include "crypto/ed25519.h"
#include "ilp/stream/spsp.h"
#include "ilp/stream/receiver.h"

namespace rafiki::backend::wallet_address {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kJwksSuffix = "/jwks.json";
constexpr std::string_view kContentType = "application/json; charset=utf-8";
constexpr std::string_view kNotFoundDescription = "Could not get wallet address";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool iequal(std::string_view a, std::string_view b) {
  return net::iequals(a, b);
}

// First value of a possibly comma-separated header.
std::string first_value(std::string_view value) {
  return std::string(trim(value.substr(0, value.find(','))));
}

net::Response with_cors(net::Response response, const net::Request& request) {
  if (request.headers.has("Origin")) response.headers.set("Access-Control-Allow-Origin", "*");
  return response;
}

net::Response not_found(const std::string& url, const net::Request& request) {
  json::object details;
  details["walletAddressUrl"] = url;
  json::object error;
  error["code"] = "404";
  error["description"] = kNotFoundDescription;
  error["details"] = std::move(details);
  json::object body;
  body["error"] = std::move(error);
  auto response = net::Response::json(404, json::serialize(body));
  response.headers.set("Content-Type", kContentType);
  return with_cors(std::move(response), request);
}

net::Response ok(const std::string& body, const net::Request& request) {
  net::Response response;
  response.status = 200;
  response.headers.set("Content-Type", kContentType);
  response.body = body;
  return with_cors(std::move(response), request);
}

}  // namespace

bool accepts_json(std::optional<std::string_view> accept) {
  if (!accept) return true;
  std::string_view rest = *accept;
  if (trim(rest).empty()) return true;
  while (true) {
    auto comma = rest.find(',');
    std::string_view range = rest.substr(0, comma);
    auto semicolon = range.find(';');
    std::string_view type = trim(range.substr(0, semicolon));
    bool refused = false;
    if (semicolon != std::string_view::npos) {
      std::string_view params = range.substr(semicolon + 1);
      while (!params.empty()) {
        auto next = params.find(';');
        std::string_view param = trim(params.substr(0, next));
        if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
          std::string_view q = param.substr(2);
          refused = q.find_first_not_of("0.") == std::string_view::npos;
        }
        if (next == std::string_view::npos) break;
        params.remove_prefix(next + 1);
      }
    }
    if (!refused &&
        (iequal(type, "application/json") || iequal(type, "application/*") || type == "*/*")) {
      return true;
    }
    if (comma == std::string_view::npos) return false;
    rest.remove_prefix(comma + 1);
  }
}

namespace {

// Tokens are bound to the tenant's address, so one tenant's token cannot be replayed under
// another tenant's prefix; the connector's receivers (connector/stream_address.cpp) match.
ilp::stream::ReceiverOptions spsp_receiver_options() {
  ilp::stream::ReceiverOptions options;
  options.bind_token_to_address = true;
  return options;
}

// The STREAM receiver for a tenant's wallet addresses: ILP_ADDRESS for the operator, the
// tenant's ILP_ADDRESS setting otherwise; null when there is none or it is not usable.
asio::awaitable<std::shared_ptr<const ilp::stream::Receiver>> tenant_receiver(
    Backend& backend, const Uuid& tenant_id,
    const std::shared_ptr<const ilp::stream::Receiver>& operator_receiver) {
  if (tenant_id.str() == backend.config.operator_tenant_id) co_return operator_receiver;
  auto address = co_await backend.tenants->setting(tenant_id, "ILP_ADDRESS");
  if (!address || !*address) co_return nullptr;
  auto secret = encoding::base64_decode(backend.config.stream_secret);
  if (!secret) co_return nullptr;
  auto receiver = ilp::stream::Receiver::create(*secret, **address, spsp_receiver_options());
  if (!receiver) co_return nullptr;
  co_return std::make_shared<const ilp::stream::Receiver>(std::move(*receiver));
}

}  // namespace

// {"keys":[<the instance's public key>]} from PRIVATE_KEY_FILE and KEY_ID; empty when no key
// file is configured or it cannot be read (logged).
std::string instance_jwks(const Config& config) {
  if (!config.private_key_file) return {};
  std::ifstream file(*config.private_key_file);
  std::stringstream text;
  text << file.rdbuf();
  auto key = crypto::Ed25519PrivateKey::from_pem(text.str());
  if (!file || !key) {
    spdlog::error(
        "PRIVATE_KEY_FILE {} is not a readable Ed25519 PKCS#8 PEM; the instance JWKS "
        "is not published",
        *config.private_key_file);
    return {};
  }
  json::array keys;
  keys.push_back(crypto::jwk_to_json(crypto::Jwk{config.key_id, key->public_key()}));
  json::object jwks;
  jwks["keys"] = std::move(keys);
  return json::serialize(jwks);
}

net::Handler document_handler(Backend& backend) {
  const std::string own_jwks = instance_jwks(backend.config);
  std::shared_ptr<const ilp::stream::Receiver> operator_receiver;
  if (auto secret = encoding::base64_decode(backend.config.stream_secret)) {
    if (auto receiver = ilp::stream::Receiver::create(*secret, backend.config.ilp_address,
                                                      spsp_receiver_options())) {
      operator_receiver = std::make_shared<const ilp::stream::Receiver>(std::move(*receiver));
    }
  }
  return [&backend, operator_receiver,
          own_jwks](net::Request& request) -> asio::awaitable<net::Response> {
    if (request.method == net::Method::kOptions && request.headers.has("Origin") &&
        request.headers.has("Access-Control-Request-Method")) {
      // CORS preflight (open-payments.md §2.4): browsers fetch wallet address documents.
      net::Response preflight;
      preflight.status = 204;
      preflight.headers.set("Access-Control-Allow-Origin", "*");
      preflight.headers.set("Access-Control-Allow-Methods", "GET,HEAD,PUT,POST,DELETE,PATCH");
      if (auto headers = request.headers.get("Access-Control-Request-Headers")) {
        preflight.headers.set("Access-Control-Allow-Headers", *headers);
      }
      preflight.headers.set("Vary", "Access-Control-Request-Headers");
      co_return preflight;
    }
    if (request.method != net::Method::kGet && request.method != net::Method::kHead) {
      co_return net::Response::text(404, "Not Found");
    }
    RequestTarget target;
    std::optional<std::string_view> host;
    if (backend.config.trust_proxy) host = request.headers.get("X-Forwarded-Host");
    if (!host) host = request.headers.get("Host");
    if (host) target.host = first_value(*host);
    std::string_view path = request.path;
    const bool jwks = path.ends_with(kJwksSuffix);
    if (jwks) path.remove_suffix(kJwksSuffix.size());
    target.path = std::string(path);
    auto url = request_url(target);
    if (!url) co_return with_cors(net::Response::error(404, kNotFoundDescription), request);

    WalletAddressService& service = *backend.wallet_addresses;
    if (backend.config.enable_spsp_payment_pointers &&
        ilp::spsp::accepts_spsp(request.headers.get("Accept").value_or(""))) {
      // SPSP (open-payments.md §7.1 step 3): STREAM credentials tagged with the address's id.
      auto found = co_await service.published(*url);
      if (!found) {
        spdlog::error("wallet address lookup for {} failed: {}", *url, found.error().message);
        co_return net::Response::text(500, "Internal Server Error");
      }
      if (!*found || !(*found)->active(now_ms())) {
        co_return with_cors(net::Response::error(404, kNotFoundDescription), request);
      }
      auto receiver = co_await tenant_receiver(backend, (*found)->tenant_id, operator_receiver);
      if (!receiver) co_return net::Response::text(500, "Internal Server Error");
      std::shared_ptr<const Published> entry = *found;
      auto handler = ilp::spsp::make_spsp_handler(
          receiver,
          [entry](const net::Request&)
              -> asio::awaitable<std::optional<ilp::stream::ConnectionDetails>> {
            ilp::stream::ConnectionDetails details;
            details.payment_tag = entry->id.str();
            details.asset = ilp::stream::AssetDetails{
                entry->asset_code, static_cast<std::uint8_t>(entry->asset_scale)};
            co_return details;
          });
      co_return co_await handler(request);
    }

    if (!accepts_json(request.headers.get("Accept"))) {
      co_return with_cors(
          net::Response::error(406,
                               "Received error validating OpenAPI request: Must accept "
                               "application/json"),
          request);
    }
    if (net::iequals(*url, backend.config.wallet_address_url)) {
      // The instance's own identity: no document, only its key (when PRIVATE_KEY_FILE is set).
      if (jwks && !own_jwks.empty()) co_return ok(own_jwks, request);
      co_return with_cors(net::Response::error(404, kNotFoundDescription), request);
    }
    // The common case, answered without suspending: a cached, active address.
    if (auto hit = service.cached(*url); hit && hit->active(now_ms())) {
      co_return ok(jwks ? hit->jwks : hit->document, request);
    }
    const bool poll = jwks || backend.config.wallet_address_not_found_polling_enabled;
    Result<std::shared_ptr<const Published>> found = std::shared_ptr<const Published>();
    if (poll) {
      found = co_await service.published_or_poll(*url);
    } else {
      found = co_await service.published(*url);
    }
    if (!found) {
      spdlog::error("wallet address lookup for {} failed: {}", *url, found.error().message);
      co_return net::Response::text(500, "Internal Server Error");
    }
    if (!*found || !(*found)->active(now_ms())) co_return not_found(*url, request);
    co_return ok(jwks ? (*found)->jwks : (*found)->document, request);
  };
}

}  // namespace rafiki::backend::wallet_address
