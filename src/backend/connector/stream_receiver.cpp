#include <spdlog/spdlog.h>

#include <cstdint>
#include <exception>
#include <limits>
#include <stdexcept>
#include <utility>

#include "backend/connector/stages.h"
#include "ilp/error_codes.h"
#include "ilp/stream/receiver.h"

namespace rafiki::backend::connector {

namespace {
constexpr std::string_view kTotalKeyPrefix = "stream_received:";
}

StreamReceiverStage::StreamReceiverStage(std::shared_ptr<store::KeyValue> kv)
    : kv_(std::move(kv)) {}

boost::asio::awaitable<void> StreamReceiverStage::handle(Context& ctx, Next next) {
  if (!ctx.outgoing || !ctx.outgoing->is_local()) {
    co_await next(ctx);
    co_return;
  }
  if (!ctx.stream_receiver) {
    // Local accounts are only reached through a payment tag; nothing else can deliver here.
    ctx.reject(ilp::kF02Unreachable, kUnknownDestinationMessage);
    co_return;
  }
  Context* c = &ctx;
  std::exception_ptr credit_failure;
  const ilp::stream::MoneyHandler on_money =
      [this, c, &credit_failure](
          ilp::stream::IncomingMoney money) -> boost::asio::awaitable<ilp::stream::MoneyAnswer> {
    ilp::stream::MoneyAnswer answer;
    // Credit first: from here on the money is the receiver's, and the Prepare is fulfilled.
    if (c->credit_local) {
      try {
        co_await c->credit_local();
      } catch (...) {
        credit_failure = std::current_exception();
      }
      if (credit_failure) {
        answer.decision = ilp::stream::MoneyDecision::kTemporaryDecline;
        co_return answer;
      }
    }
    if (!money.details.receipt) co_return answer;  // nothing to prove: no shared total needed
    if (!kv_ || money.amount > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      co_return answer;  // accepted without a receipt
    }
    std::string key(kTotalKeyPrefix);
    key += money.connection_id;
    auto total = co_await kv_->increment(std::move(key), static_cast<std::int64_t>(money.amount),
                                         StreamReceiverStage::kTotalTtl);
    if (!total || *total < 0) {
      if (!total) spdlog::warn("connector: STREAM total not counted: {}", total.error().message);
      co_return answer;  // credited: fulfilled, without a receipt
    }
    answer.total_received = static_cast<std::uint64_t>(*total);
    co_return answer;
  };
  ctx.reply = co_await ctx.stream_receiver->handle_prepare(ctx.prepare, on_money);
  // A refused credit (e.g. T04 insufficient liquidity) answers as the balance stage would.
  if (credit_failure) std::rethrow_exception(credit_failure);
}

}  // namespace rafiki::backend::connector
