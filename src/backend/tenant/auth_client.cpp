#include "backend/tenant/auth_client.h"

#include <boost/json.hpp>

#include "backend/core/admin.h"

namespace rafiki::backend::tenant {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::value nullable(const std::optional<std::string>& s) {
  if (!s) return nullptr;
  return json::value(*s);
}

}  // namespace

asio::awaitable<Result<void>> AuthTenantClient::created(const Tenant& tenant) {
  json::object body;
  body["id"] = tenant.id.str();
  body["apiSecret"] = tenant.api_secret;
  body["idpSecret"] = nullable(tenant.idp_secret);
  body["idpConsentUrl"] = nullable(tenant.idp_consent_url);
  std::string path = "/tenant";
  co_return co_await call(net::Method::kPost, std::move(path), json::serialize(body));
}

asio::awaitable<Result<void>> AuthTenantClient::updated(const Tenant& tenant) {
  json::object body;
  body["apiSecret"] = tenant.api_secret;
  body["idpConsentUrl"] = nullable(tenant.idp_consent_url);
  body["idpSecret"] = nullable(tenant.idp_secret);
  std::string path = "/tenant/" + tenant.id.str();
  co_return co_await call(net::Method::kPatch, std::move(path), json::serialize(body));
}

asio::awaitable<Result<void>> AuthTenantClient::deleted(Uuid id, TimePoint deleted_at) {
  json::object body;
  body["deletedAt"] = iso_time(deleted_at);
  std::string path = "/tenant/" + id.str();
  co_return co_await call(net::Method::kDelete, std::move(path), json::serialize(body));
}

asio::awaitable<Result<void>> AuthTenantClient::call(net::Method method, std::string path,
                                                     std::string body) {
  net::ClientRequest request;
  request.method = method;
  std::string base = api_url_;
  while (!base.empty() && base.back() == '/') base.pop_back();
  request.url = base + path;
  request.headers.set("content-type", "application/json");
  request.body = std::move(body);
  request.timeout_ms = static_cast<std::uint32_t>(kAuthServiceTimeout.count());
  auto response = co_await http_.request(std::move(request));
  if (!response) {
    co_return fail(std::string(kTenantErrorAuthService),
                   "auth service unreachable: " + response.error().message);
  }
  if (response->status < 200 || response->status > 299) {
    co_return fail(std::string(kTenantErrorAuthService),
                   "auth service answered " + std::to_string(response->status));
  }
  co_return Result<void>{};
}

}  // namespace rafiki::backend::tenant
