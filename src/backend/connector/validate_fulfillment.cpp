#include <variant>

#include "backend/connector/stages.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

boost::asio::awaitable<void> ValidateFulfillmentStage::handle(Context& ctx, Next next) {
  co_await next(ctx);
  if (ctx.reply.empty()) co_return;  // the error handler reports it
  auto reply = ilp::decode_reply(ctx.reply);
  if (!reply) {
    ctx.reject(ilp::kT00InternalError, kInternalErrorMessage);
    co_return;
  }
  const auto* fulfill = std::get_if<ilp::Fulfill>(&*reply);
  if (fulfill != nullptr &&
      !ilp::fulfillment_matches(fulfill->fulfillment, ctx.prepare.execution_condition)) {
    ctx.reject(ilp::kF05WrongCondition, kBadFulfillmentMessage);
  }
}

}  // namespace rafiki::backend::connector
