#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdint>
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
  const ilp::stream::MoneyHandler on_money =
      [this, c](ilp::stream::IncomingMoney money) -> boost::asio::awaitable<ilp::stream::MoneyAnswer> {
    ilp::stream::MoneyAnswer answer;
    if (!money.details.receipt) co_return answer;  // nothing to prove: no shared total needed
    if (!kv_ || money.amount > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      answer.decision = ilp::stream::MoneyDecision::kTemporaryDecline;
      co_return answer;
    }
    std::string key(kTotalKeyPrefix);
    key += money.connection_id;
    const auto amount = static_cast<std::int64_t>(money.amount);
    auto total = co_await kv_->increment(key, amount, StreamReceiverStage::kTotalTtl);
    if (!total || *total < 0) {
      if (!total) spdlog::warn("connector: STREAM total not counted: {}", total.error().message);
      answer.decision = ilp::stream::MoneyDecision::kTemporaryDecline;
      co_return answer;
    }
    answer.total_received = static_cast<std::uint64_t>(*total);
    // Undone if the packet fails after all (e.g. the ledger refuses the credit).
    auto executor = co_await boost::asio::this_coro::executor;
    c->revert_on_error = [kv = kv_, key = std::move(key), amount, executor]() {
      boost::asio::co_spawn(
          executor,
          [](std::shared_ptr<store::KeyValue> store, std::string k,
             std::int64_t by) -> boost::asio::awaitable<void> {
            auto undone = co_await store->increment(std::move(k), -by);
            if (!undone) {
              spdlog::warn("connector: STREAM total not reverted: {}", undone.error().message);
            }
          }(kv, key, amount),
          boost::asio::detached);
    };
    co_return answer;
  };
  ctx.reply = co_await ctx.stream_receiver->handle_prepare(ctx.prepare, on_money);
}

}  // namespace rafiki::backend::connector
