#include <chrono>
#include <stdexcept>

#include "backend/connector/stages.h"
#include "base/assert.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

std::int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

RateLimitStage::RateLimitStage(RateLimitOptions options, MonotonicClock clock)
    : buckets_(options.capacity, options.refill_count, options.refill_period_ms), clock_(clock) {
  if (options.refill_period_ms <= 0) throw std::invalid_argument("rate limit: refill period <= 0");
}

boost::asio::awaitable<void> RateLimitStage::handle(Context& ctx, Next next) {
  RAFIKI_ASSERT(ctx.incoming, "every packet has an incoming account");
  if (!buckets_.take(ctx.incoming->id, 1, clock_())) {
    ctx.reject(ilp::kT05RateLimited, kRateLimitedMessage);
    co_return;
  }
  co_await next(ctx);
}

}  // namespace rafiki::backend::connector
