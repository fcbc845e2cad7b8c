#include <stdexcept>

#include "backend/connector/stages.h"
#include "base/assert.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

AccountStage::AccountStage(AccountResolver& resolver) : resolver_(resolver) {}

boost::asio::awaitable<void> AccountStage::handle(Context& ctx, Next next) {
  RAFIKI_ASSERT(ctx.incoming, "every packet has an incoming account");
  if (ctx.outgoing) {
    co_await next(ctx);
    co_return;
  }
  if (ctx.stream_destination) {
    auto local = co_await resolver_.local_account(*ctx.stream_destination);
    if (!local) throw std::runtime_error("account: " + local.error().message);
    if (*local) {
      // A tenant's peers pay only that tenant's accounts: the money would otherwise be taken
      // from one tenant's liquidity and credited in another's books.
      if ((*local)->tenant_id != ctx.incoming->tenant_id) {
        ctx.reject(ilp::kF02Unreachable, kUnknownDestinationMessage);
        co_return;
      }
      if ((*local)->closed && ctx.prepare.amount != 0) {
        ctx.reject(ilp::kF02Unreachable, kIncorrectStateMessage);
        co_return;
      }
      ctx.outgoing = std::move(*local);
      co_await next(ctx);
      co_return;
    }
  }
  auto peer = co_await resolver_.next_hop(*ctx.incoming, ctx.prepare.destination);
  if (!peer) throw std::runtime_error("account: " + peer.error().message);
  // Never back to the peer it came from, whatever the resolver answered.
  if (!*peer || ((*peer)->kind == AccountKind::kPeer && ctx.incoming->kind == AccountKind::kPeer &&
                 (*peer)->id == ctx.incoming->id)) {
    ctx.reject(ilp::kF02Unreachable, kUnknownDestinationMessage);
    co_return;
  }
  ctx.outgoing = std::move(*peer);
  co_await next(ctx);
}

}  // namespace rafiki::backend::connector
