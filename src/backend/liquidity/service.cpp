#include "backend/liquidity/service.h"

#include <array>
#include <utility>
#include <vector>

#include "backend/core/backend.h"
#include "ledger/ledger.h"

namespace rafiki::backend::liquidity {

namespace asio = boost::asio;
using ledger::CreateTransferResult;

namespace {

struct ErrorInfo {
  TransferError error;
  std::string_view code;
  std::string_view graphql_code;
  std::string_view message;
};

constexpr std::array kErrors{
    ErrorInfo{TransferError::kAlreadyPosted, "transfer.already_posted", "CONFLICT",
              "Transfer already posted"},
    ErrorInfo{TransferError::kAlreadyVoided, "transfer.already_voided", "CONFLICT",
              "Transfer already voided"},
    ErrorInfo{TransferError::kAmountZero, "transfer.amount_zero", "FORBIDDEN",
              "Transfer amount is zero"},
    ErrorInfo{TransferError::kDifferentAssets, "transfer.different_assets", "FORBIDDEN",
              "Transfer accounts have different assets"},
    ErrorInfo{TransferError::kInsufficientBalance, "transfer.insufficient_balance", "FORBIDDEN",
              "Insufficient transfer balance"},
    ErrorInfo{TransferError::kInsufficientDebitBalance, "transfer.insufficient_debit_balance",
              "FORBIDDEN", "Insufficient transfer debit balance"},
    ErrorInfo{TransferError::kInsufficientLiquidity, "transfer.insufficient_liquidity",
              "FORBIDDEN", "Insufficient transfer liquidity available"},
    ErrorInfo{TransferError::kInvalidAmount, "transfer.invalid_amount", "BAD_USER_INPUT",
              "Invalid transfer amount"},
    ErrorInfo{TransferError::kInvalidId, "transfer.invalid_id", "BAD_USER_INPUT",
              "Invalid transfer id"},
    ErrorInfo{TransferError::kInvalidTimeout, "transfer.invalid_timeout", "BAD_USER_INPUT",
              "Invalid transfer timeout provided"},
    ErrorInfo{TransferError::kSameAccounts, "transfer.same_accounts", "FORBIDDEN",
              "Transfer is between the same accounts"},
    ErrorInfo{TransferError::kTransferExists, "transfer.exists", "DUPLICATE",
              "Transfer already exists"},
    ErrorInfo{TransferError::kTransferExpired, "transfer.expired", "FORBIDDEN",
              "Transfer already expired"},
    ErrorInfo{TransferError::kUnknownTransfer, "transfer.unknown", "NOT_FOUND",
              "Unknown transfer"},
    ErrorInfo{TransferError::kUnknownSourceAccount, "transfer.unknown_source_account",
              "NOT_FOUND", "Unknown source account"},
    ErrorInfo{TransferError::kUnknownDestinationAccount, "transfer.unknown_destination_account",
              "NOT_FOUND", "Unknown destination account"},
    ErrorInfo{TransferError::kUnknownError, "transfer.unknown_error", "INTERNAL_SERVER_ERROR",
              "Internal server error"},
};

const ErrorInfo& info(TransferError error) {
  for (const auto& e : kErrors) {
    if (e.error == error) return e;
  }
  return kErrors.back();
}

// The ledger's result for one transfer, as upstream maps TigerBeetle's codes.
TransferError from_ledger(CreateTransferResult result) {
  switch (result) {
    case CreateTransferResult::kExists:
    case CreateTransferResult::kExistsWithDifferentFields:
      return TransferError::kTransferExists;
    case CreateTransferResult::kIdMustNotBeZero:
      return TransferError::kInvalidId;
    case CreateTransferResult::kAmountMustNotBeZero:
      return TransferError::kInvalidAmount;
    case CreateTransferResult::kAccountsMustBeDifferent:
      return TransferError::kSameAccounts;
    case CreateTransferResult::kDebitAccountNotFound:
      return TransferError::kUnknownSourceAccount;
    case CreateTransferResult::kCreditAccountNotFound:
      return TransferError::kUnknownDestinationAccount;
    case CreateTransferResult::kAccountsMustHaveTheSameLedger:
    case CreateTransferResult::kTransferMustHaveTheSameLedgerAsAccounts:
      return TransferError::kDifferentAssets;
    case CreateTransferResult::kExceedsCredits:
      return TransferError::kInsufficientBalance;
    case CreateTransferResult::kExceedsDebits:
      return TransferError::kInsufficientDebitBalance;
    case CreateTransferResult::kPendingTransferNotFound:
    // Not a pending transfer, or not a withdrawal (post/void name kWithdrawal as their code):
    // there is no pending withdrawal with that id.
    case CreateTransferResult::kPendingTransferNotPending:
    case CreateTransferResult::kPendingTransferHasDifferentCode:
      return TransferError::kUnknownTransfer;
    case CreateTransferResult::kPendingTransferAlreadyPosted:
      return TransferError::kAlreadyPosted;
    case CreateTransferResult::kPendingTransferAlreadyVoided:
      return TransferError::kAlreadyVoided;
    case CreateTransferResult::kPendingTransferExpired:
      return TransferError::kTransferExpired;
    default:
      return TransferError::kUnknownError;
  }
}

}  // namespace

std::string_view error_code(TransferError error) { return info(error).code; }
std::string_view graphql_code(TransferError error) { return info(error).graphql_code; }
std::string_view message(TransferError error) { return info(error).message; }

Error make_error(TransferError error) {
  const auto& i = info(error);
  return Error{std::string(i.code), std::string(i.message)};
}

std::optional<TransferError> transfer_error(const Error& error) {
  for (const auto& e : kErrors) {
    if (e.code == error.code) return e.error;
  }
  return std::nullopt;
}

LiquidityService::LiquidityService(Backend& backend) : backend_(backend) {}

namespace {

// Submits one transfer and maps its result.
asio::awaitable<Result<void>> submit(ledger::Ledger& ledger, ledger::Transfer transfer) {
  auto transfers = std::vector<ledger::Transfer>{std::move(transfer)};
  auto results = co_await ledger.create_transfers(std::move(transfers));
  if (!results) co_return std::unexpected(results.error());
  if (results->empty() || results->front() == CreateTransferResult::kOk) {
    co_return Result<void>{};
  }
  co_return std::unexpected(make_error(from_ledger(results->front())));
}

}  // namespace

asio::awaitable<Result<void>> LiquidityService::create_account(Uuid id, std::uint32_t ledger_number,
                                                               std::uint16_t code) {
  ledger::Account account;
  account.id = id;
  account.ledger = ledger_number;
  account.code = code;
  account.flags = ledger::account_flags::kDebitsMustNotExceedCredits;
  auto accounts = std::vector<ledger::Account>{account};
  auto results = co_await backend_.ledger.create_accounts(std::move(accounts));
  if (!results) co_return std::unexpected(results.error());
  if (results->empty()) co_return Result<void>{};
  auto r = results->front();
  if (r == ledger::CreateAccountResult::kOk || r == ledger::CreateAccountResult::kExists) {
    co_return Result<void>{};
  }
  co_return fail("liquidity.account_conflict",
                 "ledger account " + id.str() + " not created: " +
                     std::string(ledger::name(r)));
}

asio::awaitable<Result<void>> LiquidityService::deposit(Uuid account_id, const asset::Asset& asset,
                                                        money::u128 amount, Uuid transfer_id) {
  if (amount == 0) co_return std::unexpected(make_error(TransferError::kAmountZero));
  if (transfer_id.is_nil()) co_return std::unexpected(make_error(TransferError::kInvalidId));
  ledger::Transfer t;
  t.id = transfer_id;
  t.debit_account_id = asset.settlement_account_id;
  t.credit_account_id = account_id;
  t.amount = amount;
  t.ledger = asset.ledger;
  t.code = transfer_code::kDeposit;
  t.kind = ledger::TransferKind::kSinglePhase;
  co_return co_await submit(backend_.ledger, std::move(t));
}

asio::awaitable<Result<void>> LiquidityService::withdraw(Uuid account_id, const asset::Asset& asset,
                                                         money::u128 amount, Uuid transfer_id,
                                                         std::uint32_t timeout_seconds) {
  if (amount == 0) co_return std::unexpected(make_error(TransferError::kAmountZero));
  if (transfer_id.is_nil()) co_return std::unexpected(make_error(TransferError::kInvalidId));
  ledger::Transfer t;
  t.id = transfer_id;
  t.debit_account_id = account_id;
  t.credit_account_id = asset.settlement_account_id;
  t.amount = amount;
  t.ledger = asset.ledger;
  t.code = transfer_code::kWithdrawal;
  t.kind = timeout_seconds > 0 ? ledger::TransferKind::kPending : ledger::TransferKind::kSinglePhase;
  t.timeout_seconds = timeout_seconds;
  co_return co_await submit(backend_.ledger, std::move(t));
}

namespace {

asio::awaitable<Result<void>> resolve_pending(ledger::Ledger& ledger, Uuid id,
                                              ledger::TransferKind kind) {
  if (id.is_nil()) co_return std::unexpected(make_error(TransferError::kInvalidId));
  ledger::Transfer t;
  t.id = Uuid::v4();
  t.pending_id = id;
  t.kind = kind;
  // Only withdrawals may be posted or voided here: a pending transfer of another kind (a
  // packet's, a local payment's) answers "has different code", reported as unknown.
  t.code = transfer_code::kWithdrawal;
  co_return co_await submit(ledger, std::move(t));
}

}  // namespace

asio::awaitable<Result<void>> LiquidityService::post_withdrawal(Uuid id) {
  co_return co_await resolve_pending(backend_.ledger, id, ledger::TransferKind::kPostPending);
}

asio::awaitable<Result<void>> LiquidityService::void_withdrawal(Uuid id) {
  co_return co_await resolve_pending(backend_.ledger, id, ledger::TransferKind::kVoidPending);
}

asio::awaitable<Result<std::optional<money::u128>>> LiquidityService::balance(Uuid account_id) {
  auto account = co_await backend_.ledger.balances(account_id);
  if (!account) co_return std::unexpected(account.error());
  if (!*account) co_return std::optional<money::u128>{};
  co_return std::optional<money::u128>{(*account)->available().value_or(0)};
}

}  // namespace rafiki::backend::liquidity
