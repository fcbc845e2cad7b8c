// Tenants: the owners of assets, peers and wallet addresses, each with its own Admin API secret,
// and their per-tenant settings (WEBHOOK_URL, WALLET_ADDRESS_URL, ...), which override the
// process's configuration. The operator tenant (OPERATOR_TENANT_ID) is the one tenant with
// operator rights (reference/admin-api.md §4, §9.7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/core/admin.h"
#include "backend/core/domain_error.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::backend::tenant {

// Bounds on tenant input.
constexpr std::size_t kTenantFieldBytesMax = 2048;
constexpr std::size_t kTenantSettingsMax = 32;

// The settings a tenant may hold.
namespace setting_key {
inline constexpr std::string_view kExchangeRatesUrl = "EXCHANGE_RATES_URL";
inline constexpr std::string_view kWebhookUrl = "WEBHOOK_URL";
inline constexpr std::string_view kWebhookTimeout = "WEBHOOK_TIMEOUT";
inline constexpr std::string_view kWebhookMaxRetry = "WEBHOOK_MAX_RETRY";
inline constexpr std::string_view kWalletAddressUrl = "WALLET_ADDRESS_URL";
inline constexpr std::string_view kIlpAddress = "ILP_ADDRESS";
}  // namespace setting_key

// Settings a new tenant gets unless its input says otherwise (as upstream), besides ILP_ADDRESS
// = <ILP_ADDRESS>.<tenant id>.
constexpr std::int64_t kDefaultWebhookTimeoutMs = 2000;
constexpr std::int64_t kDefaultWebhookMaxRetry = 10;

// Error code of TenantService::bootstrap_operator (a start-up failure, not an Admin API answer).
inline constexpr std::string_view kTenantErrorOperatorDeleted = "tenant.operator_deleted";

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

struct NewTenant {
  std::optional<Uuid> id;  // a new v4 when absent
  std::optional<std::string> email, idp_consent_url, idp_secret, public_name;
  std::string api_secret;
  std::optional<std::vector<Setting>> settings;  // absent: the defaults only
};

// A partial update: a field left out is left as it is, an explicit null clears it.
struct TenantPatch {
  Uuid id;
  Patch<std::string> email, api_secret, idp_consent_url, idp_secret, public_name;
};

enum class TenantError {
  kPermissionDenied,   // a tenant other than the operator creating or deleting tenants
  kListForbidden,      // a tenant other than the operator listing tenants
  kUnknownTenant,      // reading or updating a tenant that is not there, or another tenant's
  kInvalidId,          // a tenant id asked for that is not a UUID
  kInvalidInput,       // an empty api secret at creation, a field over kTenantFieldBytesMax
  kEmptyApiSecret,     // an update clearing or emptying the api secret
  kOperatorSecret,     // ADMIN_API_SECRET as another tenant's api secret
  kOperatorApiSecret,  // the operator rotating an api secret over the Admin API
  kTooManySettings,    // more than kTenantSettingsMax settings at once
  kInvalidSetting,     // an unknown key or a value its key does not accept
  // A tenant's outbound URL setting whose host is an IP literal the outbound policy forbids
  // (backend/core/outbound.h), one entry per setting and address class.
  kWebhookUrlLoopback,
  kWebhookUrlPrivate,
  kWebhookUrlLinkLocal,
  kWebhookUrlReserved,
  kExchangeRatesUrlLoopback,
  kExchangeRatesUrlPrivate,
  kExchangeRatesUrlLinkLocal,
  kExchangeRatesUrlReserved,
  kDuplicateWalletAddressUrl,  // a WALLET_ADDRESS_URL another tenant has (or had)
  kDuplicate,                  // creating a tenant with an id already taken
  kNotFound,                   // no live tenant with this id
  kAuthService,                // the auth service did not take the change (all of it undone)
  kOperatorTenant,             // deleting the operator tenant
  kUpdateFailed,               // updateTenant's answer to a missing tenant or any other failure
  kDeleteFailed,               // deleteTenant's answer to a missing tenant or any other failure
};

// The message OutboundPolicy::check_url gives, after the setting's key.
#define RAFIKI_TENANT_FORBIDDEN_URL(key, host) \
  key ": URL not allowed: its host is a " host " address, which tenants' URLs may not point at"

// The tenant domain's error table (docs/architecture.md, "The domain template").
constexpr ErrorDescription describe(TenantError error) {
  switch (error) {
    case TenantError::kPermissionDenied:
      return {"tenant.permission_denied", code::kForbidden, "permission denied"};
    case TenantError::kListForbidden:
      return {"tenant.list_forbidden", code::kForbidden, "cannot get tenants page"};
    case TenantError::kUnknownTenant:
      return {"tenant.unknown", code::kNotFound, "tenant does not exist"};
    case TenantError::kInvalidId:
      return {"tenant.invalid_id", code::kBadUserInput, "Invalid Tenant ID"};
    case TenantError::kInvalidInput:
      return {"tenant.invalid_input", code::kBadUserInput, "Invalid tenant input"};
    case TenantError::kEmptyApiSecret:
      return {"tenant.empty_api_secret", code::kBadUserInput, "apiSecret must not be empty"};
    case TenantError::kOperatorSecret:
      return {"tenant.operator_secret", code::kBadUserInput,
              "apiSecret must differ from the operator's secret"};
    case TenantError::kOperatorApiSecret:
      return {"tenant.operator_api_secret", code::kBadUserInput,
              "Operator cannot update apiSecret over admin api"};
    case TenantError::kTooManySettings:
      return {"tenant.too_many_settings", code::kBadUserInput, "too many settings"};
    case TenantError::kInvalidSetting:
      return {"tenant.invalid_setting", code::kBadUserInput,
              "Invalid value for one or more tenant settings"};
    case TenantError::kWebhookUrlLoopback:
      return {"tenant.forbidden_url", code::kBadUserInput,
              RAFIKI_TENANT_FORBIDDEN_URL("WEBHOOK_URL", "loopback")};
    case TenantError::kWebhookUrlPrivate:
      return {"tenant.forbidden_url", code::kBadUserInput,
              RAFIKI_TENANT_FORBIDDEN_URL("WEBHOOK_URL", "private")};
    case TenantError::kWebhookUrlLinkLocal:
      return {"tenant.forbidden_url", code::kBadUserInput,
              RAFIKI_TENANT_FORBIDDEN_URL("WEBHOOK_URL", "link-local or metadata")};
    case TenantError::kWebhookUrlReserved:
      return {"tenant.forbidden_url", code::kBadUserInput,
              RAFIKI_TENANT_FORBIDDEN_URL("WEBHOOK_URL", "reserved")};
    case TenantError::kExchangeRatesUrlLoopback:
      return {"tenant.forbidden_url", code::kBadUserInput,
              RAFIKI_TENANT_FORBIDDEN_URL("EXCHANGE_RATES_URL", "loopback")};
    case TenantError::kExchangeRatesUrlPrivate:
      return {"tenant.forbidden_url", code::kBadUserInput,
              RAFIKI_TENANT_FORBIDDEN_URL("EXCHANGE_RATES_URL", "private")};
    case TenantError::kExchangeRatesUrlLinkLocal:
      return {"tenant.forbidden_url", code::kBadUserInput,
              RAFIKI_TENANT_FORBIDDEN_URL("EXCHANGE_RATES_URL", "link-local or metadata")};
    case TenantError::kExchangeRatesUrlReserved:
      return {"tenant.forbidden_url", code::kBadUserInput,
              RAFIKI_TENANT_FORBIDDEN_URL("EXCHANGE_RATES_URL", "reserved")};
    case TenantError::kDuplicateWalletAddressUrl:
      return {"tenant.duplicate_wallet_address_url", code::kBadUserInput,
              "Wallet Address Url already exists"};
    case TenantError::kDuplicate:
      return {"tenant.duplicate", code::kDuplicate, "Tenant already exists"};
    case TenantError::kNotFound:
      return {"tenant.not_found", code::kNotFound, "Tenant not found"};
    case TenantError::kAuthService:
      return {"tenant.auth_service", code::kInternal, "Could not create tenant in the auth service"};
    case TenantError::kOperatorTenant:
      return {"tenant.operator", code::kForbidden, "The operator tenant cannot be deleted"};
    case TenantError::kUpdateFailed:
      return {"tenant.update_failed", code::kNotFound, "failed to update tenant"};
    case TenantError::kDeleteFailed:
      return {"tenant.delete_failed", code::kNotFound, "failed to delete tenant"};
  }
  std::unreachable();
}

#undef RAFIKI_TENANT_FORBIDDEN_URL

}  // namespace rafiki::backend::tenant
