#include "backend/liquidity/service.h"

#include <utility>
#include <vector>

namespace rafiki::backend::liquidity {

namespace asio = boost::asio;
using ledger::CreateTransferResult;

std::optional<LiquidityError> transfer_error(const Error& error) {
  for (int i = 0; i <= static_cast<int>(kLiquidityErrorLast); ++i) {
    const auto candidate = static_cast<LiquidityError>(i);
    if (describe(candidate).name == error.code) return candidate;
  }
  return std::nullopt;
}

Error to_error(const Failure<LiquidityError>& failure) {
  if (!failure.is_domain()) return failure.infrastructure();
  const ErrorDescription d = describe(failure.domain());
  return Error{std::string(d.name), std::string(d.message)};
}

namespace {

// The ledger's result for one transfer, as upstream maps TigerBeetle's codes.
// clang-format off
LiquidityError from_ledger(CreateTransferResult result) {
  using R = CreateTransferResult;
  switch (result) {
    case R::kExists:
    case R::kExistsWithDifferentFields: return LiquidityError::kTransferExists;
    case R::kIdMustNotBeZero: return LiquidityError::kInvalidId;
    case R::kAmountMustNotBeZero: return LiquidityError::kInvalidAmount;
    case R::kAccountsMustBeDifferent: return LiquidityError::kSameAccounts;
    case R::kDebitAccountNotFound: return LiquidityError::kUnknownSourceAccount;
    case R::kCreditAccountNotFound: return LiquidityError::kUnknownDestinationAccount;
    case R::kAccountsMustHaveTheSameLedger:
    case R::kTransferMustHaveTheSameLedgerAsAccounts: return LiquidityError::kDifferentAssets;
    case R::kExceedsCredits: return LiquidityError::kInsufficientBalance;
    case R::kExceedsDebits: return LiquidityError::kInsufficientDebitBalance;
    // Not a pending transfer, or not a withdrawal (post/void name kWithdrawal as their code):
    // there is no pending withdrawal with that id.
    case R::kPendingTransferNotFound:
    case R::kPendingTransferNotPending:
    case R::kPendingTransferHasDifferentCode: return LiquidityError::kUnknownTransfer;
    case R::kPendingTransferAlreadyPosted: return LiquidityError::kAlreadyPosted;
    case R::kPendingTransferAlreadyVoided: return LiquidityError::kAlreadyVoided;
    case R::kPendingTransferExpired: return LiquidityError::kTransferExpired;
    default: return LiquidityError::kUnknownError;
  }
}
// clang-format on

}  // namespace

asio::awaitable<Outcome<void, LiquidityError>> LiquidityService::submit(ledger::Transfer transfer) {
  auto transfers = std::vector<ledger::Transfer>{std::move(transfer)};
  auto results = co_await ledger_.create_transfers(std::move(transfers));
  if (!results) co_return pass_on<LiquidityError>(results.error());
  if (results->empty() || results->front() == CreateTransferResult::kOk) {
    co_return Outcome<void, LiquidityError>{};
  }
  co_return fail_with(from_ledger(results->front()));
}

asio::awaitable<Result<void>> LiquidityService::create_account(Uuid id, std::uint32_t ledger_number,
                                                               std::uint16_t code) {
  ledger::Account account;
  account.id = id;
  account.ledger = ledger_number;
  account.code = code;
  account.flags = ledger::account_flags::kDebitsMustNotExceedCredits;
  auto accounts = std::vector<ledger::Account>{account};
  auto results = co_await ledger_.create_accounts(std::move(accounts));
  if (!results) co_return std::unexpected(results.error());
  if (results->empty()) co_return Result<void>{};
  auto r = results->front();
  if (r == ledger::CreateAccountResult::kOk || r == ledger::CreateAccountResult::kExists) {
    co_return Result<void>{};
  }
  co_return fail("liquidity.account_conflict",
                 "ledger account " + id.str() + " not created: " + std::string(ledger::name(r)));
}

asio::awaitable<Outcome<void, LiquidityError>> LiquidityService::deposit(Uuid account_id,
                                                                         const asset::Asset& asset,
                                                                         money::u128 amount,
                                                                         Uuid transfer_id) {
  if (amount == 0) co_return fail_with(LiquidityError::kAmountZero);
  if (transfer_id.is_nil()) co_return fail_with(LiquidityError::kInvalidId);
  ledger::Transfer t;
  t.id = transfer_id;
  t.debit_account_id = asset.settlement_account_id;
  t.credit_account_id = account_id;
  t.amount = amount;
  t.ledger = asset.ledger;
  t.code = transfer_code::kDeposit;
  t.kind = ledger::TransferKind::kSinglePhase;
  co_return co_await submit(std::move(t));
}

asio::awaitable<Outcome<void, LiquidityError>> LiquidityService::withdraw(
    Uuid account_id, const asset::Asset& asset, money::u128 amount, Uuid transfer_id,
    std::uint32_t timeout_seconds) {
  if (amount == 0) co_return fail_with(LiquidityError::kAmountZero);
  if (transfer_id.is_nil()) co_return fail_with(LiquidityError::kInvalidId);
  ledger::Transfer t;
  t.id = transfer_id;
  t.debit_account_id = account_id;
  t.credit_account_id = asset.settlement_account_id;
  t.amount = amount;
  t.ledger = asset.ledger;
  t.code = transfer_code::kWithdrawal;
  t.kind =
      timeout_seconds > 0 ? ledger::TransferKind::kPending : ledger::TransferKind::kSinglePhase;
  t.timeout_seconds = timeout_seconds;
  co_return co_await submit(std::move(t));
}

asio::awaitable<Result<bool>> LiquidityService::in_scope(Uuid account,
                                                         std::optional<Uuid> tenant_scope) {
  if (!tenant_scope) co_return true;
  auto owner = co_await store_.account_owner(account);
  if (!owner) co_return std::unexpected(owner.error());
  co_return *owner&&** owner == *tenant_scope;
}

asio::awaitable<Outcome<void, LiquidityError>> LiquidityService::resolve_withdrawal(
    Uuid id, std::optional<Uuid> tenant_scope, ledger::TransferKind kind) {
  if (id.is_nil()) co_return fail_with(LiquidityError::kInvalidId);
  if (tenant_scope) {
    auto ids = std::vector<Uuid>{id};
    auto found = co_await ledger_.lookup_transfers(std::move(ids));
    if (!found) co_return pass_on<LiquidityError>(found.error());
    if (found->empty()) co_return fail_with(LiquidityError::kUnknownTransfer);
    auto ours = co_await in_scope(found->front().debit_account_id, tenant_scope);
    if (!ours) co_return pass_on<LiquidityError>(ours.error());
    if (!*ours) co_return fail_with(LiquidityError::kUnknownTransfer);
  }
  ledger::Transfer t;
  t.id = Uuid::v4();
  t.pending_id = id;
  t.kind = kind;
  // Only withdrawals may be posted or voided here: a pending transfer of another kind (a
  // packet's, a local payment's) answers "has different code", reported as unknown.
  t.code = transfer_code::kWithdrawal;
  co_return co_await submit(std::move(t));
}

asio::awaitable<Outcome<void, LiquidityError>> LiquidityService::post_withdrawal(
    Uuid id, std::optional<Uuid> tenant_scope) {
  co_return co_await resolve_withdrawal(id, tenant_scope, ledger::TransferKind::kPostPending);
}

asio::awaitable<Outcome<void, LiquidityError>> LiquidityService::void_withdrawal(
    Uuid id, std::optional<Uuid> tenant_scope) {
  co_return co_await resolve_withdrawal(id, tenant_scope, ledger::TransferKind::kVoidPending);
}

asio::awaitable<Result<std::optional<money::u128>>> LiquidityService::balance(Uuid account_id) {
  auto account = co_await ledger_.balances(account_id);
  if (!account) co_return std::unexpected(account.error());
  if (!*account) co_return std::optional<money::u128>{};
  co_return std::optional<money::u128>{(*account)->available().value_or(0)};
}

asio::awaitable<Outcome<asset::Asset, LiquidityError>> LiquidityService::named_asset(
    const AssetTransfer& transfer) {
  if (transfer.amount == 0) co_return fail_with(LiquidityError::kAmountZero);
  auto asset = co_await assets_.get_in_scope(transfer.asset_id, transfer.tenant_scope);
  if (!asset) co_return pass_on<LiquidityError>(asset.error());
  if (!*asset) co_return fail_with(LiquidityError::kUnknownAsset);
  if (transfer.transfer_id.is_nil()) co_return fail_with(LiquidityError::kInvalidId);
  co_return std::move(**asset);
}

asio::awaitable<Outcome<void, LiquidityError>> LiquidityService::deposit_to_asset(
    AssetTransfer transfer) {
  auto asset = co_await named_asset(transfer);
  if (!asset) co_return std::unexpected(asset.error());
  co_return co_await deposit(asset->id, *asset, transfer.amount, transfer.transfer_id);
}

asio::awaitable<Outcome<void, LiquidityError>> LiquidityService::withdraw_from_asset(
    AssetTransfer transfer) {
  auto asset = co_await named_asset(transfer);
  if (!asset) co_return std::unexpected(asset.error());
  if (transfer.timeout_seconds > kWithdrawalTimeoutSecondsMax) {
    co_return fail_with(LiquidityError::kInvalidTimeout);
  }
  co_return co_await withdraw(asset->id, *asset, transfer.amount, transfer.transfer_id,
                              static_cast<std::uint32_t>(transfer.timeout_seconds));
}

asio::awaitable<Outcome<AccountTransfers, LiquidityError>> LiquidityService::accounting_transfers(
    Uuid account, std::optional<Uuid> tenant_scope, std::int64_t limit) {
  if (limit < 1 || limit > kAccountingTransfersMax) {
    co_return fail_with(LiquidityError::kInvalidLimit);
  }
  AccountTransfers out;
  if (account.is_nil()) co_return out;
  auto ours = co_await in_scope(account, tenant_scope);
  if (!ours) co_return pass_on<LiquidityError>(ours.error());
  if (!*ours) co_return out;
  auto debits = co_await store_.transfers(account, LiquidityStore::Side::kDebit, limit);
  if (!debits) co_return pass_on<LiquidityError>(debits.error());
  auto credits = co_await store_.transfers(account, LiquidityStore::Side::kCredit, limit);
  if (!credits) co_return pass_on<LiquidityError>(credits.error());
  out.debits = std::move(*debits);
  out.credits = std::move(*credits);
  co_return out;
}

}  // namespace rafiki::backend::liquidity
