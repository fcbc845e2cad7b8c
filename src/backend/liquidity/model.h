// Liquidity: deposits into and withdrawals from any liquidity account (asset, peer, wallet
// address, payments) against its asset's settlement account (reference/accounting.md §4-5),
// and the ledger's transfers of an account as the Admin API lists them (accountingTransfers).
// Upstream's transfer errors are LiquidityError values with their exact codes and messages
// (reference/admin-api.md §5, §9.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend/core/admin.h"
#include "backend/core/domain_error.h"
#include "backend/core/ledger_codes.h"
#include "base/errors.h"
#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::backend::liquidity {

// The ledger codes live in backend/core/ledger_codes.h (every domain with accounts uses them).
namespace account_code = backend::account_code;
namespace transfer_code = backend::transfer_code;

// Transfers may wait in pending state at most this long (the ledger stores a u32).
constexpr std::uint32_t kWithdrawalTimeoutSecondsMax = 0xFFFFFFFFu;
// accountingTransfers: transfers listed per side when `limit` is not given, and at most.
constexpr std::int64_t kAccountingTransfersDefault = 20;
constexpr std::int64_t kAccountingTransfersMax = 1000;

// Upstream's TransferError values plus LiquidityError's AmountZero, UnknownAsset and the
// accountingTransfers limit.
enum class LiquidityError {
  kAlreadyPosted,
  kAlreadyVoided,
  kAmountZero,
  kDifferentAssets,
  kInsufficientBalance,
  kInsufficientDebitBalance,
  kInsufficientLiquidity,
  kInvalidAmount,
  kInvalidId,
  kInvalidTimeout,
  kSameAccounts,
  kTransferExists,
  kTransferExpired,
  kUnknownTransfer,
  kUnknownSourceAccount,
  kUnknownDestinationAccount,
  kUnknownError,
  kUnknownAsset,  // the asset a liquidity mutation names: unknown, deleted or another tenant's
  kInvalidLimit,  // accountingTransfers' limit outside 1..kAccountingTransfersMax
};
constexpr LiquidityError kLiquidityErrorLast = LiquidityError::kInvalidLimit;

// The liquidity domain's error table (docs/architecture.md, "The domain template"). The names
// of upstream's transfer errors are the Error codes they had before ("transfer.exists", which
// callers still carrying Error match on).
constexpr ErrorDescription describe(LiquidityError error) {
  switch (error) {
    case LiquidityError::kAlreadyPosted:
      return {"transfer.already_posted", code::kConflict, "Transfer already posted"};
    case LiquidityError::kAlreadyVoided:
      return {"transfer.already_voided", code::kConflict, "Transfer already voided"};
    case LiquidityError::kAmountZero:
      return {"transfer.amount_zero", code::kForbidden, "Transfer amount is zero"};
    case LiquidityError::kDifferentAssets:
      return {"transfer.different_assets", code::kForbidden,
              "Transfer accounts have different assets"};
    case LiquidityError::kInsufficientBalance:
      return {"transfer.insufficient_balance", code::kForbidden, "Insufficient transfer balance"};
    case LiquidityError::kInsufficientDebitBalance:
      return {"transfer.insufficient_debit_balance", code::kForbidden,
              "Insufficient transfer debit balance"};
    case LiquidityError::kInsufficientLiquidity:
      return {"transfer.insufficient_liquidity", code::kForbidden,
              "Insufficient transfer liquidity available"};
    case LiquidityError::kInvalidAmount:
      return {"transfer.invalid_amount", code::kBadUserInput, "Invalid transfer amount"};
    case LiquidityError::kInvalidId:
      return {"transfer.invalid_id", code::kBadUserInput, "Invalid transfer id"};
    case LiquidityError::kInvalidTimeout:
      return {"transfer.invalid_timeout", code::kBadUserInput, "Invalid transfer timeout provided"};
    case LiquidityError::kSameAccounts:
      return {"transfer.same_accounts", code::kForbidden, "Transfer is between the same accounts"};
    case LiquidityError::kTransferExists:
      return {"transfer.exists", code::kDuplicate, "Transfer already exists"};
    case LiquidityError::kTransferExpired:
      return {"transfer.expired", code::kForbidden, "Transfer already expired"};
    case LiquidityError::kUnknownTransfer:
      return {"transfer.unknown", code::kNotFound, "Unknown transfer"};
    case LiquidityError::kUnknownSourceAccount:
      return {"transfer.unknown_source_account", code::kNotFound, "Unknown source account"};
    case LiquidityError::kUnknownDestinationAccount:
      return {"transfer.unknown_destination_account", code::kNotFound,
              "Unknown destination account"};
    case LiquidityError::kUnknownError:
      return {"transfer.unknown_error", code::kInternal, "Internal server error"};
    case LiquidityError::kUnknownAsset:
      return {"liquidity.unknown_asset", code::kNotFound, "Unknown asset"};
    case LiquidityError::kInvalidLimit:
      return {"liquidity.invalid_limit", code::kBadUserInput, "limit must be between 1 and 1000"};
  }
  std::unreachable();
}
static_assert(kAccountingTransfersMax == 1000, "the kInvalidLimit message names the bound");

// --- For domains that still carry failures as Error (the peer domain, until converted) ----
// A LiquidityError travels as Error{describe(e).name, describe(e).message}; transfer_error()
// reads it back (nullopt for any other Error).
using TransferError = LiquidityError;
std::optional<LiquidityError> transfer_error(const Error& error);
inline std::string_view graphql_code(LiquidityError error) {
  return describe(error).graphql_code;
}
inline std::string_view message(LiquidityError error) {
  return describe(error).message;
}
Error to_error(const Failure<LiquidityError>& failure);
template <class T>
Result<T> to_result(Outcome<T, LiquidityError> outcome) {
  if (!outcome) return std::unexpected(to_error(outcome.error()));
  if constexpr (std::is_void_v<T>) {
    return Result<void>{};
  } else {
    return std::move(*outcome);
  }
}
// -------------------------------------------------------------------------------------------

// What a ledger transfer is, by its code (reference/accounting.md §4).
enum class TransferType { kDeposit, kWithdrawal, kTransfer };

// A transfer of an account as accountingTransfers lists it.
struct AccountTransfer {
  Uuid id;
  Uuid debit_account_id;
  Uuid credit_account_id;
  money::u128 amount = 0;
  TransferType type = TransferType::kTransfer;
  std::int64_t ledger = 0;
  TimePoint created_at;
  bool pending = false;  // else posted
  std::optional<TimePoint> expires_at;
};

// Posted and still-pending transfers of one account, oldest first.
struct AccountTransfers {
  std::vector<AccountTransfer> debits;
  std::vector<AccountTransfer> credits;
};

}  // namespace rafiki::backend::liquidity
