// Wallet addresses and their keys as the backend holds them (reference/admin-api.md §9.4,
// open-payments.md §7.1–7.2): plain values, the domain's error codes and its limits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Error codes (mapped to GraphQL codes and upstream's messages in resolvers.cpp).
inline constexpr std::string_view kErrorInvalidUrl = "wallet_address.invalid_url";
inline constexpr std::string_view kErrorUnknownAsset = "wallet_address.unknown_asset";
inline constexpr std::string_view kErrorUnknown = "wallet_address.unknown";
inline constexpr std::string_view kErrorDuplicate = "wallet_address.duplicate";
inline constexpr std::string_view kErrorSettingNotFound = "wallet_address.setting_not_found";
inline constexpr std::string_view kErrorInvalidInput = "wallet_address.invalid_input";
inline constexpr std::string_view kErrorDuplicateKey = "wallet_address.duplicate_key";
inline constexpr std::string_view kErrorUnknownKey = "wallet_address.unknown_key";
inline constexpr std::string_view kErrorInvalidKey = "wallet_address.invalid_key";
inline constexpr std::string_view kErrorTooManyKeys = "wallet_address.too_many_keys";

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

}  // namespace rafiki::backend::wallet_address
