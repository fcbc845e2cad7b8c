#include <stdexcept>
#include <utility>

#include "backend/connector/stages.h"
#include "ilp/error_codes.h"
#include "ilp/http.h"

namespace rafiki::backend::connector {

HttpClientStage::HttpClientStage(net::HttpClient client, OutboundPolicy outbound)
    : client_(std::move(client)), outbound_(std::move(outbound)) {}

boost::asio::awaitable<void> HttpClientStage::handle(Context& ctx, Next /*next*/) {
  const auto& peer = ctx.outgoing;
  if (!peer || !peer->http_endpoint || peer->http_endpoint->empty()) {
    ctx.reject(ilp::kF02Unreachable, kNoEndpointMessage);
    co_return;
  }
  // The received bytes, amount and expiry patched in place (0 included: upstream would forward
  // the source amount for a 0 conversion).
  Bytes outgoing(ctx.packet.begin(), ctx.packet.end());
  if (ctx.amount_changed() || ctx.expiry_changed()) {
    auto patched = ilp::rewrite_prepare(outgoing, ctx.prepare.amount, ctx.prepare.expires_at);
    if (!patched) throw std::runtime_error("http client: " + patched.error().message);
  }
  ilp::HttpEndpoint endpoint;
  endpoint.url = *peer->http_endpoint;
  endpoint.auth_token = peer->http_auth_token.value_or("");
  endpoint.address_policy = outbound_.for_owner(peer->tenant_id);
  auto reply = co_await ilp::send_prepare(client_, std::move(endpoint), std::move(outgoing));
  if (!reply) {
    ctx.reply = ilp::reject_for_send_error(reply.error(), ctx.own_address);
    co_return;
  }
  ctx.reply = std::move(*reply);
}

}  // namespace rafiki::backend::connector
