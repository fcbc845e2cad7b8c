// The tenant domain's rules: who the operator is (OPERATOR_TENANT_ID, re-synced to
// ADMIN_API_SECRET at every start), which secrets and settings a tenant may have, and creating,
// updating and deleting tenants in step with the auth service's copy. Operator rights come from
// the operator's id alone (upstream grants them to any tenant whose secret equals
// ADMIN_API_SECRET); no other tenant may hold the operator's secret. Uses its store, the
// outbound URL policy (a tenant's WEBHOOK_URL and EXCHANGE_RATES_URL obey it) and the auth
// service client. Reads fail only when the database does, so they return Result; changes return
// Outcome<T, TenantError>.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/admin/signature.h"
#include "backend/core/domain_error.h"
#include "backend/core/outbound.h"
#include "backend/core/pagination.h"
#include "backend/tenant/auth_client.h"
#include "backend/tenant/model.h"
#include "backend/tenant/store.h"

namespace rafiki::backend {
struct Config;
}

namespace rafiki::backend::tenant {

// The process configuration the tenant domain reads.
struct TenantConfig {
  std::string operator_tenant_id;  // OPERATOR_TENANT_ID
  std::string admin_api_secret;    // ADMIN_API_SECRET, the operator's secret
  std::string ilp_address;         // ILP_ADDRESS; a new tenant's default is <ILP_ADDRESS>.<id>

  static TenantConfig from_config(const Config& config);
};

class TenantService {
 public:
  // `outbound` is read at each check: it names the policy the process holds, not a copy.
  TenantService(TenantStore store, TenantConfig config, const OutboundPolicy& outbound,
                AuthTenantClient auth)
      : store_(std::move(store)),
        config_(std::move(config)),
        outbound_(outbound),
        auth_(std::move(auth)) {}

  // Inserts the operator tenant, or sets its secret to ADMIN_API_SECRET. Fails with
  // kTenantErrorOperatorDeleted when the operator tenant was deleted.
  boost::asio::awaitable<Result<void>> bootstrap_operator();

  // True for OPERATOR_TENANT_ID, the one tenant with operator rights.
  bool is_operator(const Uuid& id) const;
  // True when `secret` is ADMIN_API_SECRET (compared in constant time).
  bool is_operator_secret(std::string_view secret) const;

  // --- reads ---
  // The credentials the Admin API checks signatures against; nullopt for unknown or deleted.
  boost::asio::awaitable<Result<std::optional<admin::TenantCredentials>>> credentials(Uuid id);
  boost::asio::awaitable<Result<std::optional<Tenant>>> get(Uuid id, bool include_deleted);
  // A page of every tenant, deleted ones included.
  boost::asio::awaitable<Result<Paged<Tenant>>> page(const PageArgs& args);
  // Non-deleted settings of a tenant, in key order.
  boost::asio::awaitable<Result<std::vector<Setting>>> settings(Uuid id);
  // One non-deleted setting; nullopt when the tenant has none.
  boost::asio::awaitable<Result<std::optional<std::string>>> setting(Uuid id, std::string_view key);
  // The live tenant whose WALLET_ADDRESS_URL is the longest prefix of `url` (lower case); nullopt
  // when none.
  boost::asio::awaitable<Result<std::optional<Uuid>>> tenant_of_wallet_address_url(
      std::string url);

  // --- changes; each is all or nothing, the auth service's copy included ---
  // Creates the tenant with its settings: the defaults as upstream (WEBHOOK_TIMEOUT,
  // WEBHOOK_MAX_RETRY, ILP_ADDRESS = <ILP_ADDRESS>.<id>), all of them replaced when the input
  // names an ILP_ADDRESS, a later entry for a key winning. Fails with kInvalidInput,
  // kOperatorSecret, a settings error (see upsert_settings), kDuplicate or kAuthService.
  boost::asio::awaitable<Outcome<Tenant, TenantError>> create(NewTenant tenant);
  // Fails with kOperatorApiSecret (the operator, `by_operator`, may not rotate a secret here),
  // kInvalidInput, kEmptyApiSecret, kOperatorSecret (ADMIN_API_SECRET for another tenant),
  // kNotFound, or kAuthService (when the secret or an idp field changed).
  boost::asio::awaitable<Outcome<Tenant, TenantError>> update(TenantPatch patch, bool by_operator);
  // Marks the tenant and its settings deleted. Fails with kOperatorTenant, kNotFound or
  // kAuthService.
  boost::asio::awaitable<Outcome<void, TenantError>> remove(Uuid id);
  // Upserts settings of tenant `id`, validated all together (nothing written when one is
  // refused): kTooManySettings, kInvalidSetting, a forbidden outbound URL (kWebhookUrl... /
  // kExchangeRatesUrl...), kDuplicateWalletAddressUrl, or kNotFound.
  boost::asio::awaitable<Outcome<std::vector<Setting>, TenantError>> upsert_settings(
      Uuid id, std::vector<Setting> settings);

 private:
  std::optional<TenantError> check_settings(const std::vector<Setting>& settings,
                                            const Uuid& owner) const;
  boost::asio::awaitable<Outcome<std::vector<Setting>, TenantError>> write_settings(
      store::PgConn& conn, Uuid tenant_id, const std::vector<Setting>& settings);

  TenantStore store_;
  TenantConfig config_;
  const OutboundPolicy& outbound_;
  AuthTenantClient auth_;
};

}  // namespace rafiki::backend::tenant
