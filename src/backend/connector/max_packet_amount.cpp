#include <string>

#include "backend/connector/stages.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

boost::asio::awaitable<void> MaxPacketAmountStage::handle(Context& ctx, Next next) {
  const auto& incoming = ctx.incoming;
  if (incoming && incoming->max_packet_amount && *incoming->max_packet_amount != 0 &&
      ctx.prepare.amount > *incoming->max_packet_amount) {
    auto max = *incoming->max_packet_amount;
    auto message = "packet size too large. maxAmount=" + std::to_string(max) +
                   " actualAmount=" + std::to_string(ctx.prepare.amount);
    ilp::AmountTooLargeData data;
    data.received_amount = ctx.prepare.amount;
    data.maximum_amount = max;
    ctx.reject(ilp::kF08AmountTooLarge, message, ilp::encode_amount_too_large_data(data));
    co_return;
  }
  co_await next(ctx);
}

}  // namespace rafiki::backend::connector
