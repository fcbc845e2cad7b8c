// The ledger: double-entry accounts and two-phase transfers on PostgreSQL with TigerBeetle's
// semantics (model.h), batched for throughput. Concurrent create_transfers calls are gathered
// (up to kBatchTransfersMax transfers, waiting at most kGatherWindow for company) and applied
// by one SQL function call: one round trip, one transaction, account rows locked in id order so
// batches from any number of processes never deadlock. A caller is answered after its batch
// committed, with one result code per transfer of its own; a failed transfer changes nothing.
//
// A Ledger is a cheap handle (copies share the batcher); every method may be called from any
// coroutine on any thread at once. The schema is migrations/backend/0001_ledger.sql; the batch
// function as it is now, 0008_ledger_store_before_locking.sql.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "base/errors.h"
#include "base/uuid.h"
#include "ledger/model.h"
#include "store/pg.h"

namespace rafiki::ledger {

// Limits.
constexpr std::size_t kBatchTransfersMax = 8190;   // transfers per SQL call (as TigerBeetle)
constexpr std::size_t kCallTransfersMax = kBatchTransfersMax;  // per create_transfers call
constexpr std::size_t kCallAccountsMax = 8190;     // per create_accounts call
constexpr std::size_t kLookupIdsMax = 8190;        // per lookup call
// How long the batcher waits for more callers once the first one arrived, before it sends the
// batch (at once when full). Under load, callers also gather while batches are in flight.
constexpr std::chrono::microseconds kGatherWindow{200};
constexpr int kBatchesInFlightMax = 2;    // SQL calls running at once per Ledger
// A queue of at least twice this many transfers is sent as two batches when a slot is free.
constexpr std::size_t kBatchSplitTransfersMin = 64;
constexpr int kBatchAttemptsMax = 5;      // a batch rolled back by a race is re-run this often
// Batches skip looking up stored transfers with their ids (retries are rare); once a batch met
// one (it fails on the primary key and runs again, looking), batches look for this long.
constexpr std::chrono::seconds kCheckExistingAfterHit{2};
constexpr std::size_t kSweepTransfersMax = 1000;  // expired pendings released per SQL call

// Error codes (besides the store's "pg.*" ones, passed through).
inline constexpr std::string_view kLedgerErrorTooMany = "ledger.too_many";  // over a *Max
// The database failed or the connection was lost while a batch ran: its outcome is unknown.
// Retrying the same transfers is safe (idempotent): applied ones answer `exists`.
inline constexpr std::string_view kLedgerErrorUnavailable = "ledger.unavailable";

struct LedgerState;

class Ledger {
 public:
  // Uses `pool` (its database must have the ledger migration applied); batches run on
  // `executor`.
  Ledger(boost::asio::any_io_executor executor, store::PgPool pool);

  // One result per account, in order. Fails with kLedgerErrorTooMany (more than
  // kCallAccountsMax) or a database error (nothing created).
  boost::asio::awaitable<Result<std::vector<CreateAccountResult>>> create_accounts(
      std::vector<Account> accounts);

  // One result per transfer, in order; answered once the batch holding them committed. Fails
  // with kLedgerErrorTooMany (more than kCallTransfersMax; nothing applied) or
  // kLedgerErrorUnavailable (outcome unknown; retry with the same ids).
  boost::asio::awaitable<Result<std::vector<CreateTransferResult>>> create_transfers(
      std::vector<Transfer> transfers);

  // The accounts / transfers that exist among `ids`, in the order of `ids` (missing ones are
  // left out). Fails with kLedgerErrorTooMany or a database error.
  boost::asio::awaitable<Result<std::vector<Account>>> lookup_accounts(std::vector<Uuid> ids);
  boost::asio::awaitable<Result<std::vector<Transfer>>> lookup_transfers(std::vector<Uuid> ids);

  // One account with its balances; nullopt when it does not exist.
  boost::asio::awaitable<Result<std::optional<Account>>> balances(Uuid account_id);

  // Releases pending transfers whose timeout has passed (their amounts leave the pending
  // balances; posting one afterwards answers pending_transfer_expired). Returns how many.
  boost::asio::awaitable<Result<std::size_t>> sweep_expired();

  // Calls sweep_expired every `interval` until stop(); logs failures and carries on.
  boost::asio::awaitable<void> run_sweeper(std::chrono::milliseconds interval);
  void stop();

 private:
  std::shared_ptr<LedgerState> state_;
};

}  // namespace rafiki::ledger
