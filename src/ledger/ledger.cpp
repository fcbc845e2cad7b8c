#include "ledger/ledger.h"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

#include "store/pg_binary.h"

namespace rafiki::ledger {

namespace asio = boost::asio;

namespace {

// Transfer flags as stored (TigerBeetle's bits).
constexpr int kFlagLinked = 1;
constexpr int kFlagPending = 2;
constexpr int kFlagPost = 4;
constexpr int kFlagVoid = 8;

using Results = std::vector<CreateTransferResult>;

// A caller waiting for its results: resumed on its own executor, never inline on the
// batcher's strand.
class Waiter {
 public:
  virtual ~Waiter() = default;
  virtual void complete(Result<Results> result) = 0;
};

template <class Handler>
class HandlerWaiter final : public Waiter {
 public:
  explicit HandlerWaiter(Handler handler) : handler_(std::move(handler)) {}
  void complete(Result<Results> result) override {
    auto executor = asio::get_associated_executor(handler_);
    asio::post(executor, [h = std::move(handler_), r = std::move(result)]() mutable {
      std::move(h)(std::move(r));
    });
  }

 private:
  Handler handler_;
};

// "{0,31,NULL}" → integers; nullopt if malformed.
std::optional<std::vector<int>> parse_int_array(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return std::nullopt;
  std::vector<int> out;
  text = text.substr(1, text.size() - 2);
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    int value = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (ec != std::errc() || end != item.data() + item.size()) return std::nullopt;
    out.push_back(value);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

bool is_post_or_void(TransferKind kind) {
  return kind == TransferKind::kPostPending || kind == TransferKind::kVoidPending;
}

int stored_flags(const Transfer& t) {
  int flags = t.linked ? kFlagLinked : 0;
  switch (t.kind) {
    case TransferKind::kSinglePhase: break;
    case TransferKind::kPending: flags |= kFlagPending; break;
    case TransferKind::kPostPending: flags |= kFlagPost; break;
    case TransferKind::kVoidPending: flags |= kFlagVoid; break;
  }
  return flags;
}

// What the transfer's own fields already say, in TigerBeetle's order (0 = nothing wrong).
int precheck(const Transfer& t, bool last_of_call) {
  using R = CreateTransferResult;
  R r = R::kOk;
  if (t.linked && last_of_call) {
    r = R::kLinkedEventChainOpen;
  } else if (t.id.is_nil()) {
    r = R::kIdMustNotBeZero;
  } else if (is_post_or_void(t.kind)) {
    if (t.pending_id.is_nil()) {
      r = R::kPendingIdMustNotBeZero;
    } else if (t.pending_id == t.id) {
      r = R::kPendingIdMustBeDifferent;
    } else if (t.timeout_seconds != 0) {
      r = R::kTimeoutReservedForPendingTransfer;
    }
  } else if (t.debit_account_id.is_nil()) {
    r = R::kDebitAccountIdMustNotBeZero;
  } else if (t.credit_account_id.is_nil()) {
    r = R::kCreditAccountIdMustNotBeZero;
  } else if (t.debit_account_id == t.credit_account_id) {
    r = R::kAccountsMustBeDifferent;
  } else if (!t.pending_id.is_nil()) {
    r = R::kPendingIdMustBeZero;
  } else if (t.kind == TransferKind::kSinglePhase && t.timeout_seconds != 0) {
    r = R::kTimeoutReservedForPendingTransfer;
  } else if (t.ledger == 0) {
    r = R::kLedgerMustNotBeZero;
  } else if (t.code == 0) {
    r = R::kCodeMustNotBeZero;
  } else if (t.amount == 0) {
    r = R::kAmountMustNotBeZero;
  }
  return static_cast<int>(r);
}

bool is_retryable(const Error& error) {
  return error.code == store::kPgUniqueViolation || error.code == store::kPgDeadlockDetected ||
         error.code == store::kPgSerializationFailure;
}

constexpr std::string_view kCreateTransfersSql =
    "SELECT ledger_create_transfers($1::uuid[], $2::uuid[], $3::uuid[], $4::numeric[], "
    "$5::uuid[], $6::bigint[], $7::integer[], $8::integer[], $9::bigint[], $10::boolean[], "
    "$11::integer[], $12::integer[], $13::integer[], $14::integer[], $15::boolean)";

constexpr std::string_view kCreateAccountsSql =
    "SELECT ledger_create_accounts($1::uuid[], $2::bigint[], $3::integer[], $4::integer[], "
    "$5::boolean[], $6::integer[])";

struct Call {
  std::vector<Transfer> transfers;
  std::unique_ptr<Waiter> waiter;
};

}  // namespace

struct LedgerState : std::enable_shared_from_this<LedgerState> {
  LedgerState(asio::any_io_executor executor, store::PgPool db)
      : strand(asio::make_strand(executor)), pool(std::move(db)), gather_timer(strand),
        slot_timer(strand) {}

  asio::strand<asio::any_io_executor> strand;
  store::PgPool pool;
  // Guarded by the strand.
  std::deque<Call> queue;
  std::size_t queued_transfers = 0;
  int in_flight = 0;
  bool loop_running = false;
  asio::steady_timer gather_timer;
  asio::steady_timer slot_timer;
  // Until then batches look up stored transfers with their ids first (a batch met one lately).
  std::chrono::steady_clock::time_point check_existing_until{};
  std::atomic<bool> stopped{false};

  void enqueue(Call call) {
    queued_transfers += call.transfers.size();
    queue.push_back(std::move(call));
    if (!loop_running) {
      loop_running = true;
      asio::co_spawn(strand, gather_loop(shared_from_this()), asio::detached);
    } else if (queued_transfers >= kBatchTransfersMax) {
      gather_timer.cancel();
    }
  }

  static asio::awaitable<void> gather_loop(std::shared_ptr<LedgerState> self) {
    boost::system::error_code ec;
    while (!self->queue.empty()) {
      if (self->queued_transfers < kBatchTransfersMax) {
        self->gather_timer.expires_after(kGatherWindow);
        co_await self->gather_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      while (self->in_flight >= kBatchesInFlightMax) {
        self->slot_timer.expires_at(asio::steady_timer::time_point::max());
        co_await self->slot_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      // With another slot free, send half of a long queue now and the rest right after: the
      // second batch prepares in the server while the first holds the accounts, and the two
      // halves' callers come back at different times, so batches keep alternating instead of
      // gathering every caller into one batch at a time.
      std::size_t take = kBatchTransfersMax;
      if (self->in_flight + 1 < kBatchesInFlightMax &&
          self->queued_transfers >= 2 * kBatchSplitTransfersMin) {
        take = std::min(take, (self->queued_transfers + 1) / 2);
      }
      std::vector<Call> batch;
      std::size_t count = 0;
      while (!self->queue.empty() &&
             (count == 0 || count + self->queue.front().transfers.size() <= take) &&
             count + self->queue.front().transfers.size() <= kBatchTransfersMax) {
        count += self->queue.front().transfers.size();
        batch.push_back(std::move(self->queue.front()));
        self->queue.pop_front();
      }
      self->queued_transfers -= count;
      ++self->in_flight;
      asio::co_spawn(self->strand, run_batch(self, std::move(batch)), asio::detached);
    }
    self->loop_running = false;
  }

  static asio::awaitable<void> run_batch(std::shared_ptr<LedgerState> self,
                                         std::vector<Call> batch) {
    Result<std::vector<int>> codes = co_await apply(*self, batch);
    std::size_t offset = 0;
    for (Call& call : batch) {
      std::size_t n = call.transfers.size();
      if (!codes) {
        call.waiter->complete(std::unexpected(codes.error()));
        continue;
      }
      Results mine;
      mine.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        mine.push_back(static_cast<CreateTransferResult>((*codes)[offset + i]));
      }
      offset += n;
      call.waiter->complete(std::move(mine));
    }
    --self->in_flight;
    self->slot_timer.cancel();
  }

  // Builds the arrays of one batch and runs the SQL function; one code per transfer.
  static asio::awaitable<Result<std::vector<int>>> apply(LedgerState& self,
                                                         const std::vector<Call>& batch) {
    std::size_t n = 0;
    for (const Call& call : batch) n += call.transfers.size();
    // Binary arrays: the server copies them instead of parsing text (a large share of a
    // batch's time when the arrays were text).
    using store::PgBinaryArray;
    using store::PgElement;
    PgBinaryArray ids(PgElement::kUuid, n), debits(PgElement::kUuid, n),
        credits(PgElement::kUuid, n), amounts(PgElement::kNumeric, n),
        pending_ids(PgElement::kUuid, n), ledgers(PgElement::kInt8, n),
        codes(PgElement::kInt4, n), flags(PgElement::kInt4, n), timeouts(PgElement::kInt8, n),
        links(PgElement::kBool, n), prechecks(PgElement::kInt4, n),
        prev_same_id(PgElement::kInt4, n), prev_same_pending(PgElement::kInt4, n),
        batch_pending(PgElement::kInt4, n);
    std::unordered_map<Uuid, int> last_by_id;       // 1-based positions
    std::unordered_map<Uuid, int> last_by_pending;  // post/void by pending id
    last_by_id.reserve(n);
    int position = 0;
    for (const Call& call : batch) {
      for (std::size_t k = 0; k < call.transfers.size(); ++k) {
        const Transfer& t = call.transfers[k];
        bool last = k + 1 == call.transfers.size();
        ++position;
        bool resolves = is_post_or_void(t.kind);
        ids.add_uuid(t.id);
        debits.add_uuid(t.debit_account_id);
        credits.add_uuid(t.credit_account_id);
        if (resolves && (t.amount == 0 || t.amount == money::kU128Max)) {
          amounts.add_null();
        } else {
          amounts.add_numeric(t.amount);
        }
        pending_ids.add_uuid(t.pending_id);
        ledgers.add_int8(t.ledger);
        codes.add_int4(t.code);
        flags.add_int4(stored_flags(t));
        timeouts.add_int8(t.timeout_seconds);
        links.add_bool(t.linked && !last);
        prechecks.add_int4(precheck(t, last));

        std::optional<int> prev;
        if (auto it = last_by_id.find(t.id); it != last_by_id.end()) prev = it->second;
        prev_same_id.add_optional_int4(prev);
        std::optional<int> prev_pending;
        std::optional<int> defined;
        if (resolves && !t.pending_id.is_nil()) {
          if (auto it = last_by_pending.find(t.pending_id); it != last_by_pending.end()) {
            prev_pending = it->second;
          }
          if (auto it = last_by_id.find(t.pending_id); it != last_by_id.end()) {
            defined = it->second;
          }
          last_by_pending[t.pending_id] = position;
        }
        prev_same_pending.add_optional_int4(prev_pending);
        batch_pending.add_optional_int4(defined);
        last_by_id[t.id] = position;
      }
    }
    std::vector<store::PgParam> params;
    params.reserve(15);
    params.push_back(std::move(ids).finish());
    params.push_back(std::move(debits).finish());
    params.push_back(std::move(credits).finish());
    params.push_back(std::move(amounts).finish());
    params.push_back(std::move(pending_ids).finish());
    params.push_back(std::move(ledgers).finish());
    params.push_back(std::move(codes).finish());
    params.push_back(std::move(flags).finish());
    params.push_back(std::move(timeouts).finish());
    params.push_back(std::move(links).finish());
    params.push_back(std::move(prechecks).finish());
    params.push_back(std::move(prev_same_id).finish());
    params.push_back(std::move(prev_same_pending).finish());
    params.push_back(std::move(batch_pending).finish());
    // Retries are rare, so a batch normally skips looking up stored transfers with its ids; one
    // that meets such an id fails on the primary key as a whole and runs again, looking.
    const std::size_t check_param = params.size();
    bool check_existing = std::chrono::steady_clock::now() < self.check_existing_until;
    params.emplace_back(check_existing);

    for (int attempt = 1;; ++attempt) {
      Result<store::PgResult> result =
          co_await self.pool.query_params(std::string(kCreateTransfersSql), params);
      if (!result) {
        if (result.error().code == store::kPgUniqueViolation) {
          check_existing = true;
          params[check_param] = store::PgParam(true);
          self.check_existing_until = std::chrono::steady_clock::now() + kCheckExistingAfterHit;
        }
        if (attempt < kBatchAttemptsMax && is_retryable(result.error())) continue;
        spdlog::warn("ledger: batch of {} transfers failed: {}: {}", n, result.error().code,
                     result.error().message);
        co_return fail(std::string(kLedgerErrorUnavailable),
                       "the ledger's database failed (" + result.error().code +
                           "); the outcome of these transfers is unknown");
      }
      auto parsed = result->rows() == 1 ? parse_int_array(result->row(0).text(0))
                                        : std::optional<std::vector<int>>();
      if (!parsed || parsed->size() != n) {
        co_return fail(std::string(kLedgerErrorUnavailable), "malformed batch result");
      }
      co_return std::move(*parsed);
    }
  }
};

Ledger::Ledger(asio::any_io_executor executor, store::PgPool pool)
    : state_(std::make_shared<LedgerState>(std::move(executor), std::move(pool))) {}

asio::awaitable<Result<std::vector<CreateTransferResult>>> Ledger::create_transfers(
    std::vector<Transfer> transfers) {
  if (transfers.size() > kCallTransfersMax) {
    co_return fail(std::string(kLedgerErrorTooMany),
                   "at most " + std::to_string(kCallTransfersMax) + " transfers per call");
  }
  if (transfers.empty()) co_return Results{};
  // Named values, not temporaries inside the co_await expression (g++ 12 destroys those twice).
  auto state = state_;
  auto initiation = [state](auto handler, std::vector<Transfer> items) {
    Call call{std::move(items),
              std::make_unique<HandlerWaiter<decltype(handler)>>(std::move(handler))};
    asio::post(state->strand, [state, call = std::move(call)]() mutable {
      state->enqueue(std::move(call));
    });
  };
  auto operation = asio::async_initiate<decltype(asio::use_awaitable), void(Result<Results>)>(
      std::move(initiation), asio::use_awaitable, std::move(transfers));
  co_return co_await std::move(operation);
}

asio::awaitable<Result<std::vector<CreateAccountResult>>> Ledger::create_accounts(
    std::vector<Account> accounts) {
  using R = CreateAccountResult;
  if (accounts.size() > kCallAccountsMax) {
    co_return fail(std::string(kLedgerErrorTooMany),
                   "at most " + std::to_string(kCallAccountsMax) + " accounts per call");
  }
  std::size_t n = accounts.size();
  if (n == 0) co_return std::vector<R>{};
  using store::PgBinaryArray;
  using store::PgElement;
  PgBinaryArray ids(PgElement::kUuid, n), ledgers(PgElement::kInt8, n),
      codes(PgElement::kInt4, n), flags(PgElement::kInt4, n), links(PgElement::kBool, n),
      prechecks(PgElement::kInt4, n);
  for (std::size_t i = 0; i < n; ++i) {
    const Account& a = accounts[i];
    bool last = i + 1 == n;
    bool linked = (a.flags & account_flags::kLinked) != 0;
    R r = R::kOk;
    if (linked && last) {
      r = R::kLinkedEventChainOpen;
    } else if (a.id.is_nil()) {
      r = R::kIdMustNotBeZero;
    } else if ((a.flags & account_flags::kDebitsMustNotExceedCredits) &&
               (a.flags & account_flags::kCreditsMustNotExceedDebits)) {
      r = R::kFlagsAreMutuallyExclusive;
    } else if (a.ledger == 0) {
      r = R::kLedgerMustNotBeZero;
    } else if (a.code == 0) {
      r = R::kCodeMustNotBeZero;
    } else if (a.debits_pending != 0 || a.debits_posted != 0 || a.credits_pending != 0 ||
               a.credits_posted != 0) {
      r = R::kBalancesMustBeZero;
    }
    ids.add_uuid(a.id);
    ledgers.add_int8(a.ledger);
    codes.add_int4(a.code);
    flags.add_int4(static_cast<std::int32_t>(a.flags & account_flags::kAll));
    links.add_bool(linked && !last);
    prechecks.add_int4(static_cast<int>(r));
  }
  std::vector<store::PgParam> params;
  params.push_back(std::move(ids).finish());
  params.push_back(std::move(ledgers).finish());
  params.push_back(std::move(codes).finish());
  params.push_back(std::move(flags).finish());
  params.push_back(std::move(links).finish());
  params.push_back(std::move(prechecks).finish());
  for (int attempt = 1;; ++attempt) {
    auto result = co_await state_->pool.query_params(std::string(kCreateAccountsSql), params);
    if (!result) {
      if (attempt < kBatchAttemptsMax && is_retryable(result.error())) continue;
      co_return std::unexpected(result.error());
    }
    auto parsed = result->rows() == 1 ? parse_int_array(result->row(0).text(0))
                                      : std::optional<std::vector<int>>();
    if (!parsed || parsed->size() != n) co_return fail("ledger.internal", "malformed result");
    std::vector<R> out;
    out.reserve(n);
    for (int code : *parsed) out.push_back(static_cast<R>(code));
    co_return out;
  }
}

namespace {

store::PgParam uuid_array(const std::vector<Uuid>& ids) {
  store::PgBinaryArray array(store::PgElement::kUuid, ids.size());
  for (const Uuid& id : ids) array.add_uuid(id);
  return std::move(array).finish();
}

template <class T>
std::vector<T> in_order(const std::vector<Uuid>& ids, std::unordered_map<Uuid, T> found) {
  std::vector<T> out;
  out.reserve(found.size());
  for (const Uuid& id : ids) {
    auto it = found.find(id);
    if (it == found.end()) continue;
    out.push_back(std::move(it->second));
    found.erase(it);
  }
  return out;
}

}  // namespace

asio::awaitable<Result<std::vector<Account>>> Ledger::lookup_accounts(std::vector<Uuid> ids) {
  if (ids.size() > kLookupIdsMax) {
    co_return fail(std::string(kLedgerErrorTooMany),
                   "at most " + std::to_string(kLookupIdsMax) + " ids per lookup");
  }
  auto rows = co_await state_->pool.query(
      "SELECT id, ledger, code, flags, debits_pending::text, debits_posted::text, "
      "credits_pending::text, credits_posted::text FROM ledger_accounts "
      "WHERE id = ANY($1::uuid[])",
      uuid_array(ids));
  if (!rows) co_return std::unexpected(rows.error());
  std::unordered_map<Uuid, Account> found;
  for (store::PgRow row : *rows) {
    Account a;
    a.id = row.get<Uuid>(0);
    a.ledger = static_cast<std::uint32_t>(row.get<std::int64_t>(1));
    a.code = static_cast<std::uint16_t>(row.get<std::int32_t>(2));
    a.flags = static_cast<std::uint32_t>(row.get<std::int32_t>(3));
    a.debits_pending = row.get<u128>(4);
    a.debits_posted = row.get<u128>(5);
    a.credits_pending = row.get<u128>(6);
    a.credits_posted = row.get<u128>(7);
    found.emplace(a.id, a);
  }
  co_return in_order(ids, std::move(found));
}

asio::awaitable<Result<std::vector<Transfer>>> Ledger::lookup_transfers(std::vector<Uuid> ids) {
  if (ids.size() > kLookupIdsMax) {
    co_return fail(std::string(kLedgerErrorTooMany),
                   "at most " + std::to_string(kLookupIdsMax) + " ids per lookup");
  }
  auto rows = co_await state_->pool.query(
      "SELECT id, debit_account_id, credit_account_id, amount::text, pending_id, ledger, code, "
      "flags, timeout_seconds, state, expires_at, created_at FROM ledger_transfers "
      "WHERE id = ANY($1::uuid[])",
      uuid_array(ids));
  if (!rows) co_return std::unexpected(rows.error());
  std::unordered_map<Uuid, Transfer> found;
  for (store::PgRow row : *rows) {
    Transfer t;
    t.id = row.get<Uuid>(0);
    t.debit_account_id = row.get<Uuid>(1);
    t.credit_account_id = row.get<Uuid>(2);
    t.amount = row.get<u128>(3);
    t.pending_id = row.get<std::optional<Uuid>>(4).value_or(Uuid{});
    t.ledger = static_cast<std::uint32_t>(row.get<std::int64_t>(5));
    t.code = static_cast<std::uint16_t>(row.get<std::int32_t>(6));
    int flags = row.get<std::int32_t>(7);
    t.linked = (flags & kFlagLinked) != 0;
    t.kind = (flags & kFlagPending)  ? TransferKind::kPending
             : (flags & kFlagPost)   ? TransferKind::kPostPending
             : (flags & kFlagVoid)   ? TransferKind::kVoidPending
                                     : TransferKind::kSinglePhase;
    t.timeout_seconds = static_cast<std::uint32_t>(row.get<std::int64_t>(8));
    int state = row.get<std::int32_t>(9);
    t.state = state >= 0 && state <= 4 ? static_cast<TransferState>(state) : TransferState::kFinal;
    t.expires_at = row.get<std::optional<TimePoint>>(10);
    t.created_at = row.get<std::optional<TimePoint>>(11);
    found.emplace(t.id, t);
  }
  co_return in_order(ids, std::move(found));
}

asio::awaitable<Result<std::optional<Account>>> Ledger::balances(Uuid account_id) {
  std::vector<Uuid> ids{account_id};
  auto accounts = co_await lookup_accounts(std::move(ids));
  if (!accounts) co_return std::unexpected(accounts.error());
  if (accounts->empty()) co_return std::optional<Account>();
  co_return std::optional<Account>(accounts->front());
}

asio::awaitable<Result<std::size_t>> Ledger::sweep_expired() {
  std::size_t total = 0;
  for (int attempt = 1;;) {
    auto rows = co_await state_->pool.query("SELECT ledger_expire_pending($1)",
                                            static_cast<int>(kSweepTransfersMax));
    if (!rows) {
      if (attempt++ < kBatchAttemptsMax && is_retryable(rows.error())) continue;
      co_return std::unexpected(rows.error());
    }
    auto n = static_cast<std::size_t>(rows->row(0).get<std::int32_t>(0));
    total += n;
    if (n < kSweepTransfersMax) co_return total;
  }
}

asio::awaitable<void> Ledger::run_sweeper(std::chrono::milliseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!state_->stopped.load()) {
    auto swept = co_await sweep_expired();
    if (!swept) {
      spdlog::warn("ledger: sweeping expired transfers failed: {}: {}", swept.error().code,
                   swept.error().message);
    } else if (*swept > 0) {
      spdlog::debug("ledger: released {} expired pending transfers", *swept);
    }
    timer.expires_after(interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void Ledger::stop() { state_->stopped.store(true); }

}  // namespace rafiki::ledger
