#include "ledger/model.h"

#include <array>
#include <utility>

namespace rafiki::ledger {

std::optional<u128> Account::available() const {
  auto spent = money::add(debits_posted, debits_pending);
  if (!spent) return std::nullopt;
  return money::sub(credits_posted, *spent);
}

namespace {

using T = CreateTransferResult;
constexpr std::array<std::pair<T, std::string_view>, 39> kTransferNames{{
    {T::kOk, "ok"},
    {T::kLinkedEventFailed, "linked_event_failed"},
    {T::kLinkedEventChainOpen, "linked_event_chain_open"},
    {T::kIdMustNotBeZero, "id_must_not_be_zero"},
    {T::kDebitAccountIdMustNotBeZero, "debit_account_id_must_not_be_zero"},
    {T::kCreditAccountIdMustNotBeZero, "credit_account_id_must_not_be_zero"},
    {T::kAccountsMustBeDifferent, "accounts_must_be_different"},
    {T::kPendingIdMustBeZero, "pending_id_must_be_zero"},
    {T::kPendingIdMustNotBeZero, "pending_id_must_not_be_zero"},
    {T::kPendingIdMustBeDifferent, "pending_id_must_be_different"},
    {T::kTimeoutReservedForPendingTransfer, "timeout_reserved_for_pending_transfer"},
    {T::kLedgerMustNotBeZero, "ledger_must_not_be_zero"},
    {T::kCodeMustNotBeZero, "code_must_not_be_zero"},
    {T::kAmountMustNotBeZero, "amount_must_not_be_zero"},
    {T::kDebitAccountNotFound, "debit_account_not_found"},
    {T::kCreditAccountNotFound, "credit_account_not_found"},
    {T::kAccountsMustHaveTheSameLedger, "accounts_must_have_the_same_ledger"},
    {T::kTransferMustHaveTheSameLedgerAsAccounts, "transfer_must_have_the_same_ledger_as_accounts"},
    {T::kPendingTransferNotFound, "pending_transfer_not_found"},
    {T::kPendingTransferNotPending, "pending_transfer_not_pending"},
    {T::kPendingTransferHasDifferentDebitAccountId, "pending_transfer_has_different_debit_account_id"},
    {T::kPendingTransferHasDifferentCreditAccountId,
     "pending_transfer_has_different_credit_account_id"},
    {T::kPendingTransferHasDifferentLedger, "pending_transfer_has_different_ledger"},
    {T::kPendingTransferHasDifferentCode, "pending_transfer_has_different_code"},
    {T::kExceedsPendingTransferAmount, "exceeds_pending_transfer_amount"},
    {T::kPendingTransferHasDifferentAmount, "pending_transfer_has_different_amount"},
    {T::kPendingTransferAlreadyPosted, "pending_transfer_already_posted"},
    {T::kPendingTransferAlreadyVoided, "pending_transfer_already_voided"},
    {T::kPendingTransferExpired, "pending_transfer_expired"},
    {T::kExistsWithDifferentFields, "exists_with_different_fields"},
    {T::kExists, "exists"},
    {T::kOverflowsDebitsPending, "overflows_debits_pending"},
    {T::kOverflowsCreditsPending, "overflows_credits_pending"},
    {T::kOverflowsDebitsPosted, "overflows_debits_posted"},
    {T::kOverflowsCreditsPosted, "overflows_credits_posted"},
    {T::kOverflowsDebits, "overflows_debits"},
    {T::kOverflowsCredits, "overflows_credits"},
    {T::kExceedsCredits, "exceeds_credits"},
    {T::kExceedsDebits, "exceeds_debits"},
}};

using A = CreateAccountResult;
constexpr std::array<std::pair<A, std::string_view>, 10> kAccountNames{{
    {A::kOk, "ok"},
    {A::kLinkedEventFailed, "linked_event_failed"},
    {A::kLinkedEventChainOpen, "linked_event_chain_open"},
    {A::kIdMustNotBeZero, "id_must_not_be_zero"},
    {A::kFlagsAreMutuallyExclusive, "flags_are_mutually_exclusive"},
    {A::kLedgerMustNotBeZero, "ledger_must_not_be_zero"},
    {A::kCodeMustNotBeZero, "code_must_not_be_zero"},
    {A::kExistsWithDifferentFields, "exists_with_different_fields"},
    {A::kExists, "exists"},
    {A::kBalancesMustBeZero, "balances_must_be_zero"},
}};

template <class E, std::size_t N>
std::string_view lookup_name(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [value, text] : table) {
    if (value == e) return text;
  }
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> lookup_code(const std::array<std::pair<E, std::string_view>, N>& table, int code) {
  for (const auto& entry : table) {
    if (static_cast<int>(entry.first) == code) return entry.first;
  }
  return std::nullopt;
}

}  // namespace

std::string_view name(CreateTransferResult result) { return lookup_name(kTransferNames, result); }
std::string_view name(CreateAccountResult result) { return lookup_name(kAccountNames, result); }

std::optional<CreateTransferResult> transfer_result_from_code(int code) {
  return lookup_code(kTransferNames, code);
}
std::optional<CreateAccountResult> account_result_from_code(int code) {
  return lookup_code(kAccountNames, code);
}

}  // namespace rafiki::ledger
