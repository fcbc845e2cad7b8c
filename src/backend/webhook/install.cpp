// Entry points of the webhook domain (backend/core/domains.h): its delivery workers, started
// with the process and stopped at shutdown (the service is built by Backend). The resolvers are in resolvers.cpp.
#include "backend/core/backend.h"
#include "backend/core/domains.h"
#include "backend/webhook/service.h"
#include "service/runtime.h"

namespace rafiki::backend::webhook {

namespace asio = boost::asio;

void install(Backend& backend, const Mount& mount) {
  if (mount.runtime) {
    mount.runtime->on_startup("webhook workers", [&backend]() -> asio::awaitable<Result<void>> {
      backend.webhooks->start(backend.executor);
      co_return Result<void>{};
    });
    mount.runtime->on_shutdown([&backend]() -> asio::awaitable<void> {
      backend.webhooks->stop();
      co_return;
    });
  }
}

}  // namespace rafiki::backend::webhook
