// Rafiki's codes on the ledger (reference/accounting.md §2, §4): what kind of account an account
// is, and what kind of movement a transfer is. Every domain that owns ledger accounts uses them.
#pragma once

#include <cstdint>

namespace rafiki::backend {

// Ledger account codes (reference/accounting.md §2).
namespace account_code {
constexpr std::uint16_t kWalletAddress = 1;
constexpr std::uint16_t kAssetLiquidity = 2;
constexpr std::uint16_t kPeer = 3;
constexpr std::uint16_t kIncomingPayment = 4;
constexpr std::uint16_t kOutgoingPayment = 5;
constexpr std::uint16_t kSettlement = 101;
}  // namespace account_code

// Ledger transfer codes (reference/accounting.md §4).
namespace transfer_code {
constexpr std::uint16_t kTransfer = 1;
constexpr std::uint16_t kDeposit = 2;
constexpr std::uint16_t kWithdrawal = 3;
}  // namespace transfer_code

}  // namespace rafiki::backend
