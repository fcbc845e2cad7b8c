// Liquidity: the ledger operations behind deposits and withdrawals of any liquidity account
// (asset, peer, wallet address, payments) against its asset's settlement account
// (reference/accounting.md §4-5), with upstream's transfer errors as values. Other domains use
// it for their accounts; the Admin API's liquidity mutations map TransferError to upstream's
// codes and exact messages (reference/admin-api.md §5, §9.3) with graphql_code() / message().
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

#include "backend/asset/model.h"
#include "backend/core/ledger_codes.h"
#include "base/errors.h"
#include "base/money.h"
#include "base/uuid.h"

namespace rafiki::backend {
struct Backend;
}

namespace rafiki::backend::liquidity {

// The ledger codes live in backend/core/ledger_codes.h (every domain with accounts uses them).
namespace account_code = backend::account_code;
namespace transfer_code = backend::transfer_code;

// Upstream's TransferError values plus LiquidityError's AmountZero. Each maps to one GraphQL
// code and one exact message.
enum class TransferError {
  kAlreadyPosted,              // CONFLICT "Transfer already posted"
  kAlreadyVoided,              // CONFLICT "Transfer already voided"
  kAmountZero,                 // FORBIDDEN "Transfer amount is zero"
  kDifferentAssets,            // FORBIDDEN "Transfer accounts have different assets"
  kInsufficientBalance,        // FORBIDDEN "Insufficient transfer balance"
  kInsufficientDebitBalance,   // FORBIDDEN "Insufficient transfer debit balance"
  kInsufficientLiquidity,      // FORBIDDEN "Insufficient transfer liquidity available"
  kInvalidAmount,              // BAD_USER_INPUT "Invalid transfer amount"
  kInvalidId,                  // BAD_USER_INPUT "Invalid transfer id"
  kInvalidTimeout,             // BAD_USER_INPUT "Invalid transfer timeout provided"
  kSameAccounts,               // FORBIDDEN "Transfer is between the same accounts"
  kTransferExists,             // DUPLICATE "Transfer already exists"
  kTransferExpired,            // FORBIDDEN "Transfer already expired"
  kUnknownTransfer,            // NOT_FOUND "Unknown transfer"
  kUnknownSourceAccount,       // NOT_FOUND "Unknown source account"
  kUnknownDestinationAccount,  // NOT_FOUND "Unknown destination account"
  kUnknownError,               // INTERNAL_SERVER_ERROR "Internal server error"
};

// Error::code of a TransferError ("transfer.<name>"), and back (nullopt for other errors).
std::string_view error_code(TransferError error);
std::optional<TransferError> transfer_error(const Error& error);
// An Error carrying `error` (code from error_code, message from message()).
Error make_error(TransferError error);
// The GraphQL extensions.code and the exact message upstream reports.
std::string_view graphql_code(TransferError error);
std::string_view message(TransferError error);

// Transfers may wait in pending state at most this long (the ledger stores a u32).
constexpr std::uint32_t kWithdrawalTimeoutSecondsMax = 0xFFFFFFFFu;

class LiquidityService {
 public:
  explicit LiquidityService(Backend& backend);

  // Creates a liquidity account (flag debits_must_not_exceed_credits) on `ledger` with `code`
  // (account_code). Succeeds when it already exists with the same ledger and code.
  boost::asio::awaitable<Result<void>> create_account(Uuid id, std::uint32_t ledger,
                                                      std::uint16_t code);

  // settlement → account, single-phase, transfer id `transfer_id`. Fails with a TransferError
  // (kAmountZero, kTransferExists, kUnknownDestinationAccount, ...) or an infrastructure error.
  boost::asio::awaitable<Result<void>> deposit(Uuid account_id, const asset::Asset& asset,
                                               money::u128 amount, Uuid transfer_id);

  // account → settlement; pending for `timeout_seconds` when > 0, else single-phase.
  // kInsufficientBalance when the account's available balance is smaller than `amount`.
  boost::asio::awaitable<Result<void>> withdraw(Uuid account_id, const asset::Asset& asset,
                                                money::u128 amount, Uuid transfer_id,
                                                std::uint32_t timeout_seconds);

  // Posts / voids a pending withdrawal by its transfer id: kUnknownTransfer, kAlreadyPosted,
  // kAlreadyVoided, kTransferExpired.
  boost::asio::awaitable<Result<void>> post_withdrawal(Uuid id);
  boost::asio::awaitable<Result<void>> void_withdrawal(Uuid id);

  // Available balance (credits_posted − debits_posted − debits_pending); nullopt when the
  // account does not exist.
  boost::asio::awaitable<Result<std::optional<money::u128>>> balance(Uuid account_id);

 private:
  Backend& backend_;
};

}  // namespace rafiki::backend::liquidity
