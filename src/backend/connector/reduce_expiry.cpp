#include <algorithm>

#include "backend/connector/stages.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

ReduceExpiryStage::ReduceExpiryStage(ExpiryOptions options, WallClock clock)
    : options_(options), clock_(clock) {}

boost::asio::awaitable<void> ReduceExpiryStage::handle(Context& ctx, Next next) {
  const TimePoint now = clock_();
  const TimePoint expiry = ctx.prepare.expires_at;
  if (expiry < now) {
    ctx.reject(ilp::kR02InsufficientTimeout,
               "source transfer has already expired. sourceExpiry=" + format_rfc3339(expiry) +
                   " currentTime=" + format_rfc3339(now));
    co_return;
  }
  const TimePoint reduced =
      std::min(expiry - options_.min_expiration_window, now + options_.max_hold_window);
  if (reduced < now + options_.min_expiration_window) {
    ctx.reject(ilp::kR02InsufficientTimeout,
               "source transfer expires too soon to complete payment. actualSourceExpiry=" +
                   format_rfc3339(expiry) + " requiredSourceExpiry=" +
                   format_rfc3339(now + 2 * options_.min_expiration_window) +
                   " currentTime=" + format_rfc3339(now));
    co_return;
  }
  ctx.prepare.expires_at = reduced;
  co_await next(ctx);
}

}  // namespace rafiki::backend::connector
