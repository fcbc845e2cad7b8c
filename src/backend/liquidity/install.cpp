// Wiring of the liquidity domain (backend/core/domains.h). Its service is built with the others
// by Backend (core/backend.cpp); here the ledger's expiry sweeper is attached to the runtime.
// Its Admin API resolvers are resolvers.cpp.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <chrono>

#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "ledger/ledger.h"
#include "service/runtime.h"

namespace rafiki::backend::liquidity {

namespace asio = boost::asio;

// How often pending transfers past their timeout (withdrawals with timeoutSeconds, packets'
// and payments' two-phase transfers) are released, so their reserved amounts count again.
constexpr std::chrono::milliseconds kExpirySweepInterval{1000};

void install(Backend& backend, const Mount& mount) {
  if (!mount.runtime) return;
  mount.runtime->on_startup("ledger expiry sweeper", [&backend]() -> asio::awaitable<Result<void>> {
    asio::co_spawn(backend.executor, backend.ledger.run_sweeper(kExpirySweepInterval),
                   asio::detached);
    co_return Result<void>{};
  });
  mount.runtime->on_shutdown([&backend]() -> asio::awaitable<void> {
    backend.ledger.stop();
    co_return;
  });
}

}  // namespace rafiki::backend::liquidity
