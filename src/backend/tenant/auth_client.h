// The auth service's copy of tenants, kept in step through its service API (AUTH_SERVICE_API_URL):
// POST /tenant, PATCH /tenant/:id, DELETE /tenant/:id. TenantService calls it inside the
// transaction that changes the tenant, so a change the auth service refuses is undone.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "backend/tenant/model.h"
#include "base/errors.h"
#include "net/client.h"

namespace rafiki::backend::tenant {

// How long the auth service may take to answer a tenant sync call.
constexpr std::chrono::milliseconds kAuthServiceTimeout{5000};

// Error code of every call: unreachable, or an answer other than 2xx.
inline constexpr std::string_view kTenantErrorAuthService = "tenant.auth_service";

class AuthTenantClient {
 public:
  // `api_url` is read at each call: it names the setting the process holds, not a copy.
  AuthTenantClient(net::HttpClient http, const std::string& api_url)
      : http_(std::move(http)), api_url_(api_url) {}

  // POST /tenant {id, apiSecret, idpSecret, idpConsentUrl}
  boost::asio::awaitable<Result<void>> created(const Tenant& tenant);
  // PATCH /tenant/:id {apiSecret, idpConsentUrl, idpSecret}
  boost::asio::awaitable<Result<void>> updated(const Tenant& tenant);
  // DELETE /tenant/:id {deletedAt}
  boost::asio::awaitable<Result<void>> deleted(Uuid id, TimePoint deleted_at);

 private:
  boost::asio::awaitable<Result<void>> call(net::Method method, std::string path,
                                            std::string body);

  net::HttpClient http_;
  const std::string& api_url_;
};

}  // namespace rafiki::backend::tenant
