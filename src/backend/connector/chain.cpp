#include "backend/connector/chain.h"

#include <utility>

namespace rafiki::backend::connector {

namespace {
boost::asio::awaitable<void> end_of_chain() {
  co_return;
}
}  // namespace

boost::asio::awaitable<void> Next::operator()(Context& ctx) const {
  // Not a coroutine itself: hands back the next stage's awaitable, so a step costs one frame.
  if (index_ >= chain_->stages_.size()) return end_of_chain();
  return chain_->stages_[index_]->handle(ctx, Next(chain_, index_ + 1));
}

Chain::Chain(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}

boost::asio::awaitable<void> Chain::run(Context& ctx) const {
  return Next(this, 0)(ctx);
}

}  // namespace rafiki::backend::connector
