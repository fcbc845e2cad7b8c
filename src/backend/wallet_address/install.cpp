// Wiring of the wallet_address domain (backend/core/domains.h). Its service is built with the
// others by Backend (core/backend.cpp); this attaches the Open Payments document routes and runs
// the published-document cache's listener with the process. The resolvers are in resolvers.cpp.
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/wallet_address/routes.h"
#include "backend/wallet_address/service.h"
#include "service/runtime.h"

namespace rafiki::backend::wallet_address {

namespace asio = boost::asio;

void install(Backend& backend, const Mount& mount) {
  if (mount.open_payments) mount.open_payments->fallback(document_handler(backend));
  if (mount.runtime) {
    mount.runtime->on_startup("wallet address cache",
                              [&backend]() -> asio::awaitable<Result<void>> {
                                backend.wallet_addresses->start(backend.executor);
                                co_return Result<void>{};
                              });
    mount.runtime->on_shutdown([&backend]() -> asio::awaitable<void> {
      backend.wallet_addresses->stop();
      co_return;
    });
  }
}

}  // namespace rafiki::backend::wallet_address
