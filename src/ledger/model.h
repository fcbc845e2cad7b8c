// The ledger's data model: TigerBeetle's accounts and transfers (DESIGN.md §5). Amounts and
// balances are unsigned 128-bit; ids are caller-chosen UUIDs (the nil UUID is "zero"). Result
// codes name TigerBeetle's; their numeric values are shared with the SQL functions in
// migrations/backend/0001_ledger.sql, so never renumber one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/money.h"
#include "base/time.h"
#include "base/uuid.h"

namespace rafiki::ledger {

using money::u128;

// Account flags (TigerBeetle's bits).
namespace account_flags {
constexpr std::uint32_t kLinked = 1;  // this account succeeds or fails with the next one
constexpr std::uint32_t kDebitsMustNotExceedCredits = 2;
constexpr std::uint32_t kCreditsMustNotExceedDebits = 4;
constexpr std::uint32_t kAll = kLinked | kDebitsMustNotExceedCredits | kCreditsMustNotExceedDebits;
}  // namespace account_flags

struct Account {
  Uuid id;
  std::uint32_t ledger = 0;  // the asset; 0 is refused
  std::uint16_t code = 0;    // the account's type; 0 is refused
  std::uint32_t flags = 0;   // account_flags
  // Balances: set by lookups, ignored (must be zero) on creation.
  u128 debits_pending = 0;
  u128 debits_posted = 0;
  u128 credits_pending = 0;
  u128 credits_posted = 0;

  // What a liquidity account can spend: credits_posted − debits_posted − debits_pending
  // (nullopt when that would be negative, which its flags forbid).
  std::optional<u128> available() const;
};

enum class TransferKind : std::uint8_t {
  kSinglePhase,  // posted at once
  kPending,      // reserves the amount until posted, voided or expired (timeout_seconds > 0)
  kPostPending,  // posts pending_id: the full amount (amount 0 or kU128Max) or part of it
  kVoidPending,  // voids pending_id (amount 0 or the pending amount)
};

enum class TransferState : std::uint8_t {
  kFinal,    // single-phase, post or void record
  kPending,  // pending, not resolved yet
  kPosted,   // pending, then posted
  kVoided,   // pending, then voided
  kExpired,  // pending, then expired (released by the sweeper)
};

struct Transfer {
  Uuid id;
  // For post/void: nil = the pending transfer's (if given, must match it).
  Uuid debit_account_id;
  Uuid credit_account_id;
  u128 amount = 0;
  Uuid pending_id;            // post/void only
  std::uint32_t ledger = 0;   // post/void: 0 = the pending transfer's
  std::uint16_t code = 0;     // post/void: 0 = the pending transfer's
  TransferKind kind = TransferKind::kSinglePhase;
  bool linked = false;        // succeeds or fails together with the next transfer of the call
  std::uint32_t timeout_seconds = 0;  // pending only; 0 = never expires
  // Set by lookups.
  TransferState state = TransferState::kFinal;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> created_at;
};

enum class CreateAccountResult : std::uint8_t {
  kOk = 0,
  kLinkedEventFailed = 1,
  kLinkedEventChainOpen = 2,
  kIdMustNotBeZero = 3,
  kFlagsAreMutuallyExclusive = 4,
  kLedgerMustNotBeZero = 12,
  kCodeMustNotBeZero = 13,
  kExistsWithDifferentFields = 30,
  kExists = 31,
  kBalancesMustBeZero = 41,
};

enum class CreateTransferResult : std::uint8_t {
  kOk = 0,
  kLinkedEventFailed = 1,
  kLinkedEventChainOpen = 2,
  kIdMustNotBeZero = 3,
  kDebitAccountIdMustNotBeZero = 5,
  kCreditAccountIdMustNotBeZero = 6,
  kAccountsMustBeDifferent = 7,
  kPendingIdMustBeZero = 8,
  kPendingIdMustNotBeZero = 9,
  kPendingIdMustBeDifferent = 10,
  kTimeoutReservedForPendingTransfer = 11,
  kLedgerMustNotBeZero = 12,
  kCodeMustNotBeZero = 13,
  kAmountMustNotBeZero = 14,
  kDebitAccountNotFound = 15,
  kCreditAccountNotFound = 16,
  kAccountsMustHaveTheSameLedger = 17,
  kTransferMustHaveTheSameLedgerAsAccounts = 18,
  kPendingTransferNotFound = 19,
  kPendingTransferNotPending = 20,
  kPendingTransferHasDifferentDebitAccountId = 21,
  kPendingTransferHasDifferentCreditAccountId = 22,
  kPendingTransferHasDifferentLedger = 23,
  kPendingTransferHasDifferentCode = 24,
  kExceedsPendingTransferAmount = 25,
  kPendingTransferHasDifferentAmount = 26,
  kPendingTransferAlreadyPosted = 27,
  kPendingTransferAlreadyVoided = 28,
  kPendingTransferExpired = 29,
  kExistsWithDifferentFields = 30,
  kExists = 31,
  kOverflowsDebitsPending = 32,
  kOverflowsCreditsPending = 33,
  kOverflowsDebitsPosted = 34,
  kOverflowsCreditsPosted = 35,
  kOverflowsDebits = 36,
  kOverflowsCredits = 37,
  kExceedsCredits = 39,
  kExceedsDebits = 40,
};

// TigerBeetle's snake_case name ("exceeds_credits"); "unknown" for a value not listed.
std::string_view name(CreateTransferResult result);
std::string_view name(CreateAccountResult result);

// The SQL function's integer, or nullopt when it is not a known code.
std::optional<CreateTransferResult> transfer_result_from_code(int code);
std::optional<CreateAccountResult> account_result_from_code(int code);

}  // namespace rafiki::ledger
