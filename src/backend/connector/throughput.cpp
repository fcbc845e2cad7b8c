#include <stdexcept>

#include "backend/connector/stages.h"
#include "base/assert.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

ThroughputStage::ThroughputStage(Direction direction, ThroughputOptions options,
                                 MonotonicClock clock)
    : direction_(direction), clock_(clock) {
  if (options.throughput_limit && *options.throughput_limit != 0) {
    if (options.throughput_limit_refill_period_ms <= 0)
      throw std::invalid_argument("throughput: refill period <= 0");
    // Upstream's bucket: capacity = refill count = the limit.
    buckets_.emplace(*options.throughput_limit, *options.throughput_limit,
                     options.throughput_limit_refill_period_ms);
  }
}

std::string_view ThroughputStage::name() const {
  return direction_ == Direction::kIncoming ? "incoming-throughput" : "outgoing-throughput";
}

boost::asio::awaitable<void> ThroughputStage::handle(Context& ctx, Next next) {
  if (buckets_) {
    const auto& account = direction_ == Direction::kIncoming ? ctx.incoming : ctx.outgoing;
    RAFIKI_ASSERT(account, "throughput runs after the account stage");
    if (!buckets_->take(account->id, ctx.prepare.amount, clock_())) {
      ctx.reject(ilp::kT04InsufficientLiquidity, kThroughputMessage);
      co_return;
    }
  }
  co_await next(ctx);
}

}  // namespace rafiki::backend::connector
