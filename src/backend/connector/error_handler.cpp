#include <spdlog/spdlog.h>

#include <exception>

#include "backend/connector/stages.h"
#include "ilp/error_codes.h"

namespace rafiki::backend::connector {

boost::asio::awaitable<void> ErrorHandlerStage::handle(Context& ctx, Next next) {
  std::exception_ptr failure;
  try {
    co_await next(ctx);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!failure && !ctx.reply.empty()) co_return;

  if (!failure) {
    spdlog::error("connector: the chain ended without a reply (destination {})",
                  ctx.prepare.destination);
    ctx.reject(ilp::kT00InternalError, kInternalErrorMessage);
    co_return;
  }
  try {
    std::rethrow_exception(failure);
  } catch (const IlpError& e) {
    ctx.reject(e.code(), e.what(), e.data());
  } catch (const std::exception& e) {
    spdlog::warn("connector: packet to {} failed: {}", ctx.prepare.destination, e.what());
    ctx.reject(ilp::kT00InternalError, kInternalErrorMessage);
  } catch (...) {
    spdlog::warn("connector: packet to {} failed with a non-standard exception",
                 ctx.prepare.destination);
    ctx.reject(ilp::kT00InternalError, kInternalErrorMessage);
  }
}

}  // namespace rafiki::backend::connector
