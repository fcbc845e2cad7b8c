#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>

#include "backend/connector/stages.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

namespace asio = boost::asio;

namespace {

// A timer waits at most this long at a time (far-future expiries would overflow the steady
// clock's nanoseconds); it re-checks the wall clock after each step.
constexpr std::chrono::milliseconds kTimerStepMax{60 * 60 * 1000};

asio::awaitable<void> wait_until(TimePoint deadline, WallClock clock) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    auto left = deadline - clock();
    if (left <= std::chrono::milliseconds::zero()) co_return;
    timer.expires_after(std::min<std::chrono::milliseconds>(left, kTimerStepMax));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace

ExpireStage::ExpireStage(WallClock clock) : clock_(clock) {}

boost::asio::awaitable<void> ExpireStage::handle(Context& ctx, Next next) {
  const TimePoint deadline = ctx.prepare.expires_at;
  if (deadline <= clock_()) {
    ctx.reject(ilp::kR00TransferTimedOut, kExpiredMessage);
    co_return;
  }
  // The first to finish cancels the other and the group waits for it, so nothing touches
  // ctx after this returns. An exception of the rest is rethrown (for the error handler).
  auto executor = co_await asio::this_coro::executor;
  [[maybe_unused]] auto [order, rest_error, timer_error] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(executor, next(ctx), asio::deferred),
          asio::co_spawn(executor, wait_until(deadline, clock_), asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (order[0] == 0) {
    if (rest_error) std::rethrow_exception(rest_error);
    co_return;
  }
  ctx.reject(ilp::kR00TransferTimedOut, kExpiredMessage);
}

}  // namespace rafiki::backend::connector
