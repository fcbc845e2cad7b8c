// Fees: per-asset sending and receiving fees (a fixed amount plus basis points of the amount),
// kept as a history — setting a fee inserts a row, and the newest row of each type is the fee
// in force. Quotes use FeeService::active_fee(asset, kSending) (reference/admin-api.md §9.1).
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "backend/core/admin.h"
#include "backend/core/domain_error.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::backend::fee {

constexpr int kBasisPointsMax = 10'000;  // 100 %
// Fees are UInt64 in the Admin schema.
constexpr money::u128 kFixedFeeMax = 0xFFFF'FFFF'FFFF'FFFFull;

enum class FeeType { kSending, kReceiving };

std::string_view to_string(FeeType type);  // "SENDING" / "RECEIVING"
std::optional<FeeType> parse_fee_type(std::string_view text);

struct Fee {
  Uuid id;
  Uuid asset_id;
  FeeType type = FeeType::kSending;
  money::u128 fixed = 0;
  int basis_points = 0;
  TimePoint created_at;
};

enum class FeeError { kUnknownAsset, kInvalidType, kInvalidBasisPoints, kInvalidFixed };

// The fee domain's error table (docs/architecture.md, "The domain template").
constexpr ErrorDescription describe(FeeError error) {
  switch (error) {
    case FeeError::kUnknownAsset:
      return {"fee.unknown_asset", code::kNotFound, "Unknown asset"};
    case FeeError::kInvalidType:
      return {"fee.invalid_type", code::kBadUserInput, "invalid fee"};
    case FeeError::kInvalidBasisPoints:
      return {"fee.invalid_basis_points", code::kBadUserInput,
              "Basis point fee must be between 0 and 10000"};
    case FeeError::kInvalidFixed:
      return {"fee.invalid_fixed", code::kBadUserInput,
              "Fixed fee must be greater than or equal to 0"};
  }
  std::unreachable();
}

}  // namespace rafiki::backend::fee
