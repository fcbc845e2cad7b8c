#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "backend/connector/stages.h"
#include "base/assert.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

namespace {

// Transfer code of account-to-account transfers (reference/accounting.md §4: TRANSFER).
constexpr std::uint16_t kTransferCode = 1;

bool is_fulfill(const Bytes& reply) {
  auto type = ilp::packet_type(reply);
  return type && *type == ilp::PacketType::kFulfill;
}

// The legs of a packet's money (accounting.md §5.3): one on a shared ledger (connector packets
// there always have source == destination amount), else two linked ones through the assets'
// liquidity accounts (id = asset id).
std::vector<ledger::Transfer> make_legs(const Context& ctx, ledger::TransferKind kind,
                                        std::uint32_t timeout_seconds) {
  const Account& in = *ctx.incoming;
  const Account& out = *ctx.outgoing;
  std::vector<ledger::Transfer> legs;
  auto leg = [&](const Uuid& debit, const Uuid& credit, std::uint64_t amount,
                 std::uint32_t ledger) {
    ledger::Transfer t;
    t.id = Uuid::v7();  // time-ordered: the ledger's primary key index grows at its right edge
    t.debit_account_id = debit;
    t.credit_account_id = credit;
    t.amount = amount;
    t.ledger = ledger;
    t.code = kTransferCode;
    t.kind = kind;
    t.timeout_seconds = kind == ledger::TransferKind::kPending ? timeout_seconds : 0;
    legs.push_back(t);
  };
  if (in.asset.ledger == out.asset.ledger) {
    legs.reserve(1);
    // On one ledger nothing converts: what leaves one account is what arrives at the other.
    RAFIKI_ASSERT(ctx.source_amount == ctx.prepare.amount, "amounts differ on one ledger");
    leg(in.id, out.id, ctx.source_amount, in.asset.ledger);
  } else {
    legs.reserve(2);
    leg(in.id, in.asset.id, ctx.source_amount, in.asset.ledger);
    legs.back().linked = true;
    leg(out.asset.id, out.id, ctx.prepare.amount, out.asset.ledger);
  }
  return legs;
}

// Throws what the sender should see for failed leg results: T04 for insufficient funds (which
// side decides the word), T00 otherwise.
[[noreturn]] void throw_transfer_failure(const Context& ctx,
                                         const std::vector<ledger::Transfer>& legs,
                                         const std::vector<ledger::CreateTransferResult>& results) {
  for (std::size_t i = 0; i < results.size() && i < legs.size(); ++i) {
    auto r = results[i];
    if (r == ledger::CreateTransferResult::kOk ||
        r == ledger::CreateTransferResult::kLinkedEventFailed) {
      continue;
    }
    if (r == ledger::CreateTransferResult::kExceedsCredits) {
      const bool operator_side = legs.size() == 2 && i == 1 &&
                                 legs[i].debit_account_id == ctx.outgoing->asset.id;
      throw IlpError(ilp::kT04InsufficientLiquidity, std::string(operator_side
                                                                   ? kInsufficientLiquidityMessage
                                                                   : kInsufficientBalanceMessage));
    }
    throw std::runtime_error("balance: transfer failed: " + std::string(ledger::name(r)));
  }
  throw std::runtime_error("balance: transfer failed");
}

bool all_ok(const std::vector<ledger::CreateTransferResult>& results) {
  return std::all_of(results.begin(), results.end(),
                     [](auto r) { return r == ledger::CreateTransferResult::kOk; });
}

}  // namespace

BalanceStage::BalanceStage(ledger::Ledger ledger, BalanceHooks& hooks, BalanceOptions options,
                           WallClock clock)
    : ledger_(std::move(ledger)), hooks_(hooks), options_(options), clock_(clock) {}

// Posts (post = true) or voids the pending legs once. nullopt: the outcome is unknown (the
// ledger was unavailable; a retry is safe: an applied attempt makes the next one answer
// "already posted/voided"); otherwise whether they are resolved, with `refusal` naming a ledger
// refusal.
static boost::asio::awaitable<std::optional<bool>> resolve_once(
    ledger::Ledger& ledger, const std::vector<ledger::Transfer>& legs, bool post,
    std::string& refusal) {
  std::vector<ledger::Transfer> resolution;
  resolution.reserve(legs.size());
  for (std::size_t i = 0; i < legs.size(); ++i) {
    ledger::Transfer t;
    // A fresh id per attempt: a retry after an applied attempt answers "already posted/voided".
    t.id = Uuid::v7();
    t.pending_id = legs[i].id;
    t.kind = post ? ledger::TransferKind::kPostPending : ledger::TransferKind::kVoidPending;
    t.linked = i + 1 < legs.size();
    resolution.push_back(t);
  }
  auto results = co_await ledger.create_transfers(std::move(resolution));
  if (!results) {
    spdlog::warn("connector: {} of a packet's transfers failed: {}", post ? "post" : "void",
                 results.error().message);
    refusal = results.error().message;
    co_return std::nullopt;
  }
  for (auto r : *results) {
    if (r == ledger::CreateTransferResult::kOk) continue;
    // Already in the wanted state (a retry after an unknown outcome).
    if ((post && r == ledger::CreateTransferResult::kPendingTransferAlreadyPosted) ||
        (!post && (r == ledger::CreateTransferResult::kPendingTransferAlreadyVoided ||
                   r == ledger::CreateTransferResult::kPendingTransferExpired))) {
      continue;
    }
    refusal = std::string(ledger::name(r));
    co_return false;
  }
  co_return true;
}

// Voids the pending legs, retrying up to kResolveAttemptsMax times while the outcome is unknown.
// True when voided.
static boost::asio::awaitable<bool> void_pending(ledger::Ledger& ledger,
                                                 const std::vector<ledger::Transfer>& legs) {
  std::string refusal;
  for (int attempt = 0; attempt < BalanceOptions::kResolveAttemptsMax; ++attempt) {
    auto done = co_await resolve_once(ledger, legs, false, refusal);
    if (done) {
      if (!*done) spdlog::error("connector: void of a packet's transfers refused: {}", refusal);
      co_return *done;
    }
  }
  co_return false;
}

// Posts the pending legs of a fulfilled packet, retrying with back-off for `window` while the
// ledger's outcome is unknown (the pending timeout covers the window). True when posted.
static boost::asio::awaitable<bool> post_pending(ledger::Ledger& ledger,
                                                 const std::vector<ledger::Transfer>& legs,
                                                 std::chrono::milliseconds window,
                                                 std::string& refusal) {
  const auto deadline = std::chrono::steady_clock::now() + window;
  auto backoff = BalanceOptions::kPostRetryBackoffFirst;
  std::optional<boost::asio::steady_timer> timer;  // only when a retry is needed
  for (;;) {
    auto done = co_await resolve_once(ledger, legs, true, refusal);
    if (done) co_return *done;
    if (std::chrono::steady_clock::now() + backoff > deadline) co_return false;
    if (!timer) timer.emplace(co_await boost::asio::this_coro::executor);
    timer->expires_after(backoff);
    co_await timer->async_wait(boost::asio::use_awaitable);
    backoff = std::min(backoff * 2, BalanceOptions::kPostRetryBackoffMax);
  }
}

// The error an operator must act on: the next hop was paid (it fulfilled, and the Fulfill goes
// back to the sender) but our books do not show it.
static void log_money_owed(const Context& ctx, const std::vector<ledger::Transfer>& legs,
                           std::string_view refusal) {
  std::string ids;
  for (const auto& leg : legs) {
    if (!ids.empty()) ids += ", ";
    ids += leg.id.str();
  }
  spdlog::error(
      "connector: UNACCOUNTED FULFILL: the next hop fulfilled a packet of {} {} (scale {}) to {} "
      "from account {} to account {}, but posting its pending transfers [{}] failed ({}); the "
      "Fulfill was relayed, so the books miss this payment until it is settled by hand",
      ctx.prepare.amount, ctx.outgoing->asset.code, ctx.outgoing->asset.scale,
      ctx.prepare.destination, ctx.incoming->id.str(), ctx.outgoing->id.str(), ids, refusal);
}

// Creates the legs, retrying with the same ids while the ledger's outcome is unknown (a retry
// finds the applied ones `exists`, which then counts as created). Throws as
// throw_transfer_failure, or T00 when the ledger stays unavailable.
static boost::asio::awaitable<void> create_legs(ledger::Ledger& ledger, const Context& ctx,
                                                const std::vector<ledger::Transfer>& legs) {
  for (int attempt = 0; attempt < BalanceOptions::kResolveAttemptsMax; ++attempt) {
    auto copy = legs;
    auto results = co_await ledger.create_transfers(std::move(copy));
    if (!results) {
      spdlog::warn("connector: creating a packet's transfers failed: {}", results.error().message);
      continue;
    }
    if (attempt > 0) {
      for (auto& r : *results) {
        if (r == ledger::CreateTransferResult::kExists) r = ledger::CreateTransferResult::kOk;
      }
    }
    if (!all_ok(*results)) throw_transfer_failure(ctx, legs, *results);
    co_return;
  }
  throw std::runtime_error("balance: the ledger is unavailable");
}

boost::asio::awaitable<void> BalanceStage::handle(Context& ctx, Next next) {
  RAFIKI_ASSERT(ctx.incoming && ctx.outgoing, "the balance stage runs after the account stage");
  if (ctx.source_amount == 0 || ctx.unfulfillable) {
    co_await next(ctx);
    co_return;
  }
  // Upstream: InvalidDestinationAmount, an internal error.
  if (ctx.prepare.amount == 0) throw std::runtime_error("balance: converted amount is 0");

  if (ctx.outgoing->is_local()) {
    // The receiver credits through credit_local just before it fulfills (so a STREAM receipt
    // never counts money that was not credited); a receiver that fulfills without calling it
    // gets the credit afterwards.
    auto legs = make_legs(ctx, ledger::TransferKind::kSinglePhase, 0);
    // `legs` lives in this frame until credit_local is reset after `next`: borrowed, not copied.
    ctx.credit_local = [this, &ctx, &legs]() -> boost::asio::awaitable<void> {
      if (ctx.credited) co_return;
      // Past its expiry the sender's side has rejected the packet: crediting it now would take
      // money from the incoming peer for a payment it counts as failed.
      if (clock_() >= ctx.prepare.expires_at) {
        throw IlpError(ilp::kR00TransferTimedOut, std::string(kExpiredMessage));
      }
      co_await create_legs(ledger_, ctx, legs);
      ctx.credited = true;
    };
    co_await next(ctx);
    ctx.credit_local = nullptr;
    if (!is_fulfill(ctx.reply)) {
      if (ctx.credited) {
        // Never happens with our receiver (it fulfills whenever the credit succeeded).
        spdlog::error("connector: a credited local packet to {} was not fulfilled; transfer {}",
                      ctx.prepare.destination, legs.front().id.str());
      }
      co_return;
    }
    if (!ctx.credited) {
      co_await create_legs(ledger_, ctx, legs);
      ctx.credited = true;
    }
    co_await hooks_.posted(ctx);
    co_return;
  }

  // Remote: reserve first, for at least as long as the packet can be held downstream.
  const auto left = std::clamp<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(ctx.prepare.expires_at - clock_()),
      std::chrono::milliseconds::zero(), options_.max_hold_window);
  const auto hold_seconds = static_cast<std::uint32_t>((left.count() + 999) / 1000);
  const auto post_window_seconds = static_cast<std::uint32_t>(
      std::chrono::ceil<std::chrono::seconds>(options_.post_retry_window).count());
  const std::uint32_t timeout =
      std::max(options_.two_phase_timeout_seconds,
               hold_seconds + options_.pending_timeout_margin_seconds + post_window_seconds);
  auto legs = make_legs(ctx, ledger::TransferKind::kPending, timeout);
  co_await create_legs(ledger_, ctx, legs);
  if (ctx.outgoing->kind == AccountKind::kPeer) {
    auto exists = co_await hooks_.peer_still_exists(*ctx.outgoing);
    if (!exists || !*exists) {
      co_await void_pending(ledger_, legs);
      if (!exists) throw std::runtime_error("balance: " + exists.error().message);
      ctx.reject(ilp::kF02Unreachable, kUnknownDestinationMessage);
      co_return;
    }
  }

  std::exception_ptr failure;
  try {
    co_await next(ctx);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure && is_fulfill(ctx.reply)) {
    std::string refusal;
    if (co_await post_pending(ledger_, legs, options_.post_retry_window, refusal)) {
      co_await hooks_.posted(ctx);
      co_return;
    }
    // The next hop was paid when it fulfilled: relay its Fulfill (the sender's money is owed to
    // us) and make the missing books loud. The pending transfers expire unposted.
    log_money_owed(ctx, legs, refusal);
    co_return;
  }
  if (!co_await void_pending(ledger_, legs)) {
    spdlog::warn("connector: void failed; the pending transfers expire after {} s", timeout);
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace rafiki::backend::connector
