// Assets: a currency (code + scale) owned by a tenant, with its own ledger number and the two
// ledger accounts every asset has — liquidity (account id = asset id) and settlement
// (settlement_account_id). Assets are soft-deleted (deleted_at) so their ledger history stays.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "backend/core/admin.h"
#include "backend/core/domain_error.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::backend::asset {

// Ledger numbers are a PostgreSQL smallint, as upstream's smallserial.
constexpr std::uint32_t kLedgerMin = 1;
constexpr std::uint32_t kLedgerMax = 32767;
// Scales are a UInt8 in the schema.
constexpr int kScaleMax = 255;

struct Asset {
  Uuid id;
  std::string code;
  int scale = 0;
  std::uint32_t ledger = 0;
  Uuid settlement_account_id;
  Uuid tenant_id;
  std::optional<money::u128> withdrawal_threshold;
  std::optional<money::u128> liquidity_threshold;
  TimePoint created_at;
  std::optional<TimePoint> deleted_at;
};

struct CreateAsset {
  Uuid tenant_id;
  std::string code;
  int scale = 0;
  std::optional<money::u128> withdrawal_threshold;
  std::optional<money::u128> liquidity_threshold;
};

struct UpdateAsset {
  Uuid id;
  Uuid tenant_id;  // the asset must belong to this tenant
  // Absent: unchanged; null: cleared (upstream clears an absent threshold too).
  Patch<money::u128> withdrawal_threshold;
  Patch<money::u128> liquidity_threshold;
};

enum class AssetError {
  kUnknown,           // absent, soft-deleted or another tenant's
  kDuplicate,         // a live asset of the tenant has that code and scale
  kInUse,             // a peer or wallet address references it
  kUnknownTenant,     // create: no such live tenant
  kInvalidScale,      // create: outside 0..kScaleMax
  kLedgersExhausted,  // create: every ledger number kLedgerMin..kLedgerMax is taken
};

// The asset domain's error table (docs/architecture.md, "The domain template").
constexpr ErrorDescription describe(AssetError error) {
  switch (error) {
    case AssetError::kUnknown:
      return {"asset.unknown", code::kNotFound, "Asset not found"};
    case AssetError::kDuplicate:
      return {"asset.duplicate", code::kDuplicate, "Asset already exists"};
    case AssetError::kInUse:
      return {"asset.in_use", code::kForbidden, "Cannot delete! Asset in use."};
    case AssetError::kUnknownTenant:
      return {"asset.unknown_tenant", code::kNotFound, "Tenant not found"};
    case AssetError::kInvalidScale:
      return {"asset.invalid_scale", code::kBadUserInput, "scale out of range"};
    case AssetError::kLedgersExhausted:
      // Answered as any internal error (the service logs it).
      return {"asset.ledgers_exhausted", code::kInternal, "Internal server error"};
  }
  std::unreachable();
}

}  // namespace rafiki::backend::asset
