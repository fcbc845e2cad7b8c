// Wallet addresses and their keys as the backend holds them (reference/admin-api.md §9.4,
// open-payments.md §7.1–7.2): plain values, the domain's limits, and WalletAddressError with its
// table of GraphQL codes and upstream's exact messages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/core/admin.h"
#include "backend/core/domain_error.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::backend::wallet_address {

// Limits.
constexpr std::size_t kUrlBytesMax = 2048;  // a wallet address URL, after joining
constexpr std::size_t kPublicNameBytesMax = 1024;
constexpr std::size_t kAdditionalPropertiesMax = 100;      // per wallet address
constexpr std::size_t kAdditionalPropertyBytesMax = 1024;  // each key and each value
constexpr std::size_t kKeysPerWalletAddressMax = 100;      // non-revoked keys
constexpr int kTriggerEventsLimitMax = 1000;               // triggerWalletAddressEvents(limit)

// The tenant setting that holds the base URL of a tenant's wallet addresses.
inline constexpr std::string_view kSettingWalletAddressUrl = "WALLET_ADDRESS_URL";

struct AdditionalProperty {
  std::string key;
  std::string value;
  bool visible_in_open_payments = false;
};

struct WalletAddress {
  Uuid id;
  Uuid tenant_id;
  Uuid asset_id;
  std::string url;  // lower-cased
  std::optional<std::string> public_name;
  std::optional<TimePoint> deactivated_at;
  TimePoint created_at;

  // Active while never deactivated or deactivated in the future.
  bool active(TimePoint now) const { return !deactivated_at || *deactivated_at > now; }
};

struct WalletAddressKey {
  Uuid id;
  Uuid wallet_address_id;
  std::string kid;
  std::string x;  // base64url of the 32-byte Ed25519 public key
  bool revoked = false;
  TimePoint created_at;
};

// What Open Payments publishes of one wallet address: its row, its additional properties visible
// in Open Payments (in order) and its non-revoked keys (oldest first).
struct PublicRecord {
  Uuid id;
  Uuid tenant_id;
  Uuid asset_id;
  std::optional<std::string> public_name;
  std::optional<TimePoint> deactivated_at;
  std::vector<std::pair<std::string, std::string>> properties;  // key, value
  std::vector<std::pair<std::string, std::string>> keys;        // kid, x
};

// A wallet address due for a wallet_address.web_monetization event (triggerWalletAddressEvents).
struct DueWalletAddress {
  Uuid id;
  Uuid tenant_id;
  Uuid asset_id;
  TimePoint created_at;
  money::u128 total_events_amount = 0;  // what earlier events already reported
};

// The messages below spell out these limits.
static_assert(kAdditionalPropertiesMax == 100 && kAdditionalPropertyBytesMax == 1024 &&
              kPublicNameBytesMax == 1024 && kKeysPerWalletAddressMax == 100 &&
              kTriggerEventsLimitMax == 1000);

enum class WalletAddressError {
  kInvalidUrl,
  kUnknownAsset,         // createWalletAddress: no such asset of the tenant
  kUnknown,              // no such wallet address (of the tenant)
  kNotFound,             // Query.walletAddress: none the caller may read
  kDuplicate,            // another wallet address has the URL
  kSettingNotFound,      // the tenant has no WALLET_ADDRESS_URL
  kTooManyProperties,
  kPropertyTooLong,
  kPublicNameTooLong,
  kInvalidEventsLimit,   // triggerWalletAddressEvents(limit) outside 1..kTriggerEventsLimitMax
  kInvalidJwk,           // createWalletAddressKey without a jwk
  kDuplicateKey,         // a non-revoked key with that kid exists
  kTooManyKeys,
  kUnknownKey,
  kAssetNotFound,        // WalletAddress.asset
  kInvalidTransferId,    // createWalletAddressWithdrawal
  kInvalidTransferTimeout,
  kNoLiquidityAccount,
  kAmountZero,
  kWithdrawalUnknownAsset,
};

// The wallet address domain's error table (docs/architecture.md, "The domain template").
constexpr ErrorDescription describe(WalletAddressError error) {
  using E = WalletAddressError;
  switch (error) {
    case E::kInvalidUrl:
      return {"wallet_address.invalid_url", code::kBadUserInput, "invalid url"};
    case E::kUnknownAsset:
      return {"wallet_address.unknown_asset", code::kBadUserInput, "unknown asset"};
    case E::kUnknown:
      return {"wallet_address.unknown", code::kNotFound, "Unknown wallet address"};
    case E::kNotFound:
      return {"wallet_address.not_found", code::kNotFound, "unknown wallet address"};
    case E::kDuplicate:
      return {"wallet_address.duplicate", code::kDuplicate,
              "Duplicate wallet address found with the same url"};
    case E::kSettingNotFound:
      return {"wallet_address.setting_not_found", code::kNotFound,
              "Setting for wallet address has not been found."};
    case E::kTooManyProperties:
      return {"wallet_address.too_many_properties", code::kBadUserInput,
              "at most 100 additional properties"};
    case E::kPropertyTooLong:
      return {"wallet_address.property_too_long", code::kBadUserInput,
              "additional property keys and values are limited to 1024 bytes"};
    case E::kPublicNameTooLong:
      return {"wallet_address.public_name_too_long", code::kBadUserInput,
              "publicName is limited to 1024 bytes"};
    case E::kInvalidEventsLimit:
      return {"wallet_address.invalid_events_limit", code::kBadUserInput,
              "limit must be between 1 and 1000"};
    case E::kInvalidJwk:
      return {"wallet_address.invalid_jwk", code::kBadUserInput, "invalid JWK"};
    case E::kDuplicateKey:
      return {"wallet_address.duplicate_key", code::kDuplicate, "Key already exists"};
    case E::kTooManyKeys:
      return {"wallet_address.too_many_keys", code::kBadUserInput,
              "a wallet address has at most 100 active keys"};
    case E::kUnknownKey:
      return {"wallet_address.unknown_key", code::kNotFound, "Wallet address key not found"};
    case E::kAssetNotFound:
      return {"wallet_address.asset_not_found", code::kNotFound, "Asset not found"};
    case E::kInvalidTransferId:
      return {"wallet_address.invalid_transfer_id", code::kBadUserInput, "Invalid transfer id"};
    case E::kInvalidTransferTimeout:
      return {"wallet_address.invalid_transfer_timeout", code::kBadUserInput,
              "Invalid transfer timeout provided"};
    case E::kNoLiquidityAccount:
      return {"wallet_address.no_liquidity_account", code::kInternal,
              "Could not find liquidity account for wallet address"};
    case E::kAmountZero:
      return {"wallet_address.amount_zero", code::kForbidden, "Transfer amount is zero"};
    case E::kWithdrawalUnknownAsset:
      return {"wallet_address.withdrawal_unknown_asset", code::kNotFound, "Unknown asset"};
  }
  std::unreachable();
}

}  // namespace rafiki::backend::wallet_address
