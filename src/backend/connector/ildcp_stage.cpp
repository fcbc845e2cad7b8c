#include <stdexcept>

#include "backend/connector/stages.h"
#include "ilp/address.h"
#include "ilp/error_codes.h"
#include "ilp/ildcp.h"

namespace rafiki::backend::connector {

IldcpStage::IldcpStage(WallClock clock) : clock_(clock) {}

boost::asio::awaitable<void> IldcpStage::handle(Context& ctx, Next next) {
  if (ctx.prepare.destination != ilp::kIldcpDestination) {
    co_await next(ctx);
    co_return;
  }
  if (auto valid = ildcp::validate_request(ctx.prepare, clock_()); !valid) {
    ctx.reject(ilp::kF00BadRequest, valid.error().message);
    co_return;
  }
  const auto& peer = ctx.incoming;
  if (!peer || peer->static_ilp_address.empty()) {
    throw std::runtime_error("ILDCP: the incoming account has no static ILP address");
  }
  if (peer->asset.scale < 0 || peer->asset.scale > 255) {
    throw std::runtime_error("ILDCP: asset scale out of range");
  }
  ildcp::Response response;
  response.client_address = peer->static_ilp_address;
  response.asset_scale = static_cast<std::uint8_t>(peer->asset.scale);
  response.asset_code = peer->asset.code;
  auto encoded = ildcp::encode_response(response);
  if (!encoded) throw std::runtime_error("ILDCP: " + encoded.error().message);
  ctx.reply = std::move(*encoded);
}

}  // namespace rafiki::backend::connector
