#include <stdexcept>
#include <string>

#include "backend/connector/stages.h"
#include "base/assert.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

RateConversionStage::RateConversionStage(rates::RatesSource& rates) : rates_(rates) {}

boost::asio::awaitable<void> RateConversionStage::handle(Context& ctx, Next next) {
  if (ctx.prepare.amount == 0) {
    co_await next(ctx);
    co_return;
  }
  RAFIKI_ASSERT(ctx.incoming && ctx.outgoing, "rate conversion runs after the account stage");
  rates::AssetRef source{ctx.incoming->asset.code, ctx.incoming->asset.scale};
  rates::AssetRef destination{ctx.outgoing->asset.code, ctx.outgoing->asset.scale};
  rates::RateTablePtr table;
  if (source.code != destination.code) {
    const std::string tenant = ctx.outgoing->tenant_id.str();
    auto fetched = co_await rates_.rates(tenant, source.code);
    if (!fetched) {
      throw std::runtime_error("rate conversion: " + fetched.error().code + ": " +
                               fetched.error().message);
    }
    table = std::move(*fetched);
  }
  auto converted = rates::convert_source(ctx.prepare.amount, source, destination, table.get());
  if (!converted) {
    if (converted.error().code == rates::kErrAmountTooLarge) {
      ilp::AmountTooLargeData data;
      data.received_amount = ctx.prepare.amount;
      data.maximum_amount =
          rates::max_convertible_source(source, destination, table.get()).value_or(0);
      ctx.reject(ilp::kF08AmountTooLarge,
                 "packet size too large. maxAmount=" + std::to_string(data.maximum_amount) +
                     " actualAmount=" + std::to_string(data.received_amount),
                 ilp::encode_amount_too_large_data(data));
    } else {
      ctx.reject(ilp::kF07CannotReceive,
                 std::string(kExchangeRateErrorPrefix) + rates::kErrInvalidDestinationPrice);
    }
    co_return;
  }
  ctx.prepare.amount = *converted;
  co_await next(ctx);
}

}  // namespace rafiki::backend::connector
