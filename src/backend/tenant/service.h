// Tenants: the owners of assets, peers and wallet addresses, each with its own Admin API secret.
// The operator tenant (OPERATOR_TENANT_ID) is created or re-synced to ADMIN_API_SECRET at every
// start. Operator rights come from that id alone (upstream grants them to any tenant whose secret
// equals ADMIN_API_SECRET); no other tenant may hold the operator's secret. Per-tenant settings
// (WEBHOOK_URL, WALLET_ADDRESS_URL, ...) override the process's configuration.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "backend/admin/signature.h"
#include "base/errors.h"
#include "base/time.h"
#include "base/uuid.h"
#include "graphql/schema.h"
#include "store/pg.h"

namespace rafiki::backend {
struct Backend;
}

namespace rafiki::backend::tenant {

inline constexpr std::string_view kTenantErrorOperatorDeleted = "tenant.operator_deleted";
// Domain errors of the tenant mutations (mapped to GraphQL codes in mutations.cpp).
inline constexpr std::string_view kTenantErrorNotFound = "tenant.not_found";
inline constexpr std::string_view kTenantErrorDuplicate = "tenant.duplicate";
inline constexpr std::string_view kTenantErrorInvalidSetting = "tenant.invalid_setting";
inline constexpr std::string_view kTenantErrorDuplicateWalletAddressUrl =
    "tenant.duplicate_wallet_address_url";
inline constexpr std::string_view kTenantErrorAuthService = "tenant.auth_service";
inline constexpr std::string_view kTenantErrorOperator = "tenant.operator";
inline constexpr std::string_view kTenantErrorOperatorSecret = "tenant.operator_secret";

// Bounds on tenant input.
constexpr std::size_t kTenantFieldBytesMax = 2048;
constexpr std::size_t kTenantSettingsMax = 32;
// How long the auth service may take to answer a tenant sync call.
constexpr std::chrono::milliseconds kAuthServiceTimeout{5000};

struct Tenant {
  Uuid id;
  std::optional<std::string> email;
  std::string api_secret;
  std::optional<std::string> idp_consent_url;
  std::optional<std::string> idp_secret;
  std::optional<std::string> public_name;
  TimePoint created_at;
  std::optional<TimePoint> deleted_at;
};

struct Setting {
  std::string key;
  std::string value;
};

class TenantService {
 public:
  explicit TenantService(Backend& backend);

  // Inserts the operator tenant, or sets its secret to ADMIN_API_SECRET. Fails when the operator
  // tenant was deleted.
  boost::asio::awaitable<Result<void>> bootstrap_operator();

  // The credentials the Admin API checks signatures against; nullopt for unknown or deleted.
  boost::asio::awaitable<Result<std::optional<admin::TenantCredentials>>> credentials(Uuid id);

  boost::asio::awaitable<Result<std::optional<Tenant>>> get(Uuid id, bool include_deleted);
  // Non-deleted settings of a tenant, in key order.
  boost::asio::awaitable<Result<std::vector<Setting>>> settings(Uuid id);
  // One non-deleted setting; nullopt when the tenant has none.
  boost::asio::awaitable<Result<std::optional<std::string>>> setting(Uuid id, std::string_view key);

  // True for OPERATOR_TENANT_ID, the one tenant with operator rights.
  bool is_operator(const Uuid& id) const;
  // True when `secret` is ADMIN_API_SECRET (compared in constant time).
  bool is_operator_secret(std::string_view secret) const;

  // --- changes (mutations.cpp); each fails with a TenantError code below ---
  struct NewTenant {
    std::optional<Uuid> id;
    std::optional<std::string> email, idp_consent_url, idp_secret, public_name;
    std::string api_secret;
    std::optional<std::vector<Setting>> settings;
  };
  // Creates the tenant with its settings (defaults as upstream: WEBHOOK_TIMEOUT, WEBHOOK_MAX_RETRY,
  // ILP_ADDRESS = <ILP_ADDRESS>.<id>) and registers it with the auth service, all or nothing.
  // Fails with kTenantErrorOperatorSecret when the api secret is ADMIN_API_SECRET.
  boost::asio::awaitable<Result<Tenant>> create(NewTenant tenant);
  struct TenantPatch {
    Uuid id;
    std::optional<std::optional<std::string>> email, api_secret, idp_consent_url, idp_secret,
        public_name;  // outer: present in the input; inner: the value (null clears)
  };
  // Fails with kTenantErrorOperatorSecret when a tenant other than the operator would get
  // ADMIN_API_SECRET as its api secret.
  boost::asio::awaitable<Result<Tenant>> update(TenantPatch patch);
  boost::asio::awaitable<Result<void>> remove(Uuid id);
  // Upserts settings of `id` (validated all together; nothing written when one is invalid).
  boost::asio::awaitable<Result<std::vector<Setting>>> upsert_settings(Uuid id,
                                                                       std::vector<Setting> settings);

  static Tenant from_row(const store::PgRow& row);
  static boost::json::object to_json(const Tenant& tenant);

 private:
  Backend& backend_;
};

// A resolver for `<Type>.tenant` fields: the tenant named by the parent object's "tenantId"
// member, or null when it is deleted.
graphql::Resolver owner_tenant_resolver(Backend& backend);

}  // namespace rafiki::backend::tenant
