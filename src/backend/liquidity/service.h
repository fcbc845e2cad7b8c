// The liquidity domain's rules: the ledger operations behind deposits and withdrawals of any
// liquidity account against its asset's settlement account, posting and voiding pending
// withdrawals, balances, and the Admin API's asset liquidity and accountingTransfers with their
// tenant scoping. Uses the ledger, the asset domain (the asset a mutation names) and its store.
// Other domains use it for their own accounts (peer, wallet address, connector).
//
// Reads and account creation answer Result: only broken infrastructure (or, for
// create_account, a broken invariant) makes them fail. Money movements answer Outcome.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>

#include "backend/asset/service.h"
#include "backend/core/domain_error.h"
#include "backend/liquidity/model.h"
#include "backend/liquidity/store.h"
#include "base/errors.h"
#include "base/money.h"
#include "base/uuid.h"
#include "ledger/ledger.h"

namespace rafiki::backend::liquidity {

class LiquidityService {
 public:
  LiquidityService(LiquidityStore store, ledger::Ledger& ledger, asset::AssetService& assets)
      : store_(std::move(store)), ledger_(ledger), assets_(assets) {}

  // Creates a liquidity account (flag debits_must_not_exceed_credits) on `ledger` with `code`
  // (account_code). Succeeds when it already exists with the same ledger and code; an account
  // with that id and another ledger or code fails ("liquidity.account_conflict").
  boost::asio::awaitable<Result<void>> create_account(Uuid id, std::uint32_t ledger,
                                                      std::uint16_t code);

  // settlement → account, single-phase, transfer id `transfer_id`: kAmountZero, kInvalidId (nil
  // id), kTransferExists, kUnknownDestinationAccount, ...
  boost::asio::awaitable<Outcome<void, LiquidityError>> deposit(Uuid account_id,
                                                                const asset::Asset& asset,
                                                                money::u128 amount,
                                                                Uuid transfer_id);
  // account → settlement; pending for `timeout_seconds` when > 0, else single-phase.
  // kInsufficientBalance when the account's available balance is smaller than `amount`.
  boost::asio::awaitable<Outcome<void, LiquidityError>> withdraw(Uuid account_id,
                                                                 const asset::Asset& asset,
                                                                 money::u128 amount,
                                                                 Uuid transfer_id,
                                                                 std::uint32_t timeout_seconds);

  // Posts / voids a pending withdrawal by its transfer id: kInvalidId (nil), kUnknownTransfer,
  // kAlreadyPosted, kAlreadyVoided, kTransferExpired. With a tenant scope, only a withdrawal
  // from that tenant's account (another's is kUnknownTransfer; upstream lets any tenant resolve
  // any withdrawal).
  boost::asio::awaitable<Outcome<void, LiquidityError>> post_withdrawal(
      Uuid id, std::optional<Uuid> tenant_scope = std::nullopt);
  boost::asio::awaitable<Outcome<void, LiquidityError>> void_withdrawal(
      Uuid id, std::optional<Uuid> tenant_scope = std::nullopt);

  // Available balance (credits_posted − debits_posted − debits_pending); nullopt when the
  // account does not exist.
  boost::asio::awaitable<Result<std::optional<money::u128>>> balance(Uuid account_id);

  // A deposit into / withdrawal from an asset's own liquidity account (Admin API).
  struct AssetTransfer {
    Uuid asset_id;                     // nil when the request named none
    std::optional<Uuid> tenant_scope;  // the asset must be this tenant's; nullopt: any
    money::u128 amount = 0;
    Uuid transfer_id;                 // nil when the request's id is not a UUIDv4
    money::u128 timeout_seconds = 0;  // withdrawals: pending when > 0
  };
  // Checked in upstream's order: kAmountZero, kUnknownAsset, kInvalidId, (withdrawals)
  // kInvalidTimeout above kWithdrawalTimeoutSecondsMax; then as deposit / withdraw.
  boost::asio::awaitable<Outcome<void, LiquidityError>> deposit_to_asset(AssetTransfer transfer);
  boost::asio::awaitable<Outcome<void, LiquidityError>> withdraw_from_asset(AssetTransfer transfer);

  // Posted and still-pending transfers of a ledger account, oldest first, up to `limit` on each
  // side: kInvalidLimit outside 1..kAccountingTransfersMax. An account of another tenant than
  // `tenant_scope` (when given), like an unknown one or the nil id, has none (upstream has no
  // tenant check).
  boost::asio::awaitable<Outcome<AccountTransfers, LiquidityError>> accounting_transfers(
      Uuid account, std::optional<Uuid> tenant_scope, std::int64_t limit);

 private:
  // Whether the account belongs to `tenant_scope` (always, without a scope).
  boost::asio::awaitable<Result<bool>> in_scope(Uuid account, std::optional<Uuid> tenant_scope);
  boost::asio::awaitable<Outcome<void, LiquidityError>> resolve_withdrawal(
      Uuid id, std::optional<Uuid> tenant_scope, ledger::TransferKind kind);
  // The asset an AssetTransfer names, after its amount check.
  boost::asio::awaitable<Outcome<asset::Asset, LiquidityError>> named_asset(
      const AssetTransfer& transfer);
  boost::asio::awaitable<Outcome<void, LiquidityError>> submit(ledger::Transfer transfer);

  LiquidityStore store_;
  ledger::Ledger& ledger_;
  asset::AssetService& assets_;
};

}  // namespace rafiki::backend::liquidity
